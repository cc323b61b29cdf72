# Shared helpers of the guest scenarios (tests/qemu/*.sh); sourced, not run:
#
#   . "$BES2600_TOP/tests/qemu/lib.sh"
#
# The scenarios run under `qemu-run.sh -R` with the host's root file system, its /bin/sh (dash,
# under `sh -e`) and the host's tools (iw, ip, hostapd, wpa_supplicant, iperf3, jq): nothing
# here depends on busybox. A fork costs a lot under TCG, so the hot paths (clocks, polling)
# use shell builtins.
#
# Set LIB_TAG before sourcing: it starts every line the helpers print.
#
# What is here:
# - timing and messages: now_ms, step, fail (with the hook lib_on_fail), lib_stacks, wait_for,
#   expect_within, summary / summary_print;
# - the chip model: model_start, model_ctl, model_fresh, mstat, model_stop;
# - the emulated SDIO card: bes_func, have_func;
# - mac80211_hwsim and the access point in its own network namespace: hwsim_load,
#   ap_setup, ap_up KIND (open, wpa2, sae-pmf, 5ghz), ap_stop, ap_down (the AP vanishes
#   from the air), ap_return;
# - the station: sta_use, lib_scan, sta_scan, wpa_start, wpa_wait, wpa_cmd, wpa_stop, sta_connect,
#   sta_link_check, ping_both_ways;
# - throughput: iperf_run, air_snapshot, air_check;
# - the scenario steps both station scenarios run: station_scenarios, station_demo.
#
# Addresses: the AP is 10.0.0.1/24 on `ap0` in netns `ap`, the station 10.0.0.2/24. Every
# frame between them crosses the chip model (registered as hwsim's medium), since the two
# ends are in different network namespaces and nothing but the air connects them.

: "${LIB_TAG:=scenario}"

AP_NS=ap
AP_IF=ap0
AP_IP=10.0.0.1
STA_IP=10.0.0.2
# Passphrase of every protected test network; the wrong one for the failure case.
AP_PASS="bes2600 test passphrase"
WRONG_PASS="not the passphrase"

MODEL_STATS=/tmp/model.stats
MODEL_CTL=/tmp/model.ctl
MODEL_BIN=${BES2600_MODULES:-/modules}/bes2600-chip-model
[ -x "$MODEL_BIN" ] || MODEL_BIN=${BES2600_TOP:-}/target/release/bes2600-chip-model
MAKE_FIRMWARE=${BES2600_TOP:-}/target/release/bes2600-make-firmware
HWSIM_KO=${BES2600_MODULES:-/modules}/mac80211_hwsim.ko
[ -f "$HWSIM_KO" ] || HWSIM_KO=${KDIR:-}/drivers/net/wireless/virtual/mac80211_hwsim.ko

# ---------------------------------------------------------------------------------------------
# Timing and messages.

# Milliseconds of uptime (/proc/uptime has two decimals).
now_ms() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}0"
}
# Uptime in whole seconds, in $lib_up (no fork).
lib_uptime() {
	read -r lib_up _ </proc/uptime
	lib_up=${lib_up%.*}
}
step() { echo "$LIB_TAG: [$(now_ms) ms] $*"; }
# lib_tail FILE LINES LABEL: the end of a log file, prefixed.
lib_tail() {
	[ -s "$1" ] || return 0
	echo "$LIB_TAG: --- last $2 lines of $1 ($3)"
	tail -n "$2" "$1" | sed "s/^/$LIB_TAG: | /"
}
# lib_stacks: where the driver's threads, the chip model, the tools that talk to them and
# every task in uninterruptible sleep are now (state and kernel stack of each), for a command
# that did not return: a hang shows which thread waits on what.
lib_stacks() {
	for _p in /proc/[0-9]*; do
		read -r _comm 2>/dev/null <"$_p/comm" || continue
		_state=
		while read -r _k _v _; do
			[ "$_k" = State: ] && { _state=$_v; break; }
		done 2>/dev/null <"$_p/status" || true
		case $_comm in
		bes2600* | iw | wpa_supplicant | hostapd | kworker*wiphy* | cfg80211) ;;
		*) [ "$_state" = D ] || continue ;;
		esac
		echo "$LIB_TAG: --- ${_p#/proc/} $_comm: $_state"
		sed "s/^/$LIB_TAG: | /" "$_p/stack" 2>/dev/null || true
	done
}
# lib_scan OUT [ARGS...]: one scan of $STA_IF, its results in OUT: `iw dev IF scan trigger
# ARGS`, its end awaited in the nl80211 events that `iw event` logs from the setup on, then
# `iw dev IF scan dump`. Not `iw dev IF scan`: iw subscribes to the scan events only after its
# trigger returned (its source says so), and a guest starved for the length of a scan makes
# it miss the end and wait forever. Returns 1 if the trigger or the dump failed (iw's message
# in OUT), 2 if the scan was aborted, 124 if it did not end within 60 s (the threads' stacks
# in OUT.stuck).
lib_scan() {
	_s_out=$1
	shift
	_s_mark=$(wc -l </tmp/iw-events.log)
	iw dev "$STA_IF" scan trigger "$@" >"$_s_out" 2>&1 || return 1
	scan_ended() {
		_s_ev=$(sed -n "$((_s_mark + 1)),\$ { /: $STA_IF (phy #[0-9]*): scan \(finished\|aborted\)/ { p; q } }" \
			/tmp/iw-events.log)
		[ -n "$_s_ev" ]
	}
	if ! wait_for 60 scan_ended; then
		lib_stacks >"$_s_out.stuck"
		return 124
	fi
	case $_s_ev in *"scan aborted"*) return 2 ;; esac
	iw dev "$STA_IF" scan dump >"$_s_out" 2>&1 || return 1
}
# fail MESSAGE: says what failed, shows what may tell why (the scenario's own lib_on_fail
# first, then the logs of the model, hostapd and wpa_supplicant) and ends the scenario.
fail() {
	echo "$LIB_TAG: FAIL: $*"
	if command -v lib_on_fail >/dev/null 2>&1; then lib_on_fail || true; fi
	[ -s "$MODEL_STATS" ] && sed "s/^/$LIB_TAG: model: /" "$MODEL_STATS"
	lib_tail /tmp/model.err 30 "chip model"
	lib_tail /tmp/hostapd.log 30 hostapd
	[ -z "${WPA_LOG:-}" ] || lib_tail "$WPA_LOG" 40 wpa_supplicant
	[ -z "${CLIENT_LOG:-}" ] || lib_tail "$CLIENT_LOG" 40 "the WiFi client"
	lib_tail /tmp/iw-events.log 30 "nl80211 events (iw event)"
	exit 1
}
# wait_for SECONDS COMMAND...: runs COMMAND every $WAIT_POLL s (0.1) until it succeeds, for
# at most SECONDS of uptime (not of iterations: each one can take a second under TCG). The
# command is run anew each time, so it must be a function or program that looks again:
# never `wait_for 5 test -z "$(...)"`, whose substitution is expanded once. With $WAIT_WHAT
# set it says every 10 s what it still waits for.
wait_for() {
	# local: the polled command may itself call wait_for (model_fresh does).
	local deadline report
	lib_uptime
	deadline=$((lib_up + $1))
	report=$((lib_up + 10))
	shift
	while ! "$@"; do
		lib_uptime
		[ "$lib_up" -lt "$deadline" ] || return 1
		if [ -n "${WAIT_WHAT:-}" ] && [ "$lib_up" -ge "$report" ]; then
			step "... still waiting for $WAIT_WHAT ($((deadline - lib_up)) s left)"
			report=$((lib_up + 10))
		fi
		sleep "${WAIT_POLL:-0.1}"
	done
}
# expect_within SECONDS WHAT COMMAND...: wait_for with a line before (what it waits for, how
# long at most) and after (how long it took). Returns 1 on timeout; the caller fails.
expect_within() {
	local secs what t0
	secs=$1 what=$2
	shift 2
	step "waiting up to $secs s for $what"
	t0=$(now_ms)
	if WAIT_WHAT=$what wait_for "$secs" "$@"; then
		lib_took=$(($(now_ms) - t0))
		step "$what: after $lib_took ms"
		return 0
	fi
	step "$what: not within $secs s"
	return 1
}
# summary KEY=VALUE...: remembered for summary_print's one line.
SUMMARY=
summary() { SUMMARY="$SUMMARY $*"; }
summary_print() { echo "$LIB_TAG: SUMMARY:$SUMMARY"; }

