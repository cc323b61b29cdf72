# Guest scenario for `make demo` (scripts/demo.sh; host root, `qemu-run.sh -R`): the short
# station scenario on bes2600's wlan0: WPA2-PSK association through the chip model's air,
# `iw dev wlan0 link`, ping both ways, iperf3 TCP 5 s each way, and one closing line
# ("demo: RESULT: associated ...; throughput ...; N protocol violations").
#
# With DEMO_REFERENCE=1 (set by scripts/demo.sh in the copy it boots) the station is a second
# mac80211_hwsim radio instead (tests/qemu/reference-station.sh): the same harness, runnable
# before bes2600 registers with mac80211. Until bes2600 creates wlan0 the bes2600 demo stops
# after the driver loaded, with a line saying so.

DEMO=1
LIB_TAG=demo
if [ "${DEMO_REFERENCE:-0}" = 1 ]; then
	. "$BES2600_TOP/tests/qemu/reference-station.sh"
else
	. "$BES2600_TOP/tests/qemu/station.sh"
fi
