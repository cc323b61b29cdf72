# Guest scenario: the module built by dkms from the bes2600-dkms package, against the headers
# package (tests/packaging-dkms.sh), is loaded the way a distribution loads it: by modprobe,
# from /lib/modules/<release>/updates/dkms, through the modules.dep and modules.alias that the
# host's depmod wrote for it.
#
# $BES2600_MODULES holds bes2600.ko and depmod's modules.* files; the guest lays them out as
# an installed module tree, since busybox's modprobe only reads /lib/modules/$(uname -r).

release=$(uname -r)
tree=/lib/modules/$release
mkdir -p "$tree/updates/dkms"
cp "$BES2600_MODULES/bes2600.ko" "$tree/updates/dkms/"
cp "$BES2600_MODULES"/modules.* "$tree/"
grep -q '^updates/dkms/bes2600.ko:' "$tree/modules.dep"

# By name, as `modprobe bes2600` on the tablet.
modprobe bes2600
grep -q '^bes2600 ' /proc/modules
echo "bes2600-guest: modprobe bes2600 loaded the dkms-built module"
modprobe -r bes2600
! grep -q '^bes2600 ' /proc/modules
echo "bes2600-guest: modprobe -r bes2600 unloaded it"

# By the SDIO alias, as udev asks for it when the card appears (the WLAN class 0x07, vendor
# 0xBE57, device 0x2002): resolved without loading again (each load runs the KUnit suites,
# which a TCG guest with KASAN takes long over).
modprobe -D 'sdio:c07vBE57d2002' | tee /tmp/alias-deps
grep -q "updates/dkms/bes2600.ko" /tmp/alias-deps
echo "bes2600-guest: modprobe resolves the SDIO alias to the dkms-built module"
echo "bes2600-guest: dkms-modprobe done"
