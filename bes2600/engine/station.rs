// SPDX-License-Identifier: GPL-2.0

//! Station-mode decisions that do not need the kernel: what mac80211's view of a BSS, its
//! rates, EDCA parameters and keys become in WSM terms (docs/chip-protocol.md, "Join, reset and BSS
//! parameters", "Keys", "Rates and bands", "Hardware crypto", "Queues and EDCA", "A station's
//! connection, message by message").
//!
//! The kernel side (`bes2600/mac80211/`) reads mac80211's structures and calls these
//! functions; they check everything they are given, so a key of the wrong length or a rate
//! index outside the band table is an error here, not a malformed request on the bus.

use crate::protocol::msg::{
    join::{
        Join,
        SetBssParams,
        JOIN_MODE_BSS,
        PREAMBLE_LONG,
        PREAMBLE_SHORT, //
    },
    key::Key,
    pm::{
        SetPm,
        PM_ACTIVE,
        PM_FAST_PS,
        PM_PS, //
    },
    queue::EdcaAc,
    MacAddr, Ssid,
};

/// The two bands of the chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    /// 2.4 GHz (WSM band 0).
    Ghz2,
    /// 5 GHz (WSM band 1).
    Ghz5,
}

impl Band {
    /// The band number of WSM join and scan requests.
    pub const fn wsm(self) -> u8 {
        match self {
            Band::Ghz2 => 0,
            Band::Ghz5 => 1,
        }
    }

    /// The WSM rate indices of the band's legacy bitrates, in the order of the driver's
    /// bitrate table (mac80211 rate index `i` is WSM rate `legacy_rates()[i]`): 2.4 GHz has
    /// the four DSSS/CCK rates (WSM 0..=3) and the eight OFDM rates (6..=13), 5 GHz the OFDM
    /// rates only ("Rates and bands").
    pub const fn legacy_rates(self) -> &'static [u8] {
        match self {
            Band::Ghz2 => &[0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13],
            Band::Ghz5 => &[6, 7, 8, 9, 10, 11, 12, 13],
        }
    }

    /// The basic rate set the vendor joins with when the BSS announces none the chip knows: 1, 2
    /// and 5.5 Mbit/s on 2.4 GHz, 6 Mbit/s on 5 GHz ("Join, reset and BSS parameters"), as WSM rate
    /// bitmaps.
    pub const fn default_basic_rates(self) -> u32 {
        match self {
            Band::Ghz2 => 0x7,
            Band::Ghz5 => 1 << 6,
        }
    }
}

/// The first WSM rate index of the HT MCS rates (MCS 0 is WSM rate 14, "Rates and bands").
pub const WSM_RATE_MCS0: u8 = 14;

/// How many beacons the firmware may miss before it reports the BSS lost ("Join, reset and BSS
/// parameters").
pub const BEACON_LOST_COUNT: u8 = 50;

/// What can be wrong with a request from mac80211.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StationError {
    /// A bitrate index beyond the band's table.
    RateIndex(usize),
    /// A channel number not valid for the band.
    Channel(u16),
    /// A key of a cipher the chip does not do in hardware (mac80211 then does it in software).
    UnsupportedCipher(u32),
    /// A key whose length does not fit its cipher.
    KeyLength {
        /// The cipher suite.
        cipher: u32,
        /// The length given.
        len: usize,
    },
    /// A key id above 3 (or above 5 for an IGTK).
    KeyId(u8),
    /// An SSID longer than 32 bytes.
    Ssid,
    /// Every entry of the firmware's key table is in use.
    KeyTableFull,
    /// A key table entry that is not allocated.
    KeyEntry(u8),
}

/// Converts a bitmap of mac80211 bitrate indices of `band` into a WSM rate bitmap.
pub fn rate_mask_to_wsm(band: Band, mask: u32) -> Result<u32, StationError> {
    let rates = band.legacy_rates();
    let mut wsm = 0u32;
    for i in 0..32usize {
        if mask & (1 << i) == 0 {
            continue;
        }
        let r = rates.get(i).ok_or(StationError::RateIndex(i))?;
        wsm |= 1 << r;
    }
    Ok(wsm)
}

