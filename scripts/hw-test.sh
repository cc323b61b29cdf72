#!/usr/bin/env bash
# Throughput and stability test of the bes2600 driver on a PineTab2, for a bug report: the
# tablet receives a fixed-rate TCP stream for several minutes, several times, each time from
# a freshly loaded driver, and the script prints one Markdown table (MB/s per run with mean,
# median and minimum, link deaths, the driver's debugfs counters before and after, kernel
# warnings).
#
# Usage, on the tablet, as root:
#   scripts/hw-test.sh -s SERVER [-n RUNS] [-t SECONDS] [-b RATE] [-i IFACE] [-d SECONDS]
#                      [-o DIR] [--no-reload]
#   scripts/hw-test.sh --parse-only DIR
#
#   -s SERVER      address of another machine on the network running `iperf3 -s`
#   -n RUNS        repetitions (default 3)
#   -t SECONDS     length of each run (default 300)
#   -b RATE        rate the server sends at, iperf3 syntax (default 32M: 32 Mbit/s = 4 MB/s)
#   -i IFACE       the bes2600 interface (default: the one bound to the driver)
#   -d SECONDS     a link death is a stretch without traffic at least this long (default 5)
#   -o DIR         where the raw results go (default ./bes2600-hw-test-DATE); kept
#   --no-reload    keep the loaded driver instead of reloading it before each run
#   --parse-only DIR  print the table for the results already in DIR (no hardware needed)
#
# What it needs: the bes2600 module loaded and bound to the chip, its interface up and
# associated with an access point (NetworkManager or wpa_supplicant reconnects it after each
# reload), debugfs mounted, iperf3, iw, python3 and util-linux's dmesg with --follow-new, and
# `iperf3 -s` running on SERVER. The tablet runs the client in reverse mode (iperf3 -R): the
# server sends, the tablet receives, so the only thing to do on the other machine is to start
# `iperf3 -s` once; the measured direction is the tablet's receive path.
#
# A run whose connection dies is kept: its MB/s counts what arrived, and the seconds until
# its planned end count as one link death.
#
# Exit status: 0 when every run completed; 1 when a run failed or the script refused to run
# (what is missing is printed); 2 on a usage error.
#
# Test hook: BES2600_HW_TEST_SYSFS replaces /sys (module, net and debugfs lookups).
set -euo pipefail

sysfs=${BES2600_HW_TEST_SYSFS:-/sys}
runs=3
seconds=300
rate=32M
iface=
death=5
out=
reload=yes
server=
parse_only=

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
}
die() {
	printf 'hw-test: %s\n' "$*" >&2
	exit 1
}
say() { printf 'hw-test: %s\n' "$*" >&2; }
is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

while [ $# -gt 0 ]; do
	case $1 in
	-s | -n | -t | -b | -i | -d | -o | --parse-only) [ $# -ge 2 ] || usage ;;&
	-s) server=$2; shift 2 ;;
	-n) runs=$2; shift 2 ;;
	-t) seconds=$2; shift 2 ;;
	-b) rate=$2; shift 2 ;;
	-i) iface=$2; shift 2 ;;
	-d) death=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	--no-reload) reload=no; shift ;;
	--parse-only) parse_only=$2; shift 2 ;;
	-h | --help) usage ;;
	*) printf 'hw-test: unknown argument %s\n' "$1" >&2; usage ;;
	esac
done
if ! is_count "$runs" || ! is_count "$seconds" || ! is_count "$death"; then usage; fi

