// SPDX-License-Identifier: GPL-2.0

//! Indications: 0x0805 event, 0x080C suspend/resume TX, 0x0800 firmware exception
//! (docs/chip-protocol.md, "Events and indications").

use super::super::codec::{
    Reader,
    Writer, //
};
use super::super::error::Error;
use super::super::wsm_header::id;
use super::Message;

/// Event ids of 0x0805.
pub mod event_id {
    /// Error (ignored by the vendor driver).
    pub const ERROR: u32 = 0;
    /// BSS lost.
    pub const BSS_LOST: u32 = 1;
    /// BSS regained.
    pub const BSS_REGAINED: u32 = 2;
    /// Radar detected.
    pub const RADAR: u32 = 3;
    /// RCPI/RSSI threshold crossed (data low byte = RCPI or RSSI).
    pub const RCPI_RSSI: u32 = 4;
    /// BT inactive.
    pub const BT_INACTIVE: u32 = 5;
    /// BT active.
    pub const BT_ACTIVE: u32 = 6;
    /// PS mode error (data = reason 1..=4).
    pub const PS_MODE_ERROR: u32 = 7;
    /// Inactivity (AP; data = bitmap of link ids).
    pub const INACTIVITY: u32 = 9;
    /// Wake-up event (data: reason and source port).
    pub const WAKEUP: u32 = 10;
}

/// 0x0805 event indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Event {
    /// Event id (see [`event_id`]).
    pub id: u32,
    /// Event data.
    pub data: u32,
}

impl<'a> Message<'a> for Event {
    const ID: u16 = id::EVENT;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.id)?;
        w.u32(self.data)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            id: r.u32()?,
            data: r.u32()?,
        })
    }
}

/// 0x080C suspend/resume TX indication (AP power save).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SuspendResume {
    /// Raw flags: bit 0 resume (1) / stop (0), bits 1–2 AC, bit 3 multicast.
    pub flags: u32,
}

impl SuspendResume {
    /// Whether TX must stop (bit 0 clear).
    pub const fn stop(&self) -> bool {
        self.flags & 1 == 0
    }

    /// Access category, bits 1–2.
    pub const fn queue(&self) -> u8 {
        ((self.flags >> 1) & 3) as u8
    }

    /// Whether this concerns multicast (after-DTIM) traffic.
    pub const fn multicast(&self) -> bool {
        self.flags & 8 != 0
    }
}

impl<'a> Message<'a> for SuspendResume {
    const ID: u16 = id::SUSPEND_RESUME;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.flags)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        Ok(Self {
            flags: Reader::new(payload).u32()?,
        })
    }
}

/// Number of registers in an exception report (R0–R12, SP, LR, PC, CPSR, SPSR).
pub const EXCEPTION_REGS: usize = 18;

/// Length of the file-name field of an exception report.
pub const EXCEPTION_FILE_LEN: usize = 48;

/// 0x0800 firmware exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exception {
    /// Reason: 0 undefined instruction, 1 prefetch abort, 2 data abort, 3 unknown,
    /// ≥ 4 assert (file name and line in `regs[1]`).
    pub reason: u32,
    /// Registers R0–R12, SP, LR, PC, CPSR, SPSR.
    pub regs: [u32; EXCEPTION_REGS],
    /// File name (asserts), NUL padded.
    pub file: [u8; EXCEPTION_FILE_LEN],
}

impl Exception {
    /// Whether the reason is a firmware assert rather than a CPU exception.
    pub const fn is_assert(&self) -> bool {
        self.reason >= 4
    }

    /// The file name up to its first NUL byte.
    pub fn file_name(&self) -> &[u8] {
        let end = self
            .file
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(EXCEPTION_FILE_LEN);
        self.file.get(..end).unwrap_or(&[])
    }
}

impl<'a> Message<'a> for Exception {
    const ID: u16 = id::EXCEPTION;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.reason)?;
        for r in &self.regs {
            w.u32(*r)?;
        }
        w.bytes(&self.file)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        let reason = r.u32()?;
        let mut regs = [0u32; EXCEPTION_REGS];
        for v in &mut regs {
            *v = r.u32()?;
        }
        Ok(Self {
            reason,
            regs,
            file: r.array()?,
        })
    }
}
