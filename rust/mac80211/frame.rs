// SPDX-License-Identifier: GPL-2.0

//! Per-frame information: what mac80211 says about a frame to send ([`TxInfo`],
//! [`TxControl`]), what the driver reports back ([`TxStatus`]) and what it says about a
//! received frame ([`RxStatus`], [`RxBatch`]).

use super::{
    bindings,
    Band,
    KeyConf,
    Sta,
    Vif, //
};
use crate::kernel_ext::skb::{
    SkBuff,
    SkbQueue, //
};

/// Flags of a transmit rate entry (`enum mac80211_rate_control_flags`), as a set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxRateFlags(pub u16);

impl TxRateFlags {
    /// No flags: a legacy rate, 20 MHz, long guard interval.
    pub const NONE: Self = Self(0);
    /// Use RTS/CTS.
    pub const USE_RTS_CTS: Self =
        Self(bindings::mac80211_rate_control_flags_IEEE80211_TX_RC_USE_RTS_CTS as u16);
    /// Use CTS-to-self protection.
    pub const USE_CTS_PROTECT: Self =
        Self(bindings::mac80211_rate_control_flags_IEEE80211_TX_RC_USE_CTS_PROTECT as u16);
    /// Use a short preamble.
    pub const USE_SHORT_PREAMBLE: Self =
        Self(bindings::mac80211_rate_control_flags_IEEE80211_TX_RC_USE_SHORT_PREAMBLE as u16);
    /// The index is an HT MCS.
    pub const MCS: Self = Self(bindings::mac80211_rate_control_flags_IEEE80211_TX_RC_MCS as u16);
    /// HT greenfield.
    pub const GREEN_FIELD: Self =
        Self(bindings::mac80211_rate_control_flags_IEEE80211_TX_RC_GREEN_FIELD as u16);
    /// 40 MHz.
    pub const WIDTH_40_MHZ: Self =
        Self(bindings::mac80211_rate_control_flags_IEEE80211_TX_RC_40_MHZ_WIDTH as u16);
    /// Duplicate data on both 20 MHz halves.
    pub const DUP_DATA: Self =
        Self(bindings::mac80211_rate_control_flags_IEEE80211_TX_RC_DUP_DATA as u16);
    /// Short guard interval.
    pub const SHORT_GI: Self =
        Self(bindings::mac80211_rate_control_flags_IEEE80211_TX_RC_SHORT_GI as u16);
}

flag_set!(TxRateFlags);

/// One entry of a frame's rate table (`struct ieee80211_tx_rate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxRate {
    /// The rate index (into the band's bitrates, or the MCS); negative ends the table.
    pub idx: i8,
    /// The number of tries at this rate (0..31).
    pub count: u8,
    /// The flags of the entry.
    pub flags: TxRateFlags,
}

impl TxRate {
    /// An unused entry (index -1), which ends the table.
    pub const UNUSED: Self = Self {
        idx: -1,
        count: 0,
        flags: TxRateFlags::NONE,
    };

    fn from_raw(r: &bindings::bes2600_tx_rate) -> Self {
        Self {
            idx: r.idx,
            count: r.count,
            flags: TxRateFlags(r.flags),
        }
    }

    fn to_raw(self) -> bindings::bes2600_tx_rate {
        bindings::bes2600_tx_rate {
            idx: self.idx,
            // The C field is 5 bits wide.
            count: self.count.min(31),
            flags: self.flags.0,
        }
    }
}

/// Flags of a frame to send (`enum mac80211_tx_info_flags`), as a set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxFlags(pub u32);

