//go:build e2e

package engines

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// nagiosTemplates stands in for the sample config's templates.cfg, which
// contrib/nagios/metallb.cfg builds on: checks every 5 s (interval_length
// 1), one attempt, no notifications.
const nagiosTemplates = `define timeperiod {
    timeperiod_name 24x7
    alias           always
    monday          00:00-24:00
    tuesday         00:00-24:00
    wednesday       00:00-24:00
    thursday        00:00-24:00
    friday          00:00-24:00
    saturday        00:00-24:00
    sunday          00:00-24:00
}

define command {
    command_name    notify-none
    command_line    /bin/true
}

define contact {
    contact_name                    nobody
    host_notifications_enabled      0
    service_notifications_enabled   0
    host_notification_period        24x7
    service_notification_period     24x7
    host_notification_options       n
    service_notification_options    n
    host_notification_commands      notify-none
    service_notification_commands   notify-none
}

define host {
    name                    generic-host
    register                0
    max_check_attempts      1
    check_period            24x7
    active_checks_enabled   0
    contacts                nobody
    notification_interval   0
    notification_period     24x7
    notifications_enabled   0
}

define service {
    name                    generic-service
    register                0
    max_check_attempts      1
    check_interval          5
    retry_interval          5
    check_period            24x7
    contacts                nobody
    notification_interval   0
    notification_period     24x7
    notifications_enabled   0
}
`

// TestNagios4 runs contrib/nagios unchanged in a private Nagios 4 inside
// the lab's client namespace and reads the states and performance data it
// recorded in its status file.
func TestNagios4(t *testing.T) {
	require(t, "nagios4", "ip")
	t.Parallel()
	seg := newSegment(t)
	dir := privateDir(t, "nagios4")
	p := func(name string) string { return filepath.Join(dir, name) }
	// Every path below dir: nothing of /etc/nagios4 or /var/lib/nagios4
	// is read or written.
	cfg := strings.Join([]string{
		"log_file=" + p("nagios.log"),
		"cfg_file=" + p("templates.cfg"),
		"cfg_file=" + p("check_arp.cfg"),
		"cfg_file=" + p("metallb.cfg"),
		"cfg_file=" + p("scenarios.cfg"),
		"object_cache_file=" + p("objects.cache"),
		"precached_object_file=" + p("objects.precache"),
		"resource_file=" + p("resource.cfg"),
		"status_file=" + p("status.dat"),
		"status_update_interval=1",
		"nagios_user=nagios",
		"nagios_group=nagios",
		"check_external_commands=0",
		"command_file=" + p("rw/nagios.cmd"),
		"query_socket=" + p("rw/nagios.qh"),
		"lock_file=" + p("nagios.pid"),
		"temp_file=" + p("nagios.tmp"),
		"temp_path=" + dir,
		"check_result_path=" + p("checkresults"),
		"retain_state_information=0",
		"state_retention_file=" + p("retention.dat"),
		"use_syslog=0",
		"check_for_updates=0",
		"enable_notifications=0",
		"interval_length=1",
		"max_service_check_spread=1",
		"check_result_reaper_frequency=1",
		"service_check_timeout=30",
		"log_initial_states=1",
		"illegal_macro_output_chars=`~$&|'\"<>",
	}, "\n") + "\n"
	writeFiles(t, dir, map[string]string{
		"nagios.cfg":    cfg,
		"resource.cfg":  "$USER1$=" + pluginDir + "\n",
		"templates.cfg": nagiosTemplates,
		// The contrib files, byte for byte.
		"check_arp.cfg":      contrib(t, "nagios/check_arp.cfg"),
		"metallb.cfg":        contrib(t, "nagios/metallb.cfg"),
		"scenarios.cfg":      nagiosScenarios,
		"rw/.keep":           "",
		"checkresults/.keep": "",
	})

	out := mustRun(t, "nagios4", "-v", p("nagios.cfg"))
	// contrib's 2 hosts and 4 services, and the 3 of scenarios.cfg.
	for _, want := range []string{"Total Warnings: 0", "Total Errors:   0", "Checked 7 services.", "Checked 5 hosts.", "Checked 7 commands."} {
		if !strings.Contains(out, want) {
			t.Errorf("nagios4 -v does not say %q:\n%s", want, out)
		}
	}

	d := startDaemon(t, seg, "nagios4", "nagios4", p("nagios.cfg"))
	var services map[string]map[string]string
	waitFor(t, d, 60*time.Second, "results of the ARP and NDP services of both VIPs in status.dat", func() error {
		b, err := os.ReadFile(p("status.dat"))
		if err != nil {
			return err
		}
		services = map[string]map[string]string{}
		for _, block := range statusBlocks(string(b), "servicestatus") {
			services[block["host_name"]+"/"+block["service_description"]] = block
		}
		for _, tt := range slices.Concat(targets, scenarioTargets) {
			if name := nagiosService(tt); services[name]["has_been_checked"] != "1" {
				return fmt.Errorf("%s not checked yet", name)
			}
		}
		return nil
	})

	for _, tt := range slices.Concat(targets, scenarioTargets) {
		service := nagiosService(tt)
		wantState := fmt.Sprint(tt.state)
		s := services[service]
		t.Logf("Nagios 4 recorded %s: current_state=%s plugin_output=%q long_plugin_output=%q performance_data=%q",
			service, s["current_state"], s["plugin_output"], s["long_plugin_output"], s["performance_data"])
		if s["current_state"] != wantState || s["state_type"] != "1" {
			t.Errorf("%s: current_state=%s state_type=%s, want %s (hard)", service, s["current_state"], s["state_type"], wantState)
		}
		// Nagios replaces every ';' of a plugin's text (not of its
		// performance data) with ':', as ';' separates the fields of its
		// logs and external commands; status.dat escapes the long
		// output's newlines as \n.
		if strings.Contains(s["plugin_output"]+s["long_plugin_output"], ";") {
			t.Errorf("%s: Nagios no longer replaces ';' in plugin output: %q", service, s["plugin_output"])
		}
		shown := tt
		shown.summary = strings.ReplaceAll(tt.summary, ";", ":")
		checkText(t, "Nagios 4 ("+service+")", shown, s["plugin_output"], strings.ReplaceAll(s["long_plugin_output"], `\n`, "\n"))
		checkPerfdata(t, "Nagios 4 ("+service+")", s["performance_data"], tt.counts)
	}
	d.expectMemoryKept(t)
}