/// Whether `channel` exists on `band` for the chip (2.4 GHz: 1..=14; 5 GHz: 1..=200, as the
/// firmware's join accepts).
pub fn valid_channel(band: Band, channel: u16) -> bool {
    match band {
        Band::Ghz2 => (1..=14).contains(&channel),
        Band::Ghz5 => (1..=200).contains(&channel),
    }
}

/// What the driver knows of a BSS when it joins it (at the BSSID change that precedes
/// authentication).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinTarget<'a> {
    /// The BSSID.
    pub bssid: MacAddr,
    /// Band of the operating channel.
    pub band: Band,
    /// Channel number.
    pub channel: u16,
    /// Beacon interval, TU (0 if not known yet).
    pub beacon_interval: u16,
    /// DTIM period (0 if not known yet).
    pub dtim_period: u8,
    /// The BSS allows short preambles.
    pub short_preamble: bool,
    /// Basic rates as mac80211 bitrate indices of `band` (0 if not known yet).
    pub basic_rates: u32,
    /// The SSID, if known (empty otherwise: the firmware's join probe is then a wildcard
    /// probe addressed to the BSSID).
    pub ssid: &'a [u8],
}

/// The 0x000B join request for `t` ("Join, reset and BSS parameters"): an infrastructure join that
/// probes the BSS, on interface 0's MAC instance.
pub fn join_request(t: &JoinTarget<'_>) -> Result<Join, StationError> {
    if !valid_channel(t.band, t.channel) {
        return Err(StationError::Channel(t.channel));
    }
    let basic = match rate_mask_to_wsm(t.band, t.basic_rates)? {
        0 => t.band.default_basic_rates(),
        m => m,
    };
    Ok(Join {
        mode: JOIN_MODE_BSS,
        band: t.band.wsm(),
        channel: t.channel,
        bssid: t.bssid,
        atim_window: 0,
        preamble: if t.short_preamble {
            PREAMBLE_SHORT
        } else {
            PREAMBLE_LONG
        },
        probe_for_join: 1,
        dtim_period: t.dtim_period.max(1),
        flags: 0,
        ssid: Ssid::new(t.ssid).map_err(|_| StationError::Ssid)?,
        beacon_interval: u32::from(if t.beacon_interval == 0 {
            100
        } else {
            t.beacon_interval
        }),
        basic_rates: basic,
    })
}

/// The 0x0011 BSS parameters after association ("Join, reset and BSS parameters"): the AID, the
/// AP's legacy rates (mac80211 bitrate indices of `band`) and its HT MCS 0..7 receive mask.
pub fn bss_params(
    band: Band,
    aid: u16,
    supported_rates: u32,
    ht_mcs_mask: u8,
) -> Result<SetBssParams, StationError> {
    Ok(SetBssParams {
        flags: 0,
        beacon_lost_count: BEACON_LOST_COUNT,
        aid,
        operational_rates: rate_mask_to_wsm(band, supported_rates)?,
        mcs_rates: u32::from(ht_mcs_mask) << WSM_RATE_MCS0,
    })
}

/// The longest idle period a 0x0010 request carries: its one byte of 500 µs units.
const MAX_FAST_PS_IDLE_UNITS: i32 = u8::MAX as i32;

/// The 0x0010 set-PM request for mac80211's power-save state ("Power save"): off is active;
/// on with an idle timeout is the firmware's fast PS, which wakes for traffic and dozes again
/// after that many milliseconds without any (the firmware runs the timer mac80211 would
/// otherwise run), capped at what the field holds (127.5 ms); on without one is legacy PS,
/// where the chip fetches buffered frames with PS-Poll.
pub fn pm_request(enabled: bool, dynamic_ps_timeout_ms: i32) -> SetPm {
    let (mode, idle) = match (enabled, dynamic_ps_timeout_ms) {
        (false, _) => (PM_ACTIVE, 0),
        (true, t) if t <= 0 => (PM_PS, 0),
        (true, t) => (
            PM_FAST_PS,
            t.saturating_mul(2).clamp(1, MAX_FAST_PS_IDLE_UNITS) as u8,
        ),
    };
    SetPm {
        mode,
        fast_psm_idle_period: idle,
        ..SetPm::default()
    }
}

