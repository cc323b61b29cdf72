#!/usr/bin/env bash
# Tests scripts/hw-test.sh without hardware: it refuses to run when the driver is not loaded,
# not bound or not associated (a stand-in /sys through BES2600_HW_TEST_SYSFS), and its
# statistics and table (--parse-only) come out right for hand-made results with known answers
# and for a real iperf3 -R -J result recorded over loopback. The hand-made files below are
# test input with round numbers, not measurements.
#
# Usage: tests/hw-test-selftest.sh
# Needs: python3; iperf3 for the loopback part (skipped without it).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
hw=$top/scripts/hw-test.sh

t=$(mktemp -d "${TMPDIR:-/tmp}/bes2600-hw-selftest.XXXXXX")
server_pid=
cleanup() {
	[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
	rm -rf "$t"
}
trap cleanup EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1"; sed 's/^/     | /' "$t/out" || true; }

# expect NAME RC PATTERN -- COMMAND...: runs COMMAND (output in $t/out), checks its exit code
# and that the output matches the extended regex PATTERN.
expect() {
	local name=$1 want=$2 pattern=$3 rc=0
	shift 4
	"$@" >"$t/out" 2>&1 || rc=$?
	if [ "$rc" != "$want" ]; then
		printf 'exit code %s, expected %s\n' "$rc" "$want" >>"$t/out"
		bad "$name"
	elif [ -n "$pattern" ] && ! grep -Eq -- "$pattern" "$t/out"; then
		printf 'output lacks: %s\n' "$pattern" >>"$t/out"
		bad "$name"
	else
		ok "$name"
	fi
}

# --- Refusals -------------------------------------------------------------------------
expect "no server: usage" 2 "Usage" -- "$hw"
expect "bad run count: usage" 2 "Usage" -- "$hw" -s 192.0.2.1 -n 0
mkdir -p "$t/sys-empty"
expect "module not loaded: refused" 1 "bes2600 module is not loaded" -- \
	env BES2600_HW_TEST_SYSFS="$t/sys-empty" "$hw" -s 192.0.2.1
if [ ! -d /sys/module/bes2600 ]; then
	expect "module not loaded (real /sys): refused" 1 "not loaded" -- "$hw" -s 192.0.2.1
fi
mkdir -p "$t/sys-mod/module/bes2600" "$t/sys-mod/class/net/eth0/device"
expect "loaded but no interface bound: refused" 1 "no network interface is bound to bes2600" -- \
	env BES2600_HW_TEST_SYSFS="$t/sys-mod" "$hw" -s 192.0.2.1
mkdir -p "$t/sys-bound/module/bes2600" "$t/sys-bound/bus/sdio/drivers/bes2600" \
	"$t/sys-bound/class/net/bes2600test0/device"
ln -s "$t/sys-bound/bus/sdio/drivers/bes2600" "$t/sys-bound/class/net/bes2600test0/device/driver"
expect "bound but not associated: refused" 1 "bes2600test0 is not associated" -- \
	env BES2600_HW_TEST_SYSFS="$t/sys-bound" "$hw" -s 192.0.2.1
expect "parse-only without results: refused" 1 "no results" -- "$hw" --parse-only "$t/sys-empty"

# --- Statistics and table from hand-made results ----------------------------------------
# intervals BYTES... : iperf3 -J intervals of one second each.
intervals() {
	local first=1 b
	printf '"intervals": ['
	for b in "$@"; do
		[ "$first" = 1 ] || printf ','
		first=0
		printf '{"streams": [], "sum": {"bytes": %s, "seconds": 1.0}}' "$b"
	done
	printf ']'
}
# result FILE DURATION RECEIVED [ERROR] -- BYTES...: one iperf3 -R -J result.
result() {
	local file=$1 duration=$2 received=$3 error=$4
	shift 5
	{
		printf '{"start": {"test_start": {"protocol": "TCP", "duration": %s, "reverse": 1}},\n' "$duration"
		intervals "$@"
		printf ',\n"end": {"sum_received": {"bytes": %s, "seconds": %s}}' "$received" "$duration"
		[ -z "$error" ] || printf ',\n"error": "%s"' "$error"
		printf '}\n'
	} >"$file"
}
r=$t/results
mkdir -p "$r"
printf 'runs=3\nseconds=10\nrate=32M\ndeath=5\nreload=yes\nkernel=selftest\ndriver=selftest\nfirmware=selftest\n' >"$r/meta"
# Run 1: 4 MB every second; a 3-second gap is not a death.
result "$r/run1.json" 10 40000000 "" -- 4000000 4000000 4000000 4000000 4000000 4000000 4000000 4000000 4000000 4000000
# Run 2: 6 seconds without traffic in the middle: one death.
result "$r/run2.json" 10 16000000 "" -- 4000000 4000000 0 0 0 0 0 0 4000000 4000000
# Run 3: the connection died after 5 s: one death (the 5 s left), and the run failed.
result "$r/run3.json" 10 10000000 "error - control socket has closed unexpectedly" -- 2000000 2000000 2000000 2000000 2000000
printf 'state running\nboots 1\nrestarts 0\nrx_frames 10\nbus_errors 0\n' >"$r/run1.stats.before"
printf 'state running\nboots 1\nrestarts 0\nrx_frames 31000\nbus_errors 0\n' >"$r/run1.stats.after"
printf 'state running\nrestarts 0\n' >"$r/run2.stats.before"
printf 'state backoff\nrestarts 2\n' >"$r/run2.stats.after"
printf '[  12.000000] bes2600 mmc1:0001:1: firmware booted\n' >"$r/run1.dmesg"
printf '[  40.000000] WARNING: CPU: 1 PID: 77 at selftest.c:1 selftest_warning\n[  40.000001] Call Trace:\n' >"$r/run2.dmesg"

expect "table: failed run makes exit 1" 1 "" -- "$hw" --parse-only "$r"
cp "$t/out" "$t/table"
has() {
	local name=$1 pattern=$2
	if grep -Eq -- "$pattern" "$t/table"; then ok "$name"; else
		printf 'table lacks: %s\n' "$pattern" >"$t/out"
		cat "$t/table" >>"$t/out"
		bad "$name"
	fi
}
has "table: heading with the settings" '^bes2600 hardware test: 3 x 10 s of iperf3 -R -b 32M'
has "table: Markdown header" '^\| measure \| run 1 \| run 2 \| run 3 \| all runs \|$'
has "table: MB/s per run, mean, median, min" '^\| received MB/s \| 4\.00 \| 1\.60 \| 1\.00 \| mean 2\.20, median 1\.60, min 1\.00 \|$'
has "table: link deaths per run and in total" '^\| link deaths \(no traffic for 5 s or more\) \| 0 \| 1 \| 1 \| 2 \|$'
has "table: seconds without traffic" '^\| seconds without traffic in them \| 0 \| 6 \| 5 \| 11 \|$'
has "table: kernel warnings" '^\| kernel warnings \(WARN/BUG/Oops lines\) \| 0 \| 1 \| 0 \| 1 \|$'
has "table: counters before and after" '^\| debugfs restarts \| 0 → 0 \| 0 → 2 \| - \| \|$'
has "table: counter values" '^\| debugfs rx_frames \| 10 → 31000 \| - \| - \| \|$'
has "table: the failure is quoted" '^run 3: error - control socket has closed unexpectedly$'
has "table: the warning is quoted" '^run 2: \[  40\.000000\] WARNING: CPU: 1'

rm -f "$r"/run3.*
sed -i 's/^runs=3/runs=2/' "$r/meta"
expect "table: all runs completed makes exit 0" 0 '^\| received MB/s \| 4\.00 \| 1\.60 \| mean 2\.80, median 2\.80, min 1\.60 \|$' -- \
	"$hw" --parse-only "$r"
printf 'not json' >"$r/run2.json"
expect "table: unreadable iperf3 result is a failed run" 1 '^run 2: no iperf3 result' -- "$hw" --parse-only "$r"

# --- A real iperf3 -R -J result over loopback ----------------------------------------
if command -v iperf3 >/dev/null; then
	port=$((20000 + $$ % 20000))
	iperf3 -s -1 -B 127.0.0.1 -p "$port" >"$t/server.log" 2>&1 &
	server_pid=$!
	l=$t/loopback
	mkdir -p "$l"
	printf 'runs=1\nseconds=3\nrate=32M\ndeath=5\nreload=no\n' >"$l/meta"
	# The server may take seconds to listen on a loaded machine (seen under a running qemu).
	for _ in $(seq 40); do
		if iperf3 -c 127.0.0.1 -p "$port" -R -b 32M -t 3 -i 1 -J >"$l/run1.json" 2>/dev/null; then break; fi
		sleep 0.5
	done
	# 32 Mbit/s is 4 MB/s; the pacing of iperf3 keeps it within a few percent.
	expect "loopback iperf3 JSON: about 4 MB/s, no death" 0 \
		'^\| received MB/s \| (3\.[5-9][0-9]|4\.[01][0-9]) \| mean .*\|$' -- "$hw" --parse-only "$l"
	if grep -q '^| link deaths (no traffic for 5 s or more) | 0 | 0 |$' "$t/out"; then
		ok "loopback: no link death"
	else
		bad "loopback: no link death"
	fi
else
	printf 'skip loopback iperf3 check: iperf3 not installed\n'
fi

printf 'hw-test-selftest: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
