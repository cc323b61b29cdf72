// SPDX-License-Identifier: GPL-2.0

//! One pass of the bottom half (docs/bh.md, "The loop"; the wire side in docs/chip-protocol.md,
//! "The SDIO bus", "Sequence numbers", "Commands and confirms").
//!
//! [`Bh`] is the state the BH thread owns: flow control (buffers in use, sequence numbers,
//! the outstanding command as far as buffer accounting goes), the three bus toggles, the
//! [`CommandChannel`] and the retry state of a failed transfer. The kernel shell moves it
//! into its kthread; like [`FlowControl`] it is `Send` but not `Sync`, so no other context
//! can even read it. Other contexts submit through the shell's command slot and data queue,
//! which the pass reads through [`TxSource`], and hear back through [`Events`].
//!
//! A pass ([`Bh::pass`]):
//!
//! 1. **RX inline**: reads register 0x001; a fresh length (its toggle equal to the expected
//!    one) is read as one CMD53 of exactly that many bytes with the RX toggle, parsed with
//!    [`RxBatch::parse`] and every message dispatched — up to
//!    [`Config::max_rx_batches`] batches. A zero length consults register 0x000 bit 0
//!    ("nothing pending") like the vendor's `bes2600_sdio_read_ctrl`.
//! 2. **Dispatch**: every message goes through [`FlowControl::on_receive`] (sequence
//!    number per channel, buffer release, command matching). 0x0801 startup sets the
//!    capacity; 0x0800 exception is fatal; the confirm of the outstanding command completes
//!    it; TX confirms and every other indication are handed to [`Events`].
//! 3. **Timeouts**: the outstanding command's deadline, and the watchdog on outstanding
//!    buffers (no confirm for [`Config::confirm_timeout_us`] while buffers are in use, the
//!    vendor's 3 s `lmac_mon_timer`).
//! 4. **Power**: the chip's wake/sleep handshake ([`Power`], docs/bh.md, "Chip wake and
//!    sleep"): after [`super::power::IDLE_US`] of idle time, when the shell allows it, the
//!    quiescent power mode and MCU_DEACTIVE; before any TX to a sleeping chip, MCU_ACTIVE
//!    and the active power mode. Commands and data frames only go while the chip is awake.
//! 5. **TX**: the pending command first (it may take the buffer reserved for commands),
//!    then data frames while the data budget (capacity − 1 − in use) allows, packed by
//!    [`TxBatchBuilder`] (same slot size, at most 16 messages, MCU-channel messages alone)
//!    straight into the bus's TX buffer, sequence numbers stamped in the copy, written as one
//!    block-mode CMD53 with the TX toggle — up to [`Config::max_tx_batches`] batches.
//!
//! # Errors
//!
//! The chip is treated as hostile: every length, id, label and sequence number it sends is
//! checked, and a violation ends the pass with a fatal [`Fatal::Violation`] — never a panic.
//! A fatal outcome is sticky: later passes do no I/O and report it again until the shell
//! has reset the chip and called [`Bh::reset`]. A failed bus transfer is not fatal at once:
//! the toggle is rolled back, the same read or the very same batch (still in the TX buffer)
//! is retried by the next pass, and only [`Config::bus_retries`] failing passes in a row
//! (or a vanished card) make it [`Fatal::Bus`]. Frames the host queued that cannot be sent
//! (malformed, too large, wrong interface) are refused through [`TxSource::rejected`] and
//! counted; they never reach the chip.

use core::fmt;

use super::bus::{
    Bus,
    BusError,
    Clock, //
};
use super::cmd::{
    CommandChannel,
    Outstanding,
    DEFAULT_TIMEOUT_US, //
};
use super::power::{
    OwnMib,
    Power,
    PowerCounts,
    PowerState,
    StepError,
    WakeTimeout, //
};
use crate::protocol::{
    error::{
        Error,
        FlowError, //
    },
    flow::{
        FlowControl,
        Received, //
    },
    msg::{
        self,
        config::StartupIndication,
        event::Exception,
        tx::TxRequest, //
    },
    sdio_framing::{
        ctrl_nothing_pending,
        reg,
        Cmd53,
        DataAddress,
        LengthReg,
        RxBatch,
        RxPoll,
        Toggles,
        TxBatch,
        TxBatchBuilder,
        TxOptions, //
    },
    wsm_header::{
        self,
        id,
        Channel,
        MsgClass,
        MsgId,
        MAX_VIFS, //
    },
};

/// Default watchdog on outstanding buffers: the vendor's 3 s per-channel monitor timer
/// (docs/chip-protocol.md, "Timeouts").
pub const DEFAULT_CONFIRM_TIMEOUT_US: u64 = 3_000_000;

