// SPDX-License-Identifier: GPL-2.0

//! The wire format of the interface between the virtual SDIO host and the chip model
//! (`/dev/bes2600-vsdio`): the message header, the message kinds and their argument codes.
//!
//! This file implements the framing and the kind tables of `tests/vsdio/ABI.md`, the
//! interface's specification: a change starts there. It is the one definition both ends
//! compile: the kernel module `bes2600_vsdio.ko` (through `tests/vsdio/abi.rs`) and the
//! userspace chip model (through `tests/chip-model/src/transport.rs`), each with
//! `#[path = ...] mod`. It therefore depends on nothing but `core`, allocates nothing and
//! contains no `unsafe`.

/// Bytes of a message header.
pub const HEADER_LEN: usize = 16;

/// Largest payload of one message.
pub const MAX_PAYLOAD: usize = 65536;

/// Largest message on the wire, header included.
pub const MAX_MESSAGE: usize = HEADER_LEN + MAX_PAYLOAD;

/// Highest function 1 register `SET_REG` may set.
pub const MAX_REG: u32 = 0x1ff;

/// Message kinds from the host to the model (what the model reads).
pub mod to_model {
    /// A CMD53 write with its data.
    pub const CMD53_WRITE: u32 = 1;
    /// A CMD52 write to a function 1 register.
    pub const CMD52_WRITE: u32 = 2;
    /// A CMD53 read consumed the head of the RX queue.
    pub const RX_CONSUMED: u32 = 3;
    /// The host did something the chip would not expect (code in `arg1`, see
    /// [`super::bad_access`]).
    pub const BAD_ACCESS: u32 = 4;
    /// The card was reset or (re)initialised.
    pub const CARD_RESET: u32 = 5;
    /// CCCR IOEx bit 1 was written.
    pub const FUNC_ENABLE: u32 = 6;
}

/// Message kinds from the model to the host (what the model writes).
pub mod from_model {
    /// Queue an item for the next CMD53 read.
    pub const RX_QUEUE: u32 = 0x81;
    /// Set a register of the idle register file.
    pub const SET_REG: u32 = 0x82;
    /// Raise or clear the card interrupt.
    pub const IRQ: u32 = 0x83;
    /// Inject faults (code in `arg0`, see [`super::fault`]).
    pub const FAULT: u32 = 0x84;
    /// Configure the bus timing model.
    pub const TIMING: u32 = 0x85;
    /// Insert or remove the card.
    pub const CARD_PRESENT: u32 = 0x86;
    /// The model has processed a `CMD53_WRITE`: the host completes the write's request.
    pub const WRITE_DONE: u32 = 0x87;
}

/// The register arguments of `RX_QUEUE` (`arg0` for register 0x000, `arg1` for 0x001): bits
/// 7..0 the value while the item is at the head of the RX queue, bits 15..8 the value of the
/// idle register file once a read consumed the item; bits 31..16 are 0.
pub mod rx_regs {
    /// The bits an argument may use.
    pub const MASK: u32 = 0xffff;

    /// The argument for `head` (while the item is the head) and `idle` (once it is consumed).
    pub const fn encode(head: u8, idle: u8) -> u32 {
        head as u32 | (idle as u32) << 8
    }

    /// `(head, idle)` of an argument, or `None` when it uses bits above [`MASK`].
    pub const fn decode(arg: u32) -> Option<(u8, u8)> {
        if arg & !MASK != 0 {
            return None;
        }
        Some(((arg & 0xff) as u8, (arg >> 8) as u8))
    }
}

/// `BAD_ACCESS` codes (`arg1`).
pub mod bad_access {
    /// A CMD53 read with nothing queued.
    pub const READ_EMPTY: u32 = 1;
    /// A CMD53 read longer than the queued item.
    pub const READ_TOO_LONG: u32 = 2;
    /// A CMD52 to an unmapped function 1 register.
    pub const UNMAPPED_REGISTER: u32 = 3;
    /// An access to a disabled function.
    pub const FUNCTION_DISABLED: u32 = 4;
}

/// `FAULT` codes (`arg0`; the count is `arg1`).
pub mod fault {
    /// Fail the next n CMD53s with `-EIO`.
    pub const CMD53_EIO: u32 = 1;
    /// Fail the next n CMD52s with `-ETIMEDOUT`.
    pub const CMD52_TIMEOUT: u32 = 2;
    /// Raise n interrupts with nothing queued.
    pub const IRQ_STORM: u32 = 3;
}

/// A message header: four little-endian `u32` at offsets 0, 4, 8 and 12.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Message kind ([`to_model`], [`from_model`]).
    pub kind: u32,
    /// First argument.
    pub arg0: u32,
    /// Second argument.
    pub arg1: u32,
    /// Payload bytes that follow.
    pub len: u32,
}

impl Header {
    /// The wire form.
    pub const fn encode(&self) -> [u8; HEADER_LEN] {
        let [k0, k1, k2, k3] = self.kind.to_le_bytes();
        let [a0, a1, a2, a3] = self.arg0.to_le_bytes();
        let [b0, b1, b2, b3] = self.arg1.to_le_bytes();
        let [l0, l1, l2, l3] = self.len.to_le_bytes();
        [
            k0, k1, k2, k3, a0, a1, a2, a3, b0, b1, b2, b3, l0, l1, l2, l3,
        ]
    }

    /// Parses the wire form.
    pub const fn decode(bytes: &[u8; HEADER_LEN]) -> Self {
        let [k0, k1, k2, k3, a0, a1, a2, a3, b0, b1, b2, b3, l0, l1, l2, l3] = *bytes;
        Self {
            kind: u32::from_le_bytes([k0, k1, k2, k3]),
            arg0: u32::from_le_bytes([a0, a1, a2, a3]),
            arg1: u32::from_le_bytes([b0, b1, b2, b3]),
            len: u32::from_le_bytes([l0, l1, l2, l3]),
        }
    }
}