/// The receive lifetime the vendor programs for every AC ("Queues and EDCA").
pub const EDCA_RX_LIFETIME: u32 = 200;

/// mac80211's EDCA parameters of one AC (TXOP in 32 µs units) as the chip takes them.
pub fn edca_ac(aifs: u8, cw_min: u16, cw_max: u16, txop_32us: u16) -> EdcaAc {
    EdcaAc {
        cw_min,
        cw_max,
        aifs,
        txop_limit: txop_32us.saturating_mul(32),
        max_receive_lifetime: EDCA_RX_LIFETIME,
    }
}

/// The default EDCA parameters ("Queues and EDCA"), mac80211 AC order (VO, VI, BE, BK).
pub fn default_edca() -> [EdcaAc; 4] {
    let us = |aifs, cw_min, cw_max, txop_us: u16| EdcaAc {
        cw_min,
        cw_max,
        aifs,
        txop_limit: txop_us,
        max_receive_lifetime: EDCA_RX_LIFETIME,
    };
    [
        us(2, 3, 7, 1504),
        us(2, 7, 15, 3008),
        us(3, 15, 1023, 0),
        us(7, 15, 1023, 0),
    ]
}

/// Cipher suites (IEEE 802.11 suite selectors, as cfg80211's `WLAN_CIPHER_SUITE_*`).
pub mod cipher {
    /// WEP-40.
    pub const WEP40: u32 = 0x000F_AC01;
    /// TKIP.
    pub const TKIP: u32 = 0x000F_AC02;
    /// CCMP-128.
    pub const CCMP: u32 = 0x000F_AC04;
    /// WEP-104.
    pub const WEP104: u32 = 0x000F_AC05;
    /// BIP-CMAC-128 (the IGTK of protected management frames).
    pub const AES_CMAC: u32 = 0x000F_AC06;
}

/// How a key the chip handles changes the frames the driver passes: bytes mac80211 must leave
/// for the IV after the header and for the ICV/MIC at the end (the firmware fills them,
/// "Hardware crypto").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyLayout {
    /// IV bytes after the 802.11 header.
    pub iv_len: u8,
    /// ICV (and TKIP MIC) bytes at the end of the frame.
    pub icv_len: u8,
}

/// A key as mac80211 hands it over.
#[derive(Debug, Clone, Copy)]
pub struct KeyRequest<'a> {
    /// The cipher suite.
    pub cipher: u32,
    /// Key id (0..=3; 4..=5 for an IGTK).
    pub key_id: u8,
    /// The key material (TKIP: 16 bytes TK, 8 bytes TX MIC key, 8 bytes RX MIC key).
    pub key: &'a [u8],
    /// A pairwise key, for `peer`.
    pub pairwise: bool,
    /// The peer of a pairwise key (the AP in station mode).
    pub peer: MacAddr,
}

