# Guest scenario (busybox sh -e): the virtual SDIO host presents the emulated BES2600 to the real
# MMC core, the driver probes it through the SDIO bus, and the chip model's device behaves as
# tests/vsdio/ABI.md says. Needs bes2600_vsdio.ko and bes2600.ko in $BES2600_MODULES (/modules
# in the busybox guest), and only busybox: the model side is printf and dd. The KUnit suites
# of bes2600_vsdio (among them bes2600_vsdio_e2e, which drives CMD52, CMD53, interrupts, faults
# and the timing model through the core) run when it is loaded.
#
#   scripts/qemu-run.sh -k KDIR -s tests/qemu/vsdio-enumerate.sh -l LOG \
#       -m bes2600_vsdio.ko -m bes2600.ko && scripts/check-log.sh LOG

dev=/dev/bes2600-vsdio
stats=/sys/kernel/debug/bes2600_vsdio/stats
mods=${BES2600_MODULES:-/modules}

fail() {
	echo "vsdio-enumerate: FAIL: $*"
	exit 1
}
step() {
	echo "vsdio-enumerate: [$(cut -d' ' -f1 /proc/uptime)] $*"
}

# Polls "$@" every 0.1 s for up to 10 s.
wait_for() {
	i=0
	while ! "$@"; do
		i=$((i + 1))
		[ $i -lt 100 ] || return 1
		sleep 0.1
	done
}

# wait_long COMMAND...: the same for up to 60 s, for an unbind that first stops the driver's
# BH in the middle of a boot attempt or a card reset.
wait_long() {
	i=0
	while ! "$@"; do
		i=$((i + 1))
		[ $i -lt 600 ] || return 1
		sleep 0.1
	done
}

# The SDIO function of the emulated BES2600 (vendor 0xbe57, device 0x2002), if enumerated.
bes_func() {
	for f in /sys/bus/sdio/devices/*; do
		[ -e "$f/vendor" ] || continue
		if [ "$(cat "$f/vendor")" = 0xbe57 ] && [ "$(cat "$f/device")" = 0x2002 ]; then
			echo "$f"
			return 0
		fi
	done
	return 1
}
have_func() { bes_func >/dev/null; }
no_func() { ! bes_func >/dev/null; }
# No MMC card left on the bus (a function, so that each poll lists the bus anew).
no_card() { [ -z "$(ls /sys/bus/mmc/devices)" ]; }

# One counter of the debugfs stats.
stat() { sed -n "s/^$1 //p" "$stats"; }

# printf escapes of a little-endian u32.
le32() {
	printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $((($1 >> 8) & 255)) \
		$((($1 >> 16) & 255)) $((($1 >> 24) & 255))
}

# send KIND ARG0 ARG1 [LEN PAYLOAD_ESCAPES]: one model-to-host message, one write().
send() {
	printf "$(le32 $1)$(le32 $2)$(le32 $3)$(le32 ${4:-0})${5:-}" >"$dev"
}

# recv: the next host-to-model message as "kind arg0 arg1 len" (decimal); blocks until one.
recv() {
	dd if="$dev" bs=65552 count=1 2>/dev/null | od -An -v -tu4 -N16 | tr -s ' \n' '  ' |
		sed 's/^ *//;s/ *$//'
}

# expect KIND ARG0 ARG1 LEN: the next message is exactly that.
expect() {
	got=$(recv)
	[ "$got" = "$*" ] || fail "expected message '$*', got '$got'"
}

# The queue toward the model is empty: a read blocks (and is interrupted by the signal).
expect_empty() {
	if timeout 1 dd if="$dev" bs=65552 count=1 of=/tmp/unexpected 2>/dev/null; then
		fail "unexpected message: $(od -An -tu4 -N16 /tmp/unexpected)"
	fi
}

# expect_seen KIND ARG0 ARG1 LEN: reads messages until that one. Once the driver is bound, its
# own traffic comes first: it boots the chip, and with no chip model answering here, the boot
# fails and is retried while the card comes and goes.
expect_seen() {
	n=0
	while [ $n -lt 4000 ]; do
		got=$(timeout 5 dd if="$dev" bs=65552 count=1 2>/dev/null | od -An -v -tu4 -N16 |
			tr -s ' \n' '  ' | sed 's/^ *//;s/ *$//')
		[ -n "$got" ] || fail "message '$*' not seen (nothing more came)"
		[ "$got" = "$*" ] && return 0
		n=$((n + 1))
	done
	fail "message '$*' not seen in $n messages"
}

# Objects from boot are not ours: only report what appears from here on.
echo clear >/sys/kernel/debug/kmemleak

step "load the virtual host"
insmod $mods/bes2600_vsdio.ko
grep -q '^bes2600_vsdio ' /proc/modules || fail "bes2600_vsdio not loaded"
wait_for have_func || fail "the MMC core did not enumerate the card"
func=$(bes_func)
name=${func##*/}
step "enumerated $name: $(cat "$func/modalias")"
case $name in *:1) ;; *) fail "$name is not function 1" ;; esac
[ "$(cat "$func/class")" = 0x00 ] || fail "class $(cat "$func/class")"
[ "$(cat "$func/modalias")" = sdio:c00vBE57d2002 ] || fail "modalias $(cat "$func/modalias")"
card=${name%:*}
[ "$(cat /sys/bus/mmc/devices/$card/type)" = SDIO ] || fail "card $card is not an SDIO card"
[ -c "$dev" ] || fail "no $dev"
[ "$(stat dropped)" = 0 ] || fail "messages dropped"

