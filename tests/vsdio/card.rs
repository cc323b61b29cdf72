// SPDX-License-Identifier: GPL-2.0

//! The emulated card: what it answers to each command, its function 0 (CCCR, FBR, CIS) and
//! function 1 register file, the RX queue the model fills, the message queue toward the model,
//! the card interrupt line, injected faults and the bus timing model.
//!
//! Everything here is plain state: no locks, no MMC core, no timers. The host glue
//! ([`crate::host`]) holds it under a mutex, feeds it the core's commands and the model's
//! messages, and acts on what it reports (signal an interrupt, wake the model, complete later).

use kernel::prelude::*;

use crate::abi::{
    self,
    to_model,
    BadAccess,
    Fault,
    Message,
    ModelRequest, //
};
use crate::ring::Ring;
use crate::sdio_spec::{
    self,
    cccr,
    fbr1,
    opcode,
    r4,
    r5,
    Cmd52,
    Cmd53,
    COMMON_CIS_LEN,
    F1_BIT,
    F1_CIS_LEN, //
};

/// The chip's SDIO ids, defined once in the driver's protocol core; the card compiles the
/// file on its own, without the rest of the core.
#[path = "../../bes2600/protocol/sdio_ids.rs"]
#[expect(
    unreachable_pub,
    reason = "`pub` for the driver's protocol core, whose public API these items are"
)]
mod sdio_ids;

/// Items the RX queue holds (ABI.md).
pub(crate) const RX_QUEUE_DEPTH: usize = 256;

/// Messages the queue toward the model holds (ABI.md).
pub(crate) const MODEL_QUEUE_DEPTH: usize = 4096;

/// Function 1 registers the host emulates: 0x000..=0x1ff.
pub(crate) const F1_REGS: usize = 0x200;

/// Largest block size of function 0 and function 1 (CIS).
pub(crate) const MAX_BLKSIZE: u16 = 512;

/// Idle time the bus model may use to catch up (see [`BusModel::transfer`]): one jiffy at
/// `HZ=250`, the resolution of timers on a kernel without high-resolution timers.
pub(crate) const BUS_IDLE_CREDIT_NS: u64 = 4_000_000;

/// Vendor and device id the card presents in its CIS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Identity {
    /// `TPLMID_MANF`.
    pub(crate) vendor: u16,
    /// `TPLMID_CARD`.
    pub(crate) device: u16,
}

/// The BES2600 (docs/chip-protocol.md, "SDIO identity").
pub(crate) const BES2600: Identity = Identity {
    vendor: sdio_ids::VENDOR_BESTECHNIC,
    device: sdio_ids::DEVICE_BES2600,
};

// The card's one I/O function, function 1 (`F1_BIT`, `fbr1`, its CIS), is the chip's WLAN
// function.
const _: () = assert!(sdio_ids::WLAN_FUNCTION == 1);

/// Card state, as far as the SD protocol tracks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// After power-up or reset: answers CMD5.
    Idle,
    /// CMD5 with a matching voltage: answers CMD3.
    Ready,
    /// Has an RCA, not selected.
    Standby,
    /// Selected with CMD7: I/O commands address it.
    Transfer,
}

/// The card's answer to a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// A response; for 48-bit responses the 32 payload bits.
    Response(u32),
    /// The command has no response (and succeeded).
    NoResponse,
    /// The card did not answer (`-ETIMEDOUT`).
    Timeout,
    /// There is no card in the slot (`-ENOMEDIUM`).
    NoMedium,
}

/// The outcome of a CMD53.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Xfer {
    /// The command phase.
    pub(crate) reply: Reply,
    /// The data phase failed (an injected `-EIO`).
    pub(crate) data_error: bool,
    /// A write the model must acknowledge (`WRITE_DONE`) before its request completes: the
    /// hold's id, which [`Card::take_write_release`] reports when the model acknowledged it.
    pub(crate) hold: Option<u64>,
}

impl Xfer {
    /// A transfer whose data phase did not fail and that nobody waits for.
    const fn reply(reply: Reply) -> Self {
        Self {
            reply,
            data_error: false,
            hold: None,
        }
    }
}

/// A CMD53 write whose request the host holds until the model acknowledges it (ABI.md
/// "Timing").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct HeldWrite {
    /// The hold's id.
    id: u64,
    /// The number the model gives the write's `CMD53_WRITE` (its count of writes read since
    /// it opened the device), once it has read it.
    read_as: Option<u32>,
}

