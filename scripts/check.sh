#!/usr/bin/env bash
# `make check`: every test of the project, ending with one line "N passed, M failed".
#
# Installs what is missing (scripts/bootstrap.sh), builds or reuses the cached test kernels,
# then runs: host cargo tests, the fuzz smoke, the module builds for x86_64 and arm64 with
# their modinfo checks, the dkms build, the broken-setup diagnostics, and, under qemu on the
# debug test kernel, the KUnit suites and the end-to-end scenarios of the emulated chip
# (tests/qemu/), each with the kernel log checked for splats.
#
# Logs of every step go to .check/ in the source tree.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

logs=$top/.check
rm -rf "$logs"
mkdir -p "$logs"
passed=0
failed=0
failures=()

pass() { passed=$((passed + 1)); printf 'PASS %s\n' "$1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); printf 'FAIL %s (log: %s)\n' "$1" "${2:-}"; }
# Runs one check: check NAME COMMAND...; its output goes to .check/NAME.log.
check() {
	local name=$1
	shift
	if "$@" >"$logs/$name.log" 2>&1; then pass "$name"; else fail "$name" "$logs/$name.log"; fi
}
finish() {
	[ "${#failures[@]}" -eq 0 ] || printf 'failed: %s\n' "${failures[*]}"
	printf '%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ]
	exit
}
section() { printf '== %s\n' "$*"; }

start=$(date +%s)
section "setup"
"$here/bootstrap.sh" || { fail bootstrap; finish; }
kdir_x86=$("$here/kernel.sh" x86_64) || { fail kernel-x86_64; finish; }
kdir_arm=$("$here/kernel.sh" arm64) || { fail kernel-arm64; finish; }
# The arm64 guest's busybox (the x86_64 guests use the host's).
"$here/guest-userland.sh" arm64 >/dev/null || { fail guest-userland-arm64; finish; }
say "setup done in $(($(date +%s) - start)) s"

section "host tests"
cargo_log=$logs/cargo-test.log
if (cd "$top" && cargo test --workspace --quiet) >"$cargo_log" 2>&1; then status=ok; else status=failed; fi
read -r host_passed host_failed < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } } END { print p + 0, f + 0 }' "$cargo_log")
printf 'host cargo test: %d passed, %d failed\n' "$host_passed" "$host_failed"
passed=$((passed + host_passed))
failed=$((failed + host_failed))
if [ "$status" != ok ] && [ "$host_failed" -eq 0 ]; then fail cargo-test "$cargo_log"; fi

section "style"
check rustfmt "$here/fmt-check.sh"
check clippy sh -c "cd '$top' && cargo clippy --workspace --all-targets --quiet -- -D warnings"

section "fuzz smoke"
if [ -x "$here/fuzz.sh" ]; then
	check fuzz-smoke "$here/fuzz.sh" "${BES2600_FUZZ_SECONDS:-20}"
	grep -E '^fuzz:' "$logs/fuzz-smoke.log" || true
fi

section "module builds"
# Each architecture builds in its own copy of the sources so their objects never mix.
build_module() {
	local arch=$1 kdir=$2 dir=$BES2600_CACHE/module-build/$1
	shift 2
	mkdir -p "$dir"
	rsync -a --delete --exclude .git --exclude target --exclude .check "$top/" "$dir/" &&
		make -C "$dir" KDIR="$kdir" ARCH="$arch" BES2600_WERROR=y "$@" modules
}
# x86_64 also builds the test bench: the virtual SDIO host and the boot test driver.
check module-x86_64 build_module x86_64 "$kdir_x86" BES2600_TEST_MODULES=y
mods=$BES2600_CACHE/module-build/x86_64
check modinfo-x86_64 "$top/tests/modinfo.sh" "$mods/bes2600.ko"
check module-contents-x86_64 "$top/tests/module-contents.sh" "$mods/bes2600.ko"
check driver-unsafe-rejected "$top/tests/unsafe-forbidden.sh" "$kdir_x86"
check module-arm64 build_module arm64 "$kdir_arm"
ko_arm=$BES2600_CACHE/module-build/arm64/bes2600.ko
check module-arm64-is-aarch64 sh -c "file '$ko_arm' | tee /dev/stderr | grep -q 'ELF 64-bit LSB relocatable, ARM aarch64'"
check dkms-build "$top/tests/dkms.sh" "$kdir_x86"
check diagnostics "$top/tests/diagnostics.sh" "$kdir_x86"
check check-log-judge "$top/tests/check-log-selftest.sh"
check chip-model-build sh -c "cd '$top' && cargo build --release --quiet -p bes2600-chip-model"

