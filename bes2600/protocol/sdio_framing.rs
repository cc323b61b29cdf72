// SPDX-License-Identifier: GPL-2.0

//! SDIO framing: function-1 registers, the CMD53 argument, RX batches and TX batches
//! (docs/chip-protocol.md, "The SDIO bus").
//!
//! # Data port addressing
//!
//! Every data transfer is a CMD53 on function 1 with the incrementing-address op code,
//! and the 17-bit "register address" is not an address: bits 15..0 carry the transfer
//! length (for TX batches: the batch length with bits 1..0 replaced by the slot code) and
//! bit 16 a per-direction toggle bit once the firmware runs ([`DataAddress`], [`Cmd53`]).
//!
//! # RX
//!
//! Reading register 0x001 ([`LengthReg`]) acknowledges the interrupt and yields a toggle
//! bit and the size of the pending batch in 512-byte units. A fresh value (toggle equal
//! to the expected one, see [`Toggles::accept_length`]) is then read with one CMD53 of
//! exactly that many bytes and split by [`RxBatch::parse`]: up to 16 WSM messages back to
//! back, each padded to a multiple of 4, ended by the batch end or a zero length.
//!
//! # TX
//!
//! [`TxBatchBuilder`] packs up to 16 messages that need the same slot size (512, 1024,
//! 1536 or 1632 bytes) into one buffer; each message is followed by a 4-byte host
//! timestamp trailer (not counted in its WSM length) and zero padding to the slot end.
//! MCU-channel (0x0Cxx) messages travel alone.
//!
//! ## The timestamp trailer — decision
//!
//! The vendor driver always transfers WSM length + 4 bytes: `bh.c` adds 4 to the length
//! under `BES2600_HOST_TIMESTAMP_DEBUG`, which the Makefile defines unconditionally, and
//! the 4 bytes hold a millisecond timestamp written by `wsm_cmd_send` (commands) or the
//! queue code (data), but only when the buffer has room — otherwise they are stale
//! memory. Because the firmware cannot rely on bytes the host may leave stale, the
//! trailer cannot carry protocol meaning; but it does change the slot size (a message of
//! 509..512 bytes travels in a 1024-byte slot) and it is what every shipped firmware has
//! seen. This crate therefore emits it by default ([`TxOptions::timestamp_trailer`]),
//! filled with the caller's timestamp, and lets it be switched off for experiments. The
//! firmware finds messages by slot and reads the WSM length itself; the trailer sits
//! right after the message (unaligned) inside the slot.

use super::codec::{
    align4,
    Reader,
    Writer, //
};
use super::error::Error;
use super::sdio_ids::WLAN_FUNCTION;
use super::wsm_header::{
    self,
    Header,
    MsgClass,
    HEADER_LEN, //
};

/// Register addresses on function 1 (CMD52, byte wide; multi-byte values little endian).
pub mod reg {
    /// Runtime: bit 0 = nothing pending (read when 0x001 is 0). Boot: low byte of the
    /// u16 "bytes ready for the host".
    pub const CTRL: u32 = 0x000;
    /// Runtime: bit 7 toggle, bits 6..0 RX batch size in 512-byte units; reading it
    /// acknowledges the device interrupt. Boot: high byte of the "bytes ready" u16.
    pub const RX_LEN: u32 = 0x001;
    /// Legacy 4-byte RX descriptor (not used by the shipped configuration).
    pub const NEXT_LEN_LEGACY: u32 = 0x104;
    /// Boot: device RX buffer count.
    pub const BOOT_BUF_COUNT: u32 = 0x108;
    /// Boot: u16 LE maximum length of one host→device boot message (0x109..0x10A).
    pub const BOOT_MAX_LEN: u32 = 0x109;
    /// Slave status ([`super::SlaveStatus`]).
    pub const SLAVE_STATUS: u32 = 0x10C;
    /// Doorbell low byte; writing it (with bit 0 set) rings the device.
    pub const HOST_INT_LOW: u32 = 0x120;
    /// Doorbell high byte; always written before the low byte.
    pub const HOST_INT_HIGH: u32 = 0x121;
    /// Device→host wake configuration ([`super::ApWakeupConfig`]).
    pub const AP_WAKEUP: u32 = 0x124;
}

/// Block size all batch math assumes.
pub const BLOCK_SIZE: usize = 512;

/// RX length register unit.
pub const RX_UNIT: usize = 512;

/// Largest RX batch the length register can announce (127 × 512).
pub const MAX_RX_BATCH: usize = 127 * RX_UNIT;

/// RX buffer the vendor driver reads into (16 × 1632; whole pages: 32 KiB).
pub const RX_BUFFER_LEN: usize = RX_MAX_MESSAGES * MAX_SLOT;

