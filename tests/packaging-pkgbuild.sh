#!/usr/bin/env bash
# Exercises scripts/packaging/arch/PKGBUILD without makepkg (Debian has none): sources the PKGBUILD in
# a subshell the way makepkg does (startdir at the PKGBUILD's directory of a copy of the
# checkout, srcdir and pkgdir below it, package() run from srcdir with errexit) and checks the
# metadata and the package's file list, so a broken path or a missing file fails here rather
# than on a DanctNIX tablet.
#
#   tests/packaging-pkgbuild.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
step() { printf 'packaging-pkgbuild: %s\n' "$*"; }
fail() { printf 'packaging-pkgbuild: FAIL: %s\n' "$*" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checkout=$work/bes2600
rsync -a --exclude .git --exclude target --exclude .check "$top/" "$checkout/"
startdir=$checkout/scripts/packaging/arch

# makepkg: cd to startdir, source the PKGBUILD, create srcdir and pkgdir/<pkgname>, cd to
# srcdir, run package() under errexit. Its metadata is printed for the checks below. The
# subshell's status is taken after it rather than with `||`, which would switch errexit off
# inside it and let a failing command in package() pass unnoticed.
set +e
# shellcheck disable=SC2154 # pkgname, pkgver, arch, license and depends come from the PKGBUILD
(
	set -e
	cd "$startdir"
	export startdir srcdir=$startdir/src
	# shellcheck disable=SC1091 # the PKGBUILD is read from the copy made above
	. ./PKGBUILD
	export pkgdir=$startdir/pkg/$pkgname
	mkdir -p "$srcdir" "$pkgdir"
	cd "$srcdir"
	package
	printf 'pkgname=%s\npkgver=%s\narch=%s\nlicense=%s\ndepends=%s\n' \
		"$pkgname" "$pkgver" "${arch[*]}" "${license[*]}" "${depends[*]}"
) >"$work/meta"
rc=$?
set -e
[ "$rc" = 0 ] || fail "package() failed"
cat "$work/meta"

grep -qx "pkgname=bes2600-dkms" "$work/meta" || fail "pkgname is not bes2600-dkms"
grep -qx "pkgver=$version" "$work/meta" || fail "pkgver is not dkms.conf's $version"
grep -qx "arch=any" "$work/meta" || fail "arch is not any"
grep -qx "license=GPL-2.0-only" "$work/meta" || fail "license is not GPL-2.0-only"
grep -q "^depends=.*\bdkms\b" "$work/meta" || fail "does not depend on dkms"

pkg=$startdir/pkg/bes2600-dkms
(cd "$pkg" && find . -type f | sed 's|^\./||' | sort) >"$work/files"
src=usr/src/bes2600-$version
for f in "$src/dkms.conf" "$src/Kbuild" "$src/Makefile" "$src/scripts/kbuild-env.sh" \
	"$src/scripts/lib.sh" "$src/bes2600/driver.rs" "$src/rust/bindgen.mk" "$src/rust/helpers.c" \
	usr/share/licenses/bes2600-dkms/copyright usr/share/doc/bes2600-dkms/README.md \
	usr/share/doc/bes2600-dkms/install.md usr/share/doc/bes2600-dkms/firmware.md; do
	grep -qxF "$f" "$work/files" || fail "the package lacks $f"
done
# Nothing outside the three places a dkms package owns.
if grep -vE "^($src/|usr/share/doc/bes2600-dkms/|usr/share/licenses/bes2600-dkms/)" "$work/files"; then
	fail "files outside /$src, the doc and the license directories (above)"
fi
# Every source is the checkout's file, unchanged, and every one the module's crate and Kbuild
# need is there: the .rs/.c/.h/.mk files of bes2600/ (less host-only tests and fuzz targets)
# and rust/.
(cd "$checkout" && find bes2600 rust \( -path '*/tests' -o -path '*/fuzz' -o -name target \) \
	-prune -o -type f \( -name '*.rs' -o -name '*.c' -o -name '*.h' -o -name '*.mk' \) \
	! -name bindings_generated.rs -print | sort) >"$work/expected"
sed -n "s|^$src/||p" "$work/files" | grep -E '^(bes2600|rust)/' | sort >"$work/shipped"
diff -u "$work/expected" "$work/shipped" || fail "the shipped sources differ from the checkout's (above)"
while IFS= read -r f; do
	cmp -s "$checkout/$f" "$pkg/$src/$f" || fail "$src/$f differs from the checkout's $f"
done <"$work/shipped"
step "$(wc -l <"$work/files") files, layout ok"
step ok
