#!/usr/bin/env bash
# Tests firmware/install.sh with the synthetic images of bes2600-make-firmware: installs them
# into temporary roots from a directory, a .deb and an Arch-style .pkg.tar.zst with compressed
# files, and checks that cut, foreign, missing, ambiguous and broken files are refused with
# nothing written, an existing factory file is kept, and the exit codes (0 installed,
# 1 refused, 2 usage).
#
# Usage: tests/firmware-install.sh
# Builds bes2600-fw-check and bes2600-make-firmware (cargo, release) first.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
install_sh=$top/firmware/install.sh

(cd "$top" && nice -n 10 cargo build --release --quiet -p bes2600-fw-check -p bes2600-chip-model \
	--bin bes2600-fw-check --bin bes2600-make-firmware)
export BES2600_FW_CHECK=$top/target/release/bes2600-fw-check
make_firmware=$top/target/release/bes2600-make-firmware

t=$(mktemp -d "${TMPDIR:-/tmp}/bes2600-fw-install-test.XXXXXX")
trap 'rm -rf "$t"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1"; sed 's/^/     | /' "$t/out" || true; }

# expect NAME RC [GREP] -- ARGS...: runs install.sh, output to $t/out; checks the exit code
# and that the output contains GREP.
expect() {
	local name=$1 want=$2 pattern=$3 rc=0
	shift 4
	"$install_sh" "$@" >"$t/out" 2>&1 || rc=$?
	if [ "$rc" != "$want" ]; then
		printf 'exit code %s, expected %s\n' "$rc" "$want" >>"$t/out"
		bad "$name"
	elif [ -n "$pattern" ] && ! grep -q -- "$pattern" "$t/out"; then
		printf 'output lacks: %s\n' "$pattern" >>"$t/out"
		bad "$name"
	else
		ok "$name"
	fi
}
# Whether ROOT holds no installed file.
empty_root() { [ -z "$(find "$1" -type f 2>/dev/null)" ]; }
# Whether ROOT holds exactly the files of source directory SRC, factory file at the top.
same_files() {
	local root=$1/lib/firmware src=$2
	cmp -s "$src/bes2600/best2002_fw_boot_sdio.bin" "$root/bes2600/best2002_fw_boot_sdio.bin" &&
		cmp -s "$src/bes2600/best2002_fw_sdio.bin" "$root/bes2600/best2002_fw_sdio.bin" &&
		cmp -s "$src/bes2600_factory.txt" "$root/bes2600_factory.txt" &&
		[ "$(stat -c %a "$root/bes2600/best2002_fw_sdio.bin")" = 644 ]
}
# check LABEL COMMAND...: passes when COMMAND succeeds.
check() {
	local label=$1
	shift
	if "$@"; then ok "$label"; else bad "$label"; fi
}

src=$t/src
"$make_firmware" "$src" >/dev/null
: >"$t/out"

# From a directory.
expect "directory: installed" 0 "installed $t/r1/lib/firmware/bes2600/best2002_fw_sdio.bin" -- --root "$t/r1" "$src"
check "directory: files identical, mode 644" same_files "$t/r1" "$src"
expect "directory: version text reported" 0 'version "BES2600 synthetic WiFi firmware 2.0' -- --root "$t/r1" "$src"
expect "second run: unchanged" 0 "unchanged $t/r1/lib/firmware/bes2600/best2002_fw_boot_sdio.bin" -- --root "$t/r1" "$src"
DESTDIR=$t/r2 expect "DESTDIR honoured" 0 "installed $t/r2/lib/firmware/bes2600_factory.txt" -- "$src"
expect "dry run" 0 "dry run" -- --dry-run --root "$t/r3" "$src"
check "dry run: nothing written" empty_root "$t/r3"
expect "no factory file" 0 "" -- --no-factory --root "$t/r4" "$src"
check "no factory file: left out" test ! -e "$t/r4/lib/firmware/bes2600_factory.txt"

