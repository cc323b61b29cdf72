#!/usr/bin/env bash
# Packages the headers of an already-built Rust-enabled kernel tree: everything `make M=...`
# needs to build an out-of-tree Rust module (bes2600, through dkms) without the kernel's full
# build tree, as a Debian package and, optionally, as a tarball of the same files.
#
#   scripts/package-headers.sh [-t] [-v DEB_VERSION] [-c TARGET_HOSTCC] KDIR OUTDIR
#
#   KDIR            a configured and built kernel tree (an O= tree or an in-tree build)
#   OUTDIR          receives linux-headers-<release>_<version>_<arch>.deb
#   -t              also writes linux-headers-<release>-<arch>.tar.gz (the same tree, rooted at
#                   /, for DanctNIX and other distributions without dpkg)
#   -v DEB_VERSION  the package version (default: the release's x.y.z followed by -1)
#   -c CC           a C compiler for the machine the headers will be installed on, when that is
#                   not this machine (a cross-built kernel): fixdep and modpost are rebuilt with
#                   it so they run there. Without -c the tree's host programs are shipped as built.
#
# The package installs /usr/src/linux-headers-<release> and /lib/modules/<release>/build
# pointing at it, as Debian's own header packages do. It never builds in KDIR: the kernel's
# scripts/package/install-extmod-build copies the C part (Makefiles, headers, generated
# config, host programs), and this script adds the Rust build outputs that script does not
# ship (see add_rust_outputs). CI runs this on the test kernel (tests/packaging-headers.sh);
# scripts/pinetab2-kernel.sh runs it on the tablet's kernel.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

usage() { die "usage: package-headers.sh [-t] [-v DEB_VERSION] [-c TARGET_HOSTCC] KDIR OUTDIR"; }
tarball=0 deb_version='' target_hostcc=''
while getopts tv:c: opt; do
	case $opt in
	t) tarball=1 ;;
	v) deb_version=$OPTARG ;;
	c) target_hostcc=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || usage
kdir=$(cd "$1" && pwd)
mkdir -p "$2"
outdir=$(cd "$2" && pwd)

conf=$kdir/include/config/auto.conf
if [ ! -f "$conf" ] || [ ! -f "$kdir/Module.symvers" ]; then
	die "$kdir is not a built kernel tree (no include/config/auto.conf or Module.symvers)"
fi
enabled() { grep -qx "$1=y" "$conf"; }
enabled CONFIG_RUST || die "$kdir was built without CONFIG_RUST=y"
[ -f "$kdir/rust/libkernel.rmeta" ] || die "$kdir lacks its Rust build outputs (rust/libkernel.rmeta)"
release=$(cat "$kdir/include/config/kernel.release")

# An O= tree names its source through the `source` link; an in-tree build is its own source.
if [ -L "$kdir/source" ]; then srctree=$(readlink -f "$kdir/source"); else srctree=$kdir; fi
if enabled CONFIG_X86_64; then
	srcarch=x86 debarch=amd64
elif enabled CONFIG_ARM64; then
	srcarch=arm64 debarch=arm64
else
	die "only x86_64 and arm64 kernels are packaged"
fi
# Debian versions must start with a digit: the release's leading x.y.z, as in 7.3.4-1.
deb_version=${deb_version:-$(echo "$release" | grep -oE '^[0-9]+(\.[0-9]+)*')-1}
package=linux-headers-$release

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
dest=$root/usr/src/$package

# Adds what an out-of-tree Rust module's build reads from the kernel tree and the kernel's
# install-extmod-build (written for C modules) leaves out. Found by building bes2600 against
# the installed package alone (tests/packaging-headers.sh):
#   rust/*.rmeta   metadata of the kernel's crates (core, kernel, bindings, pin_init, ffi, ...)
#                  that `--extern kernel` and friends resolve against with `-L rust/`;
#   rust/*.so      the proc-macro crates (macros, pin_init_internal, zerocopy_derive) that
#                  rustc loads while compiling the module: programs for the build machine;
#   rust/helpers/*.bc  the helpers as LLVM bitcode, linked into Rust objects with
#                  CONFIG_RUST_INLINE_HELPERS.
# scripts/target.json (x86's rustc target), include/generated/rustc_cfg (the kernel's config
# as rustc --cfg flags) and Module.symvers (with the Rust symbols) are already copied by
# install-extmod-build.
add_rust_outputs() {
	(
		cd "$kdir"
		find rust -maxdepth 1 \( -name '*.rmeta' -o -name '*.so' \) -print
		if [ -d rust/helpers ]; then find rust/helpers -name '*.bc' -print; fi
	) | tar -C "$kdir" -cf - -T - | tar -C "$dest" -xf -
}

say "packaging the headers of $release ($debarch) from $kdir"
# install-extmod-build runs in the object tree and reads these from make's environment.
# CC equal to HOSTCC means: ship the host programs as built. A different CC makes it rebuild
# fixdep and modpost with CC through `make run-command`, which needs no configuration sync
# and builds nothing in the tree but those two programs, in the destination.
(
	cd "$kdir"
	mapfile -t kargs < <(kmake_args)
	export srctree SRCARCH=$srcarch ARCH=$srcarch MAKE=make
	export "${kargs[@]}"
	if [ -n "$target_hostcc" ]; then
		export CC=$target_hostcc HOSTCC=clang$LLVM_SUFFIX
		# With LLVM= the kernel links host programs with -fuse-ld=lld unless told otherwise;
		# a cross gcc has no lld of its own, but its binutils linker.
		case ${target_hostcc##*/} in
		*gcc*) export HOSTLDFLAGS=-fuse-ld=bfd ;;
		esac
	else
		export CC=host-programs-as-built HOSTCC=host-programs-as-built
	fi
	"$srctree/scripts/package/install-extmod-build" "$dest"
)
add_rust_outputs
# The configuration, as Debian's header packages have it: dkms reads it (compiler, signing).
cp "$kdir/.config" "$dest/.config"
mkdir -p "$root/lib/modules/$release"
ln -s "/usr/src/$package" "$root/lib/modules/$release/build"

# Nothing in the package may lead back to the tree it was made from: a link into it would
# work on the packaging machine and nowhere else.
if [ -n "$(find "$root" -type l -lname "$kdir*")" ]; then
	die "the headers tree links back into $kdir"
fi

rustc_text=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"$/\1/p' "$conf")
installed_size=$(du -sk "$root" | cut -f1)
mkdir -p "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<CONTROL
Package: $package
Version: $deb_version
Architecture: $debarch
Maintainer: bes2600 developers <bes2600@localhost>
Section: kernel
Priority: optional
Installed-Size: $installed_size
Depends: make
Description: kernel headers and Rust build outputs for $release
 The files needed to build out-of-tree kernel modules, C and Rust, against
 Linux $release: Makefiles, headers, generated configuration, host programs
 and the Rust crates' metadata and proc macros. Rust modules must be built
 with the compiler the kernel was built with: $rustc_text.
CONTROL
deb=$outdir/${package}_${deb_version}_$debarch.deb
dpkg-deb --root-owner-group -Zgzip -z6 --build "$root" "$deb" >/dev/null
say "wrote $deb ($(du -h "$deb" | cut -f1))"
echo "$deb"

if [ "$tarball" = 1 ]; then
	rm -rf "$root/DEBIAN"
	tar_file=$outdir/$package-$debarch.tar.gz
	tar -C "$root" --owner=0 --group=0 -czf "$tar_file" usr lib
	say "wrote $tar_file"
	echo "$tar_file"
fi
