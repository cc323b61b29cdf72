# Guest scenario (host root, `qemu-run.sh -R`): bes2600 as a WiFi station, end to end.
#
# The chip model plays the chip behind the virtual SDIO host and is the medium of
# mac80211_hwsim; the AP (an hwsim radio, hostapd, the iperf3 server) lives in netns `ap`, so
# every ping and iperf3 byte crosses the emulated air through the driver. Steps (shared with
# tests/qemu/reference-station.sh, see station_scenarios in tests/qemu/lib.sh): bes2600 binds,
# boots the chip and registers wlan0; scan; open network; WPA2-PSK with `iw dev wlan0 link`
# and `station dump`, ping both ways, iperf3 TCP both ways for 10 s each with the model's air
# and SDIO counters covering the bytes; disconnect and reconnect; the AP vanishing (BSS lost)
# and returning; a wrong passphrase; WPA3-SAE with PMF required; 5 GHz on channel 36; every
# frame sent with a rate policy the driver uploaded; `iw`'s TX power and retry limits reach the
# chip; power save. Then the module is unloaded: no splat (scripts/check-log.sh), no leak of ours
# (kmemleak), no protocol violation counted by the model. (Unloading under traffic is a row of
# the fault matrix, tests/qemu/faults.sh; a system suspend while associated is
# tests/qemu/suspend.sh.)
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

bes_station_setup

# model_logged PATTERN: the chip model's log has a line matching PATTERN.
model_logged() { grep -qE "$1" /tmp/model.err; }
# tx_settings: what `iw` sets reaches the chip: the TX power limit (MIB 0x0006) and the retry
# limits, which every rate policy carries (MIB 0x1016, uploaded again when they change).
tx_settings() {
	step "== TX power and retry limits"
	_phy=$(basename "$(readlink "/sys/class/net/$STA_IF/phy80211")")
	iw dev "$STA_IF" set txpower fixed 1200 || fail "iw set txpower"
	expect_within 10 "the chip to get a 12 dBm TX power limit" model_logged "TX power limit 12\.0 dBm" ||
		fail "the TX power limit did not reach the chip"
	iw dev "$STA_IF" info | grep -q "txpower 12.00 dBm" || fail "iw info does not show 12 dBm"
	iw phy "$_phy" set retry short 5 long 3 || fail "iw set retry"
	lib_ping "station -> AP with the new retry limits" "$AP_IP"
	expect_within 10 "rate policies with retry limits 5/3 on the chip" \
		model_logged "uploaded: short retry 5, long retry 3" ||
		fail "the retry limits did not reach the chip's rate policies"
	iw dev "$STA_IF" set txpower auto || fail "iw set txpower auto"
	iw phy "$_phy" set retry short 7 long 4 || fail "iw set retry (defaults)"
	summary "txpower=12dBm retry=5/3"
}

# model_log_lines: how many lines the chip model's log has now (a mark for model_logged_since).
model_log_lines() { wc -l </tmp/model.err; }
# model_logged_since N PATTERN: a line after the first N of the model's log matches PATTERN.
model_logged_since() { tail -n +"$(($1 + 1))" /tmp/model.err | grep -qE "$2"; }

