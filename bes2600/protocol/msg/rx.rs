// SPDX-License-Identifier: GPL-2.0

//! 0x0804 receive indication in the BES layout (docs/chip-protocol.md, "RX indication").
//!
//! | Abs | Width | Field                                          |
//! |-----|-------|------------------------------------------------|
//! | 0   | 4     | WSM header                                     |
//! | 4   | u32   | status                                         |
//! | 8   | u16   | channel number                                 |
//! | 10  | u8    | RX rate (WSM rate index)                       |
//! | 11  | u8    | RCPI                                           |
//! | 12  | u32   | flags                                          |
//! | 16  | 16 B  | BES extension (content undocumented)           |
//! | 32  | …     | 802.11 frame                                   |
//!
//! The receiving interface is in the id word's interface field; the peer link id in flags
//! bits 25–28.

use super::super::codec::{
    Reader,
    Writer, //
};
use super::super::error::Error;
use super::super::wsm_header::id;
use super::{
    Message,
    Status, //
};

/// Absolute offset of the 802.11 frame in the message.
pub const FRAME_OFFSET: usize = 32;

/// Length of the undocumented BES extension block.
pub const EXT_LEN: usize = 16;

/// Encryption field of the RX flags (bits 0–2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RxEncryption {
    /// 0: not encrypted.
    None,
    /// 1: WEP; IV and ICV still in the frame.
    Wep,
    /// 2: TKIP; IV, ICV and MIC still in the frame.
    Tkip,
    /// 3: AES-CCMP; IV and MIC still in the frame.
    Aes,
    /// 4: WAPI.
    Wapi,
    /// 7 (BES): decrypted by the firmware with IV/ICV stripped.
    DecryptedStripped,
    /// 5 or 6: undefined.
    Other(u8),
}

/// The RX flags word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RxFlags(pub u32);

impl RxFlags {
    /// Part of an A-MPDU.
    pub const AGGREGATE: u32 = 1 << 3;
    /// First of the A-MPDU.
    pub const AGGREGATE_FIRST: u32 = 1 << 4;
    /// Last of the A-MPDU.
    pub const AGGREGATE_LAST: u32 = 1 << 5;
    /// Defragmented.
    pub const DEFRAGMENTED: u32 = 1 << 6;
    /// Beacon.
    pub const BEACON: u32 = 1 << 7;
    /// Our TIM bit set.
    pub const TIM: u32 = 1 << 8;
    /// Multicast bit in TIM.
    pub const MULTICAST: u32 = 1 << 9;
    /// SSID match.
    pub const MATCHING_SSID: u32 = 1 << 10;
    /// BSSID match.
    pub const MATCHING_BSSID: u32 = 1 << 11;
    /// More-data bit.
    pub const MORE_DATA: u32 = 1 << 12;
    /// Received during a measurement.
    pub const MEASUREMENT: u32 = 1 << 13;
    /// HT frame.
    pub const HT: u32 = 1 << 14;
    /// STBC.
    pub const STBC: u32 = 1 << 15;
    /// A1 is our address.
    pub const ADDRESS1: u32 = 1 << 16;
    /// A1 is a group address.
    pub const GROUP: u32 = 1 << 17;
    /// A1 is the broadcast address.
    pub const BROADCAST: u32 = 1 << 18;
    /// A group key was used.
    pub const GROUP_KEY: u32 = 1 << 19;

    /// Encryption field.
    pub const fn encryption(self) -> RxEncryption {
        match self.0 & 7 {
            0 => RxEncryption::None,
            1 => RxEncryption::Wep,
            2 => RxEncryption::Tkip,
            3 => RxEncryption::Aes,
            4 => RxEncryption::Wapi,
            7 => RxEncryption::DecryptedStripped,
            other => RxEncryption::Other(other as u8),
        }
    }

    /// Whether `bit` (one of the constants) is set.
    pub const fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }

    /// Key index, bits 20–23.
    pub const fn key_index(self) -> u8 {
        ((self.0 >> 20) & 0xF) as u8
    }

    /// Peer link id, bits 25–28.
    pub const fn link_id(self) -> u8 {
        ((self.0 >> 25) & 0xF) as u8
    }

    /// Flags with encryption code `enc` (0..=7) and link id `link` (0..=15).
    pub const fn with(self, enc: u8, link: u8) -> Self {
        Self((self.0 & !(7 | (0xF << 25))) | ((enc & 7) as u32) | (((link & 0xF) as u32) << 25))
    }
}

/// RSSI in dBm from an RCPI value, as the vendor computes it (integer RCPI/2 − 110).
pub const fn rcpi_to_dbm(rcpi: u8) -> i16 {
    (rcpi / 2) as i16 - 110
}

/// 0x0804 receive indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RxIndication<'a> {
    /// Status (0 ok, 4 decrypt failure, 5 MIC failure, 9 no key, …).
    pub status: Status,
    /// Channel number.
    pub channel: u16,
    /// RX rate (WSM rate index 0..=21).
    pub rx_rate: u8,
    /// RCPI (0.5 dB units).
    pub rcpi: u8,
    /// Flags.
    pub flags: RxFlags,
    /// The 16-byte BES extension, passed through unparsed.
    pub ext: [u8; EXT_LEN],
    /// The 802.11 frame (everything from absolute offset 32 to the WSM length).
    pub frame: &'a [u8],
}

impl<'a> Message<'a> for RxIndication<'a> {
    const ID: u16 = id::RX;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.status.0)?;
        w.u16(self.channel)?;
        w.u8(self.rx_rate)?;
        w.u8(self.rcpi)?;
        w.u32(self.flags.0)?;
        w.bytes(&self.ext)?;
        w.bytes(self.frame)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            status: Status(r.u32()?),
            channel: r.u16()?,
            rx_rate: r.u8()?,
            rcpi: r.u8()?,
            flags: RxFlags(r.u32()?),
            ext: r.array()?,
            frame: r.take_rest(),
        })
    }
}