impl TxFlags {
    /// mac80211 wants the transmit status (acknowledged or not) of this frame.
    pub const REQ_TX_STATUS: Self =
        Self(bindings::mac80211_tx_info_flags_IEEE80211_TX_CTL_REQ_TX_STATUS);
    /// The frame expects no acknowledgement (group addressed, or no-ack policy).
    pub const NO_ACK: Self = Self(bindings::mac80211_tx_info_flags_IEEE80211_TX_CTL_NO_ACK);
    /// Send the frame after the next DTIM beacon (buffered group traffic).
    pub const SEND_AFTER_DTIM: Self =
        Self(bindings::mac80211_tx_info_flags_IEEE80211_TX_CTL_SEND_AFTER_DTIM);
    /// The frame belongs to an A-MPDU session.
    pub const AMPDU: Self = Self(bindings::mac80211_tx_info_flags_IEEE80211_TX_CTL_AMPDU);
    /// The first fragment of a frame.
    pub const FIRST_FRAGMENT: Self =
        Self(bindings::mac80211_tx_info_flags_IEEE80211_TX_CTL_FIRST_FRAGMENT);
    /// Do not use CCK rates (for example, for P2P).
    pub const NO_CCK_RATE: Self =
        Self(bindings::mac80211_tx_info_flags_IEEE80211_TX_CTL_NO_CCK_RATE);
    /// The driver must assign the sequence number.
    pub const ASSIGN_SEQ: Self = Self(bindings::mac80211_tx_info_flags_IEEE80211_TX_CTL_ASSIGN_SEQ);
    /// The frame is sent while mac80211 is off channel (scanning).
    pub const TX_OFFCHAN: Self = Self(bindings::mac80211_tx_info_flags_IEEE80211_TX_CTL_TX_OFFCHAN);
    /// The frame was requested to be sent without the hardware's rate control.
    pub const USE_MINRATE: Self =
        Self(bindings::mac80211_tx_info_flags_IEEE80211_TX_CTL_USE_MINRATE);
}

flag_set!(TxFlags);

/// What mac80211 said about a frame it handed to [`Ops::tx`](super::Ops::tx): the by-value
/// part of its `struct ieee80211_tx_info`.
///
/// The parts behind pointers (the interface and the hardware key) are only valid during the
/// callback and come from [`TxControl`].
#[derive(Clone, Copy, Debug)]
pub struct TxInfo {
    /// The flags.
    pub flags: TxFlags,
    /// The band the frame is for.
    pub band: Option<Band>,
    /// The hardware queue (access category 0..3, 0 being voice).
    pub hw_queue: u8,
    /// The rate table rate control chose; entries after the first negative index are unused.
    pub rates: [TxRate; 4],
}

impl TxInfo {
    /// The transmit information of `skb`, which mac80211 gave the driver to send.
    ///
    /// Only meaningful until the status is reported; a buffer the driver made itself holds
    /// zeroes.
    pub fn of(skb: &SkBuff) -> Self {
        let mut raw = bindings::bes2600_tx_info::default();
        // SAFETY: `skb` is a valid buffer; the helper only reads its control buffer by value.
        unsafe { bindings::bes2600_helper_ieee80211_tx_info(skb.as_raw(), &mut raw) };
        Self {
            flags: TxFlags(raw.flags),
            band: Band::from_raw(u32::from(raw.band)),
            hw_queue: raw.hw_queue,
            rates: raw.rates.each_ref().map(TxRate::from_raw),
        }
    }
}

/// What goes with a frame handed to [`Ops::tx`](super::Ops::tx), valid during the call.
pub struct TxControl<'a> {
    pub(super) sta: Option<&'a Sta>,
    pub(super) vif: Option<&'a Vif>,
    pub(super) hw_key: Option<&'a KeyConf>,
    pub(super) info: TxInfo,
}

impl<'a> TxControl<'a> {
    /// The station the frame is for, if mac80211 knows one.
    pub fn sta(&self) -> Option<&'a Sta> {
        self.sta
    }

    /// The interface the frame is sent on (none for injected frames).
    pub fn vif(&self) -> Option<&'a Vif> {
        self.vif
    }

    /// The key the hardware must encrypt the frame with, if any.
    pub fn hw_key(&self) -> Option<&'a KeyConf> {
        self.hw_key
    }

    /// The by-value transmit information ([`TxInfo::of`] the frame).
    pub fn info(&self) -> &TxInfo {
        &self.info
    }

    /// The address of the interface the frame is sent on, to keep with the frame.
    pub fn vif_addr(&self) -> Option<[u8; 6]> {
        self.vif.map(Vif::addr)
    }

    /// What the driver needs of the hardware key to send the frame, to keep with it: the key
    /// itself may be removed once the callback returns.
    pub fn hw_key_info(&self) -> Option<TxKeyInfo> {
        self.hw_key.map(|key| TxKeyInfo {
            hw_key_idx: key.hw_key_idx(),
            keyidx: key.keyidx(),
            cipher: key.cipher(),
            iv_len: key.iv_len(),
            icv_len: key.icv_len(),
            flags: key.flags(),
        })
    }
}