/// Where the pass takes host→device messages from: the shell's command slot, or its data
/// queue.
///
/// The pass peeks at the head, copies it into the TX batch and then reports it
/// [`taken`](Self::taken) (or [`rejected`](Self::rejected)); the message is never modified
/// in place (its sequence number is stamped into the copy).
pub trait TxSource {
    /// The head message: a complete WSM message (header length equal to the slice
    /// length). Commands are any request but 0x0004; data frames are 0x0004 requests.
    fn peek(&mut self) -> Option<&[u8]>;

    /// The head message is in a TX batch now; drop it from the source.
    fn taken(&mut self);

    /// The head message can never be sent (malformed, too large for a slot, a data frame
    /// in the command slot or the reverse, a bad interface id); drop it and fail its
    /// sender with `error`.
    fn rejected(&mut self, error: Error);
}

/// What the pass hands upwards. Runs in the BH thread, with the bus possibly claimed: keep
/// it short (queue the work, wake the waiter).
pub trait Events {
    /// The 0x0801 startup indication was accepted: the firmware is up and the capacity is
    /// known.
    fn firmware_up(&mut self, ind: &StartupIndication);

    /// The confirm of the outstanding command (the whole message, exactly its WSM length).
    fn command_done(&mut self, confirm: &[u8]);

    /// A TX confirm (0x0404) or multi-TX confirm (0x041E), already accounted for.
    fn tx_confirm(&mut self, confirm: &[u8]);

    /// Any other indication: 0x0804 receive, 0x0805 event, 0x0806 scan complete, MCU
    /// indications, …
    fn indication(&mut self, msg: &[u8]);

    /// The firmware crashed: its 0x0800 exception message (for the log). The pass returns
    /// [`Fatal::Exception`].
    fn exception(&mut self, msg: &[u8]);
}

/// Tunables of the pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// TX batch options (messages per batch, timestamp trailer).
    pub tx: TxOptions,
    /// How long a command may wait for its confirm.
    pub command_timeout_us: u64,
    /// How long buffers may stay in use without any confirm arriving.
    pub confirm_timeout_us: u64,
    /// RX batches read per pass at most (then the report says `more`).
    pub max_rx_batches: u32,
    /// TX batches written per pass at most (then the report says `more`).
    pub max_tx_batches: u32,
    /// Immediate re-polls of register 0x001 when it reads 0 but register 0x000 says "maybe
    /// more" (the vendor polls up to 6 times in all, docs/chip-protocol.md, "RX: when to
    /// read").
    pub empty_polls: u32,
    /// Passes in a row whose bus transfer failed before the link is declared dead (the
    /// vendor retries a CRC error 10 times).
    pub bus_retries: u32,
    /// Treat a length-register value with the unexpected toggle as a chip violation unless it is
    /// the leftover of the batch read last (the register keeps its last value, the vendor's
    /// "remain", docs/chip-protocol.md, "RX: when to read"). Off: every such value is taken as
    /// stale, as the vendor does.
    pub strict_length_toggle: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            tx: TxOptions::default(),
            command_timeout_us: DEFAULT_TIMEOUT_US,
            confirm_timeout_us: DEFAULT_CONFIRM_TIMEOUT_US,
            max_rx_batches: 8,
            max_tx_batches: 4,
            empty_polls: 5,
            bus_retries: 10,
            strict_length_toggle: true,
        }
    }
}

/// What happened in one pass (or, summed, over a link's life: [`Bh::totals`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// RX batches read.
    pub rx_batches: u32,
    /// Messages received (every message of every batch).
    pub rx_frames: u32,
    /// TX batches written.
    pub tx_batches: u32,
    /// Messages written (commands and data).
    pub tx_frames: u32,
    /// Commands put into TX batches.
    pub tx_commands: u32,
    /// Command confirms received.
    pub confirms: u32,
    /// Frames confirmed by TX and multi-TX confirms.
    pub tx_confirmed: u32,
    /// Indications handed to [`Events::indication`].
    pub indications: u32,
    /// Length-register reads that found the value already consumed.
    pub stale_polls: u32,
    /// Length-register reads that found 0.
    pub empty_polls: u32,
    /// Failed bus transfers.
    pub bus_errors: u32,
    /// Host messages refused ([`TxSource::rejected`]).
    pub rejected: u32,
    /// Chip protocol violations.
    pub violations: u32,
    /// Command and confirm timeouts.
    pub timeouts: u32,
    /// Firmware exceptions.
    pub exceptions: u32,
}

impl Counters {
    /// Every counter 0.
    pub const ZERO: Counters = Counters {
        rx_batches: 0,
        rx_frames: 0,
        tx_batches: 0,
        tx_frames: 0,
        tx_commands: 0,
        confirms: 0,
        tx_confirmed: 0,
        indications: 0,
        stale_polls: 0,
        empty_polls: 0,
        bus_errors: 0,
        rejected: 0,
        violations: 0,
        timeouts: 0,
        exceptions: 0,
    };

