#!/usr/bin/env bash
# Checks the device-tree files in docs/devicetree/: the binding is well-formed YAML in the
# kernel's schema layout and describes every property the overlay sets; the PineTab2 overlay
# compiles (cpp and dtc -@, as the kernel builds .dtso files) without a warning and applies
# to both mainline PineTab2 device trees (v0.1, v2.0), where the card node lands on sdmmc1
# with its pins resolved against the board's own GPIO controller and pin groups; the MAC
# address is a unicast, locally administered one. With dt-schema installed (pip package
# dtschema), the binding is checked against the meta-schema and the merged trees against the
# binding.
#
# Usage: tests/devicetree.sh [KERNEL_TREE]
#   KERNEL_TREE  a kernel source tree, or a build tree whose `source` link leads to one; it
#                provides include/dt-bindings and the PineTab2 .dts files. Default: the
#                source tree scripts/kernel.sh unpacked under $BES2600_CACHE/src.
# Needs: cpp, dtc, fdtoverlay, fdtget (device-tree-compiler), python3 with PyYAML.
# BES2600_REQUIRE_DTSCHEMA=1 fails instead of skipping when dt-schema is not installed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/docs/devicetree
binding=$dir/bestechnic,bes2600.yaml
overlay=$dir/pinetab2-bes2600.dtso

ksrc=${1:-}
if [ -z "$ksrc" ]; then
	ksrc=$(find "${BES2600_CACHE:-/var/cache/bes2600}/src" -mindepth 1 -maxdepth 1 -type d -name 'linux-*' 2>/dev/null | sort | head -n1 || true)
fi
[ -z "$ksrc" ] || [ ! -e "$ksrc/source" ] || ksrc=$(cd "$ksrc/source" && pwd)
if [ -z "$ksrc" ] || [ ! -d "$ksrc/include/dt-bindings" ]; then
	printf 'devicetree: no kernel source tree (give one as argument; scripts/kernel.sh unpacks one)\n' >&2
	exit 2
fi
dts=$ksrc/arch/arm64/boot/dts
for tool in cpp dtc fdtoverlay fdtget python3; do
	command -v "$tool" >/dev/null || { printf 'devicetree: %s is missing\n' "$tool" >&2; exit 2; }
done

t=$(mktemp -d "${TMPDIR:-/tmp}/bes2600-dt.XXXXXX")
trap 'rm -rf "$t"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1"; [ ! -s "$t/err" ] || sed 's/^/     | /' "$t/err"; }
# check LABEL COMMAND...: passes when COMMAND succeeds; its stderr is shown on failure.
check() {
	local label=$1
	shift
	if "$@" 2>"$t/err"; then ok "$label"; else bad "$label"; fi
}

# Preprocesses and compiles a .dts/.dtso the way the kernel's Makefile.dtbs does; fails on
# any dtc warning.
compile() {
	local src=$1 out=$2
	cpp -nostdinc -I "$ksrc/include" -I "$dts" -I "$dts/rockchip" -undef -D__DTS__ \
		-x assembler-with-cpp -E -P "$src" -o "$out.pre" || return 1
	dtc -@ -q -I dts -O dtb -o "$out" "$out.pre" 2>"$out.warn" || { cat "$out.warn" >&2; return 1; }
	if [ -s "$out.warn" ]; then
		cat "$out.warn" >&2
		return 1
	fi
}

# The binding: YAML, the schema's layout, the properties the overlay uses.
yaml_ok() {
	python3 - "$binding" <<'EOF'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for key in ("$id", "$schema", "title", "maintainers", "properties", "required", "examples"):
    assert key in doc, f"missing top-level key {key}"
assert doc["$id"].endswith("/bestechnic,bes2600.yaml#"), doc["$id"]
assert doc["properties"]["compatible"] == {"const": "bestechnic,bes2600"}
assert set(doc["required"]) == {"compatible", "reg"}
assert doc.get("additionalProperties") is False
for name, prop in doc["properties"].items():
    assert prop is True or isinstance(prop, dict), name
EOF
}
check "binding: well-formed YAML in the schema layout" yaml_ok

check "overlay: compiles with cpp and dtc -@, no warning" compile "$overlay" "$t/bes2600.dtbo"

# Every property of the overlay's node is one the binding describes.
covered() {
	local node=/fragment@0/__overlay__/wifi@1
	fdtget -p "$t/bes2600.dtbo" "$node" >"$t/props" &&
		python3 - "$binding" "$t/props" <<'EOF'
import sys, yaml
# Properties every node may carry, which the core schemas describe.
generic = {"interrupt-parent", "phandle", "status"}
known = set(yaml.safe_load(open(sys.argv[1]))["properties"]) | generic
used = set(open(sys.argv[2]).read().split())
missing = used - known
assert not missing, f"overlay sets properties the binding lacks: {sorted(missing)}"
EOF
}
check "overlay: every property is in the binding" covered

# The example MAC address: 6 bytes, unicast, locally administered.
mac_ok() {
	local mac
	mac=$(fdtget -t bx "$t/bes2600.dtbo" /fragment@0/__overlay__/wifi@1 local-mac-address)
	read -r -a bytes <<<"$mac"
	if [ "${#bytes[@]}" -ne 6 ] || (((0x${bytes[0]} & 3) != 2)); then
		printf 'local-mac-address %s is not a 6-byte unicast locally administered address\n' "$mac" >&2
		return 1
	fi
}
check "overlay: MAC address is unicast and locally administered" mac_ok

