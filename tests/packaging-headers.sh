#!/usr/bin/env bash
# Proves that the headers package made by scripts/package-headers.sh is enough to build the
# driver: packages the headers of an already-built kernel tree, unpacks the .deb into a scratch
# root (the real system is not touched), and builds bes2600.ko against the unpacked headers
# with the original kernel tree and its source hidden under empty tmpfs mounts, so nothing
# can be read from them by accident.
#
#   tests/packaging-headers.sh KDIR [OUTDIR]
#
# OUTDIR, when given, keeps the .deb and the scratch root for later steps
# (tests/packaging-dkms.sh reuses them); by default everything is removed at exit.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$(cd "${1:?usage: packaging-headers.sh KDIR [OUTDIR]}" && pwd)
srctree=$(readlink -f "$kdir/source" 2>/dev/null || echo "$kdir")
release=$(cat "$kdir/include/config/kernel.release")
step() { printf 'packaging-headers: %s\n' "$*"; }
fail() { printf 'packaging-headers: FAIL: %s\n' "$*" >&2; exit 1; }

if [ -n "${2:-}" ]; then
	mkdir -p "$2"
	work=$(cd "$2" && pwd)
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
rm -rf "$work/out" "$work/root" "$work/src"
mkdir -p "$work/out" "$work/root"

start=$(date +%s)
"$top/scripts/package-headers.sh" "$kdir" "$work/out" >"$work/package.out"
deb=$(grep '\.deb$' "$work/package.out")
step "built $(basename "$deb") in $(($(date +%s) - start)) s"

# The package's metadata and layout.
[ "$(dpkg-deb -f "$deb" Package)" = "linux-headers-$release" ] || fail "wrong package name"
# (The listing goes to a file first: grep -q closing the pipe early would fail it under pipefail.)
dpkg-deb -c "$deb" >"$work/contents"
grep -q " \./lib/modules/$release/build -> /usr/src/linux-headers-$release\$" "$work/contents" ||
	fail "no /lib/modules/$release/build link to /usr/src/linux-headers-$release"
dpkg-deb -x "$deb" "$work/root"
headers=$work/root/usr/src/linux-headers-$release
for f in Makefile .config Module.symvers include/config/auto.conf include/generated/rustc_cfg \
	scripts/basic/fixdep scripts/mod/modpost rust/libkernel.rmeta rust/libcore.rmeta \
	rust/libmacros.so; do
	[ -e "$headers/$f" ] || fail "the package lacks $f"
done
# No text file of the package names the tree it was made from (binaries, such as the Rust
# metadata, record source paths for diagnostics only).
if grep -rIl -e "$kdir" -e "$srctree" "$headers" >"$work/refs"; then
	cat "$work/refs" >&2
	fail "files of the package name the build tree"
fi
step "package layout ok ($(du -sh "$headers" | cut -f1) unpacked)"

# A copy of the driver's sources, built by the user's command, with the kernel tree hidden:
# a private mount namespace gets empty tmpfs mounts over the tree and its source, and the
# unpacked headers read-only, so the build can neither read the original tree nor write into
# the headers.
rsync -a --exclude .git --exclude target --exclude .check "$top/" "$work/src/"
make -s -C "$work/src" clean
start=$(date +%s)
# shellcheck disable=SC2016 # the script's variables are its own positional parameters
unshare -m --propagation private sh -euc '
	kdir=$1 srctree=$2 headers=$3 src=$4
	mount -t tmpfs tmpfs "$kdir"
	[ "$srctree" = "$kdir" ] || mount -t tmpfs tmpfs "$srctree"
	[ ! -e "$kdir/Makefile" ] && [ ! -e "$srctree/Makefile" ]
	mount --bind "$headers" "$headers"
	mount -o remount,bind,ro "$headers"
	! touch "$headers/.writable" 2>/dev/null
	echo "packaging-headers: $kdir hidden, headers read-only"
	make -C "$src" KDIR="$headers" BES2600_WERROR=y modules
' sh "$kdir" "$srctree" "$headers" "$work/src" >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	fail "the module does not build against the installed headers"
}
grep '^packaging-headers:' "$work/build.log"
ko=$work/src/bes2600.ko
[ -f "$ko" ] || fail "no bes2600.ko"
vermagic=$(modinfo -F vermagic "$ko")
case "$vermagic" in "$release "*) ;; *) fail "vermagic '$vermagic' is not for $release" ;; esac
step "bes2600.ko built against the headers package alone in $(($(date +%s) - start)) s (vermagic $vermagic)"
step ok
