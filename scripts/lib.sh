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

# guest_prepare NAME: what a guest scenario on the emulated chip needs, built where missing
# (the test kernel from scripts/kernel.sh's cache; the chip model, its firmware tool and the
# modules only where their sources changed; the modules in a source copy of their own under
# the cache, so they never mix objects with a running `make check`). Sets GUEST_KDIR and
# GUEST_MODULES (qemu-run.sh's -m arguments: mac80211_hwsim, then with NAME's modules
# unless GUEST_NO_DRIVER=1, bes2600_vsdio and bes2600). GUEST_KERNEL names the kernel
# (scripts/kernel.sh's argument; x86_64, the debug test kernel, unless set).
guest_prepare() {
	local top dir
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	"$top/scripts/bootstrap.sh" >&2
	GUEST_KDIR=$("$top/scripts/kernel.sh" "${GUEST_KERNEL:-x86_64}")
	local hwsim=$GUEST_KDIR/drivers/net/wireless/virtual/mac80211_hwsim.ko
	[ -f "$hwsim" ] || die "the test kernel at $GUEST_KDIR has no mac80211_hwsim.ko"
	say "building the chip model"
	(cd "$top" && nice -n 10 cargo build --release --quiet -p bes2600-chip-model) >&2
	GUEST_MODULES=(-m "$hwsim")
	[ "${GUEST_NO_DRIVER:-0}" != 1 ] || return 0
	dir=$BES2600_CACHE/module-build/$1-x86_64
	mkdir -p "$dir"
	rsync -a --delete --exclude .git --exclude target --exclude .check "$top/" "$dir/"
	say "building bes2600.ko and bes2600_vsdio.ko"
	nice -n 10 make -s -C "$dir" KDIR="$GUEST_KDIR" BES2600_TEST_MODULES=y modules >&2
	GUEST_MODULES+=(-m "$dir/bes2600_vsdio.ko" -m "$dir/bes2600.ko")
}

# guest_run TAG SCENARIO TIMEOUT_S LOG [VAR=VALUE]...: boots the test kernel with the host's
# root, runs SCENARIO with the variables set, prints the scenario's TAG lines and judges the
# kernel log (scripts/check-log.sh; the verdict goes beside LOG). Returns non-zero when qemu
# did not finish, the scenario failed or the log has a splat.
guest_run() {
	local tag=$1 scenario=$2 timeout_s=$3 log=$4 top script rc=0
	shift 4
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	mkdir -p "$BES2600_CACHE/guest" "$(dirname "$log")"
	# The guest runs a copy of its scenario: the variables go in with it.
	script=$(mktemp "$BES2600_CACHE/guest/$tag.XXXXXX")
	{
		printf '%s\n' "$@"
		cat "$scenario"
	} >"$script"
	"$top/scripts/qemu-run.sh" -R -t "$timeout_s" -k "$GUEST_KDIR" -s "$script" -l "$log" \
		"${GUEST_MODULES[@]}" || rc=$?
	rm -f "$script"
	[ "$rc" = 0 ] || { say "qemu did not finish (log: $log)"; return 1; }
	# What the scenario printed, up to the guest's kernel log dump.
	sed -n '/^==== bes2600-guest dmesg begin/q; /bes2600-guest: scenario start/,$p' "$log" | tr -d '\r' |
		grep -E "^($tag|bes2600-guest):" || true
	"$top/scripts/check-log.sh" "$log" bes2600 >"${log%.log}.verdict" || rc=$?
	grep -E '^(splat|scenario):' "${log%.log}.verdict" || true
	return "$rc"
}

# kconfig_apply SRC OUT BASE FRAGMENT... (kernel make arguments in the array kconfig_args):
# configures the tree OUT from target BASE (tinyconfig, defconfig) with the fragments merged
# over it, a later fragment winning over an earlier one. Kconfig drops options whose
# dependencies are unmet without a word, so every option's last `CONFIG_X=...` or
# `# CONFIG_X is not set` line in the fragments is checked in the result;
# each one not in effect is named, and the status is 1.
kconfig_apply() {
	local src=$1 out=$2 base=$3 line missing=0
	shift 3
	make -s -C "$src" "${kconfig_args[@]}" "$base" >&2
	(cd "$out" && "$src/scripts/kconfig/merge_config.sh" -m .config "$@" >/dev/null)
	make -s -C "$src" "${kconfig_args[@]}" olddefconfig >&2
	# A later fragment may override an earlier one: only the last line of each option counts.
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qxF "$line" "$out/.config" ;;
		"# CONFIG_"*" is not set") line=${line#\# } && ! grep -q "^${line%% *}=" "$out/.config" ;;
		*) continue ;;
		esac || { say "config option not in effect: $line"; missing=1; }
	done < <(cat "$@" | sed -nE 's/^(# )?(CONFIG_[A-Za-z0-9_]+)( is not set|=.*)$/\2\t&/p' |
		awk -F '\t' '{ last[$1] = $2; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
			END { for (i = 0; i < n; i++) print last[order[i]] }')
	return "$missing"
}
