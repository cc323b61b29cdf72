# Guest scenario (host root, `qemu-run.sh -R`): the whole test bench in one boot.
#
# - the virtual SDIO host presents the emulated BES2600 and the real MMC core enumerates it;
# - the chip model plays the chip behind it and is the wireless medium of mac80211_hwsim;
# - hostapd beacons on an hwsim radio and the model hears the beacons;
# - the driver's firmware boot (bes2600/fwio, run by the boot test driver from a kernel thread
#   woken by the SDIO interrupt) goes through the project's SDIO abstraction, the MMC core and
#   the virtual host: with the firmware files missing the probe fails with one message; with
#   synthetic files (tests/chip-model/tools/make_firmware.rs) loaded by request_firmware from
#   firmware_class.path, the first boot runs the calibration image, reads the 0x3B14-byte DPD
#   data in block mode and caches it, then runs the WiFi image; after a card reset the second
#   boot of the same binding downloads the cached DPD data instead of calibrating; the model
#   verifies every frame, the CRCs and which image runs;
# - the model counts no protocol violation.
#
# Needs bes2600_vsdio.ko and bes2600_boot_test.ko in $BES2600_MODULES and the chip model (both
# binaries of its package) built in $BES2600_TOP (scripts/check.sh does both).

model=$BES2600_TOP/target/release/bes2600-chip-model
make_firmware=$BES2600_TOP/target/release/bes2600-make-firmware
stats=/tmp/model.stats
ctl=/tmp/model.ctl
fw=/tmp/bes2600-firmware
nofw=/tmp/bes2600-no-firmware
fw_path=/sys/module/firmware_class/parameters/path
cal_image=$fw/bes2600/best2002_fw_boot_sdio.bin
wifi_image=$fw/bes2600/best2002_fw_sdio.bin

step() { echo "testbench: $*"; }
fail() {
	echo "testbench: FAIL: $*"
	cat "$stats" 2>/dev/null
	tail -n 20 /tmp/model.err 2>/dev/null
	exit 1
}
# Polls "$@" every 0.1 s for up to 20 s (up to $WAIT_S s when set).
wait_for() {
	i=0
	while ! "$@"; do
		i=$((i + 1))
		[ $i -lt $((${WAIT_S:-20} * 10)) ] || return 1
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

# The firmware: synthetic images and a factory file, where the firmware loader is pointed at.
[ -w "$fw_path" ] || fail "the kernel has no firmware_class.path parameter"
"$make_firmware" "$fw" || fail "the synthetic firmware was not written"
mkdir -p "$nofw"

# The air: one hwsim radio for the access point.
insmod "$KDIR/drivers/net/wireless/virtual/mac80211_hwsim.ko" radios=1
ap_if=$(ls /sys/class/ieee80211/phy0/device/net | head -n1)
[ -n "$ap_if" ] || fail "the hwsim radio has no interface"

# The chip: the virtual SDIO host, and the model behind it and on the air.
insmod "$BES2600_MODULES/bes2600_vsdio.ko"
wait_for have_func || fail "the MMC core did not enumerate the emulated card"
func=$(bes_func)
step "card enumerated: $func (vendor $(cat "$func/vendor"), device $(cat "$func/device"))"
"$model" --stats "$stats" --control "$ctl" --hwsim on --calibration auto \
	--cal-fw "$cal_image" --wifi-fw "$wifi_image" >/tmp/model.out 2>/tmp/model.err &
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

# A missing firmware file fails the probe at once, with one message naming the file.
printf %s "$nofw" >"$fw_path"
insmod "$BES2600_MODULES/bes2600_boot_test.ko"
missing="firmware file bes2600/best2002_fw_boot_sdio.bin not found"
dmesg | grep "$missing" || fail "no message about the missing firmware file"
[ "$(dmesg | grep -c "$missing")" = 1 ] || fail "the missing file was reported more than once"
readlink "$func/driver" >/dev/null && fail "the test driver bound without firmware"
rmmod bes2600_boot_test
step "missing firmware: probe failed with one message"

# With the files: two boots in one binding, the second after a card reset, from the cache.
printf %s "$fw" >"$fw_path"
insmod "$BES2600_MODULES/bes2600_boot_test.ko"
readlink "$func/driver" | grep -q bes2600_boot_test || fail "the test driver is not bound"
booted() { dmesg | grep -q "sdio-boot: boot 2 done" || dmesg | grep -q "sdio-boot: .*failed"; }
WAIT_S=120 wait_for booted || fail "the boots did not end"
dmesg | grep "sdio-boot:" || true
dmesg | grep -q "sdio-boot: boot 1 done: factory data, calibration image [0-9]* bytes, DPD data read (30 blocks) and cached (version 7), WiFi image [0-9]* bytes at 0x20000000 \"BES2600 synthetic WiFi firmware 2.0 Jul 22 2025 12:00:00\"" ||
	fail "the first boot did not calibrate, read and cache the DPD data and run the WiFi image"
dmesg | grep -q "sdio-boot: boot 2 done: factory data, cached DPD data (version 7), WiFi image" ||
	fail "the second boot did not use the cached DPD data"
echo stats >"$ctl"
sleep 1
[ "$(stat calibration_runs)" = 1 ] || fail "the calibration image ran $(stat calibration_runs) times"
[ "$(stat firmware_runs)" = 2 ] || fail "the WiFi image ran $(stat firmware_runs) times"
[ "$(grep -c 'download of 15124 bytes at 0x2008c000 verified' /tmp/model.err)" = 1 ] ||
	fail "the cached DPD data was not downloaded once"
[ "$(grep -c 'download of 72 bytes at 0x2008b000 verified' /tmp/model.err)" = 2 ] ||
	fail "the factory data was not downloaded in each boot"
[ "$(stat violations)" = 0 ] || fail "the chip model counted protocol violations"
step "firmware boot: calibration, DPD read and cached, WiFi image; after a reset the cached DPD"

rmmod bes2600_boot_test
kill "$(cat /tmp/hostapd.pid)"
kill -TERM "$model_pid"
wait "$model_pid" || fail "the chip model exited with $?"
cat "$stats"
[ "$(stat violations)" = 0 ] || fail "the chip model counted protocol violations"
[ "$(stat boot_downloads)" -ge 6 ] || fail "the chip model verified too few downloads"
rmmod bes2600_vsdio
rmmod mac80211_hwsim
step "ok: card enumerated, model on the air, beacons heard, firmware booted twice, no violation"
