// SPDX-License-Identifier: GPL-2.0

//! The bands the wiphy announces (docs/chip-protocol.md, "Rates and bands"): 2.4 GHz channels 1–14
//! with the four DSSS/CCK and eight OFDM rates, 5 GHz with the eight OFDM rates, HT with MCS 0–7 on
//! both. A bitrate's `hw_value` is its WSM rate index, a channel's its number, so what mac80211
//! hands back needs no table to be understood by the chip.
//!
//! The channel lists are the engine's ([`crate::engine::rx_meta`]), the ones received frames
//! are checked against. The 4.9 GHz channels 184–196 get their real frequencies (4920–4980
//! MHz), not the 5 GHz formula the vendor applies to them.

use crate::engine::rx_meta::{
    channel_to_freq,
    CHANNELS_2GHZ,
    CHANNELS_5GHZ, //
};
use kernel::prelude::*;

use crate::engine::rate_policy::{
    self,
    Band, //
};
use crate::kernel_ext::mac80211::{
    BandConfig,
    ChannelDef,
    ChannelFlags,
    HtCap,
    RateDef, //
};

/// HT capability bits (IEEE 802.11-2020 9.4.2.55.2).
mod ht {
    /// Short guard interval at 20 MHz.
    pub(super) const SGI_20: u16 = 1 << 5;
    /// Maximum A-MSDU length 7935 bytes.
    pub(super) const MAX_AMSDU: u16 = 1 << 11;
    /// A-MPDU length exponent 2: 32 KiB ("Rates and bands").
    pub(super) const AMPDU_FACTOR_32K: u8 = 2;
    /// TX MCS set defined.
    pub(super) const MCS_TX_DEFINED: u8 = 1;
}

/// HT on a band: one spatial stream, MCS 0–7, 20 MHz. The vendor also claims 40 MHz and
/// greenfield; the driver only announces what its TX path reports (20 MHz, long or short
/// GI), so minstrel does not probe widths the firmware is never asked for.
const HT: HtCap = HtCap {
    cap: ht::SGI_20 | ht::MAX_AMSDU,
    ampdu_factor: ht::AMPDU_FACTOR_32K,
    ampdu_density: 0,
    rx_mask: [0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    rx_highest: 0,
    tx_params: ht::MCS_TX_DEFINED,
};

/// Channel table of a band from the engine's channel list (the registration copies it).
pub(super) fn channels(band: Band) -> Result<KVec<ChannelDef>> {
    let list: &[u16] = match band {
        Band::Ghz2 => &CHANNELS_2GHZ,
        Band::Ghz5 => &CHANNELS_5GHZ,
    };
    let mut out = KVec::with_capacity(list.len(), GFP_KERNEL)?;
    for &ch in list {
        let freq = channel_to_freq(band, ch).ok_or(EINVAL)?;
        out.push(
            ChannelDef {
                center_freq: freq,
                hw_value: ch,
                max_power: 20,
                flags: ChannelFlags::NONE,
            },
            GFP_KERNEL,
        )?;
    }
    Ok(out)
}

/// Bitrate table of a band from the engine's (the one TX rates are mapped with).
pub(super) fn bitrates(band: Band) -> Result<KVec<RateDef>> {
    let table = rate_policy::bitrates(band);
    let mut out = KVec::with_capacity(table.len(), GFP_KERNEL)?;
    for b in table {
        out.push(
            RateDef {
                bitrate: b.rate_100kbps,
                hw_value: u16::from(b.wsm),
                short_preamble: b.short_preamble,
            },
            GFP_KERNEL,
        )?;
    }
    Ok(out)
}

/// A band from its tables.
pub(super) fn band<'a>(channels: &'a [ChannelDef], bitrates: &'a [RateDef]) -> BandConfig<'a> {
    BandConfig {
        channels,
        bitrates,
        ht_cap: Some(HT),
    }
}
