# Guest scenario (host root, `qemu-run.sh -R`): the soak. bes2600 associated to a WPA2 AP
# carries iperf3 TCP both ways and a ping every 0.2 s for SOAK_S seconds, while a random
# fault of the matrix (tests/qemu/faults.sh) hits every SOAK_FAULT_S seconds or so
# (SOAK_FAULT_S=0: none) and, with SOAK_HOSTILE=N, the chip model mutates N of every 1000
# RX batches (its hostile mode), all drawn from SOAK_SEED. At the end it reports:
# - outages: periods of more than 5 s without a ping answered; a link death is an outage
#   that had not ended by itself when the soak did (its last 30 s bring no fault);
# - recoveries (chip restarts) and what the driver counted, the faults injected, the
#   model's mutations, its violations (must be 0), kmemleak (nothing of ours) and the slab
#   memory before the bench was set up and after the driver was unloaded (the AP's radio,
#   namespace and hostapd stay: a rough figure, the leak verdict is kmemleak's).
# Normally run through `make soak` (scripts/soak.sh), which sets the variables.

LIB_TAG=${LIB_TAG:-soak}
. "$BES2600_TOP/tests/qemu/lib.sh"

SOAK_S=${SOAK_S:-120}
SOAK_FAULT_S=${SOAK_FAULT_S:-20}
SOAK_HOSTILE=${SOAK_HOSTILE:-0}
SOAK_SEED=${SOAK_SEED:-1}

slab_kb() { sed -n 's/^Slab: *\([0-9]*\) kB/\1/p' /proc/meminfo; }
sync
echo 3 >/proc/sys/vm/drop_caches
SLAB0=$(slab_kb)

bes_station_setup recovery_budget=100000
ap_up wpa2
expect_within 20 "the chip model to hear the AP's beacons" model_hears_ap ||
	fail "the chip model hears no beacon from the AP"
sta_connect
soak_phase "$SOAK_S" "$SOAK_FAULT_S" "$SOAK_HOSTILE" "$SOAK_SEED"
RESTARTS=$(dstat restarts)
grep -E '^(restarts|boots|interrupts|bss_lost|data_[a-z_]+|errors\.[a-z_]+) ' "$dbg/stats" |
	tr '\n' ' ' | sed "s/^/$LIB_TAG: driver: /"
echo
bes_teardown
sync
echo 3 >/proc/sys/vm/drop_caches
SLAB1=$(slab_kb)
step "RESULT: ${SOAK_S} s, seed $SOAK_SEED: faults $SOAK_INJECTED, hostile mutations" \
	"$SOAK_MUTATIONS (violations excused while the driver acted on them: $SOAK_EXCUSED)," \
	"chip restarts $RESTARTS, pings answered $SOAK_PINGS, outages over 5 s $SOAK_OUTAGES" \
	"(longest $SOAK_LONGEST s), link deaths $SOAK_DEATHS, violations 0, leaks $LEAKS," \
	"slab ${SLAB0} kB -> ${SLAB1} kB"
[ "$LEAKS" = 0 ] || fail "kmemleak reports leaks of bes2600"
[ "$SOAK_DEATHS" = 0 ] || fail "$SOAK_DEATHS link deaths"
step "PASS"
