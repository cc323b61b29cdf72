// SPDX-License-Identifier: GPL-2.0

//! The engine's [`Bus`] over the SDIO function, the interrupt handler's latched byte, and the
//! BH's [`Clock`].
//!
//! [`SdioBus`] lives for one pass: it borrows the host claim the BH made for the pass, the
//! BH's DMA-able buffers and the [`Latch`]. Register accesses are CMD52s on function 1, data
//! transfers single raw CMD53s whose address field is the engine's length and toggle
//! (`FunctionIo::read_cmd53` / `write_cmd53`, never split by the SDIO core).

use kernel::{
    prelude::*,
    sync::atomic::{
        Acquire,
        Atomic,
        Relaxed,
        Release, //
    },
    time::{
        Instant,
        Monotonic, //
    },
};

use crate::engine::bus::{
    transfer_len,
    Bus,
    BusError,
    Clock, //
};
use crate::kernel_ext::sdio::{
    Cmd53Size,
    FunctionIo,
    IoBuffer, //
};
use crate::protocol::{
    sdio_framing::{
        reg,
        Cmd53,
        MAX_RX_BATCH,
        MAX_TX_BATCH, //
    },
    sdio_ids::WLAN_FUNCTION,
};

/// Maps an SDIO core error to the engine's [`BusError`] (docs/chip-protocol.md, "The data port":
/// the R5 flags ERROR, FUNCTION_NUMBER and OUT_OF_RANGE arrive as -EIO, -EINVAL and -ERANGE).
pub(crate) fn bus_error(e: Error) -> BusError {
    if e == ETIMEDOUT {
        BusError::Timeout
    } else if e == EILSEQ {
        BusError::Crc
    } else if e == ENOMEDIUM || e == ENODEV {
        BusError::NoDevice
    } else if e == EINVAL || e == ERANGE {
        BusError::Invalid
    } else {
        BusError::Io
    }
}

/// Bit set in the [`Latch`] word while it holds a byte.
const LATCHED: u32 = 1 << 8;

/// The control byte (register 0x001) the interrupt handler read, handed to the BH.
///
/// The handler must read 0x001 to deassert the level interrupt (docs/interrupt-contract.md);
/// that read is the BH's first look at the register, so the handler [`publish`]es the byte
/// and wakes the BH, which [`take`]s it as the first 0x001 read of its next pass. A later
/// byte replaces an earlier one: each read returns the register's current value. The byte is
/// not interpreted here; the engine validates it like any read of 0x001 (its toggle tells a
/// fresh length from one already consumed).
///
/// [`publish`]: Latch::publish
/// [`take`]: Latch::take
pub(crate) struct Latch(Atomic<u32>);

impl Latch {
    /// An empty latch.
    pub(crate) const fn new() -> Self {
        Self(Atomic::new(0))
    }

    /// Interrupt handler: stores the byte it read. Wake the BH afterwards; the wake's full
    /// ordering publishes the store.
    pub(crate) fn publish(&self, byte: u8) {
        self.0.store(LATCHED | u32::from(byte), Release);
    }

    /// BH: takes the latched byte, if any.
    pub(crate) fn take(&self) -> Option<u8> {
        let v = self.0.xchg(0, Acquire);
        (v & LATCHED != 0).then_some((v & 0xff) as u8)
    }

    /// BH: forgets a latched byte (before WiFi activation: bytes read during the boot belong
    /// to the boot ROM's replies).
    pub(crate) fn clear(&self) {
        self.0.store(0, Relaxed);
    }
}

/// Which register reads of a pass the latched byte answers: the first read of 0x001 only.
pub(crate) struct FirstRead {
    /// The pass has not read 0x001 yet.
    open: bool,
    /// Latched bytes used.
    pub(crate) used: u32,
}

impl FirstRead {
    /// A pass that has read nothing yet.
    pub(crate) const fn new() -> Self {
        Self {
            open: true,
            used: 0,
        }
    }

