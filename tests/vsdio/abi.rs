// SPDX-License-Identifier: GPL-2.0

//! The messages exchanged with the chip model through `/dev/bes2600-vsdio`, exactly as
//! `tests/vsdio/ABI.md` defines them: a 16-byte little-endian header and a payload.

use kernel::prelude::*;

/// Bytes of a message header.
pub(crate) const HEADER_LEN: usize = 16;

/// Largest payload of one message.
pub(crate) const MAX_PAYLOAD: usize = 65536;

/// Largest message on the wire.
pub(crate) const MAX_MESSAGE: usize = HEADER_LEN + MAX_PAYLOAD;

/// Message kinds from the host to the model.
pub(crate) mod to_model {
    /// A CMD53 write with its data.
    pub(crate) const CMD53_WRITE: u32 = 1;
    /// A CMD52 write to a function 1 register.
    pub(crate) const CMD52_WRITE: u32 = 2;
    /// A CMD53 read consumed the head of the RX queue.
    pub(crate) const RX_CONSUMED: u32 = 3;
    /// The host did something the chip would not expect.
    pub(crate) const BAD_ACCESS: u32 = 4;
    /// The card was reset or (re)initialised.
    pub(crate) const CARD_RESET: u32 = 5;
    /// CCCR IOEx bit 1 was written.
    pub(crate) const FUNC_ENABLE: u32 = 6;
}

/// Message kinds from the model to the host.
pub(crate) mod from_model {
    /// Queue an item for the next CMD53 read.
    pub(crate) const RX_QUEUE: u32 = 0x81;
    /// Set a register of the idle register file.
    pub(crate) const SET_REG: u32 = 0x82;
    /// Raise or clear the card interrupt.
    pub(crate) const IRQ: u32 = 0x83;
    /// Inject faults.
    pub(crate) const FAULT: u32 = 0x84;
    /// Configure the bus timing model.
    pub(crate) const TIMING: u32 = 0x85;
    /// Insert or remove the card.
    pub(crate) const CARD_PRESENT: u32 = 0x86;
}

/// `BAD_ACCESS` codes (argument 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum BadAccess {
    /// A CMD53 read with nothing queued.
    ReadEmpty = 1,
    /// A CMD53 read longer than the queued item.
    ReadTooLong = 2,
    /// A CMD52 to an unmapped function 1 register.
    UnmappedRegister = 3,
    /// An access to a disabled function.
    DisabledFunction = 4,
}

/// Highest function 1 register `SET_REG` may set.
pub(crate) const MAX_REG: u32 = 0x1ff;

/// A message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// Message kind.
    pub(crate) kind: u32,
    /// First argument.
    pub(crate) arg0: u32,
    /// Second argument.
    pub(crate) arg1: u32,
    /// Payload bytes that follow.
    pub(crate) len: u32,
}

/// Reads a little-endian `u32` at `at` of a header.
fn le32(bytes: &[u8; HEADER_LEN], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

impl Header {
    /// The wire form.
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        for (i, word) in [self.kind, self.arg0, self.arg1, self.len]
            .into_iter()
            .enumerate()
        {
            out[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// Parses the wire form.
    pub(crate) fn decode(bytes: &[u8; HEADER_LEN]) -> Self {
        Self {
            kind: le32(bytes, 0),
            arg0: le32(bytes, 4),
            arg1: le32(bytes, 8),
            len: le32(bytes, 12),
        }
    }
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
    /// `RX_QUEUE`: registers 0x000 and 0x001 while the item is at the head.
    RxQueue {
        /// Value of register 0x000.
        reg0: u8,
        /// Value of register 0x001.
        reg1: u8,
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
        from_model::RX_QUEUE => ModelRequest::RxQueue {
            reg0: low_byte(arg0),
            reg1: low_byte(arg1),
        },
        from_model::SET_REG if arg0 <= MAX_REG => ModelRequest::SetReg {
            addr: u16::try_from(arg0).map_err(|_| EINVAL)?,
            value: low_byte(arg1),
        },
        from_model::IRQ => ModelRequest::Irq(flag(arg0)?),
        from_model::FAULT => ModelRequest::Fault(match arg0 {
            1 => Fault::Cmd53(arg1),
            2 => Fault::Cmd52(arg1),
            3 => Fault::Storm(arg1),
            _ => return Err(EINVAL),
        }),
        from_model::TIMING => ModelRequest::Timing {
            rate: arg0,
            overhead_ns: arg1,
        },
        from_model::CARD_PRESENT => ModelRequest::CardPresent(flag(arg0)?),
        _ => return Err(EINVAL),
    })
}
