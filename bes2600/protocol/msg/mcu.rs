// SPDX-License-Identifier: GPL-2.0

//! BES MCU-channel messages (0x0Cxx, sequence channel 1; docs/chip-protocol.md,
//! "MCU-channel messages").
//!
//! Host→device requests carry a u32 sub-command type right after the 4-byte WSM header;
//! device→host messages carry the 16-byte MCU header (reserved word, handle label 0x0F
//! confirm / 0xF0 indication, sub-command type) before their payload.

use super::super::codec::{
    Reader,
    Writer, //
};
use super::super::error::Error;
use super::super::wsm_header::{
    id,
    McuHeader,
    McuLabel, //
};
use super::Message;

/// 0x0C27 sub-command: calibration text to flash (test mode).
pub const SUB_CALI_TXT_TO_FLASH: u32 = 0;
/// 0x0C27 sub-command: channel info for BT AFH (FDD coexistence).
pub const SUB_CHANNEL_INFO: u32 = 1;
/// 0x0C27 sub-command: CPU usage (test mode).
pub const SUB_CPU_USAGE: u32 = 2;
/// 0x0C27 sub-command: WiFi status.
pub const SUB_WIFI_STATUS: u32 = 3;
/// 0x0C27 sub-command: calibration to eFuse (test mode).
pub const SUB_CALI_TO_EFUSE: u32 = 4;

/// WiFi status value: idle / disconnected.
pub const WIFI_STATUS_IDLE: u32 = 0;
/// WiFi status value: connected.
pub const WIFI_STATUS_CONNECTED: u32 = 5;

/// 0x0C27 driver→MCU command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McuCommand<'a> {
    /// Sub-command 3: WiFi status (`WIFI_STATUS_*`).
    WifiStatus(u32),
    /// Sub-command 1: current channel for BT AFH.
    ChannelInfo {
        /// Channel number.
        channel: u32,
        /// nl80211 channel type.
        channel_type: u16,
    },
    /// Sub-command 2: CPU usage query.
    CpuUsage,
    /// Any other sub-command with raw arguments.
    Other {
        /// Sub-command type.
        sub_type: u32,
        /// Argument bytes.
        args: &'a [u8],
    },
}

impl<'a> Message<'a> for McuCommand<'a> {
    const ID: u16 = id::MCU_COMMAND;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        match *self {
            McuCommand::WifiStatus(s) => {
                w.u32(SUB_WIFI_STATUS)?;
                w.u32(s)
            }
            McuCommand::ChannelInfo {
                channel,
                channel_type,
            } => {
                w.u32(SUB_CHANNEL_INFO)?;
                w.u32(channel)?;
                w.u16(channel_type)
            }
            McuCommand::CpuUsage => w.u32(SUB_CPU_USAGE),
            McuCommand::Other { sub_type, args } => {
                w.u32(sub_type)?;
                w.bytes(args)
            }
        }
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        let sub_type = r.u32()?;
        Ok(match sub_type {
            SUB_WIFI_STATUS => McuCommand::WifiStatus(r.u32()?),
            SUB_CHANNEL_INFO => McuCommand::ChannelInfo {
                channel: r.u32()?,
                channel_type: r.u16()?,
            },
            SUB_CPU_USAGE => McuCommand::CpuUsage,
            _ => McuCommand::Other {
                sub_type,
                args: r.take_rest(),
            },
        })
    }
}

/// A device→host MCU-channel message with id `ID`: the MCU header and the bytes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct McuMessage<'a, const ID: u16> {
    /// The MCU header (label tells confirm from indication).
    pub header: McuHeader,
    /// Bytes after the 16-byte MCU header.
    pub payload: &'a [u8],
}

impl<'a, const ID: u16> McuMessage<'a, ID> {
    /// A confirm with sub-command type `cmd_type` and `payload`.
    pub const fn confirm(cmd_type: u32, payload: &'a [u8]) -> Self {
        Self {
            header: McuHeader {
                reserved: 0,
                label: McuLabel::Confirm,
                cmd_type,
            },
            payload,
        }
    }

    /// An indication with sub-command type (or state bitmap) `cmd_type`.
    pub const fn indication(cmd_type: u32, payload: &'a [u8]) -> Self {
        Self {
            header: McuHeader {
                reserved: 0,
                label: McuLabel::Indication,
                cmd_type,
            },
            payload,
        }
    }

    /// The u32 status at the start of the payload (sent by the confirm of sub-command 0).
    pub fn status(&self) -> Option<u32> {
        Reader::new(self.payload).u32().ok()
    }
}

impl<'a, const ID: u16> Message<'a> for McuMessage<'a, ID> {
    const ID: u16 = ID;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        self.header.write(w)?;
        w.bytes(self.payload)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            header: McuHeader::read(&mut r)?,
            payload: r.take_rest(),
        })
    }
}

/// 0x0C27 confirm (label 0x0F).
pub type McuCommandConfirm<'a> = McuMessage<'a, { id::MCU_COMMAND }>;
/// 0x0C30 BT state-change request indication (label 0xF0; `cmd_type` = [`BtState`] bits).
pub type BtRequest<'a> = McuMessage<'a, { id::BT_REQUEST }>;
/// 0x0C31 BT wake-up indication.
pub type BtWakeup<'a> = McuMessage<'a, { id::BT_WAKEUP }>;
/// 0x0C25 vendor RF-test confirm or indication.
pub type RfTest<'a> = McuMessage<'a, { id::MCU_RF_TEST }>;

/// The BT state bitmap of 0x0C30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BtState(pub u32);

impl BtState {
    /// Link state, bits 0–2 (0 off, 1 disconnected, 2 connecting, 3 sniff, 4 connected).
    pub const fn link(self) -> u8 {
        (self.0 & 7) as u8
    }

    /// Page/inquiry scan, bits 3–5.
    pub const fn scan(self) -> u8 {
        ((self.0 >> 3) & 7) as u8
    }

    /// Audio, bits 6–8 (0 none, 1 A2DP, 2 SCO).
    pub const fn audio(self) -> u8 {
        ((self.0 >> 6) & 7) as u8
    }

    /// Inquiry active, bits 9–10.
    pub const fn inquiry(self) -> u8 {
        ((self.0 >> 9) & 3) as u8
    }

    /// LE scan active, bits 11–12.
    pub const fn le_scan(self) -> u8 {
        ((self.0 >> 11) & 3) as u8
    }

    /// LE advertising, bits 13–15.
    pub const fn le_adv(self) -> u8 {
        ((self.0 >> 13) & 7) as u8
    }

    /// LE connected, bits 16–17.
    pub const fn le_connected(self) -> u8 {
        ((self.0 >> 16) & 3) as u8
    }
}