# ---------------------------------------------------------------------------------------------
# The chip model.

# model_start ARGS...: starts the model with the stats file and control FIFO and waits until
# it answers on the FIFO.
model_start() {
	[ -x "$MODEL_BIN" ] || fail "no chip model binary at $MODEL_BIN (cargo build --release -p bes2600-chip-model)"
	rm -f "$MODEL_STATS" "$MODEL_CTL"
	"$MODEL_BIN" --stats "$MODEL_STATS" --control "$MODEL_CTL" "$@" >/tmp/model.out 2>/tmp/model.err &
	MODEL_PID=$!
	model_up() { [ -p "$MODEL_CTL" ] || ! kill -0 "$MODEL_PID" 2>/dev/null; }
	wait_for 20 model_up || fail "the chip model did not create its control FIFO"
	kill -0 "$MODEL_PID" 2>/dev/null || fail "the chip model exited at start ($*)"
	model_fresh || fail "the chip model does not answer on its control FIFO"
	step "chip model running (pid $MODEL_PID: $*)"
}
# model_ctl LINE: one command on the control FIFO (bounded: a dead model must not hang us).
model_ctl() {
	kill -0 "$MODEL_PID" 2>/dev/null || fail "the chip model is gone (control command: $*)"
	timeout 10 sh -c 'printf "%s\n" "$1" >"$2"' _ "$*" "$MODEL_CTL" ||
		fail "the chip model did not take the control command: $*"
}
# model_fresh: asks for a stats file written now and waits for it.
model_fresh() {
	rm -f "$MODEL_STATS"
	model_ctl stats
	WAIT_WHAT= wait_for 10 test -s "$MODEL_STATS"
}
# mstat NAME: a counter of the last stats file (0 when absent).
mstat() {
	_ms=$(sed -n "s/^$1 //p" "$MODEL_STATS" 2>/dev/null)
	echo "${_ms:-0}"
}
# model_stop: stops the model, shows its counters; fails on protocol violations.
model_stop() {
	[ -n "${MODEL_PID:-}" ] || return 0
	model_fresh || true
	kill -TERM "$MODEL_PID" 2>/dev/null || true
	_rc=0
	wait "$MODEL_PID" || _rc=$?
	MODEL_PID=
	sed "s/^/$LIB_TAG: model: /" "$MODEL_STATS"
	[ "$_rc" = 0 ] || fail "the chip model exited with $_rc"
	[ "$(mstat violations)" = 0 ] || fail "the chip model counted $(mstat violations) protocol violations"
	step "chip model stopped, 0 protocol violations"
}

# ---------------------------------------------------------------------------------------------
# The emulated BES2600 on the virtual SDIO host.

# The emulated BES2600's SDIO function in sysfs, once the MMC core enumerated it.
bes_func() {
	for f in /sys/bus/sdio/devices/*; do
		[ "$(cat "$f/vendor" 2>/dev/null)" = 0xbe57 ] && [ "$(cat "$f/device")" = 0x2002 ] &&
			echo "$f" && return 0
	done
	return 1
}
have_func() { bes_func >/dev/null; }

# ---------------------------------------------------------------------------------------------
# mac80211_hwsim and the access point.

# hwsim_load N: loads mac80211_hwsim with N radios; their phys are in $HWSIM_PHYS. The custom
# world regulatory domain (regtest=5) lets an AP beacon on channel 36: without
# regulatory.db, the kernel's world domain marks it no-IR.
hwsim_load() {
	[ -f "$HWSIM_KO" ] || fail "no mac80211_hwsim.ko for $(uname -r) (looked at $HWSIM_KO)"
	_before=$(ls /sys/class/ieee80211/)
	insmod "$HWSIM_KO" radios="$1" regtest=5 || fail "insmod mac80211_hwsim"
	hwsim_count() {
		HWSIM_PHYS=
		_n=0
		for _p in /sys/class/ieee80211/*; do
			_p=${_p##*/}
			case " $(echo $_before) " in *" $_p "*) continue ;; esac
			HWSIM_PHYS="$HWSIM_PHYS $_p"
			_n=$((_n + 1))
		done
		[ "$_n" -ge "$1" ]
	}
	wait_for 10 hwsim_count "$1" || fail "mac80211_hwsim made no $1 radios"
	HWSIM_PHYS=${HWSIM_PHYS# }
	step "mac80211_hwsim: $1 radios ($HWSIM_PHYS)"
	# Every nl80211 event of the run from here on (scans started, finished and aborted,
	# connections), line-buffered: lib_scan waits for a scan's end in it, and fail shows it.
	stdbuf -oL iw event -t >/tmp/iw-events.log 2>&1 &
}
# phy_netdev PHY: the network interface of a wiphy (in the current namespace).
phy_netdev() {
	for _d in /sys/class/ieee80211/"$1"/device/net/*; do
		[ -e "$_d" ] && echo "${_d##*/}" && return 0
	done
	return 1
}
# in_ap COMMAND...: runs a command in the AP's network namespace.
in_ap() { ip netns exec "$AP_NS" "$@"; }
# ap_setup PHY: moves the hwsim radio PHY into netns `ap`, names its interface ap0, gives it
# 10.0.0.1/24 and starts the iperf3 server there.
ap_setup() {
	_if=$(phy_netdev "$1") || fail "hwsim radio $1 has no interface"
	AP_MAC=$(cat /sys/class/net/"$_if"/address)
	echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
	echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
	ip netns add "$AP_NS" || fail "ip netns add $AP_NS (CONFIG_NET_NS?)"
	iw phy "$1" set netns name "$AP_NS" || fail "iw phy $1 set netns name $AP_NS"
	in_ap ip link set "$_if" name "$AP_IF" || fail "renaming the AP interface"
	in_ap ip link set lo up
	in_ap sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6'
	in_ap ip addr add "$AP_IP/24" dev "$AP_IF"
	in_ap iperf3 -s -B "$AP_IP" -D -I /run/iperf3-ap.pid --logfile /tmp/iperf3-server.log ||
		fail "iperf3 server in netns $AP_NS"
	[ ! -e "/sys/class/ieee80211/$1" ] || fail "$1 is still in the root namespace"
	step "AP radio $1 ($AP_MAC) is $AP_IF in netns $AP_NS with $AP_IP; iperf3 server there"
}
# ap_conf KIND: hostapd's configuration for a kind of network, with HT (802.11n, 20 MHz).
ap_conf() {
	cat <<EOF
interface=$AP_IF
driver=nl80211
ctrl_interface=/run/hostapd
ssid=$AP_SSID
channel=$AP_CHANNEL
wmm_enabled=1
ieee80211n=1
EOF
	case $1 in
	5ghz) echo "hw_mode=a" ;;
	*) echo "hw_mode=g" ;;
	esac
	case $1 in
	open) ;;
	wpa2 | 5ghz) printf '%s\n' wpa=2 wpa_key_mgmt=WPA-PSK rsn_pairwise=CCMP "wpa_passphrase=$AP_PASS" ;;
	sae-pmf) printf '%s\n' wpa=2 wpa_key_mgmt=SAE rsn_pairwise=CCMP ieee80211w=2 sae_require_mfp=1 \
		"sae_password=$AP_PASS" ;;
	esac
	# A TCG guest on a busy host answers EAPOL-Key frames late: more retries (of 1 s) than the
	# default 4 before the AP gives the handshake up.
	case $1 in open) ;; *) printf '%s\n' wpa_pairwise_update_count=10 wpa_group_update_count=10 ;; esac
}
# ap_up KIND: (re)starts hostapd in the AP's namespace with a network of KIND: open, wpa2
# (WPA2-PSK), sae-pmf (WPA3-SAE, PMF required) or 5ghz (WPA2-PSK on channel 36). Sets
# AP_KIND, AP_SSID, AP_CHANNEL, AP_FREQ.
ap_up() {
	ap_stop
	AP_KIND=$1
	case $1 in
	open) AP_SSID=bes2600-open AP_CHANNEL=6 AP_FREQ=2437 ;;
	wpa2) AP_SSID=bes2600-wpa2 AP_CHANNEL=6 AP_FREQ=2437 ;;
	sae-pmf) AP_SSID=bes2600-sae AP_CHANNEL=11 AP_FREQ=2462 ;;
	5ghz) AP_SSID=bes2600-5ghz AP_CHANNEL=36 AP_FREQ=5180 ;;
	*) fail "ap_up: unknown kind $1" ;;
	esac
	ap_conf "$1" >/tmp/hostapd-"$1".conf
	rm -f /tmp/hostapd.log
	in_ap hostapd -B -P /run/hostapd-ap.pid -f /tmp/hostapd.log /tmp/hostapd-"$1".conf ||
		fail "hostapd did not start for $1"
	ap_enabled() { grep -q "AP-ENABLED" /tmp/hostapd.log 2>/dev/null; }
	expect_within 30 "hostapd: $AP_KIND network $AP_SSID on channel $AP_CHANNEL enabled" ap_enabled ||
		fail "hostapd did not enable the $1 network"
}
# ap_stop: stops hostapd.
ap_stop() {
	[ -s /run/hostapd-ap.pid ] || return 0
	_pid=$(cat /run/hostapd-ap.pid)
	kill "$_pid" 2>/dev/null || true
	hostapd_gone() { ! kill -0 "$_pid" 2>/dev/null; }
	wait_for 10 hostapd_gone || fail "hostapd did not stop"
	rm -f /run/hostapd-ap.pid
}
# ap_down: the AP vanishes from the air: the model stops forwarding every frame from or to
# its BSSID (hostapd keeps running). ap_return brings it back.
ap_down() { model_ctl "fault ap-vanish:bssid=$AP_MAC"; }
ap_return() { model_ctl "fault ap-return"; }
# model_hears_ap: the model heard beacons from the AP (in its namespace) on the air.
model_hears_ap() {
	model_fresh && [ "$(mstat medium.beacons)" -gt "${1:-0}" ]
}

