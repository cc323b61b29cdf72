# Guest scenario (host root, `qemu-run.sh -R`): the whole test bench in one boot.
#
# - the virtual SDIO host presents the emulated BES2600 and the real MMC core enumerates it;
# - the chip model plays the chip behind it and is the wireless medium of mac80211_hwsim;
# - hostapd beacons on an hwsim radio and the model hears the beacons;
# - the driver's boot-ROM download (bes2600/fwio/boot_rom.rs, through the boot test driver) runs
#   through the project's SDIO abstraction, the MMC core and the virtual host, and the model
#   verifies every frame and the image's CRC;
# - the model counts no protocol violation.
#
# Needs bes2600_vsdio.ko and bes2600_boot_test.ko in $BES2600_MODULES and the chip model built
# in $BES2600_TOP (scripts/check.sh does both).

model=$BES2600_TOP/target/release/bes2600-chip-model
stats=/tmp/model.stats
ctl=/tmp/model.ctl

step() { echo "testbench: $*"; }
fail() {
	echo "testbench: FAIL: $*"
	cat "$stats" 2>/dev/null
	tail -n 20 /tmp/model.err 2>/dev/null
	exit 1
}
# Polls "$@" every 0.1 s for up to 20 s.
wait_for() {
	i=0
	while ! "$@"; do
		i=$((i + 1))
		[ $i -lt 200 ] || return 1
		sleep 0.1
	done
}
stat() { sed -n "s/^$1 //p" "$stats"; }
# The emulated BES2600's SDIO function in sysfs, once the MMC core enumerated it.
bes_func() {
	for f in /sys/bus/sdio/devices/*; do
		[ "$(cat "$f/vendor" 2>/dev/null)" = 0xbe57 ] && [ "$(cat "$f/device")" = 0x2002 ] &&
			echo "$f" && return 0
	done
	return 1
}
have_func() { bes_func >/dev/null; }

# The air: one hwsim radio for the access point.
insmod "$KDIR/drivers/net/wireless/virtual/mac80211_hwsim.ko" radios=1
ap_if=$(ls /sys/class/ieee80211/phy0/device/net | head -n1)
[ -n "$ap_if" ] || fail "the hwsim radio has no interface"

# The chip: the virtual SDIO host, and the model behind it and on the air.
insmod "$BES2600_MODULES/bes2600_vsdio.ko"
wait_for have_func || fail "the MMC core did not enumerate the emulated card"
func=$(bes_func)
step "card enumerated: $func (vendor $(cat "$func/vendor"), device $(cat "$func/device"))"
"$model" --stats "$stats" --control "$ctl" --hwsim on --calibration off \
	>/tmp/model.out 2>/tmp/model.err &
model_pid=$!
wait_for test -s "$stats" || fail "the chip model did not start"
step "chip model running"

cat >/tmp/hostapd.conf <<CONF
interface=$ap_if
driver=nl80211
ssid=bes2600-testbench
hw_mode=g
channel=6
CONF
hostapd -B -P /tmp/hostapd.pid /tmp/hostapd.conf >/tmp/hostapd.log 2>&1 || { cat /tmp/hostapd.log; fail "hostapd"; }
beacons_heard() {
	echo stats >"$ctl"
	[ "$(stat medium.beacons)" -gt 0 ] 2>/dev/null
}
wait_for beacons_heard || fail "the chip model heard no beacon"
step "hostapd beaconing, the chip model heard $(stat medium.beacons) beacons"

# The boot download runs in probe, so it is over when insmod returns.
insmod "$BES2600_MODULES/bes2600_boot_test.ko"
dmesg | grep "sdio-boot:" || true
dmesg | grep -q "sdio-boot: download complete: 41083 bytes" || fail "the download did not complete"
readlink "$func/driver" | grep -q bes2600_boot_test || fail "the test driver is not bound"
step "boot download through the driver's boot code completed"

rmmod bes2600_boot_test
kill "$(cat /tmp/hostapd.pid)"
kill -TERM "$model_pid"
wait "$model_pid" || fail "the chip model exited with $?"
cat "$stats"
[ "$(stat violations)" = 0 ] || fail "the chip model counted protocol violations"
[ "$(stat boot_downloads)" -ge 1 ] || fail "the chip model verified no download"
rmmod bes2600_vsdio
rmmod mac80211_hwsim
step "ok: card enumerated, model on the air, beacons heard, image verified, no violation"
