// SPDX-License-Identifier: GPL-2.0

//! The chip's wake/sleep handshake (docs/bh.md, "Chip wake and sleep"; the wire side in
//! docs/chip-protocol.md, "Subsystem handshake", "Wake line and sleep").
//!
//! The chip's MCU may sleep while the host has nothing for it. Asleep, it takes no TX batch:
//! every command and data frame must wait until it was woken, and the firmware told it is
//! active again. [`Power`] is that state machine; it lives inside the BH's
//! [`super::pass::Bh`] (so the BH thread is its only writer, docs/architecture.md, "The
//! ownership rule") and the pass drives it once per pass, between the RX reads and the TX
//! batches:
//!
//! ```text
//!      idle 50 ms (and TX hold), allowed            confirm        MCU_WAKEUP_READY clear
//!  Awake ──────────────────────────▶ MIB 0x1006 = 0x12 ──────▶ MCU_DEACTIVE ──────────────▶ Asleep
//!    ▲      (GoingToSleep)                │ work or not allowed    (poll 2 ms, ≤ 200 ms)      │
//!    │                                    ▼                                      work or not  │
//!    └──── confirm ◀── MIB 0x1006 = 0x10 ◀──── MCU_WAKEUP_READY set ◀── MCU_ACTIVE ◀── allowed ┘
//!                          (Waking)               (ring and poll every 2 ms, ≤ 201 times)
//! ```
//!
//! * **Idle** is: the firmware is up, no command outstanding or queued, no data frame queued
//!   or unconfirmed, no failed transfer waiting for its retry, and no RX batch and no TX
//!   batch for [`IDLE_US`], nor a data frame sent within the shell's TX hold
//!   ([`ASSOCIATED_TX_HOLD_US`] while associated); and the shell allows sleep
//!   ([`Activity::allows_sleep`] plus its own queues).
//! * The two MIB writes are the engine's own commands: they go through the one command
//!   channel like any other (one command outstanding, its confirm, its timeout), ahead of
//!   the shell's command, whose turn comes once the chip is awake again.
//! * The doorbell polls never spin: the step rings, records when to read the status
//!   register next, and [`Power::deadline`] makes the shell sleep until then.
//! * RX is read in every state: the chip announces a batch only when it has one, which it
//!   can only do awake, and reading it does not wake the chip for TX.
//! * A wake whose MCU_WAKEUP_READY never comes is fatal ([`WakeTimeout`]); a sleep whose bit
//!   never clears counts as asleep after [`SLEEP_POLLS`] reads, as the vendor does.

use core::fmt;

use super::bus::{
    ring,
    Bus,
    BusError, //
};
use crate::protocol::{
    error::Error,
    mib::{
        OperationalPowerMode,
        SetMib, //
    },
    msg,
    sdio_framing::{
        reg,
        Doorbell,
        SlaveStatus, //
    },
};

/// Time without traffic before the chip may sleep: the vendor's power-down delay after the
/// last busy event (docs/chip-protocol.md, "Wake line and sleep").
pub const IDLE_US: u64 = 50_000;
/// Time after the last data frame the host sent before an associated station's chip may
/// sleep: the vendor's busy time after a transmission (docs/chip-protocol.md, "Wake line and
/// sleep"). A conversation (a TCP flow, a ping every second) keeps the chip awake instead of
/// paying a wake for each frame the host sends; the AP's frames alone (beacons, broadcasts)
/// and commands do not.
pub const ASSOCIATED_TX_HOLD_US: u64 = 1_500_000;
/// Time between a doorbell and the read of the status register, and between two reads
/// (docs/chip-protocol.md, "Subsystem handshake": 2 ms for the MCU).
pub const POLL_US: u64 = 2_000;
/// MCU_ACTIVE doorbells before the wake is given up (docs/chip-protocol.md, "Subsystem
/// handshake": up to 201 tries).
pub const WAKE_TRIES: u32 = 201;
/// Status reads after MCU_DEACTIVE before the chip counts as asleep anyway (200 ms).
pub const SLEEP_POLLS: u32 = 100;
/// MIB 0x1006 value while awake: active (0), More-Data not used (bit 4).
pub const MODE_ACTIVE: u32 = 0x10;
/// MIB 0x1006 value before sleeping: quiescent (2), More-Data not used (bit 4).
pub const MODE_QUIESCENT: u32 = 0x12;

