// SPDX-License-Identifier: GPL-2.0

//! The bus seam: what the bottom half needs from the SDIO bus, and a clock.
//!
//! Everything the BH does on the wire (docs/chip-protocol.md, "The SDIO bus") is a CMD52 access to
//! a function-1 register or one CMD53 on the data port, whose address field carries the transfer
//! length and a toggle bit rather than an address ([`Cmd53`],
//! [`crate::protocol::sdio_framing::DataAddress`]). [`Bus`] is exactly that and nothing else; the
//! kernel shell implements it over `FunctionIo` with the host claimed, the tests over the chip
//! model.
//!
//! The bus owns its DMA-able buffers and lends them: an RX batch is read into the bus's RX
//! buffer and handed back as a slice ([`Bus::read_data`]); a TX batch is built directly in
//! the bus's TX buffer ([`Bus::tx_buffer`]) and written from there ([`Bus::write_data`]).
//! The TX buffer is left untouched between a failed write and its retry.

use core::fmt;

use crate::protocol::sdio_framing::{
    Cmd53,
    Doorbell,
    BLOCK_SIZE, //
};

/// Why a bus operation failed.
///
/// A failed operation had no effect on the chip: a failed CMD53 write was not delivered, a
/// failed CMD53 read did not consume the batch, a failed CMD52 neither stored nor read (the
/// virtual SDIO host's contract, `tests/vsdio/ABI.md`, and what the vendor's retries assume,
/// docs/chip-protocol.md, "The data port", "Toggles").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusError {
    /// The transfer failed (-EIO, an R5 error flag).
    Io,
    /// The command timed out (-ETIMEDOUT).
    Timeout,
    /// A data CRC error (-EILSEQ); the vendor retries these.
    Crc,
    /// The card is gone (-ENOMEDIUM, -ENODEV).
    NoDevice,
    /// The request was refused before reaching the card (-EINVAL, -ERANGE: a bad argument
    /// or a buffer too small for the transfer).
    Invalid,
}

impl fmt::Display for BusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            BusError::Io => "I/O error",
            BusError::Timeout => "timeout",
            BusError::Crc => "CRC error",
            BusError::NoDevice => "no device",
            BusError::Invalid => "invalid request",
        };
        f.write_str(s)
    }
}

/// The SDIO function 1 of the chip, as the bottom half uses it.
///
/// Implementations run with the host claimed (or claim it per call) and may sleep. Every
/// method reports failure through [`BusError`]; none may panic.
pub trait Bus {
    /// CMD52 read of the function-1 register `reg` (e.g.
    /// [`crate::protocol::sdio_framing::reg::RX_LEN`]).
    fn read_reg(&mut self, reg: u32) -> Result<u8, BusError>;

    /// CMD52 write of `value` to the function-1 register `reg`.
    fn write_reg(&mut self, reg: u32, value: u8) -> Result<(), BusError>;

    /// Length of the RX buffer [`Self::read_data`] reads into. Size it
    /// [`crate::protocol::sdio_framing::MAX_RX_BATCH`] to accept every batch the length
    /// register can announce; a larger announcement is reported as a chip violation.
    fn rx_capacity(&self) -> usize;

    /// One CMD53 read exactly as `cmd` describes it (function, block or byte mode, count,
    /// and the address field: length and toggle) into the RX buffer; returns the
    /// [`transfer_len`] bytes read.
    fn read_data(&mut self, cmd: Cmd53) -> Result<&[u8], BusError>;

    /// The TX buffer the next batch is built in. Size it
    /// [`crate::protocol::sdio_framing::MAX_TX_BATCH`] (a whole number of blocks) to never
    /// limit a batch.
    fn tx_buffer(&mut self) -> &mut [u8];

    /// One CMD53 write exactly as `cmd` describes it, of the first [`transfer_len`] bytes of
    /// the TX buffer.
    fn write_data(&mut self, cmd: Cmd53) -> Result<(), BusError>;
}

/// A monotonic clock for timeouts and the timestamp trailer.
pub trait Clock {
    /// Microseconds since an arbitrary fixed origin; never goes backwards.
    fn now_us(&self) -> u64;
}

/// Bytes a CMD53 moves: `count` blocks of [`BLOCK_SIZE`] in block mode, `count` bytes in
/// byte mode (0 meaning 512).
pub const fn transfer_len(cmd: &Cmd53) -> usize {
    let count = cmd.count as usize;
    if cmd.block_mode {
        count * BLOCK_SIZE
    } else if count == 0 {
        BLOCK_SIZE
    } else {
        count
    }
}

/// Rings the doorbell: the high byte to 0x121 first, then the low byte to 0x120, which
/// triggers the device (docs/chip-protocol.md, "Registers"). The ring bit is always set.
pub fn ring<B: Bus + ?Sized>(bus: &mut B, bits: u16) -> Result<(), BusError> {
    for (reg, value) in Doorbell::ring(bits).writes() {
        bus.write_reg(reg, value)?;
    }
    Ok(())
}