    /// Adds `o` to `self` (saturating).
    pub fn add(&mut self, o: &Counters) {
        let pairs = [
            (&mut self.rx_batches, o.rx_batches),
            (&mut self.rx_frames, o.rx_frames),
            (&mut self.tx_batches, o.tx_batches),
            (&mut self.tx_frames, o.tx_frames),
            (&mut self.tx_commands, o.tx_commands),
            (&mut self.confirms, o.confirms),
            (&mut self.tx_confirmed, o.tx_confirmed),
            (&mut self.indications, o.indications),
            (&mut self.stale_polls, o.stale_polls),
            (&mut self.empty_polls, o.empty_polls),
            (&mut self.bus_errors, o.bus_errors),
            (&mut self.rejected, o.rejected),
            (&mut self.violations, o.violations),
            (&mut self.timeouts, o.timeouts),
            (&mut self.exceptions, o.exceptions),
        ];
        for (a, b) in pairs {
            *a = a.saturating_add(b);
        }
    }
}

/// A protocol violation by the chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// The length register announced a batch larger than the RX buffer.
    RxTooLong {
        /// Bytes announced.
        announced: usize,
        /// Bytes the RX buffer holds.
        capacity: usize,
    },
    /// The length register shows a new value with the toggle already consumed
    /// ([`Config::strict_length_toggle`]).
    LengthToggle {
        /// The register byte.
        reg: u8,
    },
    /// The RX batch does not parse: a message length shorter than its header or running
    /// past the batch, a later message above 1632 bytes, more than 16 messages.
    Batch(Error),
    /// A message with another sequence number than expected on its channel.
    Sequence {
        /// The channel.
        channel: Channel,
        /// Expected sequence number.
        expected: u8,
        /// Sequence number found.
        found: u8,
    },
    /// A confirm that answers no outstanding command (a wrong id).
    UnexpectedConfirm {
        /// Base id of the confirm.
        confirm: u16,
        /// Base id of the outstanding command, if any.
        pending: Option<u16>,
    },
    /// A message flow control or its decoder refuses: a request-class id, an unknown MCU
    /// label, a truncated TX confirm, a confirm releasing more buffers than are in use.
    BadMessage {
        /// Raw id word of the message (0 when even the header is unreadable).
        id: u16,
        /// What was wrong.
        error: Error,
    },
    /// An invalid startup indication, or a second one (the firmware restarted by itself).
    BadStartup(Error),
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Violation::RxTooLong {
                announced,
                capacity,
            } => write!(
                f,
                "RX batch of {announced} bytes announced, buffer holds {capacity}"
            ),
            Violation::LengthToggle { reg } => {
                write!(f, "length register {reg:#04x} carries a consumed toggle")
            }
            Violation::Batch(e) => write!(f, "bad RX batch: {e}"),
            Violation::Sequence {
                channel,
                expected,
                found,
            } => write!(
                f,
                "sequence {found} on the {channel:?} channel, expected {expected}"
            ),
            Violation::UnexpectedConfirm {
                confirm,
                pending: Some(p),
            } => write!(f, "confirm {confirm:#06x} while {p:#06x} is outstanding"),
            Violation::UnexpectedConfirm {
                confirm,
                pending: None,
            } => write!(f, "confirm {confirm:#06x} with no command outstanding"),
            Violation::BadMessage { id, error } => write!(f, "bad message {id:#06x}: {error}"),
            Violation::BadStartup(e) => write!(f, "bad startup indication: {e}"),
        }
    }
}

/// Why the link needs recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fatal {
    /// The chip broke the protocol.
    Violation(Violation),
    /// The firmware sent a 0x0800 exception.
    Exception {
        /// Its reason word, when the message decodes (0–3 CPU exceptions, ≥ 4 assert).
        reason: Option<u32>,
    },
    /// The outstanding command was not confirmed in time (it has been abandoned).
    CommandTimeout {
        /// Base id of the command.
        id: u16,
    },
    /// Buffers stayed in use without any confirm for [`Config::confirm_timeout_us`].
    ConfirmTimeout {
        /// Buffers in use.
        in_use: u16,
    },
    /// Bus transfers kept failing ([`Config::bus_retries`]) or the card is gone.
    Bus(BusError),
    /// The chip did not wake: the MCU_ACTIVE handshake never saw MCU_WAKEUP_READY.
    WakeTimeout(WakeTimeout),
    /// The engine's own bookkeeping disagreed with itself (a bug, reported instead of a
    /// panic).
    Internal(Error),
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Fatal::Violation(v) => write!(f, "chip protocol violation: {v}"),
            Fatal::Exception { reason: Some(r) } => write!(f, "firmware exception, reason {r}"),
            Fatal::Exception { reason: None } => write!(f, "firmware exception"),
            Fatal::CommandTimeout { id } => write!(f, "command {id:#06x} timed out"),
            Fatal::ConfirmTimeout { in_use } => {
                write!(f, "no confirm with {in_use} buffers in use")
            }
            Fatal::Bus(e) => write!(f, "bus: {e}"),
            Fatal::WakeTimeout(w) => write!(f, "{w}"),
            Fatal::Internal(e) => write!(f, "internal error: {e}"),
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PassReport {
    /// Counters of this pass.
    pub counters: Counters,
    /// More work is pending (a per-pass limit was reached, or a failed transfer waits for
    /// its retry): call again without waiting for an interrupt.
    pub more: bool,
    /// The startup indication was accepted in this pass.
    pub started: bool,
    /// The link needs recovery. Sticky until [`Bh::reset`].
    pub fatal: Option<Fatal>,
}

