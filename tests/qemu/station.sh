# Guest scenario (host root, `qemu-run.sh -R`): bes2600 as a WiFi station, end to end.
#
# The chip model plays the chip behind the virtual SDIO host and is the medium of
# mac80211_hwsim; the AP (an hwsim radio, hostapd, the iperf3 server) lives in netns `ap`, so
# every ping and iperf3 byte crosses the emulated air through the driver. Steps (shared with
# tests/qemu/reference-station.sh, see station_scenarios in tests/qemu/lib.sh): bes2600 binds,
# boots the chip and registers wlan0; scan; open network; WPA2-PSK with `iw dev wlan0 link`
# and `station dump`, ping both ways, iperf3 TCP both ways for 10 s each with the model's air
# and SDIO counters covering the bytes; disconnect and reconnect; the AP vanishing (BSS lost)
# and returning; a wrong passphrase; WPA3-SAE with PMF required; 5 GHz on channel 36. Then the
# module is unloaded while iperf3 runs: no splat (scripts/check-log.sh), no leak of ours
# (kmemleak), no protocol violation counted by the model.
#
#   K=$(scripts/kernel.sh x86_64)
#   make KDIR=$K BES2600_TEST_MODULES=y modules
#   cargo build --release -p bes2600-chip-model
#   scripts/qemu-run.sh -R -t 1200 -k "$K" -s tests/qemu/station.sh -l /tmp/station.log \
#       -m bes2600_vsdio.ko -m bes2600.ko -m "$K"/drivers/net/wireless/virtual/mac80211_hwsim.ko
#   scripts/check-log.sh /tmp/station.log
#
# The firmware is synthetic (bes2600-make-firmware, as in tests/qemu/testbench.sh), written in
# the guest: qemu-run's -f only reaches the initramfs guest. With DEMO=1 (tests/qemu/demo.sh)
# it runs the short demo instead of every scenario.

LIB_TAG=${LIB_TAG:-station}
. "$BES2600_TOP/tests/qemu/lib.sh"

fw=/tmp/station-firmware
fw_path=/sys/module/firmware_class/parameters/path
MODEL_SDIO=1

for tool in iw ip hostapd hostapd_cli wpa_supplicant wpa_cli iperf3; do
	command -v "$tool" >/dev/null || fail "$tool is not installed on the host (the guest runs the host's)"
done
for m in bes2600_vsdio bes2600; do
	[ -f "$BES2600_MODULES/$m.ko" ] || fail "no $m.ko: pass it with qemu-run.sh -m"
done
# Variants on other supplicants, only where the host has them.
for alt in iwd NetworkManager; do
	command -v "$alt" >/dev/null && step "note: $alt is installed but has no variant here yet"
done

dstat() { sed -n "s/^$1 //p" "$dbg/stats" 2>/dev/null; }
bound() { [ -e "$func/driver" ]; }
running() { [ "$(dstat state)" = running ]; }
lib_on_fail() {
	[ -n "${dbg:-}" ] && [ -e "$dbg/stats" ] && sed "s/^/$LIB_TAG: driver: /" "$dbg/stats"
	dmesg | grep -E 'bes2600(_vsdio)? |bes2600:' | tail -n 20 | sed "s/^/$LIB_TAG: dmesg: /"
}

# The firmware files and where the loader looks for them.
[ -x "$MAKE_FIRMWARE" ] || fail "no $MAKE_FIRMWARE (cargo build --release -p bes2600-chip-model)"
"$MAKE_FIRMWARE" "$fw" >/dev/null || fail "the synthetic firmware was not written"
printf %s "$fw" >"$fw_path"
# The driver's KUnit suites run in the kunit scenario; not at each load here.
echo "bes2600_none" >/sys/module/kunit/parameters/filter_glob
# Objects from boot are not ours.
echo clear >/sys/kernel/debug/kmemleak

# The air: one hwsim radio for the AP. Then the chip: the virtual SDIO host, and the model
# behind it and on the air.
hwsim_load 1
ap_phy=$HWSIM_PHYS
insmod "$BES2600_MODULES/bes2600_vsdio.ko" || fail "insmod bes2600_vsdio"
expect_within 20 "the MMC core to enumerate the emulated card" have_func ||
	fail "the MMC core did not enumerate the emulated card"
