#!/usr/bin/env bash
# Builds the PineTab2's kernel with CONFIG_RUST=y from the project's pinned kernel source and
# packages it for the tablet: Debian packages (image and headers, for Mobian/Debian) and
# tarballs of the same trees (for DanctNIX and other distributions without dpkg).
#
#   scripts/pinetab2-kernel.sh [-c] [-x] [-o OUTDIR]
#
#   -c         configure only: check that scripts/packaging/kernel/pinetab2.config applies over the
#              arm64 defconfig and print the configured tree's path
#   -x         cross-building only: make the headers package anyway (see below)
#   -o OUTDIR  where the packages go (default: $BES2600_CACHE/pinetab2/packages)
#
# Source: the Debian linux-source package that scripts/kernel.sh fetches (lib.sh pins its
# version). Configuration: the source's arm64 defconfig with scripts/packaging/kernel/pinetab2.config
# merged over it; every option of the fragment must take effect. Toolchain: lib.sh's (LLVM
# $LLVM_SUFFIX, RUSTC, BINDGEN); the exact `rustc --version` is recorded in the kernel
# (CONFIG_RUSTC_VERSION_TEXT), in the headers package's description and in
# OUTDIR/rustc-version, because a Rust module (bes2600 through dkms) must later be built by
# that same rustc on the tablet.
#
# Outputs in OUTDIR:
#   linux-image-<release>_<version>_arm64.deb      the kernel's own bindeb-pkg (image, modules,
#                                                  device trees under /usr/lib/linux-image-*)
#   linux-headers-<release>_<version>_arm64.deb    scripts/package-headers.sh, the same
#                                                  mechanism CI tests on the test kernel
#   linux-<release>-arm64.tar.gz                   the kernel's tar-pkg, compressed: /boot
#                                                  (Image as vmlinuz-*, dtbs/) and /lib/modules
#   linux-headers-<release>-arm64.tar.gz           the headers tree, rooted at /
#
# The headers package is for the tablet, so its host programs must run on arm64. Built on an
# arm64 machine (natively), everything in it is. Cross-built on x86_64, fixdep and modpost are
# rebuilt for arm64 (needs gcc-aarch64-linux-gnu), but the Rust proc macros (rust/*.so, loaded
# by rustc while it compiles a module) stay x86_64 programs: that headers package cannot build
# Rust modules on the tablet, and this script says so and only makes it with -x.
#
# Takes hours on 2 cores: not run by CI (`make check` tests the packaging on the test kernel).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

configure_only=0 cross_headers=0 outdir=$BES2600_CACHE/pinetab2/packages
while getopts co:x opt; do
	case $opt in
	c) configure_only=1 ;;
	o) outdir=$OPTARG ;;
	x) cross_headers=1 ;;
	*) die "usage: pinetab2-kernel.sh [-c] [-x] [-o OUTDIR]" ;;
	esac
done
fragment=$top/scripts/packaging/kernel/pinetab2.config

[ -x "$RUSTC" ] || die "$RUSTC not found: run scripts/bootstrap.sh"
[ -x "$BINDGEN" ] || die "$BINDGEN not found: run scripts/bootstrap.sh"
command -v "clang$LLVM_SUFFIX" >/dev/null || die "clang$LLVM_SUFFIX not found: run scripts/bootstrap.sh"

# The source comes from kernel.sh, so the tablet's kernel and the test kernels are one tree.
src=$("$here/kernel.sh" source)
key=$({
	echo "$KERNEL_DEB_VERSION pinetab2 $(uname -m)"
	cat "$fragment"
	"$RUSTC" --version
	"clang$LLVM_SUFFIX" --version | head -n1
	"$BINDGEN" --version
} | sha256sum | cut -c1-16)
out=$BES2600_CACHE/pinetab2/build-$key
mapfile -t args < <(kmake_args)
args+=(ARCH=arm64 O="$out")

if [ ! -f "$out/.bes2600-configured" ]; then
	mkdir -p "$out"
	say "configuring the PineTab2 kernel in $out"
	kconfig_args=("${args[@]}")
	kconfig_apply "$src" "$out" defconfig "$fragment" ||
		{ rm -rf "$out"; die "scripts/packaging/kernel/pinetab2.config does not apply; see above"; }
	touch "$out/.bes2600-configured"
fi
if [ "$configure_only" = 1 ]; then
	say "configured $(sed -n 's/^CONFIG_LOCALVERSION=//p' "$out/.config") with $(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT=//p' "$out/.config") in $out"
	echo "$out"
	exit 0
fi

native=0
[ "$(uname -m)" = aarch64 ] && native=1
if [ "$native" = 0 ] && [ "$cross_headers" = 0 ]; then
	die "cross-building on $(uname -m): the headers package would carry x86_64 Rust proc macros and could not build bes2600 on the tablet; build on an arm64 machine, or pass -x to build anyway (image packages usable, headers only for building on this machine)"
fi
[ "$native" = 1 ] || command -v aarch64-linux-gnu-gcc >/dev/null ||
	die "aarch64-linux-gnu-gcc not found (apt-get install gcc-aarch64-linux-gnu): it builds the headers' host programs for the tablet"
# The kernel's bindeb-pkg checks the build dependencies of its source package; this one is
# not needed by the test kernels, so bootstrap.sh does not install it.
dpkg -s libdw-dev >/dev/null 2>&1 ||
	die "libdw-dev not installed (apt-get install libdw-dev): the kernel's Debian packaging requires it"

say "building the kernel (Image, modules, device trees) in $out"
start=$(date +%s)
make -s -C "$src" "${args[@]}" -j"$JOBS" Image modules dtbs >&2
release=$(cat "$out/include/config/kernel.release")
say "built $release in $(($(date +%s) - start)) s"

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
deb_version=$(echo "$release" | grep -oE '^[0-9]+(\.[0-9]+)*')-1
# The image package from the kernel's own packaging; its headers and debug packages are left
# out through their build profiles (the headers come from package-headers.sh below).
say "packaging the image"
rm -f "$(dirname "$out")"/linux-*.deb "$(dirname "$out")"/linux-upstream_*
make -s -C "$src" "${args[@]}" KDEB_PKGVERSION="$deb_version" \
	DPKG_FLAGS="-Ppkg.linux-upstream.nokernelheaders,pkg.linux-upstream.nokerneldbg" bindeb-pkg >&2
cp "$(dirname "$out")/linux-image-${release}_${deb_version}_arm64.deb" "$outdir/"
make -s -C "$src" "${args[@]}" tar-pkg >&2
gzip -c "$out/linux-$release-arm64.tar" >"$outdir/linux-$release-arm64.tar.gz"
rm -f "$out/linux-$release-arm64.tar"

say "packaging the headers"
hostcc=()
[ "$native" = 1 ] || hostcc=(-c aarch64-linux-gnu-gcc)
"$here/package-headers.sh" -t -v "$deb_version" "${hostcc[@]}" "$out" "$outdir" >/dev/null
"$RUSTC" --version >"$outdir/rustc-version"
say "packages of $release in $outdir (rustc: $(cat "$outdir/rustc-version"))"
ls -1 "$outdir"
