#!/usr/bin/env bash
# Builds (or finds in the cache) the test kernel for one architecture and
# prints the path of the built tree, usable as KDIR.
#
#   scripts/kernel.sh x86_64|arm64
#   scripts/kernel.sh bench         (x86_64 without the debug options, for make bench)
#   scripts/kernel.sh source        (only fetch the source; print its path)
#
# The tree is keyed by kernel version, the config fragments and the toolchain
# versions: with nothing changed, a second run returns the cached tree at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

arch=${1:?usage: kernel.sh x86_64|arm64|bench|source}
case "$arch" in
source) ;;
x86_64) karch=x86_64; image=arch/x86/boot/bzImage ;;
arm64) karch=arm64; image=arch/arm64/boot/Image ;;
bench) karch=x86_64; image=arch/x86/boot/bzImage ;;
*) die "unknown architecture $arch" ;;
esac

# Fetches and unpacks the pinned kernel source once, with a private apt state so
# the system's apt sources never see the foreign suite.
fetch_source() {
	local src=$BES2600_CACHE/src/linux-$KERNEL_DEB_VERSION
	if [ -f "$src/.bes2600-unpacked" ]; then
		echo "$src"
		return
	fi
	local apt=$BES2600_CACHE/apt
	mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$BES2600_CACHE/src"
	local mirror
	mirror=$(grep -rhoE 'https?://[^ ]+/debian/?$' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n1 || true)
	mirror=${mirror:-http://deb.debian.org/debian}
	echo "deb $mirror $KERNEL_DEB_SUITE main" >"$apt/sources.list"
	local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache::Archives=$apt/archives" -o Debug::NoLocking=1
		-o APT::Sandbox::User=root)
	say "fetching linux-source-$KERNEL_SERIES=$KERNEL_DEB_VERSION from $KERNEL_DEB_SUITE"
	apt-get "${opts[@]}" -qq update >&2
	(cd "$apt" && apt-get "${opts[@]}" -qq download "linux-source-$KERNEL_SERIES=$KERNEL_DEB_VERSION" >&2)
	local deb
	deb=$(ls "$apt"/linux-source-"$KERNEL_SERIES"_*.deb | head -n1)
	local tmp=$BES2600_CACHE/src/tmp.$$
	rm -rf "$tmp" "$src"
	mkdir -p "$tmp"
	dpkg-deb -x "$deb" "$tmp"
	say "unpacking the kernel source"
	tar -xJf "$tmp/usr/src/linux-source-$KERNEL_SERIES.tar.xz" -C "$tmp"
	mv "$tmp/linux-source-$KERNEL_SERIES" "$src"
	rm -rf "$tmp" "$deb"
	touch "$src/.bes2600-unpacked"
	echo "$src"
}

if [ "$arch" = source ]; then
	fetch_source
	exit 0
fi

fragments=("$top/tests/kernel/common.config" "$top/tests/kernel/$karch.config")
# The bench kernel's fragment comes last and wins (scripts/lib.sh: kconfig_apply).
[ "$arch" != bench ] || fragments+=("$top/tests/kernel/bench.config")

[ -x "$RUSTC" ] || die "$RUSTC not found: run scripts/bootstrap.sh"
[ -x "$BINDGEN" ] || die "$BINDGEN not found: run scripts/bootstrap.sh"
command -v "clang$LLVM_SUFFIX" >/dev/null || die "clang$LLVM_SUFFIX not found: run scripts/bootstrap.sh"

key=$({
	echo "$KERNEL_DEB_VERSION $arch"
	cat "${fragments[@]}"
	"$RUSTC" --version
	"clang$LLVM_SUFFIX" --version | head -n1
	"$BINDGEN" --version
} | sha256sum | cut -c1-16)
out=$BES2600_CACHE/build/$arch-$KERNEL_DEB_VERSION-$key

if [ -f "$out/.bes2600-built" ]; then
	say "cached $arch kernel: $out"
	echo "$out"
	exit 0
fi

src=$(fetch_source)
mapfile -t args < <(kmake_args)
args+=(ARCH="$karch" O="$out")

mkdir -p "$out"
say "configuring $arch kernel in $out"
kconfig_args=("${args[@]}")
kconfig_apply "$src" "$out" tinyconfig "${fragments[@]}" ||
	{ rm -rf "$out"; die "the $arch config fragments do not apply; see above"; }

say "building $arch kernel (about 10 minutes on 2 cores)"
start=$(date +%s)
make -s -C "$src" "${args[@]}" -j"$JOBS" "${image#arch/*/boot/}" modules >&2
touch "$out/.bes2600-built"
say "built $arch kernel in $(($(date +%s) - start)) s"
# Trees of older fragments or toolchains are never used again.
for stale in "$BES2600_CACHE/build/$arch-"*; do
	[ "$stale" = "$out" ] || rm -rf "$stale"
done
echo "$out"