/// The hardware key of a frame to send, copied out of its [`KeyConf`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxKeyInfo {
    /// The driver's index of the key in the hardware ([`KeyConf::set_hw_key_idx`]).
    pub hw_key_idx: u8,
    /// The key index.
    pub keyidx: u8,
    /// The cipher suite.
    pub cipher: u32,
    /// The IV length.
    pub iv_len: u8,
    /// The ICV length.
    pub icv_len: u8,
    /// The key's flags.
    pub flags: super::KeyFlags,
}

/// The transmit status of a frame, for [`Hw::tx_status`](super::Hw::tx_status).
#[derive(Clone, Copy, Debug)]
pub struct TxStatus {
    /// The frame was acknowledged (or, for a no-ack frame, sent).
    pub acked: bool,
    /// The rates tried, in order, with the number of tries each; end with
    /// [`TxRate::UNUSED`].
    pub rates: [TxRate; 4],
    /// The signal of the acknowledgement in dBm, if known.
    pub ack_signal: Option<i32>,
    /// For the last frame of an A-MPDU: (frames in it, frames acknowledged).
    pub ampdu: Option<(u8, u8)>,
}

impl Default for TxStatus {
    fn default() -> Self {
        Self {
            acked: false,
            rates: [TxRate::UNUSED; 4],
            ack_signal: None,
            ampdu: None,
        }
    }
}

impl TxStatus {
    /// The status in the helper's layout.
    pub(super) fn to_raw(&self) -> bindings::bes2600_tx_status {
        let (ampdu, (ampdu_len, ampdu_ack_len)) = match self.ampdu {
            Some(a) => (true, a),
            None => (false, (0, 0)),
        };
        bindings::bes2600_tx_status {
            acked: self.acked,
            ack_signal_valid: self.ack_signal.is_some(),
            ampdu,
            ampdu_len,
            ampdu_ack_len,
            ack_signal: self.ack_signal.unwrap_or(0),
            rates: self.rates.map(TxRate::to_raw),
        }
    }
}

/// Flags of a received frame (`enum mac80211_rx_flags`), as a set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxFlags(pub u32);

impl RxFlags {
    /// No flags.
    pub const NONE: Self = Self(0);
    /// The hardware decrypted the frame.
    pub const DECRYPTED: Self = Self(bindings::mac80211_rx_flags_RX_FLAG_DECRYPTED);
    /// The IV (and ICV) were stripped.
    pub const IV_STRIPPED: Self = Self(bindings::mac80211_rx_flags_RX_FLAG_IV_STRIPPED);
    /// The TKIP Michael MIC was stripped.
    pub const MMIC_STRIPPED: Self = Self(bindings::mac80211_rx_flags_RX_FLAG_MMIC_STRIPPED);
    /// The ICV was stripped.
    pub const ICV_STRIPPED: Self = Self(bindings::mac80211_rx_flags_RX_FLAG_ICV_STRIPPED);
    /// The hardware checked the packet number (replay protection).
    pub const PN_VALIDATED: Self = Self(bindings::mac80211_rx_flags_RX_FLAG_PN_VALIDATED);
    /// The TKIP Michael MIC check failed.
    pub const MMIC_ERROR: Self = Self(bindings::mac80211_rx_flags_RX_FLAG_MMIC_ERROR);
    /// The FCS check failed.
    pub const FAILED_FCS_CRC: Self = Self(bindings::mac80211_rx_flags_RX_FLAG_FAILED_FCS_CRC);
    /// The MIC (of CCMP/GCMP) was stripped.
    pub const MIC_STRIPPED: Self = Self(bindings::mac80211_rx_flags_RX_FLAG_MIC_STRIPPED);
}