/// Largest number of messages in one RX batch.
pub const RX_MAX_MESSAGES: usize = 16;

/// Largest number of messages in one TX batch (signalling firmware).
pub const TX_MAX_MESSAGES: usize = 16;

/// Largest number of messages in one TX batch with the RF-test firmware.
pub const TX_MAX_MESSAGES_NOSIGNAL: usize = 1;

/// Largest slot, and the largest message after the first one of an RX batch.
pub const MAX_SLOT: usize = 1632;

/// Length of the host timestamp trailer after each TX message.
pub const TRAILER_LEN: usize = 4;

/// Largest TX batch (16 slots of 1632 bytes, exactly 51 blocks).
pub const MAX_TX_BATCH: usize = TX_MAX_MESSAGES * MAX_SLOT;

/// Register 0x001 at runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LengthReg {
    /// Bit 7.
    pub toggle: bool,
    /// Bits 6..0: batch size in 512-byte units (0 = nothing).
    pub units: u8,
}

impl LengthReg {
    /// Decodes the register byte.
    pub const fn from_byte(b: u8) -> Self {
        Self {
            toggle: b & 0x80 != 0,
            units: b & 0x7F,
        }
    }

    /// Encodes the register byte (units masked to 7 bits).
    pub const fn to_byte(self) -> u8 {
        ((self.toggle as u8) << 7) | (self.units & 0x7F)
    }

    /// Batch length in bytes.
    pub const fn len(self) -> usize {
        (self.units & 0x7F) as usize * RX_UNIT
    }

    /// Whether the register announces nothing.
    pub const fn is_empty(self) -> bool {
        self.units & 0x7F == 0
    }

    /// The register value announcing a batch of `len` bytes (rounded up to 512) with
    /// toggle `toggle` (for the emulated chip).
    pub fn for_batch(len: usize, toggle: bool) -> Result<Self, Error> {
        let units = len.div_ceil(RX_UNIT);
        if units == 0 || units > 127 {
            return Err(Error::BadLength {
                len,
                limit: MAX_RX_BATCH,
            });
        }
        Ok(Self {
            toggle,
            units: units as u8,
        })
    }
}

/// Runtime meaning of register 0x000 when register 0x001 reads 0: bit 0 set means the
/// device has nothing pending (stop polling); clear means "maybe more".
pub const fn ctrl_nothing_pending(ctrl: u8) -> bool {
    ctrl & 1 != 0
}

/// The boot-phase u16 "bytes ready for the host" from registers 0x000 (low) and 0x001.
pub const fn boot_ready_len(low: u8, high: u8) -> u16 {
    u16::from_le_bytes([low, high])
}

/// Reads of the boot-phase length, until two in a row agree.
///
/// The two bytes are two CMD52 reads, and the chip may be writing the length between them
/// while the host polls without an interrupt: the low byte of the old value and the high
/// byte of the new one make a length the chip never announced (0x3B00 for the 0x3B14-byte
/// DPD data, seen on the emulated chip). A length counts once a second read gives the same
/// non-zero value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BootLengthReads {
    last: u16,
}

impl BootLengthReads {
    /// No read yet.
    pub const fn new() -> Self {
        Self { last: 0 }
    }

    /// One read of registers 0x000 (`low`) and 0x001 (`high`): the announced length once it
    /// was read twice in a row, `None` while it is 0 or not yet confirmed.
    pub fn observe(&mut self, low: u8, high: u8) -> Option<u16> {
        let len = boot_ready_len(low, high);
        let confirmed = len != 0 && len == self.last;
        self.last = len;
        confirmed.then_some(len)
    }
}

/// Outcome of reading the length register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RxPoll {
    /// A fresh batch of this many bytes is ready to be read.
    Batch(usize),
    /// A non-zero length whose toggle was already consumed: nothing new, poll again.
    Stale,
    /// Zero length: read register 0x000 to learn whether more may come.
    Empty,
}

/// The three one-bit sequence flags of the bus (docs/chip-protocol.md, "Toggles"): the toggle of
/// CMD53 writes, the toggle of CMD53 reads and the expected toggle of register 0x001.
/// All start at 0 and are reset together when the WiFi subsystem is (re)activated.
/// Toggles are only used once the firmware runs; boot transfers carry none.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Toggles {
    tx: bool,
    rx: bool,
    next_len: bool,
}

impl Toggles {
    /// All flags 0.
    pub const fn new() -> Self {
        Self {
            tx: false,
            rx: false,
            next_len: false,
        }
    }