/// Why a pass stopped early.
enum Stop {
    /// A bus transfer failed; retry in the next pass.
    Retry,
    /// The link is dead.
    Fatal(Fatal),
}

impl From<Fatal> for Stop {
    fn from(f: Fatal) -> Self {
        Stop::Fatal(f)
    }
}

impl From<Violation> for Stop {
    fn from(v: Violation) -> Self {
        Stop::Fatal(Fatal::Violation(v))
    }
}

/// An engine bookkeeping error (not the chip's fault).
fn internal(e: Error) -> Stop {
    Stop::Fatal(Fatal::Internal(e))
}

/// Why a data frame does not go into the current batch.
enum Refusal {
    /// It needs another batch (slot size, batch full, MCU message alone).
    Later,
    /// It can never be sent.
    Reject(Error),
}

/// The bottom half's state and its pass.
///
/// Moved into the BH thread; `Send` but not `Sync` (it owns a [`FlowControl`]):
///
/// ```compile_fail
/// fn shared<T: Sync>() {}
/// shared::<bes2600_engine::pass::Bh>();
/// ```
#[derive(Debug)]
pub struct Bh {
    /// Tunables.
    cfg: Config,
    /// Buffers in use, sequence numbers, the outstanding command's id.
    flow: FlowControl,
    /// The CMD53 read and write toggles and the expected length-register toggle.
    toggles: Toggles,
    /// The outstanding command's identity and deadline.
    cmd: CommandChannel,
    /// The value of register 0x001 last accepted.
    last_len_reg: Option<u8>,
    /// An accepted RX batch whose read failed: its length.
    rx_retry: Option<usize>,
    /// A built TX batch whose write failed (it is still in the TX buffer).
    tx_retry: Option<TxBatch>,
    /// Passes in a row with a failed transfer.
    bus_failures: u32,
    /// Last confirm, or the moment buffers went from none to some in use.
    progress_at_us: u64,
    /// The fatal outcome, sticky until [`Self::reset`].
    failed: Option<Fatal>,
    /// Counters summed over every pass.
    totals: Counters,
    /// The chip's wake/sleep state.
    power: Power,
}

impl Bh {
    /// The state after WiFi activation: toggles and sequence numbers 0, capacity unknown
    /// until the startup indication arrives.
    pub const fn new(cfg: Config) -> Self {
        Self {
            cfg,
            flow: FlowControl::new(),
            toggles: Toggles::new(),
            cmd: CommandChannel::new(cfg.command_timeout_us),
            last_len_reg: None,
            rx_retry: None,
            tx_retry: None,
            bus_failures: 0,
            progress_at_us: 0,
            failed: None,
            totals: Counters::ZERO,
            power: Power::new(),
        }
    }

    /// Back to the [`Self::new`] state after the chip was reset and WiFi activated again (toggles
    /// and sequence numbers restart at 0, docs/chip-protocol.md, "Toggles", "Sequence numbers").
    /// Returns the command that was outstanding, whose caller must be failed. The totals are kept.
    pub fn reset(&mut self) -> Option<Outstanding> {
        let o = self.cmd.abandon();
        let totals = self.totals;
        let mut power = core::mem::take(&mut self.power);
        // A restarted firmware runs awake (docs/bh.md, "Chip wake and sleep").
        power.reset();
        *self = Self::new(self.cfg);
        self.totals = totals;
        self.power = power;
        o
    }

    /// The configuration.
    pub const fn config(&self) -> &Config {
        &self.cfg
    }

    /// The flow-control state (read only).
    pub const fn flow(&self) -> &FlowControl {
        &self.flow
    }

    /// Whether the startup indication was accepted.
    pub const fn is_started(&self) -> bool {
        self.flow.is_started()
    }

    /// The command awaiting its confirm.
    pub const fn outstanding(&self) -> Option<Outstanding> {
        self.cmd.outstanding()
    }

    /// The fatal outcome, until [`Self::reset`].
    pub const fn failure(&self) -> Option<Fatal> {
        self.failed
    }

    /// Counters summed over every pass.
    pub const fn totals(&self) -> &Counters {
        &self.totals
    }

    /// The chip's wake/sleep state.
    pub const fn power_state(&self) -> PowerState {
        self.power.state()
    }

    /// What the wake/sleep state machine counted (kept across [`Self::reset`]).
    pub const fn power_counts(&self) -> &PowerCounts {
        self.power.counts()
    }