/// The host's side of a held write: which hold its pending request waits for.
///
/// Two threads meet here, in either order: the one that issued the write and begins to wait
/// for it ([`hold`](Self::hold), after the card answered), and the model's acknowledgement
/// ([`release`](Self::release)), which a fast model sends before the issuing thread got there.
/// The host keeps it under the lock of its pending request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WriteWait {
    /// The hold the pending request waits for.
    awaiting: Option<u64>,
    /// The last hold released while not awaited: not yet, or no longer (timed out).
    released_early: Option<u64>,
    /// Held writes that completed on their timeout.
    timeouts: u64,
}

impl WriteWait {
    /// The issuing thread begins to wait for hold `id`. Returns `false` when the model has
    /// released it already: the request completes without waiting.
    pub(crate) fn hold(&mut self, id: u64) -> bool {
        if self.released_early.take() == Some(id) {
            return false;
        }
        self.awaiting = Some(id);
        true
    }

    /// Whether the pending request waits for hold `id`.
    pub(crate) fn is_awaiting(&self, id: u64) -> bool {
        self.awaiting == Some(id)
    }

    /// The model released hold `id`. Returns whether the pending request waited for it (the
    /// caller completes it); otherwise it is remembered for [`hold`](Self::hold).
    pub(crate) fn release(&mut self, id: u64) -> bool {
        if self.awaiting == Some(id) {
            self.awaiting = None;
            true
        } else {
            self.released_early = Some(id);
            false
        }
    }

    /// The pending request's timer fired. Returns whether it was the timeout of a held write
    /// (counted).
    pub(crate) fn timed_out(&mut self) -> bool {
        let held = self.awaiting.take().is_some();
        if held {
            self.timeouts += 1;
        }
        held
    }

    /// Teardown: nothing is waited for any more.
    pub(crate) fn stop(&mut self) {
        self.awaiting = None;
    }

    /// Held writes that completed on their timeout.
    pub(crate) fn timeouts(&self) -> u64 {
        self.timeouts
    }
}

/// The counters of `/sys/kernel/debug/bes2600_vsdio/stats` (function 1 traffic only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    /// CMD52 reads of function 1 registers.
    pub(crate) cmd52_reads: u64,
    /// CMD52 writes of function 1 registers.
    pub(crate) cmd52_writes: u64,
    /// CMD53 reads from function 1.
    pub(crate) cmd53_reads: u64,
    /// CMD53 writes to function 1.
    pub(crate) cmd53_writes: u64,
    /// Bytes of function 1 CMD53 reads.
    pub(crate) bytes_read: u64,
    /// Bytes of function 1 CMD53 writes.
    pub(crate) bytes_written: u64,
    /// Card interrupts signalled to the MMC core.
    pub(crate) irqs_raised: u64,
    /// `BAD_ACCESS` events.
    pub(crate) bad_accesses: u64,
    /// Messages lost because the queue toward the model was full.
    pub(crate) dropped: u64,
    /// Faults applied: failed CMD52s and CMD53s, storm interrupts.
    pub(crate) faults_injected: u64,
    /// CMD53 writes held for the model that completed without its `WRITE_DONE` (kept by the
    /// host, which fills it in).
    pub(crate) write_timeouts: u64,
}

impl Stats {
    /// `(name, value)` pairs in the order of ABI.md.
    pub(crate) fn entries(&self) -> [(&'static str, u64); 11] {
        [
            ("cmd52_reads", self.cmd52_reads),
            ("cmd52_writes", self.cmd52_writes),
            ("cmd53_reads", self.cmd53_reads),
            ("cmd53_writes", self.cmd53_writes),
            ("bytes_read", self.bytes_read),
            ("bytes_written", self.bytes_written),
            ("irqs_raised", self.irqs_raised),
            ("bad_accesses", self.bad_accesses),
            ("dropped", self.dropped),
            ("faults_injected", self.faults_injected),
            ("write_timeouts", self.write_timeouts),
        ]
    }
}

/// The bus timing model: a rate and a fixed cost per CMD53, over a virtual bus clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BusModel {
    rate: u32,
    overhead_ns: u32,
    free_at_ns: u64,
}

impl BusModel {
    /// A model of `rate` bytes per second (0: none) and `overhead_ns` per CMD53.
    pub(crate) const fn new(rate: u32, overhead_ns: u32) -> Self {
        Self {
            rate,
            overhead_ns,
            free_at_ns: 0,
        }
    }

    /// Whether transfers take time at all.
    pub(crate) const fn is_active(&self) -> bool {
        self.rate != 0
    }