    /// The value a read of `reg` returns without touching the bus: the latched byte, for the
    /// pass's first read of 0x001 when the handler latched one.
    pub(crate) fn answer(&mut self, reg: u32, latch: &Latch) -> Option<u8> {
        if reg != reg::RX_LEN || !self.open {
            return None;
        }
        self.open = false;
        let byte = latch.take()?;
        self.used += 1;
        Some(byte)
    }
}

/// The BH's DMA-able buffers: one RX batch of the largest size register 0x001 can announce,
/// one TX batch of the largest size the engine builds.
pub(crate) struct Buffers {
    rx: IoBuffer,
    tx: IoBuffer,
}

impl Buffers {
    /// Allocates both buffers.
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            rx: IoBuffer::new(MAX_RX_BATCH, GFP_KERNEL)?,
            tx: IoBuffer::new(MAX_TX_BATCH, GFP_KERNEL)?,
        })
    }
}

/// The engine's bus for one pass, over a host claimed by the BH.
pub(crate) struct SdioBus<'p, 'h> {
    io: &'p FunctionIo<'h>,
    bufs: &'p mut Buffers,
    latch: &'p Latch,
    first: FirstRead,
}

impl<'p, 'h> SdioBus<'p, 'h> {
    /// The bus over `io`, whose host the BH claimed for this pass.
    pub(crate) fn new(io: &'p FunctionIo<'h>, bufs: &'p mut Buffers, latch: &'p Latch) -> Self {
        Self {
            io,
            bufs,
            latch,
            first: FirstRead::new(),
        }
    }

    /// Latched bytes this pass used.
    pub(crate) fn latched_used(&self) -> u32 {
        self.first.used
    }
}

/// The SDIO core's size of a CMD53 the engine built.
fn cmd53_size(cmd: &Cmd53, write: bool) -> Result<Cmd53Size, BusError> {
    if cmd.write != write || cmd.function != WLAN_FUNCTION {
        return Err(BusError::Invalid);
    }
    Ok(if cmd.block_mode {
        Cmd53Size::Blocks(u32::from(cmd.count))
    } else if cmd.count == 0 {
        Cmd53Size::Bytes(512)
    } else {
        Cmd53Size::Bytes(u32::from(cmd.count))
    })
}

impl Bus for SdioBus<'_, '_> {
    fn read_reg(&mut self, reg: u32) -> Result<u8, BusError> {
        if let Some(byte) = self.first.answer(reg, self.latch) {
            return Ok(byte);
        }
        self.io.read_u8(reg).map_err(bus_error)
    }

    fn write_reg(&mut self, reg: u32, value: u8) -> Result<(), BusError> {
        self.io.write_u8(reg, value).map_err(bus_error)
    }

    fn rx_capacity(&self) -> usize {
        self.bufs.rx.len()
    }

    fn read_data(&mut self, cmd: Cmd53) -> Result<&[u8], BusError> {
        let size = cmd53_size(&cmd, false)?;
        let n = transfer_len(&cmd);
        if n > self.bufs.rx.len() {
            return Err(BusError::Invalid);
        }
        self.io
            .read_cmd53(cmd.address, cmd.increment, size, &mut self.bufs.rx)
            .map_err(bus_error)?;
        self.bufs.rx.get(..n).ok_or(BusError::Invalid)
    }

    fn tx_buffer(&mut self) -> &mut [u8] {
        &mut self.bufs.tx
    }

    fn write_data(&mut self, cmd: Cmd53) -> Result<(), BusError> {
        let size = cmd53_size(&cmd, true)?;
        if transfer_len(&cmd) > self.bufs.tx.len() {
            return Err(BusError::Invalid);
        }
        self.io
            .write_cmd53(cmd.address, cmd.increment, size, &self.bufs.tx)
            .map_err(bus_error)
    }
}

/// The monotonic clock, in µs since the BH started.
pub(crate) struct MonoClock {
    origin: Instant<Monotonic>,
}

impl MonoClock {
    /// A clock starting now.
    pub(crate) fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Clock for MonoClock {
    fn now_us(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos() / 1000).unwrap_or(0)
    }
}