    /// The shell allows the chip to sleep when idle, or not: its sleep policy
    /// ([`super::power::Activity::allows_sleep`]) and whatever it still holds. Taken into
    /// account by the next pass; not allowed while asleep wakes the chip.
    pub fn set_sleep_allowed(&mut self, allowed: bool) {
        self.power.set_allowed(allowed);
    }

    /// How long the chip stays awake after a TX batch before it may sleep
    /// ([`super::power::Activity::tx_hold_us`]).
    pub fn set_sleep_tx_hold(&mut self, us: u64) {
        self.power.set_tx_hold(us);
    }

    /// The earliest time a pass has a timeout to check (the shell bounds its wait with it).
    pub fn next_deadline(&self) -> Option<u64> {
        if self.failed.is_some() {
            return None;
        }
        let watchdog = (self.flow.in_use() > 0).then(|| {
            self.progress_at_us
                .saturating_add(self.cfg.confirm_timeout_us)
        });
        // Before the startup indication nothing sleeps.
        let power = self
            .flow
            .is_started()
            .then(|| self.power.deadline())
            .flatten();
        [self.cmd.deadline(), watchdog, power]
            .into_iter()
            .flatten()
            .min()
    }

    /// One pass: RX inline, dispatch, timeouts, TX (see the module docs).
    pub fn pass<B, C, Q, D, E>(
        &mut self,
        bus: &mut B,
        clock: &C,
        commands: &mut Q,
        data: &mut D,
        events: &mut E,
    ) -> PassReport
    where
        B: Bus + ?Sized,
        C: Clock + ?Sized,
        Q: TxSource + ?Sized,
        D: TxSource + ?Sized,
        E: Events + ?Sized,
    {
        let mut r = PassReport::default();
        if let Some(f) = self.failed {
            r.fatal = Some(f);
            return r;
        }
        match self.run(bus, clock, commands, data, events, &mut r) {
            Ok(more) => {
                self.bus_failures = 0;
                r.more = more;
            }
            Err(Stop::Retry) => r.more = true,
            Err(Stop::Fatal(f)) => {
                match f {
                    Fatal::Violation(_) => r.counters.violations += 1,
                    Fatal::CommandTimeout { .. } | Fatal::ConfirmTimeout { .. } => {
                        r.counters.timeouts += 1
                    }
                    Fatal::Exception { .. } => r.counters.exceptions += 1,
                    Fatal::WakeTimeout(_) => r.counters.timeouts += 1,
                    Fatal::Bus(_) | Fatal::Internal(_) => {}
                }
                self.failed = Some(f);
                r.fatal = Some(f);
            }
        }
        self.totals.add(&r.counters);
        r
    }

    /// The pass proper: RX, timeouts, TX. Returns whether more work is pending.
    fn run<B, C, Q, D, E>(
        &mut self,
        bus: &mut B,
        clock: &C,
        commands: &mut Q,
        data: &mut D,
        events: &mut E,
        r: &mut PassReport,
    ) -> Result<bool, Stop>
    where
        B: Bus + ?Sized,
        C: Clock + ?Sized,
        Q: TxSource + ?Sized,
        D: TxSource + ?Sized,
        E: Events + ?Sized,
    {
        let rx_more = self.rx(bus, clock, events, r)?;
        self.check_timeouts(clock.now_us())?;
        self.power_step(bus, clock.now_us(), commands, data, r)?;
        let tx_more = self.tx(bus, clock, commands, data, r)?;
        Ok(rx_more || tx_more)
    }

    /// The wake/sleep step ([`Power::step`]): whether the chip is idle, whether work waits.
    fn power_step<B, Q, D>(
        &mut self,
        bus: &mut B,
        now: u64,
        commands: &mut Q,
        data: &mut D,
        r: &mut PassReport,
    ) -> Result<(), Stop>
    where
        B: Bus + ?Sized,
        Q: TxSource + ?Sized,
        D: TxSource + ?Sized,
    {
        if !self.flow.is_started() {
            return Ok(());
        }
        let work = commands.peek().is_some() || data.peek().is_some();
        let idle = !work
            && self.cmd.is_idle()
            && self.flow.is_idle()
            && self.tx_retry.is_none()
            && self.rx_retry.is_none();
        match self.power.step(bus, now, idle, work) {
            Ok(()) => Ok(()),
            Err(StepError::Bus(e)) => Err(self.bus_failed(e, r)),
            Err(StepError::Wake(w)) => Err(Fatal::WakeTimeout(w).into()),
        }
    }

    /// Counts a failed transfer and decides between retry and giving up.
    fn bus_failed(&mut self, e: BusError, r: &mut PassReport) -> Stop {
        r.counters.bus_errors += 1;
        self.bus_failures = self.bus_failures.saturating_add(1);
        if e == BusError::NoDevice || self.bus_failures > self.cfg.bus_retries {
            Stop::Fatal(Fatal::Bus(e))
        } else {
            Stop::Retry
        }
    }

