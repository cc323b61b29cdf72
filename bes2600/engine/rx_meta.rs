// SPDX-License-Identifier: GPL-2.0

//! From a 0x0804 receive indication to what mac80211's RX status needs (docs/chip-protocol.md,
//! "RX indication", "Rates and bands", "RX status"): band and frequency, signal, rate, the crypto
//! flags and how many bytes of security header and trailer the driver itself removes.
//!
//! [`rx_meta`] judges one indication. Every `Err` means "drop the frame"; the
//! [`RxError`] says why, for counters and logs ([`RxError::is_violation`] separates chip
//! misbehaviour from ordinary drops). The frame must be at least as long as its 802.11
//! header plus the security header the encryption code says is still present.
//!
//! Crypto (the firmware decrypts; mac80211 must not do it again):
//!
//! | Encryption code | Flags | Still in the frame | Driver strips |
//! |---|---|---|---|
//! | 0 none | — | — | — |
//! | 1 WEP | decrypted | IV 4, ICV 4 | nothing (mac80211 does) |
//! | 2 TKIP | decrypted | IV 8, MIC 8, ICV 4 | nothing (mac80211 does, and checks the MIC) |
//! | 3 AES | decrypted | CCMP header 8, MIC 8 | nothing (mac80211 does) |
//! | 4 WAPI | decrypted, IV stripped | IV 18, MIC 16 | both |
//! | 7 (BES) | decrypted, IV stripped | — | nothing |
//!
//! A MIC failure (status 5) is not dropped: it is reported with the "MIC error" flag and
//! "IV stripped" (the firmware already removed the ICV), so mac80211 tells user space
//! (TKIP countermeasures). The vendor marks TKIP "MIC stripped" although it checks for the
//! MIC's 8 bytes in the frame; here mac80211 verifies and removes the MIC itself
//! (uncertain which layout the firmware uses; the chip model only does CCMP).
//! Beacons and probe responses with RCPI 0 are dropped as the vendor does (a firmware
//! quirk).

use core::fmt;

use super::rate_policy::{
    legacy_index,
    wsm_rate,
    Band, //
};
use crate::protocol::msg::{
    rx::{
        rcpi_to_dbm,
        RxEncryption,
        RxFlags,
        RxIndication, //
    },
    Status,
};

/// 2.4 GHz channel numbers.
pub const CHANNELS_2GHZ: [u16; 14] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

/// 5 GHz channel numbers the chip supports (docs/chip-protocol.md, "Rates and bands"), 184–196
/// being the 4.9 GHz Japanese channels. The vendor's 200–216 are left out: the kernel's channel
/// numbering puts them at 6000–6080 MHz, outside any band the chip has.
pub const CHANNELS_5GHZ: [u16; 32] = [
    34, 36, 38, 40, 42, 44, 46, 48, 52, 56, 60, 64, 100, 104, 108, 112, 116, 120, 124, 128, 132,
    136, 140, 149, 153, 157, 161, 165, 184, 188, 192, 196,
];

/// Whether `channel` is one the chip supports in `band`.
pub fn channel_supported(band: Band, channel: u16) -> bool {
    match band {
        Band::Ghz2 => CHANNELS_2GHZ.contains(&channel),
        Band::Ghz5 => CHANNELS_5GHZ.contains(&channel),
    }
}

/// Centre frequency (MHz) of a supported channel, numbered as the kernel's
/// `ieee80211_channel_to_frequency` does; `None` for an unsupported channel.
pub fn channel_to_freq(band: Band, channel: u16) -> Option<u16> {
    if !channel_supported(band, channel) {
        return None;
    }
    Some(match band {
        Band::Ghz2 if channel == 14 => 2484,
        Band::Ghz2 => 2407 + 5 * channel,
        Band::Ghz5 if (182..=196).contains(&channel) => 4000 + 5 * channel,
        Band::Ghz5 => 5000 + 5 * channel,
    })
}

/// The band of a channel number as the chip reports it (above 14: 5 GHz), if supported.
pub fn band_of_channel(channel: u16) -> Option<Band> {
    let band = if channel <= 14 {
        Band::Ghz2
    } else {
        Band::Ghz5
    };
    channel_supported(band, channel).then_some(band)
}

