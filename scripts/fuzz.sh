#!/usr/bin/env bash
# Fuzzes every cargo-fuzz target of the protocol core for a fixed time each.
#
#   scripts/fuzz.sh [seconds-per-target]     (default 30)
#
# Prints one line per target, "fuzz: <target>: <N> executions, <R> exec/s, cov <C>,
# ok|CRASH", then a summary line, and exits non-zero if any target crashed (the crashing input is kept under
# bes2600/protocol/fuzz/artifacts/<target>/).
#
# Works on the stable toolchain: RUSTC_BOOTSTRAP=1 lets stable rustc accept the
# -Z flags cargo-fuzz passes. AddressSanitizer is used when the toolchain ships
# its runtime; otherwise the targets are built without a sanitizer (-s none),
# which still catches every panic (bounds, overflow, assertion) since the code
# under test has no unsafe. cargo-fuzz is installed if missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
fuzzdir=$top/bes2600/protocol

secs=${1:-30}
case "$secs" in
'' | *[!0-9]*) echo "usage: $0 [seconds-per-target]" >&2; exit 2 ;;
esac

say() { printf 'fuzz.sh: %s\n' "$*" >&2; }

if ! cargo fuzz --version >/dev/null 2>&1; then
	say "installing cargo-fuzz"
	cargo install --quiet --locked cargo-fuzz
fi

export RUSTC_BOOTSTRAP=1
cd "$fuzzdir"

# Largest input per target: batches need room for several 512-byte units.
max_len() {
	case "$1" in
	rx_batch) echo 20000 ;;
	chip_side) echo 27000 ;;
	*) echo 4096 ;;
	esac
}

sanitizer=address
if ! cargo fuzz build -s "$sanitizer" >/tmp/fuzz-build.$$.log 2>&1; then
	say "build with AddressSanitizer failed (see below); retrying with -s none"
	tail -n 5 /tmp/fuzz-build.$$.log >&2
	sanitizer=none
	if ! cargo fuzz build -s "$sanitizer" >/tmp/fuzz-build.$$.log 2>&1; then
		cat /tmp/fuzz-build.$$.log >&2
		rm -f /tmp/fuzz-build.$$.log
		say "build failed"
		exit 1
	fi
fi
rm -f /tmp/fuzz-build.$$.log
say "sanitizer: $sanitizer, ${secs}s per target"

failed=()
targets=0
for target in $(cargo fuzz list); do
	log=$(mktemp)
	rc=0
	cargo fuzz run -s "$sanitizer" "$target" -- \
		-max_total_time="$secs" -max_len="$(max_len "$target")" \
		-print_final_stats=1 -rss_limit_mb=2048 >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n1 | awk '{print $2}')
	if [ "$rc" -ne 0 ]; then
		result="CRASH (exit $rc)"
		failed+=("$target")
		grep -E 'panicked|ERROR: (libFuzzer|AddressSanitizer)|Test unit written|SUMMARY' "$log" | head -n 8 >&2 || true
	else
		result=ok
	fi
	printf 'fuzz: %s: %s executions, %s exec/s, cov %s, %s\n' \
		"$target" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$result"
	targets=$((targets + 1))
	rm -f "$log"
done
printf 'fuzz: %d targets, %d crashed (sanitizer %s, %ss each)\n' \
	"$targets" "${#failed[@]}" "$sanitizer" "$secs"

if [ "${#failed[@]}" -gt 0 ]; then
	say "crashed: ${failed[*]} (inputs under $fuzzdir/fuzz/artifacts/)"
	exit 1
fi
