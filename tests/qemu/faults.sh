# Guest scenario (host root, `qemu-run.sh -R`): the fault matrix. bes2600 is associated to a
# WPA2 AP (as in tests/qemu/station.sh) and carries iperf3 TCP traffic plus a ping every
# 0.2 s when each fault hits. Every row records how the fault was detected and how fast,
# whether the chip was restarted, what user space saw (the association kept, or a
# disconnection and a reconnection), the time from the fault to pings answered again, the
# pings lost in the row, and whether the kernel log stayed clean (no WARN, BUG, KASAN,
# lockdep or refcount report). Recovery is always automatic: nothing here reloads the
# module except the rows that are about unloading it.
#
# Rows: transient bus faults the BH rides out (interrupt storm, CMD53 errors, CMD52
# timeouts); chip faults that need a restart (TX and command confirms dropped, a confirm
# delayed past the timeout, corrupt RX lengths in the message and in the register, a corrupt
# message id, a wrong sequence number, the firmware crashing silently and with an exception
# indication); the air (the AP vanishing and returning, beacon loss, a storm of decryption
# failures); the host (allocation failures in the BH through failslab and fail_page_alloc,
# the card pulled out during traffic and put back, the module unloaded during traffic and
# during a recovery). Then a short soak: random faults of the matrix and the model's hostile
# mode (5 of 1000 RX batches) together for 75 s, traffic both ways, no link death allowed. At the end: the table,
# kmemleak, the model's violation count.
#
#   scripts/qemu-run.sh -R -t 1800 -k "$K" -s tests/qemu/faults.sh -l /tmp/faults.log \
#       -m bes2600_vsdio.ko -m bes2600.ko -m "$K"/drivers/net/wireless/virtual/mac80211_hwsim.ko
#   scripts/check-log.sh /tmp/faults.log
#
# FAULT_ROWS="name name..." runs only those rows (the setup always runs).

LIB_TAG=${LIB_TAG:-faults}
. "$BES2600_TOP/tests/qemu/lib.sh"

# Enough restarts for every row; the count is forgiven after 60 s of running anyway.
RECOVERY_BUDGET=100
bes_station_setup recovery_budget=$RECOVERY_BUDGET
ap_up wpa2
expect_within 20 "the chip model to hear the AP's beacons" model_hears_ap ||
	fail "the chip model hears no beacon from the AP"
sta_connect
ping_both_ways

# ---------------------------------------------------------------------------------------------
# The traffic of a row: iperf3 TCP up (its own one-shot server port per row, so a connection
# cut by a fault never leaves a server busy for the next row) and a ping every 0.2 s.

ROW_PORT=5300
load_start() {
	ROW_PORT=$((ROW_PORT + 1))
	in_ap iperf3 -s -1 -B "$AP_IP" -p "$ROW_PORT" -D --logfile /tmp/iperf3-row.log ||
		fail "iperf3 server on port $ROW_PORT"
	sleep 0.5
	iperf3 -c "$AP_IP" -p "$ROW_PORT" -t 600 --connect-timeout 10000 >/tmp/iperf3-row-client.log 2>&1 &
	LOAD_IPERF=$!
	$(ping_cmd) -i 0.2 "$AP_IP" >/tmp/row-ping.log 2>&1 &
	LOAD_PING=$!
	tx0=$(tx_bytes)
	flowing() { [ "$(replies)" -ge 2 ] && [ "$(tx_bytes)" -gt $((tx0 + 20000)) ]; }
	if ! wait_for 60 flowing; then
		lib_tail /tmp/iperf3-row-client.log 10 "iperf3 client"
		lib_tail /tmp/row-ping.log 5 ping
		fail "$1: no traffic before the fault ($(replies) ping replies, $(($(tx_bytes) - tx0)) bytes sent)"
	fi
}
tx_bytes() { cat /sys/class/net/"$STA_IF"/statistics/tx_bytes 2>/dev/null || echo 0; }
replies() { grep -c 'bytes from' /tmp/row-ping.log; }
# load_stop: ends the row's traffic; LOST is "lost/sent" of the row's pings.
load_stop() {
	kill -INT "$LOAD_PING" 2>/dev/null || true
	wait "$LOAD_PING" 2>/dev/null || true
	kill "$LOAD_IPERF" 2>/dev/null || true
	wait "$LOAD_IPERF" 2>/dev/null || true
	in_ap pkill -f "iperf3 -s -1 -B $AP_IP -p $ROW_PORT" 2>/dev/null || true
	_sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' /tmp/row-ping.log)
	_rcvd=$(replies)
	LOST="$((${_sent:-0} - _rcvd))/${_sent:-0}"
}

# ---------------------------------------------------------------------------------------------
# One row.

