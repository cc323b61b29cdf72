// SPDX-License-Identifier: GPL-2.0

//! WSM framing: the 4-byte header, the id word with its sequence channel and number
//! ([`Channel`] and [`Seq`], defined in [`super::wsm_seq`] and re-exported here) and the
//! MCU-channel header.
//!
//! Every WSM message in both directions starts with (docs/chip-protocol.md, "WSM framing"):
//!
//! | Offset | Width | Meaning                                                          |
//! |--------|-------|------------------------------------------------------------------|
//! | 0      | u16   | total length in bytes, header included (no trailer, no padding) |
//! | 2      | u16   | id word                                                          |
//!
//! Id word bits: 0–5 message number, 6–9 interface id (or link id), 10 confirm, 11
//! indication (10 and 11 together: the BES "MCU channel", 0x0Cxx), 12 unused, 13–15 a
//! 3-bit sequence number stamped by the bottom half just before transmission.
//!
//! Two independent sequence spaces exist per direction: channel 0 ("LMAC") for classic WSM messages
//! and channel 1 ("MCU") for 0x0Cxx messages ("Sequence numbers"). The vendor driver picks the
//! channel with `(id & 0xF00) == 0xC00` *before* stripping the interface bits, which misclassifies
//! ids whose interface field is ≥ 4 (docs/chip-protocol.md, "Pitfalls in the vendor driver"); this
//! crate classifies on the stripped id (bits 10 and 11 only), which is identical for interface ids
//! 0..=3.

use super::codec::{
    Reader,
    Writer, //
};
use super::error::Error;
pub use super::wsm_seq::{
    Channel,
    Seq, //
};

/// Length of the WSM header.
pub const HEADER_LEN: usize = 4;

/// Length of the header of device→host MCU-channel (0x0Cxx) messages: the WSM header,
/// a reserved u32, the handle label and the sub-command type.
pub const MCU_HEADER_LEN: usize = 16;

/// Mask of the message number and class bits (`WSM_MSG_ID_MASK`).
pub const ID_MASK: u16 = 0x0C3F;

/// Mask of the interface/link field (bits 6–9).
pub const IF_MASK: u16 = 0x03C0;

/// Mask of the sequence number (bits 13–15).
pub const SEQ_MASK: u16 = 0xE000;

/// Class bit: confirm.
pub const CONFIRM_BIT: u16 = 0x0400;

/// Class bit: indication.
pub const INDICATION_BIT: u16 = 0x0800;

/// Both class bits: BES MCU channel.
pub const MCU_BITS: u16 = 0x0C00;

/// Largest value of the interface field.
pub const MAX_IF_ID: u8 = 15;

/// Number of virtual interfaces the firmware serves (if_id 0..=2; 2 is the "generic" /
/// P2P-device interface).
pub const MAX_VIFS: usize = 3;

