#!/usr/bin/env bash
# `make demo`: bes2600 as a WiFi station on the emulated machine.
#
# Builds what is missing (the test kernel comes from scripts/kernel.sh's cache; the modules,
# the chip model and its firmware tool are rebuilt only where their sources changed), then
# boots the x86_64 test kernel under qemu with the host's root file system and runs
# tests/qemu/demo.sh: bes2600 on the chip model, which is also the air of mac80211_hwsim; an
# access point (hostapd, WPA2-PSK) in its own network namespace; association, `iw dev wlan0
# link`, ping both ways, iperf3 5 s each way. It ends with one line: associated / throughput /
# protocol violations (or what failed).
#
#   make demo                       bes2600's wlan0 as the station
#   DEMO_REFERENCE=1 make demo      a second hwsim radio as the station (the harness alone)
#
# The guest's log is kept in $BES2600_CACHE/demo/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

reference=${DEMO_REFERENCE:-0}
out=$BES2600_CACHE/demo
log=$out/qemu-demo.log

GUEST_NO_DRIVER=$reference guest_prepare demo
verdict=0
guest_run demo "$top/tests/qemu/demo.sh" "${DEMO_TIMEOUT:-900}" "$log" "DEMO_REFERENCE=$reference" ||
	verdict=$?
[ -f "$log" ] || exit 1
result=$(tr -d '\r' <"$log" | grep -m1 -E '^demo: (RESULT|FAIL):' || true)
echo "${result:-demo: FAIL: no result from the guest (log: $log)}"
case $result in "demo: RESULT:"*) [ "$verdict" = 0 ] || die "the kernel log has splats (see $out/qemu-demo.verdict)" ;; *) exit 1 ;; esac
