#!/usr/bin/env bash
# Prints the path of a static busybox that runs in a guest of the given architecture: the
# userland of scripts/qemu-run.sh's initramfs guests.
#
#   scripts/guest-userland.sh x86_64|arm64
#
# x86_64 is the host's own busybox-static (scripts/bootstrap.sh installs it). arm64 is
# Debian's busybox-static for arm64, downloaded once into the cache with a private apt state
# (as scripts/kernel.sh fetches the kernel source): the system's apt sources and dpkg's
# architecture list never hear of arm64, so nothing arm64 is ever installed on the host.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# The suite the foreign busybox comes from: the host's release, so both guests run the same
# busybox version.
USERLAND_SUITE=bookworm

arch=${1:?usage: guest-userland.sh x86_64|arm64}
case "$arch" in
x86_64)
	command -v busybox || die "busybox not found: run scripts/bootstrap.sh"
	exit 0
	;;
arm64) debarch=arm64 magic='ARM aarch64' ;;
*) die "unknown architecture $arch" ;;
esac

dir=$BES2600_CACHE/guest-userland/$arch
if [ -x "$dir/busybox" ]; then
	echo "$dir/busybox"
	exit 0
fi

apt=$dir/apt
mkdir -p "$apt/lists/partial" "$apt/archives/partial"
mirror=$(grep -rhoE 'https?://[^ ]+/debian/?$' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
echo "deb [arch=$debarch] $mirror $USERLAND_SUITE main" >"$apt/sources.list"
# APT::Architecture(s) make this apt instance see only the foreign architecture's index,
# without `dpkg --add-architecture`; an empty dpkg status keeps the host's installed
# packages out of its view.
: >"$apt/status"
opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=$apt/status"
	-o "Dir::Cache::Archives=$apt/archives" -o Debug::NoLocking=1 -o APT::Sandbox::User=root
	-o "APT::Architecture=$debarch" -o "APT::Architectures::=$debarch")
say "fetching busybox-static for $debarch from $USERLAND_SUITE"
apt-get "${opts[@]}" -qq update >&2
(cd "$apt" && apt-get "${opts[@]}" -qq download "busybox-static:$debarch" >&2)
debs=("$apt"/busybox-static_*_"$debarch".deb)
deb=${debs[0]}
[ -f "$deb" ] || die "apt-get download left no busybox-static .deb in $apt"
tmp=$dir/tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp"
dpkg-deb -x "$deb" "$tmp"
# A dynamically linked or wrong-architecture binary would only show as a guest that never
# runs its init.
file -L "$tmp/bin/busybox" | grep -q "$magic.*statically linked" ||
	die "$deb holds no static $magic busybox: $(file -L "$tmp/bin/busybox")"
say "guest userland: $(basename "$deb")"
mv "$tmp/bin/busybox" "$dir/busybox.new"
mv "$dir/busybox.new" "$dir/busybox"
# The package index (25 MB) is only needed again if the binary goes missing.
rm -rf "$tmp" "$apt"
echo "$dir/busybox"