step "the model sees the card reset of the enumeration"
expect 5 0 0 0
expect_empty

step "the model's device: one opener, whole messages"
exec 3<"$dev"
if dd if="$dev" bs=65552 count=1 2>/dev/null; then fail "a second open succeeded"; fi
exec 3<&-
# Unknown kind, a host-to-model kind, a length that disagrees, an argument out of range.
if send 0x99 0 0; then fail "unknown kind accepted"; fi
if send 1 0 0; then fail "host-to-model kind accepted"; fi
if send 0x82 0x10c 1 4; then fail "length mismatch accepted"; fi
if send 0x82 0x200 1; then fail "register 0x200 accepted"; fi
if send 0x83 2 0; then fail "IRQ 2 accepted"; fi
# RX_QUEUE register arguments use bits 15..0 (head and idle value); WRITE_DONE takes no arg1.
if send 0x81 0x10000 0; then fail "RX_QUEUE argument above bit 15 accepted"; fi
if send 0x87 1 1; then fail "WRITE_DONE with arg1 accepted"; fi
# An acknowledgement of a write nobody holds is late and changes nothing.
send 0x87 1 0 || fail "WRITE_DONE refused"
send 0x82 0x10c 0x07 || fail "SET_REG refused"
send 0x85 25000000 2000 || fail "TIMING refused"
send 0x85 0 0 || fail "TIMING off refused"
send 0x84 2 0 || fail "FAULT refused"
send 0x83 0 0 || fail "IRQ clear refused"

step "the RX queue holds 256 items"
# One message built once: forks are slow in the guest.
rx_item="$(le32 0x81)$(le32 0)$(le32 1)$(le32 4)\001\002\003\004"
i=0
while [ $i -lt 256 ]; do
	printf "$rx_item" >"$dev" || fail "RX_QUEUE $i refused"
	i=$((i + 1))
done
if printf "$rx_item" >"$dev"; then fail "RX_QUEUE 257 accepted"; fi
expect_empty

step "the bench alone: nothing dropped, no bad access, no write waited in vain"
[ "$(stat dropped)" = 0 ] || fail "messages dropped"
[ "$(stat bad_accesses)" = 0 ] || fail "bad accesses"
[ "$(stat write_timeouts)" = 0 ] || fail "CMD53 writes waited for a model in vain"

step "load the driver"
insmod $mods/bes2600.ko
wait_for test -e "$func/driver" || fail "bes2600 did not bind"
[ "$(basename "$(readlink "$func/driver")")" = bes2600 ] || fail "bound to $(readlink "$func/driver")"
dmesg | grep -q "bes2600 $name: BES2600 be57:2002 function 1 claimed" || fail "no 'claimed' line"
# The driver's probe enabled function 1: a CMD52 write of CCCR IOEx.
expect_seen 6 1 0 0

step "remove the card: the driver unbinds, the card resets"
send 0x86 0 0
wait_long no_func || fail "the card was not removed"
wait_long no_card || fail "the MMC card stayed: $(ls /sys/bus/mmc/devices)"
expect_seen 5 0 0 0
step "insert it again: enumerated, probed, function enabled"
send 0x86 1 0
wait_for have_func || fail "the card was not enumerated again"
func=$(bes_func)
wait_for test -e "$func/driver" || fail "bes2600 did not bind again"
expect_seen 6 1 0 0
[ "$(dmesg | grep -c 'function 1 claimed')" = 2 ] || fail "expected two probes"

step "stats"
cat "$stats"
[ "$(stat dropped)" = 0 ] || fail "messages dropped"

step "unload: host first, then driver"
rmmod bes2600_vsdio
! grep -q '^bes2600_vsdio ' /proc/modules || fail "bes2600_vsdio still loaded"
[ ! -e "$dev" ] || fail "$dev still there"
dmesg | grep -q "bes2600 $name: unbound" || fail "the driver was not unbound"
rmmod bes2600

step "reload, unload: driver first, then host"
insmod $mods/bes2600.ko
insmod $mods/bes2600_vsdio.ko
wait_for have_func || fail "not enumerated after reload"
func=$(bes_func)
wait_for test -e "$func/driver" || fail "bes2600 did not bind after reload"
rmmod bes2600
[ ! -e "$func/driver" ] || fail "still bound after rmmod bes2600"
rmmod bes2600_vsdio
! grep -q '^bes2600' /proc/modules || fail "modules still loaded"

# kmemleak does not report objects younger than 5 s.
sleep 6
echo scan >/sys/kernel/debug/kmemleak
leaks=$(cat /sys/kernel/debug/kmemleak)
[ -z "$leaks" ] || {
	echo "$leaks"
	fail "kmemleak reports leaks"
}
step "PASS"
