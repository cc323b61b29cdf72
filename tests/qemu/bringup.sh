# Guest scenario (host root, `qemu-run.sh -R`): the driver brings the emulated chip up, runs
# commands through its BH, and recovers from faults without being unloaded.
#
# - a missing firmware file fails probe with one clear message;
# - with the files present, `insmod bes2600` boots the firmware (calibration image, DPD data,
#   WiFi image), activates WiFi, receives the startup indication and configures the chip
#   (multi-TX confirm, MAC address): debugfs shows all of it;
# - a MIB write-then-read round trip works through the command channel (debugfs `mib`);
# - with the interface down the chip goes to sleep when idle (debugfs `sleeps`,
#   `power_state`), and a command afterwards wakes it and works, with no model violation;
# - transient faults (an interrupt storm, failing CMD53s, timed-out CMD52s) are ridden out
#   without a restart;
# - each fault of the chip model (a dropped command confirm, a silent crash, a crash with
#   exception, a corrupt RX length, a corrupt RX id, a wrong sequence number) is detected,
#   counted by kind, and the chip is reset and booted again; a round trip works afterwards.
#   The time from the fault to a working device is printed per fault;
# - the module unloads cleanly while commands are in flight; the model counts no protocol
#   violation; kmemleak finds nothing.
#
# Needs bes2600_vsdio.ko and bes2600.ko in $BES2600_MODULES and the chip model built in
# $BES2600_TOP (scripts/check.sh does both).

model=$BES2600_TOP/target/release/bes2600-chip-model
stats=/tmp/model.stats
ctl=/tmp/model.ctl
fw=/tmp/bringup-firmware
nofw=/tmp/bringup-no-firmware
fwpath=/sys/module/firmware_class/parameters/path

