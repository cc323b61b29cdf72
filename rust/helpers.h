/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers for the Rust abstractions: what Rust cannot call directly
 * (static inline functions and macros), and the raw CMD53 transfer the SDIO
 * core does not export.
 */
#ifndef BES2600_RUST_HELPERS_H
#define BES2600_RUST_HELPERS_H

#include <linux/types.h>

struct dev_pm_ops;
struct mmc_host;
struct mmc_host_ops;
struct module;
struct notifier_block;
struct sdio_driver;
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

/*
 * Sets the system-sleep callbacks of @drv, which is not registered yet (struct
 * device_driver is opaque to the Rust side).
 */
void bes2600_helper_sdio_driver_set_pm(struct sdio_driver *drv, const struct dev_pm_ops *pm);

/*
 * register_pm_notifier() and unregister_pm_notifier(), which are static inlines
 * without CONFIG_PM_SLEEP.
 */
int bes2600_helper_register_pm_notifier(struct notifier_block *nb);
int bes2600_helper_unregister_pm_notifier(struct notifier_block *nb);

/* set_current_state(): sets the current task's state, then a full memory barrier. */
void bes2600_helper_set_current_state(unsigned int state);

/* __set_current_state(): sets the current task's state, no barrier. */
void bes2600_helper___set_current_state(unsigned int state);

/*
 * Socket buffers (rust/skb.rs). The Rust side sees `struct sk_buff` as opaque and reaches
 * its fields only through these.
 */
struct sk_buff;
struct sk_buff_head;

/* A linear skb of @headroom + @len bytes with @headroom reserved and no data (GFP_KERNEL). */
struct sk_buff *bes2600_helper_skb_alloc(unsigned int len, unsigned int headroom);

/* dev_kfree_skb_any(): frees @skb from any context. */
void bes2600_helper_skb_free(struct sk_buff *skb);

/* skb->data, skb_headlen(), skb_headroom(), skb_tailroom(). */
u8 *bes2600_helper_skb_data(const struct sk_buff *skb);
unsigned int bes2600_helper_skb_headlen(const struct sk_buff *skb);
unsigned int bes2600_helper_skb_headroom(const struct sk_buff *skb);
unsigned int bes2600_helper_skb_tailroom(const struct sk_buff *skb);

/*
 * Makes @skb linear and its data private to it (not shared with clones), so that its
 * bytes may be written. Returns 0 or a negative errno (-ENOMEM, or -EBUSY when the skb
 * itself is shared). Uses GFP_ATOMIC: callers may be atomic.
 */
int bes2600_helper_skb_make_private(struct sk_buff *skb);

/* skb->next, the link of an unlocked queue the Rust side keeps itself. */
struct sk_buff *bes2600_helper_skb_next(const struct sk_buff *skb);
void bes2600_helper_skb_set_next(struct sk_buff *skb, struct sk_buff *next);

/* skb_queue_head_init(), skb_queue_len_lockless(), skb_queue_purge(). */
void bes2600_helper_skb_queue_head_init(struct sk_buff_head *list);
u32 bes2600_helper_skb_queue_len(const struct sk_buff_head *list);
void bes2600_helper_skb_queue_purge(struct sk_buff_head *list);

/*
 * mac80211 (rust/mac80211.rs).
 */
struct device;
struct ieee80211_hw;
struct ieee80211_supported_band;
struct mac_address;

/* Everything rust/mac80211.rs sets in a hw between ieee80211_alloc_hw_nm() and registering. */
struct bes2600_hw_config {
	const u8 *perm_addr;
	struct mac_address *addresses;
	u16 n_addresses;
	struct device *parent;
	struct ieee80211_supported_band *band_2ghz;
	struct ieee80211_supported_band *band_5ghz;
	u16 queues;
	u8 max_rates;
	u8 max_rate_tries;
	unsigned int extra_tx_headroom;
	u8 max_scan_ssids;
	u16 max_scan_ie_len;
	u16 interface_modes;
	const u32 *hw_flags;
	unsigned int n_hw_flags;
	const u32 *cipher_suites;
	int n_cipher_suites;
	u32 wiphy_flags;
	const u32 *ext_features;
	unsigned int n_ext_features;
	u32 regulatory_flags;
};

/* Fails with -EINVAL if a flag or an extended feature is out of range. */
int bes2600_helper_ieee80211_hw_configure(struct ieee80211_hw *hw,
					  const struct bes2600_hw_config *cfg);

/* One entry of the rate table of a frame (struct ieee80211_tx_rate, unpacked). */
struct bes2600_tx_rate {
	s8 idx;
	u8 count;
	u16 flags;
};

/* The by-value part of the struct ieee80211_tx_info in skb->cb. */
struct bes2600_tx_info {
	u32 flags;
	u8 band;
	u8 hw_queue;
	struct bes2600_tx_rate rates[4];
};

/*
 * The interface and hardware key of a frame mac80211 hands to the driver's tx op (either
 * may be NULL); valid only during that call.
 */
struct ieee80211_vif;
struct ieee80211_key_conf;
void bes2600_helper_ieee80211_tx_control_ptrs(struct sk_buff *skb, struct ieee80211_vif **vif,
					      struct ieee80211_key_conf **key);

/* What mac80211 said about a frame when it handed it to the driver's tx. */
void bes2600_helper_ieee80211_tx_info(struct sk_buff *skb, struct bes2600_tx_info *out);

/* The transmit status of a frame, written into skb->cb before it goes back to mac80211. */
struct bes2600_tx_status {
	bool acked;
	bool ack_signal_valid;
	bool ampdu;
	u8 ampdu_len;
	u8 ampdu_ack_len;
	s32 ack_signal;
	struct bes2600_tx_rate rates[4];
};

/* Fills in the status of @skb and returns it (ieee80211_tx_status_ni()). */
void bes2600_helper_ieee80211_tx_status(struct ieee80211_hw *hw, struct sk_buff *skb,
					const struct bes2600_tx_status *status);

/* The receive status of a frame (struct ieee80211_rx_status). */
struct bes2600_rx_status {
	u64 boottime_ns;
	u32 flag;
	u16 freq;
	u8 band;
	s8 signal;
	u8 encoding;
	u8 bw;
	u8 enc_flags;
	u8 rate_idx;
	u8 nss;
	u8 antenna;
};

/* Writes @status into skb->cb as the frame's struct ieee80211_rx_status. */
void bes2600_helper_ieee80211_rx_status(struct sk_buff *skb, const struct bes2600_rx_status *status);

/* ieee80211_rx_ni(): hands one received frame (status in skb->cb) to mac80211. */
void bes2600_helper_ieee80211_rx_ni(struct ieee80211_hw *hw, struct sk_buff *skb);

/*
 * Hands the chain of received frames starting at @first (linked through skb->next) to
 * mac80211 with bottom halves disabled once, then to the stack in one list.
 */
void bes2600_helper_ieee80211_rx_chain(struct ieee80211_hw *hw, struct sk_buff *first);

/* ieee80211_scan_completed() without a TSF. */
void bes2600_helper_ieee80211_scan_completed(struct ieee80211_hw *hw, bool aborted);

/*
 * KUnit only: brings the first network interface of @hw up (dev_open()) or down
 * (dev_close()) under RTNL. -ENODEV if @hw has none.
 */
int bes2600_helper_ieee80211_first_netdev_set_up(struct ieee80211_hw *hw, bool up);

#endif /* BES2600_RUST_HELPERS_H */
