#!/usr/bin/env bash
# `make bench`: bes2600's throughput and per-frame cost, side by side with the stack's own
# ceiling, in one qemu boot (tests/qemu/bench.sh). Prints a table and writes the same figures
# as JSON to .bench/result.json (compare two with scripts/bench-compare).
#
#   make bench [PROFILE=bound|pinetab2] [RUN_S=N] [BUS_RATE=B/s] [BUS_OVERHEAD_NS=NS]
#              [PERF="cpu/udp-tx reference/udp-tx ..."]   (profile those runs with perf)
#              [TESTS="tcp-tx udp-tx"]                    (a subset of the four tests)
#              [POWER_SAVE=on|off]                        (both stations; default: cfg80211's)
#
# It boots the bench kernel (scripts/kernel.sh bench: the test kernel's source and options
# without KASAN, lockdep and kmemleak, 1 ms tick, full preemption; built once, then cached):
# under TCG the debug kernel's per-packet cost caps every station at a few hundred packets
# per second. BENCH_SMOKE=1 (make check) runs it for 2 s per run on the debug test kernel
# instead and only asks for numbers; its figures mean nothing.
#
# PROFILE bound (the default) sets the bus to a third of what the driver moved without one,
# so the bus is the bottleneck; pinetab2 models the PineTab2's SDIO host (docs/performance.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

smoke=${BENCH_SMOKE:-0}
profile=${PROFILE:-bound}
case $profile in bound | pinetab2) ;; *) die "PROFILE must be bound or pinetab2, not $profile" ;; esac
out=${BENCH_OUT:-$top/.bench}
mkdir -p "$out"
if [ "$smoke" = 1 ]; then
	tag=bench-smoke kernel=x86_64 seconds=${RUN_S:-2}
else
	tag=bench kernel=bench seconds=${RUN_S:-10}
fi
log=$out/qemu-$tag.log

GUEST_KERNEL=$kernel guest_prepare "$tag"
vars=("BENCH_S=$seconds" "BENCH_PROFILE=$profile")
[ -z "${BUS_RATE:-}" ] || vars+=("BENCH_BUS_RATE=$BUS_RATE")
[ -z "${BUS_OVERHEAD_NS:-}" ] || vars+=("BENCH_BUS_OVERHEAD_NS=$BUS_OVERHEAD_NS")
[ -z "${PERF:-}" ] || vars+=("BENCH_PERF='$PERF'")
[ -z "${TESTS:-}" ] || vars+=("BENCH_TESTS='$TESTS'")
case ${POWER_SAVE:-} in
'') ;;
on | off) vars+=("BENCH_POWER_SAVE=$POWER_SAVE") ;;
*) echo "bench.sh: POWER_SAVE is on or off, not $POWER_SAVE" >&2 && exit 2 ;;
esac
verdict=0
# bench: lines are the scenario's; the ROW and META lines are for the report only.
guest_run bench "$top/tests/qemu/bench.sh" "${BENCH_TIMEOUT:-2400}" "$log" "${vars[@]}" |
	grep -vE '^bench: (ROW|META|perf) ' || verdict=${PIPESTATUS[0]}
# The profiles, if any, in a file of their own.
grep -a '^bench: perf ' "$log" | tr -d '\r' >"$out/perf.txt" || true
[ ! -s "$out/perf.txt" ] || say "perf profiles: $out/perf.txt"
[ -f "$log" ] || die "no guest log"
report=(python3 "$here/bench-report" "$log" "$out/result.json")
[ "$smoke" != 1 ] || report+=(--smoke)
"${report[@]}"
[ "$verdict" = 0 ] || die "the bench scenario failed or the kernel log has splats (log: $log)"