/// Where the chip is, as debugfs shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerState {
    /// Awake: commands and data go.
    Awake,
    /// The quiescent mode is being set and the MCU deactivated.
    GoingToSleep,
    /// Asleep: only RX the chip announces is read.
    Asleep,
    /// The MCU is being activated and the active mode set.
    Waking,
}

impl PowerState {
    /// The state's name (debugfs).
    pub const fn name(self) -> &'static str {
        match self {
            PowerState::Awake => "awake",
            PowerState::GoingToSleep => "going_to_sleep",
            PowerState::Asleep => "asleep",
            PowerState::Waking => "waking",
        }
    }
}

/// The MCU did not report itself awake after [`WAKE_TRIES`] MCU_ACTIVE doorbells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WakeTimeout {
    /// The last value read from the status register 0x10C.
    pub status: u8,
    /// Doorbells rung.
    pub tries: u32,
}

impl fmt::Display for WakeTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the chip did not wake: MCU_WAKEUP_READY not set after {} MCU_ACTIVE doorbells \
             (status {:#04x})",
            self.tries, self.status
        )
    }
}

/// Why a power step stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepError {
    /// A doorbell or status transfer failed; the step is retried unchanged.
    Bus(BusError),
    /// The wake handshake failed.
    Wake(WakeTimeout),
}

/// What mac80211 is doing, as the shell reports it: the sleep policy's input.
///
/// Plain bits so that process context can publish them with one atomic store and the BH read
/// them at every pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Activity(pub u32);

impl Activity {
    /// A join is in progress or done: authentication, association or the association itself
    /// (the BSSID is set).
    pub const JOINED: u32 = 1 << 0;
    /// Associated (BSS parameters sent).
    pub const ASSOCIATED: u32 = 1 << 1;
    /// A hardware scan runs.
    pub const SCANNING: u32 = 1 << 2;
    /// A remain-on-channel runs (not offered to mac80211 yet; kept for the policy).
    pub const REMAIN_ON_CHANNEL: u32 = 1 << 3;
    /// The association runs 802.11 power save: the chip confirmed a 0x0010 set PM with a doze
    /// mode, so its radio dozes between beacons and wakes for the AP's TIM by itself, and the
    /// AP buffers for it.
    pub const POWER_SAVE: u32 = 1 << 4;

    /// Nothing going on: no interface, or interfaces up but idle.
    pub const IDLE: Activity = Activity(0);

    /// `self` with `bit` set or cleared.
    pub const fn with(self, bit: u32, on: bool) -> Self {
        if on {
            Activity(self.0 | bit)
        } else {
            Activity(self.0 & !bit)
        }
    }

    /// Whether the chip may sleep: not while it scans or is on another channel, nor while a
    /// join, authentication or association is in progress. An idle station (no interface, or
    /// one up and not joined) may; so may an associated one in 802.11 power save, when
    /// `while_associated` (the shell's [`SleepSwitch::while_associated`]): the radio then
    /// dozes between beacons without the processor, which is woken for the host's next
    /// frame and delivers what it receives by itself (the vendor's low-power state while
    /// associated, docs/bh.md, "Chip wake and sleep").
    pub const fn allows_sleep(self, while_associated: bool) -> bool {
        if self.0 & (Self::SCANNING | Self::REMAIN_ON_CHANNEL) != 0 {
            return false;
        }
        if self.0 & (Self::JOINED | Self::ASSOCIATED) == 0 {
            return true;
        }
        let dozing = Self::ASSOCIATED | Self::POWER_SAVE;
        while_associated && self.0 & dozing == dozing
    }