func=$(bes_func)
name=${func##*/}
dbg=/sys/kernel/debug/bes2600-$name
model_start --hwsim on --calibration auto \
	--cal-fw "$fw/bes2600/best2002_fw_boot_sdio.bin" --wifi-fw "$fw/bes2600/best2002_fw_sdio.bin"
ap_setup "$ap_phy"

step "== bes2600 loads, boots the chip and registers wlan0"
insmod "$BES2600_MODULES/bes2600.ko" || fail "insmod bes2600"
expect_within 20 "bes2600 to bind to $name" bound || fail "bes2600 did not bind to the emulated card"
expect_within 120 "the chip to boot and run (debugfs $dbg)" running ||
	fail "the chip did not come up (driver state: $(dstat state))"
# The station interface: the netdev whose parent is the SDIO function.
sta_netdev() {
	for d in "$func"/net/*; do
		[ -e "$d" ] && STA_DEV=${d##*/} && return 0
	done
	return 1
}
if ! expect_within 60 "bes2600's wireless interface (wlan0) to appear under $func/net" sta_netdev; then
	if ls "$func"/ieee80211/* >/dev/null 2>&1; then
		fail "bes2600 registered wiphy $(ls "$func"/ieee80211) but no network interface appeared"
	fi
	fail "wlan0 did not appear: bes2600 bound, booted the chip (state running) and registered no wiphy with mac80211 (nothing under $func/ieee80211): station mode is not implemented yet"
fi
sta_use "$STA_DEV"
step "station: bes2600 $STA_IF ($STA_MAC) on $(ls "$func"/ieee80211), $STA_IP"

if [ "${DEMO:-0}" = 1 ]; then
	station_demo
	ap_stop
	model_stop
	summary "violations=0"
	summary_print
	demo_result
	step "PASS"
	exit 0
fi

station_scenarios

# What the BH did over the whole run (docs/bh.md): wake-ups per interrupt, frames per bus
# batch, and the data path's counters.
step "== the BH's counters over the run"
grep -E '^(interrupts|bh_wakeups|passes|rx_batches|rx_frames|tx_batches|tx_frames|commands|data_[a-z_]+) ' \
	"$dbg/stats" | sed "s/^/$LIB_TAG: bh: /"
bh_ratios=$(awk '{ v[$1] = $2 }
	END {
		printf "wakeups_per_irq=%.2f rx_frames_per_batch=%.2f tx_frames_per_batch=%.2f",
			v["bh_wakeups"] / (v["interrupts"] ? v["interrupts"] : 1),
			v["rx_frames"] / (v["rx_batches"] ? v["rx_batches"] : 1),
			v["tx_frames"] / (v["tx_batches"] ? v["tx_batches"] : 1)
	}' "$dbg/stats")
step "BH: $bh_ratios"
summary "$bh_ratios"
[ "$(dstat data_rx_violations)" = 0 ] || fail "the driver counted receive indications that broke the protocol"
[ "$(dstat data_tx_bad_confirms)" = 0 ] || fail "the driver counted TX confirms for frames it never sent"

step "== unload bes2600 while iperf3 runs"
ap_up wpa2
sta_connect
timeout 120 iperf3 -c "$AP_IP" -t 60 -J >/tmp/iperf-unload.json 2>&1 &
iperf_pid=$!
sleep 3
t0=$(now_ms)
rmmod bes2600 || fail "rmmod bes2600 failed while iperf3 ran"
step "rmmod bes2600 took $(($(now_ms) - t0)) ms with iperf3 running"
kill "$iperf_pid" 2>/dev/null || true
wait "$iperf_pid" || true
! grep -q '^bes2600 ' /proc/modules || fail "bes2600 still loaded"
! bound || fail "the card is still bound"
[ ! -e "$dbg" ] || fail "debugfs directory left behind"
[ ! -e "/sys/class/net/$STA_IF" ] || fail "$STA_IF left behind"
# wpa_supplicant saw its interface go.
wpa_stop

ap_stop
model_stop
rmmod bes2600_vsdio || fail "rmmod bes2600_vsdio"

# kmemleak does not report objects younger than 5 s; ours are the ones with bes2600 in their
# backtrace (hwsim, netns and cfg80211 objects of the test setup are not judged here).
sleep 6
echo scan >/sys/kernel/debug/kmemleak
leaks=$(cat /sys/kernel/debug/kmemleak)
if [ -n "$leaks" ]; then
	echo "$leaks" | grep -c '^unreferenced object' | sed "s/^/$LIB_TAG: kmemleak: suspected leaks: /"
	if echo "$leaks" | grep -q bes2600; then
		echo "$leaks"
		fail "kmemleak reports leaks of bes2600"
	fi
fi
summary "violations=0" "leaks=0"
summary_print
step "PASS"
