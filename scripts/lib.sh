# Shared settings for the scripts; sourced, not run.
#
# Every path and toolchain choice lives here once, so the Makefile, the kernel
# build, the qemu runner and CI agree on them.

# Pinned kernel source: Debian's linux-source-7.3 (architecture all).
KERNEL_SERIES=7.3
KERNEL_DEB_VERSION=7.3.4-1~bpo13+1
KERNEL_DEB_SUITE=trixie-backports

# Built trees, the kernel source and other downloads are cached here, outside the work tree.
BES2600_CACHE=${BES2600_CACHE:-/var/cache/bes2600}

# The toolchain the test kernels and the module are built with. PATH may have a
# rustup rustc first; the kernel needs Debian's, whose library source matches it.
RUSTC=${RUSTC:-/usr/bin/rustc}
RUSTDOC=${RUSTDOC:-/usr/bin/rustdoc}
RUST_LIB_SRC=${RUST_LIB_SRC:-$(ls -d /usr/src/rustc-*/library 2>/dev/null | sort -V | tail -n1)}
BINDGEN=${BINDGEN:-$HOME/.cargo/bin/bindgen}
LLVM_SUFFIX=${LLVM_SUFFIX:--19}
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm${LLVM_SUFFIX}/lib}

# Arguments for any kernel make invocation.
kmake_args() {
	printf '%s\n' "LLVM=$LLVM_SUFFIX" "RUSTC=$RUSTC" "RUSTDOC=$RUSTDOC" \
		"BINDGEN=$BINDGEN" "RUST_LIB_SRC=$RUST_LIB_SRC"
}

# Messages go to stderr so stdout stays machine-readable.
say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

JOBS=${JOBS:-$(($(nproc) + 1))}