    /// Books a CMD53 of `bytes` issued at `now_ns` and returns when it completes.
    ///
    /// The transfer starts when the bus is free, or at once if the bus has been idle; an idle
    /// bus keeps up to [`BUS_IDLE_CREDIT_NS`] of credit, so completing transfers from a coarse
    /// timer (which fires late) does not lower the modelled throughput.
    pub(crate) fn transfer(&mut self, now_ns: u64, bytes: usize) -> u64 {
        if !self.is_active() {
            return now_ns;
        }
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        let data_ns = bytes.saturating_mul(1_000_000_000) / u64::from(self.rate);
        let cost = data_ns.saturating_add(u64::from(self.overhead_ns));
        let start = self
            .free_at_ns
            .max(now_ns.saturating_sub(BUS_IDLE_CREDIT_NS));
        self.free_at_ns = start.saturating_add(cost);
        self.free_at_ns
    }
}

/// An item of the RX queue.
struct RxItem {
    /// Registers 0x000 and 0x001 while the item is the head.
    reg0: u8,
    reg1: u8,
    /// Registers 0x000 and 0x001 of the idle register file once a read consumed the item.
    idle0: u8,
    idle1: u8,
    data: KVVec<u8>,
}

/// The card interrupt: the line the card drives and the host's gate in front of the core.
#[derive(Clone, Copy, Debug, Default)]
struct Irq {
    /// The card asserts its interrupt (level: stays until acknowledged by reading F1 0x001).
    line: bool,
    /// Signalled to the core and not yet acknowledged with `ack_sdio_irq`.
    masked: bool,
    /// The core enabled interrupt delivery (`enable_sdio_irq`).
    host_enabled: bool,
}

/// The emulated card.
pub(crate) struct Card {
    common_cis: [u8; COMMON_CIS_LEN],
    f1_cis: [u8; F1_CIS_LEN],
    present: bool,
    powered: bool,
    state: State,
    /// A reset has been reported (`CARD_RESET`) and the card was not initialised since.
    in_reset: bool,
    io_enable: u8,
    int_enable: u8,
    bus_if: u8,
    speed_bss: u8,
    fn0_blksize: u16,
    f1_blksize: u16,
    regs: [u8; F1_REGS],
    irq: Irq,
    storm: u32,
    fail_cmd52: u32,
    fail_cmd53: u32,
    rx: Ring<RxItem>,
    out: Ring<Message>,
    stats: Stats,
    bus: BusModel,
    model_open: bool,
    wake_model: bool,
    /// `CMD53_WRITE` messages the model has read since it opened the device.
    writes_read: u32,
    /// `CMD53_WRITE` messages waiting in the queue toward the model.
    cmd53_writes_queued: u32,
    /// The write the host holds for the model, if any.
    held: Option<HeldWrite>,
    /// Id of the next hold.
    next_hold: u64,
    /// A hold the model acknowledged (or gave up by closing the device): the host completes it.
    released: Option<u64>,
}

impl Card {
    /// A card with identity `id`, present in the slot, not powered.
    pub(crate) fn new(id: Identity) -> Result<Self> {
        Ok(Self {
            common_cis: sdio_spec::common_cis(id.vendor, id.device, MAX_BLKSIZE),
            f1_cis: sdio_spec::f1_cis(id.vendor, id.device, MAX_BLKSIZE),
            present: true,
            powered: false,
            state: State::Idle,
            in_reset: false,
            io_enable: 0,
            int_enable: 0,
            bus_if: 0,
            speed_bss: 0,
            fn0_blksize: 0,
            f1_blksize: 0,
            regs: [0; F1_REGS],
            irq: Irq::default(),
            storm: 0,
            fail_cmd52: 0,
            fail_cmd53: 0,
            rx: Ring::new(RX_QUEUE_DEPTH)?,
            out: Ring::new(MODEL_QUEUE_DEPTH)?,
            stats: Stats::default(),
            bus: BusModel::default(),
            model_open: false,
            wake_model: false,
            writes_read: 0,
            cmd53_writes_queued: 0,
            held: None,
            next_hold: 0,
            released: None,
        })
    }

    /// The counters.
    pub(crate) fn stats(&self) -> Stats {
        self.stats
    }

    /// The card's protocol state.
    pub(crate) fn state(&self) -> State {
        self.state
    }

    /// Items in the RX queue.
    pub(crate) fn rx_len(&self) -> usize {
        self.rx.len()
    }

    /// Whether the card drives its interrupt line.
    pub(crate) fn irq_line(&self) -> bool {
        self.irq.line
    }