# ---------------------------------------------------------------------------------------------
# The station.

# sta_use IF: the station interface; gets 10.0.0.2/24 and is brought up.
sta_use() {
	STA_IF=$1
	ip addr replace "$STA_IP/24" dev "$STA_IF" || fail "address on $STA_IF"
	ip link set "$STA_IF" up || fail "$STA_IF does not come up"
	STA_MAC=$(cat /sys/class/net/"$STA_IF"/address)
}
# sta_scan: `iw dev IF scan` (with $SCAN_ARGS) until the AP's SSID is listed (a few tries:
# scans through a user-space medium can miss a beacon); checks its frequency and a plausible
# signal.
sta_scan() {
	_try=1
	while :; do
		_t0=$(now_ms)
		# A scan ends in seconds (each batch has the driver's watchdog): a minute is a hang,
		# which is reported with the threads' stacks instead of stalling the scenario.
		_rc=0
		lib_scan /tmp/scan.txt ${SCAN_ARGS:-} || _rc=$?
		if [ "$_rc" = 124 ]; then
			cat /tmp/scan.txt.stuck
			fail "scan $_try: no end of the scan in 60 s"
		fi
		_out=$(cat /tmp/scan.txt)
		[ "$_rc" != 2 ] || _out="scan aborted"
		_bss=$(echo "$_out" | awk -v ssid="$AP_SSID" '
			/^BSS / { if (found) exit; bss = substr($2, 1, 17); freq = ""; sig = ""; ch = ""; found = 0 }
			/^\tfreq:/ { freq = $2 + 0 }
			/^\tsignal:/ { sig = $2 + 0 }
			/^\tSSID: / { if (substr($0, 8) == ssid) found = 1 }
			/DS Parameter set: channel/ { ch = $NF }
			/\* primary channel:/ { ch = $NF }
			END { if (found) print bss, freq, sig, ch }')
		_n=$(echo "$_out" | grep -c '^BSS ' || true)
		step "scan $_try: $_n BSS in $(($(now_ms) - _t0)) ms${_bss:+; $AP_SSID: $_bss}"
		[ -z "$_bss" ] || break
		echo "$_out" | grep -qE 'command failed|Device or resource busy' && echo "$_out" | sed "s/^/$LIB_TAG: iw: /"
		_try=$((_try + 1))
		[ "$_try" -le "${SCAN_TRIES:-5}" ] || fail "scan: $AP_SSID not found in ${SCAN_TRIES:-5} scans"
		sleep 1
	done
	set -- $_bss
	[ "$1" = "$AP_MAC" ] || fail "scan: $AP_SSID has BSSID $1, the AP is $AP_MAC"
	[ "$2" = "$AP_FREQ" ] || fail "scan: $AP_SSID on $2 MHz, the AP is on $AP_FREQ MHz"
	[ -z "${4:-}" ] || [ "$4" = "$AP_CHANNEL" ] || fail "scan: $AP_SSID says channel $4, expected $AP_CHANNEL"
	_sig=${3%.*}
	[ "$_sig" -lt -10 ] && [ "$_sig" -gt -100 ] || fail "scan: implausible signal $3 dBm"
	step "scan lists $AP_SSID ($1) on $2 MHz, channel ${4:-?}, signal $3 dBm"
}
# wpa_conf KIND PASS: wpa_supplicant's configuration for the AP's network.
wpa_conf() {
	echo "ctrl_interface=/run/wpa_supplicant"
	[ -z "${WPA_GLOBAL_EXTRA:-}" ] || printf '%s\n' $WPA_GLOBAL_EXTRA
	echo "network={"
	echo "	ssid=\"$AP_SSID\""
	[ -z "${WPA_SCAN_FREQ:-}" ] || echo "	scan_freq=$AP_FREQ"
	case $1 in
	open) echo "	key_mgmt=NONE" ;;
	wpa2 | 5ghz) printf '\t%s\n' key_mgmt=WPA-PSK "psk=\"$2\"" ;;
	sae-pmf) printf '\t%s\n' key_mgmt=SAE "sae_password=\"$2\"" ieee80211w=2 ;;
	esac
	echo "}"
}
# wpa_start [PASS]: starts wpa_supplicant on the station for the AP's network (with the
# right passphrase unless PASS is given); its log is $WPA_LOG, one per start.
WPA_RUN=0
wpa_start() {
	wpa_stop
	WPA_RUN=$((WPA_RUN + 1))
	WPA_LOG=/tmp/wpa_supplicant-$WPA_RUN-$AP_KIND.log
	wpa_conf "$AP_KIND" "${1:-$AP_PASS}" >/tmp/wpa_supplicant-"$AP_KIND".conf
	WPA_MARK=0
	wpa_supplicant -B -D nl80211 -i "$STA_IF" -c /tmp/wpa_supplicant-"$AP_KIND".conf \
		-f "$WPA_LOG" -P /run/wpa_supplicant.pid || fail "wpa_supplicant did not start"
}
# wpa_mark: later wpa_wait calls only look at log lines from here on.
wpa_mark() { WPA_MARK=$(wc -l <"$WPA_LOG"); }
# wpa_seen REGEX: the first log line since the mark matching REGEX (status 1: none).
wpa_seen() { tail -n +"$((WPA_MARK + 1))" "$WPA_LOG" 2>/dev/null | grep -m1 -E "$1"; }
wpa_seen_q() { wpa_seen "$1" >/dev/null; }
# wpa_wait SECONDS WHAT REGEX: waits for a wpa_supplicant event; the line is in $WPA_LINE.
wpa_wait() {
	expect_within "$1" "$2" wpa_seen_q "$3" || return 1
	WPA_LINE=$(wpa_seen "$3")
	step "wpa_supplicant: ${WPA_LINE#*: }"
}
# wpa_cmd ARGS...: wpa_cli on the station interface.
wpa_cmd() { wpa_cli -p /run/wpa_supplicant -i "$STA_IF" "$@"; }
# wpa_stop: ends wpa_supplicant.
wpa_stop() {
	[ -s /run/wpa_supplicant.pid ] || return 0
	_pid=$(cat /run/wpa_supplicant.pid)
	wpa_cmd terminate >/dev/null 2>&1 || kill "$_pid" 2>/dev/null || true
	wpa_gone() { ! kill -0 "$_pid" 2>/dev/null; }
	wait_for 10 wpa_gone || fail "wpa_supplicant did not stop"
	rm -f /run/wpa_supplicant.pid
}
# The events that end an association attempt without success.
WPA_FAILURES='CTRL-EVENT-SSID-TEMP-DISABLED|CTRL-EVENT-ASSOC-REJECT|CTRL-EVENT-AUTH-REJECT|4-Way Handshake failed|CTRL-EVENT-NETWORK-NOT-FOUND'
# sta_connect: wpa_supplicant associates to the AP's network (up to $CONNECT_S s).
sta_connect() {
	wpa_start
	_t0=$(now_ms)
	# wpa_supplicant retries a failed attempt by itself, as it does for users: an attempt that
	# failed (an SAE exchange or a handshake a slow TCG guest answered too late) is reported,
	# and only no connection by the deadline fails.
	if ! wpa_wait "${CONNECT_S:-90}" "association to $AP_SSID ($AP_KIND)" "CTRL-EVENT-CONNECTED"; then
		_fails=$(grep -E "$WPA_FAILURES" "$WPA_LOG" | sed 's/^[^:]*: //' | tail -n 3 | tr '\n' ' ')
		fail "no association to $AP_SSID ($AP_KIND)${_fails:+; the last failures: $_fails}"
	fi
	_fails=$(grep -E "$WPA_FAILURES" "$WPA_LOG" | sed 's/^[^:]*: //' || true)
	[ -z "$_fails" ] || step "$(echo "$_fails" | wc -l) failed attempts before the connection: $(echo "$_fails" | tr '\n' ' ')"
	# Under a slow guest the handshake can still fail after the first CONNECTED and be
	# retried: the association counts once wpa_supplicant settled in COMPLETED.
	wpa_completed() { wpa_cmd status 2>/dev/null | grep -qx "wpa_state=COMPLETED"; }
	if ! wait_for 30 wpa_completed; then
		# Seen under TCG with PMF: the AP answered a retransmitted association request too,
		# started a second handshake, gave it up and deauthenticated unprotected; the
		# station, back in the handshake, ignores that (PMF) and waits for good. The AP's
		# side and wpa_supplicant's state are shown; one new connection is allowed. It starts
		# with a disconnection of the station's own (a `reassociate` alone was seen to leave
		# the station in that handshake: it scanned and never authenticated again).
		step "wpa_state is $(wpa_cmd status 2>/dev/null | sed -n 's/^wpa_state=//p') 30 s after CONNECTED; the AP says:"
		lib_tail /tmp/hostapd.log 6 hostapd
		wpa_cmd disconnect >/dev/null
		wpa_mark
		wpa_cmd reconnect >/dev/null
		wpa_wait "${CONNECT_S:-90}" "association to $AP_SSID ($AP_KIND) after reassociating" "CTRL-EVENT-CONNECTED" ||
			fail "no association to $AP_SSID ($AP_KIND) after reassociating"
		wait_for 60 wpa_completed ||
			fail "wpa_state did not settle in COMPLETED: $(wpa_cmd status 2>/dev/null | sed -n 's/^wpa_state=//p')"
		summary "reassociated_${AP_KIND}=1"
	fi
	CONNECT_MS=$(($(now_ms) - _t0))
	_status=$(wpa_cmd status)
	echo "$_status" | grep -E '^(bssid|freq|ssid|key_mgmt|pairwise_cipher|group_cipher|pmf|wpa_state|sae_group)=' |
		sed "s/^/$LIB_TAG: status: /"
	echo "$_status" | grep -qx "bssid=$AP_MAC" || fail "associated to another BSSID than $AP_MAC"
	case $AP_KIND in
	sae-pmf)
		echo "$_status" | grep -qx "key_mgmt=SAE" || fail "key_mgmt is not SAE"
		ap_sees_sae_pmf
		;;
	wpa2 | 5ghz) echo "$_status" | grep -qx "key_mgmt=WPA2-PSK" || fail "key_mgmt is not WPA2-PSK" ;;
	open) echo "$_status" | grep -qx "key_mgmt=NONE" || fail "key_mgmt is not NONE" ;;
	esac
	step "associated to $AP_SSID ($AP_KIND, $AP_FREQ MHz) in $CONNECT_MS ms"
}
# ap_sees_sae_pmf: the AP has the station ($STA_MAC) associated with the SAE AKM (00-0f-ac-8)
# and protected management frames in use, whatever the client reports.
ap_sees_sae_pmf() {
	in_ap hostapd_cli -p /run/hostapd -i "$AP_IF" sta "$STA_MAC" >/tmp/hostapd-sta.txt 2>&1 || true
	grep -q '\[MFP\]' /tmp/hostapd-sta.txt || { cat /tmp/hostapd-sta.txt; fail "the AP does not see PMF in use"; }
	grep -qx 'AKMSuiteSelector=00-0f-ac-8' /tmp/hostapd-sta.txt ||
		{ cat /tmp/hostapd-sta.txt; fail "the AP does not see the SAE AKM in use"; }
	step "SAE and PMF in use (hostapd: $(grep -E '^(flags|AKMSuiteSelector)=' /tmp/hostapd-sta.txt | tr '\n' ' '))"
}
# iw_field TEXT FIELD: the value after "FIELD: " in iw's output.
iw_field() { echo "$1" | sed -n "s/^[[:space:]]*$2:[[:space:]]*//p" | head -n1; }
# sta_link_check: `iw dev IF link` and `station dump` show the SSID, frequency, signal, TX
# bitrate and counters.
sta_link_check() {
	_link=$(iw dev "$STA_IF" link)
	echo "$_link" | sed "s/^/$LIB_TAG: link: /"
	echo "$_link" | grep -qi "^Connected to $AP_MAC" || fail "iw link: not connected to $AP_MAC"
	[ "$(iw_field "$_link" SSID)" = "$AP_SSID" ] || fail "iw link: SSID is not $AP_SSID"
	_f=$(iw_field "$_link" freq)
	[ "${_f%.*}" = "$AP_FREQ" ] || fail "iw link: freq $_f, expected $AP_FREQ"
	_sig=$(iw_field "$_link" signal)
	_sig=${_sig%% *}
	[ -n "$_sig" ] && [ "${_sig%.*}" -lt -10 ] && [ "${_sig%.*}" -gt -100 ] ||
		fail "iw link: implausible signal '$_sig'"
	_rate=$(iw_field "$_link" "tx bitrate")
	[ -n "$_rate" ] || fail "iw link: no TX bitrate"
	_dump=$(iw dev "$STA_IF" station dump)
	echo "$_dump" | sed "s/^/$LIB_TAG: station: /"
	for _k in "rx bytes" "tx bytes" "rx packets" "tx packets"; do
		_v=$(iw_field "$_dump" "$_k")
		[ "${_v:-0}" -gt 0 ] 2>/dev/null || fail "station dump: $_k is '${_v:-}'"
	done
	iw_field "$_dump" signal | grep -q dBm || fail "station dump: no signal"
	iw_field "$_dump" "tx bitrate" | grep -q . || fail "station dump: no TX bitrate"
	step "link: $AP_SSID, $_f MHz, signal $_sig dBm, TX bitrate $_rate"
	LINK_SIGNAL=$_sig LINK_RATE=$(echo "$_rate" | cut -d' ' -f1-2)
}
# ping_cmd: ping, or busybox's where the host has no ping.
ping_cmd() {
	if command -v ping >/dev/null 2>&1; then echo ping; else echo busybox ping; fi
}
# lib_ping LABEL TARGET [in_ap]: rounds of 5 pings (at most 3) until 3 replies came back in
# all; between rounds it shows what may tell why replies are missing.
lib_ping() {
	local round=1 rx=0 got out rtt
	while :; do
		out=$(${3:-} $(ping_cmd) -c 5 -w 20 "$2" 2>&1) || true
		got=$(echo "$out" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p; s/.* \([0-9]*\) received.*/\1/p' | head -n1)
		rx=$((rx + ${got:-0}))
		rtt=$(echo "$out" | grep -E 'min/avg/max' | sed 's/.*= //')
		step "ping $1 (round $round): ${got:-0}/5 replies${rtt:+, rtt min/avg/max $rtt}"
		[ "$rx" -lt 3 ] || break
		ping_diagnostics
		round=$((round + 1))
		[ "$round" -le 3 ] || fail "ping $1: $rx replies to $((5 * 3)) pings"
	done
	PING_RX=$rx
}
# What the link looks like when pings go missing.
ping_diagnostics() {
	{
		echo "station neighbours: $(ip neigh show dev "$STA_IF" | tr '\n' ' ')"
		echo "AP neighbours: $(in_ap ip neigh show dev "$AP_IF" | tr '\n' ' ')"
		iw dev "$STA_IF" link | grep -E 'Connected|Not connected|RX:|TX:'
		iw dev "$STA_IF" station dump | grep -E 'packets|failed|retries|beacon loss'
		model_fresh && grep -E '^medium\.|^air_' "$MODEL_STATS" | tr '\n' ' '
		echo
		tail -n 5 "$WPA_LOG"
	} 2>&1 | sed "s/^/$LIB_TAG: diag: /"
}
ping_both_ways() {
	lib_ping "station -> AP" "$AP_IP"
	lib_ping "AP -> station" "$STA_IP" in_ap
}

# ---------------------------------------------------------------------------------------------
# Throughput.

# json_num FILE FILTER: a number out of iperf3's JSON (jq, else python3); empty when the
# file has none (or is no JSON: an iperf3 cut off), never a failure.
json_num() {
	if command -v jq >/dev/null 2>&1; then
		jq -r "$2 // empty" "$1" 2>/dev/null || true
	else
		python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].strip(".").split("."):
    d=d.get(k,{}) if isinstance(d,dict) else {}
print("" if d=={} else d)' "$1" "$2" 2>/dev/null || true
	fi
}
# iperf_run LABEL SECONDS [-R]: iperf3 TCP from the station to the AP (-R: the AP sends).
# Prints the figures; IPERF_BYTES (bytes received at the far end) and IPERF_MBPS.
iperf_run() {
	_json=/tmp/iperf-$1.json
	step "iperf3 $1: ${2} s TCP ${3:+(reverse: AP sends)}"
	timeout $(($2 + 60)) iperf3 -c "$AP_IP" -t "$2" -J --connect-timeout 10000 ${3:-} >"$_json" 2>&1 || true
	_err=$(json_num "$_json" .error)
	[ -z "$_err" ] || fail "iperf3 $1: $_err"
	IPERF_BYTES=$(json_num "$_json" .end.sum_received.bytes)
	_bps=$(json_num "$_json" .end.sum_received.bits_per_second)
	_retr=$(json_num "$_json" .end.sum_sent.retransmits)
	[ -n "$IPERF_BYTES" ] && [ "${IPERF_BYTES%.*}" -gt 0 ] || { head -c 2000 "$_json"; fail "iperf3 $1: no result"; }
	IPERF_BYTES=${IPERF_BYTES%.*}
	IPERF_MBPS=$(awk -v b="$_bps" 'BEGIN { printf "%.2f", b / 1e6 }')
	step "iperf3 $1: $IPERF_MBPS Mbit/s, $IPERF_BYTES bytes received in $2 s, ${_retr:-0} retransmits"
}
# The air's counters. Frames carried by the medium (radio -> anyone, chip -> radios; beacons
# are not traffic) and, where the model counts them, bytes: medium.radio_bytes (what the
# hwsim radios sent, beacons aside), air_tx_bytes (what the chip sent), air_rx_bytes (what
# the chip received for itself); and the SDIO bytes each way.
air_read() {
	AIR_FRAMES=$(($(mstat medium.radio_frames) + $(mstat medium.chip_frames) - $(mstat medium.beacons)))
	AIR_RADIO_B=$(mstat medium.radio_bytes) AIR_TX_B=$(mstat air_tx_bytes) AIR_RX_B=$(mstat air_rx_bytes)
	SDIO_W=$(mstat bytes_written) SDIO_R=$(mstat bytes_read)
}
air_snapshot() {
	model_fresh || fail "no stats from the chip model"
	air_read
	AIR_FRAMES0=$AIR_FRAMES AIR_RADIO_B0=$AIR_RADIO_B AIR_TX_B0=$AIR_TX_B AIR_RX_B0=$AIR_RX_B
	SDIO_W0=$SDIO_W SDIO_R0=$SDIO_R
}
# air_check LABEL BYTES up|down: since air_snapshot, the air carried at least the BYTES
# iperf3 reports, in that direction (up: station -> AP). For bes2600 ($MODEL_SDIO=1): what
# the chip sent (up) or received for itself (down), and the SDIO bytes of that direction;
# for an hwsim station: what the radios sent. A model without byte counters: the frames must
# be enough to carry BYTES at 1500 bytes (the MTU) per frame.
air_check() {
	model_fresh || fail "no stats from the chip model"
	air_read
	_fr=$((AIR_FRAMES - AIR_FRAMES0))
	if [ "${MODEL_SDIO:-0}" = 1 ]; then
		case $3 in
		up) _by=$((AIR_TX_B - AIR_TX_B0)) _what="sent by the chip" ;;
		*) _by=$((AIR_RX_B - AIR_RX_B0)) _what="received by the chip" ;;
		esac
	else
		_by=$((AIR_RADIO_B - AIR_RADIO_B0)) _what="sent by the hwsim radios"
	fi
	if grep -qE '^(medium.radio_bytes|air_tx_bytes) ' "$MODEL_STATS"; then
		step "air $1: $_by bytes $_what ($_fr frames) on the model's air for $2 iperf3 bytes"
		[ "$_by" -ge "$2" ] || fail "air $1: $_by bytes $_what on the model's air, iperf3 reports $2"
		AIR_SUMMARY="$_by B in $_fr frames"
	else
		step "air $1: $_fr frames on the model's air for $2 iperf3 bytes (the model counts no bytes: at most 1500 per frame)"
		[ $((_fr * 1500)) -ge "$2" ] || fail "air $1: $_fr frames cannot carry the $2 bytes iperf3 reports"
		AIR_SUMMARY="$_fr frames"
	fi
	if [ "${MODEL_SDIO:-0}" = 1 ]; then
		case $3 in
		up) _sd=$((SDIO_W - SDIO_W0)) _dir="host -> chip" ;;
		*) _sd=$((SDIO_R - SDIO_R0)) _dir="chip -> host" ;;
		esac
		step "SDIO $1: $_sd bytes $_dir"
		[ "$_sd" -ge "$2" ] || fail "SDIO $1: $_sd bytes $_dir, iperf3 reports $2"
	fi
}
# throughput SECONDS: iperf3 both ways, each checked against the air's counters.
throughput() {
	air_snapshot
	iperf_run up "$1"
	air_check up "$IPERF_BYTES" up
	UP_MBPS=$IPERF_MBPS UP_BYTES=$IPERF_BYTES UP_AIR=$AIR_SUMMARY
	air_snapshot
	iperf_run down "$1" -R
	air_check down "$IPERF_BYTES" down
	DOWN_MBPS=$IPERF_MBPS DOWN_BYTES=$IPERF_BYTES DOWN_AIR=$AIR_SUMMARY
	summary "up=${UP_MBPS}Mbit/s($UP_BYTES B, air $UP_AIR)" "down=${DOWN_MBPS}Mbit/s($DOWN_BYTES B, air $DOWN_AIR)"
}

