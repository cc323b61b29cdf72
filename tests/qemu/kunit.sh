# Guest scenario: load the driver (its KUnit suites run at load), unload it, look for leaks.

# Objects from boot are not ours: only report what appears from here on.
echo clear > /sys/kernel/debug/kmemleak

insmod /modules/bes2600.ko
grep -q '^bes2600 ' /proc/modules
echo "bes2600-guest: module bes2600 loaded"
rmmod bes2600
! grep -q '^bes2600 ' /proc/modules
echo "bes2600-guest: module bes2600 unloaded"

# kmemleak does not report objects younger than 5 s.
sleep 6
echo scan > /sys/kernel/debug/kmemleak
cat /sys/kernel/debug/kmemleak