    /// Whether a card is in the slot.
    pub(crate) fn is_present(&self) -> bool {
        self.present
    }

    /// The bus timing model.
    pub(crate) fn bus_mut(&mut self) -> &mut BusModel {
        &mut self.bus
    }

    // ---- The host side: power, commands, interrupts. ----

    /// Powers the slot on or off; losing power resets the card.
    pub(crate) fn set_power(&mut self, on: bool) {
        if !on && self.powered {
            self.reset();
        }
        self.powered = on;
    }

    /// Answers a command without data phase (everything but CMD53).
    pub(crate) fn command(&mut self, op: u32, arg: u32) -> Reply {
        if let Some(reply) = self.unreachable() {
            return reply;
        }
        match op {
            opcode::GO_IDLE_STATE => {
                self.reset();
                Reply::NoResponse
            }
            opcode::IO_SEND_OP_COND => self.cmd5(arg),
            opcode::SEND_RELATIVE_ADDR => match self.state {
                State::Ready | State::Standby => {
                    self.state = State::Standby;
                    Reply::Response(u32::from(sdio_spec::RCA) << 16)
                }
                _ => Reply::Timeout,
            },
            opcode::SELECT_CARD => self.cmd7(arg),
            opcode::IO_RW_DIRECT => self.cmd52(Cmd52::decode(arg)),
            // SD memory and MMC commands, and CMD53 without a data phase: no answer.
            _ => Reply::Timeout,
        }
    }

    /// A CMD53 write of `data` in `blocks` blocks (1 in byte mode).
    pub(crate) fn cmd53_write(&mut self, arg: u32, blocks: u32, data: KVVec<u8>) -> Xfer {
        if let Some(reply) = self.unreachable() {
            return Xfer::reply(reply);
        }
        let c = Cmd53::decode(arg);
        let st = self.r5_state();
        match c.func {
            0 => {
                let mut reset = false;
                for (i, byte) in data.iter().enumerate() {
                    reset |= self.f0_write(Self::f0_addr(&c, i), *byte);
                }
                if reset {
                    self.reset();
                }
                Xfer::reply(Reply::Response(st))
            }
            1 => {
                if let Some(xfer) = self.f1_cmd53_check(&c, st) {
                    return xfer;
                }
                if data.len() > abi::MAX_PAYLOAD {
                    return Xfer::reply(Reply::Response(st | r5::ERROR));
                }
                self.stats.cmd53_writes += 1;
                self.stats.bytes_written += data.len() as u64;
                let arg1 = if c.block_mode { 1 | (blocks << 16) } else { 0 };
                let queued = self.emit(Message {
                    kind: to_model::CMD53_WRITE,
                    arg0: c.addr,
                    arg1,
                    payload: data,
                });
                if queued {
                    self.cmd53_writes_queued += 1;
                }
                let mut xfer = Xfer::reply(Reply::Response(st));
                // The real chip takes a write in microseconds and its boot ROM has the reply
                // ready as fast (bes_slave_tx_ready(), bes_fw.c:68-104, reads the length a few
                // times right after the write's interrupt): the write completes once the model
                // has processed it, so whatever it queues in answer is visible by then.
                if queued && self.model_open {
                    let id = self.next_hold;
                    self.next_hold = self.next_hold.wrapping_add(1);
                    self.held = Some(HeldWrite { id, read_as: None });
                    xfer.hold = Some(id);
                }
                xfer
            }
            _ => Xfer::reply(Reply::Response(st | r5::FUNCTION_NUMBER)),
        }
    }

    /// A CMD53 read into `buf`, which the caller zeroed and sized to the data phase.
    pub(crate) fn cmd53_read(&mut self, arg: u32, buf: &mut [u8]) -> Xfer {
        if let Some(reply) = self.unreachable() {
            return Xfer::reply(reply);
        }
        let c = Cmd53::decode(arg);
        let st = self.r5_state();
        match c.func {
            0 => {
                for (i, byte) in buf.iter_mut().enumerate() {
                    *byte = self.f0_read(Self::f0_addr(&c, i));
                }
                Xfer::reply(Reply::Response(st))
            }
            1 => {
                if let Some(xfer) = self.f1_cmd53_check(&c, st) {
                    return xfer;
                }
                self.stats.cmd53_reads += 1;
                self.stats.bytes_read += buf.len() as u64;
                match self.rx.pop() {
                    None => self.bad_access(c.addr, BadAccess::ReadEmpty),
                    Some(item) => {
                        let n = item.data.len().min(buf.len());
                        buf[..n].copy_from_slice(&item.data[..n]);
                        let read = u32::try_from(buf.len()).unwrap_or(u32::MAX);
                        self.emit(Message::new(to_model::RX_CONSUMED, c.addr, read));
                        if Self::read_too_long(&c, buf.len(), item.data.len()) {
                            self.bad_access(c.addr, BadAccess::ReadTooLong);
                        }
                        // The item's idle values replace the idle register file's 0x000/0x001
                        // in the same step, so a read of 0x001 right after the batch never
                        // sees a value older than this batch (the vendor's RX loop re-reads
                        // 0x001 right after each batch, bes2600_sdio.c:841-904).
                        self.regs[0] = item.idle0;
                        self.regs[1] = item.idle1;
                        if !self.rx.is_empty() {
                            self.irq.line = true;
                        }
                    }
                }
                Xfer::reply(Reply::Response(st))
            }
            _ => Xfer::reply(Reply::Response(st | r5::FUNCTION_NUMBER)),
        }
    }

