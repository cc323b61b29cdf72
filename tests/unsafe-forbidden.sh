#!/usr/bin/env bash
# Compile-fail check: the driver crate must not accept `unsafe` outside rust/. Builds a copy of
# the tree with an `unsafe` block (and an `allow` trying to permit it) added to a driver module,
# and passes only if the compiler rejects exactly that.
#
#   tests/unsafe-forbidden.sh KDIR
set -euo pipefail
kdir=${1:?usage: unsafe-forbidden.sh KDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
dir=$BES2600_CACHE/module-build/unsafe-forbidden
mkdir -p "$dir"
rsync -a --delete --exclude .git --exclude target --exclude .check "$top/" "$dir/"
cat >>"$dir/bes2600/bh.rs" <<'RUST'

#[allow(unsafe_code)]
fn unsafe_in_the_driver() -> u8 {
    let byte = 0u8;
    // SAFETY: none; this block must not compile.
    unsafe { *core::ptr::from_ref(&byte) }
}
RUST
if make -C "$dir" KDIR="$kdir" modules >"$dir/build.log" 2>&1; then
	echo "an unsafe block in bes2600/bh.rs compiled" >&2
	exit 1
fi
grep -E '^error' "$dir/build.log" | sort | uniq -c
grep -q 'allow(unsafe_code) incompatible with previous forbid' "$dir/build.log"
grep -q 'usage of an `unsafe` block' "$dir/build.log"
echo "unsafe in the driver crate is rejected by the compiler"
