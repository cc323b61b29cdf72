#!/usr/bin/env bash
# Checks that KDIR is a kernel build tree the module can be built against and prints, one
# per line, the make variables that build it with the same toolchain as the kernel.
#
#   scripts/kbuild-env.sh KDIR
#
# On a broken setup it prints one clear message to stderr and exits 1, instead of letting
# the kernel build fail with a wall of compiler errors.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# A RUSTC or BINDGEN given by the user (make RUSTC=...) is the only one tried.
explicit_rustc=${RUSTC:-}
explicit_bindgen=${BINDGEN:-}
. "$here/lib.sh"

kdir=${1:?usage: kbuild-env.sh KDIR}
fail() {
	printf 'bes2600: %s\n' "$*" >&2
	exit 1
}

[ -f "$kdir/Makefile" ] ||
	fail "no kernel build tree at KDIR=$kdir (install the headers of your kernel, or pass KDIR=<path to a configured and built kernel tree>)"
conf=$kdir/include/config/auto.conf
[ -f "$conf" ] || fail "KDIR=$kdir is not configured and built (no include/config/auto.conf); run 'make' there first"
config() { sed -n "s/^$1=//p" "$conf" | sed 's/^"\(.*\)"$/\1/'; }

[ "$(config CONFIG_RUST)" = y ] ||
	fail "the kernel at KDIR=$kdir was built without CONFIG_RUST=y; bes2600 is a Rust module and needs a Rust-enabled kernel"
[ -f "$kdir/rust/libkernel.rmeta" ] ||
	fail "KDIR=$kdir has CONFIG_RUST=y but lacks its Rust build outputs (rust/libkernel.rmeta); the tree must come from a full kernel build, which distro header packages often do not ship"

# The module must be compiled by the very rustc that compiled the kernel's crates.
want=$(config CONFIG_RUSTC_VERSION_TEXT)
rustc_found=
if [ -n "$explicit_rustc" ]; then candidates=("$explicit_rustc"); else candidates=(/usr/bin/rustc "$(command -v rustc || true)"); fi
for candidate in "${candidates[@]}"; do
	[ -n "$candidate" ] && [ -x "$candidate" ] || continue
	if [ "$("$candidate" --version)" = "$want" ]; then
		rustc_found=$candidate
		break
	fi
done
[ -n "$rustc_found" ] ||
	fail "the kernel at KDIR=$kdir was built with '$want', but no rustc of that version was found (tried: ${candidates[*]}); install it or pass RUSTC=<path>"
rustdoc=$(dirname "$rustc_found")/rustdoc

bindgen=
if [ -n "$explicit_bindgen" ]; then candidates=("$explicit_bindgen"); else candidates=("$BINDGEN" "$(command -v bindgen || true)"); fi
for candidate in "${candidates[@]}"; do
	[ -n "$candidate" ] && [ -x "$candidate" ] && { bindgen=$candidate; break; }
done
[ -n "$bindgen" ] || fail "bindgen not found; install it with 'cargo install bindgen-cli' or pass BINDGEN=<path>"

echo "RUSTC=$rustc_found"
echo "RUSTDOC=$rustdoc"
echo "BINDGEN=$bindgen"

# A clang-built kernel must build the module's C with clang as well: use the clang of the
# same major version when it is installed under a suffixed name.
if [ "$(config CONFIG_CC_IS_CLANG)" = y ]; then
	major=$(config CONFIG_CLANG_VERSION)
	major=$((major / 10000))
	# CC and LD are named too: they override a plain CC=clang that dkms passes for clang
	# kernels, which does not exist where clang is only installed with its version suffix.
	if command -v "clang-$major" >/dev/null; then
		printf '%s\n' "LLVM=-$major" "CC=clang-$major" "LD=ld.lld-$major"
		export LIBCLANG_PATH=/usr/lib/llvm-$major/lib
	else
		printf '%s\n' "LLVM=1" "CC=clang" "LD=ld.lld"
	fi
fi
[ -d "${LIBCLANG_PATH:-}" ] && echo "LIBCLANG_PATH=$LIBCLANG_PATH"