    /// The core enabled or disabled interrupt delivery. Either way nothing is in flight any
    /// more: a signal not acknowledged before a disable is forgotten.
    pub(crate) fn host_irq_enable(&mut self, on: bool) {
        self.irq.host_enabled = on;
        self.irq.masked = false;
    }

    /// The core ran the interrupt handlers after a signal. An interrupt storm raises the line
    /// again here, once per acknowledgement.
    pub(crate) fn host_irq_ack(&mut self) {
        self.irq.masked = false;
        if self.storm > 0 {
            self.storm -= 1;
            self.stats.faults_injected += 1;
            self.irq.line = true;
        }
    }

    /// Whether the host must signal an interrupt to the core now; if so, the interrupt counts
    /// as in flight until [`host_irq_ack`](Self::host_irq_ack).
    pub(crate) fn take_irq_signal(&mut self) -> bool {
        let enable = cccr::INT_MASTER | F1_BIT;
        let deliver = self.irq.line
            && self.int_enable & enable == enable
            && self.irq.host_enabled
            && !self.irq.masked
            && self.present
            && self.powered;
        if deliver {
            self.irq.masked = true;
            self.stats.irqs_raised += 1;
        }
        deliver
    }

    // ---- The model side. ----

    /// Claims the model end; only one opener at a time.
    pub(crate) fn open_model(&mut self) -> Result {
        if self.model_open {
            return Err(EBUSY);
        }
        self.model_open = true;
        self.writes_read = 0;
        Ok(())
    }

    /// Releases the model end. A write held for the model is released: nobody will
    /// acknowledge it.
    pub(crate) fn close_model(&mut self) {
        self.model_open = false;
        self.writes_read = 0;
        if let Some(held) = self.held.take() {
            self.released = Some(held.id);
        }
    }

    /// The hold the model acknowledged (or gave up) since the last call: the host completes
    /// the request it holds with this id.
    pub(crate) fn take_write_release(&mut self) -> Option<u64> {
        self.released.take()
    }

    /// Applies a message from the model; `payload` is the `RX_QUEUE` data (empty otherwise).
    /// Fails with `ENOSPC`, changing nothing, when the RX queue is full.
    pub(crate) fn apply(&mut self, req: ModelRequest, payload: KVVec<u8>) -> Result {
        match req {
            ModelRequest::RxQueue {
                reg0,
                reg1,
                idle0,
                idle1,
            } => {
                let was_empty = self.rx.is_empty();
                self.rx
                    .push(RxItem {
                        reg0,
                        reg1,
                        idle0,
                        idle1,
                        data: payload,
                    })
                    .map_err(|_| ENOSPC)?;
                if was_empty {
                    self.irq.line = true;
                }
            }
            ModelRequest::SetReg { addr, value } => {
                if let Some(reg) = self.regs.get_mut(usize::from(addr)) {
                    *reg = value;
                }
            }
            ModelRequest::Irq(on) => self.irq.line = on,
            ModelRequest::Fault(Fault::Cmd53(n)) => self.fail_cmd53 = n,
            ModelRequest::Fault(Fault::Cmd52(n)) => self.fail_cmd52 = n,
            ModelRequest::Fault(Fault::Storm(n)) => {
                self.storm = n;
                if self.storm > 0 {
                    self.storm -= 1;
                    self.stats.faults_injected += 1;
                    self.irq.line = true;
                }
            }
            ModelRequest::Timing { rate, overhead_ns } => {
                self.bus = BusModel::new(rate, overhead_ns)
            }
            ModelRequest::CardPresent(present) => self.set_present(present),
            // An acknowledgement of anything but the held write is late (the hold timed out)
            // and changes nothing.
            ModelRequest::WriteDone(n) => {
                if let Some(held) = self.held.filter(|h| h.read_as == Some(n)) {
                    self.held = None;
                    self.released = Some(held.id);
                }
            }
        }
        Ok(())
    }