    /// Resets all flags to 0.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Classifies a length-register value; a fresh one flips the expected toggle.
    pub fn accept_length(&mut self, reg: LengthReg) -> RxPoll {
        if reg.is_empty() {
            RxPoll::Empty
        } else if reg.toggle == self.next_len {
            self.next_len = !self.next_len;
            RxPoll::Batch(reg.len())
        } else {
            RxPoll::Stale
        }
    }

    /// The toggle for the next CMD53 write; advances it.
    pub fn take_tx(&mut self) -> bool {
        let t = self.tx;
        self.tx = !t;
        t
    }

    /// Rolls the write toggle back after a failed write, so the retry reuses it.
    pub fn undo_tx(&mut self) {
        self.tx = !self.tx;
    }

    /// The toggle for the next CMD53 read; advances it.
    pub fn take_rx(&mut self) -> bool {
        let t = self.rx;
        self.rx = !t;
        t
    }

    /// Rolls the read toggle back after a failed read.
    pub fn undo_rx(&mut self) {
        self.rx = !self.rx;
    }

    /// The toggle expected in the next fresh length-register value.
    pub const fn expected_length_toggle(&self) -> bool {
        self.next_len
    }
}

/// Register 0x10C slave status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlaveStatus(pub u8);

impl SlaveStatus {
    /// MCU ready.
    pub const MCU_READY: u8 = 1 << 0;
    /// DPD calibration data ready.
    pub const DPD_READY: u8 = 1 << 1;
    /// WiFi ready.
    pub const WIFI_READY: u8 = 1 << 2;
    /// BT ready.
    pub const BT_READY: u8 = 1 << 3;
    /// MCU awake.
    pub const MCU_WAKEUP_READY: u8 = 1 << 4;
    /// BT awake.
    pub const BT_WAKE_READY: u8 = 1 << 5;
    /// DPD log ready.
    pub const DPD_LOG_READY: u8 = 1 << 6;

    /// Whether every bit of `bits` is set.
    pub const fn has(self, bits: u8) -> bool {
        self.0 & bits == bits
    }
}

/// The 16-bit doorbell at 0x120 (low byte) / 0x121 (high byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Doorbell(pub u16);

impl Doorbell {
    /// The "ring" bit; always set.
    pub const HOST_INT: u16 = 1 << 0;
    /// Apply the wake configuration in 0x124.
    pub const AP_WAKEUP_CFG: u16 = 1 << 1;
    /// Deactivate the MCU.
    pub const MCU_DEACTIVE: u16 = 1 << 2;
    /// Activate the MCU.
    pub const MCU_ACTIVE: u16 = 1 << 3;
    /// Deactivate WiFi.
    pub const WIFI_DEACTIVE: u16 = 1 << 4;
    /// Activate WiFi.
    pub const WIFI_ACTIVE: u16 = 1 << 5;
    /// Ask the firmware to dump its state.
    pub const WIFI_DEBUG: u16 = 1 << 6;
    /// Deactivate BT.
    pub const BT_DEACTIVE: u16 = 1 << 7;
    /// Activate BT.
    pub const BT_ACTIVE: u16 = 1 << 8;
    /// Close the system.
    pub const SYSTEM_CLOSE: u16 = 1 << 9;
    /// Wake BT.
    pub const BT_WAKEUP: u16 = 1 << 10;
    /// Let BT sleep.
    pub const BT_SLEEP: u16 = 1 << 11;

    /// A doorbell value with `bits` and the ring bit.
    pub const fn ring(bits: u16) -> Self {
        Self(bits | Self::HOST_INT)
    }

    /// The two CMD52 writes in the order they must be issued: high byte to 0x121 first,
    /// then low byte to 0x120 (which triggers the device).
    pub const fn writes(self) -> [(u32, u8); 2] {
        let b = self.0.to_le_bytes();
        [(reg::HOST_INT_HIGH, b[1]), (reg::HOST_INT_LOW, b[0])]
    }

    /// Reassembles a doorbell from the bytes written to 0x120 and 0x121.
    pub const fn from_bytes(low: u8, high: u8) -> Self {
        Self(u16::from_le_bytes([low, high]))
    }
}

/// A subsystem of the activate/deactivate handshake (docs/chip-protocol.md, "Subsystem handshake").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subsystem {
    /// The MCU.
    Mcu,
    /// WiFi.
    Wifi,
    /// BT.
    Bt,
    /// BT low power.
    BtLowPower,
}

impl Subsystem {
    /// Doorbell bit that activates the subsystem.
    pub const fn activate_bit(self) -> u16 {
        match self {
            Subsystem::Mcu => Doorbell::MCU_ACTIVE,
            Subsystem::Wifi => Doorbell::WIFI_ACTIVE,
            Subsystem::Bt => Doorbell::BT_ACTIVE,
            Subsystem::BtLowPower => Doorbell::BT_WAKEUP,
        }
    }

