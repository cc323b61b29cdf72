// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for the Rust abstractions in rust/: see helpers.h.
 */

#include <linux/device.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/mm.h>
#include <linux/mmc/card.h>
#include <linux/mmc/core.h>
#include <linux/mmc/host.h>
#include <linux/mmc/sdio.h>
#include <linux/mmc/sdio_func.h>
#include <linux/suspend.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <net/cfg80211.h>
#include <net/mac80211.h>

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

struct sk_buff *bes2600_helper_skb_alloc(unsigned int len, unsigned int headroom)
{
	struct sk_buff *skb;

	if (len > U32_MAX - headroom)
		return NULL;
	skb = __alloc_skb(len + headroom, GFP_KERNEL, 0, NUMA_NO_NODE);
	if (skb)
		skb_reserve(skb, headroom);
	return skb;
}

void bes2600_helper_skb_free(struct sk_buff *skb)
{
	dev_kfree_skb_any(skb);
}

u8 *bes2600_helper_skb_data(const struct sk_buff *skb)
{
	return skb->data;
}

unsigned int bes2600_helper_skb_headlen(const struct sk_buff *skb)
{
	return skb_headlen(skb);
}

unsigned int bes2600_helper_skb_headroom(const struct sk_buff *skb)
{
	return skb_headroom(skb);
}

unsigned int bes2600_helper_skb_tailroom(const struct sk_buff *skb)
{
	/* skb_tailroom() is 0 for a nonlinear skb; the Rust side only holds linear ones. */
	return skb_tailroom(skb);
}

int bes2600_helper_skb_make_private(struct sk_buff *skb)
{
	if (skb_shared(skb))
		return -EBUSY;
	if (skb_linearize(skb))
		return -ENOMEM;
	if (skb_cloned(skb) && pskb_expand_head(skb, 0, 0, GFP_ATOMIC))
		return -ENOMEM;
	return 0;
}

struct sk_buff *bes2600_helper_skb_next(const struct sk_buff *skb)
{
	return skb->next;
}

void bes2600_helper_skb_set_next(struct sk_buff *skb, struct sk_buff *next)
{
	skb->next = next;
}

void bes2600_helper_skb_queue_head_init(struct sk_buff_head *list)
{
	skb_queue_head_init(list);
}

u32 bes2600_helper_skb_queue_len(const struct sk_buff_head *list)
{
	return skb_queue_len_lockless(list);
}

void bes2600_helper_skb_queue_purge(struct sk_buff_head *list)
{
	skb_queue_purge(list);
}

int bes2600_helper_ieee80211_hw_configure(struct ieee80211_hw *hw,
					  const struct bes2600_hw_config *cfg)
{
	struct wiphy *wiphy = hw->wiphy;
	unsigned int i;

	for (i = 0; i < cfg->n_hw_flags; i++)
		if (cfg->hw_flags[i] >= NUM_IEEE80211_HW_FLAGS)
			return -EINVAL;
	for (i = 0; i < cfg->n_ext_features; i++)
		if (cfg->ext_features[i] >= NUM_NL80211_EXT_FEATURES)
			return -EINVAL;

	SET_IEEE80211_DEV(hw, cfg->parent);
	SET_IEEE80211_PERM_ADDR(hw, cfg->perm_addr);
	if (cfg->n_addresses) {
		wiphy->addresses = cfg->addresses;
		wiphy->n_addresses = cfg->n_addresses;
	}
	wiphy->bands[NL80211_BAND_2GHZ] = cfg->band_2ghz;
	wiphy->bands[NL80211_BAND_5GHZ] = cfg->band_5ghz;
	hw->queues = cfg->queues;
	hw->max_rates = cfg->max_rates;
	hw->max_rate_tries = cfg->max_rate_tries;
	hw->extra_tx_headroom = cfg->extra_tx_headroom;
	wiphy->max_scan_ssids = cfg->max_scan_ssids;
	wiphy->max_scan_ie_len = cfg->max_scan_ie_len;
	wiphy->interface_modes = cfg->interface_modes;
	for (i = 0; i < cfg->n_hw_flags; i++)
		_ieee80211_hw_set(hw, cfg->hw_flags[i]);
	if (cfg->n_cipher_suites) {
		wiphy->cipher_suites = cfg->cipher_suites;
		wiphy->n_cipher_suites = cfg->n_cipher_suites;
	}
	wiphy->flags |= cfg->wiphy_flags;
	for (i = 0; i < cfg->n_ext_features; i++)
		wiphy_ext_feature_set(wiphy, cfg->ext_features[i]);
	wiphy->regulatory_flags |= cfg->regulatory_flags;
	return 0;
}

