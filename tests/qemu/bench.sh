# Guest scenario for `make bench` (scripts/bench.sh; host root, `qemu-run.sh -R`): throughput
# and per-frame cost of bes2600 against the rest of the stack's own ceiling, in one boot.
#
# Setup: one hwsim radio is the AP (hostapd, WPA2-PSK with CCMP, the iperf3 server) in netns
# `ap`; bes2600 on the chip model (which is also the air) is one station, in the root
# namespace; a second hwsim radio is the reference station, in netns `ref`. Both associate
# and stay associated; one of them carries traffic at a time.
#
# Runs, each iperf3 for $BENCH_S seconds with the same settings (1500-byte IP packets: TCP at
# the default MSS, UDP with 1472-byte datagrams), RX (AP -> station) and TX:
#   guest      UDP over a veth pair: the packets per second this guest can move at all;
#   reference  the hwsim station: the ceiling of everything but our driver;
#   cpu        bes2600, no bus timing: our cost against that ceiling;
#   bus        bes2600 with the virtual host's bus timing model on (`bus RATE OVERHEAD` to the
#              model): against the limit the modelled bus allows (computed by scripts/bench.sh).
# UDP is offered at twice what TCP reached in the same configuration and direction (at least
# 1 Mbit/s): enough to saturate the path without the sender starving everything else.
#
# Each run prints one line "bench: ROW key=value ..." (scripts/bench.sh makes the table and
# the JSON of them): goodput, and over the run the guest's busy CPU time, the workqueue items
# queued (a histogram trigger on workqueue_queue_work, where the kernel has one: all of them
# and those of bes2600), for bes2600 the driver's counters (interrupts, BH wake-ups, RX and TX
# batches and messages) and the model's (CMD53s, frames on the air).
#
# Variables (scripts/bench.sh sets them): BENCH_S, BENCH_PROFILE (bound: the bus rate is a
# third of what the cpu runs moved, so the bus is the bottleneck; pinetab2: the RK3566's SDIO
# at 50 MHz, 4 bits), BENCH_BUS_RATE / BENCH_BUS_OVERHEAD_NS (bytes per second, ns per CMD53),
# BENCH_PERF (runs to profile with perf, e.g. "cpu/udp-tx reference/udp-tx"), BENCH_TESTS
# (a subset of the four tests), BENCH_POWER_SAVE (on or off for both stations).

LIB_TAG=bench
. "$BES2600_TOP/tests/qemu/lib.sh"

BENCH_S=${BENCH_S:-10}
BENCH_PROFILE=${BENCH_PROFILE:-bound}
# The tests each configuration runs (make check's smoke runs two).
BENCH_TESTS=${BENCH_TESTS:-tcp-rx udp-rx tcp-tx udp-tx}
REF_NS=ref
REF_IP=10.0.0.3
# Payload of one 1500-byte IP packet: TCP with timestamps, UDP.
TCP_PAYLOAD=1448
UDP_PAYLOAD=1472

for tool in iperf3 awk; do
	command -v "$tool" >/dev/null || fail "$tool is not installed on the host (the guest runs the host's)"
done

# ---------------------------------------------------------------------------------------------
# What a run costs.

TRACE=/sys/kernel/tracing
WQ_TRIGGER=$TRACE/events/workqueue/workqueue_queue_work/trigger
mount -t tracefs nodev "$TRACE" 2>/dev/null || true
# wq_start: counts every work item queued from now on, by work function (0: the kernel has
# no histogram triggers; the figures are then absent).
WQ=0
if [ -w "$WQ_TRIGGER" ] && echo 'hist:keys=function.sym' >"$WQ_TRIGGER" 2>/dev/null; then
	echo '!hist:keys=function.sym' >"$WQ_TRIGGER"
	WQ=1