    /// Doorbell bit that deactivates the subsystem.
    pub const fn deactivate_bit(self) -> u16 {
        match self {
            Subsystem::Mcu => Doorbell::MCU_DEACTIVE,
            Subsystem::Wifi => Doorbell::WIFI_DEACTIVE,
            Subsystem::Bt => Doorbell::BT_DEACTIVE,
            Subsystem::BtLowPower => Doorbell::BT_SLEEP,
        }
    }

    /// Status bit that reports the subsystem active (cleared when deactivated).
    pub const fn ready_bit(self) -> u8 {
        match self {
            Subsystem::Mcu => SlaveStatus::MCU_WAKEUP_READY,
            Subsystem::Wifi => SlaveStatus::WIFI_READY,
            Subsystem::Bt => SlaveStatus::BT_READY,
            Subsystem::BtLowPower => SlaveStatus::BT_WAKE_READY,
        }
    }

    /// Poll period of the activation handshake in ms.
    pub const fn activate_poll_ms(self) -> u32 {
        match self {
            Subsystem::Mcu | Subsystem::BtLowPower => 2,
            Subsystem::Wifi | Subsystem::Bt => 25,
        }
    }
}

/// Register 0x124 device→host wake configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApWakeupConfig {
    /// Bit 7: configuration valid.
    pub valid: bool,
    /// Bits 3..2: 0 GPIO, 1 interface.
    pub wake_type: u8,
    /// Bits 1..0: GPIO mode 0 high, 1 low, 2 rising, 3 falling.
    pub gpio_mode: u8,
}

impl ApWakeupConfig {
    /// Encodes the register byte.
    pub const fn to_byte(self) -> u8 {
        ((self.valid as u8) << 7) | ((self.wake_type & 3) << 2) | (self.gpio_mode & 3)
    }

    /// Decodes the register byte.
    pub const fn from_byte(b: u8) -> Self {
        Self {
            valid: b & 0x80 != 0,
            wake_type: (b >> 2) & 3,
            gpio_mode: b & 3,
        }
    }
}

/// The BES meaning of the CMD53 17-bit address field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DataAddress {
    /// Bits 15..0: transfer length (TX batches: length | slot code).
    pub len: u16,
    /// Bit 16: direction toggle (only after the firmware started).
    pub toggle: bool,
}

impl DataAddress {
    /// The 17-bit field.
    pub const fn to_field(self) -> u32 {
        (self.len as u32) | ((self.toggle as u32) << 16)
    }

    /// Decodes a 17-bit field (higher bits ignored).
    pub const fn from_field(f: u32) -> Self {
        Self {
            len: f as u16,
            toggle: f & (1 << 16) != 0,
        }
    }
}

/// A CMD53 (IO_RW_EXTENDED) argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cmd53 {
    /// Bit 31: write.
    pub write: bool,
    /// Bits 30..28: function number.
    pub function: u8,
    /// Bit 27: block mode.
    pub block_mode: bool,
    /// Bit 26: incrementing address.
    pub increment: bool,
    /// Bits 25..9: register address (for this chip a [`DataAddress`] field).
    pub address: u32,
    /// Bits 8..0: block count (block mode) or byte count (0 = 512).
    pub count: u16,
}

impl Cmd53 {
    /// The 32-bit argument; fails if a field is out of range.
    pub fn to_arg(&self) -> Result<u32, Error> {
        if self.function > 7 {
            return Err(Error::InvalidField {
                field: "cmd53 function",
                value: u32::from(self.function),
            });
        }
        if self.address > 0x1_FFFF {
            return Err(Error::InvalidField {
                field: "cmd53 address",
                value: self.address,
            });
        }
        if self.count > 0x1FF {
            return Err(Error::InvalidField {
                field: "cmd53 count",
                value: u32::from(self.count),
            });
        }
        Ok((u32::from(self.write) << 31)
            | (u32::from(self.function) << 28)
            | (u32::from(self.block_mode) << 27)
            | (u32::from(self.increment) << 26)
            | (self.address << 9)
            | u32::from(self.count))
    }

    /// Decodes a 32-bit argument.
    pub const fn from_arg(arg: u32) -> Self {
        Self {
            write: arg & (1 << 31) != 0,
            function: ((arg >> 28) & 7) as u8,
            block_mode: arg & (1 << 27) != 0,
            increment: arg & (1 << 26) != 0,
            address: (arg >> 9) & 0x1_FFFF,
            count: (arg & 0x1FF) as u16,
        }
    }