# Prints the Markdown report of the results in directory $1 (see `measure` for its files).
report() {
	python3 - "$1" <<'EOF'
import json, os, re, statistics, sys

d = sys.argv[1]
meta = {}
with open(os.path.join(d, "meta")) as f:
    for line in f:
        k, _, v = line.rstrip("\n").partition("=")
        meta[k] = v
runs = int(meta["runs"])
death = float(meta.get("death", "5"))

# The counters shown, in order: what tells a healthy link from a sick one.
COUNTERS = ["state", "boots", "restarts", "card_resets", "last_error", "interrupts",
            "rx_frames", "tx_frames", "bus_errors", "rejected", "errors.violations",
            "data_rx_delivered", "data_rx_failed", "data_rx_violations", "data_tx_dropped",
            "confirm_latency_max_us", "bss_lost", "ps_errors", "suspends", "resumes"]
# The first line of each kind of kernel splat (not the lines of its trace).
WARN = re.compile(r"WARNING:|BUG:|kernel BUG at|Oops|general protection fault|KASAN:|UBSAN:")

def read_stats(path):
    stats = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.strip().partition(" ")
                if k:
                    stats[k] = v
    except OSError:
        pass
    return stats

def iperf(path):
    """MB/s, link deaths, seconds without traffic, error text of one iperf3 -J result."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return None, 1, None, f"no iperf3 result ({e.__class__.__name__})"
    planned = float(data.get("start", {}).get("test_start", {}).get("duration", 0) or 0)
    intervals = [(i["sum"]["bytes"], i["sum"]["seconds"]) for i in data.get("intervals", [])]
    received = data.get("end", {}).get("sum_received", {})
    nbytes = received.get("bytes")
    if nbytes is None:
        nbytes = sum(b for b, _ in intervals)
    elapsed = sum(s for _, s in intervals)
    deaths, dead, quiet = 0, 0.0, 0.0
    for b, s in intervals + [(1, 0.0)]:
        if b == 0:
            quiet += s
            continue
        if quiet >= death:
            deaths += 1
            dead += quiet
        quiet = 0.0
    # A run that ended early lost its link for the rest of its planned time.
    if planned and elapsed < planned - 1.5:
        deaths += 1
        dead += planned - elapsed
    span = planned if planned else elapsed
    mbs = nbytes / span / 1e6 if span else 0.0
    return mbs, deaths, dead, data.get("error")

cols, mbs_all, deaths_all, dead_all, warn_all, failed, notes = [], [], 0, 0.0, 0, 0, []
for i in range(1, runs + 1):
    mbs, deaths, dead, error = iperf(os.path.join(d, f"run{i}.json"))
    warnings = []
    try:
        with open(os.path.join(d, f"run{i}.dmesg"), errors="replace") as f:
            warnings = [l.rstrip() for l in f if WARN.search(l)]
    except OSError:
        pass
    if error:
        failed += 1
        notes.append(f"run {i}: {error}")
    for w in warnings[:3]:
        notes.append(f"run {i}: {w}")
    if mbs is not None:
        mbs_all.append(mbs)
    deaths_all += deaths
    dead_all += dead or 0.0
    warn_all += len(warnings)
    cols.append({
        "mbs": "-" if mbs is None else f"{mbs:.2f}",
        "deaths": str(deaths),
        "dead": "-" if dead is None else f"{dead:.0f}",
        "warn": str(len(warnings)),
        "before": read_stats(os.path.join(d, f"run{i}.stats.before")),
        "after": read_stats(os.path.join(d, f"run{i}.stats.after")),
    })

def summary_mbs():
    if not mbs_all:
        return "-"
    return (f"mean {statistics.mean(mbs_all):.2f}, median {statistics.median(mbs_all):.2f}, "
            f"min {min(mbs_all):.2f}")

print(f"bes2600 hardware test: {runs} x {meta['seconds']} s of iperf3 -R -b {meta['rate']} "
      f"from the server ({'driver reloaded before each run' if meta.get('reload') == 'yes' else 'no reload'}); "
      f"kernel {meta.get('kernel', '?')}, driver {meta.get('driver', '?')}, "
      f"firmware {meta.get('firmware', '?')}, power save {meta.get('power_save', '?')}")
print()
def line(cells):
    # An empty cell is one space, so every row reads the same way.
    print("|" + "|".join(f" {c} " if c else " " for c in cells) + "|")
line(["measure", *[f"run {i}" for i in range(1, runs + 1)], "all runs"])
print("|" + "---|" * (runs + 2))
def row(name, key, total):
    line([name, *[c[key] for c in cols], total])
row("received MB/s", "mbs", summary_mbs())
row(f"link deaths (no traffic for {death:g} s or more)", "deaths", str(deaths_all))
row("seconds without traffic in them", "dead", f"{dead_all:.0f}")
row("kernel warnings (WARN/BUG/Oops lines)", "warn", str(warn_all))
def before_after(b, a):
    if a is None and b is None:
        return "-"
    return f"{'-' if b is None else b} → {'-' if a is None else a}"
for name in COUNTERS:
    line([f"debugfs {name}", *[before_after(c["before"].get(name), c["after"].get(name)) for c in cols], ""])
if notes:
    print()
    print("```")
    for n in notes:
        print(n)
    print("```")
sys.exit(1 if failed else 0)
EOF
}

if [ -n "$parse_only" ]; then
	[ -f "$parse_only/meta" ] || die "$parse_only has no results (no meta file)"
	report "$parse_only"
	exit
fi

[ -n "$server" ] || usage

# Refuses to run unless everything a measurement needs is there, naming what is missing.
preflight() {
	local missing=() t
	for t in iperf3 iw python3 dmesg modprobe timeout ping; do
		command -v "$t" >/dev/null || missing+=("the $t command")
	done
	[ "${#missing[@]}" -eq 0 ] || die "missing: ${missing[*]}"
	dmesg --help 2>&1 | grep -q -- --follow-new ||
		die "this dmesg has no --follow-new (util-linux 2.38 or later needed)"
	[ "$(id -u)" = 0 ] || die "run as root: it reloads the module and reads debugfs"
	[ -d "$sysfs/module/bes2600" ] ||
		die "the bes2600 module is not loaded (modprobe bes2600); this test measures the bes2600 driver on a PineTab2"
	[ -n "$iface" ] || iface=$(bound_iface) ||
		die "no network interface is bound to bes2600: is the chip probed? (dmesg | grep bes2600)"
	[ -d "$sysfs/class/net/$iface" ] || die "no interface $iface"
	associated ||
		die "$iface is not associated with an access point (connect it with NetworkManager or wpa_supplicant first)"
	stats_file >/dev/null ||
		die "no bes2600 debugfs directory: mount debugfs (mount -t debugfs none /sys/kernel/debug)"
	timeout 20 iperf3 -c "$server" -t 1 >/dev/null 2>&1 ||
		die "no iperf3 server answers at $server: start 'iperf3 -s' on the other machine"
}

# The interface whose device is bound to the bes2600 driver.
bound_iface() {
	local n drv
	for n in "$sysfs"/class/net/*; do
		drv=$(readlink "$n/device/driver" 2>/dev/null) || continue
		if [ "$(basename "$drv")" = bes2600 ]; then
			basename "$n"
			return 0
		fi
	done
	return 1
}
associated() { iw dev "$iface" link 2>/dev/null | grep -q '^Connected to'; }
# The driver's debugfs stats file (one per bound function).
stats_file() {
	local f
	for f in "$sysfs"/kernel/debug/bes2600-*/stats; do
		[ -e "$f" ] && { printf '%s\n' "$f"; return 0; }
	done
	return 1
}
snapshot() { local f; if f=$(stats_file); then cat "$f"; fi; }

# Reloads the driver and waits until the interface is back, associated and reaches the server.
fresh_chip() {
	local i
	modprobe -r bes2600 || return 1
	sleep 2
	modprobe bes2600 || return 1
	for i in $(seq 1 120); do
		sleep 1
		if [ -z "${fixed_iface:-}" ]; then iface=$(bound_iface) || continue; fi
		associated || continue
		# The server may not answer pings; a 1-second iperf3 exchange is the fallback.
		ping -c 1 -W 1 "$server" >/dev/null 2>&1 ||
			timeout 10 iperf3 -c "$server" -t 1 >/dev/null 2>&1 || continue
		say "link back after ${i} s"
		return 0
	done
	return 1
}

# One run into $out/run$1.*: kernel log, counters before and after, iperf3's JSON.
measure() {
	local n=$1 follower rc=0
	dmesg --follow-new >"$out/run$n.dmesg" 2>&1 &
	follower=$!
	if [ "$reload" = yes ] && ! fresh_chip; then
		say "run $n: the link did not come back within 120 s of reloading the driver"
		printf '{"error": "no link within 120 s of reloading the driver"}\n' >"$out/run$n.json"
	else
		snapshot >"$out/run$n.stats.before"
		say "run $n of $runs: $seconds s of iperf3 -R -b $rate from $server"
		timeout $((seconds + 60)) iperf3 -c "$server" -R -b "$rate" -t "$seconds" -i 1 -J \
			>"$out/run$n.json" 2>"$out/run$n.iperf3.err" || rc=$?
		[ "$rc" = 0 ] || say "run $n: iperf3 exited with $rc"
		snapshot >"$out/run$n.stats.after"
	fi
	sleep 1
	kill "$follower" 2>/dev/null || true
	wait "$follower" 2>/dev/null || true
}

[ -z "$iface" ] || fixed_iface=yes
preflight
out=${out:-./bes2600-hw-test-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
fw=$(sed -n 's/^version //p' "$(dirname "$(stats_file)")/firmware" 2>/dev/null || true)
{
	printf 'runs=%s\nseconds=%s\nrate=%s\ndeath=%s\nreload=%s\n' "$runs" "$seconds" "$rate" "$death" "$reload"
	printf 'kernel=%s\n' "$(uname -r)"
	printf 'driver=%s\n' "$(cat "$sysfs/module/bes2600/version" 2>/dev/null || echo unknown)"
	printf 'firmware=%s\n' "${fw:-unknown}"
	# Power save changes what a link does between bursts; say which one was measured.
	printf 'power_save=%s\n' "$(iw dev "$iface" get power_save 2>/dev/null | sed -n 's/^Power save: //p')"
} >"$out/meta"
say "results go to $out; about $((runs * (seconds + 30) / 60)) minutes"
for n in $(seq 1 "$runs"); do
	measure "$n"
done
rc=0
report "$out" | tee "$out/report.md" || rc=$?
say "table saved as $out/report.md"
exit "$rc"
