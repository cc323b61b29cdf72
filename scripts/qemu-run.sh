#!/usr/bin/env bash
# Boots the x86_64 test kernel under qemu with a busybox initramfs, runs one guest scenario
# script and writes the whole serial console to a log.
#
#   scripts/qemu-run.sh -k KDIR -s SCENARIO -l LOG [-m MODULE.ko]... [-t TIMEOUT_S]
#
# The scenario runs as root in the guest with /proc, /sys, /dev and debugfs mounted and the
# given modules in /modules. After it, the guest prints its exit code and its whole kernel
# log between markers, then reboots, which ends qemu (-no-reboot).
# Exits 0 when the guest reported back; the caller judges the log (scripts/check-log.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

kdir= scenario= log= timeout_s=600
modules=()
while getopts k:s:l:m:t: opt; do
	case $opt in
	k) kdir=$OPTARG ;;
	s) scenario=$OPTARG ;;
	l) log=$OPTARG ;;
	m) modules+=("$OPTARG") ;;
	t) timeout_s=$OPTARG ;;
	*) die "usage: qemu-run.sh -k KDIR -s SCENARIO -l LOG [-m MODULE.ko]... [-t TIMEOUT_S]" ;;
	esac
done
[ -n "$kdir" ] && [ -n "$scenario" ] && [ -n "$log" ] || die "-k, -s and -l are required"
kernel=$kdir/arch/x86/boot/bzImage
[ -f "$kernel" ] || die "no kernel image at $kernel"
busybox=$(command -v busybox) || die "busybox not found: run scripts/bootstrap.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,modules,lib/firmware}
cp "$busybox" "$root/bin/busybox"
cp "$scenario" "$root/scenario.sh"
for m in "${modules[@]}"; do cp "$m" "$root/modules/"; done
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
echo "bes2600-guest: scenario start"
sh -e /scenario.sh
echo "bes2600-guest: scenario exit $?"
echo "==== bes2600-guest dmesg begin ===="
dmesg
echo "==== bes2600-guest dmesg end ===="
reboot -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

accel=(-accel tcg -cpu max)
if [ "${BES2600_QEMU_KVM:-0}" = 1 ] && [ -w /dev/kvm ]; then
	accel=(-accel kvm -cpu host)
fi

say "booting $(basename "$kernel") with $(basename "$scenario") (timeout ${timeout_s}s)"
start=$(date +%s)
set +e
timeout --foreground "$timeout_s" qemu-system-x86_64 "${accel[@]}" -smp 2 -m 2G \
	-nographic -no-reboot -kernel "$kernel" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 loglevel=4 panic=-1 kasan.fault=report kunit.filter_glob=bes2600*" \
	</dev/null >"$log" 2>&1
rc=$?
set -e
say "qemu exited with $rc after $(($(date +%s) - start)) s; log: $log"
grep -q "^bes2600-guest: scenario exit" "$log" || die "the guest did not finish the scenario (see $log)"
