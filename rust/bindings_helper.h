/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C declarations rust/bindings_generated.rs is generated from.
 * rust/bindgen.mk keeps only what its allowlist names.
 */

#include <linux/mmc/core.h>
#include <linux/mmc/host.h>
#include <linux/mmc/sdio.h>
#include <linux/mmc/sdio_func.h>
#include <linux/mmc/sdio_ids.h>

#include <linux/scatterlist.h>

#include "helpers.h"

/* Constants defined with BIT(), which bindgen cannot evaluate. */
enum {
	BES2600_MMC_DATA_WRITE = MMC_DATA_WRITE,
	BES2600_MMC_DATA_READ = MMC_DATA_READ,
};
