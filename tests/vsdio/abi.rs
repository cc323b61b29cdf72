// SPDX-License-Identifier: GPL-2.0

//! The messages exchanged with the chip model through `/dev/bes2600-vsdio`, exactly as
//! `tests/vsdio/ABI.md` defines them: a 16-byte little-endian header and a payload.
//!
//! The header layout, the kinds and the argument codes are those of `abi_wire.rs`, which the
//! chip model compiles too; this file adds what only the kernel side needs: messages with a
//! kernel-allocated payload and the validation of what the model writes.

use kernel::prelude::*;

/// The wire format shared with the chip model.
#[path = "abi_wire.rs"]
#[expect(
    unreachable_pub,
    reason = "`pub` for the chip model, whose public API these items are; private here"
)]
#[cfg_attr(
    not(CONFIG_KUNIT = "y"),
    expect(
        dead_code,
        reason = "the host only decodes `RX_QUEUE`; its encoder is the model's (and the KUnit suites')"
    )
)]
mod wire;

use wire::{
    bad_access,
    fault,
    MAX_REG, //
};
pub(crate) use wire::{
    from_model,
    rx_regs,
    to_model,
    Header,
    HEADER_LEN,
    MAX_MESSAGE,
    MAX_PAYLOAD, //
};

/// `BAD_ACCESS` codes (argument 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum BadAccess {
    /// A CMD53 read with nothing queued.
    ReadEmpty = bad_access::READ_EMPTY,
    /// A CMD53 read longer than the queued item.
    ReadTooLong = bad_access::READ_TOO_LONG,
    /// A CMD52 to an unmapped function 1 register.
    UnmappedRegister = bad_access::UNMAPPED_REGISTER,
    /// An access to a disabled function.
    DisabledFunction = bad_access::FUNCTION_DISABLED,
}

/// A message queued for the model.
pub(crate) struct Message {
    /// Message kind ([`to_model`]).
    pub(crate) kind: u32,
    /// First argument.
    pub(crate) arg0: u32,
    /// Second argument.
    pub(crate) arg1: u32,
    /// Payload (empty for most kinds).
    pub(crate) payload: KVVec<u8>,
}

impl Message {
    /// A message without payload.
    pub(crate) fn new(kind: u32, arg0: u32, arg1: u32) -> Self {
        Self {
            kind,
            arg0,
            arg1,
            payload: KVVec::new(),
        }
    }

    /// Its header. A payload never exceeds [`MAX_PAYLOAD`], so the length fits.
    pub(crate) fn header(&self) -> Header {
        Header {
            kind: self.kind,
            arg0: self.arg0,
            arg1: self.arg1,
            len: u32::try_from(self.payload.len()).unwrap_or(u32::MAX),
        }
    }

    /// Bytes on the wire, header included.
    pub(crate) fn wire_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }
}

/// Faults the model can inject (`FAULT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Fail the next n CMD53s with `-EIO`.
    Cmd53(u32),
    /// Fail the next n CMD52s with `-ETIMEDOUT`.
    Cmd52(u32),
    /// Raise n interrupts with nothing queued.
    Storm(u32),
}

/// A validated message from the model (its payload, if any, travels separately).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ModelRequest {
    /// `RX_QUEUE`: registers 0x000 and 0x001 while the item is at the head, and in the idle
    /// register file once a read consumed it.
    RxQueue {
        /// Value of register 0x000 while the item is the head.
        reg0: u8,
        /// Value of register 0x001 while the item is the head.
        reg1: u8,
        /// Value of register 0x000 once the item is consumed.
        idle0: u8,
        /// Value of register 0x001 once the item is consumed.
        idle1: u8,
    },
    /// `SET_REG`.
    SetReg {
        /// Register address, 0x000..=0x1ff.
        addr: u16,
        /// New value.
        value: u8,
    },
    /// `IRQ`: raise (`true`) or clear the card interrupt.
    Irq(bool),
    /// `FAULT`.
    Fault(Fault),
    /// `TIMING`.
    Timing {
        /// Bus rate in bytes per second (0: no timing model).
        rate: u32,
        /// Fixed cost of each CMD53 in nanoseconds.
        overhead_ns: u32,
    },
    /// `CARD_PRESENT`: insert (`true`) or remove the card.
    CardPresent(bool),
    /// `WRITE_DONE`: the model has processed the n-th `CMD53_WRITE` it read since it opened
    /// the device (the first is 1).
    WriteDone(u32),
}

/// Low byte of a message argument.
fn low_byte(arg: u32) -> u8 {
    (arg & 0xff) as u8
}

/// A 0/1 argument.
fn flag(arg: u32) -> Result<bool> {
    match arg {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(EINVAL),
    }
}

/// Validates a message of `total` bytes (header included) written by the model.
///
/// Fails with `EINVAL` when the lengths disagree, the kind is unknown, a kind without payload
/// carries one, or an argument is out of range.
pub(crate) fn parse(header: &Header, total: usize) -> Result<ModelRequest> {
    let len = usize::try_from(header.len).map_err(|_| EINVAL)?;
    if len > MAX_PAYLOAD || total != HEADER_LEN + len {
        return Err(EINVAL);
    }
    if header.kind != from_model::RX_QUEUE && len != 0 {
        return Err(EINVAL);
    }
    let (arg0, arg1) = (header.arg0, header.arg1);
    Ok(match header.kind {
        from_model::RX_QUEUE => {
            let (reg0, idle0) = rx_regs::decode(arg0).ok_or(EINVAL)?;
            let (reg1, idle1) = rx_regs::decode(arg1).ok_or(EINVAL)?;
            ModelRequest::RxQueue {
                reg0,
                reg1,
                idle0,
                idle1,
            }
        }
        from_model::SET_REG if arg0 <= MAX_REG => ModelRequest::SetReg {
            addr: u16::try_from(arg0).map_err(|_| EINVAL)?,
            value: low_byte(arg1),
        },
        from_model::IRQ => ModelRequest::Irq(flag(arg0)?),
        from_model::FAULT => ModelRequest::Fault(match arg0 {
            fault::CMD53_EIO => Fault::Cmd53(arg1),
            fault::CMD52_TIMEOUT => Fault::Cmd52(arg1),
            fault::IRQ_STORM => Fault::Storm(arg1),
            _ => return Err(EINVAL),
        }),
        from_model::TIMING => ModelRequest::Timing {
            rate: arg0,
            overhead_ns: arg1,
        },
        from_model::CARD_PRESENT => ModelRequest::CardPresent(flag(arg0)?),
        from_model::WRITE_DONE if arg1 == 0 => ModelRequest::WriteDone(arg0),
        _ => return Err(EINVAL),
    })
}
