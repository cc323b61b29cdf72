#!/usr/bin/env bash
# Installs everything the build and the tests need on a Debian 12 (bookworm) machine.
#
# Idempotent: a second run finds everything in place and returns in seconds.
# It only adds bookworm-backports (a bookworm suite) to apt; packages from other
# suites (the kernel source) are fetched by scripts/kernel.sh with a private apt state.
set -euo pipefail

log() { printf 'bootstrap: %s\n' "$*"; }

APT_PACKAGES=(
	# Kernel and module build.
	bc flex bison libelf-dev libssl-dev cpio kmod make xz-utils
	# Rust for the kernel: the toolchain whose library source matches it.
	rustc-web rust-web-src
	# LLVM toolchain the test kernels are built with, and libclang for bindgen.
	clang-19 lld-19 llvm-19 libclang-19-dev
	# dkms and the Debian packaging tools for the packaging tests.
	dkms rsync file dpkg-dev debhelper dh-dkms
	# The device-tree check, and the archive formats firmware/install.sh reads.
	device-tree-compiler cpp python3-yaml python3-venv zstd
	# Guest userland for the qemu runner.
	busybox-static
	# Userland of the end-to-end scenarios (the guest boots the host root read-only).
	hostapd wpasupplicant iw iperf3
	# The clients PineTab2 owners run (tests/qemu/clients.sh): NetworkManager, iwd, and the
	# udev NetworkManager relies on.
	network-manager iwd udev
	# ping that keeps going when its route goes away (the fault matrix unplugs the card).
	iputils-ping
)
BACKPORTS_PACKAGES=(
	qemu-system-x86 qemu-system-arm
)

need_install=()
for p in "${APT_PACKAGES[@]}" "${BACKPORTS_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_install+=("$p")
done

if [ "${#need_install[@]}" -gt 0 ]; then
	log "installing: ${need_install[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
		mirror=$(grep -rhoE 'https?://[^ ]+/debian/?$' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n1 || true)
		mirror=${mirror:-http://deb.debian.org/debian}
		log "adding bookworm-backports from $mirror"
		cat >/etc/apt/sources.list.d/bookworm-backports.sources <<SRC
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	fi
	apt-get update -qq
	# The WiFi clients are installed for the guest only: their services must not start on
	# this machine (NetworkManager would take over its network), now or at its next boot.
	clients_new=$(printf '%s\n' "${need_install[@]}" | grep -xE 'network-manager|iwd' || true)
	policy=/usr/sbin/policy-rc.d policy_made=
	if [ -n "$clients_new" ] && [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod +x "$policy"
		policy_made=yes
		trap 'rm -f "$policy"' EXIT
	fi
	apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
	if [ -n "$policy_made" ]; then
		rm -f "$policy"
		trap - EXIT
	fi
	if [ -n "$clients_new" ] && [ -d /run/systemd/system ]; then
		systemctl disable --quiet NetworkManager.service iwd.service 2>/dev/null || true
	fi
	apt-get install -y -qq --no-install-recommends -t bookworm-backports "${BACKPORTS_PACKAGES[@]}" >/dev/null
fi

# bindgen from crates.io (the kernel needs 0.65 or newer; Debian 12 ships 0.60).
BINDGEN_VERSION=0.73.2
if ! "$HOME/.cargo/bin/bindgen" --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	log "installing bindgen-cli $BINDGEN_VERSION"
	cargo install --quiet --locked bindgen-cli --version "$BINDGEN_VERSION"
fi

# dt-schema from PyPI, for tests/devicetree.sh's schema checks (Debian 12's is too old to
# run). Best effort: without it that test checks with dtc alone and says so.
DTSCHEMA_VERSION=2026.9
dtschema_venv=${BES2600_CACHE:-/var/cache/bes2600}/dtschema
if ! "$dtschema_venv/bin/pip" show dtschema 2>/dev/null | grep -qx "Version: $DTSCHEMA_VERSION"; then
	log "installing dt-schema $DTSCHEMA_VERSION"
	{ python3 -m venv "$dtschema_venv" &&
		"$dtschema_venv/bin/pip" install --quiet "dtschema==$DTSCHEMA_VERSION"; } ||
		log "dt-schema not installed: the device-tree check runs with dtc only"
fi

log "ok"