# ---------------------------------------------------------------------------------------------
# The scenario steps, the same for every station (bes2600's wlan0 or the reference hwsim
# radio). Needs: the model running as hwsim's medium, ap_setup done, sta_use done.

# station_scenarios: every scenario of the issue but the driver-specific ones.
station_scenarios() {
	step "== open network: the model carries the AP's frames from its namespace; scan"
	ap_up open
	expect_within 20 "the chip model to hear the AP's beacons from netns $AP_NS" model_hears_ap ||
		fail "the chip model hears no beacon from the AP in netns $AP_NS: hwsim does not forward its frames to the medium"
	step "the model heard $(mstat medium.beacons) beacons; $(mstat medium.radios) radios on the medium"
	sta_scan
	sta_connect
	summary "open=${CONNECT_MS}ms"
	ping_both_ways
	wpa_stop

	step "== WPA2-PSK"
	ap_up wpa2
	sta_connect
	summary "wpa2=${CONNECT_MS}ms"
	ping_both_ways
	sta_link_check
	summary "signal=${LINK_SIGNAL}dBm" "rate=$(echo "$LINK_RATE" | tr ' ' _)"
	throughput "${IPERF_S:-10}"
	scan_while_associated
	# What only the driver under test can show (station.sh: the chip's TX power and retries).
	[ -z "${ASSOCIATED_CHECKS:-}" ] || "$ASSOCIATED_CHECKS"

	step "== disconnect and reconnect"
	wpa_mark
	_ap_mark=$(wc -l </tmp/hostapd.log)
	wpa_cmd disconnect >/dev/null
	wpa_wait 30 "disconnection" "CTRL-EVENT-DISCONNECTED" || fail "no disconnection event"
	# The deauthentication reached the AP: mac80211 flushes the queues with drop just before
	# it sends the frame, and a driver that drops it too leaves the AP waiting for its
	# inactivity timeout (minutes).
	ap_heard_leave() { tail -n +"$((_ap_mark + 1))" /tmp/hostapd.log | grep -q "AP-STA-DISCONNECTED $STA_MAC"; }
	expect_within 15 "the AP to hear the station leave" ap_heard_leave ||
		fail "the AP did not hear the station's deauthentication"
	iw dev "$STA_IF" link | grep -q "^Not connected" || fail "iw link still shows a connection"
	wpa_mark
	wpa_cmd reconnect >/dev/null
	wpa_wait "${CONNECT_S:-90}" "reconnection" "CTRL-EVENT-CONNECTED" || fail "no reconnection"
	summary "reconnect=${lib_took}ms"
	lib_ping "station -> AP after reconnect" "$AP_IP"

	step "== the AP vanishes from the air and returns"
	wpa_mark
	ap_down
	wpa_wait 60 "the station to notice the AP is gone" "CTRL-EVENT-DISCONNECTED|CTRL-EVENT-BEACON-LOSS" ||
		fail "the station did not notice the AP vanishing"
	summary "bss_lost=${lib_took}ms"
	model_fresh
	step "the model dropped $(mstat medium.vanished_frames) frames of the vanished AP"
	wpa_wait 30 "the disconnection" "CTRL-EVENT-DISCONNECTED" || fail "no disconnection after the AP vanished"
	wpa_mark
	ap_return
	wpa_wait "${CONNECT_S:-90}" "reassociation once the AP is back" "CTRL-EVENT-CONNECTED" ||
		fail "no reassociation after the AP returned"
	summary "ap_return=${lib_took}ms"
	lib_ping "station -> AP after the AP returned" "$AP_IP"
	wpa_stop

	step "== wrong passphrase"
	wpa_start "$WRONG_PASS"
	wpa_wait "${CONNECT_S:-90}" "the failure with a wrong passphrase" "$WPA_FAILURES|CTRL-EVENT-CONNECTED" ||
		fail "no event at all with a wrong passphrase"
	case $WPA_LINE in *CTRL-EVENT-CONNECTED*) fail "connected with a wrong passphrase" ;; esac
	# The first failure event can be another one (a first scan that missed the AP says
	# NETWORK-NOT-FOUND); the next attempt's handshake then takes as long again (the AP tries
	# its first message 10 times under TCG, see ap_conf).
	wpa_seen_q "CTRL-EVENT-SSID-TEMP-DISABLED.*reason=WRONG_KEY" ||
		wpa_wait "${CONNECT_S:-90}" "the network to be disabled for a wrong key" "CTRL-EVENT-SSID-TEMP-DISABLED.*reason=WRONG_KEY" ||
		fail "no CTRL-EVENT-SSID-TEMP-DISABLED reason=WRONG_KEY"
	! wpa_seen_q "CTRL-EVENT-CONNECTED" || fail "connected with a wrong passphrase"
	summary "wrong_key=rejected"
	wpa_stop

	step "== WPA3-SAE, PMF required"
	ap_up sae-pmf
	sta_connect
	summary "sae_pmf=${CONNECT_MS}ms"
	ping_both_ways
	wpa_stop

	step "== 5 GHz (channel 36)"
	ap_up 5ghz
	sta_scan
	sta_connect
	summary "5ghz=${CONNECT_MS}ms"
	sta_link_check
	ping_both_ways
	wpa_stop
}