fi
wq_start() { [ "$WQ" = 0 ] || echo 'hist:keys=function.sym:size=256' >"$WQ_TRIGGER"; }
# wq_stop: WQ_ALL (items queued), WQ_OURS (by bes2600's functions) and WQ_TOP (the three
# most frequent functions) since wq_start.
wq_stop() {
	WQ_ALL=- WQ_OURS=- WQ_TOP=-
	[ "$WQ" = 1 ] || return 0
	_hist=$(cat "${WQ_TRIGGER%trigger}hist")
	echo '!hist:keys=function.sym:size=256' >"$WQ_TRIGGER"
	WQ_ALL=$(echo "$_hist" | awk '/hitcount:/ { n += $NF } END { print n + 0 }')
	WQ_OURS=$(echo "$_hist" | awk '/hitcount:/ && /\[bes2600\]/ { n += $NF } END { print n + 0 }')
	WQ_TOP=$(echo "$_hist" | awk '/hitcount:/ { f = $0; sub(/^.*function: */, "", f); sub(/ *}.*$/, "", f)
		sub(/^\[[0-9a-f]+\] */, "", f)
		gsub(/ +/, "_", f); print $NF, f }' | sort -rn | head -n 3 | awk '{ printf "%s%s:%s", s, $2, $1; s = "," }')
	[ -n "$WQ_TOP" ] || WQ_TOP=-
}
# perf_start RUN: with RUN in $BENCH_PERF, samples every CPU (cpu-clock: TCG has no PMU)
# with call graphs until perf_stop, which prints where the time went: by command and object,
# then by symbol. Sampling costs time of its own: such runs are for the profile, not the table.
PERF_PID=
perf_start() {
	case " ${BENCH_PERF:-} " in *" $1 "*) ;; *) return 0 ;; esac
	command -v perf >/dev/null || { step "perf: not installed on the host"; return 0; }
	PERF_RUN=$1 PERF_DATA=/tmp/perf-$(echo "$1" | tr / -).data
	perf record -q -e cpu-clock -F 499 -a -g -o "$PERF_DATA" >/tmp/perf-record.log 2>&1 &
	PERF_PID=$!
	sleep 1
}
perf_stop() {
	[ -n "$PERF_PID" ] || return 0
	kill -INT "$PERF_PID" 2>/dev/null || true
	wait "$PERF_PID" 2>/dev/null || true
	PERF_PID=
	for _sort in comm,dso sym; do
		perf report -i "$PERF_DATA" --stdio --no-children --sort "$_sort" --percent-limit 1.5 -g none 2>/dev/null |
			grep -vE '^(#|$)' | head -n 25 | sed "s|^|bench: perf $PERF_RUN by $_sort: |"
	done
}
# cpu_busy: the guest's busy CPU time so far (all CPUs, in USER_HZ ticks).
cpu_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# model_cpu: the chip model's CPU time so far (user and system, USER_HZ ticks). The model
# stands in for the chip's own processor (its CCMP, its firmware) and is the medium of every
# station: its share is reported apart, as it costs a real host nothing.
model_cpu() {
	[ -n "${MODEL_PID:-}" ] && [ -r "/proc/$MODEL_PID/stat" ] || { echo 0 && return 0; }
	awk '{ sub(/^.*\) /, ""); print $12 + $13; exit }' "/proc/$MODEL_PID/stat"
}
# counters: the driver's and the model's counters this scenario reports, as key=value.
counters() {
	model_fresh || fail "no stats from the chip model"
	for _k in interrupts bh_wakeups bh_wakeups_irq bh_wakeups_tx bh_wakeups_idle rx_batches rx_frames tx_batches tx_frames; do
		printf '%s=%s ' "$_k" "$(dstat "$_k")"
	done
	for _k in cmd53_reads cmd53_writes bytes_read bytes_written air_rx air_tx; do
		printf '%s=%s ' "$_k" "$(mstat "$_k")"
	done
}
# delta BEFORE AFTER: AFTER - BEFORE for each key=value of the two lists.
delta() {
	echo "$1 | $2" | awk '{ for (i = 1; i <= NF; i++) { if ($i == "|") { after = 1; continue }
		split($i, kv, "="); if (after) printf "%s=%d ", kv[1], kv[2] - b[kv[1]]; else b[kv[1]] = kv[2] } }'
}

