#!/usr/bin/env bash
# Installs the BES2600 vendor firmware the driver loads, from files you already have, after
# checking each one. Nothing is downloaded.
#
# Usage: firmware/install.sh [--root DIR] [--no-factory] [--force] [--dry-run] SRC
#
#   SRC           where the vendor files are: a directory (searched recursively), a Debian
#                 package (.deb), an Arch/DanctNIX package or any tarball (.pkg.tar.zst,
#                 .tar.xz, .tar.gz, ...), or an RPM (.rpm). Files compressed one by one
#                 (name.bin.zst, name.bin.xz) are decompressed.
#   --root DIR    install under DIR instead of / (also: the DESTDIR environment variable)
#   --no-factory  leave the factory calibration file out
#   --force       install images that look damaged although the driver would boot them
#                 (see bes2600-fw-check --lenient), and replace an existing factory file
#                 that differs
#   --dry-run     check and report, install nothing
#
# Installs, under ROOT/lib/firmware:
#   bes2600/best2002_fw_boot_sdio.bin  the calibration image (required)
#   bes2600/best2002_fw_sdio.bin       the WiFi image (required)
#   bes2600_factory.txt                factory calibration (optional; packages often keep it
#                                      in bes2600/, the driver reads it from the top level)
#
# Every file is checked with bes2600-fw-check first (found through BES2600_FW_CHECK, PATH or
# this source tree's target/ directory, built with cargo if need be); nothing is written
# unless all of them pass.
#
# Exit status: 0 installed (or, with --dry-run, would be); 1 a file is missing, refused or
# ambiguous, or writing failed; 2 usage error.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
}
die() {
	printf 'install.sh: %s\n' "$*" >&2
	exit 1
}
say() { printf '%s\n' "$*"; }

root=${DESTDIR:-}
factory=yes
force=no
dry_run=no
src=
while [ $# -gt 0 ]; do
	case $1 in
	--root)
		[ $# -ge 2 ] || usage
		root=$2
		shift 2
		;;
	--root=*)
		root=${1#--root=}
		shift
		;;
	--no-factory) factory=no; shift ;;
	--force) force=yes; shift ;;
	--dry-run) dry_run=yes; shift ;;
	-h | --help) usage ;;
	-*) printf 'install.sh: unknown option %s\n' "$1" >&2; usage ;;
	*)
		[ -z "$src" ] || usage
		src=$1
		shift
		;;
	esac
done
[ -n "$src" ] || usage
[ -e "$src" ] || die "$src: no such file or directory"

# The checker: the protocol crate's rules, the same code the driver is built from.
find_checker() {
	local c
	for c in "${BES2600_FW_CHECK:-}" "$(command -v bes2600-fw-check || true)" \
		"$top/target/release/bes2600-fw-check" "$top/target/debug/bes2600-fw-check"; do
		if [ -n "$c" ] && [ -x "$c" ]; then
			# Absolute: the checker runs from another directory.
			printf '%s/%s\n' "$(cd "$(dirname "$c")" && pwd)" "$(basename "$c")"
			return
		fi
	done
	if ! command -v cargo >/dev/null || [ ! -f "$top/bes2600/tools/fw-check/Cargo.toml" ]; then
		die "bes2600-fw-check not found and no cargo to build it: run 'cargo build --release -p bes2600-fw-check' in the driver's source tree, or set BES2600_FW_CHECK"
	fi
	say "building bes2600-fw-check (cargo build --release -p bes2600-fw-check)" >&2
	(cd "$top" && cargo build --release --quiet -p bes2600-fw-check) >&2 ||
		die "building bes2600-fw-check failed"
	printf '%s\n' "$top/target/release/bes2600-fw-check"
}
checker=$(find_checker)

work=$(mktemp -d "${TMPDIR:-/tmp}/bes2600-fw-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The checked files, under their own names (the checker's report names them).
mkdir "$work/files"

# Unpacks a package or archive into $work/tree and prints that directory.
unpack() {
	local pkg=$1 tree=$work/tree
	mkdir -p "$tree"
	case $pkg in
	*.deb)
		if command -v dpkg-deb >/dev/null; then
			dpkg-deb -x "$pkg" "$tree"
		elif command -v bsdtar >/dev/null; then
			# A .deb is an ar archive holding data.tar.*; bsdtar reads both layers.
			(cd "$work" && bsdtar -xf "$pkg" && bsdtar -xf "$work"/data.tar.* -C "$tree")
		elif command -v ar >/dev/null; then
			(cd "$work" && ar x "$pkg" && tar -xf "$work"/data.tar.* -C "$tree")
		else
			die "$pkg: need dpkg-deb, bsdtar or ar to unpack a .deb"
		fi
		;;
	*.rpm)
		if command -v rpm2cpio >/dev/null && command -v cpio >/dev/null; then
			(cd "$tree" && rpm2cpio "$pkg" | cpio -idm --quiet)
		elif command -v bsdtar >/dev/null; then
			bsdtar -xf "$pkg" -C "$tree"
		else
			die "$pkg: need rpm2cpio and cpio, or bsdtar, to unpack an .rpm"
		fi
		;;
	*.tar | *.tar.* | *.tgz | *.txz | *.tzst)
		# GNU tar and bsdtar both recognise the compression from the data.
		tar -xf "$pkg" -C "$tree"
		;;
	*) die "$pkg: not a directory, .deb, .rpm or tarball" ;;
	esac
	printf '%s\n' "$tree"
}

