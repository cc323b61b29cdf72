// SPDX-License-Identifier: GPL-2.0

//! A hardware scan request → the 0x0007 start-scan requests that carry it out
//! (docs/chip-protocol.md, "Scan", "Scanning").
//!
//! The chip scans one band per request, at most 48 channels, with one probe count for all
//! of them, so [`ScanPlan`] cuts the channel list, in order, into batches of consecutive
//! channels of the same band and the same kind (active, or passive: no-IR and radar
//! channels get no probe requests). Each batch is one [`StartScan`]:
//!
//! * type foreground, or background with the "forced background" flag when an interface
//!   is joined (or the caller forces it, e.g. during BSS loss); the BES "MAC instance 1"
//!   flag when scanning for interface 1 (kept also when joined, where the vendor drops it
//!   (a bug?, docs/chip-protocol.md, "Scanning"));
//! * probes at 1 Mbps (6 Mbps on 5 GHz, or when CCK must not be used);
//! * 2 probe requests per SSID per channel on active channels, 0 on passive ones and when
//!   no SSID is given (a passive scan); at most 2 SSIDs, an empty one meaning "any";
//! * probe delay 100 µs, dwell times per band (the vendor's 100/100 ms with Bluetooth
//!   idle).
//!
//! The caller sends the batches one after another, each after the previous one's 0x0806
//! scan complete, and arms [`ScanBatch::watchdog_ms`] for each (5 s + Σ(max dwell +
//! 10 ms)); on expiry it sends 0x0008 stop scan and aborts.

use core::fmt;

use super::rate_policy::{
    wsm_rate,
    Band, //
};
use super::rx_meta::channel_supported;
use crate::protocol::{
    codec::List,
    msg::{
        scan::{
            ScanChannel,
            StartScan,
            MAX_CHANNELS,
            MAX_SSIDS,
            SCAN_FLAG_FORCE_BACKGROUND,
            SCAN_FLAG_MAC_INSTANCE_1,
            SCAN_TYPE_BACKGROUND,
            SCAN_TYPE_FOREGROUND, //
        },
        Ssid,
    },
    wsm_header::MAX_VIFS,
};

/// Fixed part of the scan watchdog (ms).
pub const WATCHDOG_BASE_MS: u32 = 5_000;

/// Per-channel slack of the scan watchdog on top of the max dwell time (ms).
pub const WATCHDOG_PER_CHANNEL_MS: u32 = 10;

/// One channel of a scan request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanChannelReq {
    /// Band.
    pub band: Band,
    /// Channel number.
    pub number: u16,
    /// No initiating radiation (`IEEE80211_CHAN_NO_IR`): listen only.
    pub no_ir: bool,
    /// Radar detection required (`IEEE80211_CHAN_RADAR`): listen only.
    pub radar: bool,
}

impl ScanChannelReq {
    /// Whether probe requests must not be sent on the channel.
    pub const fn passive(&self) -> bool {
        self.no_ir || self.radar
    }
}

/// Minimum and maximum dwell time per channel (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dwell {
    /// Minimum.
    pub min_ms: u32,
    /// Maximum.
    pub max_ms: u32,
}

/// How to scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanParams {
    /// Interface the scan is for (sets the BES "MAC instance 1" flag when not 0).
    pub if_id: u8,
    /// An interface is joined: background scan.
    pub joined: bool,
    /// Set the "forced background" flag even when not joined (the vendor does during BSS
    /// loss).
    pub force_background: bool,
    /// Never use CCK rates (probe at 6 Mbps on 2.4 GHz too, e.g. P2P).
    pub no_cck: bool,
    /// Probe requests per SSID on active channels.
    pub probes_per_ssid: u8,
    /// Probe delay (µs).
    pub probe_delay_us: u8,
    /// Dwell times on 2.4 GHz channels.
    pub dwell_2ghz: Dwell,
    /// Dwell times on 5 GHz channels.
    pub dwell_5ghz: Dwell,
}

impl Default for ScanParams {
    fn default() -> Self {
        Self {
            if_id: 0,
            joined: false,
            force_background: false,
            no_cck: false,
            probes_per_ssid: 2,
            probe_delay_us: 100,
            dwell_2ghz: Dwell {
                min_ms: 100,
                max_ms: 100,
            },
            dwell_5ghz: Dwell {
                min_ms: 100,
                max_ms: 100,
            },
        }
    }
}

/// Why a scan request cannot be planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanError {
    /// No channel to scan.
    NoChannels,
    /// More SSIDs than the chip takes (2).
    TooManySsids(usize),
    /// An SSID longer than 32 bytes.
    SsidTooLong(usize),
    /// A channel the chip does not have in that band.
    BadChannel {
        /// The band.
        band: Band,
        /// The channel number.
        number: u16,
    },
    /// Interface id not below [`MAX_VIFS`].
    BadIfId(u8),
    /// A minimum dwell time above the maximum.
    BadDwell,
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanError::NoChannels => write!(f, "scan without channels"),
            ScanError::TooManySsids(n) => write!(f, "{n} SSIDs, at most {MAX_SSIDS}"),
            ScanError::SsidTooLong(n) => write!(f, "SSID of {n} bytes"),
            ScanError::BadChannel { band, number } => {
                write!(f, "channel {number} not supported in {band:?}")
            }
            ScanError::BadIfId(i) => write!(f, "interface id {i}"),
            ScanError::BadDwell => write!(f, "minimum dwell above maximum"),
        }
    }
}