# run CONFIG TEST [VAR=VALUE...]: one iperf3 run from the station of CONFIG (reference: in
# netns ref; veth: in netns vp; else bes2600) and its ROW line. TEST: tcp-rx, tcp-tx, udp-rx,
# udp-tx (rx: the far end sends). UDP is offered at $RATE bit/s.
run() {
	_cfg=$1 _test=$2
	shift 2
	# The guest's own ceiling is stated in every report, whichever tests were asked for.
	if [ "$_cfg" != guest ]; then
		case " $BENCH_TESTS " in *" $_test "*) ;; *) LAST_BPS=0 && return 0 ;; esac
	fi
	case $_cfg in
	reference) _in="ip netns exec $REF_NS" _server=$AP_IP ;;
	guest) _in="ip netns exec vp" _server=10.9.0.1 ;;
	*) _in= _server=$AP_IP ;;
	esac
	case $_test in
	tcp-*) _args= _payload=$TCP_PAYLOAD ;;
	udp-*) _args="-u -l $UDP_PAYLOAD -b $RATE" _payload=$UDP_PAYLOAD ;;
	esac
	case $_test in *-rx) _args="$_args -R" ;; esac
	_json=/tmp/bench-$_cfg-$_test.json
	_c0=
	case $_cfg in cpu | bus) _c0=$(counters) ;; esac
	_busy0=$(cpu_busy)
	_model0=$(model_cpu)
	_t0=$(now_ms)
	wq_start
	perf_start "$_cfg/$_test"
	# iperf3 prints some warnings (a UDP datagram longer than the TCP MSS) before its JSON.
	timeout $((BENCH_S + 60)) $_in iperf3 -c "$_server" -t "$BENCH_S" -J --connect-timeout 10000 $_args \
		>"$_json.out" 2>&1 || true
	sed -n '/^{/,$p' "$_json.out" >"$_json"
	[ -s "$_json" ] || cp "$_json.out" "$_json"
	wq_stop
	perf_stop
	_ms=$(($(now_ms) - _t0))
	_busy=$(($(cpu_busy) - _busy0))
	_model=$(($(model_cpu) - _model0))
	_c=
	case $_cfg in cpu | bus) _c=$(delta "$_c0" "$(counters)") ;; esac
	_err=$(json_num "$_json" .error)
	[ -z "$_err" ] || fail "iperf3 $_cfg $_test: $_err"
	_bytes=$(json_num "$_json" .end.sum_received.bytes)
	_bps=$(json_num "$_json" .end.sum_received.bits_per_second)
	_secs=$(json_num "$_json" .end.sum_received.seconds)
	[ -n "$_bytes" ] && [ "${_bytes%.*}" -gt 0 ] || { head -c 2000 "$_json"; fail "iperf3 $_cfg $_test: no result"; }
	_lost=$(json_num "$_json" .end.sum_received.lost_percent)
	echo "bench: ROW config=$_cfg test=$_test bps=${_bps%.*} bytes=${_bytes%.*} secs=$_secs" \
		"payload=$_payload lost_percent=${_lost:-0} wall_ms=$_ms cpu_ticks=$_busy model_ticks=$_model" \
		"user_hz=$(getconf CLK_TCK) wq_all=$WQ_ALL wq_bes2600=$WQ_OURS wq_top=$WQ_TOP $_c$*"
	LAST_BPS=${_bps%.*}
}
# pair CONFIG DIRECTION: TCP, then UDP offered at twice what TCP reached (at least 1 Mbit/s),
# in one direction. MAX_BPS: the most a run moved so far.
pair() {
	run "$1" "tcp-$2"
	[ "$LAST_BPS" -le "${MAX_BPS:-0}" ] || MAX_BPS=$LAST_BPS
	RATE=$((LAST_BPS * 2))
	# Without a TCP run to go by (BENCH_TESTS): $BENCH_UDP_BPS.
	[ "$LAST_BPS" != 0 ] || RATE=${BENCH_UDP_BPS:-50000000}
	[ "$RATE" -ge 1000000 ] || RATE=1000000
	run "$1" "udp-$2" "offered_bps=$RATE"
	[ "$LAST_BPS" -le "${MAX_BPS:-0}" ] || MAX_BPS=$LAST_BPS
}

# ---------------------------------------------------------------------------------------------
# The guest alone: UDP between two network namespaces over a veth pair.

step "== the guest: $(nproc) CPUs, $(uname -r); UDP over veth"
ip netns add vp
ip link add vh type veth peer name vp0
ip link set vp0 netns vp
ip addr add 10.9.0.2/24 dev vh
ip link set vh up
ip netns exec vp ip addr add 10.9.0.1/24 dev vp0
ip netns exec vp ip link set vp0 up
ip netns exec vp ip link set lo up
ip netns exec vp iperf3 -s -B 10.9.0.1 -D -I /run/iperf3-vp.pid --logfile /tmp/iperf3-vp.log ||
	fail "iperf3 server in netns vp"
sleep 1
# veth is not a radio: offer more than any station here carries.
RATE=2000000000
run guest udp-tx
kill "$(cat /run/iperf3-vp.pid)" 2>/dev/null || true

# ---------------------------------------------------------------------------------------------
# The air: the AP, bes2600 and the reference station.