    /// How long after the last data frame sent the chip stays awake ([`Power::set_tx_hold`]):
    /// [`ASSOCIATED_TX_HOLD_US`] while associated, nothing beyond [`IDLE_US`] otherwise.
    pub const fn tx_hold_us(self) -> u64 {
        if self.0 & Self::ASSOCIATED != 0 {
            ASSOCIATED_TX_HOLD_US
        } else {
            0
        }
    }
}

/// Where an own MIB write stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MibStep {
    /// To be put into the next TX batch.
    ToSend,
    /// On the bus, its confirm awaited.
    Sent,
    /// Confirmed; the next step acts on it.
    Confirmed,
}

/// The state machine's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Awake.
    Awake,
    /// MIB 0x1006 = quiescent.
    Quiescing(MibStep),
    /// MCU_DEACTIVE rung; reading 0x10C until MCU_WAKEUP_READY clears.
    Deactivating {
        /// Reads done.
        polls: u32,
        /// When to read next.
        poll_at: u64,
    },
    /// Asleep.
    Asleep,
    /// MCU_ACTIVE rung; reading 0x10C until MCU_WAKEUP_READY is set.
    Activating {
        /// Doorbells rung.
        tries: u32,
        /// When to read next.
        poll_at: u64,
        /// When the wake started.
        since: u64,
    },
    /// MIB 0x1006 = active.
    Resuming {
        /// The MIB write.
        step: MibStep,
        /// When the wake started.
        since: u64,
    },
}

/// What the power state machine counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PowerCounts {
    /// Times the chip went to sleep.
    pub sleeps: u32,
    /// Times it was woken (the wake completed).
    pub wakes: u32,
    /// Sleeps whose MCU_WAKEUP_READY never cleared (counted as asleep anyway).
    pub sleeps_unconfirmed: u32,
    /// Sum of the wake latencies (first doorbell to the active-mode confirm), µs.
    pub wake_us_total: u64,
    /// Largest wake latency, µs.
    pub wake_us_max: u64,
}

impl PowerCounts {
    /// Average wake latency, µs (0 without wakes).
    pub fn wake_us_avg(&self) -> u64 {
        self.wake_us_total
            .checked_div(u64::from(self.wakes))
            .unwrap_or(0)
    }
}

/// Wake timeouts in a row (no completed wake between them) after which sleeping is turned
/// off for good: one can be a chip that crashed while asleep, which a restart cures; a second
/// after that restart is a chip that does not wake on request at all.
pub const WAKE_FAILURES_TO_DISABLE: u8 = 2;

/// Whether the chip may sleep at all (the shell's switch, before the per-pass policy): on as
/// configured, off for good once [`WAKE_FAILURES_TO_DISABLE`] wakes in a row timed out.
///
/// Without the wake line, whether the real chip's MCU answers the doorbell is open
/// (docs/bh.md, "Chip wake and sleep"); a chip that does not should cost one or two restarts,
/// not a restart per idle period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SleepSwitch {
    enabled: bool,
    failed_wakes: u8,
    wakes_seen: u32,
}

impl SleepSwitch {
    /// A switch that starts `enabled` (the module parameter).
    pub const fn new(enabled: bool) -> Self {
        Self {
            enabled,
            failed_wakes: 0,
            wakes_seen: 0,
        }
    }

    /// Whether the chip may sleep.
    pub const fn enabled(&self) -> bool {
        self.enabled
    }

    /// Whether the chip may also sleep while associated: only once it has woken on request
    /// since the module loaded. A chip whose MCU does not answer the doorbell is then found
    /// out while it idles unassociated, where a failed wake and its restart cost no
    /// connection; the station's first idle moment before it associates (or after the
    /// association ends) proves it.
    pub const fn while_associated(&self) -> bool {
        self.enabled && self.wakes_seen > 0
    }