/// The WSM key for `req` in station mode ("Keys") and what it changes in the frames.
pub fn wsm_key(req: &KeyRequest<'_>) -> Result<(Key, KeyLayout), StationError> {
    let bad_len = || StationError::KeyLength {
        cipher: req.cipher,
        len: req.key.len(),
    };
    let arr16 = |b: &[u8]| -> Result<[u8; 16], StationError> {
        b.get(..16)
            .and_then(|s| <[u8; 16]>::try_from(s).ok())
            .ok_or_else(bad_len)
    };
    let arr8 = |b: &[u8], at: usize| -> Result<[u8; 8], StationError> {
        b.get(at..at + 8)
            .and_then(|s| <[u8; 8]>::try_from(s).ok())
            .ok_or_else(bad_len)
    };
    if req.cipher != cipher::AES_CMAC && req.key_id > 3 {
        return Err(StationError::KeyId(req.key_id));
    }
    Ok(match req.cipher {
        cipher::WEP40 | cipher::WEP104 => {
            let want = if req.cipher == cipher::WEP40 { 5 } else { 13 };
            if req.key.len() != want {
                return Err(bad_len());
            }
            let key = crate::protocol::msg::key::WepKey::new(req.key).map_err(|_| bad_len())?;
            let k = if req.pairwise {
                Key::WepPairwise {
                    peer: req.peer,
                    key,
                }
            } else {
                Key::WepDefault {
                    key_id: req.key_id,
                    key,
                }
            };
            (
                k,
                KeyLayout {
                    iv_len: 4,
                    icv_len: 4,
                },
            )
        }
        cipher::TKIP => {
            if req.key.len() != 32 {
                return Err(bad_len());
            }
            let tk = arr16(req.key)?;
            // mac80211's TKIP key: TK, then the authenticator's TX MIC key, then its RX MIC
            // key; a station receives with the RX half and sends with the TX half ("Keys").
            let tx_mic = arr8(req.key, 16)?;
            let rx_mic = arr8(req.key, 24)?;
            let k = if req.pairwise {
                Key::TkipPairwise {
                    peer: req.peer,
                    tk,
                    rx_mic,
                    tx_mic,
                }
            } else {
                Key::TkipGroup {
                    tk,
                    rx_mic,
                    key_id: req.key_id,
                    rx_seq: [0; 8],
                }
            };
            (
                k,
                KeyLayout {
                    iv_len: 8,
                    icv_len: 12,
                },
            )
        }
        cipher::CCMP => {
            if req.key.len() != 16 {
                return Err(bad_len());
            }
            let key = arr16(req.key)?;
            let k = if req.pairwise {
                Key::AesPairwise {
                    peer: req.peer,
                    key,
                }
            } else {
                Key::AesGroup {
                    key,
                    key_id: req.key_id,
                    rx_seq: [0; 8],
                }
            };
            (
                k,
                KeyLayout {
                    iv_len: 8,
                    icv_len: 8,
                },
            )
        }
        cipher::AES_CMAC => {
            if req.key.len() != 16 {
                return Err(bad_len());
            }
            if !(4..=5).contains(&req.key_id) {
                return Err(StationError::KeyId(req.key_id));
            }
            (
                Key::Igtk {
                    key: arr16(req.key)?,
                    key_id: req.key_id,
                    ipn: [0; 8],
                },
                KeyLayout {
                    iv_len: 0,
                    icv_len: 0,
                },
            )
        }
        other => return Err(StationError::UnsupportedCipher(other)),
    })
}

/// Entries of the firmware's key table (0..=10, "Keys").
pub const KEY_ENTRIES: u8 = crate::protocol::msg::key::MAX_ENTRY_INDEX + 1;

/// Which entries of the firmware's key table are in use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyTable(u16);

impl KeyTable {
    /// The lowest free entry, now marked in use.
    pub fn alloc(&mut self) -> Result<u8, StationError> {
        let free = (0..KEY_ENTRIES)
            .find(|i| self.0 & (1 << i) == 0)
            .ok_or(StationError::KeyTableFull)?;
        self.0 |= 1 << free;
        Ok(free)
    }

    /// Marks `entry` free again.
    pub fn free(&mut self, entry: u8) -> Result<(), StationError> {
        if entry >= KEY_ENTRIES || self.0 & (1 << entry) == 0 {
            return Err(StationError::KeyEntry(entry));
        }
        self.0 &= !(1 << entry);
        Ok(())
    }

    /// Entries in use.
    pub fn in_use(&self) -> u32 {
        self.0.count_ones()
    }

    /// Forgets every entry (the firmware lost its table: a restart).
    pub fn clear(&mut self) {
        self.0 = 0;
    }
}

/// The AC of mac80211 queue `ac` (0 VO, 1 VI, 2 BE, 3 BK) as the WSM queue id of TX requests
/// and 0x0012 ("Queues and EDCA": VO 3, VI 2, BE 0, BK 1); `None` beyond 3.
pub const fn wsm_queue(ac: u8) -> Option<u8> {
    match ac {
        0 => Some(3),
        1 => Some(2),
        2 => Some(0),
        3 => Some(1),
        _ => None,
    }
}