/// Base message ids (number and class bits, no interface or sequence bits).
pub mod id {
    /// TX frame request.
    pub const TX: u16 = 0x0004;
    /// Read MIB request.
    pub const READ_MIB: u16 = 0x0005;
    /// Write MIB request.
    pub const WRITE_MIB: u16 = 0x0006;
    /// Start scan request.
    pub const START_SCAN: u16 = 0x0007;
    /// Stop scan request.
    pub const STOP_SCAN: u16 = 0x0008;
    /// Configuration request.
    pub const CONFIGURATION: u16 = 0x0009;
    /// Reset request (unjoin, stop AP, stop listening).
    pub const RESET: u16 = 0x000A;
    /// Join request.
    pub const JOIN: u16 = 0x000B;
    /// Add key request.
    pub const ADD_KEY: u16 = 0x000C;
    /// Remove key request.
    pub const REMOVE_KEY: u16 = 0x000D;
    /// Set power-management mode request.
    pub const SET_PM: u16 = 0x0010;
    /// Set BSS parameters request.
    pub const SET_BSS_PARAMS: u16 = 0x0011;
    /// Set TX queue parameters request.
    pub const SET_TX_QUEUE_PARAMS: u16 = 0x0012;
    /// Set EDCA parameters request.
    pub const SET_EDCA_PARAMS: u16 = 0x0013;
    /// Switch channel request.
    pub const SWITCH_CHANNEL: u16 = 0x0016;
    /// Start (AP / GO / P2P device) request.
    pub const START: u16 = 0x0017;
    /// Update IE request.
    pub const UPDATE_IE: u16 = 0x001B;
    /// Map/unmap link request.
    pub const MAP_LINK: u16 = 0x001C;
    /// BES sleep control request (request code disabled in the vendor driver).
    pub const SLEEP_CTRL: u16 = 0x0024;
    /// BES EPTA (BT coexistence) parameters request.
    pub const EPTA: u16 = 0x0029;
    /// BES vendor RF-test command (MCU channel, test mode only).
    pub const MCU_RF_TEST: u16 = 0x0C25;
    /// BES driver→MCU command (MCU channel).
    pub const MCU_COMMAND: u16 = 0x0C27;

    /// TX confirm.
    pub const TX_CONFIRM: u16 = 0x0404;
    /// Read MIB confirm.
    pub const READ_MIB_CONFIRM: u16 = 0x0405;
    /// Write MIB confirm.
    pub const WRITE_MIB_CONFIRM: u16 = 0x0406;
    /// Start scan confirm.
    pub const START_SCAN_CONFIRM: u16 = 0x0407;
    /// Stop scan confirm.
    pub const STOP_SCAN_CONFIRM: u16 = 0x0408;
    /// Configuration confirm.
    pub const CONFIGURATION_CONFIRM: u16 = 0x0409;
    /// Reset confirm.
    pub const RESET_CONFIRM: u16 = 0x040A;
    /// Join confirm.
    pub const JOIN_CONFIRM: u16 = 0x040B;
    /// Add key confirm.
    pub const ADD_KEY_CONFIRM: u16 = 0x040C;
    /// Remove key confirm.
    pub const REMOVE_KEY_CONFIRM: u16 = 0x040D;
    /// Set PM confirm.
    pub const SET_PM_CONFIRM: u16 = 0x0410;
    /// Set BSS parameters confirm.
    pub const SET_BSS_PARAMS_CONFIRM: u16 = 0x0411;
    /// Set TX queue parameters confirm.
    pub const SET_TX_QUEUE_PARAMS_CONFIRM: u16 = 0x0412;
    /// Set EDCA parameters confirm.
    pub const SET_EDCA_PARAMS_CONFIRM: u16 = 0x0413;
    /// Switch channel confirm.
    pub const SWITCH_CHANNEL_CONFIRM: u16 = 0x0416;
    /// Start confirm.
    pub const START_CONFIRM: u16 = 0x0417;
    /// Update IE confirm.
    pub const UPDATE_IE_CONFIRM: u16 = 0x041B;
    /// Map link confirm.
    pub const MAP_LINK_CONFIRM: u16 = 0x041C;
    /// Multi-TX confirm (enabled with MIB 0x1024).
    pub const MULTI_TX_CONFIRM: u16 = 0x041E;
    /// Sleep control confirm.
    pub const SLEEP_CTRL_CONFIRM: u16 = 0x0424;
    /// EPTA confirm.
    pub const EPTA_CONFIRM: u16 = 0x0429;

