#!/usr/bin/env bash
# Judges a guest log written by scripts/qemu-run.sh.
#
#   scripts/check-log.sh LOG [SUITE_PREFIX]
#
# Counts the KUnit suites whose names start with SUITE_PREFIX (default: bes2600), each case
# once however often its module was loaded (a case fails if any of its runs failed).
# Prints one line per KUnit test case ("kunit: ok|not ok SUITE.CASE"), one line per kernel
# splat found (WARN, BUG, oops, KASAN, lockdep, kmemleak, hung task, RCU stall), for a failed
# scenario its last steps and its FAIL report, then "kunit: N passed, M failed" and "splats: K".
#
# Exit status: 0 when every case passed, no splat was found and the scenario succeeded; 1 when
# not; 2 when the only fault is a splat logged before the scenario started (the guest marks
# that point in its kernel log), i.e. during the kernel's own boot, before any of the project's
# code was loaded: the caller may boot once more.
set -euo pipefail
log=${1:?usage: check-log.sh LOG [SUITE_PREFIX]}
prefix=${2:-bes2600}

python3 - "$log" "$prefix" <<'PY'
import re, sys

text = open(sys.argv[1], errors="replace").read()
# util-linux dmesg (host-root guests) colours its output; busybox dmesg does not.
text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
lines = [re.sub(r"^\[\s*[0-9.]+\]\s?", "", l.rstrip("\r")) for l in text.splitlines()]

# KTAP: a suite opens with "# Subtest: NAME" and its cases report "ok N NAME" one level in.
prefix = sys.argv[2]
results = {}  # "suite.case" -> "ok" | "not ok" | "skip", in the order first seen
suite = None
for line in lines:
    m = re.match(r"^(\s*)# Subtest: (\S+)", line)
    if m:
        suite = m.group(2)
        continue
    m = re.match(r"^(\s+)(not ok|ok) \d+ (\S+)(.*)$", line)
    if m and suite and suite.startswith(prefix):
        status, case, rest = m.group(2), m.group(3), m.group(4)
        key = f"{suite}.{case}"
        status = "skip" if "# SKIP" in rest else status
        if results.get(key) != "not ok":
            results[key] = status

for key, status in results.items():
    print(f"kunit: {status} {key}")
passed = sum(1 for s in results.values() if s == "ok")
failed = sum(1 for s in results.values() if s == "not ok")

splat_patterns = [
    r"WARNING: CPU: \d+ PID",
    r"\bBUG: ",
    r"Oops: ",
    r"Kernel panic",
    r"KASAN: ",
    r"possible circular locking dependency",
    r"possible recursive locking",
    r"inconsistent lock state",
    r"suspicious RCU usage",
    r"sleeping function called from invalid context",
    r"unreferenced object 0x",
    r"INFO: task .* blocked for more than",
    r"rcu: INFO: .* stall",
    r"UBSAN: ",
    r"general protection fault",
]
# Known defects of the test kernel's own code, which the driver neither calls nor feeds:
# shown as "bench-defect:", not counted. mac80211_hwsim_tx_frame_nl reads a frame's length
# after it queued the frame for the medium's TX report, and the report (the chip model, as
# the medium, answers at once) can free the frame on the other CPU first: a use-after-free
# in hwsim's own TX of the AP radio's beacons (tests/README.md, "Known defects of the test
# kernel"). Only that exact report is excused.
bench_defects = [
    r"BUG: KASAN: slab-use-after-free in mac80211_hwsim_tx_frame_nl\+",
]
def is_bench_defect(line):
    return any(re.search(p, line) for p in bench_defects)
def is_splat(line):
    return not is_bench_defect(line) and any(re.search(p, line) for p in splat_patterns)

# The guest dumps its whole kernel log at the end; where it did, judge that copy (it has every
# level and the scenario-start mark). Otherwise (the guest died) only the console is left.
begin = next((i for i, l in enumerate(lines) if l.startswith("==== bes2600-guest dmesg begin")), None)
end = next((i for i, l in enumerate(lines) if l.startswith("==== bes2600-guest dmesg end")), None)
boot_splats = []
if begin is not None and end is not None:
    kernel_log = lines[begin + 1 : end]
    mark = next((i for i, l in enumerate(kernel_log) if "bes2600-guest: scenario start" in l), None)
    if mark is not None:
        boot_splats = [l for l in kernel_log[:mark] if is_splat(l)]
        kernel_log = kernel_log[mark:]
    splats = [l for l in kernel_log if is_splat(l)]
else:
    splats = [l for l in lines if is_splat(l)]
for s in (lines if begin is None else lines[begin:end]):
    if is_bench_defect(s):
        print(f"bench-defect: {s.strip()}")
for s in boot_splats:
    print(f"boot-splat: {s.strip()}")
for s in splats:
    print(f"splat: {s.strip()}")

scenario = [l for l in lines if l.startswith("bes2600-guest: scenario exit")]
scenario_ok = bool(scenario) and scenario[-1].endswith(" 0")
if not scenario_ok:
    print("scenario: failed" if scenario else "scenario: did not finish")
    # What the scenario said it was doing last, and the failure itself (lib.sh's fail): enough
    # for a CI log, which shows only this verdict, to say which step broke and why.
    fail_at = next((i for i, l in enumerate(lines) if re.match(r"^[\w-]+: FAIL: ", l)), None)
    if fail_at is not None:
        tag = lines[fail_at].split(":", 1)[0]
        steps = [l for l in lines[:fail_at] if re.match(rf"^{re.escape(tag)}: \[\d+ ms\] ", l)]
        for l in steps[-6:] + lines[fail_at : fail_at + 25]:
            print(f"scenario: | {l}")

print(f"kunit: {passed} passed, {failed} failed")
print(f"splats: {len(splats)}")
if boot_splats:
    print(f"boot-splats: {len(boot_splats)}")
good = failed == 0 and not splats and scenario_ok
sys.exit(2 if good and boot_splats else 0 if good else 1)
PY
