#!/usr/bin/env bash
# Boots a test kernel (x86_64 or arm64) under qemu with a busybox initramfs, runs one guest
# scenario script and writes the whole serial console to a log.
#
#   scripts/qemu-run.sh -k KDIR -s SCENARIO -l LOG [-m MODULE.ko]... [-f FIRMWARE_DIR] [-t TIMEOUT_S] [-R [-P]]
#
# The architecture is the kernel tree's (its .config). x86_64 boots on qemu's default PC
# machine; arm64 on qemu's "virt" board with Cortex-A55 cores under TCG (two CPUs through
# PSCI, the PL011 console) and Debian's arm64 busybox-static as its userland
# (scripts/guest-userland.sh), so the driver's KUnit suites also run on the PineTab2's CPU,
# where c_char is unsigned and the kernel's alternatives differ. A later -k replaces an
# earlier one, so a caller with a default -k can add its own.
#
# The scenario runs as root in the guest with /proc, /sys, /dev and debugfs mounted and the
# given modules in $BES2600_MODULES (/modules unless -R). After it, the guest prints its exit
# code and its whole kernel log between markers, then reboots, which ends qemu (-no-reboot).
#
# Without -R the guest runs from a busybox initramfs. With -R it boots the host's root
# filesystem read-only over virtio-9p (as virtme-ng does), with tmpfs on /run, /var/tmp, /var/lib
# and /var/log and a writable overlay on /tmp, so the scenario can run the host's hostapd, wpa_supplicant, iw, iperf3
# and the project's own binaries under their host paths ($BES2600_TOP is the source tree,
# $KDIR the kernel tree, for its modules such as mac80211_hwsim). -R is x86_64 only: the
# host's root is x86_64 userland. -P (with -R) lets the guest suspend: qemu's q35 machine, with
# the root's virtio-9p device behind a PCIe root port and told to keep its state across a
# suspend (x-pcie-pm-no-soft-reset); on the default machine virtio-pci resets the device at
# resume, and the 9p root would hang.
# Exits 0 when the guest reported back; the caller judges the log (scripts/check-log.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

kdir='' scenario='' log='' timeout_s=600 host_root=0 sleep_safe=0 firmware=''
modules=()
while getopts k:s:l:m:f:t:RP opt; do
	case $opt in
	k) kdir=$OPTARG ;;
	s) scenario=$OPTARG ;;
	l) log=$OPTARG ;;
	m) modules+=("$OPTARG") ;;
	f) firmware=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	R) host_root=1 ;;
	P) sleep_safe=1 ;;
	*) die "usage: qemu-run.sh -k KDIR -s SCENARIO -l LOG [-m MODULE.ko]... [-f FIRMWARE_DIR] [-t TIMEOUT_S] [-R [-P]]" ;;
	esac
done
if [ -z "$kdir" ] || [ -z "$scenario" ] || [ -z "$log" ]; then die "-k, -s and -l are required"; fi
[ "$sleep_safe" = 0 ] || [ "$host_root" = 1 ] || die "-P is for the host-root guest (-R)"
[ -f "$kdir/.config" ] || die "no kernel tree at $kdir (no .config)"
if grep -qx CONFIG_X86_64=y "$kdir/.config"; then
	arch=x86_64
	kernel=$kdir/arch/x86/boot/bzImage
	qemu=(qemu-system-x86_64)
	console=ttyS0
elif grep -qx CONFIG_ARM64=y "$kdir/.config"; then
	arch=arm64
	kernel=$kdir/arch/arm64/boot/Image
	# The virt board: PSCI brings up the second CPU, the generic timer is the clock.
	qemu=(qemu-system-aarch64 -M virt)
	console=ttyAMA0
	[ "$host_root" = 0 ] || die "-R boots the host's root, which is x86_64 userland: x86_64 kernels only"
else
	die "$kdir is neither an x86_64 nor an arm64 kernel tree"