    /// The engine's completed wakes after a pass ([`PowerCounts::wakes`]): a wake that
    /// completed since the last call ends a run of failures.
    pub fn observe(&mut self, wakes: u32) {
        if wakes != self.wakes_seen {
            self.wakes_seen = wakes;
            self.failed_wakes = 0;
        }
    }

    /// A wake timed out. Returns whether this turned sleeping off.
    pub fn wake_failed(&mut self) -> bool {
        if !self.enabled {
            return false;
        }
        self.failed_wakes = self.failed_wakes.saturating_add(1);
        if self.failed_wakes >= WAKE_FAILURES_TO_DISABLE {
            self.enabled = false;
            return true;
        }
        false
    }
}

/// The wake/sleep state machine (see the module docs).
#[derive(Debug)]
pub struct Power {
    /// The state.
    phase: Phase,
    /// The shell allows sleep.
    allowed: bool,
    /// Last traffic (RX or TX batch), or the last time the chip was not idle.
    active_at_us: u64,
    /// Last data frame put into a TX batch.
    data_at_us: u64,
    /// Time after the last data frame before the chip may sleep (besides [`IDLE_US`]).
    tx_hold_us: u64,
    /// Counters since probe.
    counts: PowerCounts,
}

impl Default for Power {
    fn default() -> Self {
        Self::new()
    }
}

impl Power {
    /// Awake, sleep not allowed: the state after WiFi activation (the vendor starts its power
    /// state machine held awake once WiFi runs).
    pub const fn new() -> Self {
        Self {
            phase: Phase::Awake,
            allowed: false,
            active_at_us: 0,
            data_at_us: 0,
            tx_hold_us: 0,
            counts: PowerCounts {
                sleeps: 0,
                wakes: 0,
                sleeps_unconfirmed: 0,
                wake_us_total: 0,
                wake_us_max: 0,
            },
        }
    }

    /// Back to awake after the chip was reset and WiFi activated again; the policy input and
    /// the counters are kept.
    pub fn reset(&mut self) {
        self.phase = Phase::Awake;
        self.active_at_us = 0;
        self.data_at_us = 0;
    }

    /// The state.
    pub const fn state(&self) -> PowerState {
        match self.phase {
            Phase::Awake => PowerState::Awake,
            Phase::Quiescing(_) | Phase::Deactivating { .. } => PowerState::GoingToSleep,
            Phase::Asleep => PowerState::Asleep,
            Phase::Activating { .. } | Phase::Resuming { .. } => PowerState::Waking,
        }
    }

    /// The counters.
    pub const fn counts(&self) -> &PowerCounts {
        &self.counts
    }

    /// Whether the shell allows sleep.
    pub const fn allowed(&self) -> bool {
        self.allowed
    }

    /// The shell allows sleep, or not (any more). Not allowed while asleep wakes the chip at the
    /// next pass.
    pub fn set_allowed(&mut self, allowed: bool) {
        self.allowed = allowed;
    }

    /// Whether the chip is awake: the shell's commands and data frames may go.
    pub const fn is_awake(&self) -> bool {
        matches!(self.phase, Phase::Awake)
    }

    /// How long the chip stays awake after a data frame, on top of [`IDLE_US`] after any
    /// traffic ([`Activity::tx_hold_us`]).
    pub fn set_tx_hold(&mut self, us: u64) {
        self.tx_hold_us = us;
    }

    /// Traffic at `now_us`: the idle time starts again.
    pub fn activity(&mut self, now_us: u64) {
        self.active_at_us = now_us;
    }

    /// A data frame went into a TX batch at `now_us`: the TX hold starts again.
    pub fn data_sent(&mut self, now_us: u64) {
        self.data_at_us = now_us;
    }