    /// Firmware exception (crash dump).
    pub const EXCEPTION: u16 = 0x0800;
    /// Startup indication.
    pub const STARTUP: u16 = 0x0801;
    /// Receive frame indication.
    pub const RX: u16 = 0x0804;
    /// Event indication.
    pub const EVENT: u16 = 0x0805;
    /// Scan complete indication.
    pub const SCAN_COMPLETE: u16 = 0x0806;
    /// Block-ack timeout indication (ignored by the vendor driver).
    pub const BA_TIMEOUT: u16 = 0x0808;
    /// Power-management mode changed indication.
    pub const SET_PM_INDICATION: u16 = 0x0809;
    /// Channel switch done indication.
    pub const SWITCH_CHANNEL_INDICATION: u16 = 0x080A;
    /// Find complete indication (ignored).
    pub const FIND_COMPLETE: u16 = 0x080B;
    /// Suspend/resume TX indication (AP power save).
    pub const SUSPEND_RESUME: u16 = 0x080C;
    /// Join complete indication (ignored).
    pub const JOIN_COMPLETE: u16 = 0x080F;
    /// BES BT state-change request (MCU channel, indication label).
    pub const BT_REQUEST: u16 = 0x0C30;
    /// BES BT-related wake-up indication (MCU channel).
    pub const BT_WAKEUP: u16 = 0x0C31;
}

/// The class of a message, from id bits 10 and 11.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgClass {
    /// Host→device request (neither bit set).
    Request,
    /// Device→host confirm (bit 10).
    Confirm,
    /// Device→host indication (bit 11).
    Indication,
    /// BES MCU-channel message (both bits); direction and confirm/indication come from
    /// the context and the handle label.
    Mcu,
}

/// The 16-bit id word of a WSM header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MsgId(u16);

impl MsgId {
    /// The id word exactly as on the wire.
    pub const fn from_raw(raw: u16) -> Self {
        Self(raw)
    }

    /// An id from a base id (number and class) and an interface id (masked to 4 bits);
    /// sequence bits zero.
    pub const fn new(base: u16, if_id: u8) -> Self {
        Self((base & ID_MASK) | (((if_id & MAX_IF_ID) as u16) << 6))
    }

    /// The raw id word.
    pub const fn raw(self) -> u16 {
        self.0
    }

    /// Number and class bits (`id & 0x0C3F`): what decoders dispatch on.
    pub const fn base(self) -> u16 {
        self.0 & ID_MASK
    }

    /// The message number, bits 0–5.
    pub const fn number(self) -> u8 {
        (self.0 & 0x3F) as u8
    }

    /// The interface (or link) field, bits 6–9.
    pub const fn if_id(self) -> u8 {
        ((self.0 & IF_MASK) >> 6) as u8
    }

    /// Bit 12, unused by the protocol (always 0 in host-generated ids).
    pub const fn reserved_bit(self) -> bool {
        self.0 & 0x1000 != 0
    }

    /// The sequence number, bits 13–15.
    pub const fn seq(self) -> Seq {
        Seq::from_bits((self.0 >> 13) as u8)
    }

    /// The class from bits 10–11.
    pub const fn class(self) -> MsgClass {
        match self.0 & MCU_BITS {
            0 => MsgClass::Request,
            CONFIRM_BIT => MsgClass::Confirm,
            INDICATION_BIT => MsgClass::Indication,
            _ => MsgClass::Mcu,
        }
    }

    /// The sequence channel, classified on the stripped id (see the module docs).
    pub const fn channel(self) -> Channel {
        if self.0 & MCU_BITS == MCU_BITS {
            Channel::Mcu
        } else {
            Channel::Lmac
        }
    }

    /// The same id with another sequence number.
    pub const fn with_seq(self, seq: Seq) -> Self {
        Self((self.0 & !SEQ_MASK) | ((seq.value() as u16) << 13))
    }

    /// The same id with another interface field (masked to 4 bits).
    pub const fn with_if_id(self, if_id: u8) -> Self {
        Self((self.0 & !IF_MASK) | (((if_id & MAX_IF_ID) as u16) << 6))
    }

    /// The base id of the confirm answering this request (`base | 0x0400`); MCU-channel
    /// requests are answered by the same id with the confirm label.
    pub const fn confirm_base(self) -> u16 {
        match self.class() {
            MsgClass::Mcu => self.base(),
            _ => self.base() | CONFIRM_BIT,
        }
    }
}

