# Guest scenario (host root, `qemu-run.sh -R`): 50 load/unload cycles of bes2600 on the
# emulated chip. Each load probes the card, resets it (the previous load left its firmware
# running), boots it (calibration image, DPD data, WiFi image), configures it and serves a
# command; every fifth load is unloaded while the BH still boots the chip. Each unload stops
# the BH and removes everything. Afterwards kmemleak must report nothing and the chip model
# no protocol violation.
#
# Needs bes2600_vsdio.ko and bes2600.ko in $BES2600_MODULES and the chip model built in
# $BES2600_TOP (scripts/check.sh does both).

cycles=${BES2600_LOAD_CYCLES:-50}
model=$BES2600_TOP/target/release/bes2600-chip-model
stats=/tmp/model.stats
ctl=/tmp/model.ctl
fw=/tmp/loadcycles-firmware

# Shell builtins only: a fork costs a lot under TCG. /proc/uptime has two decimals.
now_ms() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}0"
}
step() { echo "loadcycles: [$(now_ms) ms] $*"; }
fail() {
	echo "loadcycles: FAIL: $*"
	[ -n "${dbg:-}" ] && [ -e "$dbg/stats" ] && sed 's/^/loadcycles: stats: /' "$dbg/stats"
	cat "$stats" 2>/dev/null
	tail -n 30 /tmp/model.err 2>/dev/null
	exit 1
}
# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds, for at most
# SECONDS of uptime (not of iterations: each one can take a second under TCG).
wait_for() {
	read -r up _ </proc/uptime
	deadline=$((${up%.*} + $1))
	shift
	while ! "$@"; do
		read -r up _ </proc/uptime
		[ "${up%.*}" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}
mstat() { sed -n "s/^$1 //p" "$stats"; }
dstat() { sed -n "s/^$1 //p" "$dbg/stats" 2>/dev/null; }
bes_func() {
	for f in /sys/bus/sdio/devices/*; do
		[ "$(cat "$f/vendor" 2>/dev/null)" = 0xbe57 ] && [ "$(cat "$f/device")" = 0x2002 ] &&
			echo "$f" && return 0
	done
	return 1
}
have_func() { bes_func >/dev/null; }
bound() { [ -e "$func/driver" ]; }
running() { [ "$(dstat state)" = running ]; }

python3 - "$fw" <<'PY' || fail "cannot write the firmware files"
import os, random, struct, sys
d = os.path.join(sys.argv[1], "bes2600")
os.makedirs(d, exist_ok=True)
def image(name, load, size, text):
    rnd = random.Random(load ^ size)
    payload = bytes(rnd.getrandbits(8) for _ in range(size)) + text
    with open(os.path.join(d, name), "wb") as f:
        f.write(struct.pack("<4I", load | 1, 0, 0x20080000, load) + payload + struct.pack("<I", load))
image("best2002_fw_boot_sdio.bin", 0x20000000, 2000, b"calibration image Nov 30 2026 10:00:00")
image("best2002_fw_sdio.bin", 0x20000000, 8000, b"bes2600 load-cycle test firmware Nov 30 2026 10:00:00")
PY
printf %s "$fw" >/sys/module/firmware_class/parameters/path
# The driver's KUnit suites run in the kunit scenario; not at each of these loads.
echo "bes2600_none" >/sys/module/kunit/parameters/filter_glob

insmod "$BES2600_MODULES/bes2600_vsdio.ko"
wait_for 20 have_func || fail "the MMC core did not enumerate the emulated card"
func=$(bes_func)
name=${func##*/}
dbg=/sys/kernel/debug/bes2600-$name
"$model" --stats "$stats" --control "$ctl" --hwsim off --calibration auto \
	>/tmp/model.out 2>/tmp/model.err &
model_pid=$!
wait_for 20 test -s "$stats" || fail "the chip model did not start"

# Objects allocated before the first load are not ours.
echo clear >/sys/kernel/debug/kmemleak

step "$cycles load/unload cycles"
start=$(now_ms)
slowest=0
i=1
while [ $i -le "$cycles" ]; do
	t0=$(now_ms)
	insmod "$BES2600_MODULES/bes2600.ko"
	if [ $((i % 5)) = 0 ]; then
		# Unbound at once (a shell builtin: no exec delay), while the BH boots the chip; the
		# next load starts from a reset anyway.
		echo "$name" >/sys/bus/sdio/drivers/bes2600/unbind
	else
		wait_for 30 running || fail "cycle $i: the link did not come up"
		echo "0x0007 $i" >"$dbg/mib" || fail "cycle $i: MIB round trip"
		[ "$(dstat restarts)" = 0 ] || fail "cycle $i: restarted"
	fi
	rmmod bes2600
	! bound || fail "cycle $i: still bound"
	[ ! -e "$dbg" ] || fail "cycle $i: debugfs directory left behind"
	took=$(($(now_ms) - t0))
	[ "$took" -le "$slowest" ] || slowest=$took
	[ $((i % 10)) != 0 ] || step "cycle $i: $took ms"
	i=$((i + 1))
done
step "$cycles cycles in $(($(now_ms) - start)) ms, slowest $slowest ms"
ups=$(dmesg | grep -c "bes2600 $name: link up" || true)
step "$((cycles - ups)) of $((cycles / 5)) early unbinds stopped the BH before the link was up"

echo stats >"$ctl"
sleep 1
kill -TERM "$model_pid"
wait "$model_pid" || fail "the chip model exited with $?"
sed 's/^/loadcycles: model: /' "$stats"
[ "$(mstat violations)" = 0 ] || fail "the chip model counted protocol violations"
[ "$(mstat card_resets)" -ge "$cycles" ] || fail "expected a card reset per cycle"
rmmod bes2600_vsdio

# kmemleak does not report objects younger than 5 s.
sleep 6
echo scan >/sys/kernel/debug/kmemleak
leaks=$(cat /sys/kernel/debug/kmemleak)
[ -z "$leaks" ] || {
	echo "$leaks"
	fail "kmemleak reports leaks"
}
step "PASS"
