#!/usr/bin/env bash
# Proves the path of a user with packages: the headers package of a kernel
# (scripts/package-headers.sh) and the bes2600-dkms package (scripts/packaging/build-deb.sh) are
# unpacked into a scratch root, dkms builds the module there from the package's sources
# against the package's headers (the original kernel tree hidden), and the result is loaded
# with modprobe, by name and by its SDIO alias, in a qemu boot of that kernel
# (tests/qemu/dkms-modprobe.sh). The system's dkms state and module tree are not touched.
#
#   tests/packaging-dkms.sh KDIR [LOGDIR]
#
# KDIR is the x86_64 test kernel (scripts/kernel.sh x86_64): qemu boots it. The guest's log is
# written to LOGDIR/qemu-dkms-modprobe.log (default: a temporary directory, removed at exit)
# and judged by scripts/check-log.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$(cd "${1:?usage: packaging-dkms.sh KDIR [LOGDIR]}" && pwd)
srctree=$(readlink -f "$kdir/source" 2>/dev/null || echo "$kdir")
release=$(cat "$kdir/include/config/kernel.release")
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
step() { printf 'packaging-dkms: %s\n' "$*"; }
fail() { printf 'packaging-dkms: FAIL: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(($(date +%s) - $1)) s"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "${2:-}" ]; then mkdir -p "$2" && logdir=$(cd "$2" && pwd); else logdir=$work; fi
root=$work/root
mkdir -p "$work/out" "$work/dkms" "$root"

t=$(date +%s)
headers_deb=$("$top/scripts/package-headers.sh" "$kdir" "$work/out" | grep '\.deb$')
dkms_deb=$("$top/scripts/packaging/build-deb.sh" "$work/out")
step "built $(basename "$headers_deb") and $(basename "$dkms_deb") in $(elapsed "$t")"
[ "$(dpkg-deb -f "$dkms_deb" Version)" = "$version" ] || fail "the package's version is not dkms.conf's $version"
case "$(dpkg-deb -f "$dkms_deb" Depends)" in *dkms*) ;; *) fail "bes2600-dkms does not depend on dkms" ;; esac
# The maintainer scripts dh_dkms wrote: dkms builds and installs at configure, removes at prerm.
dpkg-deb -e "$dkms_deb" "$work/control"
grep -q "DKMS_NAME=bes2600" "$work/control/postinst" || fail "postinst does not run dkms for bes2600"
grep -q "dkms remove" "$work/control/prerm" || fail "prerm does not remove the dkms module"

# Both packages unpacked into one scratch root, as dpkg would install them.
dpkg-deb -x "$headers_deb" "$root"
dpkg-deb -x "$dkms_deb" "$root"
src=$root/usr/src/bes2600-$version
for f in dkms.conf Kbuild Makefile scripts/kbuild-env.sh bes2600/driver.rs rust/bindgen.mk; do
	[ -e "$src/$f" ] || fail "bes2600-dkms lacks usr/src/bes2600-$version/$f"
done
[ -f "$root/usr/share/doc/bes2600-dkms/copyright" ] || fail "bes2600-dkms lacks its copyright file"

# dkms with private trees, the kernel tree and its source hidden as in packaging-headers.sh.
t=$(date +%s)
# shellcheck disable=SC2016 # the script's variables are its own positional parameters
unshare -m --propagation private sh -euc '
	kdir=$1 srctree=$2 root=$3 dkmstree=$4 version=$5 release=$6
	mount -t tmpfs tmpfs "$kdir"
	[ "$srctree" = "$kdir" ] || mount -t tmpfs tmpfs "$srctree"
	[ ! -e "$kdir/Makefile" ] && [ ! -e "$srctree/Makefile" ]
	args="--sourcetree $root/usr/src --dkmstree $dkmstree -m bes2600 -v $version"
	dkms add $args
	dkms build $args -k "$release" --kernelsourcedir "$root/usr/src/linux-headers-$release" ||
		{ cat "$dkmstree/bes2600/$version/build/make.log"; exit 1; }
' sh "$kdir" "$srctree" "$root" "$work/dkms" "$version" "$release" >"$work/dkms.log" 2>&1 || {
	tail -n 40 "$work/dkms.log" >&2
	fail "dkms build against the headers package failed"
}
ko=$(find "$work/dkms/bes2600/$version/$release" -name 'bes2600.ko*' | head -n1)
[ -n "$ko" ] || fail "dkms built no bes2600.ko"
case "$ko" in *.ko) ;; *) fail "dkms compressed the module ($ko): the guest loads plain .ko" ;; esac
step "dkms built $(basename "$ko") for $release in $(elapsed "$t")"

# The installed layout, depmod'ed on the host as the package's postinst would on the device.
modroot=$work/modroot
mkdir -p "$modroot/lib/modules/$release/updates/dkms"
cp "$ko" "$modroot/lib/modules/$release/updates/dkms/bes2600.ko"
# The kernel's own lists of built-in and in-tree modules, as its image package installs them.
cp "$kdir"/modules.builtin "$kdir"/modules.builtin.modinfo "$kdir"/modules.order \
	"$modroot/lib/modules/$release/"
depmod -b "$modroot" "$release"
grep -q '^updates/dkms/bes2600.ko:' "$modroot/lib/modules/$release/modules.dep" ||
	fail "depmod did not list the module"
grep -qi '^alias sdio:c\*vBE57d2002\* bes2600$' "$modroot/lib/modules/$release/modules.alias" ||
	fail "depmod did not record the SDIO alias"

t=$(date +%s)
log=$logdir/qemu-dkms-modprobe.log
qemu_args=(-k "$kdir" -s "$top/tests/qemu/dkms-modprobe.sh" -l "$log" -t 600
	-m "$modroot/lib/modules/$release/updates/dkms/bes2600.ko")
for f in "$modroot/lib/modules/$release"/modules.*; do qemu_args+=(-m "$f"); done
# A splat during the kernel's own boot, before the scenario ran (check-log.sh exits 2), is not
# ours: such a boot is run once more, as make check does for its scenarios.
for attempt in 1 2; do
	"$top/scripts/qemu-run.sh" "${qemu_args[@]}"
	rc=0
	"$top/scripts/check-log.sh" "$log" >"$work/verdict" || rc=$?
	if [ "$rc" != 2 ] || [ "$attempt" = 2 ]; then break; fi
	step "splat during the guest's boot, before the scenario; booting once more"
	cp "$log" "$log.boot-splat"
done
if [ "$rc" != 0 ]; then
	cat "$work/verdict"
	grep '^bes2600-guest\|modprobe' "$log" | tail -n 20 >&2
	fail "the guest run failed (log: $log)"
fi
grep -E '^bes2600-guest: (modprobe|dkms-modprobe)' "$log"
grep -E '^(kunit: [0-9]+ passed|splats:)' "$work/verdict"
step "modprobe in qemu ok in $(elapsed "$t")"
step ok
