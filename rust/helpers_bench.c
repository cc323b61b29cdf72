// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of the test bench's abstractions (rust/mmc_host.rs): host-controller registration
 * and access to the card of a host. Compiled only into bes2600_vsdio.ko, never into the driver.
 */

#include <linux/device.h>
#include <linux/mmc/card.h>
#include <linux/mmc/host.h>
#include <linux/mmc/sdio_func.h>

#include "helpers.h"

void *bes2600_helper_mmc_priv(struct mmc_host *host)
{
	return mmc_priv(host);
}

void bes2600_helper_mmc_host_configure(struct mmc_host *host,
				       const struct mmc_host_ops *ops,
				       const struct bes2600_mmc_host_config *config)
{
	host->ops = ops;
	host->f_min = config->f_min;
	host->f_max = config->f_max;
	host->ocr_avail = config->ocr_avail;
	host->caps = config->caps;
	host->caps2 = config->caps2;
	host->max_segs = min_t(unsigned int, config->max_segs, USHRT_MAX);
	host->max_seg_size = config->max_seg_size;
	host->max_blk_size = config->max_blk_size;
	host->max_blk_count = config->max_blk_count;
	host->max_req_size = config->max_req_size;
}

static int bes2600_match_func_num(struct device *dev, const void *data)
{
	return dev_to_sdio_func(dev)->num == *(const unsigned int *)data;
}

struct sdio_func *bes2600_helper_mmc_host_get_func(struct mmc_host *host, unsigned int num)
{
	struct device *card_dev, *func_dev = NULL;

	/* The card is the host's only child; an SDIO card's children are its functions. */
	card_dev = device_find_any_child(&host->class_dev);
	if (!card_dev)
		return NULL;
	if (mmc_card_sdio(container_of(card_dev, struct mmc_card, dev)))
		func_dev = device_find_child(card_dev, &num, bes2600_match_func_num);
	put_device(card_dev);
	return func_dev ? dev_to_sdio_func(func_dev) : NULL;
}

unsigned int bes2600_helper_mmc_host_sdio_irqs(struct mmc_host *host)
{
	/* Written with the host claimed; a racy read is good enough for a diagnostic. */
	return READ_ONCE(host->sdio_irqs);
}

bool bes2600_helper_sdio_func_linked(struct sdio_func *func)
{
	unsigned int num = func->num;
	struct device *found;

	/* The function's parent is its card, which the function keeps allocated. */
	found = device_find_child(func->dev.parent, &num, bes2600_match_func_num);
	put_device(found);
	return found == &func->dev;
}
