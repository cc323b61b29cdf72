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
mkdir -p "$out"

"$here/bootstrap.sh" >&2
kdir=$("$here/kernel.sh" x86_64)
hwsim=$kdir/drivers/net/wireless/virtual/mac80211_hwsim.ko
[ -f "$hwsim" ] || die "the test kernel at $kdir has no mac80211_hwsim.ko"

# The chip model and bes2600-make-firmware (cargo rebuilds only what changed).
say "building the chip model"
(cd "$top" && nice -n 10 cargo build --release --quiet -p bes2600-chip-model) >&2

modules=(-m "$hwsim")
if [ "$reference" != 1 ]; then
	# The modules, in a copy of the sources of their own (as scripts/check.sh builds them, but
	# not in its directory, so a demo never mixes objects with a running `make check`).
	dir=$BES2600_CACHE/module-build/demo-x86_64
	mkdir -p "$dir"
	rsync -a --delete --exclude .git --exclude target --exclude .check "$top/" "$dir/"
	say "building bes2600.ko and bes2600_vsdio.ko"
	nice -n 10 make -s -C "$dir" KDIR="$kdir" BES2600_TEST_MODULES=y modules >&2
	modules+=(-m "$dir/bes2600_vsdio.ko" -m "$dir/bes2600.ko")
fi

# The guest runs a copy of its scenario: the choice of station goes in with it.
mkdir -p "$BES2600_CACHE/guest"
scenario=$(mktemp "$BES2600_CACHE/guest/demo.XXXXXX")
trap 'rm -f "$scenario"' EXIT
{
	echo "DEMO_REFERENCE=$reference"
	cat "$top/tests/qemu/demo.sh"
} >"$scenario"

log=$out/qemu-demo.log
"$here/qemu-run.sh" -R -t "${DEMO_TIMEOUT:-900}" -k "$kdir" -s "$scenario" -l "$log" "${modules[@]}" ||
	die "qemu did not finish the demo (log: $log)"
# What the scenario printed, up to the guest's kernel log dump.
sed -n '/^==== bes2600-guest dmesg begin/q; /bes2600-guest: scenario start/,$p' "$log" | tr -d '\r' |
	grep -E '^(demo|bes2600-guest):' || true
verdict=0
"$here/check-log.sh" "$log" bes2600 >"$out/qemu-demo.verdict" || verdict=$?
grep -E '^(splat|scenario):' "$out/qemu-demo.verdict" || true
result=$(tr -d '\r' <"$log" | grep -m1 -E '^demo: (RESULT|FAIL):' || true)
echo "${result:-demo: FAIL: no result from the guest (log: $log)}"
case $result in "demo: RESULT:"*) [ "$verdict" = 0 ] || die "the kernel log has splats (see $out/qemu-demo.verdict)" ;; *) exit 1 ;; esac
