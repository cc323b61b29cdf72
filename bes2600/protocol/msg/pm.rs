// SPDX-License-Identifier: GPL-2.0

//! Power management: 0x0010 set PM and the 0x0809 PM-mode indication
//! (docs/chip-protocol.md, "Power-save messages").

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

/// PM mode: active.
pub const PM_ACTIVE: u8 = 0x00;
/// PM mode: legacy PS (PS-poll).
pub const PM_PS: u8 = 0x01;
/// PM mode: undetermined (reported by the firmware only).
pub const PM_UNDETERMINED: u8 = 0x02;
/// PM mode flag: fast (dynamic) PS.
pub const PM_FAST_PS_FLAG: u8 = 0x80;
/// PM mode: fast (dynamic) PS.
pub const PM_FAST_PS: u8 = PM_PS | PM_FAST_PS_FLAG;

/// 0x0010 set PM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetPm {
    /// Mode (`PM_*`).
    pub mode: u8,
    /// Fast-PS idle period (500 µs units, 0 = default).
    pub fast_psm_idle_period: u8,
    /// AP PS change period (500 µs units).
    pub ap_psm_change_period: u8,
    /// Minimum auto PS-poll period (500 µs units, 0 = off).
    pub min_auto_ps_poll_period: u8,
}

impl<'a> Message<'a> for SetPm {
    const ID: u16 = id::SET_PM;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.mode)?;
        w.u8(self.fast_psm_idle_period)?;
        w.u8(self.ap_psm_change_period)?;
        w.u8(self.min_auto_ps_poll_period)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            mode: r.u8()?,
            fast_psm_idle_period: r.u8()?,
            ap_psm_change_period: r.u8()?,
            min_auto_ps_poll_period: r.u8()?,
        })
    }
}

/// 0x0809 PM-mode changed indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetPmIndication {
    /// Firmware status.
    pub status: Status,
    /// Resulting PM mode.
    pub psm: u8,
}

impl<'a> Message<'a> for SetPmIndication {
    const ID: u16 = id::SET_PM_INDICATION;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.status.0)?;
        w.u8(self.psm)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            status: Status(r.u32()?),
            psm: r.u8()?,
        })
    }
}