BES_HWSIM_RADIOS=2 bes_station_setup
ref_phy=${SPARE_PHYS# }
[ -n "$ref_phy" ] || fail "no second hwsim radio for the reference station"
ref_if=$(phy_netdev "$ref_phy") || fail "hwsim radio $ref_phy has no interface"
ip netns add "$REF_NS"
iw phy "$ref_phy" set netns name "$REF_NS" || fail "iw phy $ref_phy set netns name $REF_NS"
ip netns exec "$REF_NS" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6'
ip netns exec "$REF_NS" ip link set lo up
ip netns exec "$REF_NS" ip addr add "$REF_IP/24" dev "$ref_if"
ip netns exec "$REF_NS" ip link set "$ref_if" up || fail "the reference station does not come up"
step "reference station: hwsim radio $ref_phy, $ref_if in netns $REF_NS, $REF_IP"

ap_up wpa2
expect_within 20 "the chip model to hear the AP's beacons" model_hears_ap ||
	fail "the chip model hears no beacon from the AP"
sta_connect
step "bes2600 associated"

# The reference station: wpa_supplicant in its namespace, on the same network.
wpa_conf wpa2 "$AP_PASS" | sed 's|ctrl_interface=.*|ctrl_interface=/run/wpa_supplicant-ref|' >/tmp/wpa-ref.conf
ip netns exec "$REF_NS" wpa_supplicant -B -D nl80211 -i "$ref_if" -c /tmp/wpa-ref.conf \
	-f /tmp/wpa-ref.log -P /run/wpa-ref.pid || fail "wpa_supplicant for the reference station"
ref_completed() {
	ip netns exec "$REF_NS" wpa_cli -p /run/wpa_supplicant-ref -i "$ref_if" status 2>/dev/null |
		grep -qx "wpa_state=COMPLETED"
}
expect_within 90 "the reference station to associate" ref_completed ||
	fail "the reference station did not associate ($(tail -n 5 /tmp/wpa-ref.log | tr '\n' ' '))"
ip netns exec "$REF_NS" ping -c 3 -W 5 "$AP_IP" >/dev/null || fail "the reference station cannot reach the AP"
ping -c 3 -W 5 "$AP_IP" >/dev/null || fail "bes2600 cannot reach the AP"
# Power save as cfg80211 sets it by default (on), unless the run asks for one state on both.
if [ -n "${BENCH_POWER_SAVE:-}" ]; then
	iw dev "$STA_IF" set power_save "$BENCH_POWER_SAVE" || fail "iw set power_save on $STA_IF"
	ip netns exec "$REF_NS" iw dev "$ref_if" set power_save "$BENCH_POWER_SAVE" ||
		fail "iw set power_save on $ref_if"
fi
step "power save: bes2600 $(iw dev "$STA_IF" get power_save | sed -n 's/^Power save: //p'), reference $(ip netns exec "$REF_NS" iw dev "$ref_if" get power_save | sed -n 's/^Power save: //p')"

# ---------------------------------------------------------------------------------------------
# The runs.

step "== reference: the hwsim station (the ceiling of the rest of the stack)"
for dir in rx tx; do pair reference "$dir"; done

step "== cpu: bes2600, no bus timing"
model_ctl "bus 0 0"
MAX_BPS=0
for dir in rx tx; do pair cpu "$dir"; done

case $BENCH_PROFILE in
bound)
	# A third of what the cpu runs moved (as bytes on the bus, 1632 per 1448 payload bytes):
	# well below what the guest can push, so the bus is the bottleneck.
	rate=${BENCH_BUS_RATE:-$((MAX_BPS / 8 * 1632 / 1448 / 3))}
	[ "$rate" -ge 20000 ] || rate=20000
	overhead=${BENCH_BUS_OVERHEAD_NS:-40000}
	;;
pinetab2)
	rate=${BENCH_BUS_RATE:-24380000}
	overhead=${BENCH_BUS_OVERHEAD_NS:-40000}
	;;
*) fail "unknown bus profile $BENCH_PROFILE" ;;
esac
step "== bus: bes2600 with the bus timing model: $rate bytes/s, $overhead ns per CMD53 ($BENCH_PROFILE)"
echo "bench: META profile=$BENCH_PROFILE bus_rate=$rate bus_overhead_ns=$overhead seconds=$BENCH_S cpus=$(nproc)" \
	"kernel=$(uname -r) wq_hist=$WQ tests=$(echo $BENCH_TESTS | tr ' ' ,)"
model_ctl "bus $rate $overhead"
for dir in rx tx; do pair bus "$dir"; done
model_ctl "bus 0 0"

# ---------------------------------------------------------------------------------------------
# The end: both stations still there, the model counted no violation, no leak.

ping -c 3 -W 5 "$AP_IP" >/dev/null || fail "bes2600 lost the AP during the bench"
kill "$(cat /run/wpa-ref.pid)" 2>/dev/null || true
bes_teardown
[ "$LEAKS" = 0 ] || fail "kmemleak: $LEAKS objects of ours"
step "PASS"