/// Length of the 802.11 header of `frame` from its frame control field (as the kernel's
/// `ieee80211_hdrlen`); `None` if the frame has no frame control field.
pub fn ieee80211_hdr_len(frame: &[u8]) -> Option<usize> {
    let fc0 = *frame.first()?;
    let fc1 = *frame.get(1)?;
    let ftype = (fc0 >> 2) & 3;
    let subtype = fc0 >> 4;
    let order = fc1 & 0x80 != 0;
    Some(match ftype {
        // Management: 24, + HT control with the order bit.
        0 => 24 + if order { 4 } else { 0 },
        // Control: ACK and CTS (subtypes 12, 13) have 10 bytes, the others 16.
        1 => {
            if subtype & 0xE == 0xC {
                10
            } else {
                16
            }
        }
        // Data: 24, + 6 with both DS bits (4 addresses), + 2 QoS control for QoS
        // subtypes (bit 3), + 4 HT control with the order bit on QoS data.
        2 => {
            let a4 = if fc1 & 3 == 3 { 6 } else { 0 };
            let qos = subtype & 0x8 != 0;
            24 + a4
                + if qos {
                    2 + if order { 4 } else { 0 }
                } else {
                    0
                }
        }
        // Extension (S1G beacons and the like).
        _ => 4,
    })
}

/// How mac80211 must see the rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RxRate {
    /// Legacy: index into the band's bitrate table.
    Legacy(u8),
    /// HT MCS (20 MHz, long GI: the chip reports nothing more).
    Ht(u8),
}

/// mac80211 RX flags the driver sets (the kernel shell maps them to `RX_FLAG_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RxCrypto {
    /// `RX_FLAG_DECRYPTED`.
    pub decrypted: bool,
    /// `RX_FLAG_IV_STRIPPED`.
    pub iv_stripped: bool,
    /// `RX_FLAG_MMIC_STRIPPED`.
    pub mic_stripped: bool,
    /// `RX_FLAG_MMIC_ERROR`.
    pub mic_error: bool,
}

/// What mac80211 needs to know about a received frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RxMeta {
    /// Band.
    pub band: Band,
    /// Channel number.
    pub channel: u16,
    /// Centre frequency (MHz).
    pub freq_mhz: u16,
    /// Signal (dBm).
    pub signal_dbm: i8,
    /// Rate.
    pub rate: RxRate,
    /// Crypto flags.
    pub crypto: RxCrypto,
    /// Length of the frame's 802.11 header.
    pub hdr_len: usize,
    /// Bytes right after the 802.11 header the driver removes (the header moves up).
    pub strip_head: usize,
    /// Bytes at the end of the frame the driver removes.
    pub strip_tail: usize,
    /// Peer link id (flags bits 25–28).
    pub link_id: u8,
    /// The indication's flags (aggregation, beacon, TIM, …), for the caller.
    pub flags: RxFlags,
}

/// Why a received frame is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RxError {
    /// The firmware reported a failure (decrypt failure, no key, …).
    Status(Status),
    /// A channel number the chip does not have.
    BadChannel(u16),
    /// A rate index that does not exist in the band.
    BadRate {
        /// The band.
        band: Band,
        /// The WSM rate index.
        rate: u8,
    },
    /// The frame is shorter than its header plus the security header.
    TooShort {
        /// Frame length.
        len: usize,
        /// Bytes needed.
        need: usize,
    },
    /// Encryption code 5 or 6 (undefined).
    UnknownEncryption(u8),
    /// A beacon or probe response with RCPI 0 (firmware quirk).
    ZeroRcpi,
}

impl RxError {
    /// Whether the indication itself is malformed (chip misbehaviour, worth a warning),
    /// rather than an ordinary drop.
    pub fn is_violation(&self) -> bool {
        matches!(
            self,
            RxError::BadChannel(_)
                | RxError::BadRate { .. }
                | RxError::TooShort { .. }
                | RxError::UnknownEncryption(_)
        )
    }
}

impl fmt::Display for RxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RxError::Status(s) => write!(f, "receive status {}", s.0),
            RxError::BadChannel(c) => write!(f, "channel {c} not supported"),
            RxError::BadRate { band, rate } => write!(f, "rate index {rate} not in {band:?}"),
            RxError::TooShort { len, need } => {
                write!(f, "frame of {len} bytes, needs {need}")
            }
            RxError::UnknownEncryption(e) => write!(f, "encryption code {e}"),
            RxError::ZeroRcpi => write!(f, "beacon with RCPI 0"),
        }
    }
}

