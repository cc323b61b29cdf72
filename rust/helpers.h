/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers for the Rust abstractions: what Rust cannot call directly
 * (static inline functions and macros), and the raw CMD53 transfer the SDIO
 * core does not export.
 */
#ifndef BES2600_RUST_HELPERS_H
#define BES2600_RUST_HELPERS_H

#include <linux/types.h>

struct mmc_host;
struct mmc_host_ops;
struct module;
struct sdio_func;

/*
 * One CMD53 (IO_RW_EXTENDED) on @func with the 17-bit register address field
 * set to @addr exactly: unlike sdio_memcpy_toio(), the transfer is never split
 * and the address is never advanced, because some chips read the address field
 * as a length. @blocks == 0 selects byte mode with @blksz bytes (1..512);
 * otherwise block mode with @blocks blocks of the function's block size
 * @blksz. @buf must be kmalloc memory (it is mapped for DMA). The caller holds
 * the host.
 */
int bes2600_helper_sdio_io_rw_extended(struct sdio_func *func, bool write,
				       unsigned int addr, bool incr_addr, u8 *buf,
				       unsigned int blocks, unsigned int blksz);

/*
 * The test bench's helpers (rust/mmc_host.rs), defined in helpers_bench.c, which only
 * bes2600_vsdio.ko links. The driver module never calls them.
 */

/* What rust/mmc_host.rs sets in a struct mmc_host before mmc_add_host(). */
struct bes2600_mmc_host_config {
	unsigned int f_min;
	unsigned int f_max;
	u32 ocr_avail;
	u32 caps;
	u32 caps2;
	unsigned int max_segs;
	unsigned int max_seg_size;
	unsigned int max_blk_size;
	unsigned int max_blk_count;
	unsigned int max_req_size;
};

/* mmc_priv(): the host driver's private area of @host. */
void *bes2600_helper_mmc_priv(struct mmc_host *host);

/* Sets the ops, clocks, voltages, capabilities and transfer limits of @host. */
void bes2600_helper_mmc_host_configure(struct mmc_host *host,
				       const struct mmc_host_ops *ops,
				       const struct bes2600_mmc_host_config *config);

/*
 * For test benches that drive their own host: function @num (1..7) of the card
 * on @host with a reference taken (put_device(&func->dev) drops it), or NULL
 * when there is no card or the function is not registered yet.
 */
struct sdio_func *bes2600_helper_mmc_host_get_func(struct mmc_host *host, unsigned int num);

/* The number of function interrupt handlers claimed on @host's card. */
unsigned int bes2600_helper_mmc_host_sdio_irqs(struct mmc_host *host);

/*
 * Whether @func is still linked to its card as a child device. device_del()
 * unlinks a function before it releases the function's managed resources, so a
 * devres action added before a check that returns true runs at the deletion.
 */
bool bes2600_helper_sdio_func_linked(struct sdio_func *func);

/* set_current_state(): sets the current task's state, then a full memory barrier. */
void bes2600_helper_set_current_state(unsigned int state);

/* __set_current_state(): sets the current task's state, no barrier. */
void bes2600_helper___set_current_state(unsigned int state);

#endif /* BES2600_RUST_HELPERS_H */