    /// The command the vendor driver issues for a data transfer of `len` bytes with
    /// address field `addr`: block mode with ⌈len/512⌉ blocks when `len` > 512 or
    /// `force_block` (TX batches always use block mode), else one byte-mode transfer
    /// (count 512 encoded as 0).
    pub fn data(
        write: bool,
        addr: DataAddress,
        len: usize,
        force_block: bool,
    ) -> Result<Self, Error> {
        if len == 0 {
            return Err(Error::BadLength { len, limit: 1 });
        }
        let (block_mode, count) = if len > BLOCK_SIZE || force_block {
            (true, len.div_ceil(BLOCK_SIZE))
        } else {
            (false, len % BLOCK_SIZE)
        };
        let count = u16::try_from(count)
            .ok()
            .filter(|&c| c <= 0x1FF)
            .ok_or(Error::BadLength {
                len,
                limit: 511 * BLOCK_SIZE,
            })?;
        Ok(Self {
            write,
            function: WLAN_FUNCTION,
            block_mode,
            increment: true,
            address: addr.to_field(),
            count,
        })
    }
}

/// A validated RX batch: up to 16 messages found in a buffer read from the device.
#[derive(Debug, Clone, Copy)]
pub struct RxBatch<'a> {
    data: &'a [u8],
    spans: [(u16, u16); RX_MAX_MESSAGES],
    count: usize,
    consumed: usize,
}

impl<'a> RxBatch<'a> {
    /// Parses the batch in `buf[..announced]`.
    ///
    /// `announced` is the length the device announced through register 0x001 (the CMD53
    /// read length); `buf` may be larger (the whole DMA buffer). Rules
    /// (docs/chip-protocol.md, "RX batches"; vendor `bes2600_sdio_packets_check`):
    ///
    /// * `announced` must be non-zero, a multiple of 4 and fit in `buf`;
    /// * each message starts 4-aligned with a WSM header; a zero length ends the batch;
    ///   a length 1..=3 is an error;
    /// * every message (rounded up to 4) must end inside the batch;
    /// * only the first message may be longer than 1632 bytes (the vendor tolerates it);
    /// * at most 16 messages; a 17th non-zero header is reported as an error rather than
    ///   dropped silently as the vendor does (its loss would show up later as a
    ///   sequence error anyway).
    pub fn parse(buf: &'a [u8], announced: usize) -> Result<Self, Error> {
        let data = buf.get(..announced).ok_or(Error::BatchLength {
            announced,
            buffer: buf.len(),
        })?;
        if announced == 0 || announced % 4 != 0 {
            return Err(Error::BatchLength {
                announced,
                buffer: buf.len(),
            });
        }
        let mut spans = [(0u16, 0u16); RX_MAX_MESSAGES];
        let mut count = 0;
        let mut offset = 0usize;
        while offset < announced {
            let rest = data.get(offset..).unwrap_or(&[]);
            let h = Header::parse(rest)?;
            let len = usize::from(h.len);
            if len == 0 {
                break;
            }
            if len < HEADER_LEN {
                return Err(Error::BadLength {
                    len,
                    limit: HEADER_LEN,
                });
            }
            // len ≤ 65535, so no overflow.
            let padded = align4(len).unwrap_or(usize::MAX);
            if count >= RX_MAX_MESSAGES {
                return Err(Error::TooMany {
                    field: "rx batch messages",
                    count: count + 1,
                    max: RX_MAX_MESSAGES,
                });
            }
            if count > 0 && padded > MAX_SLOT {
                return Err(Error::MessageTooLarge {
                    index: count,
                    len: padded,
                });
            }
            let end = offset
                .checked_add(padded)
                .filter(|&e| e <= announced)
                .ok_or(Error::MessageOverrun {
                    index: count,
                    offset,
                    len: padded,
                    batch: announced,
                })?;
            // Both values are < announced ≤ 65535 · … (len fits u16; offset checked).
            let off16 = u16::try_from(offset).map_err(|_| Error::BatchLength {
                announced,
                buffer: usize::from(u16::MAX),
            })?;
            if let Some(s) = spans.get_mut(count) {
                *s = (off16, h.len);
            }
            count += 1;
            offset = end;
        }
        Ok(Self {
            data,
            spans,
            count,
            consumed: offset,
        })
    }

    /// Number of messages.
    pub const fn len(&self) -> usize {
        self.count
    }

    /// Whether the batch holds no message (only a terminator).
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes covered by the messages (the rest of the batch is padding).
    pub const fn consumed(&self) -> usize {
        self.consumed
    }

    /// Message `i` (exactly its WSM length).
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.count {
            return None;
        }
        let &(off, len) = self.spans.get(i)?;
        let off = usize::from(off);
        self.data.get(off..off.checked_add(usize::from(len))?)
    }

    /// Iterates over the messages.
    pub fn iter(&self) -> RxBatchIter<'a, '_> {
        RxBatchIter { batch: self, i: 0 }
    }
}

