/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C declarations rust/bindings_generated.rs is generated from.
 * rust/bindgen.mk keeps only what its allowlist names.
 */

#include <linux/mmc/sdio.h>
#include <linux/mmc/sdio_func.h>
#include <linux/mmc/sdio_ids.h>

#include "helpers.h"
