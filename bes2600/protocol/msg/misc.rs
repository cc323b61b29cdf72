// SPDX-License-Identifier: GPL-2.0

//! Smaller requests: 0x001B update IE, 0x0029 EPTA parameters, 0x0024 sleep control
//! (docs/chip-protocol.md, "MIBs", "Message catalogue").

use super::super::codec::{
    Reader,
    Writer, //
};
use super::super::error::Error;
use super::super::wsm_header::id;
use super::Message;

/// Update-IE target: beacon.
pub const UPDATE_IE_BEACON: u16 = 1 << 0;
/// Update-IE target: probe response.
pub const UPDATE_IE_PROBE_RESPONSE: u16 = 1 << 1;
/// Update-IE target: probe request.
pub const UPDATE_IE_PROBE_REQUEST: u16 = 1 << 2;

/// 0x001B update IE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpdateIe<'a> {
    /// Which templates (`UPDATE_IE_*`).
    pub what: u16,
    /// Number of IEs in `ies`.
    pub count: u16,
    /// The IE bytes.
    pub ies: &'a [u8],
}

impl<'a> Message<'a> for UpdateIe<'a> {
    const ID: u16 = id::UPDATE_IE;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.what)?;
        w.u16(self.count)?;
        w.bytes(self.ies)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            what: r.u16()?,
            count: r.u16()?,
            ies: r.take_rest(),
        })
    }
}

/// 0x0029 EPTA (BT coexistence) parameters, always sent on interface 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Epta {
    /// WLAN time slot (µs).
    pub wlan_duration: u32,
    /// BT time slot (µs).
    pub bt_duration: u32,
    /// Mode word: bits 0–1 arbitration mode, bit 10 FDD, bit 11 force TDD.
    pub mode: u32,
}

impl<'a> Message<'a> for Epta {
    const ID: u16 = id::EPTA;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.wlan_duration)?;
        w.u32(self.bt_duration)?;
        w.u32(self.mode)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            wlan_duration: r.u32()?,
            bt_duration: r.u32()?,
            mode: r.u32()?,
        })
    }
}

/// 0x0024 sleep control (the vendor's request code is commented out; its confirm is
/// still accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SleepCtrl {
    /// Non-zero disables firmware sleep.
    pub disable: u32,
}

impl<'a> Message<'a> for SleepCtrl {
    const ID: u16 = id::SLEEP_CTRL;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.disable)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        Ok(Self {
            disable: Reader::new(payload).u32()?,
        })
    }
}