/// One start-scan request of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanBatch {
    /// Band of every channel of the batch.
    pub band: Band,
    /// Whether the batch is passive (no probe requests).
    pub passive: bool,
    /// The request.
    pub request: StartScan,
    /// Index of the batch's first channel in the caller's list.
    pub first: usize,
    /// Index after its last channel.
    pub end: usize,
}

impl ScanBatch {
    /// The batch's watchdog (ms): [`watchdog_ms`] of its request.
    pub fn watchdog_ms(&self) -> u32 {
        watchdog_ms(&self.request)
    }
}

/// How long to wait for a request's 0x0806 scan complete before stopping it (ms):
/// 5 s + Σ(max dwell + 10 ms) over its channels.
pub fn watchdog_ms(req: &StartScan) -> u32 {
    req.channels.iter().fold(WATCHDOG_BASE_MS, |acc, c| {
        acc.saturating_add(c.max_time.saturating_add(WATCHDOG_PER_CHANNEL_MS))
    })
}

/// The batches of one scan request, in order ([`Iterator`] of [`ScanBatch`]).
#[derive(Debug, Clone)]
pub struct ScanPlan<'a> {
    params: ScanParams,
    channels: &'a [ScanChannelReq],
    ssids: List<Ssid, MAX_SSIDS>,
    next: usize,
}

impl<'a> ScanPlan<'a> {
    /// Checks the request and prepares its batches.
    pub fn new(
        params: ScanParams,
        channels: &'a [ScanChannelReq],
        ssids: &[&[u8]],
    ) -> Result<Self, ScanError> {
        if channels.is_empty() {
            return Err(ScanError::NoChannels);
        }
        if usize::from(params.if_id) >= MAX_VIFS {
            return Err(ScanError::BadIfId(params.if_id));
        }
        if params.dwell_2ghz.min_ms > params.dwell_2ghz.max_ms
            || params.dwell_5ghz.min_ms > params.dwell_5ghz.max_ms
        {
            return Err(ScanError::BadDwell);
        }
        if let Some(c) = channels
            .iter()
            .find(|c| !channel_supported(c.band, c.number))
        {
            return Err(ScanError::BadChannel {
                band: c.band,
                number: c.number,
            });
        }
        if ssids.len() > MAX_SSIDS {
            return Err(ScanError::TooManySsids(ssids.len()));
        }
        let mut list = List::new();
        for s in ssids {
            let ssid = Ssid::new(s).map_err(|_| ScanError::SsidTooLong(s.len()))?;
            list.push(ssid)
                .map_err(|_| ScanError::TooManySsids(ssids.len()))?;
        }
        Ok(Self {
            params,
            channels,
            ssids: list,
            next: 0,
        })
    }

    /// Channels not yet handed out in a batch.
    pub fn remaining(&self) -> usize {
        self.channels.len().saturating_sub(self.next)
    }

    fn request(&self, band: Band, passive: bool) -> StartScan {
        let p = &self.params;
        let background = p.joined || p.force_background;
        let mut flags = 0;
        if background {
            flags |= SCAN_FLAG_FORCE_BACKGROUND;
        }
        if p.if_id != 0 {
            flags |= SCAN_FLAG_MAC_INSTANCE_1;
        }
        let max_tx_rate = match band {
            Band::Ghz2 if !p.no_cck => wsm_rate::DSSS_1,
            _ => wsm_rate::OFDM_6,
        };
        let probes = if passive || self.ssids.is_empty() {
            0
        } else {
            p.probes_per_ssid
        };
        StartScan {
            band: band.wsm(),
            scan_type: if p.joined {
                SCAN_TYPE_BACKGROUND
            } else {
                SCAN_TYPE_FOREGROUND
            },
            flags,
            max_tx_rate,
            auto_scan_interval: 0,
            probes_per_ssid: probes,
            probe_delay: p.probe_delay_us,
            channels: List::new(),
            ssids: self.ssids,
        }
    }

    /// The next batch, or `None` when every channel was handed out.
    pub fn next_batch(&mut self) -> Option<ScanBatch> {
        let rest = self.channels.get(self.next..)?;
        let first = rest.first()?;
        let (band, passive) = (first.band, first.passive());
        let dwell = match band {
            Band::Ghz2 => self.params.dwell_2ghz,
            Band::Ghz5 => self.params.dwell_5ghz,
        };
        let mut request = self.request(band, passive);
        let start = self.next;
        for c in rest
            .iter()
            .take(MAX_CHANNELS)
            .take_while(|c| c.band == band && c.passive() == passive)
        {
            let pushed = request.channels.push(ScanChannel {
                number: c.number,
                min_time: dwell.min_ms,
                max_time: dwell.max_ms,
                tx_power: 0,
            });
            if pushed.is_err() {
                break;
            }
            self.next += 1;
        }
        Some(ScanBatch {
            band,
            passive,
            request,
            first: start,
            end: self.next,
        })
    }
}

impl Iterator for ScanPlan<'_> {
    type Item = ScanBatch;

    fn next(&mut self) -> Option<ScanBatch> {
        self.next_batch()
    }
}