/// Iterator over the messages of an [`RxBatch`].
#[derive(Debug)]
pub struct RxBatchIter<'a, 'b> {
    batch: &'b RxBatch<'a>,
    i: usize,
}

impl<'a> Iterator for RxBatchIter<'a, '_> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let m = self.batch.get(self.i)?;
        self.i += 1;
        Some(m)
    }
}

/// Builds an RX batch (what the emulated chip sends): messages 4-aligned back to back,
/// zero padding (which doubles as the terminator) up to a multiple of 512.
#[derive(Debug)]
pub struct RxBatchBuilder<'a> {
    w: Writer<'a>,
    count: usize,
}

impl<'a> RxBatchBuilder<'a> {
    /// Starts a batch in `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self {
            w: Writer::new(buf),
            count: 0,
        }
    }

    /// Appends a WSM message (its header length must equal `msg.len()`).
    pub fn push(&mut self, msg: &[u8]) -> Result<(), Error> {
        let (h, _, _) = wsm_header::split(msg)?;
        if usize::from(h.len) != msg.len() {
            return Err(Error::BadLength {
                len: msg.len(),
                limit: usize::from(h.len),
            });
        }
        if self.count >= RX_MAX_MESSAGES {
            return Err(Error::BatchFull {
                max: RX_MAX_MESSAGES,
            });
        }
        let padded = align4(msg.len()).unwrap_or(usize::MAX);
        if self.count > 0 && padded > MAX_SLOT {
            return Err(Error::MessageTooLarge {
                index: self.count,
                len: padded,
            });
        }
        let total = self.w.position().saturating_add(padded);
        if total > MAX_RX_BATCH {
            return Err(Error::BadLength {
                len: total,
                limit: MAX_RX_BATCH,
            });
        }
        if self.w.remaining() < padded {
            return Err(Error::BufferTooSmall {
                needed: padded,
                available: self.w.remaining(),
            });
        }
        self.w.bytes(msg)?;
        self.w.zeros(padded - msg.len())?;
        self.count += 1;
        Ok(())
    }

    /// Number of messages so far.
    pub const fn len(&self) -> usize {
        self.count
    }

    /// Whether no message was added.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Pads to a multiple of 512 and returns the length register value to announce and
    /// the batch length.
    pub fn finish(mut self, toggle: bool) -> Result<(LengthReg, usize), Error> {
        let used = self.w.position();
        let total = used.div_ceil(RX_UNIT).max(1) * RX_UNIT;
        self.w.zeros(total - used)?;
        Ok((LengthReg::for_batch(total, toggle)?, total))
    }
}

/// TX slot size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// 512 bytes, code 0.
    S512,
    /// 1024 bytes, code 1.
    S1024,
    /// 1536 bytes, code 2.
    S1536,
    /// 1632 bytes, code 3.
    S1632,
}

impl Slot {
    /// The slot needed for a transfer of `len` bytes (message, trailer, 4-alignment):
    /// ⌈len/512⌉ blocks, 4 blocks meaning 1632 bytes. Longer than 1632 is an error (the
    /// vendor truncates 1633..=2048 and drops longer ones).
    pub const fn for_len(len: usize) -> Option<Slot> {
        match len {
            0 => None,
            1..=512 => Some(Slot::S512),
            513..=1024 => Some(Slot::S1024),
            1025..=1536 => Some(Slot::S1536),
            1537..=MAX_SLOT => Some(Slot::S1632),
            _ => None,
        }
    }

    /// Slot size in bytes.
    pub const fn size(self) -> usize {
        match self {
            Slot::S512 => 512,
            Slot::S1024 => 1024,
            Slot::S1536 => 1536,
            Slot::S1632 => MAX_SLOT,
        }
    }

    /// The code in bits 1..0 of the address field (blocks − 1).
    pub const fn code(self) -> u16 {
        match self {
            Slot::S512 => 0,
            Slot::S1024 => 1,
            Slot::S1536 => 2,
            Slot::S1632 => 3,
        }
    }

    /// The slot of an address-field code.
    pub const fn from_code(code: u16) -> Slot {
        match code & 3 {
            0 => Slot::S512,
            1 => Slot::S1024,
            2 => Slot::S1536,
            _ => Slot::S1632,
        }
    }
}

/// Options of a TX batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxOptions {
    /// Most messages per batch ([`TX_MAX_MESSAGES`], or [`TX_MAX_MESSAGES_NOSIGNAL`] with
    /// the RF-test firmware).
    pub max_messages: usize,
    /// Append the 4-byte host timestamp trailer (see the module docs).
    pub timestamp_trailer: bool,
}

