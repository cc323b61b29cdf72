#!/usr/bin/env bash
# Checks that the driver module holds only the driver: none of the test bench's code (the
# virtual host controller, the model's character device, their C helpers) is linked into it.
# Prints the module's section sizes and what of the protocol self-tests it carries (those are
# compiled in only on a kernel with CONFIG_KUNIT, as every test kernel is).
#
#   tests/module-contents.sh bes2600.ko
set -euo pipefail
ko=${1:?usage: module-contents.sh MODULE.ko}
size "$ko"
syms=$(nm --defined-only "$ko" | awk '{ print $3 }')
printf 'defined symbols: %d\n' "$(wc -l <<<"$syms")"
# Rust symbols are mangled: a module path shows up as its length-prefixed segments.
bench=$(grep -E 'mmc_host|miscdev|vsdio|bes2600_helper_mmc_|card_irq_trampoline' <<<"$syms" || true)
if [ -n "$bench" ]; then
	echo "test-bench symbols in the driver module:" >&2
	head -n 20 <<<"$bench" >&2
	exit 1
fi
echo "test-bench symbols: none"
printf 'protocol self-test symbols (CONFIG_KUNIT=y here): %d\n' "$(grep -c selftest <<<"$syms" || true)"
# And the undefined ones: the driver must not call into host-controller registration.
if nm --undefined-only "$ko" | grep -qE ' (mmc_alloc_host|mmc_add_host|misc_register)$'; then
	echo "the driver module imports host-controller or misc-device registration" >&2
	exit 1
fi