# dsum COUNTER...: the sum of the driver's debugfs counters.
dsum() {
	_n=0
	for _c in "$@"; do _n=$((_n + $(dstat "$_c"))); done
	echo $_n
}
# The kernel log since the row's mark: reports of a kernel bug, a race or a leak.
# The patterns scripts/check-log.sh judges the whole log by.
SPLAT_RE='WARNING: CPU: [0-9]+ PID|BUG: |Oops: |Kernel panic|KASAN: |possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|unreferenced object 0x|blocked for more than|rcu: INFO: .* stall|UBSAN: |general protection fault'
# The test kernel's known hwsim race (scripts/check-log.sh, bench_defects) is not ours.
BENCH_DEFECT_RE='BUG: KASAN: slab-use-after-free in mac80211_hwsim_tx_frame_nl\+'
log_clean() { ! dmesg | tail -n +"$((KMARK + 1))" | grep -vE "$BENCH_DEFECT_RE" | grep -qE "$SPLAT_RE"; }
wpa_completed() { wpa_cmd status 2>/dev/null | grep -qx "wpa_state=COMPLETED"; }
# `iw dev IF link` answers within 5 s (never hangs), whatever state the driver is in.
iw_answers() {
	# Only a hang counts: iw fails on its own (ENOENT, status 254) when the station it found
	# in the scan results is gone by the time it asks for it, as during a restart.
	_iw_rc=0
	timeout 5 iw dev "$STA_IF" link >/dev/null 2>&1 || _iw_rc=$?
	[ "$_iw_rc" != 124 ] || fail "$ROW: 'iw dev $STA_IF link' hung"
}

