# Guest scenario (host root, `qemu-run.sh -R -P`): a system suspend and resume while bes2600
# is associated, twice in a row (docs/bh.md, "System suspend and resume").
#
# The bench of tests/qemu/station.sh (the chip model behind the virtual SDIO host, the AP in
# netns `ap`), one WPA2-PSK association, then two sleeps: suspend to idle with
# /sys/power/pm_test=devices, which runs the PM notifiers, freezes every task, suspends every
# device and resumes it a second later, without a platform sleep state. Each sleep must
# power the chip off (the model sees the card reset), boot it again once the system runs,
# without a recovery restart, and the station must reconnect and ping. Then the module is
# unloaded: no splat (the MMC core warns about a card that loses power with a claimed
# interrupt), no leak of ours, no protocol violation counted by the model.
#
# -P boots qemu's q35 machine with the root filesystem's virtio-9p device behind a PCIe root
# port that keeps its state across a suspend (x-pcie-pm-no-soft-reset): on the default
# machine the device is reset at resume, and the guest loses its root.
#
#   K=$(scripts/kernel.sh x86_64)
#   make KDIR=$K BES2600_TEST_MODULES=y modules
#   cargo build --release -p bes2600-chip-model
#   scripts/qemu-run.sh -R -P -t 1200 -k "$K" -s tests/qemu/suspend.sh -l /tmp/suspend.log \
#       -m bes2600_vsdio.ko -m bes2600.ko -m "$K"/drivers/net/wireless/virtual/mac80211_hwsim.ko
#   scripts/check-log.sh /tmp/suspend.log

LIB_TAG=${LIB_TAG:-suspend}
. "$BES2600_TOP/tests/qemu/lib.sh"

bes_station_setup

# bes_resumed: the driver brought the link up again after a resume.
bes_resumed() { [ "$(dstat resumes)" = "$1" ] && running; }

# system_suspend: a system suspend and resume while associated. Suspend to idle with
# /sys/power/pm_test=devices suspends every device and resumes it after a second, without a
# platform sleep state. mac80211 stops the hardware first (cfg80211 disconnects: there is no
# WoWLAN), the driver parks its BH, the MMC core powers the card off, so the chip loses its
# firmware; at resume the BH boots it again while mac80211 reconfigures, and wpa_supplicant
# reconnects (docs/bh.md, "System suspend and resume").
system_suspend() {
	step "== system suspend and resume"
	[ -w /sys/power/pm_test ] || fail "no /sys/power/pm_test (the test kernel needs CONFIG_SUSPEND and CONFIG_PM_DEBUG)"
	model_fresh || fail "no fresh stats from the chip model"
	_boots=$(dstat boots) _restarts=$(dstat restarts) _resets=$(mstat card_resets)
	_resumes=$(($(dstat resumes) + 1))
	echo 1 >/sys/module/suspend/parameters/pm_test_delay
	echo devices >/sys/power/pm_test
	_t0=$(now_ms)
	echo freeze >/sys/power/state || fail "the system suspend failed (see the kernel log above)"
	echo none >/sys/power/pm_test
	step "suspend and resume took $(($(now_ms) - _t0)) ms"
	dmesg | grep -E "bes2600.*(suspended|resumed)|PM: suspend (entry|exit)" | tail -n 4 | sed "s/^/$LIB_TAG: dmesg: /"
	expect_within 60 "the driver to bring the link up after the resume" bes_resumed "$_resumes" ||
		fail "the link is not up after the resume (state $(dstat state), resumes $(dstat resumes))"
	[ "$(dstat suspends)" = "$_resumes" ] || fail "the BH parked $(dstat suspends) times for $_resumes suspends"
	[ "$(dstat boots)" -gt "$_boots" ] || fail "the chip was not booted again after the resume"
	[ "$(dstat restarts)" = "$_restarts" ] || fail "the resume needed $(($(dstat restarts) - _restarts)) recovery restarts"
	model_fresh || fail "no fresh stats from the chip model"
	[ "$(mstat card_resets)" -gt "$_resets" ] || fail "the chip model saw no power loss or reset"
	# The AP's hwsim radio slept in the same guest, and cfg80211 stopped its BSS (no WoWLAN)
	# without hostapd noticing: it no longer beacons. A real AP does not sleep with the
	# tablet, so the bench's is started again.
	wpa_mark
	ap_up "$AP_KIND"
	wpa_wait "${CONNECT_S:-90}" "wpa_supplicant to reconnect after the resume" "CTRL-EVENT-CONNECTED" ||
		fail "no reconnection after the resume"
	_reconnect=$lib_took
	lib_ping "station -> AP after the resume" "$AP_IP"
	step "resume: link up $(dstat last_resume_ms) ms after the resume; reconnected $_reconnect ms after the AP was back"
	summary "resume=$(dstat last_resume_ms)ms"
}

step "== WPA2-PSK"
ap_up wpa2
sta_connect
ping_both_ways
# Twice: the second sleep starts from the state the first resume left.
system_suspend
system_suspend
bes_finish
