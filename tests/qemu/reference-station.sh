# Guest scenario (host root, `qemu-run.sh -R`): the station scenarios of tests/qemu/station.sh
# with a second mac80211_hwsim radio as the station instead of bes2600. It proves the harness
# (tests/qemu/lib.sh) today, and its figures are the ceiling for bes2600's on the same air.
#
# The AP (hwsim radio 0, hostapd, the iperf3 server) lives in netns `ap`; the station (hwsim
# radio 1) in the root namespace; the chip model, without its SDIO side, is hwsim's medium, so
# every frame between them crosses it. Steps: scan, open, WPA2-PSK (link and station dump,
# ping both ways, iperf3 TCP both ways with the model's air counters covering the bytes),
# disconnect and reconnect, the AP vanishing and returning, a wrong passphrase, WPA3-SAE with
# PMF required, 5 GHz on channel 36; the model counts no protocol violation.
#
#   K=$(scripts/kernel.sh x86_64)
#   cargo build --release -p bes2600-chip-model
#   scripts/qemu-run.sh -R -t 1200 -k "$K" -s tests/qemu/reference-station.sh -l /tmp/ref.log \
#       -m "$K"/drivers/net/wireless/virtual/mac80211_hwsim.ko
#   scripts/check-log.sh /tmp/ref.log
#
# With DEMO=1 (tests/qemu/demo.sh) it runs the short demo instead.

LIB_TAG=${LIB_TAG:-reference}
. "$BES2600_TOP/tests/qemu/lib.sh"

for tool in iw ip hostapd hostapd_cli wpa_supplicant wpa_cli iperf3; do
	command -v "$tool" >/dev/null || fail "$tool is not installed on the host (the guest runs the host's)"
done

# A software-scanning hwsim radio hears the AP only while it sits on the AP's channel, and
# frames come back through a user-space medium: a longer dwell than mac80211's 30 ms, and
# the network's own frequency for wpa_supplicant, keep scans from missing the AP by chance.
SCAN_ARGS=${SCAN_ARGS:-duration 150}
WPA_SCAN_FREQ=${WPA_SCAN_FREQ:-1}

hwsim_load 2
set -- $HWSIM_PHYS
ap_phy=$1 sta_phy=$2
model_start --no-sdio --hwsim on
ap_setup "$ap_phy"
sta_if=$(phy_netdev "$sta_phy") || fail "hwsim radio $sta_phy has no interface"
sta_use "$sta_if"
step "station: hwsim radio $sta_phy, $STA_IF ($STA_MAC), $STA_IP"

if [ "${DEMO:-0}" = 1 ]; then
	station_demo
else
	station_scenarios
fi

ap_stop
model_stop
summary "violations=0"
summary_print
[ "${DEMO:-0}" != 1 ] || demo_result
step "PASS"