# Applies the overlay to a board's device tree and checks where everything landed.
applied() {
	local board=$1 base=$t/$1.dtb merged=$t/$1-bes2600.dtb
	compile "$dts/rockchip/$board.dts" "$base" &&
		fdtoverlay -i "$base" -o "$merged" "$t/bes2600.dtbo" &&
		python3 - "$merged" <<'EOF'
import subprocess, sys
dtb = sys.argv[1]
def get(node, prop, kind="x"):
    out = subprocess.run(["fdtget", "-t", kind, dtb, node, prop], check=True,
                         capture_output=True, text=True).stdout.split()
    return [int(v, 16) for v in out] if kind != "s" else " ".join(out)
def path(label):
    return subprocess.run(["fdtget", dtb, "/__symbols__", label], check=True,
                          capture_output=True, text=True).stdout.strip()
host = path("sdmmc1")
assert host == "/mmc@fe2c0000", host
wifi = host + "/wifi@1"
assert get(wifi, "compatible", "s") == "bestechnic,bes2600"
assert get(wifi, "reg") == [1]
assert get(host, "#address-cells") == [1] and get(host, "#size-cells") == [0]
gpio0 = get(path("gpio0"), "phandle")[0]
# RK_PB7 = 8 + 7, GPIO_ACTIVE_LOW = 1; RK_PC4 = 16 + 4, IRQ_TYPE_LEVEL_HIGH = 4.
assert get(wifi, "wakeup-gpios") == [gpio0, 15, 1], get(wifi, "wakeup-gpios")
assert get(wifi, "interrupt-parent") == [gpio0]
assert get(wifi, "interrupts") == [20, 4], get(wifi, "interrupts")
groups = [get(path(l), "phandle")[0] for l in ("host_wake_wl", "wifi_wake_host_h")]
assert get(wifi, "pinctrl-0") == groups, (get(wifi, "pinctrl-0"), groups)
# The pin groups are the pins named above: bank 0, pin, function GPIO (0), pull config.
assert get(path("host_wake_wl"), "rockchip,pins")[:3] == [0, 15, 0]
assert get(path("wifi_wake_host_h"), "rockchip,pins")[:3] == [0, 20, 0]
# The board keeps what it had: the host stays enabled and non-removable.
assert get(host, "status", "s") == "okay"
subprocess.run(["fdtget", dtb, host, "non-removable"], check=True, capture_output=True)
EOF
}
for board in rk3566-pinetab2-v2.0 rk3566-pinetab2-v0.1; do
	check "overlay applies to $board: node on sdmmc1, pins resolved" applied "$board"
done

# dt-schema, when installed: the binding against the meta-schema, the merged trees against
# the binding.
# Where dt-schema's tools are: DTSCHEMA_BIN, the virtual environment bootstrap may make, or
# PATH. Versions before 2023 are passed over: Debian 12's dt-schema (2022.08) crashes when
# given a schema set without the kernel's bindings.
dtschema_bin=
dtschema_note="not installed"
for d in "${DTSCHEMA_BIN:-}" "${BES2600_CACHE:-/var/cache/bes2600}/dtschema/bin" \
	"$(dirname "$(command -v dt-validate 2>/dev/null || echo /nonexistent/x)")"; do
	if [ -z "$d" ] || [ ! -x "$d/dt-validate" ] || [ ! -x "$d/dt-doc-validate" ]; then
		continue
	fi
	version=$("$d/dt-validate" -V 2>/dev/null || echo 0)
	if [ "${version%%.*}" -ge 2023 ] 2>/dev/null; then
		dtschema_bin=$d
		printf 'dt-schema %s in %s\n' "$version" "$d"
		break
	fi
	dtschema_note="$d/dt-validate is version $version, too old"
done
if [ -n "$dtschema_bin" ]; then
	check "dt-schema: binding passes the meta-schema" "$dtschema_bin/dt-doc-validate" -u "$dir" "$binding"
	check "dt-schema: binding processed" "$dtschema_bin/dt-mk-schema" -j -o "$t/processed.json" "$binding"
	# validate DTB: dt-validate's findings for our node (-l limits it to our binding: the
	# board's other nodes have bindings in the kernel tree that are not loaded here). It
	# exits 0 with findings, so they are read from its output.
	validate() {
		"$dtschema_bin/dt-validate" -s "$t/processed.json" -l bestechnic "$1" 2>&1 | grep -v '^$' || true
	}
	schema_ok() {
		validate "$t/$1-bes2600.dtb" >"$t/validate"
		if [ -s "$t/validate" ]; then
			cat "$t/validate" >&2
			return 1
		fi
	}
	for board in rk3566-pinetab2-v2.0 rk3566-pinetab2-v0.1; do
		check "dt-schema: $board with the overlay matches the binding" schema_ok "$board"
	done
	# A node the binding forbids is reported: the check above is not vacuous.
	schema_rejects() {
		sed 's/reg = <1>;/reg = <1>; bogus-property;/' "$t/bes2600.dtbo.pre" >"$t/bad.pre" &&
			dtc -@ -q -I dts -O dtb -o "$t/bad.dtbo" "$t/bad.pre" &&
			fdtoverlay -i "$t/rk3566-pinetab2-v2.0.dtb" -o "$t/bad.dtb" "$t/bad.dtbo" || return 1
		validate "$t/bad.dtb" | grep -q "'bogus-property' was unexpected"
	}
	check "dt-schema: an unknown property is reported" schema_rejects
elif [ "${BES2600_REQUIRE_DTSCHEMA:-0}" = 1 ]; then
	bad "dt-schema: $dtschema_note (pip install dtschema)"
else
	printf 'skip dt-schema checks: %s (pip install dtschema)\n' "$dtschema_note"
fi

printf 'devicetree: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
