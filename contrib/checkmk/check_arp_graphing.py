# Checkmk graphing plug-in for check_arp run through MRPE (mrpe.cfg).
#
# check_arp's Nagios output gives rta, rtmin and rtmax in milliseconds, as
# check_icmp does. Checkmk's rta, rtmin and rtmax metrics are in seconds, and
# Checkmk translates milliseconds only for check_icmp's output; an MRPE
# check_arp's "rta=0.082ms" is therefore drawn as 82 ms. This translation
# scales check_arp's round trips by 0.001 for the check command Checkmk
# records for MRPE (the plug-in's file name, check_arp).
#
# Where it goes (Checkmk 2.3 and later), on the Checkmk server as the site
# user:
#   ~/local/lib/python3/cmk_addons/plugins/check_arp/graphing/check_arp.py
# then `omd restart apache`. Graphs drawn before keep their old scale.
#
# The local check (check_arp_local, --output checkmk) needs none of this: it
# gives seconds already.
from cmk.graphing.v1 import translations

translation_check_arp = translations.Translation(
    name="check_arp",
    check_commands=[translations.NagiosPlugin("check_arp")],
    translations={
        "rta": translations.ScaleBy(0.001),
        "rtmin": translations.ScaleBy(0.001),
        "rtmax": translations.ScaleBy(0.001),
    },
)
