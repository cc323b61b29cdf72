#!/usr/bin/env bash
# `make soak`: the long runs of the fault and robustness work, on the emulated chip.
#
#   make soak [DURATION=MIN] [FAULT_S=S] [HOSTILE=N] [SEED=S]
#       bes2600 associated (WPA2), iperf3 both ways and a ping every 0.2 s for MIN minutes
#       (default 2); a random fault of the matrix every ~S s (default 20; 0: none); with
#       HOSTILE=N the chip model mutates N of every 1000 RX batches (its hostile mode), all
#       drawn from seed S (default 1). Reports outages, link deaths (outages that did not end
#       by themselves within 60 s), chip restarts, mutations, the model's violations,
#       kmemleak and slab memory before and after (tests/qemu/soak.sh).
#   make soak CYCLES=N
#       N load/unload cycles of bes2600 on the emulated chip, every fifth one unloaded while
#       the chip boots; kmemleak and the model's violations (tests/qemu/loadcycles.sh).
#
# The hostile chip alone: make soak DURATION=30 FAULT_S=0 HOSTILE=20 SEED=7
# Logs and verdicts go to $BES2600_CACHE/soak/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

out=$BES2600_CACHE/soak
guest_prepare soak
if [ -n "${CYCLES:-}" ]; then
	[ "$CYCLES" -gt 0 ] 2>/dev/null || die "CYCLES must be a positive number"
	# Under TCG with KASAN a cycle takes about 10 s.
	guest_run loadcycles "$top/tests/qemu/loadcycles.sh" $((600 + CYCLES * 30)) \
		"$out/loadcycles-$CYCLES.log" "BES2600_LOAD_CYCLES=$CYCLES"
	exit
fi
minutes=${DURATION:-2}
[ "$minutes" -gt 0 ] 2>/dev/null || die "DURATION is in whole minutes"
guest_run soak "$top/tests/qemu/soak.sh" $((900 + minutes * 90)) "$out/soak-${minutes}min-seed${SEED:-1}.log" \
	"SOAK_S=$((minutes * 60))" "SOAK_FAULT_S=${FAULT_S:-20}" "SOAK_HOSTILE=${HOSTILE:-0}" "SOAK_SEED=${SEED:-1}"