if [ -d "$src" ]; then
	tree=$src
else
	src=$(cd "$(dirname "$src")" && pwd)/$(basename "$src")
	tree=$(unpack "$src") || die "$src: could not be unpacked"
fi

# Copies candidate $1 (maybe compressed) to $2, decompressed.
fetch() {
	case $1 in
	*.zst)
		command -v zstd >/dev/null || die "$1: zstd is needed to decompress it"
		zstd -q -dc "$1" >"$2"
		;;
	*.xz)
		command -v xz >/dev/null || die "$1: xz is needed to decompress it"
		xz -dc "$1" >"$2"
		;;
	*) cp "$1" "$2" ;;
	esac
}

# Finds NAME in the tree and copies it, decompressed, to $work/files/NAME; sets `origin` to where it
# was found. Returns 1 when it is absent; dies when copies with different contents are found
# (which one is meant is then the user's call). Not run in a subshell, so `die` ends the script.
origin=
locate() {
	local name=$1 out=$work/files/$1 c
	local -a found=()
	origin=
	while IFS= read -r -d '' c; do
		found+=("$c")
	done < <(find -L "$tree" -type f \( -name "$name" -o -name "$name.zst" -o -name "$name.xz" \) -print0 | sort -z)
	[ "${#found[@]}" -gt 0 ] || return 1
	for c in "${found[@]}"; do
		if [ -z "$origin" ]; then
			fetch "$c" "$out" || die "$c: could not be read or decompressed"
			origin=$c
		else
			fetch "$c" "$work/other" || die "$c: could not be read or decompressed"
			cmp -s "$out" "$work/other" ||
				die "$name: $origin and $c differ; give install.sh the directory of the one you mean"
		fi
	done
}

fwdir=${root%/}/lib/firmware
# name in the tree, path under $fwdir
files=("best2002_fw_boot_sdio.bin bes2600/best2002_fw_boot_sdio.bin"
	"best2002_fw_sdio.bin bes2600/best2002_fw_sdio.bin")
[ "$factory" = no ] || files+=("bes2600_factory.txt bes2600_factory.txt")

declare -a to_check=() plan=()
for f in "${files[@]}"; do
	name=${f%% *}
	dest=${f#* }
	if locate "$name"; then
		say "found $name: $origin"
		to_check+=("$name")
		plan+=("$name $dest")
	elif [ "$name" = bes2600_factory.txt ]; then
		say "no $name in $src: the driver then uses the chip's own calibration"
	else
		die "$name not found in $src (required; the driver requests bes2600/$name)"
	fi
done

lenient=()
[ "$force" = no ] || lenient=(--lenient)
say ""
if ! (cd "$work/files" && "$checker" "${lenient[@]}" "${to_check[@]}"); then
	say ""
	die "refused: nothing was installed (see the verdicts above)"
fi
say ""

if [ "$dry_run" = yes ]; then
	say "dry run: would install into $fwdir"
	exit 0
fi

if ! mkdir -p "$fwdir/bes2600" 2>/dev/null || [ ! -w "$fwdir/bes2600" ]; then
	die "$fwdir is not writable (run as root, or use --root DIR)"
fi
for p in "${plan[@]}"; do
	name=${p%% *}
	dest=$fwdir/${p#* }
	if [ -e "$dest" ] && cmp -s "$work/files/$name" "$dest"; then
		say "unchanged $dest"
		continue
	fi
	if [ "$name" = bes2600_factory.txt ] && [ -e "$dest" ] && [ "$force" = no ]; then
		# It may hold this tablet's own calibration: never replaced without being asked.
		say "kept the existing $dest (it differs from the one in $src; --force replaces it)"
		continue
	fi
	verb=installed
	[ ! -e "$dest" ] || verb=replaced
	# Copy then rename, so the firmware loader never sees half a file.
	if ! install -m 0644 "$work/files/$name" "$dest.new.$$" || ! mv -f "$dest.new.$$" "$dest"; then
		rm -f "$dest.new.$$"
		die "writing $dest failed"
	fi
	say "$verb $dest"
done
say "done: the driver loads the files at its next probe (modprobe -r bes2600; modprobe bes2600)."
say "If your initramfs carries the driver, rebuild it so it carries the firmware too."