fi
[ -f "$kernel" ] || die "no kernel image at $kernel"
command -v "${qemu[0]}" >/dev/null || die "${qemu[0]} not found: run scripts/bootstrap.sh"
# The guest's files; under the cache, not /tmp, because the host-root guest mounts a tmpfs
# over /tmp and must still see them.
mkdir -p "$BES2600_CACHE/guest"
work=$(mktemp -d "$BES2600_CACHE/guest/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/modules"
cp "$scenario" "$work/scenario.sh"
for m in "${modules[@]}"; do cp "$m" "$work/modules/"; done

# CPUs of the guest; the guest refuses to run the scenario on fewer.
smp=${BES2600_QEMU_SMP:-2}

# What the guest runs as init, after the mounts of its mode (prefix below).
cat >"$work/run" <<RUN
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# Marks in the kernel log where the project's code can first run: scripts/check-log.sh tells
# splats of the boot itself from ours by it.
echo "bes2600-guest: scenario start" >/dev/kmsg
echo "bes2600-guest: scenario start"
# Races between the BH and the other contexts only show on several CPUs with a fine clock: a
# guest that came up with fewer CPUs than qemu gave it does not run the scenario.
cpus=\$(grep -c '^processor' /proc/cpuinfo)
echo "bes2600-guest: cpus \$cpus of $smp, clocksource \$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
if [ "\$cpus" -lt $smp ]; then
	echo "bes2600-guest: scenario exit 97 (the guest brought up \$cpus of $smp CPUs)"
else
	(cd "\$BES2600_GUEST_DIR" && sh -e ./scenario.sh)
	echo "bes2600-guest: scenario exit \$?"
fi
echo "==== bes2600-guest dmesg begin ===="
dmesg
echo "==== bes2600-guest dmesg end ===="
reboot -f
RUN

qemu_boot=()
if [ "$host_root" = 1 ]; then
	cat >"$work/init" <<INIT
#!/bin/sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
for d in /run /var/tmp /var/lib /var/log; do mount -t tmpfs tmpfs \$d; done
# /tmp is writable but keeps showing the host's /tmp below (the source tree may live there):
# an overlay with the host's /tmp as its read-only lower layer.
mkdir -p /run/tmp-overlay/upper /run/tmp-overlay/work
mount -t overlay overlay -o lowerdir=/tmp,upperdir=/run/tmp-overlay/upper,workdir=/run/tmp-overlay/work /tmp
hostname bes2600-guest
ip link set lo up
export BES2600_GUEST_DIR=$work BES2600_MODULES=$work/modules BES2600_TOP=$top KDIR=$kdir
. $work/run
INIT
	chmod +x "$work/init"
	root_dev=virtio-9p-pci,fsdev=hostroot,mount_tag=/dev/root
	if [ "$sleep_safe" = 1 ]; then
		qemu+=(-M q35)
		qemu_boot=(-device pcie-root-port,id=rootport,chassis=1)
		root_dev=$root_dev,bus=rootport,x-pcie-pm-no-soft-reset=on
	fi
	qemu_boot+=(-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on"
		-device "$root_dev"
		-append "console=ttyS0 loglevel=4 panic=-1 kasan.fault=report kunit.filter_glob=bes2600* root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro init=$work/init")
else
	busybox=$("$here/guest-userland.sh" "$arch") || die "no busybox for an $arch guest (see above)"
	root=$work/initramfs
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/firmware}
	cp "$busybox" "$root/bin/busybox"
	cp -r "$work/modules" "$root/modules"
	# The initramfs guest finds firmware where the kernel looks by default.
	[ -z "$firmware" ] || cp -r "$firmware/." "$root/lib/firmware/"
	cp "$work/scenario.sh" "$work/run" "$root/"
	cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
export BES2600_GUEST_DIR=/ BES2600_MODULES=/modules
. /run
INIT
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"
	qemu_boot=(-initrd "$work/initramfs.gz"
		-append "console=$console loglevel=4 panic=-1 kasan.fault=report kunit.filter_glob=bes2600*")
fi

accel=(-accel tcg -cpu max)
if [ "$arch" = arm64 ]; then
	# Always emulated (an x86 host has no KVM for it), on the PineTab2's own core (the
	# RK3566's Cortex-A55), so the kernel takes the feature paths the tablet takes.
	accel=(-accel tcg -cpu cortex-a55)
elif [ "${BES2600_QEMU_KVM:-0}" = 1 ] && [ -w /dev/kvm ]; then
	accel=(-accel kvm -cpu host)
fi

say "booting $(basename "$kernel") with $(basename "$scenario") (timeout ${timeout_s}s)"
start=$(date +%s)
set +e
timeout --foreground "$timeout_s" "${qemu[@]}" "${accel[@]}" -smp "$smp" -m 2G \
	-nographic -no-reboot -kernel "$kernel" "${qemu_boot[@]}" \
	</dev/null >"$log" 2>&1
rc=$?
set -e
say "qemu exited with $rc after $(($(date +%s) - start)) s; log: $log"
grep -q "^bes2600-guest: scenario exit" "$log" || die "the guest did not finish the scenario (see $log)"
if grep -q "^bes2600-guest: scenario exit 97 (the guest brought up" "$log"; then
	die "$(grep -m1 "^bes2600-guest: scenario exit 97" "$log" | sed 's/^bes2600-guest: scenario exit 97 //')"
fi
