/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers for the Rust abstractions: what Rust cannot call directly
 * (static inline functions and macros), and the raw CMD53 transfer the SDIO
 * core does not export.
 */
#ifndef BES2600_RUST_HELPERS_H
#define BES2600_RUST_HELPERS_H

#include <linux/types.h>

struct module;
struct sdio_driver;
struct sdio_func;

/* The driver @func is bound to, or NULL. */
struct sdio_driver *bes2600_helper_sdio_func_driver(struct sdio_func *func);

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

#endif /* BES2600_RUST_HELPERS_H */