impl Default for TxOptions {
    fn default() -> Self {
        Self {
            max_messages: TX_MAX_MESSAGES,
            timestamp_trailer: true,
        }
    }
}

/// A finished TX batch, ready for one block-mode CMD53 write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxBatch {
    /// Number of messages.
    pub count: usize,
    /// Slot size of every message.
    pub slot: Slot,
    /// Batch length: count × slot size.
    pub len: usize,
}

impl TxBatch {
    /// The 16 low bits of the address field: length with bits 1..0 = slot code.
    pub const fn address_len(&self) -> u16 {
        // len ≤ 16 × 1632 = 26112 and is a multiple of 4.
        (self.len as u16 & !3) | self.slot.code()
    }

    /// The address field with toggle `toggle`.
    pub const fn address(&self, toggle: bool) -> DataAddress {
        DataAddress {
            len: self.address_len(),
            toggle,
        }
    }

    /// Number of 512-byte blocks of the write.
    pub const fn blocks(&self) -> usize {
        self.len.div_ceil(BLOCK_SIZE)
    }

    /// Bytes actually clocked out: whole blocks (the tail after `len` is zeroed).
    pub const fn transfer_len(&self) -> usize {
        self.blocks() * BLOCK_SIZE
    }

    /// The CMD53 argument of the write.
    pub fn cmd53(&self, toggle: bool) -> Result<Cmd53, Error> {
        Cmd53::data(true, self.address(toggle), self.len, true)
    }
}

/// Builds a TX batch into a caller-provided buffer.
///
/// Slot tails and the block padding are zeroed (the vendor driver sends stale memory
/// there, docs/chip-protocol.md, "Pitfalls in the vendor driver").
#[derive(Debug)]
pub struct TxBatchBuilder<'a> {
    buf: &'a mut [u8],
    opts: TxOptions,
    slot: Option<Slot>,
    count: usize,
    mcu: bool,
}

impl<'a> TxBatchBuilder<'a> {
    /// Starts an empty batch in `buf` (size it [`MAX_TX_BATCH`] to never run short).
    pub fn new(buf: &'a mut [u8], opts: TxOptions) -> Self {
        Self {
            buf,
            opts,
            slot: None,
            count: 0,
            mcu: false,
        }
    }

    /// Number of messages so far.
    pub const fn len(&self) -> usize {
        self.count
    }

    /// Whether the batch is empty.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The slot size of the batch, once a message was added.
    pub const fn slot(&self) -> Option<Slot> {
        self.slot
    }

    /// The slot a message of `msg_len` bytes needs with these options.
    pub fn slot_for(&self, msg_len: usize) -> Result<Slot, Error> {
        let trailer = if self.opts.timestamp_trailer {
            TRAILER_LEN
        } else {
            0
        };
        let need = msg_len
            .checked_add(trailer)
            .and_then(align4)
            .unwrap_or(usize::MAX);
        Slot::for_len(need).ok_or(Error::MessageTooLarge {
            index: self.count,
            len: need,
        })
    }

    /// Checks whether `msg` (a complete WSM message) can join this batch, without adding
    /// it. Errors: bad header, too large, [`Error::SlotMismatch`], [`Error::BatchFull`],
    /// [`Error::McuMessageNotAlone`], [`Error::BufferTooSmall`].
    pub fn check(&self, msg: &[u8]) -> Result<Slot, Error> {
        self.classify(msg).map(|(slot, _)| slot)
    }

    fn classify(&self, msg: &[u8]) -> Result<(Slot, bool), Error> {
        let (h, _, _) = wsm_header::split(msg)?;
        if usize::from(h.len) != msg.len() {
            return Err(Error::BadLength {
                len: msg.len(),
                limit: usize::from(h.len),
            });
        }
        let slot = self.slot_for(msg.len())?;
        let is_mcu = h.id.class() == MsgClass::Mcu;
        if self.count > 0 && (self.mcu || is_mcu) {
            return Err(Error::McuMessageNotAlone);
        }
        if self.count >= self.opts.max_messages.min(TX_MAX_MESSAGES) {
            return Err(Error::BatchFull {
                max: self.opts.max_messages.min(TX_MAX_MESSAGES),
            });
        }
        if let Some(s) = self.slot {
            if s != slot {
                return Err(Error::SlotMismatch {
                    batch: s.size(),
                    message: slot.size(),
                });
            }
        }
        let end = (self.count + 1) * slot.size();
        let padded = end.div_ceil(BLOCK_SIZE) * BLOCK_SIZE;
        if padded > self.buf.len() {
            return Err(Error::BufferTooSmall {
                needed: padded,
                available: self.buf.len(),
            });
        }
        Ok((slot, is_mcu))
    }