    /// When the chip, idle since, may start to sleep.
    const fn sleep_at(&self) -> u64 {
        let idle_end = self.active_at_us.saturating_add(IDLE_US);
        let tx_end = self.data_at_us.saturating_add(self.tx_hold_us);
        if idle_end > tx_end {
            idle_end
        } else {
            tx_end
        }
    }

    /// The MIB 0x1006 value the engine must send as its own command now, if any.
    pub const fn own_mib(&self) -> Option<u32> {
        match self.phase {
            Phase::Quiescing(MibStep::ToSend) => Some(MODE_QUIESCENT),
            Phase::Resuming {
                step: MibStep::ToSend,
                ..
            } => Some(MODE_ACTIVE),
            _ => None,
        }
    }

    /// The own MIB write is in a TX batch.
    pub fn own_sent(&mut self) {
        match &mut self.phase {
            Phase::Quiescing(s) | Phase::Resuming { step: s, .. } if *s == MibStep::ToSend => {
                *s = MibStep::Sent
            }
            _ => {}
        }
    }

    /// Whether the outstanding command is the engine's own MIB write.
    pub const fn owns_outstanding(&self) -> bool {
        matches!(
            self.phase,
            Phase::Quiescing(MibStep::Sent)
                | Phase::Resuming {
                    step: MibStep::Sent,
                    ..
                }
        )
    }

    /// The own MIB write was confirmed (whatever its status: the firmware answered, so it
    /// runs; the vendor does not act on the status either).
    pub fn own_confirmed(&mut self) {
        match &mut self.phase {
            Phase::Quiescing(s) | Phase::Resuming { step: s, .. } if *s == MibStep::Sent => {
                *s = MibStep::Confirmed
            }
            _ => {}
        }
    }

    /// The earliest time [`Self::step`] has something to do without new work: the end of the
    /// idle time, the next status read, or at once for a confirmed MIB write.
    pub const fn deadline(&self) -> Option<u64> {
        match self.phase {
            Phase::Awake if self.allowed => Some(self.sleep_at()),
            Phase::Deactivating { poll_at, .. } | Phase::Activating { poll_at, .. } => {
                Some(poll_at)
            }
            Phase::Quiescing(MibStep::Confirmed)
            | Phase::Resuming {
                step: MibStep::Confirmed,
                ..
            } => Some(0),
            _ => None,
        }
    }