# processor_asleep: the driver reports the chip's processor asleep.
processor_asleep() { [ "$(dstat power_state)" = asleep ]; }
# power_save: mac80211 allows power save once the connection is authorized, and cfg80211's
# default (like NetworkManager's) turns it on; the chip then dozes and the AP buffers what it
# has for the station. Pings from the AP come back only if the chip wakes for the TIM of the
# AP's beacons (docs/station.md, "Power save").
power_save() {
	step "== power save"
	_mark=$(model_log_lines)
	iw dev "$STA_IF" set power_save off || fail "iw set power_save off"
	expect_within 10 "the chip to be active" model_logged_since "$_mark" "power save off" ||
		fail "power save off did not reach the chip"
	model_fresh || fail "no fresh stats from the chip model"
	_sleeps=$(mstat mcu_sleeps)
	lib_ping "AP -> station, power save off" "$STA_IP" in_ap
	sleep 2
	model_fresh || fail "no fresh stats from the chip model"
	[ "$(mstat mcu_sleeps)" = "$_sleeps" ] ||
		fail "the chip's processor slept while associated with power save off"
	# $_sleeps stays the count from before power save went on.
	_mark=$(model_log_lines)
	iw dev "$STA_IF" set power_save on || fail "iw set power_save on"
	iw dev "$STA_IF" get power_save | grep -q "Power save: on" || fail "iw get power_save does not say on"
	expect_within 10 "the chip to run power save" \
		model_logged_since "$_mark" "power save fast, idle period 100 ms" ||
		fail "power save did not reach the chip"
	model_fresh || fail "no fresh stats from the chip model"
	_wakes=$(mstat ps_tim_wakeups) _dozes=$(mstat ps_dozes)
	# The processor sleeps too once the station has sent nothing for 1.5 s (docs/bh.md,
	# "Chip wake and sleep"); the first ping arrives while it sleeps, and its reply wakes it.
	expect_within 10 "the chip's processor to sleep while the station dozes" processor_asleep ||
		fail "the chip's processor did not sleep while associated in power save (driver: $(dstat power_state))"
	model_fresh || fail "no fresh stats from the chip model"
	_mcu_wakes=$(mstat mcu_wakes)
	lib_ping "AP -> dozing station" "$STA_IP" in_ap
	model_fresh || fail "no fresh stats from the chip model"
	_wakes=$(($(mstat ps_tim_wakeups) - _wakes))
	# The pings are a second apart and the chip dozes 100 ms after the last frame, so each
	# waits for a TIM unless other traffic happened to keep the chip awake: most of them must.
	[ "$_wakes" -ge $(((PING_RX + 1) / 2)) ] ||
		fail "$PING_RX pings came back from a dozing station, but the chip woke for the TIM only $_wakes times"
	lib_ping "station -> AP in power save" "$AP_IP"
	model_fresh || fail "no fresh stats from the chip model"
	_dozes=$(($(mstat ps_dozes) - _dozes))
	[ "$_dozes" -gt 0 ] || fail "the chip never dozed again after traffic"
	_sleeps=$(($(mstat mcu_sleeps) - _sleeps))
	_mcu_wakes=$(($(mstat mcu_wakes) - _mcu_wakes))
	[ "$_sleeps" -gt 0 ] || fail "the chip's processor never slept while associated in power save"
	[ "$_mcu_wakes" -gt 0 ] || fail "the chip's processor slept but was not woken for the replies"
	step "power save: the chip woke $_wakes times for the AP's TIM and dozed again $_dozes times; its processor slept $_sleeps times and was woken $_mcu_wakes times"
	summary "ps_tim_wakeups=$_wakes" "ps_mcu_sleeps=$_sleeps"
}

# associated_checks: what runs once the station holds a WPA2 connection.
associated_checks() {
	tx_settings
	power_save
}
ASSOCIATED_CHECKS=associated_checks

# What the clients see of the wiphy: the nl80211 features and extended features, the ciphers.
_phy=$(basename "$(readlink "/sys/class/net/$STA_IF/phy80211")")
iw phy "$_phy" info | grep -E '^[[:space:]]+\* \[ [A-Z0-9_]+ \]|Device supports|^[[:space:]]+\* [A-Z0-9-]+ \(' |
	sed -E "s/^[[:space:]]+/$LIB_TAG: wiphy: /" || true

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

# Rates (docs/station.md, "Rates"): every frame went out with a retry policy the driver built
# from mac80211's rate table and uploaded; none named a policy the chip does not hold.
step "== TX rate policies"
model_fresh || fail "no fresh stats from the chip model"
[ "$(mstat tx_policy_uploads)" -gt 0 ] || fail "the chip received no TX rate policy"
[ "$(mstat tx_without_policy)" = 0 ] ||
	fail "$(mstat tx_without_policy) frames named a rate policy the chip does not hold"
[ "$(dstat data_tx_policy_upload_errors)" = 0 ] || fail "rate policy uploads failed"
step "rate policies: $(dstat data_tx_policy_uploads) uploads, $(mstat tx_with_policy) frames sent with one, $(dstat data_tx_policy_full) waits for a free one"
summary "policy_uploads=$(dstat data_tx_policy_uploads)"

# What the BH did over the whole run (docs/bh.md): wake-ups per interrupt, frames per bus
# batch, and the data path's counters.
step "== the BH's counters over the run"
grep -E '^(interrupts|bh_wakeups[a-z_]*|passes|rx_batches|rx_frames|tx_batches|tx_frames|commands|data_[a-z_]+|power_state|sleeps|wakes|wake_latency_[a-z_]+) ' \
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
bes_finish
