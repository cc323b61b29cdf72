#!/usr/bin/env bash
# `make demo`: boots the x86_64 test kernel under qemu, loads bes2600 and shows the result.
#
# Until association works end to end this is the driver's main job on the emulated machine:
# the module loads, registers its SDIO driver and runs its self-tests.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

"$here/bootstrap.sh" >&2
kdir=$("$here/kernel.sh" x86_64)
dir=$BES2600_CACHE/module-build/x86_64
mkdir -p "$dir"
rsync -a --delete --exclude .git --exclude target --exclude .check "$top/" "$dir/"
make -s -C "$dir" KDIR="$kdir" modules >&2
log=$(mktemp)
"$here/qemu-run.sh" -k "$kdir" -s "$top/tests/qemu/demo.sh" -l "$log" -m "$dir/bes2600.ko"
sed -n '/^==== bes2600-guest dmesg begin/q; /bes2600-guest: scenario start/,$p' "$log"
rm -f "$log"
