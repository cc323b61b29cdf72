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
#include <linux/sched.h>

#include "helpers.h"

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

void bes2600_helper_set_current_state(unsigned int state)
{
	set_current_state(state);
}

void bes2600_helper___set_current_state(unsigned int state)
{
	__set_current_state(state);
}
