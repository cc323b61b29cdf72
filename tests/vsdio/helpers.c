// SPDX-License-Identifier: GPL-2.0
/*
 * The C helpers of rust/, compiled once more for bes2600_vsdio.ko (a Kbuild object belongs to
 * one module only), with the test bench's own helpers that the driver never contains.
 */
#include "../../rust/helpers.c"
#include "../../rust/helpers_bench.c"
