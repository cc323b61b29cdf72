// SPDX-License-Identifier: GPL-2.0

//! The receive path (docs/chip-protocol.md, "RX indication", "RX status"): a 0x0804 indication,
//! read by the BH in its pass, becomes an skb with mac80211's RX status and goes up from the BH
//! thread.
//!
//! Everything in the indication is device input: the engine's
//! [`rx_meta`](crate::engine::rx_meta::rx_meta) checks the channel, the rate index, the
//! encryption code and the lengths before a byte is copied; a frame that fails is counted
//! and dropped (a protocol violation is also logged, rate-limited by the caller).

use kernel::prelude::*;

use crate::engine::{
    rate_policy::Band,
    rx_meta::{
        rx_meta,
        RxError,
        RxRate, //
    },
};
use crate::kernel_ext::{
    mac80211::{
        Band as HwBand,
        Hw,
        RxFlags,
        RxStatus, //
    },
    skb::SkBuff,
};
use crate::protocol::msg::{
    self,
    rx::RxIndication, //
};

use super::Bes2600Ops;

/// What the receive path counted.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct RxCounts {
    /// Frames handed to mac80211.
    pub(crate) delivered: u64,
    /// Frames the firmware marked failed (decryption, no key, …).
    pub(crate) failed: u64,
    /// Indications that broke the protocol (bad channel, rate, length, encryption code).
    pub(crate) violations: u64,
    /// Frames dropped for lack of memory.
    pub(crate) no_memory: u64,
}

impl RxCounts {
    /// Nothing counted.
    pub(crate) const ZERO: Self = Self {
        delivered: 0,
        failed: 0,
        violations: 0,
        no_memory: 0,
    };
}

/// Why an indication was not delivered.
pub(crate) enum Dropped {
    /// Not decodable, or its contents are impossible: a protocol violation.
    Violation(RxError),
    /// Decodable but not for mac80211 (a failure status, a beacon without signal).
    Ignored,
    /// No memory for the skb.
    NoMemory,
}

/// Delivers one 0x0804 indication (the whole message) to mac80211.
pub(crate) fn deliver(
    hw: &Hw<Bes2600Ops>,
    msg_bytes: &[u8],
    counts: &mut RxCounts,
) -> Result<(), Dropped> {
    let r = build(msg_bytes);
    match &r {
        Ok(_) => counts.delivered += 1,
        Err(Dropped::Violation(_)) => counts.violations += 1,
        Err(Dropped::Ignored) => counts.failed += 1,
        Err(Dropped::NoMemory) => counts.no_memory += 1,
    }
    let (skb, status) = r?;
    hw.rx(skb, &status);
    Ok(())
}

/// The skb and RX status of an indication.
fn build(msg_bytes: &[u8]) -> Result<(SkBuff, RxStatus), Dropped> {
    let (_, ind) = msg::decode::<RxIndication<'_>>(msg_bytes).map_err(|_| {
        Dropped::Violation(RxError::TooShort {
            len: msg_bytes.len(),
            need: 32,
        })
    })?;
    let meta = match rx_meta(&ind) {
        Ok(m) => m,
        Err(e) if e.is_violation() => return Err(Dropped::Violation(e)),
        Err(_) => return Err(Dropped::Ignored),
    };
    let frame = ind.frame;
    let hdr = frame.get(..meta.hdr_len).ok_or(Dropped::Ignored)?;
    let body_end = frame.len().saturating_sub(meta.strip_tail);
    let body = frame
        .get(meta.hdr_len + meta.strip_head..body_end)
        .ok_or(Dropped::Ignored)?;
    let mut skb = SkBuff::alloc(hdr.len() + body.len(), 0).map_err(|_| Dropped::NoMemory)?;
    let dst = skb
        .put(hdr.len() + body.len())
        .map_err(|_| Dropped::NoMemory)?;
    let (dh, db) = dst.split_at_mut(hdr.len());
    dh.copy_from_slice(hdr);
    db.copy_from_slice(body);
    let mut flags = RxFlags::NONE;
    for (set, flag) in [
        (meta.crypto.decrypted, RxFlags::DECRYPTED),
        (meta.crypto.iv_stripped, RxFlags::IV_STRIPPED),
        (meta.crypto.mic_stripped, RxFlags::MMIC_STRIPPED),
        (meta.crypto.mic_error, RxFlags::MMIC_ERROR),
    ] {
        if set {
            flags = flags | flag;
        }
    }
    let band = match meta.band {
        Band::Ghz2 => HwBand::Ghz2,
        Band::Ghz5 => HwBand::Ghz5,
    };
    let status = RxStatus::new(meta.freq_mhz, band)
        .signal(meta.signal_dbm)
        .flags(flags);
    // The chip reports neither the width nor the guard interval of an HT frame ("RX status").
    let status = match meta.rate {
        RxRate::Legacy(i) => status.legacy_rate(i),
        RxRate::Ht(m) => status.ht_mcs(m, false, false),
    };
    Ok((skb, status))
}
