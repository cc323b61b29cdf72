# Guest scenario for `make demo`: load the driver and show what a user would look at.
insmod /modules/bes2600.ko
echo "--- lsmod"
lsmod
echo "--- /sys/bus/sdio/drivers"
ls /sys/bus/sdio/drivers
echo "--- kernel log of the driver"
dmesg | grep -iE 'bes2600|KTAP|# Subtest|ok [0-9]' || true