    /// Adds a message followed by the trailer holding `timestamp_ms` (when enabled) and
    /// zero padding; returns the copy of the message inside the batch, e.g. for stamping
    /// its sequence number.
    pub fn push(&mut self, msg: &[u8], timestamp_ms: u32) -> Result<&mut [u8], Error> {
        let (slot, is_mcu) = self.classify(msg)?;
        let start = self.count * slot.size();
        let end = start + slot.size();
        let available = self.buf.len();
        let area = self.buf.get_mut(start..end).ok_or(Error::BufferTooSmall {
            needed: end,
            available,
        })?;
        let (m, tail) = area
            .split_at_mut_checked(msg.len())
            .ok_or(Error::MessageTooLarge {
                index: self.count,
                len: msg.len(),
            })?;
        m.copy_from_slice(msg);
        tail.fill(0);
        if self.opts.timestamp_trailer {
            if let Some(t) = tail.get_mut(..TRAILER_LEN) {
                t.copy_from_slice(&timestamp_ms.to_le_bytes());
            }
        }
        self.slot = Some(slot);
        self.count += 1;
        self.mcu |= is_mcu;
        Ok(m)
    }

    /// Finishes the batch: zeroes the block padding and returns its description. Fails
    /// on an empty batch.
    pub fn finish(self) -> Result<TxBatch, Error> {
        let slot = self.slot.ok_or(Error::BadLength { len: 0, limit: 1 })?;
        let b = TxBatch {
            count: self.count,
            slot,
            len: self.count * slot.size(),
        };
        if let Some(pad) = self.buf.get_mut(b.len..b.transfer_len()) {
            pad.fill(0);
        }
        Ok(b)
    }
}

/// One slot of a received TX batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxSlot<'a> {
    /// The WSM message (exactly its WSM length).
    pub message: &'a [u8],
    /// The 4 bytes after the message (the host timestamp trailer), if the slot has room.
    pub trailer: Option<u32>,
}

/// A TX batch as the device sees it (for the emulated chip): split by slot using the
/// address field.
#[derive(Debug, Clone, Copy)]
pub struct TxBatchView<'a> {
    data: &'a [u8],
    slot: Slot,
    count: usize,
}

impl<'a> TxBatchView<'a> {
    /// Splits `data` (the bytes written) using the 16 low bits of the address field.
    /// Every slot must start with a WSM header whose length fits the slot.
    pub fn parse(data: &'a [u8], address_len: u16) -> Result<Self, Error> {
        let slot = Slot::from_code(address_len & 3);
        let len = usize::from(address_len & !3);
        let data = data.get(..len).ok_or(Error::BatchLength {
            announced: len,
            buffer: data.len(),
        })?;
        if len == 0 || len % slot.size() != 0 {
            return Err(Error::BatchLength {
                announced: len,
                buffer: slot.size(),
            });
        }
        let count = len / slot.size();
        if count > TX_MAX_MESSAGES {
            return Err(Error::TooMany {
                field: "tx batch messages",
                count,
                max: TX_MAX_MESSAGES,
            });
        }
        let v = Self { data, slot, count };
        for i in 0..count {
            v.slot_at(i)?;
        }
        Ok(v)
    }

    /// Slot size.
    pub const fn slot(&self) -> Slot {
        self.slot
    }

    /// Number of messages.
    pub const fn len(&self) -> usize {
        self.count
    }

    /// Always false: a parsed batch has at least one message.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn slot_at(&self, i: usize) -> Result<TxSlot<'a>, Error> {
        let size = self.slot.size();
        let start = i * size;
        let area = self
            .data
            .get(start..start + size)
            .ok_or(Error::MessageOverrun {
                index: i,
                offset: start,
                len: size,
                batch: self.data.len(),
            })?;
        let (h, _, message) = wsm_header::split(area).map_err(|_| Error::MessageOverrun {
            index: i,
            offset: start,
            len: size,
            batch: self.data.len(),
        })?;
        let mut r = Reader::new(area.get(usize::from(h.len)..).unwrap_or(&[]));
        Ok(TxSlot {
            message,
            trailer: r.u32().ok(),
        })
    }

    /// Slot `i`.
    pub fn get(&self, i: usize) -> Option<TxSlot<'a>> {
        if i >= self.count {
            return None;
        }
        self.slot_at(i).ok()
    }

    /// Iterates over the slots.
    pub fn iter(&self) -> impl Iterator<Item = TxSlot<'a>> + '_ {
        (0..self.count).filter_map(move |i| self.get(i))
    }
}