/// The mac80211 rate of a WSM rate index received in `band` (docs/chip-protocol.md, "RX status").
pub fn rx_rate(band: Band, wsm: u8) -> Option<RxRate> {
    if (wsm_rate::MCS_0..=wsm_rate::MCS_7).contains(&wsm) {
        return Some(RxRate::Ht(wsm - wsm_rate::MCS_0));
    }
    legacy_index(band, wsm).map(RxRate::Legacy)
}

/// Security header and trailer still in a frame with encryption code `enc`, and the
/// flags; `None` for undefined codes.
fn crypto_of(enc: RxEncryption) -> Option<(RxCrypto, usize, usize, bool)> {
    let decrypted = |iv_stripped| RxCrypto {
        decrypted: true,
        iv_stripped,
        ..RxCrypto::default()
    };
    // (flags, IV bytes, trailer bytes, driver strips them)
    Some(match enc {
        RxEncryption::None => (RxCrypto::default(), 0, 0, false),
        RxEncryption::Wep => (decrypted(false), 4, 4, false),
        RxEncryption::Tkip => (decrypted(false), 8, 8 + 4, false),
        RxEncryption::Aes => (decrypted(false), 8, 8, false),
        RxEncryption::Wapi => (decrypted(true), 18, 16, true),
        RxEncryption::DecryptedStripped => (decrypted(true), 0, 0, false),
        RxEncryption::Other(_) => return None,
    })
}

fn is_beacon_or_probe_resp(frame: &[u8]) -> bool {
    // Management type, subtype 8 (beacon) or 5 (probe response).
    matches!(frame.first().map(|fc| fc & 0xFC), Some(0x80 | 0x50))
}

/// Judges one receive indication (module documentation).
pub fn rx_meta(ind: &RxIndication<'_>) -> Result<RxMeta, RxError> {
    let mic_failure = ind.status == Status::MIC_FAILURE;
    if !ind.status.is_success() && !mic_failure {
        return Err(RxError::Status(ind.status));
    }
    let frame = ind.frame;
    let hdr_len = ieee80211_hdr_len(frame).ok_or(RxError::TooShort {
        len: frame.len(),
        need: 2,
    })?;
    let enc = ind.flags.encryption();
    let (mut crypto, iv, tail, driver_strips) = match crypto_of(enc) {
        Some(c) => c,
        None => {
            let code = match enc {
                RxEncryption::Other(c) => c,
                _ => 0,
            };
            return Err(RxError::UnknownEncryption(code));
        }
    };
    // On a MIC failure the firmware already removed the ICV; the IV stays.
    let tail = if mic_failure { 0 } else { tail };
    if mic_failure {
        crypto.mic_error = true;
        if crypto.decrypted {
            crypto.iv_stripped = true;
        }
    }
    let need = hdr_len + iv + tail;
    if frame.len() < need {
        return Err(RxError::TooShort {
            len: frame.len(),
            need,
        });
    }
    let band = band_of_channel(ind.channel).ok_or(RxError::BadChannel(ind.channel))?;
    let freq_mhz = channel_to_freq(band, ind.channel).ok_or(RxError::BadChannel(ind.channel))?;
    let rate = rx_rate(band, ind.rx_rate).ok_or(RxError::BadRate {
        band,
        rate: ind.rx_rate,
    })?;
    if ind.rcpi == 0 && is_beacon_or_probe_resp(frame) {
        return Err(RxError::ZeroRcpi);
    }
    let (strip_head, strip_tail) = if driver_strips && !mic_failure {
        (iv, tail)
    } else {
        (0, 0)
    };
    Ok(RxMeta {
        band,
        channel: ind.channel,
        freq_mhz,
        // −110..=17 dBm.
        signal_dbm: i8::try_from(rcpi_to_dbm(ind.rcpi)).unwrap_or(i8::MIN),
        rate,
        crypto,
        hdr_len,
        strip_head,
        strip_tail,
        link_id: ind.flags.link_id(),
        flags: ind.flags,
    })
}