# Shell builtins only: a fork costs a lot under TCG. /proc/uptime has two decimals.
now_ms() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}0"
}
step() { echo "bringup: [$(now_ms) ms] $*"; }
fail() {
	echo "bringup: FAIL: $*"
	for f in stats firmware config mib; do
		[ -n "${dbg:-}" ] && [ -e "$dbg/$f" ] && sed "s/^/bringup: $f: /" "$dbg/$f"
	done
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
dstat() { sed -n "s/^$1 //p" "$dbg/stats"; }
dconf() { sed -n "s/^$1 //p" "$dbg/$2"; }
# The emulated BES2600's SDIO function in sysfs, once the MMC core enumerated it.
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
# The model rewrites its stats file at most twice a second; ask for a fresh one.
model_stats() {
	rm -f "$stats.old"
	cp "$stats" "$stats.old"
	echo stats >"$ctl"
	sleep 1
}
# mib_round_trip MIB VALUE: writes the MIB through debugfs, reads it back; 0 when they agree.
mib_round_trip() {
	echo "$1 $2" >"$dbg/mib" 2>/dev/null && grep -q " ok " "$dbg/mib"
}

# The firmware files: 16-byte header (entry, parameter, stack, load address), payload with a
# build date for the version scan, 4-byte load address trailer.
python3 - "$fw" <<'PY' || fail "cannot write the firmware files"
import os, random, struct, sys
d = os.path.join(sys.argv[1], "bes2600")
os.makedirs(d, exist_ok=True)
def image(name, load, size, text):
    rnd = random.Random(load ^ size)
    payload = bytes(rnd.getrandbits(8) for _ in range(size)) + text
    with open(os.path.join(d, name), "wb") as f:
        f.write(struct.pack("<4I", load | 1, 0, 0x20080000, load) + payload + struct.pack("<I", load))
image("best2002_fw_boot_sdio.bin", 0x20000000, 6000, b"calibration image Nov 30 2026 10:00:00")
image("best2002_fw_sdio.bin", 0x20000000, 48000, b"bes2600 bring-up test WiFi firmware Nov 30 2026 10:00:00")
PY
mkdir -p "$nofw"
# The driver's KUnit suites run in the kunit scenario; not at each load here.
echo "bes2600_none" >/sys/module/kunit/parameters/filter_glob

# Objects from boot are not ours: only report what appears from here on.
echo clear >/sys/kernel/debug/kmemleak

# The chip: the virtual SDIO host, and the model behind it.
insmod "$BES2600_MODULES/bes2600_vsdio.ko"
wait_for 20 have_func || fail "the MMC core did not enumerate the emulated card"
func=$(bes_func)
name=${func##*/}
step "card enumerated: $name"
"$model" --stats "$stats" --control "$ctl" --hwsim off --calibration auto \
	>/tmp/model.out 2>/tmp/model.err &
model_pid=$!
wait_for 20 test -s "$stats" || fail "the chip model did not start"
step "chip model running"

step "missing firmware: probe fails with one clear message"
printf %s "$nofw" >"$fwpath"
mark=$(dmesg | wc -l)
insmod "$BES2600_MODULES/bes2600.ko"
sleep 1
! bound || fail "bound without firmware"
# The driver's own lines; the firmware loader adds its info line "firmware: failed to load"
# and the driver core its generic "probe with driver ... failed".
errors=$(dmesg | tail -n +"$((mark + 1))" | grep "bes2600 $name:" |
	grep -vE "firmware: failed to load|probe with driver" |
	grep -iE "error|fail|missing|not found" || true)
echo "$errors" | sed 's/^/bringup: log: /'
[ "$(echo "$errors" | grep -c .)" = 1 ] || fail "expected one error line, got: $errors"
echo "$errors" | grep -q "best2002_fw" || fail "the error does not name the file"
rmmod bes2600

step "bring-up"
printf %s "$fw" >"$fwpath"
t0=$(now_ms)
insmod "$BES2600_MODULES/bes2600.ko" recovery_budget=20
wait_for 20 bound || fail "bes2600 did not bind"
dbg=/sys/kernel/debug/bes2600-$name
wait_for 20 test -e "$dbg/stats" || fail "no debugfs directory $dbg"
wait_for 120 running || fail "the link did not come up"
step "link up $(($(now_ms) - t0)) ms after insmod (driver: first_boot_ms $(dstat first_boot_ms))"
for f in stats firmware config; do sed "s/^/bringup: $f: /" "$dbg/$f"; done
[ "$(dstat boots)" = 1 ] || fail "expected one boot"
[ "$(dstat restarts)" = 0 ] || fail "restarted during bring-up"
[ "$(dconf buffers firmware)" -gt 0 ] 2>/dev/null || fail "no startup indication in debugfs"
dconf label firmware | grep -q . || fail "no firmware label"
dconf version firmware | grep -q "Nov 30 2026" || fail "no firmware version"
[ "$(dconf multi_tx_if0 config)" = ok ] || fail "multi-TX confirm on interface 0"
[ "$(dconf multi_tx_if1 config)" = ok ] || fail "multi-TX confirm on interface 1"
dconf mib_check config | grep -q " ok " || fail "the bring-up MIB round trip"
dconf mac config | grep -qE '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' || fail "no MAC address"
[ "$(dstat interrupts)" -gt 0 ] || fail "no interrupt reached the driver"
[ "$(dstat latched_used)" -gt 0 ] || fail "no latched control byte used"

step "MIB round trip through the command channel"
mib_round_trip 0x0007 2347 || fail "MIB round trip"
sed "s/^/bringup: /" "$dbg/mib"
mib_round_trip 0x1003 0x2 || fail "second MIB round trip"

step "chip sleep: no interface is up, so the idle chip sleeps"
asleep() { [ "$(dstat sleeps)" -gt 0 ] && [ "$(dstat power_state)" = asleep ]; }
wait_for 10 asleep || fail "the chip never went to sleep (power_state $(dstat power_state)," \
	"sleeps $(dstat sleeps), sleep_allowed $(dstat sleep_allowed))"
wakes=$(dstat wakes)
mib_round_trip 0x0007 2346 || fail "MIB round trip after the chip slept"
[ "$(dstat wakes)" -gt "$wakes" ] || fail "the command did not wake the chip"
wait_for 10 asleep || fail "the chip did not go back to sleep"
model_stats
[ "$(mstat violations)" = 0 ] || fail "the chip model counted protocol violations around sleep"
[ "$(mstat mcu_sleeps)" -gt 0 ] 2>/dev/null || fail "the chip model never saw the MCU asleep"
step "chip sleep: sleeps $(dstat sleeps), wakes $(dstat wakes), wake latency" \
	"avg $(dstat wake_latency_avg_us) us, max $(dstat wake_latency_max_us) us"

# esum COUNTER...: the sum of the debugfs errors.COUNTERs.
esum() {
	n=0
	for c in "$@"; do n=$((n + $(dstat "errors.$c"))); done
	echo $n
}
# fault NAME SPEC COUNTERS TRIGGER: injects SPEC, triggers it with a command when TRIGGER is
# "command", waits for the restart and a working device, checks that the sum of the
# errors.COUNTERS (space-separated) grew.
fault() {
	fname=$1 spec=$2 counter=$3 trigger=$4
	before=$(dstat restarts)
	# shellcheck disable=SC2086 # the counters are a list
	count=$(esum $counter)
	t0=$(now_ms)
	echo "fault $spec" >"$ctl"
	trigger_pid=
	if [ "$trigger" = command ]; then
		# This command's confirm is what the fault corrupts or drops: it fails.
		(echo "0x0007 100" >"$dbg/mib") 2>/dev/null &
		trigger_pid=$!
	fi
	restarted() { [ "$(dstat restarts)" -gt "$before" ] && running; }
	wait_for 90 restarted || fail "$fname: not recovered"
	mib_round_trip 0x0007 $((before + 500)) || fail "$fname: no working device after recovery"
	t1=$(now_ms)
	[ -z "$trigger_pid" ] || wait "$trigger_pid" || true
	# shellcheck disable=SC2086 # the counters are a list
	[ "$(esum $counter)" -gt "$count" ] || fail "$fname: errors.{$counter} not counted"
	step "recovery $fname: $((t1 - t0)) ms from the fault to a working device" \
		"(driver: failure to link up $(dstat last_recovery_ms) ms; last error: $(dstat last_error))"
}

# survive NAME SPEC COUNTERS: a transient fault the BH rides out without a restart (the
# transfer is retried, the interrupt handler's reads are stale or fail and the BH reads
# itself); the sum of the debugfs COUNTERS grows.
survive() {
	fname=$1 spec=$2
	shift 2
	before=$(dstat restarts)
	count=$(dsum "$@")
	t0=$(now_ms)
	echo "fault $spec" >"$ctl"
	mib_round_trip 0x0007 $((count + 7)) || fail "$fname: the round trip failed"
	[ "$(dstat restarts)" = "$before" ] || fail "$fname: the chip was restarted"
	[ "$(dsum "$@")" -gt "$count" ] || fail "$fname: $* did not grow"
	step "$fname: ridden out in $(($(now_ms) - t0)) ms, no restart ($*: $count -> $(dsum "$@"))"
}
# dsum COUNTER...: the sum of debugfs counters.
dsum() {
	n=0
	for c in "$@"; do n=$((n + $(dstat "$c"))); done
	echo $n
}

step "transient faults"
survive irq-storm "irq-storm:count=50" interrupts
survive bus-error "bus-error:count=3" bus_errors
survive cmd52-timeout "cmd52-timeout:count=2" bus_errors irq_read_errors

step "faults"
fault drop-confirm "drop-confirm:kind=cmd" confirm_timeout command
# A chip that crashed while asleep does not answer the wake doorbell either.
fault crash-silent "crash:mode=silent" "confirm_timeout wake_timeout" command
fault crash-exception "crash:mode=exception" exception none
fault corrupt-rx-len "corrupt-rx-len" bad_batch command
fault corrupt-rx-id "corrupt-rx-id" unexpected_confirm command
fault wrong-seq "wrong-seq" sequence command
sed "s/^/bringup: stats: /" "$dbg/stats"
[ "$(dstat boots)" = 7 ] || fail "expected 7 boots"
[ "$(dconf multi_tx_if1 config)" = ok ] || fail "configuration not restored"

model_stats
[ "$(mstat violations)" = 0 ] || fail "the chip model counted protocol violations"

step "unload while commands are in flight"
(while mib_round_trip 0x0007 1; do :; done) 2>/dev/null &
loop=$!
sleep 1
rmmod bes2600
wait $loop || true
! grep -q '^bes2600 ' /proc/modules || fail "bes2600 still loaded"
! bound || fail "still bound"
[ ! -e "$dbg" ] || fail "debugfs directory left behind"
dmesg | grep -q "bes2600 $name: unbound" || fail "no unbind"

kill -TERM "$model_pid"
wait "$model_pid" || fail "the chip model exited with $?"
sed "s/^/bringup: model: /" "$stats"
[ "$(mstat violations)" = 0 ] || fail "the chip model counted protocol violations"
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
