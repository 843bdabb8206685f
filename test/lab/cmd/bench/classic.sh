#!/bin/bash
# verify_metallb_arp.sh, the classic script people run today, as the seed
# quotes it; only "sudo" is dropped (the benchmark runs as root).
# Checks that a MetalLB LoadBalancer IP responds to ARP requests
# Returns exit code 0 on success, 1 on failure

# Configuration
TARGET_IP="${1:?Usage: $0 <loadbalancer-ip> <interface>}"
INTERFACE="${2:?Usage: $0 <loadbalancer-ip> <interface>}"
PROBE_COUNT=3
TIMEOUT=2

# Send ARP probes and count replies
REPLY_COUNT=$(arping -c "$PROBE_COUNT" -w "$TIMEOUT" -I "$INTERFACE" "$TARGET_IP" \
  | grep -c "Unicast reply")

# Evaluate result
if [ "$REPLY_COUNT" -eq "$PROBE_COUNT" ]; then
    echo "OK: $TARGET_IP responded to all $PROBE_COUNT ARP probes on $INTERFACE"
    exit 0
elif [ "$REPLY_COUNT" -gt 0 ]; then
    echo "WARNING: $TARGET_IP responded to $REPLY_COUNT of $PROBE_COUNT probes"
    exit 1
else
    echo "CRITICAL: $TARGET_IP did not respond to any ARP probes on $INTERFACE"
    exit 2
fi
