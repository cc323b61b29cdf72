# Guest scenario (host root, `qemu-run.sh -R`): bes2600 driven by the WiFi clients PineTab2
# owners run, rather than by wpa_supplicant with a hand-written configuration (station.sh):
#
# - NetworkManager, which drives wpa_supplicant over D-Bus: scan (`nmcli dev wifi list`), a
#   WPA2-PSK and a WPA3-SAE (PMF required) connection profile brought up and down with nmcli;
# - iwd, which talks nl80211 itself: it deletes the interfaces it finds and creates its own,
#   scans, and connects to the same two networks with `iwctl`.
#
# Each connection is checked where it matters: `iw dev IF link` shows the AP, pings cross the
# emulated air both ways, and the client reports the link gone after a disconnect. Then the
# module is unloaded: no splat, no leak of ours, no protocol violation counted by the model.
#
# The clients run with their stock settings but for what a read-only guest root needs (state
# and configuration under /tmp and /var/lib, a tmpfs) and static addresses (the AP runs no
# DHCP server). Needs the host packages network-manager and iwd (scripts/bootstrap.sh).
#
#   scripts/qemu-run.sh -R -t 1800 -k "$K" -s tests/qemu/clients.sh -l /tmp/clients.log \
#       -m bes2600_vsdio.ko -m bes2600.ko -m "$K"/drivers/net/wireless/virtual/mac80211_hwsim.ko

LIB_TAG=${LIB_TAG:-clients}
. "$BES2600_TOP/tests/qemu/lib.sh"

for tool in dbus-daemon NetworkManager nmcli iwctl; do
	command -v "$tool" >/dev/null || fail "$tool is not installed on the host (scripts/bootstrap.sh)"
done
IWD_BIN=/usr/libexec/iwd
[ -x "$IWD_BIN" ] || fail "no $IWD_BIN (the iwd package)"

bes_station_setup
# The station interface's name as the driver registered it; iwd replaces the interface.
STA_IF0=$STA_IF

# ---------------------------------------------------------------------------------------------
# What a distribution runs beneath the clients: udev (NetworkManager manages only devices udev
# has seen) and the D-Bus system bus.

step "== udev and the D-Bus system bus"
UDEVD=/lib/systemd/systemd-udevd
[ -x "$UDEVD" ] || fail "no $UDEVD (the udev package)"
"$UDEVD" --daemon 2>/tmp/udevd.log || fail "systemd-udevd did not start: $(cat /tmp/udevd.log)"
udevadm trigger --action=add --subsystem-match=net --subsystem-match=ieee80211 ||
	fail "udevadm trigger"
udevadm settle --timeout=30 || fail "udev did not settle"
step "udev: $(udevadm info -q property -p "/sys/class/net/$STA_IF" | grep -E '^(ID_NET_DRIVER|DEVTYPE|ID_PATH)=' | tr '\n' ' ')"
mkdir -p /run/dbus
dbus-daemon --system --fork --print-pid >/run/dbus-daemon.pid 2>/tmp/dbus.log ||
	fail "dbus-daemon did not start: $(cat /tmp/dbus.log)"
bus_up() { [ -S /run/dbus/system_bus_socket ]; }
expect_within 30 "the system bus socket" bus_up || fail "no /run/dbus/system_bus_socket"

# client_link_check CLIENT: the station is associated to the AP (iw), pings cross both ways.
client_link_check() {
	_link=$(iw dev "$STA_IF" link)
	echo "$_link" | grep -q "^Connected to $AP_MAC" ||
		fail "$1 reports a connection, but iw dev $STA_IF link says: $(echo "$_link" | head -n1)"
	step "$1: iw: $(echo "$_link" | grep -E 'SSID|freq|signal' | sed 's/^[[:space:]]*//' | tr '\n' ' ')"
	STA_MAC=$(cat /sys/class/net/"$STA_IF"/address)
	[ "$AP_KIND" != sae-pmf ] || ap_sees_sae_pmf
	ping_both_ways
}
# client_unlinked: the station is not associated any more.
client_unlinked() { iw dev "$STA_IF" link | grep -q "^Not connected"; }

# ---------------------------------------------------------------------------------------------
# NetworkManager over wpa_supplicant's D-Bus interface.

