#!/usr/bin/env bash
# Broken setups must fail with one clear message, not a wall of compiler errors:
# no kernel tree, a kernel without CONFIG_RUST, and a rustc that does not match the kernel's.
#
#   tests/diagnostics.sh KDIR   (a good tree, used as the base of the broken ones)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:?usage: diagnostics.sh KDIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# expect_message NAME PATTERN KDIR [MAKE ARGS...]: make fails and says exactly one thing.
expect_message() {
	local name=$1 pattern=$2 tree=$3
	shift 3
	local out
	out=$(make -s -C "$top" KDIR="$tree" "$@" modules 2>&1)
	local rc=$?
	echo "--- $name (exit $rc):"
	echo "$out"
	if [ "$rc" -eq 0 ] || ! grep -qE "^bes2600: .*$pattern" <<<"$out" || [ "$(grep -c '^bes2600: ' <<<"$out")" -ne 1 ] ||
		grep -qE 'error(\[E[0-9]+\])?:' <<<"$out"; then
		echo "FAIL $name: expected one 'bes2600: ...$pattern' message"
		status=1
	fi
}

expect_message no-kdir "no kernel build tree at KDIR" "$work/nonexistent"

# A configured tree whose configuration lacks CONFIG_RUST.
norust=$work/norust
mkdir -p "$norust/include/config"
cp "$kdir/Makefile" "$norust/Makefile"
grep -v '^CONFIG_RUST' "$kdir/include/config/auto.conf" >"$norust/include/config/auto.conf"
expect_message no-rust "built without CONFIG_RUST=y" "$norust"

# A Rust tree whose recorded compiler is one we do not have.
wrongrustc=$work/wrongrustc
mkdir -p "$wrongrustc/include/config" "$wrongrustc/rust"
cp "$kdir/Makefile" "$wrongrustc/Makefile"
touch "$wrongrustc/rust/libkernel.rmeta"
sed 's/^CONFIG_RUSTC_VERSION_TEXT=.*/CONFIG_RUSTC_VERSION_TEXT="rustc 1.2.3 (000000000 1970-01-01)"/' \
	"$kdir/include/config/auto.conf" >"$wrongrustc/include/config/auto.conf"
expect_message rustc-mismatch "built with 'rustc 1.2.3" "$wrongrustc"

# An explicit RUSTC of the wrong version is refused the same way.
expect_message rustc-override-mismatch "no rustc of that version" "$wrongrustc" RUSTC=/usr/bin/rustc

exit $status
