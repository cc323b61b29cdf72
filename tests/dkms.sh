#!/usr/bin/env bash
# Proves that dkms builds the module from this source tree against a kernel tree, the way
# `dkms install` does on a PineTab2, without touching the system's dkms state.
#
#   tests/dkms.sh KDIR
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:?usage: dkms.sh KDIR}
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
krelease=$(cat "$kdir/include/config/kernel.release")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/source" "$work/tree"
# dkms wants the sources at <sourcetree>/<name>-<version>, as /usr/src holds them.
rsync -a --exclude .git --exclude target --exclude .check "$top/" "$work/source/bes2600-$version/"
make -s -C "$work/source/bes2600-$version" clean

dkms_args=(--sourcetree "$work/source" --dkmstree "$work/tree" -m bes2600 -v "$version")
dkms add "${dkms_args[@]}"
dkms build "${dkms_args[@]}" -k "$krelease" --kernelsourcedir "$kdir" ||
	{ cat "$work/tree/bes2600/$version/build/make.log" || true; exit 1; }
ko=$(find "$work/tree/bes2600/$version" -name 'bes2600.ko*' | head -n1)
[ -n "$ko" ] || { echo "dkms build produced no bes2600.ko" >&2; exit 1; }
echo "dkms built $ko"
modinfo "$ko" | grep -E '^(vermagic|alias):'