/// A decoded WSM header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Total message length in bytes, header included.
    pub len: u16,
    /// The id word.
    pub id: MsgId,
}

impl Header {
    /// Reads a header from the start of `buf` (no length validation beyond the 4 bytes).
    pub fn parse(buf: &[u8]) -> Result<Header, Error> {
        let mut r = Reader::new(buf);
        let len = r.u16()?;
        let id = MsgId(r.u16()?);
        Ok(Header { len, id })
    }

    /// Writes the header into the first 4 bytes of `buf`.
    pub fn write(&self, buf: &mut [u8]) -> Result<(), Error> {
        let mut w = Writer::new(buf);
        w.u16(self.len)?;
        w.u16(self.id.0)
    }

    /// Encoded form.
    pub const fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let l = self.len.to_le_bytes();
        let i = self.id.0.to_le_bytes();
        [l[0], l[1], i[0], i[1]]
    }
}

/// Splits one message off the front of `buf`: validates the header length (at least the
/// header, at most `buf.len()`) and returns the header, the payload (bytes 4..len) and
/// the whole message (bytes 0..len).
pub fn split(buf: &[u8]) -> Result<(Header, &[u8], &[u8]), Error> {
    let h = Header::parse(buf)?;
    let len = usize::from(h.len);
    if len < HEADER_LEN {
        return Err(Error::BadLength {
            len,
            limit: HEADER_LEN,
        });
    }
    let msg = buf.get(..len).ok_or(Error::BadLength {
        len,
        limit: buf.len(),
    })?;
    let payload = msg.get(HEADER_LEN..).unwrap_or(&[]);
    Ok((h, payload, msg))
}

/// Writes `seq` into the sequence bits of the message at the start of `msg`.
pub fn stamp_seq(msg: &mut [u8], seq: Seq) -> Result<(), Error> {
    let h = Header::parse(msg)?;
    Header {
        len: h.len,
        id: h.id.with_seq(seq),
    }
    .write(msg)
}

/// The handle label of device→host MCU-channel messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McuLabel {
    /// 0x0F: a confirm (completes the outstanding command, frees one buffer).
    Confirm,
    /// 0xF0: an indication.
    Indication,
    /// Any other value (not defined by the vendor driver).
    Other(u32),
}

impl McuLabel {
    /// Wire value of the confirm label.
    pub const CONFIRM: u32 = 0x0F;
    /// Wire value of the indication label.
    pub const INDICATION: u32 = 0xF0;

    /// Decodes a label word.
    pub const fn from_raw(v: u32) -> Self {
        match v {
            Self::CONFIRM => McuLabel::Confirm,
            Self::INDICATION => McuLabel::Indication,
            other => McuLabel::Other(other),
        }
    }

    /// Encodes a label word.
    pub const fn raw(self) -> u32 {
        match self {
            McuLabel::Confirm => Self::CONFIRM,
            McuLabel::Indication => Self::INDICATION,
            McuLabel::Other(v) => v,
        }
    }
}

/// The 12 bytes following the WSM header in device→host MCU-channel messages
/// (docs/chip-protocol.md, "MCU-channel messages").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct McuHeader {
    /// Reserved word (offset 4).
    pub reserved: u32,
    /// Handle label (offset 8).
    pub label: McuLabel,
    /// Sub-command type (offset 12); for 0x0C30 the BT state bitmap.
    pub cmd_type: u32,
}

impl McuHeader {
    /// Reads the MCU header from a payload (the bytes after the WSM header).
    pub fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            reserved: r.u32()?,
            label: McuLabel::from_raw(r.u32()?),
            cmd_type: r.u32()?,
        })
    }

    /// Writes the MCU header.
    pub fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.reserved)?;
        w.u32(self.label.raw())?;
        w.u32(self.cmd_type)
    }
}