# scan_while_associated: a scan while associated (what supplicants do in the background)
# finds the AP, keeps the association, and does not hold up other requests: `iw dev IF
# link`, which needs the wiphy lock, answers during the scan in well under half its time.
scan_while_associated() {
	step "== a scan while associated"
	_t0=$(now_ms)
	(
		_rc=0
		lib_scan /tmp/scan-associated.txt || _rc=$?
		echo "$_rc" >/tmp/scan-associated.rc
	) &
	_scan_pid=$!
	sleep 1
	_t1=$(now_ms)
	_link=$(iw dev "$STA_IF" link)
	_link_ms=$(($(now_ms) - _t1))
	wait "$_scan_pid" || true
	_rc=$(cat /tmp/scan-associated.rc)
	if [ "$_rc" = 124 ]; then
		cat /tmp/scan-associated.txt.stuck
		fail "a scan while associated did not end in 60 s"
	fi
	[ "$_rc" != 2 ] || fail "the scan while associated was aborted"
	[ "$_rc" = 0 ] || fail "a scan while associated failed: $(tail -n 2 /tmp/scan-associated.txt)"
	_scan_ms=$(($(now_ms) - _t0))
	step "scan while associated: $(grep -c '^BSS ' /tmp/scan-associated.txt) BSS in $_scan_ms ms; iw link during it answered in $_link_ms ms"
	summary "scan_assoc=${_scan_ms}ms" "link_during_scan=${_link_ms}ms"
	grep -q "^BSS $AP_MAC" /tmp/scan-associated.txt || fail "the scan while associated did not list the AP"
	echo "$_link" | grep -q "^Connected to $AP_MAC" || fail "iw link during the scan: $(echo "$_link" | head -n1)"
	[ "$((_link_ms * 2))" -lt "$_scan_ms" ] ||
		fail "iw link waited $_link_ms ms of a $_scan_ms ms scan: the scan holds the wiphy"
	iw dev "$STA_IF" link | grep -q "^Connected to $AP_MAC" || fail "the association ended with the scan"
}