flag_set!(RxFlags);

/// The receive status of a frame (`struct ieee80211_rx_status`), built with its methods.
#[derive(Clone, Copy)]
pub struct RxStatus(bindings::bes2600_rx_status);

impl RxStatus {
    /// A frame received on `freq` MHz of `band`, at legacy rate index 0, signal 0 dBm.
    pub fn new(freq: u16, band: Band) -> Self {
        Self(bindings::bes2600_rx_status {
            freq,
            band: band.raw() as u8,
            encoding: bindings::mac80211_rx_encoding_RX_ENC_LEGACY as u8,
            bw: bindings::rate_info_bw_RATE_INFO_BW_20 as u8,
            ..Default::default()
        })
    }

    /// The signal in dBm.
    pub fn signal(mut self, dbm: i8) -> Self {
        self.0.signal = dbm;
        self
    }

    /// A legacy rate: `idx` into the band's bitrates.
    pub fn legacy_rate(mut self, idx: u8) -> Self {
        self.0.encoding = bindings::mac80211_rx_encoding_RX_ENC_LEGACY as u8;
        self.0.rate_idx = idx;
        self.0.enc_flags = 0;
        self.0.bw = bindings::rate_info_bw_RATE_INFO_BW_20 as u8;
        self
    }

    /// An HT rate: MCS `mcs`, with a short guard interval and 40 MHz as given.
    pub fn ht_mcs(mut self, mcs: u8, short_gi: bool, width_40: bool) -> Self {
        self.0.encoding = bindings::mac80211_rx_encoding_RX_ENC_HT as u8;
        self.0.rate_idx = mcs;
        self.0.enc_flags = if short_gi {
            bindings::mac80211_rx_encoding_flags_RX_ENC_FLAG_SHORT_GI as u8
        } else {
            0
        };
        self.0.bw = if width_40 {
            bindings::rate_info_bw_RATE_INFO_BW_40 as u8
        } else {
            bindings::rate_info_bw_RATE_INFO_BW_20 as u8
        };
        self
    }

    /// Marks a legacy rate as received with a short preamble.
    pub fn short_preamble(mut self) -> Self {
        self.0.enc_flags |= bindings::mac80211_rx_encoding_flags_RX_ENC_FLAG_SHORTPRE as u8;
        self
    }

    /// Sets the flags (replacing earlier ones).
    pub fn flags(mut self, flags: RxFlags) -> Self {
        self.0.flag = flags.0;
        self
    }

    /// The time of reception (`CLOCK_BOOTTIME`, ns); mac80211 uses it for scan results.
    pub fn boottime_ns(mut self, ns: u64) -> Self {
        self.0.boottime_ns = ns;
        self
    }

    /// The antenna the frame was received on.
    pub fn antenna(mut self, antenna: u8) -> Self {
        self.0.antenna = antenna;
        self
    }

    /// Writes the status into the control buffer of `skb`.
    pub(super) fn write_to(&self, skb: &mut SkBuff) {
        // SAFETY: `skb` is a valid buffer that we own exclusively (`&mut`); the helper writes
        // only its control buffer.
        unsafe { bindings::bes2600_helper_ieee80211_rx_status(skb.as_raw(), &self.0) };
    }
}

/// Received frames collected for [`Hw::rx_list`](super::Hw::rx_list), which hands them to
/// mac80211 in one go (one bottom-half section, one list to the network stack).
pub struct RxBatch {
    // Each frame's status is already in its control buffer.
    pub(super) frames: SkbQueue,
}

impl Default for RxBatch {
    fn default() -> Self {
        Self::new()
    }
}

impl RxBatch {
    /// An empty batch.
    pub const fn new() -> Self {
        Self {
            frames: SkbQueue::new(),
        }
    }

    /// Adds a received frame with its status.
    pub fn push(&mut self, mut skb: SkBuff, status: &RxStatus) {
        status.write_to(&mut skb);
        self.frames.push_back(skb);
    }

    /// The number of frames collected.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}
