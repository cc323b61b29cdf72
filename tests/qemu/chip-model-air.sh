# Guest scenario (run with scripts/qemu-run.sh -R): the chip model as the wireless medium
# of mac80211_hwsim, without the SDIO side. hostapd beacons on radio 0; the model must hear
# the beacons, forward frames between the radios (radio 1, a monitor on the AP's channel,
# receives them),
# make the AP vanish on request and exit with no protocol violation.
#
#   KDIR=$(scripts/kernel.sh x86_64)
#   scripts/qemu-run.sh -R -k "$KDIR" -s tests/qemu/chip-model-air.sh -l /tmp/air.log \
#       [-m "$KDIR"/drivers/net/wireless/virtual/mac80211_hwsim.ko] \
#       [-m target/release/bes2600-chip-model]
#   scripts/check-log.sh /tmp/air.log
#
# Without -m the module comes from $KDIR and the binary from $BES2600_TOP (both exported by
# qemu-run.sh -R).

say() { echo "bes2600-guest: $*"; }
fail() { say "FAIL: $*"; exit 1; }

hwsim=$BES2600_MODULES/mac80211_hwsim.ko
[ -f "$hwsim" ] || hwsim=${KDIR:-}/drivers/net/wireless/virtual/mac80211_hwsim.ko
model=$BES2600_MODULES/bes2600-chip-model
[ -x "$model" ] || model=${BES2600_TOP:-}/target/release/bes2600-chip-model
[ -f "$hwsim" ] || fail "no mac80211_hwsim.ko for $(uname -r)"
[ -x "$model" ] || fail "no bes2600-chip-model binary"
say "hwsim module $hwsim, model $model"

insmod "$hwsim" radios=2
sleep 1
ap_if=$(ls /sys/class/ieee80211/phy0/device/net 2>/dev/null | head -n1)
sta_if=$(ls /sys/class/ieee80211/phy1/device/net 2>/dev/null | head -n1)
[ -n "$ap_if" ] && [ -n "$sta_if" ] || fail "hwsim radios have no interfaces"
ap_mac=$(cat /sys/class/net/"$ap_if"/address)
say "AP interface $ap_if ($ap_mac), station interface $sta_if"

stats=/tmp/air.stats
ctl=/tmp/air.ctl
"$model" --no-sdio --hwsim on --stats "$stats" --control "$ctl" >/tmp/model.out 2>/tmp/model.err &
model_pid=$!
sleep 1
kill -0 "$model_pid" || { cat /tmp/model.err; fail "the model did not start"; }

cat >/tmp/hostapd.conf <<EOF
interface=$ap_if
driver=nl80211
ssid=chipmodel-air
hw_mode=g
channel=6
EOF
hostapd -B -P /tmp/hostapd.pid /tmp/hostapd.conf >/tmp/hostapd.log 2>&1 || { cat /tmp/hostapd.log; fail "hostapd"; }
sleep 3

echo stats >"$ctl"
sleep 1
cat "$stats"
beacons=$(awk '$1 == "medium.beacons" { print $2 }' "$stats")
[ "${beacons:-0}" -gt 0 ] || fail "the model heard no beacons"
say "model heard $beacons beacons"

# Radio 1 listens on the AP's channel as a monitor: what it receives came through the model
# (with a registered medium hwsim hands every frame to it). A scan from radio 1 is not
# used: for radios without channel contexts, 7.3's hwsim drops frames from the medium that
# are not on the radio's configured channel (it ignores the scan's temporary channel in
# hwsim_cloned_frame_received_nl()), so scan results through any wmediumd are by chance.
iw dev "$sta_if" set type monitor
ip link set "$sta_if" up
iw dev "$sta_if" set freq 2437
before=$(cat /sys/class/net/"$sta_if"/statistics/rx_packets)
sleep 2
after=$(cat /sys/class/net/"$sta_if"/statistics/rx_packets)
say "radio 1 received $((after - before)) frames in 2 s"
[ "$after" -gt "$((before + 5))" ] || fail "radio 1 received nothing through the model"
say "radio 1 receives the AP through the model"

echo "fault ap-vanish:bssid=$ap_mac,for=2000" >"$ctl"
sleep 1
echo stats >"$ctl"
sleep 1
vanished=$(awk '$1 == "medium.vanished_frames" { print $2 }' "$stats")
[ "${vanished:-0}" -gt 0 ] || fail "ap-vanish dropped no frames"
say "ap-vanish dropped $vanished frames"

kill "$(cat /tmp/hostapd.pid)" || true
kill -TERM "$model_pid"
wait "$model_pid" || fail "the model exited with $?"
cat /tmp/model.out
tail -n 20 /tmp/model.err
grep -q "^violations: 0$" /tmp/model.out || fail "the model counted violations"
grep -q "^violations 0$" "$stats" || fail "stats file does not say violations 0"
say "chip-model air scenario passed"