    /// Reads RX batches and dispatches their messages. Returns whether more may be
    /// pending (the per-pass limit was reached).
    fn rx<B, C, E>(
        &mut self,
        bus: &mut B,
        clock: &C,
        events: &mut E,
        r: &mut PassReport,
    ) -> Result<bool, Stop>
    where
        B: Bus + ?Sized,
        C: Clock + ?Sized,
        E: Events + ?Sized,
    {
        for _ in 0..self.cfg.max_rx_batches.max(1) {
            let len = match self.rx_retry.take() {
                Some(len) => len,
                None => match self.poll_length(bus, r)? {
                    Some(len) => len,
                    None => return Ok(false),
                },
            };
            let capacity = bus.rx_capacity();
            if len > capacity {
                return Err(Violation::RxTooLong {
                    announced: len,
                    capacity,
                }
                .into());
            }
            let field = u16::try_from(len).map_err(|_| {
                internal(Error::BadLength {
                    len,
                    limit: usize::from(u16::MAX),
                })
            })?;
            let toggle = self.toggles.take_rx();
            let cmd = Cmd53::data(false, DataAddress { len: field, toggle }, len, false)
                .map_err(internal)?;
            let bytes = match bus.read_data(cmd) {
                Ok(b) => b,
                Err(e) => {
                    self.toggles.undo_rx();
                    self.rx_retry = Some(len);
                    return Err(self.bus_failed(e, r));
                }
            };
            r.counters.rx_batches += 1;
            let batch = RxBatch::parse(bytes, len).map_err(Violation::Batch)?;
            let now = clock.now_us();
            self.power.activity(now);
            for m in batch.iter() {
                r.counters.rx_frames += 1;
                self.dispatch(m, now, events, r)?;
            }
        }
        Ok(true)
    }

    /// Reads the length register (docs/chip-protocol.md, "RX: when to read"): the length of a fresh
    /// batch, or `None` when nothing new is pending.
    fn poll_length<B>(&mut self, bus: &mut B, r: &mut PassReport) -> Result<Option<usize>, Stop>
    where
        B: Bus + ?Sized,
    {
        let mut empties = 0u32;
        loop {
            let byte = match bus.read_reg(reg::RX_LEN) {
                Ok(b) => b,
                Err(e) => return Err(self.bus_failed(e, r)),
            };
            let lr = LengthReg::from_byte(byte);
            if lr.is_empty() {
                r.counters.empty_polls += 1;
                if empties >= self.cfg.empty_polls {
                    return Ok(None);
                }
                let ctrl = match bus.read_reg(reg::CTRL) {
                    Ok(b) => b,
                    Err(e) => return Err(self.bus_failed(e, r)),
                };
                if ctrl_nothing_pending(ctrl) {
                    return Ok(None);
                }
                empties += 1;
                continue;
            }
            if lr.toggle != self.toggles.expected_length_toggle() {
                if self.cfg.strict_length_toggle && self.last_len_reg != Some(byte) {
                    return Err(Violation::LengthToggle { reg: byte }.into());
                }
                r.counters.stale_polls += 1;
                return Ok(None);
            }
            return match self.toggles.accept_length(lr) {
                RxPoll::Batch(len) => {
                    self.last_len_reg = Some(byte);
                    Ok(Some(len))
                }
                RxPoll::Stale | RxPoll::Empty => Ok(None),
            };
        }
    }

    /// Processes one received message.
    fn dispatch<E>(
        &mut self,
        m: &[u8],
        now: u64,
        events: &mut E,
        r: &mut PassReport,
    ) -> Result<(), Stop>
    where
        E: Events + ?Sized,
    {
        let received = self.flow.on_receive(m).map_err(|e| classify(e, m))?;
        match received {
            Received::Exception => {
                events.exception(m);
                let reason = msg::decode::<Exception>(m).ok().map(|(_, e)| e.reason);
                Err(Fatal::Exception { reason }.into())
            }
            Received::Indication { id: id::STARTUP } => {
                let (_, ind) =
                    msg::decode::<StartupIndication>(m).map_err(Violation::BadStartup)?;
                self.flow.start(&ind).map_err(Violation::BadStartup)?;
                self.power.activity(now);
                r.started = true;
                events.firmware_up(&ind);
                Ok(())
            }
            Received::Indication { .. } => {
                r.counters.indications += 1;
                events.indication(m);
                Ok(())
            }
            Received::CommandConfirm { id, .. } => {
                self.progress_at_us = now;
                // Flow control matched it against its own record of the command; the
                // channel must agree.
                self.cmd.confirm(id).map_err(|_| {
                    internal(Error::Flow(FlowError::UnexpectedConfirm {
                        confirm: id,
                        pending: self.cmd.outstanding().map(|o| o.base()),
                    }))
                })?;
                r.counters.confirms += 1;
                if self.power.owns_outstanding() {
                    // The engine's own power-mode write: nobody upstairs waits for it.
                    self.power.own_confirmed();
                } else {
                    events.command_done(m);
                }
                Ok(())
            }
            Received::TxConfirm { count, .. } => {
                self.progress_at_us = now;
                r.counters.tx_confirmed += u32::from(count);
                events.tx_confirm(m);
                Ok(())
            }
        }
    }

