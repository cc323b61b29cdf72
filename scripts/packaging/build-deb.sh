#!/usr/bin/env bash
# Builds the bes2600-dkms Debian package from this source tree.
#
#   scripts/packaging/build-deb.sh OUTDIR
#
# Needs dpkg-dev, debhelper and dh-dkms (scripts/bootstrap.sh installs them). The packaging
# lives in scripts/packaging/debian/; it is copied into a private copy of the sources as debian/,
# with a changelog written here whose version is dkms.conf's PACKAGE_VERSION, so the version
# is kept in one place. Prints the path of the .deb.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
outdir=${1:?usage: build-deb.sh OUTDIR}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
[ -n "$version" ] || { echo "build-deb.sh: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dpkg-buildpackage writes its results next to the source directory: a private parent.
src=$work/bes2600-$version
rsync -a --exclude .git --exclude target --exclude .check --exclude /debian "$top/" "$src/"
cp -r "$top/scripts/packaging/debian" "$src/debian"
# One copyright statement for both packages (the Arch package installs it as its license file).
cp "$top/scripts/packaging/copyright" "$src/debian/copyright"
# The changelog's date: the last commit's when there is one, so rebuilds of one commit agree.
date=$(git -C "$top" log -1 --format=%cD 2>/dev/null || date -R)
cat >"$src/debian/changelog" <<CHANGELOG
bes2600 ($version) unstable; urgency=medium

  * Upstream version $version.

 -- bes2600 developers <bes2600@localhost>  $date
CHANGELOG

(cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
	{ tail -n 40 "$work/build.log" >&2; exit 1; }
deb=$work/bes2600-dkms_${version}_all.deb
[ -f "$deb" ] || { echo "build-deb.sh: dpkg-buildpackage made no $deb" >&2; exit 1; }
cp "$deb" "$outdir/"
echo "$outdir/${deb##*/}"