# station_demo: `make demo`: WPA2 association, the link, ping, iperf3 5 s each way.
station_demo() {
	ap_up wpa2
	expect_within 20 "the chip model to hear the AP's beacons" model_hears_ap ||
		fail "the chip model hears no beacon from the AP"
	sta_connect
	sta_link_check
	ping_both_ways
	throughput "${IPERF_S:-5}"
	wpa_stop
}

# demo_result: the closing line of `make demo` (after model_stop).
demo_result() {
	echo "$LIB_TAG: RESULT: associated to $AP_SSID ($AP_KIND) in $CONNECT_MS ms;" \
		"throughput up $UP_MBPS Mbit/s, down $DOWN_MBPS Mbit/s; $(mstat violations) protocol violations"
}

# ---------------------------------------------------------------------------------------------
# bes2600 as the station (station.sh, faults.sh).

# The driver's debugfs counters, its binding and its link state.
dstat() { sed -n "s/^$1 //p" "$dbg/stats" 2>/dev/null; }
bound() { [ -e "$func/driver" ]; }
running() { [ "$(dstat state)" = running ]; }
# The station interface: the netdev whose parent is the SDIO function (in $STA_DEV).
sta_netdev() {
	STA_DEV=$(func_netdevs | head -n 1)
	[ -n "$STA_DEV" ]
}
# func_netdevs: the network interfaces of bes2600's SDIO function, one per line.
func_netdevs() {
	for d in "$func"/net/*; do
		[ -e "$d" ] && echo "${d##*/}"
	done
}
# What the driver and the kernel log say when a scenario fails.
lib_on_fail() {
	[ -n "${dbg:-}" ] && [ -e "$dbg/stats" ] && sed "s/^/$LIB_TAG: driver: /" "$dbg/stats"
	dmesg | grep -E 'bes2600(_vsdio)? |bes2600:' | tail -n 20 | sed "s/^/$LIB_TAG: dmesg: /"
	[ ! -s /tmp/model.err ] || tail -n 20 /tmp/model.err | sed "s/^/$LIB_TAG: model.err: /"
}
# bes2600_up [INSMOD_ARGS...]: loads bes2600 (with INSMOD_ARGS), waits for it to bind, boot
# the chip and register its interface, and makes that the station (sta_use).
bes2600_up() {
	insmod "$BES2600_MODULES/bes2600.ko" "$@" || fail "insmod bes2600"
	expect_within 20 "bes2600 to bind to $name" bound || fail "bes2600 did not bind to the emulated card"
	expect_within 120 "the chip to boot and run (debugfs $dbg)" running ||
		fail "the chip did not come up (driver state: $(dstat state))"
	if ! expect_within 60 "bes2600's wireless interface (wlan0) to appear under $func/net" sta_netdev; then
		if ls "$func"/ieee80211/* >/dev/null 2>&1; then
			fail "bes2600 registered wiphy $(ls "$func"/ieee80211) but no network interface appeared"
		fi
		fail "wlan0 did not appear: bes2600 bound and booted the chip but registered no wiphy"
	fi
	sta_use "$STA_DEV"
	step "station: bes2600 $STA_IF ($STA_MAC) on $(ls "$func"/ieee80211), $STA_IP"
}
# bes_station_setup [INSMOD_ARGS...]: the whole bench for bes2600 as a station: the synthetic
# firmware, one hwsim radio as the AP in netns `ap`, the virtual SDIO host with the chip model
# behind it and on the air, then bes2600 loaded (bes2600_up). Sets func, name, dbg, fw.
bes_station_setup() {
	fw=/tmp/station-firmware
	MODEL_SDIO=1
	for tool in iw ip hostapd hostapd_cli wpa_supplicant wpa_cli iperf3; do
		command -v "$tool" >/dev/null || fail "$tool is not installed on the host (the guest runs the host's)"
	done
	for m in bes2600_vsdio bes2600; do
		[ -f "$BES2600_MODULES/$m.ko" ] || fail "no $m.ko: pass it with qemu-run.sh -m"
	done
	# The firmware files and where the loader looks for them.
	[ -x "$MAKE_FIRMWARE" ] || fail "no $MAKE_FIRMWARE (cargo build --release -p bes2600-chip-model)"
	"$MAKE_FIRMWARE" "$fw" >/dev/null || fail "the synthetic firmware was not written"
	printf %s "$fw" >/sys/module/firmware_class/parameters/path
	# The driver's KUnit suites run in the kunit scenario; not at each load here.
	echo "bes2600_none" >/sys/module/kunit/parameters/filter_glob
	# Objects from boot are not ours (the bench kernel has no kmemleak).
	[ ! -e /sys/kernel/debug/kmemleak ] || echo clear >/sys/kernel/debug/kmemleak

	# The air: one hwsim radio for the AP. Then the chip: the virtual SDIO host, and the model
	# behind it and on the air.
	# With BES_HWSIM_RADIOS > 1 the further radios are left for the scenario ($SPARE_PHYS).
	hwsim_load "${BES_HWSIM_RADIOS:-1}"
	ap_phy=${HWSIM_PHYS%% *}
	SPARE_PHYS=${HWSIM_PHYS#"$ap_phy"}
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
	bes2600_up "$@"
}

# ---------------------------------------------------------------------------------------------
# The soak (soak.sh; the short one at the end of faults.sh).

# The faults a soak draws from: the chip-model faults of the matrix (tests/qemu/faults.sh).
SOAK_FAULTS="irq-storm:count=200 bus-error:count=3 cmd52-timeout:count=3 drop-confirm:kind=tx \
drop-confirm:kind=any delay-confirm:kind=tx,delay=5000 corrupt-rx-len:mode=msg \
corrupt-rx-len:mode=reg corrupt-rx-id wrong-seq crash:mode=silent crash:mode=exception \
beacon-loss:for=8000 decrypt-fail:for=5000"

# soak_rand: the next number of the soak's generator in $SOAK_RNG (31 bits).
soak_rand() { SOAK_RNG=$(((SOAK_RNG * 1103515245 + 12345) % 2147483648)); }

# soak_phase SECONDS FAULT_S HOSTILE SEED: with bes2600 associated, iperf3 TCP both ways and a
# ping every 0.2 s for SECONDS; a random fault of $SOAK_FAULTS every ~FAULT_S s (0: none) but
# in the last 30 s, so every outage has time to end; with HOSTILE > 0 the model's hostile
# mode mutates HOSTILE of every 1000 RX batches (but in the last 30 s); all drawn from SEED. Sets SOAK_INJECTED,
# SOAK_MUTATIONS, SOAK_EXCUSED, SOAK_OUTAGES (gaps of more than 5 s between answered pings),
# SOAK_LONGEST (s), SOAK_DEATHS (an outage still open at the end: the link did not come back
# by itself), SOAK_PINGS (answered/sent).
soak_phase() {
	local secs=$1 fault_s=$2 hostile=$3 seed=$4 end quiet_from next i spec up down pinger stop
	# The guest's sh has no $RANDOM: a linear congruential generator, seeded.
	SOAK_RNG=$seed
	[ -s /run/iperf3-ap2.pid ] ||
		in_ap iperf3 -s -B "$AP_IP" -p 5202 -D -I /run/iperf3-ap2.pid --logfile /tmp/iperf3-server2.log ||
		fail "second iperf3 server"
	[ "$hostile" = 0 ] || model_ctl "fault hostile:rate=$hostile,seed=$seed"
	end=$(($(now_ms) + secs * 1000))
	quiet_from=$((end - 30000))
	# Traffic that outlives faults: an iperf3 client cut off by a fault is started again.
	soak_iperf() {
		while [ "$(now_ms)" -lt "$end" ]; do
			timeout $((secs + 30)) iperf3 -c "$AP_IP" "$@" -t "$secs" --connect-timeout 5000 \
				>/dev/null 2>&1 || true
			sleep 1
		done
	}
	soak_iperf -p 5201 &
	up=$!
	soak_iperf -p 5202 -R &
	down=$!
	ping -D -i 0.2 "$AP_IP" >/tmp/soak-ping.log 2>&1 &
	pinger=$!
	set -- $SOAK_FAULTS
	SOAK_INJECTED=0
	model_fresh
	SOAK_BATCHES0=$(mstat rx_batches)
	step "soak: $secs s, a fault every ~$fault_s s (none in the last 30 s), hostile $hostile/1000, seed $seed"
	next=$(($(now_ms) + fault_s * 1000))
	while [ "$(now_ms)" -lt "$end" ]; do
		sleep 2
		if [ "$hostile" != 0 ] && [ "$(now_ms)" -ge "$quiet_from" ]; then
			model_ctl clear
			hostile=0
		fi
		if [ "$fault_s" -gt 0 ] && [ "$(now_ms)" -ge "$next" ] && [ "$(now_ms)" -lt "$quiet_from" ]; then
			soak_rand
			i=$((SOAK_RNG % $# + 1))
			eval "spec=\${$i}"
			step "soak: fault $spec"
			model_ctl "fault $spec"
			SOAK_INJECTED=$((SOAK_INJECTED + 1))
			# Half to one and a half times the period, so faults land in every phase.
			soak_rand
			next=$(($(now_ms) + fault_s * 500 + SOAK_RNG % (fault_s * 1000 + 1)))
		fi
	done
	model_ctl clear
	stop=$(date +%s.%N)
	kill -INT "$pinger" 2>/dev/null || true
	wait "$pinger" 2>/dev/null || true
	kill "$up" "$down" 2>/dev/null || true
	pkill -f "iperf3 -c $AP_IP" 2>/dev/null || true
	wait "$up" "$down" 2>/dev/null || true
	# Outages from the timestamps of the answered pings ("[1700000000.123456] 64 bytes from").
	set -- $(awk -v end="$stop" '
		/bytes from/ { t = substr($1, 2, length($1) - 2) + 0
			if (prev && t - prev > 5) { n++; if (t - prev > max) max = t - prev }
			prev = t }
		END { if (!prev || end - prev > 5) { n++; d++; if (prev && end - prev > max) max = end - prev }
			printf "%d %d %.1f", n, d, max }' /tmp/soak-ping.log)
	SOAK_OUTAGES=$1 SOAK_DEATHS=$2 SOAK_LONGEST=$3
	SOAK_PINGS="$(grep -c 'bytes from' /tmp/soak-ping.log)/$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' /tmp/soak-ping.log)"
	model_fresh
	SOAK_MUTATIONS="$(mstat hostile.mutations) in $(($(mstat rx_batches) - SOAK_BATCHES0)) RX batches"
	SOAK_EXCUSED=$(mstat hostile.excused_violations)
	step "soak: faults $SOAK_INJECTED, hostile mutations $SOAK_MUTATIONS (violations excused while" \
		"the driver acted on them: $SOAK_EXCUSED), pings answered $SOAK_PINGS, outages over 5 s" \
		"$SOAK_OUTAGES (longest $SOAK_LONGEST s), link deaths $SOAK_DEATHS"
}

# bes_teardown: ends the bench bes_station_setup built (supplicant, AP, model: its violation
# check), unloads bes2600 and the virtual host, and asks kmemleak; LEAKS is the number of
# unreferenced objects with bes2600 in their backtrace (they are printed). The AP's radio
# and namespace stay (their objects are not ours to judge).
# bes_finish: the end of a station scenario: the driver counted no protocol breach in the data
# path, the teardown (bes_teardown) leaves no leak of ours, the summary, PASS.
bes_finish() {
	[ "$(dstat data_rx_violations)" = 0 ] || fail "the driver counted receive indications that broke the protocol"
	[ "$(dstat data_tx_bad_confirms)" = 0 ] || fail "the driver counted TX confirms for frames it never sent"
	bes_teardown
	[ "$LEAKS" = 0 ] || fail "kmemleak reports leaks of bes2600"
	summary "violations=0" "leaks=0"
	summary_print
	step "PASS"
}
bes_teardown() {
	wpa_stop
	ap_stop
	model_stop
	rmmod bes2600 || fail "rmmod bes2600"
	rmmod bes2600_vsdio || fail "rmmod bes2600_vsdio"
	LEAKS=0
	[ -e /sys/kernel/debug/kmemleak ] || return 0
	# kmemleak does not report objects younger than 5 s.
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	_leaks=$(cat /sys/kernel/debug/kmemleak)
	if [ -n "$_leaks" ] && echo "$_leaks" | grep -q bes2600; then
		echo "$_leaks"
		LEAKS=$(echo "$_leaks" | grep -c '^unreferenced object')
	fi
}