section "packages, firmware, device tree, hardware test"
# The Arch package's package(); the kernel headers package with the Rust build outputs, and
# the module built against it alone (the dkms package is proven under qemu below).
check packaging-pkgbuild "$top/tests/packaging-pkgbuild.sh"
check packaging-headers "$top/tests/packaging-headers.sh" "$kdir_x86"
# The tablet's kernel takes hours to build; its configuration (arm64 defconfig, the PineTab2
# fragment, CONFIG_RUST=y, every option taking effect) is checked here and cached.
check pinetab2-kernel-config "$here/pinetab2-kernel.sh" -c
check firmware-install "$top/tests/firmware-install.sh"
check devicetree "$top/tests/devicetree.sh" "$kdir_arm"
check hw-test-selftest "$top/tests/hw-test-selftest.sh"

section "under qemu (x86_64 test kernel: KASAN, lockdep, kmemleak)"
# scenario NAME SUITES QEMU_RUN_ARGS...: boots one guest scenario. The scenario passes when it
# exits 0 and the kernel log has no splat and no failed KUnit case. The KUnit cases of the suites
# named SUITES* are added to the totals ("-": none), so a suite that runs in several scenarios
# of one kernel (each time its module loads) is counted in one only per architecture.
scenario() {
	local name=$1 suites=$2
	shift 2
	local log=$logs/qemu-$name.log verdict=$logs/qemu-$name.verdict ok rc attempt
	# A splat during the kernel's own boot, before the scenario loaded any of our code, is not
	# ours (it was seen once in many boots under TCG): such a boot is run once more, and
	# counts as failed if it happens again.
	for attempt in 1 2; do
		if ! "$here/qemu-run.sh" -k "$kdir_x86" -l "$log" "$@" 2>"$logs/qemu-$name.err"; then
			cat "$logs/qemu-$name.err"
			fail "qemu-$name" "$log"
			return
		fi
		ok=yes
		rc=0
		"$here/check-log.sh" "$log" "${suites#-}" >"$verdict" || rc=$?
		[ "$rc" = 2 ] && [ "$attempt" = 1 ] || break
		grep '^boot-splat:' "$verdict"
		cp "$log" "$logs/qemu-$name.boot-splat.log"
		printf 'qemu-%s: splat during boot, before the scenario; booting once more\n' "$name"
	done
	[ "$rc" = 0 ] || ok=no
	grep -E '^(kunit|splat|boot-splat|scenario):' "$verdict" | grep -vE '^kunit: (ok|skip) |^kunit: [0-9]+ passed' || true
	if [ "$suites" != - ]; then
		local k_passed k_failed
		read -r k_passed k_failed < <(sed -n 's/^kunit: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$verdict")
		printf 'kunit in %s: %d passed, %d failed\n' "$name" "${k_passed:-0}" "${k_failed:-0}"
		passed=$((passed + ${k_passed:-0}))
		failed=$((failed + ${k_failed:-0}))
		[ "${k_passed:-0}" -gt 0 ] || { fail "kunit-ran-in-$name" "$log"; ok=no; }
	fi
	[ "$ok" = yes ] && pass "qemu-$name" || fail "qemu-$name" "$verdict"
}

# The driver's KUnit suites, module load and unload, leak scan.
scenario kunit bes2600_ -s "$top/tests/qemu/kunit.sh" -m "$mods/bes2600.ko"
grep -q "^bes2600-guest: module bes2600 loaded" "$logs/qemu-kunit.log" &&
	pass module-loads-in-qemu || fail module-loads-in-qemu "$logs/qemu-kunit.log"
# The bes2600-dkms .deb built, installed in a scratch root with the headers package, built by
# dkms there and loaded with modprobe in a guest.
check packaging-dkms "$top/tests/packaging-dkms.sh" "$kdir_x86" "$logs"
# The emulated card enumerated by the real MMC core, the driver probing it; vsdio's KUnit suites.
# The driver requests its firmware at probe: synthetic images (no chip model runs here, so
# the BH's boot fails and retries while the card comes and goes).
"$top/target/release/bes2600-make-firmware" "$logs/firmware" >"$logs/make-firmware.log" 2>&1 ||
	fail make-firmware "$logs/make-firmware.log"
scenario vsdio-enumerate bes2600_vsdio -s "$top/tests/qemu/vsdio-enumerate.sh" \
	-m "$mods/bes2600_vsdio.ko" -m "$mods/bes2600.ko" -f "$logs/firmware"
# The whole bench in one boot: card enumerated, model on hwsim, hostapd beaconing, boot download.
scenario testbench - -R -s "$top/tests/qemu/testbench.sh" \
	-m "$mods/bes2600_vsdio.ko" -m "$mods/bes2600_boot_test.ko"
# The driver on the emulated chip: firmware boot, BH, commands, recovery from every chip fault.
# Longer than qemu-run's default limit: a TCG guest with KASAN on a busy 2-core machine took
# 440 s for it, and the load cycles took over 600 s.
scenario bringup - -R -t 1800 -s "$top/tests/qemu/bringup.sh" \
	-m "$mods/bes2600_vsdio.ko" -m "$mods/bes2600.ko"
grep -E '^bringup: \[[0-9]+ ms\] (link up|recovery )' "$logs/qemu-bringup.log" || true
# 50 load/unload cycles, each booting the chip; kmemleak clean.
scenario loadcycles - -R -t 1800 -s "$top/tests/qemu/loadcycles.sh" \
	-m "$mods/bes2600_vsdio.ko" -m "$mods/bes2600.ko"
# The chip model as the wireless medium of mac80211_hwsim, hostapd beaconing.
scenario chip-model-air - -R -s "$top/tests/qemu/chip-model-air.sh"
# Station mode end to end: the AP (hwsim radio, hostapd, iperf3 server) in its own network
# namespace, bes2600 as the station: scan, open / WPA2-PSK / WPA3-SAE+PMF / 5 GHz association,
# ping and iperf3 both ways across the emulated air, AP loss and return, a wrong passphrase,
# unload under load.
scenario station - -R -t 1800 -s "$top/tests/qemu/station.sh" \
	-m "$mods/bes2600_vsdio.ko" -m "$mods/bes2600.ko" \
	-m "$kdir_x86/drivers/net/wireless/virtual/mac80211_hwsim.ko"
grep -E '^station: (\[[0-9]+ ms\] (scan|associated|ping|iperf3)|SUMMARY)' "$logs/qemu-station.log" || true
# A system suspend and resume while associated, twice (tests/qemu/suspend.sh), on the q35
# machine whose root device survives a suspend (-P).
scenario suspend - -R -P -t 1200 -s "$top/tests/qemu/suspend.sh" \
	-m "$mods/bes2600_vsdio.ko" -m "$mods/bes2600.ko" \
	-m "$kdir_x86/drivers/net/wireless/virtual/mac80211_hwsim.ko"
grep -E '^suspend: (\[[0-9]+ ms\] (suspend and resume|resume:)|SUMMARY)' "$logs/qemu-suspend.log" || true
# The clients PineTab2 owners run: NetworkManager (over wpa_supplicant's D-Bus interface) and
# iwd, each scanning and connecting to WPA2-PSK and WPA3-SAE networks (tests/qemu/clients.sh).
scenario clients - -R -t 1800 -s "$top/tests/qemu/clients.sh" \
	-m "$mods/bes2600_vsdio.ko" -m "$mods/bes2600.ko" \
	-m "$kdir_x86/drivers/net/wireless/virtual/mac80211_hwsim.ko"
grep -E '^clients: (\[[0-9]+ ms\] (NetworkManager|iwd):|SUMMARY)' "$logs/qemu-clients.log" || true
# The fault matrix: each fault while iperf3 and ping run over WPA2; detected, recovered by
# itself, traffic again, log clean (tests/qemu/faults.sh).
scenario faults - -R -t 2400 -s "$top/tests/qemu/faults.sh" \
	-m "$mods/bes2600_vsdio.ko" -m "$mods/bes2600.ko" \
	-m "$kdir_x86/drivers/net/wireless/virtual/mac80211_hwsim.ko"
sed -n 's/^faults: table: //p' "$logs/qemu-faults.log" | tr -d '\r' || true
# `make bench`'s smoke: every configuration of the bench scenario (veth, the reference hwsim
# station, bes2600 without and with the bus timing model) produces numbers, 2 s a run on this debug
# kernel, TCP received and UDP sent only. No threshold: the figures of a TCG guest on a shared
# machine are no test.
{ echo BENCH_S=2 "BENCH_TESTS='tcp-rx udp-tx'" BENCH_UDP_BPS=1000000; cat "$top/tests/qemu/bench.sh"; } >"$logs/bench-smoke.sh"
scenario bench-smoke - -R -t 1800 -s "$logs/bench-smoke.sh" \
	-m "$mods/bes2600_vsdio.ko" -m "$mods/bes2600.ko" \
	-m "$kdir_x86/drivers/net/wireless/virtual/mac80211_hwsim.ko"
check bench-report "$top/scripts/bench-report" "$logs/qemu-bench-smoke.log" "$logs/bench-smoke.json" --smoke
check bench-compare "$top/scripts/bench-compare" "$logs/bench-smoke.json" "$logs/bench-smoke.json"

section "under qemu (arm64 test kernel, qemu's virt board, Cortex-A55 under TCG)"
# The driver's KUnit suites on the PineTab2's architecture (unsigned c_char, alignment,
# atomics); a later -k replaces the scenario's x86_64 kernel.
scenario kunit-arm64 bes2600_ -k "$kdir_arm" -s "$top/tests/qemu/kunit.sh" -m "$ko_arm"
grep -q "^bes2600-guest: module bes2600 loaded" "$logs/qemu-kunit-arm64.log" &&
	pass module-loads-in-qemu-arm64 || fail module-loads-in-qemu-arm64 "$logs/qemu-kunit-arm64.log"

say "make check took $(($(date +%s) - start)) s"
finish
