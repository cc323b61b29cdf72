#!/usr/bin/env bash
# Tests scripts/check-log.sh, the judge of every qemu scenario, on synthetic guest logs: a
# clean run, failed KUnit cases, splats after the scenario started (ours) and during the
# kernel's own boot (not ours: exit 2, so the caller boots once more), the report of a failed
# scenario.
set -uo pipefail
judge=$(cd "$(dirname "$0")/.." && pwd)/scripts/check-log.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# guest_log FILE BOOT_LINE SCENARIO_LINE KUNIT_STATUS EXIT
guest_log() {
	cat >"$1" <<LOG
bes2600-guest: scenario start
bes2600-guest: scenario exit $5
==== bes2600-guest dmesg begin ====
[    0.100000] Linux version 7.3.4-bes2600-test
[    0.200000] $2
[    1.000000] bes2600-guest: scenario start
[    1.100000] KTAP version 1
[    1.100001]     # Subtest: bes2600_example
[    1.100002]     1..2
[    1.100003]     ok 1 first_case
[    1.100004]     $4 2 second_case
[    1.100005] ok 1 bes2600_example
[    1.100006]     # Subtest: other_suite
[    1.100007]     not ok 1 not_ours
[    1.200000] $3
==== bes2600-guest dmesg end ====
LOG
}
# expect NAME WANT_EXIT WANT_LINE: judges the last log, wants its exit status and a line.
expect() {
	local out rc
	out=$("$judge" "$work/log" 2>&1)
	rc=$?
	if [ "$rc" != "$2" ] || ! grep -qxF "$3" <<<"$out"; then
		printf 'FAIL %s: exit %s, want %s and "%s"; output:\n%s\n' "$1" "$rc" "$2" "$3" "$out"
		status=1
	else
		printf 'ok %s\n' "$1"
	fi
}

guest_log "$work/log" "booting" "all quiet" ok 0
expect clean 0 "kunit: 2 passed, 0 failed"
guest_log "$work/log" "booting" "all quiet" "not ok" 0
expect failed-case 1 "kunit: 1 passed, 1 failed"
guest_log "$work/log" "booting" "WARNING: CPU: 1 PID: 42 at bes2600/bh.rs:10" ok 0
expect splat-after-start 1 "splats: 1"
guest_log "$work/log" "BUG: KASAN: wild-memory-access in do_raw_spin_lock" "all quiet" ok 0
expect splat-during-boot 2 "boot-splats: 1"
guest_log "$work/log" "BUG: KASAN: wild-memory-access in do_raw_spin_lock" "all quiet" ok 1
expect boot-splat-and-failed-scenario 1 "scenario: failed"
guest_log "$work/log" "booting" "unreferenced object 0xffff888004f3c000 (size 64):" ok 0
expect kmemleak 1 "splats: 1"
# The test kernel's known hwsim race is shown, not counted; any other hwsim report counts.
guest_log "$work/log" "booting" "BUG: KASAN: slab-use-after-free in mac80211_hwsim_tx_frame_nl+0x75e/0x770 [mac80211_hwsim]" ok 0
expect bench-defect 0 "splats: 0"
expect bench-defect-shown 0 "bench-defect: BUG: KASAN: slab-use-after-free in mac80211_hwsim_tx_frame_nl+0x75e/0x770 [mac80211_hwsim]"
guest_log "$work/log" "booting" "BUG: KASAN: slab-use-after-free in mac80211_hwsim_rx+0x10/0x70 [mac80211_hwsim]" ok 0
expect other-hwsim-splat 1 "splats: 1"
# A failed scenario: its last steps and its FAIL report are shown.
printf '%s\n' "station: [10 ms] == wrong passphrase" "station: [20 ms] waiting up to 90 s" \
	"station: FAIL: no event at all with a wrong passphrase" "station: driver: state running" \
	"bes2600-guest: scenario exit 1" >"$work/log"
expect fail-report 1 "scenario: | station: FAIL: no event at all with a wrong passphrase"
expect fail-steps 1 "scenario: | station: [10 ms] == wrong passphrase"
# A guest that died before dumping its log: every console splat counts.
printf 'bes2600-guest: scenario start\nKernel panic - not syncing: Fatal exception\n' >"$work/log"
expect died 1 "scenario: did not finish"
exit $status