step "== NetworkManager $(NetworkManager --version) with wpa_supplicant over D-Bus"
mkdir -p /var/lib/NetworkManager /tmp/nm/system-connections
chmod 700 /tmp/nm/system-connections
cat >/tmp/nm/NetworkManager.conf <<EOF
[main]
plugins=keyfile
no-auto-default=*
[keyfile]
path=/tmp/nm/system-connections
unmanaged-devices=except:interface-name:$STA_IF
[logging]
level=INFO
EOF
# As the distributions start it for NetworkManager: D-Bus control, no interface of its own.
WPA_LOG=/tmp/wpa_supplicant-dbus.log
WPA_MARK=0
wpa_supplicant -u -s -O /run/wpa_supplicant -B -f "$WPA_LOG" -P /run/wpa_supplicant.pid ||
	fail "wpa_supplicant (D-Bus) did not start"
NetworkManager --debug --config=/tmp/nm/NetworkManager.conf \
	--state-file=/var/lib/NetworkManager/NetworkManager.state >/tmp/nm.log 2>&1 &
NM_PID=$!
CLIENT_LOG=/tmp/nm.log
nm_dev_state() { nmcli -g GENERAL.STATE dev show "$STA_IF" 2>/dev/null; }
nm_ready() { nm_dev_state | grep -q '^30 '; }
expect_within 120 "NetworkManager to manage $STA_IF (state disconnected)" nm_ready ||
	fail "NetworkManager does not manage $STA_IF (state: $(nm_dev_state))"

# nm_lists_ap: a rescan lists the AP's SSID.
nm_lists_ap() {
	nmcli dev wifi rescan ifname "$STA_IF" >/dev/null 2>&1 || true
	NM_LIST=$(nmcli -t -f SSID,BSSID,CHAN,SIGNAL,SECURITY dev wifi list ifname "$STA_IF" 2>/dev/null)
	echo "$NM_LIST" | grep -q "^$AP_SSID:"
}
# nm_connect KIND KEYMGMT [NMCLI_ARGS...]: a profile for the AP's network, brought up.
nm_connect() {
	ap_up "$1"
	expect_within 60 "nmcli dev wifi list to show $AP_SSID" nm_lists_ap ||
		fail "NetworkManager's scan does not list $AP_SSID: $NM_LIST"
	step "nmcli: $(echo "$NM_LIST" | grep "^$AP_SSID:" | head -n1)"
	_con=bes-$1 _kind=$1 _keymgmt=$2
	shift 2
	nmcli con add type wifi ifname "$STA_IF" con-name "$_con" ssid "$AP_SSID" \
		wifi-sec.key-mgmt "$_keymgmt" wifi-sec.psk "$AP_PASS" "$@" \
		ipv4.method manual ipv4.addresses "$STA_IP/24" ipv6.method disabled >/dev/null ||
		fail "nmcli con add $_con"
	_t0=$(now_ms)
	step "nmcli con up $_con"
	_out=$(nmcli --wait 120 con up "$_con" 2>&1) ||
		fail "nmcli con up $_con: $_out ($(tail -n 8 /tmp/nm.log | tr '\n' ' '))"
	CONNECT_MS=$(($(now_ms) - _t0))
	step "NetworkManager: $AP_SSID ($_kind) activated in $CONNECT_MS ms"
	summary "nm_$_kind=${CONNECT_MS}ms"
	client_link_check NetworkManager
	nmcli con down "$_con" >/dev/null || fail "nmcli con down $_con"
	expect_within 30 "the station to leave $AP_SSID" client_unlinked ||
		fail "still associated after nmcli con down"
	nmcli con delete "$_con" >/dev/null || fail "nmcli con delete $_con"
}
nm_connect wpa2 wpa-psk
nm_connect sae-pmf sae 802-11-wireless-security.pmf required

kill "$NM_PID" 2>/dev/null || true
nm_gone() { ! kill -0 "$NM_PID" 2>/dev/null; }
wait_for 20 nm_gone || fail "NetworkManager did not stop"
wpa_stop
if grep -E '<(warn|error)>' /tmp/nm.log | grep -E "$STA_IF|wifi" | head -n 5 | sed "s/^/$LIB_TAG: nm: /" | grep .; then
	step "(NetworkManager's warnings above are shown, not judged)"