# From a Debian package, the layout packages use (factory file inside bes2600/).
deb=$t/deb
mkdir -p "$deb/DEBIAN" "$deb/usr/lib/firmware/bes2600"
cp "$src"/bes2600/*.bin "$deb/usr/lib/firmware/bes2600/"
cp "$src/bes2600_factory.txt" "$deb/usr/lib/firmware/bes2600/"
printf 'Package: bes2600-test-firmware\nVersion: 1\nArchitecture: all\nMaintainer: test <t@t>\nDescription: test\n' >"$deb/DEBIAN/control"
dpkg-deb --root-owner-group -b "$deb" "$t/fw.deb" >/dev/null
expect ".deb: installed" 0 "installed" -- --root "$t/r5" "$t/fw.deb"
check ".deb: files identical, factory file at the top" same_files "$t/r5" "$src"

# From an Arch-style package whose files are compressed one by one.
pkg=$t/pkg
mkdir -p "$pkg/usr/lib/firmware/bes2600"
for f in "$src"/bes2600/*.bin; do zstd -q "$f" -o "$pkg/usr/lib/firmware/bes2600/$(basename "$f").zst"; done
xz -c "$src/bes2600_factory.txt" >"$pkg/usr/lib/firmware/bes2600/bes2600_factory.txt.xz"
touch "$pkg/.PKGINFO"
tar --zstd -cf "$t/bes2600-firmware-1-1-any.pkg.tar.zst" -C "$pkg" .PKGINFO usr
expect ".pkg.tar.zst with .zst/.xz files: installed" 0 "installed" -- --root "$t/r6" "$t/bes2600-firmware-1-1-any.pkg.tar.zst"
check ".pkg.tar.zst: decompressed files identical" same_files "$t/r6" "$src"

# Refusals: nothing is written.
variant() { rm -rf "$t/v"; cp -r "$src" "$t/v"; }
variant
head -c 100000 "$src/bes2600/best2002_fw_sdio.bin" >"$t/v/bes2600/best2002_fw_sdio.bin"
expect "cut image: refused" 1 "cut or padded" -- --root "$t/r7" "$t/v"
check "cut image: nothing written" empty_root "$t/r7"
expect "cut image: --force installs it" 0 "accepted with --lenient" -- --force --root "$t/r7" "$t/v"

variant
gzip -c "$src/bes2600/best2002_fw_sdio.bin" >"$t/v/bes2600/best2002_fw_sdio.bin"
expect "gzip data named .bin: refused" 1 "gzip-compressed data, not an image" -- --force --root "$t/r8" "$t/v"
check "gzip data: nothing written" empty_root "$t/r8"

variant
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 49295\n' >"$t/v/bes2600/best2002_fw_boot_sdio.bin"
expect "Git LFS pointer: refused" 1 "Git LFS pointer" -- --root "$t/r8" "$t/v"

variant
head -c 12 "$src/bes2600/best2002_fw_boot_sdio.bin" >"$t/v/bes2600/best2002_fw_boot_sdio.bin"
expect "12-byte image: refused" 1 "shorter than an image's header and trailer" -- --root "$t/r8" "$t/v"

variant
head -c 300 "$src/bes2600_factory.txt" >"$t/v/bes2600_factory.txt"
expect "cut factory file: refused" 1 "REFUSED" -- --root "$t/r8" "$t/v"
check "refusals: nothing written" empty_root "$t/r8"
expect "cut factory file: --no-factory installs the images" 0 "installed" -- --no-factory --root "$t/r9" "$t/v"

variant
rm "$t/v/bes2600/best2002_fw_sdio.bin"
expect "missing WiFi image: refused" 1 "best2002_fw_sdio.bin not found" -- --root "$t/r10" "$t/v"

variant
mkdir -p "$t/v/other"
head -c 20000 "$src/bes2600/best2002_fw_sdio.bin" >"$t/v/other/best2002_fw_sdio.bin"
expect "two different copies: refused" 1 "differ" -- --root "$t/r10" "$t/v"
check "missing, ambiguous: nothing written" empty_root "$t/r10"

# An existing factory file may be this tablet's own calibration.
mkdir -p "$t/r11/lib/firmware"
sed 's/^freq_cal:.*/freq_cal:0xa1/' "$src/bes2600_factory.txt" >"$t/r11/lib/firmware/bes2600_factory.txt"
cp "$t/r11/lib/firmware/bes2600_factory.txt" "$t/own.txt"
expect "existing factory file: kept" 0 "kept the existing" -- --root "$t/r11" "$src"
check "existing factory file: unchanged" cmp -s "$t/own.txt" "$t/r11/lib/firmware/bes2600_factory.txt"
expect "existing factory file: --force replaces it" 0 "replaced $t/r11/lib/firmware/bes2600_factory.txt" -- --force --root "$t/r11" "$src"

# Usage.
expect "no argument: usage" 2 "Usage:" --
expect "unknown option: usage" 2 "unknown option" -- --bogus "$src"
expect "two sources: usage" 2 "" -- "$src" "$src"
expect "source missing" 1 "no such file" -- "$t/nowhere"
printf 'not an archive' >"$t/fw.zip"
expect "unknown source kind" 1 "not a directory, .deb, .rpm or tarball" -- --root "$t/r12" "$t/fw.zip"

printf 'firmware-install: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