    /// Inserts or removes the card. A removed card loses its state.
    pub(crate) fn set_present(&mut self, present: bool) {
        if self.present && !present {
            self.reset();
        }
        self.present = present;
    }

    /// Wire length of the next message for the model.
    pub(crate) fn next_message_len(&self) -> Option<usize> {
        self.out.front().map(Message::wire_len)
    }

    /// Takes the next message for the model. The model numbers the `CMD53_WRITE`s it reads
    /// (its `WRITE_DONE` names one by that number): the held write's number is noted.
    pub(crate) fn pop_message(&mut self) -> Option<Message> {
        let msg = self.out.pop()?;
        if msg.kind == to_model::CMD53_WRITE {
            self.writes_read = self.writes_read.wrapping_add(1);
            self.cmd53_writes_queued = self.cmd53_writes_queued.saturating_sub(1);
            if let Some(held) = self.held.as_mut() {
                if held.read_as.is_none() && self.cmd53_writes_queued == 0 {
                    held.read_as = Some(self.writes_read);
                }
            }
        }
        Some(msg)
    }

    /// Messages waiting for the model.
    pub(crate) fn messages_len(&self) -> usize {
        self.out.len()
    }

    /// Whether messages were queued since the last call (the model's waiters must be woken).
    pub(crate) fn take_model_wakeup(&mut self) -> bool {
        core::mem::take(&mut self.wake_model)
    }

    // ---- Internals. ----

    /// The reply when the card cannot answer at all.
    fn unreachable(&self) -> Option<Reply> {
        if !self.present {
            Some(Reply::NoMedium)
        } else if !self.powered {
            Some(Reply::Timeout)
        } else {
            None
        }
    }

    /// `IO_CURRENT_STATE` of an R5 response.
    fn r5_state(&self) -> u32 {
        if self.state == State::Transfer {
            r5::STATE_CMD
        } else {
            0
        }
    }

    /// Resets the card to its power-on state and tells the model, once per reset sequence.
    ///
    /// The F1 register file is the chip's: it is cleared once per sequence, with the
    /// `CARD_RESET` that makes the model set its boot-ROM registers again. A later reset of the
    /// same sequence (CMD0 after the power cycle of `mmc_hw_reset()`) must not clear what the
    /// model set meanwhile, or the boot ROM would announce no message limit until the next
    /// sequence.
    fn reset(&mut self) {
        self.state = State::Idle;
        self.io_enable = 0;
        self.int_enable = 0;
        self.bus_if = 0;
        self.speed_bss = 0;
        self.fn0_blksize = 0;
        self.f1_blksize = 0;
        self.rx.clear();
        self.irq.line = false;
        self.storm = 0;
        if !self.in_reset {
            self.in_reset = true;
            self.regs = [0; F1_REGS];
            self.emit(Message::new(to_model::CARD_RESET, 0, 0));
        }
    }

    /// CMD5: R4 with the voltage window and one function; with a voltage the card accepts it
    /// becomes ready (a card that was past that is re-initialised: reset first).
    fn cmd5(&mut self, arg: u32) -> Reply {
        let id = (sdio_spec::NUM_FUNCTIONS << r4::NUM_FUNCS_SHIFT) | sdio_spec::CARD_OCR;
        let ocr = arg & r4::OCR_MASK;
        if ocr == 0 {
            return Reply::Response(id);
        }
        if ocr & sdio_spec::CARD_OCR == 0 {
            return Reply::Timeout;
        }
        if !matches!(self.state, State::Idle | State::Ready) {
            self.reset();
        }
        self.state = State::Ready;
        self.in_reset = false;
        Reply::Response(r4::READY | id)
    }

    /// CMD7: selects the card with its RCA, deselects it with any other.
    fn cmd7(&mut self, arg: u32) -> Reply {
        let rca = arg >> 16;
        match self.state {
            State::Standby | State::Transfer if rca == u32::from(sdio_spec::RCA) => {
                self.state = State::Transfer;
                Reply::Response(sdio_spec::R1_SELECTED)
            }
            State::Transfer => {
                self.state = State::Standby;
                if rca == 0 {
                    Reply::NoResponse
                } else {
                    Reply::Timeout
                }
            }
            _ if rca == 0 => Reply::NoResponse,
            _ => Reply::Timeout,
        }
    }

