#!/usr/bin/env bash
# Installs the driver's module sources, as dkms builds them, into a package root: the Debian
# package (scripts/packaging/debian/rules) and the Arch package
# (scripts/packaging/arch/PKGBUILD) both call it, so the two ship the same files.
#
#   scripts/packaging/install-source.sh DESTROOT
#
# Writes DESTROOT/usr/src/bes2600-<version>/, the version being dkms.conf's PACKAGE_VERSION.
# Only what the kernel build of bes2600.ko reads goes in: the Kbuild and Makefile, dkms.conf,
# the driver crate (bes2600/, without the host-only tests and fuzz targets of its no_std
# crates), the abstractions and bindgen rules (rust/) and the two scripts the Makefile runs to
# check the kernel tree and pick its toolchain. The test bench (tests/) stays out: dkms never
# builds it.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
destroot=${1:?usage: install-source.sh DESTROOT}
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
[ -n "$version" ] || { echo "install-source.sh: no PACKAGE_VERSION in $top/dkms.conf" >&2; exit 1; }
dest=$destroot/usr/src/bes2600-$version

mkdir -p "$dest/scripts"
install -m644 "$top/Kbuild" "$top/Makefile" "$top/dkms.conf" "$dest/"
install -m755 "$top/scripts/kbuild-env.sh" "$top/scripts/lib.sh" "$dest/scripts/"
# Sources only: build outputs of an in-place `make` in the tree being packaged stay behind.
for dir in bes2600 rust; do
	(cd "$top" && find "$dir" \
		\( -path '*/tests' -o -path '*/fuzz' -o -name target \) -prune -o \
		-type f \( -name '*.rs' -o -name '*.c' -o -name '*.h' -o -name '*.mk' \) \
		! -name bindings_generated.rs -print) |
		while IFS= read -r f; do install -D -m644 "$top/$f" "$dest/$f"; done
done
echo "$dest"