    /// The command deadline and the buffer watchdog.
    fn check_timeouts(&mut self, now: u64) -> Result<(), Stop> {
        if let Some(o) = self.cmd.expired(now) {
            self.cmd.abandon();
            self.flow.abandon_command();
            return Err(Fatal::CommandTimeout { id: o.base() }.into());
        }
        let in_use = self.flow.in_use();
        if in_use > 0
            && now
                >= self
                    .progress_at_us
                    .saturating_add(self.cfg.confirm_timeout_us)
        {
            return Err(Fatal::ConfirmTimeout { in_use }.into());
        }
        Ok(())
    }

    /// Retries a failed write, then builds and writes batches. Returns whether more could
    /// be sent (the per-pass limit was reached).
    fn tx<B, C, Q, D>(
        &mut self,
        bus: &mut B,
        clock: &C,
        commands: &mut Q,
        data: &mut D,
        r: &mut PassReport,
    ) -> Result<bool, Stop>
    where
        B: Bus + ?Sized,
        C: Clock + ?Sized,
        Q: TxSource + ?Sized,
        D: TxSource + ?Sized,
    {
        let now = clock.now_us();
        if let Some(batch) = self.tx_retry.take() {
            self.write(bus, batch, now, r)?;
        }
        if !self.flow.is_started() {
            return Ok(false);
        }
        for _ in 0..self.cfg.max_tx_batches.max(1) {
            match self.build(bus.tx_buffer(), now, commands, data, r)? {
                Some(batch) => self.write(bus, batch, now, r)?,
                None => return Ok(false),
            }
        }
        // Not awake: the power step's deadline brings the next pass, not a busy loop.
        if !self.power.is_awake() {
            return Ok(false);
        }
        let command_ready = self.cmd.is_idle() && self.flow.can_send_command();
        let data_ready = self.flow.data_budget() > 0;
        Ok((command_ready && commands.peek().is_some()) || (data_ready && data.peek().is_some()))
    }

    /// Writes a built batch with the next TX toggle; on failure keeps it for a retry.
    fn write<B>(
        &mut self,
        bus: &mut B,
        batch: TxBatch,
        now: u64,
        r: &mut PassReport,
    ) -> Result<(), Stop>
    where
        B: Bus + ?Sized,
    {
        let toggle = self.toggles.take_tx();
        let cmd = match batch.cmd53(toggle) {
            Ok(c) => c,
            Err(e) => {
                self.toggles.undo_tx();
                return Err(internal(e));
            }
        };
        match bus.write_data(cmd) {
            Ok(()) => {
                self.power.activity(now);
                r.counters.tx_batches += 1;
                r.counters.tx_frames = r
                    .counters
                    .tx_frames
                    .saturating_add(u32::try_from(batch.count).unwrap_or(u32::MAX));
                Ok(())
            }
            Err(e) => {
                self.toggles.undo_tx();
                self.tx_retry = Some(batch);
                Err(self.bus_failed(e, r))
            }
        }
    }

    /// Builds one batch in `buf`: the pending command first, then data frames. `None` when
    /// nothing can be sent.
    fn build<Q, D>(
        &mut self,
        buf: &mut [u8],
        now: u64,
        commands: &mut Q,
        data: &mut D,
        r: &mut PassReport,
    ) -> Result<Option<TxBatch>, Stop>
    where
        Q: TxSource + ?Sized,
        D: TxSource + ?Sized,
    {
        // The trailer holds the host time in ms; it wraps like the vendor's jiffies-ms.
        let stamp = (now / 1000) as u32;
        let was_idle = self.flow.is_idle();
        let mut b = TxBatchBuilder::new(buf, self.cfg.tx);

        if self.cmd.is_idle() && self.flow.can_send_command() {
            if let Some(mode) = self.power.own_mib() {
                // The power handshake's own command goes first; the shell's waits until the
                // chip is awake.
                let mut own = OwnMib::new(mode).map_err(internal)?;
                self.push_command(&mut b, &mut own, now, stamp, r)?;
                if let Some(e) = own.rejected {
                    return Err(internal(e));
                }
                if own.taken {
                    self.power.own_sent();
                }
            } else if self.power.is_awake() {
                self.push_command(&mut b, commands, now, stamp, r)?;
            }
        }

        while self.power.is_awake() && self.flow.data_budget() > 0 {
            let Some(m) = data.peek() else {
                break;
            };
            match check_data(m, &b) {
                Ok(if_id) => {
                    let seq = self.flow.admit_data(if_id).map_err(internal)?;
                    let copy = b.push(m, stamp).map_err(internal)?;
                    wsm_header::stamp_seq(copy, seq).map_err(internal)?;
                    data.taken();
                    self.power.data_sent(now);
                }
                Err(Refusal::Later) => break,
                Err(Refusal::Reject(e)) => {
                    data.rejected(e);
                    r.counters.rejected += 1;
                }
            }
        }

        if b.is_empty() {
            return Ok(None);
        }
        if was_idle {
            // Buffers go from none to some in use: the watchdog starts now.
            self.progress_at_us = now;
        }
        b.finish().map(Some).map_err(internal)
    }