    /// CMD52.
    fn cmd52(&mut self, c: Cmd52) -> Reply {
        let st = self.r5_state();
        match c.func {
            0 => {
                let reset = c.write && self.f0_write(c.addr, c.data);
                let value = if !c.write || c.raw {
                    self.f0_read(c.addr)
                } else {
                    c.data
                };
                if reset {
                    self.reset();
                }
                Reply::Response(st | u32::from(value))
            }
            1 => self.cmd52_f1(c, st),
            _ => Reply::Response(st | r5::FUNCTION_NUMBER),
        }
    }

    /// CMD52 to function 1: the register file.
    fn cmd52_f1(&mut self, c: Cmd52, st: u32) -> Reply {
        if self.fail_cmd52 > 0 {
            self.fail_cmd52 -= 1;
            self.stats.faults_injected += 1;
            return Reply::Timeout;
        }
        if self.io_enable & F1_BIT == 0 {
            self.bad_access(c.addr, BadAccess::DisabledFunction);
            return Reply::Response(st | r5::ERROR);
        }
        let Some(idx) = usize::try_from(c.addr).ok().filter(|&i| i < F1_REGS) else {
            self.bad_access(c.addr, BadAccess::UnmappedRegister);
            return Reply::Response(st | r5::OUT_OF_RANGE);
        };
        if c.write {
            self.regs[idx] = c.data;
            self.stats.cmd52_writes += 1;
            self.emit(Message::new(
                to_model::CMD52_WRITE,
                c.addr,
                u32::from(c.data),
            ));
            if !c.raw {
                return Reply::Response(st | u32::from(c.data));
            }
        } else {
            self.stats.cmd52_reads += 1;
        }
        Reply::Response(st | u32::from(self.f1_read(idx)))
    }

    /// Reads function 1 register `idx`: 0x000 and 0x001 come from the head of the RX queue
    /// when there is one; reading 0x001 acknowledges the card interrupt.
    fn f1_read(&mut self, idx: usize) -> u8 {
        let value = match (idx, self.rx.front()) {
            (0, Some(item)) => item.reg0,
            (1, Some(item)) => item.reg1,
            _ => self.regs[idx],
        };
        if idx == 1 {
            self.irq.line = false;
        }
        value
    }

    /// Checks a function 1 CMD53 before it touches anything: an injected fault or a disabled
    /// function ends it.
    fn f1_cmd53_check(&mut self, c: &Cmd53, st: u32) -> Option<Xfer> {
        if self.fail_cmd53 > 0 {
            self.fail_cmd53 -= 1;
            self.stats.faults_injected += 1;
            return Some(Xfer {
                reply: Reply::Response(st),
                data_error: true,
                hold: None,
            });
        }
        if self.io_enable & F1_BIT == 0 {
            self.bad_access(c.addr, BadAccess::DisabledFunction);
            return Some(Xfer::reply(Reply::Response(st | r5::ERROR)));
        }
        None
    }

    /// Function 0 address of byte `i` of a CMD53.
    fn f0_addr(c: &Cmd53, i: usize) -> u32 {
        if c.incr_addr {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            c.addr.wrapping_add(i) & sdio_spec::ADDR_MASK
        } else {
            c.addr
        }
    }

    /// Byte `i` of a little-endian value.
    fn le_byte(value: u32, i: u32) -> u8 {
        value.to_le_bytes().get(i as usize).copied().unwrap_or(0)
    }

    /// Sets byte `i` of a little-endian 16-bit register.
    fn set_le16(reg: &mut u16, i: u32, byte: u8) {
        let mut bytes = reg.to_le_bytes();
        if let Some(b) = bytes.get_mut(i as usize) {
            *b = byte;
        }
        *reg = u16::from_le_bytes(bytes);
    }