// nagiosScenarios are test-only hosts and a service of the states
// contrib's VIPs never reach (scenarioTargets), with contrib's command and
// the example's allowlist and thresholds.
const nagiosScenarios = `define host {
    use         generic-host
    host_name   vip-failover
    address     198.51.100.20
}

define host {
    use         generic-host
    host_name   vip-silent
    address     198.51.100.11
}

define host {
    use         generic-host
    host_name   vip-routed
    address     203.0.113.5
}

define service {
    use                     generic-service
    host_name               vip-failover,vip-silent,vip-routed
    service_description     ARP
    check_command           check_arp_expect_thresholds!` + allowlistArg + `!200,40%!500,80%
}
`

// nagiosService names a target's service in contrib/nagios/metallb.cfg.
func nagiosService(tt target) string {
	if tt.ipv6 {
		return tt.host + "/NDP"
	}
	return tt.host + "/ARP"
}

// statusBlocks returns the key=value blocks of one type in a Nagios
// status file.
func statusBlocks(status, typ string) []map[string]string {
	var out []map[string]string
	var cur map[string]string
	for _, l := range lines(status) {
		l = strings.TrimSpace(l)
		switch {
		case l == typ+" {":
			cur = map[string]string{}
		case l == "}" && cur != nil:
			out = append(out, cur)
			cur = nil
		case cur != nil:
			if k, v, ok := strings.Cut(l, "="); ok {
				cur[k] = v
			}
		}
	}
	return out
}