    /// One step at `now_us`. `idle`: nothing is outstanding, queued or waiting for a retry;
    /// `work`: a command or data frame waits to be sent.
    pub fn step<B: Bus + ?Sized>(
        &mut self,
        bus: &mut B,
        now_us: u64,
        idle: bool,
        work: bool,
    ) -> Result<(), StepError> {
        let wake = work || !self.allowed;
        match self.phase {
            Phase::Awake => {
                if !(self.allowed && idle) {
                    self.active_at_us = now_us;
                } else if now_us >= self.sleep_at() {
                    self.phase = Phase::Quiescing(MibStep::ToSend);
                }
            }
            Phase::Quiescing(MibStep::Confirmed) => {
                if wake {
                    // The MCU never went down: only the mode is set back.
                    self.phase = Phase::Resuming {
                        step: MibStep::ToSend,
                        since: now_us,
                    };
                } else {
                    ring(bus, Doorbell::MCU_DEACTIVE).map_err(StepError::Bus)?;
                    self.phase = Phase::Deactivating {
                        polls: 0,
                        poll_at: now_us.saturating_add(POLL_US),
                    };
                }
            }
            // The deactivation runs to its end before a wake, as the vendor's does: the
            // chip is not asked to turn around mid-way.
            Phase::Deactivating { polls, poll_at } => {
                if now_us < poll_at {
                    return Ok(());
                }
                let asleep = match bus.read_reg(reg::SLAVE_STATUS) {
                    // The vendor takes a failed read here as "asleep" (it may already be).
                    Err(_) => true,
                    Ok(s) => s & SlaveStatus::MCU_WAKEUP_READY == 0,
                };
                let polls = polls.saturating_add(1);
                if asleep || polls >= SLEEP_POLLS {
                    if !asleep {
                        self.counts.sleeps_unconfirmed =
                            self.counts.sleeps_unconfirmed.saturating_add(1);
                    }
                    self.counts.sleeps = self.counts.sleeps.saturating_add(1);
                    self.phase = Phase::Asleep;
                    if wake {
                        return self.start_wake(bus, now_us);
                    }
                } else {
                    self.phase = Phase::Deactivating {
                        polls,
                        poll_at: now_us.saturating_add(POLL_US),
                    };
                }
            }
            Phase::Asleep => {
                if wake {
                    return self.start_wake(bus, now_us);
                }
            }
            Phase::Activating {
                tries,
                poll_at,
                since,
            } => {
                if now_us < poll_at {
                    return Ok(());
                }
                let s = bus.read_reg(reg::SLAVE_STATUS).map_err(StepError::Bus)?;
                if s & SlaveStatus::MCU_WAKEUP_READY != 0 {
                    self.phase = Phase::Resuming {
                        step: MibStep::ToSend,
                        since,
                    };
                } else if tries >= WAKE_TRIES {
                    return Err(StepError::Wake(WakeTimeout { status: s, tries }));
                } else {
                    ring(bus, Doorbell::MCU_ACTIVE).map_err(StepError::Bus)?;
                    self.phase = Phase::Activating {
                        tries: tries.saturating_add(1),
                        poll_at: now_us.saturating_add(POLL_US),
                        since,
                    };
                }
            }
            Phase::Resuming {
                step: MibStep::Confirmed,
                since,
            } => {
                let took = now_us.saturating_sub(since);
                let c = &mut self.counts;
                c.wakes = c.wakes.saturating_add(1);
                c.wake_us_total = c.wake_us_total.saturating_add(took);
                c.wake_us_max = c.wake_us_max.max(took);
                self.phase = Phase::Awake;
                self.active_at_us = now_us;
            }
            Phase::Quiescing(_) | Phase::Resuming { .. } => {}
        }
        Ok(())
    }

    /// Rings MCU_ACTIVE for the first time.
    fn start_wake<B: Bus + ?Sized>(&mut self, bus: &mut B, now_us: u64) -> Result<(), StepError> {
        ring(bus, Doorbell::MCU_ACTIVE).map_err(StepError::Bus)?;
        self.phase = Phase::Activating {
            tries: 1,
            poll_at: now_us.saturating_add(POLL_US),
            since: now_us,
        };
        Ok(())
    }
}

/// The engine's own MIB 0x1006 write, as a command source for the pass.
#[derive(Debug)]
pub(crate) struct OwnMib {
    /// The encoded request.
    buf: [u8; 16],
    /// Its length.
    len: usize,
    /// The pass put it into a TX batch.
    pub(crate) taken: bool,
    /// The pass refused it (an engine bug).
    pub(crate) rejected: Option<Error>,
}

impl OwnMib {
    /// The write of `mode` to MIB 0x1006 on interface 0 (a hardware-wide setting).
    pub(crate) fn new(mode: u32) -> Result<Self, Error> {
        let mut buf = [0u8; 16];
        let len = msg::encode(&SetMib(OperationalPowerMode(mode)), 0, &mut buf)?;
        Ok(Self {
            buf,
            len,
            taken: false,
            rejected: None,
        })
    }
}

impl super::pass::TxSource for OwnMib {
    fn peek(&mut self) -> Option<&[u8]> {
        if self.taken || self.rejected.is_some() {
            return None;
        }
        self.buf.get(..self.len)
    }

    fn taken(&mut self) {
        self.taken = true;
    }

    fn rejected(&mut self, error: Error) {
        self.rejected = Some(error);
    }
}