    /// Puts the head command of `src` into batch `b`, or refuses it.
    fn push_command<S>(
        &mut self,
        b: &mut TxBatchBuilder<'_>,
        src: &mut S,
        now: u64,
        stamp: u32,
        r: &mut PassReport,
    ) -> Result<(), Stop>
    where
        S: TxSource + ?Sized,
    {
        let Some(m) = src.peek() else {
            return Ok(());
        };
        match self.check_command(m, b) {
            Ok(cmd_id) => {
                let seq = self.flow.admit_command(cmd_id).map_err(internal)?;
                let copy = b.push(m, stamp).map_err(internal)?;
                wsm_header::stamp_seq(copy, seq).map_err(internal)?;
                self.cmd
                    .sent(cmd_id.with_seq(seq), now)
                    .map_err(|_| internal(Error::Flow(FlowError::CommandPending)))?;
                src.taken();
                r.counters.tx_commands += 1;
            }
            Err(e) => {
                src.rejected(e);
                r.counters.rejected += 1;
            }
        }
        Ok(())
    }

    /// Whether `m` is a command that can be sent: a complete request other than 0x0004,
    /// interface 0..=2 (MCU-channel commands: no interface bits), fitting a slot.
    fn check_command(&self, m: &[u8], b: &TxBatchBuilder<'_>) -> Result<MsgId, Error> {
        let h = complete_header(m)?;
        self.cmd.check(h).map_err(|_| Error::InvalidField {
            field: "command id",
            value: u32::from(h.raw()),
        })?;
        check_interface(h)?;
        b.check(m)?;
        Ok(MsgId::from_raw(h.raw() & !wsm_header::SEQ_MASK))
    }
}

/// The id of a complete WSM message (header length equal to the slice length).
fn complete_header(m: &[u8]) -> Result<MsgId, Error> {
    let (h, _, _) = wsm_header::split(m)?;
    if usize::from(h.len) != m.len() {
        return Err(Error::BadLength {
            len: m.len(),
            limit: usize::from(h.len),
        });
    }
    Ok(h.id)
}

/// Interface ids above 2 are refused by the firmware; MCU-channel messages carry none.
fn check_interface(id: MsgId) -> Result<(), Error> {
    let ok = match id.class() {
        MsgClass::Mcu => id.if_id() == 0,
        _ => usize::from(id.if_id()) < MAX_VIFS,
    };
    if ok {
        Ok(())
    } else {
        Err(FlowError::BadInterface { if_id: id.if_id() }.into())
    }
}

/// Whether the data frame `m` can join batch `b`; its interface id if so.
fn check_data(m: &[u8], b: &TxBatchBuilder<'_>) -> Result<u8, Refusal> {
    let h = complete_header(m).map_err(Refusal::Reject)?;
    if h.base() != id::TX {
        return Err(Refusal::Reject(Error::UnexpectedId {
            expected: id::TX,
            found: h.base(),
        }));
    }
    check_interface(h).map_err(Refusal::Reject)?;
    // The confirm finds the interface through the packet id (docs/chip-protocol.md,
    // "Flow control"); a frame whose packet id names another interface would corrupt the
    // per-interface count.
    let (_, req) = msg::decode::<TxRequest<'_>>(m).map_err(Refusal::Reject)?;
    if req.packet_id.if_id() != h.if_id() {
        return Err(Refusal::Reject(Error::InvalidField {
            field: "packet id interface",
            value: u32::from(req.packet_id.if_id()),
        }));
    }
    match b.check(m) {
        Ok(_) => Ok(h.if_id()),
        Err(Error::SlotMismatch { .. } | Error::BatchFull { .. } | Error::McuMessageNotAlone) => {
            Err(Refusal::Later)
        }
        Err(Error::BufferTooSmall { .. }) if !b.is_empty() => Err(Refusal::Later),
        Err(e) => Err(Refusal::Reject(e)),
    }
}

/// Maps a flow-control refusal of a received message to the violation it is.
fn classify(e: Error, m: &[u8]) -> Stop {
    let v = match e {
        Error::Sequence {
            channel,
            expected,
            found,
        } => Violation::Sequence {
            channel,
            expected,
            found,
        },
        Error::Flow(FlowError::UnexpectedConfirm { confirm, pending }) => {
            Violation::UnexpectedConfirm { confirm, pending }
        }
        error => Violation::BadMessage {
            id: wsm_header::Header::parse(m).map_or(0, |h| h.id.raw()),
            error,
        },
    };
    v.into()
}
