// SPDX-License-Identifier: GPL-2.0
/*
 * The C helpers of rust/, compiled once more for bes2600_vsdio.ko: a Kbuild object belongs to
 * one module only.
 */
#include "../../rust/helpers.c"
