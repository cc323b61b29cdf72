# Guest scenario (host root, `qemu-run.sh -R`): the driver's boot-ROM download runs through the
# project's SDIO abstraction, the real MMC core and the virtual SDIO host against the chip
# model, which checks every boot frame and the image's CRC. Needs bes2600_vsdio.ko and
# bes2600_boot_test.ko in $BES2600_MODULES and the chip model built in $BES2600_TOP.

model=$BES2600_TOP/target/release/bes2600-chip-model
stats=/tmp/model.stats

step() { echo "sdio-boot: $*"; }
fail() { echo "sdio-boot: FAIL: $*"; cat "$stats" 2>/dev/null; exit 1; }
wait_for() {
	i=0
	while ! "$@"; do
		i=$((i + 1))
		[ $i -lt 200 ] || return 1
		sleep 0.1
	done
}
stat() { sed -n "s/^$1 //p" "$stats"; }

insmod "$BES2600_MODULES/bes2600_vsdio.ko"
step "virtual host loaded"
"$model" --stats "$stats" --hwsim off --calibration off >/tmp/model.out 2>/tmp/model.err &
model_pid=$!
wait_for test -s "$stats" || fail "the chip model did not start"
step "chip model running (pid $model_pid)"

# Probe runs the download synchronously, so it is over when insmod returns.
insmod "$BES2600_MODULES/bes2600_boot_test.ko"
dmesg | grep "sdio-boot:" || true
dmesg | grep -q "sdio-boot: download complete: 41083 bytes" || fail "the download did not complete"
readlink "$(dirname "$(grep -l 0xbe57 /sys/bus/sdio/devices/*/vendor | head -n1)")/driver" | grep -q bes2600_boot_test ||
	fail "the test driver is not bound"

rmmod bes2600_boot_test
kill -TERM "$model_pid"
wait "$model_pid" || fail "the chip model exited with $?"
cat "$stats"
[ "$(stat violations)" = 0 ] || fail "the chip model counted protocol violations"
[ "$(stat boot_downloads)" -ge 1 ] || fail "the chip model verified no download"
rmmod bes2600_vsdio
step "ok: image verified by the chip model, no protocol violation"