ROWS_OUT=
FAILED_ROWS=
# want NAME: the row is selected ($FAULT_ROWS).
want() { [ -z "${FAULT_ROWS:-}" ] || case " $FAULT_ROWS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# row_begin NAME: the row starts: associated, traffic flowing, marks taken.
row_begin() {
	ROW=$1
	step "== row $ROW"
	wpa_completed || wait_for 90 wpa_completed || fail "$ROW: not associated before the fault"
	load_start "$ROW"
	R0=$(dstat restarts)
	KMARK=$(dmesg | wc -l)
	wpa_mark
	T0=$(now_ms)
}
# row_detect WHAT COUNTER...: waits (30 s) until the COUNTERs' sum grows; DETECT says by
# what and after how long.
row_detect() {
	_what=$1
	shift
	_d0=$D0
	grown() { [ "$(dsum "$@")" -gt "$_d0" ]; }
	if wait_for 30 grown "$@"; then
		DETECT="$_what, $(($(now_ms) - T0)) ms"
	else
		DETECT="NOT DETECTED"
		FAILED_ROWS="$FAILED_ROWS $ROW"
		step "$ROW: not detected: $* stayed at $_d0"
	fi
}
# row_end: waits for the chip to run and pings to be answered again (90 s: a restart plus a
# reassociation), then records the row.
row_end() {
	iw_answers
	wait_for 90 running || {
		FAILED_ROWS="$FAILED_ROWS $ROW"
		step "$ROW: the driver did not come back to running (state $(dstat state))"
	}
	_r=$(replies)
	answered() { [ "$(replies)" -gt "$_r" ]; }
	if wait_for 90 answered; then
		FLOW="$(($(now_ms) - T0)) ms"
	else
		FLOW="NO TRAFFIC"
		FAILED_ROWS="$FAILED_ROWS $ROW"
		step "$ROW: traffic did not flow again"
	fi
	iw_answers
	load_stop
	_restarts=$(($(dstat restarts) - R0))
	if [ -n "${USERSPACE_NOTE:-}" ]; then
		USERSPACE=$USERSPACE_NOTE
		USERSPACE_NOTE=
	elif wpa_seen_q "CTRL-EVENT-DISCONNECTED"; then
		if wpa_seen_q "CTRL-EVENT-CONNECTED"; then USERSPACE="disconnect, reconnect"; else USERSPACE="disconnected"; fi
	else
		USERSPACE="stayed associated"
	fi
	if log_clean; then CLEAN=clean; else
		CLEAN=SPLAT
		FAILED_ROWS="$FAILED_ROWS $ROW"
		dmesg | tail -n +"$((KMARK + 1))" | grep -E -A 20 "$SPLAT_RE" | head -n 60 | sed "s/^/$LIB_TAG: splat: /"
	fi
	_line=$(printf '| %-22s | %-34s | %-8s | %-22s | %-9s | %-7s | %-5s |' \
		"$ROW" "$DETECT" "$_restarts" "$USERSPACE" "$FLOW" "$LOST" "$CLEAN")
	step "row: $_line"
	ROWS_OUT="$ROWS_OUT$_line
"
}
# fault_row NAME SPEC TRIGGER WHAT COUNTER...: injects SPEC into the model (TRIGGER "command":
# then sends a command whose confirm the fault hits) and records the row, detected when the
# COUNTERs' sum grows.
fault_row() {
	want "$1" || return 0
	_name=$1 _spec=$2 _trigger=$3 _what=$4
	shift 4
	row_begin "$_name"
	D0=$(dsum "$@")
	model_ctl "fault $_spec"
	if [ "$_trigger" = command ]; then
		(echo "0x0007 100" >"$dbg/mib") 2>/dev/null &
	fi
	row_detect "$_what" "$@"
	row_end
}

# ---------------------------------------------------------------------------------------------
# The matrix.

# Rows with the driver's counters as detection. The delayed confirm comes 8 s late: past the
# 5 s deadline of its frame, which finds it while other confirms keep arriving.
fault_row irq-storm "irq-storm:count=200" none "interrupts" interrupts
fault_row cmd53-errors "bus-error:count=3" none "bus_errors" bus_errors
fault_row cmd52-timeouts "cmd52-timeout:count=3" none "bus/irq read errors" bus_errors irq_read_errors
fault_row tx-confirm-dropped "drop-confirm:kind=tx,count=1" none "errors.confirm_timeout" errors.confirm_timeout
fault_row cmd-confirm-dropped "drop-confirm:kind=cmd" command "errors.confirm_timeout" errors.confirm_timeout errors.command_timeout
fault_row confirm-delayed "delay-confirm:kind=tx,delay=8000,count=1" none "errors.confirm_timeout" errors.confirm_timeout
fault_row rx-len-message "corrupt-rx-len:mode=msg" none "errors.bad_batch" errors.bad_batch errors.rx_too_long errors.bad_message
# One 512-byte unit too many in the length register: the host reads the batch and zero
# padding after it, which the batch format ends at; nothing to recover from (the vendor
# driver reads the same way). The row checks the fault hit and nothing broke.
if want rx-len-register; then
	row_begin rx-len-register
	model_fresh
	D0=$(mstat fault.corrupt-rx-len)
	model_ctl "fault corrupt-rx-len:mode=reg"
	hit() { model_fresh && [ "$(mstat fault.corrupt-rx-len)" -gt "$D0" ]; }
	if wait_for 30 hit; then
		DETECT="tolerated (padding read), $(($(now_ms) - T0)) ms"
	else
		DETECT="FAULT NOT HIT"
		FAILED_ROWS="$FAILED_ROWS rx-len-register"
	fi
	row_end
fi
fault_row rx-id "corrupt-rx-id" none "errors.unexpected_confirm" errors.unexpected_confirm errors.bad_message
fault_row wrong-seq "wrong-seq" none "errors.sequence" errors.sequence
fault_row crash-silent "crash:mode=silent" none "errors.confirm_timeout" errors.confirm_timeout errors.command_timeout
fault_row crash-exception "crash:mode=exception" none "errors.exception" errors.exception
fault_row beacon-loss "beacon-loss:for=8000" none "bss_lost (firmware event)" bss_lost
fault_row decrypt-fail-storm "decrypt-fail:for=5000" none "data_rx_failed" data_rx_failed

# The AP vanishes (the model stops forwarding its frames) and returns once the station
# noticed: detection is the disconnection user space sees.
if want ap-vanish; then
	row_begin ap-vanish
	ap_down
	if wpa_wait 60 "the station to notice the AP is gone" "CTRL-EVENT-DISCONNECTED"; then
		DETECT="disconnect event, $(($(now_ms) - T0)) ms"
	else
		DETECT="NOT DETECTED"
		FAILED_ROWS="$FAILED_ROWS ap-vanish"
	fi
	iw_answers
	ap_return
	row_end
fi

# Allocation failures: the BH thread's slab and page allocations fail (failslab and
# fail_page_alloc with the task filter: only the BH is hit) at 20 % for 5 s.
if want alloc-failures; then
	row_begin alloc-failures
	D0=$(dsum data_rx_no_memory errors.internal restarts data_tx_dropped)
	bh_pid=$(pgrep -x bes2600-bh | head -n1)
	[ -n "$bh_pid" ] || fail "no bes2600-bh thread"
	for fa in failslab fail_page_alloc; do
		d=/sys/kernel/debug/$fa
		echo Y >"$d/task-filter"
		echo 0 >"$d/verbose"
		echo N >"$d/ignore-gfp-wait"
		[ ! -e "$d/ignore-gfp-highmem" ] || echo N >"$d/ignore-gfp-highmem"
		echo 0 >"$d/interval"
		echo -1 >"$d/times"
		echo 20 >"$d/probability"
	done
	echo 1 >/proc/"$bh_pid"/make-it-fail
	sleep 5
	for fa in failslab fail_page_alloc; do echo 0 >/sys/kernel/debug/$fa/probability; done
	echo 0 >/proc/"$bh_pid"/make-it-fail 2>/dev/null || true
	row_detect "no_memory/dropped/restart" data_rx_no_memory errors.internal restarts data_tx_dropped
	row_end
fi

# The card is pulled out of the slot during traffic and put back: the driver unbinds and
# its interface goes; on insertion it probes again, a new interface appears, and the
# supplicant (as a network manager would) is started on it.
if want card-removed; then
	row_begin card-removed
	model_ctl "card remove"
	not_bound() { ! have_func || ! bound; }
	if wait_for 30 not_bound; then
		DETECT="unbound, $(($(now_ms) - T0)) ms"
	else
		DETECT="NOT DETECTED"
		FAILED_ROWS="$FAILED_ROWS card-removed"
	fi
	iface_gone() { [ ! -e /sys/class/net/"$STA_IF" ]; }
	wait_for 30 iface_gone || fail "card-removed: $STA_IF stayed after the card was removed"
	wpa_stop
	model_ctl "card insert"
	expect_within 30 "the card to be enumerated again" have_func || fail "card-removed: not enumerated again"
	func=$(bes_func)
	name=${func##*/}
	dbg=/sys/kernel/debug/bes2600-$name
	expect_within 20 "bes2600 to bind again" bound || fail "card-removed: not bound again"
	expect_within 120 "the chip to run again" running || fail "card-removed: the chip did not come up"
	expect_within 60 "the interface to appear again" sta_netdev || fail "card-removed: no interface"
	sta_use "$STA_DEV"
	wpa_start
	USERSPACE_NOTE="new interface, new supplicant"
	R0=$(dstat restarts)
	row_end
fi

# reload_row_end: after an unload, nothing of the driver is left; it is loaded again and a
# new supplicant started on its new interface (as a network manager would); the row ends.
reload_row_end() {
	[ ! -e "$dbg" ] || fail "$ROW: debugfs directory left behind"
	[ ! -e /sys/class/net/"$STA_IF" ] || fail "$ROW: $STA_IF left behind"
	wpa_stop
	bes2600_up recovery_budget=$RECOVERY_BUDGET
	wpa_start
	USERSPACE_NOTE="new interface, new supplicant"
	R0=$(dstat restarts)
	row_end
}

# The module is unloaded during traffic, and loaded again.
if want unload-traffic; then
	row_begin unload-traffic
	_t=$(now_ms)
	rmmod bes2600 || fail "unload-traffic: rmmod failed"
	DETECT="rmmod took $(($(now_ms) - _t)) ms"
	reload_row_end
fi

# The module is unloaded while the chip is being restarted after a crash.
if want unload-recovery; then
	row_begin unload-recovery
	model_ctl "fault crash:mode=silent"
	recovering() { [ "$(dstat restarts)" -gt "$R0" ]; }
	wait_for 30 recovering || fail "unload-recovery: the crash was not detected"
	_t=$(now_ms)
	rmmod bes2600 || fail "unload-recovery: rmmod failed"
	DETECT="rmmod in recovery, $(($(now_ms) - _t)) ms"
	reload_row_end
fi

# The short soak: random faults of the matrix and the hostile chip together, traffic both
# ways (`make soak` runs it for as long as asked).
if want soak; then
	step "== short soak"
	soak_phase "${FAULTS_SOAK_S:-75}" 12 5 1
	[ "$SOAK_DEATHS" = 0 ] || FAILED_ROWS="$FAILED_ROWS soak"
fi

step "== the fault matrix"
{
	printf '| %-22s | %-34s | %-8s | %-22s | %-9s | %-7s | %-5s |\n' \
		fault "detected (by, after)" restarts "user space saw" "traffic after" "pings lost" log
	printf '|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 24))" "$(printf -- '-%.0s' $(seq 36))" \
		"$(printf -- '-%.0s' $(seq 10))" "$(printf -- '-%.0s' $(seq 24))" "$(printf -- '-%.0s' $(seq 11))" \
		"$(printf -- '-%.0s' $(seq 9))" "$(printf -- '-%.0s' $(seq 7))"
	printf '%s' "$ROWS_OUT"
} | sed "s/^/$LIB_TAG: table: /"
grep -E '^(interrupts|restarts|boots|card_resets|bss_lost|data_[a-z_]+|errors\.[a-z_]+) ' "$dbg/stats" |
	tr '\n' ' ' | sed "s/^/$LIB_TAG: driver: /"
echo

bes_teardown
[ "$LEAKS" = 0 ] || fail "kmemleak reports leaks of bes2600"
[ -z "$FAILED_ROWS" ] || fail "rows failed:$FAILED_ROWS"
step "PASS"
