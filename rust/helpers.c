// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for the Rust abstractions in rust/: see helpers.h.
 */

#include <linux/device.h>
#include <linux/mm.h>
#include <linux/mmc/card.h>
#include <linux/mmc/core.h>
#include <linux/mmc/host.h>
#include <linux/mmc/sdio.h>
#include <linux/mmc/sdio_func.h>
#include <linux/scatterlist.h>

#include "helpers.h"

struct sdio_driver *bes2600_helper_sdio_func_driver(struct sdio_func *func)
{
	struct device_driver *drv = READ_ONCE(func->dev.driver);

	return drv ? container_of(drv, struct sdio_driver, drv) : NULL;
}

/* CMD53 argument fields (SDIO Simplified Specification, section 5.3). */
#define CMD53_WRITE		BIT(31)
#define CMD53_FUNC_SHIFT	28
#define CMD53_BLOCK_MODE	BIT(27)
#define CMD53_INCR_ADDR		BIT(26)
#define CMD53_ADDR_SHIFT	9
#define CMD53_ADDR_MAX		0x1ffffu
#define CMD53_COUNT_MAX		511u

int bes2600_helper_sdio_io_rw_extended(struct sdio_func *func, bool write,
				       unsigned int addr, bool incr_addr, u8 *buf,
				       unsigned int blocks, unsigned int blksz)
{
	struct mmc_card *card = func->card;
	struct mmc_host *host = card->host;
	struct mmc_request mrq = {};
	struct mmc_command cmd = {};
	struct mmc_data data = {};
	struct scatterlist sg;
	unsigned int len;

	if (addr > CMD53_ADDR_MAX || blksz == 0 || blksz > 512 || blocks > CMD53_COUNT_MAX)
		return -EINVAL;
	if (blocks && (!card->cccr.multi_block || blocks > host->max_blk_count ||
		       blksz > host->max_blk_size))
		return -EINVAL;

	len = blocks ? blocks * blksz : blksz;
	if (len > host->max_req_size || len > host->max_seg_size)
		return -EINVAL;
	/* Only linearly mapped memory can be put in a scatterlist. */
	if (!virt_addr_valid(buf) || !virt_addr_valid(buf + len - 1))
		return -EFAULT;

	cmd.opcode = SD_IO_RW_EXTENDED;
	cmd.arg = (write ? CMD53_WRITE : 0) | (func->num << CMD53_FUNC_SHIFT) |
		  (incr_addr ? CMD53_INCR_ADDR : 0) | (addr << CMD53_ADDR_SHIFT);
	if (blocks)
		cmd.arg |= CMD53_BLOCK_MODE | blocks;
	else
		cmd.arg |= blksz == 512 ? 0 : blksz; /* a byte count of 0 means 512 */
	cmd.flags = MMC_RSP_SPI_R5 | MMC_RSP_R5 | MMC_CMD_ADTC;

	data.blksz = blksz;
	data.blocks = blocks ? blocks : 1;
	data.flags = write ? MMC_DATA_WRITE : MMC_DATA_READ;
	sg_init_one(&sg, buf, len);
	data.sg = &sg;
	data.sg_len = 1;

	mrq.cmd = &cmd;
	mrq.data = &data;
	mmc_set_data_timeout(&data, card);
	mmc_wait_for_req(host, &mrq);

	if (cmd.error)
		return cmd.error;
	if (data.error)
		return data.error;
	if (!mmc_host_is_spi(host)) {
		if (cmd.resp[0] & R5_ERROR)
			return -EIO;
		if (cmd.resp[0] & R5_FUNCTION_NUMBER)
			return -EINVAL;
		if (cmd.resp[0] & R5_OUT_OF_RANGE)
			return -ERANGE;
	}
	return 0;
}

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
