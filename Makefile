# SPDX-License-Identifier: GPL-2.0
#
# bes2600: Rust driver for the Bestechnic BES2600 SDIO WiFi chip.
#
#   make                      build bes2600.ko against KDIR (default: the running kernel)
#   make KDIR=<tree>          build against any configured, built, Rust-enabled kernel tree
#   make install              install the module into KDIR's module directory
#   make check                every test: host, fuzz smoke, KUnit and end to end under qemu
#   make demo                 boot the test kernel in qemu: associate, ping, iperf3 both ways
#   make soak [DURATION=MIN] [FAULT_S=S] [HOSTILE=N] [SEED=S]
#                             traffic with random faults (and a hostile chip) for MIN minutes
#   make soak CYCLES=N        N load/unload cycles on the emulated chip
#   make bench [PROFILE=bound|pinetab2] [RUN_S=N] [BUS_RATE=B/s] [BUS_OVERHEAD_NS=NS] [PERF=RUNS] [TESTS=...] [POWER_SAVE=on|off]
#                             throughput and per-frame cost against the stack's own ceiling
#                             and the modelled bus (a table, and .bench/result.json)
#   make clean
#
# The kernel build itself is described by the Kbuild file beside this one.

KDIR ?= /lib/modules/$(shell uname -r)/build
SRC := $(dir $(realpath $(lastword $(MAKEFILE_LIST))))

# The toolchain variables come from scripts/kbuild-env.sh, which first checks that KDIR is
# usable and prints one clear error if it is not.
define kbuild
	@args=$$("$(SRC)scripts/kbuild-env.sh" "$(KDIR)") && \
	env $$(echo "$$args" | grep '^LIBCLANG_PATH=') \
	$(MAKE) -C "$(KDIR)" M="$(SRC:%/=%)" $$(echo "$$args" | grep -v '^LIBCLANG_PATH=') $(1)
endef

all: modules

modules:
	$(call kbuild,modules)

install: modules
	$(call kbuild,modules_install)

check:
	@"$(SRC)scripts/check.sh"

demo:
	@"$(SRC)scripts/demo.sh"

soak:
	@DURATION="$(DURATION)" FAULT_S="$(FAULT_S)" HOSTILE="$(HOSTILE)" SEED="$(SEED)" CYCLES="$(CYCLES)" \
		"$(SRC)scripts/soak.sh"

bench:
	@PROFILE="$(PROFILE)" RUN_S="$(RUN_S)" BUS_RATE="$(BUS_RATE)" BUS_OVERHEAD_NS="$(BUS_OVERHEAD_NS)" PERF="$(PERF)" TESTS="$(TESTS)" POWER_SAVE="$(POWER_SAVE)" \
		"$(SRC)scripts/bench.sh"

clean:
	rm -rf $(SRC).tmp_versions $(SRC)Module.symvers $(SRC)modules.order $(SRC).modules.order.cmd \
		$(SRC)Module.symvers.cmd $(SRC).module-common.o
	find "$(SRC)bes2600" "$(SRC)rust" "$(SRC)tests" -path '*/target' -prune -o -type f \( \
		-name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' -o -name '.*.cmd' \
		-o -name '*.d' -o -name 'bindings_generated.rs' \) -print0 | xargs -0 rm -f
	rm -f $(SRC)*.ko $(SRC)*.o $(SRC)*.mod $(SRC)*.mod.c $(SRC).*.cmd

.PHONY: all modules install check demo soak bench clean