fi

# ---------------------------------------------------------------------------------------------
# iwd.

step "== iwd $($IWD_BIN --version)"
mkdir -p /var/lib/iwd /tmp/iwd-config
cat >/tmp/iwd-config/main.conf <<EOF
[General]
EnableNetworkConfiguration=false
EOF
STATE_DIRECTORY=/var/lib/iwd CONFIGURATION_DIRECTORY=/tmp/iwd-config "$IWD_BIN" >/tmp/iwd.log 2>&1 &
IWD_PID=$!
WPA_LOG=
CLIENT_LOG=/tmp/iwd.log
# iwctl colours its tables; plain text to match on.
iwctl_plain() { iwctl "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; }
# iwd_station: the station interface iwd created on bes2600's wiphy (in $STA_IF).
iwd_station() {
	for _dev in $(func_netdevs); do
		iwctl_plain station list | grep -q "^ *$_dev " || continue
		STA_IF=$_dev
		return 0
	done
	return 1
}
expect_within 120 "iwd to set up a station on bes2600's wiphy" iwd_station ||
	fail "iwd has no station on bes2600 ($(iwctl_plain device list | tr -s ' \n' ' '); $(tail -n 5 /tmp/iwd.log))"
step "iwd: station $STA_IF (the driver's $STA_IF0 was replaced by iwd's own)"
grep -iE 'bes2600|phy|wiphy' /tmp/iwd.log | head -n 6 | sed "s/^/$LIB_TAG: iwd: /"

# iwd_lists_ap: a scan lists the AP's SSID.
iwd_lists_ap() {
	iwctl station "$STA_IF" scan >/dev/null 2>&1 || true
	sleep 1
	IWD_LIST=$(iwctl_plain station "$STA_IF" get-networks)
	echo "$IWD_LIST" | grep -q " $AP_SSID "
}
iwd_state() { iwctl_plain station "$STA_IF" show | sed -n 's/^ *State *\([a-z]*\).*/\1/p'; }
iwd_connected() { [ "$(iwd_state)" = connected ]; }
iwd_disconnected() { [ "$(iwd_state)" = disconnected ]; }
# iwd_connect KIND: iwctl connects to the AP's network.
iwd_connect() {
	ap_up "$1"
	expect_within 60 "iwctl get-networks to show $AP_SSID" iwd_lists_ap ||
		fail "iwd's scan does not list $AP_SSID: $IWD_LIST"
	step "iwctl: $(echo "$IWD_LIST" | grep " $AP_SSID " | tr -s ' ')"
	_t0=$(now_ms)
	_out=$(iwctl --passphrase "$AP_PASS" station "$STA_IF" connect "$AP_SSID" 2>&1) ||
		fail "iwctl connect $AP_SSID: $_out ($(tail -n 8 /tmp/iwd.log | tr '\n' ' '))"
	expect_within 60 "iwd to report $AP_SSID connected" iwd_connected ||
		fail "iwd state $(iwd_state) for $AP_SSID"
	CONNECT_MS=$(($(now_ms) - _t0))
	step "iwd: $AP_SSID ($1) connected in $CONNECT_MS ms"
	summary "iwd_$1=${CONNECT_MS}ms"
	ip addr replace "$STA_IP/24" dev "$STA_IF" || fail "address on $STA_IF"
	client_link_check iwd
	iwctl station "$STA_IF" disconnect || fail "iwctl disconnect"
	expect_within 30 "iwd to report the station disconnected" iwd_disconnected ||
		fail "iwd state $(iwd_state) after disconnect"
	expect_within 30 "the station to leave $AP_SSID" client_unlinked ||
		fail "still associated after iwctl disconnect"
}
iwd_connect wpa2
iwd_connect sae-pmf

kill "$IWD_PID" 2>/dev/null || true
iwd_gone() { ! kill -0 "$IWD_PID" 2>/dev/null; }
wait_for 20 iwd_gone || fail "iwd did not stop"
kill "$(cat /run/dbus-daemon.pid)" 2>/dev/null || true
udevadm control --exit || true

bes_finish