    /// Reads function 0 (CCCR, FBR 1, CIS); everything else reads as 0.
    fn f0_read(&self, addr: u32) -> u8 {
        let common = sdio_spec::COMMON_CIS_ADDR..sdio_spec::COMMON_CIS_ADDR + COMMON_CIS_LEN as u32;
        let f1 = sdio_spec::F1_CIS_ADDR..sdio_spec::F1_CIS_ADDR + F1_CIS_LEN as u32;
        match addr {
            cccr::REVISION => cccr::REVISION_VALUE,
            // SD physical layer: none. No power control, no FBR 1 standard interface.
            cccr::SD_REVISION | cccr::POWER | fbr1::STD_IF => 0,
            cccr::IO_ENABLE | cccr::IO_READY => self.io_enable,
            cccr::INT_ENABLE => self.int_enable,
            cccr::INT_PENDING if self.irq.line => F1_BIT,
            cccr::BUS_IF => self.bus_if,
            cccr::CAPS => cccr::CAPS_VALUE,
            a if (cccr::CIS_PTR..cccr::CIS_PTR + 3).contains(&a) => {
                Self::le_byte(sdio_spec::COMMON_CIS_ADDR, a - cccr::CIS_PTR)
            }
            a if (cccr::FN0_BLKSIZE..cccr::FN0_BLKSIZE + 2).contains(&a) => {
                Self::le_byte(u32::from(self.fn0_blksize), a - cccr::FN0_BLKSIZE)
            }
            cccr::SPEED => cccr::SPEED_SHS | self.speed_bss,
            a if (fbr1::CIS_PTR..fbr1::CIS_PTR + 3).contains(&a) => {
                Self::le_byte(sdio_spec::F1_CIS_ADDR, a - fbr1::CIS_PTR)
            }
            a if (fbr1::BLKSIZE..fbr1::BLKSIZE + 2).contains(&a) => {
                Self::le_byte(u32::from(self.f1_blksize), a - fbr1::BLKSIZE)
            }
            a if common.contains(&a) => self.common_cis[(a - sdio_spec::COMMON_CIS_ADDR) as usize],
            a if f1.contains(&a) => self.f1_cis[(a - sdio_spec::F1_CIS_ADDR) as usize],
            // UHS, drive strength, the other functions' FBRs, ...
            _ => 0,
        }
    }

    /// Writes function 0; returns whether the write asks for a card reset (done by the caller
    /// after the response is formed). Read-only registers ignore writes.
    fn f0_write(&mut self, addr: u32, value: u8) -> bool {
        match addr {
            cccr::IO_ENABLE => {
                self.io_enable = value & F1_BIT;
                let enabled = u32::from(self.io_enable != 0);
                self.emit(Message::new(to_model::FUNC_ENABLE, enabled, 0));
            }
            cccr::INT_ENABLE => self.int_enable = value & (cccr::INT_MASTER | F1_BIT),
            cccr::IO_ABORT => return value & cccr::ABORT_RESET != 0,
            cccr::BUS_IF => self.bus_if = value & cccr::BUS_IF_WRITABLE,
            a if (cccr::FN0_BLKSIZE..cccr::FN0_BLKSIZE + 2).contains(&a) => {
                Self::set_le16(&mut self.fn0_blksize, a - cccr::FN0_BLKSIZE, value)
            }
            cccr::SPEED => self.speed_bss = value & cccr::SPEED_BSS_MASK,
            a if (fbr1::BLKSIZE..fbr1::BLKSIZE + 2).contains(&a) => {
                Self::set_le16(&mut self.f1_blksize, a - fbr1::BLKSIZE, value)
            }
            _ => {}
        }
        false
    }

    /// Whether a CMD53 read of `len` bytes takes more than an item of `item_len` bytes holds.
    ///
    /// The chip reads the transfer length from the address field (docs/chip-protocol.md,
    /// "The data port"), and a block-mode read moves whole blocks: reading the 0x3B14-byte DPD blob
    /// transfers 30 blocks of 512 bytes with 0x3B14 in the address field
    /// (bes2600_sdio.c:183-206, bes_fw.c:893), the padding reading as zeros. Too long is an
    /// address-field length beyond the item, or a data phase beyond the item rounded up to
    /// the block size (beyond the item itself in byte mode).
    fn read_too_long(c: &Cmd53, len: usize, item_len: usize) -> bool {
        let field_len = (c.addr & 0xffff) as usize;
        let limit = if c.block_mode {
            let blksz = len / usize::from(c.count.max(1));
            item_len.div_ceil(blksz.max(1)) * blksz
        } else {
            item_len
        };
        field_len > item_len || len > limit
    }

    /// Reports a `BAD_ACCESS` to the model.
    fn bad_access(&mut self, addr: u32, code: BadAccess) {
        self.stats.bad_accesses += 1;
        self.emit(Message::new(to_model::BAD_ACCESS, addr, code as u32));
    }

    /// Queues a message for the model, or counts it as dropped when the queue is full.
    /// Returns whether it was queued.
    fn emit(&mut self, msg: Message) -> bool {
        if self.out.push(msg).is_err() {
            self.stats.dropped += 1;
            false
        } else {
            self.wake_model = true;
            true
        }
    }
}