void bes2600_helper_ieee80211_tx_control_ptrs(struct sk_buff *skb, struct ieee80211_vif **vif,
					      struct ieee80211_key_conf **key)
{
	struct ieee80211_tx_info *info = IEEE80211_SKB_CB(skb);

	*vif = info->control.vif;
	*key = info->control.hw_key;
}

void bes2600_helper_ieee80211_tx_info(struct sk_buff *skb, struct bes2600_tx_info *out)
{
	struct ieee80211_tx_info *info = IEEE80211_SKB_CB(skb);
	int i;

	out->flags = info->flags;
	out->band = info->band;
	out->hw_queue = info->hw_queue;
	for (i = 0; i < IEEE80211_TX_MAX_RATES; i++) {
		out->rates[i].idx = info->control.rates[i].idx;
		out->rates[i].count = info->control.rates[i].count;
		out->rates[i].flags = info->control.rates[i].flags;
	}
}

void bes2600_helper_ieee80211_tx_status(struct ieee80211_hw *hw, struct sk_buff *skb,
					const struct bes2600_tx_status *status)
{
	struct ieee80211_tx_info *info = IEEE80211_SKB_CB(skb);
	int i;

	ieee80211_tx_info_clear_status(info);
	for (i = 0; i < IEEE80211_TX_MAX_RATES; i++) {
		info->status.rates[i].idx = status->rates[i].idx;
		info->status.rates[i].count = status->rates[i].count;
		info->status.rates[i].flags = status->rates[i].flags;
	}
	if (status->acked)
		info->flags |= IEEE80211_TX_STAT_ACK;
	if (status->ack_signal_valid) {
		info->status.ack_signal = status->ack_signal;
		info->status.flags |= IEEE80211_TX_STATUS_ACK_SIGNAL_VALID;
	}
	if (status->ampdu) {
		info->flags |= IEEE80211_TX_STAT_AMPDU;
		info->status.ampdu_len = status->ampdu_len;
		info->status.ampdu_ack_len = status->ampdu_ack_len;
	}
	ieee80211_tx_status_ni(hw, skb);
}

void bes2600_helper_ieee80211_rx_status(struct sk_buff *skb, const struct bes2600_rx_status *status)
{
	struct ieee80211_rx_status *rx = IEEE80211_SKB_RXCB(skb);

	memset(rx, 0, sizeof(*rx));
	rx->boottime_ns = status->boottime_ns;
	rx->flag = status->flag;
	rx->freq = status->freq;
	rx->band = status->band;
	rx->signal = status->signal;
	rx->encoding = status->encoding;
	rx->bw = status->bw;
	rx->enc_flags = status->enc_flags;
	rx->rate_idx = status->rate_idx;
	rx->nss = status->nss;
	rx->antenna = status->antenna;
}

void bes2600_helper_ieee80211_rx_ni(struct ieee80211_hw *hw, struct sk_buff *skb)
{
	ieee80211_rx_ni(hw, skb);
}

void bes2600_helper_ieee80211_rx_chain(struct ieee80211_hw *hw, struct sk_buff *first)
{
	struct sk_buff *skb, *next;
	LIST_HEAD(list);

	local_bh_disable();
	/* Keys and interfaces are RCU-protected in the receive path. */
	rcu_read_lock();
	for (skb = first; skb; skb = next) {
		next = skb->next;
		skb->next = NULL;
		ieee80211_rx_list(hw, NULL, skb, &list);
	}
	rcu_read_unlock();
	netif_receive_skb_list(&list);
	local_bh_enable();
}

void bes2600_helper_ieee80211_scan_completed(struct ieee80211_hw *hw, bool aborted)
{
	struct cfg80211_scan_info info = { .aborted = aborted };

	ieee80211_scan_completed(hw, &info);
}

#if IS_ENABLED(CONFIG_KUNIT)
int bes2600_helper_ieee80211_first_netdev_set_up(struct ieee80211_hw *hw, bool up)
{
	struct wireless_dev *wdev;
	int ret = -ENODEV;

	/* Interfaces are only added and removed with RTNL held. */
	rtnl_lock();
	list_for_each_entry(wdev, &hw->wiphy->wdev_list, list) {
		if (!wdev->netdev)
			continue;
		if (up) {
			ret = dev_open(wdev->netdev, NULL);
		} else {
			dev_close(wdev->netdev);
			ret = 0;
		}
		break;
	}
	rtnl_unlock();
	return ret;
}
#endif

void bes2600_helper_sdio_driver_set_pm(struct sdio_driver *drv, const struct dev_pm_ops *pm)
{
	drv->drv.pm = pm;
}

int bes2600_helper_register_pm_notifier(struct notifier_block *nb)
{
	return register_pm_notifier(nb);
}

int bes2600_helper_unregister_pm_notifier(struct notifier_block *nb)
{
	return unregister_pm_notifier(nb);
}
