// SPDX-License-Identifier: GPL-2.0

//! The recovery state machine, as pure logic driven by the clock.
//!
//! The vendor driver has no recovery: a fatal BH error schedules a "force close" that takes
//! WiFi down until user space re-opens it (docs/chip-protocol.md, "When the vendor driver gives
//! up"). This machine decides instead when to reset the chip, download the firmware again and
//! restore the configuration, with a retry budget and exponential backoff, and when to give up.
//!
//! ```text
//!  Booting ──BootOk──▶ Running ──failure──▶ Backoff ──backoff elapsed──▶ Restarting
//!     │                   ▲                   ▲                              │
//!     │                   └───────────────────┼─────────BootOk───────────────┤
//!     └──failure, boot timeout────────────────┴──failure, boot timeout───────┘
//!
//!  any failure with the budget spent ──▶ Dead ──Restart──▶ Restarting
//!
//!  any state ──Suspend──▶ Suspended ──Resume──▶ Resuming ──BootOk──▶ Running
//!                                                  └──failure──▶ Backoff (a fresh budget)
//! ```
//!
//! Inputs are [`Input`]s (from a pass's [`super::pass::Fatal`], from the boot code, or
//! from the user) and the passage of time ([`Recovery::poll`]); outputs are [`Actions`] the
//! shell carries out in their listed order. The attempt counter is forgiven after the link
//! has run for [`Policy::stable_us`], so rare faults over a long uptime never exhaust the
//! budget.

use super::pass::Fatal;

/// What went wrong, or right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The firmware is up (startup indication accepted) after a boot or restart.
    BootOk,
    /// The boot (download, activation, startup indication) failed.
    BootFailed,
    /// A command or the buffer watchdog timed out.
    CommandTimeout,
    /// The firmware sent an exception indication.
    Exception,
    /// The chip broke the protocol (or the engine's bookkeeping did).
    ProtocolViolation,
    /// Bus transfers kept failing.
    BusError,
    /// Try again from [`State::Dead`] (e.g. the interface is brought up again); resets the
    /// budget.
    Restart,
    /// The system suspends: the bus is about to be powered off with the chip on it, so
    /// nothing may touch it until [`Input::Resume`].
    Suspend,
    /// The system resumed: the chip was powered off and runs its boot ROM again.
    Resume,
}

impl Input {
    /// Whether the input reports a failure.
    pub const fn is_failure(self) -> bool {
        !matches!(
            self,
            Input::BootOk | Input::Restart | Input::Suspend | Input::Resume
        )
    }
}

impl From<Fatal> for Input {
    fn from(f: Fatal) -> Self {
        match f {
            Fatal::Violation(_) | Fatal::Internal(_) => Input::ProtocolViolation,
            Fatal::Exception { .. } => Input::Exception,
            Fatal::CommandTimeout { .. } | Fatal::ConfirmTimeout { .. } | Fatal::WakeTimeout(_) => {
                Input::CommandTimeout
            }
            Fatal::Bus(_) => Input::BusError,
        }
    }
}

/// Something the shell must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Stop the upper layer's traffic (mac80211 queues), fail the pending command and the
    /// frames in flight: the link is down.
    StopTraffic,
    /// Reset the chip (power cycle or card reset) and call [`super::pass::Bh::reset`].
    ResetChip,
    /// Download the firmware and activate WiFi; report [`Input::BootOk`] once the startup
    /// indication was accepted, [`Input::BootFailed`] on error.
    DownloadFirmware,
    /// Replay the configuration the upper layer had set (MAC, interfaces, keys, filters;
    /// mac80211's `ieee80211_restart_hw`).
    RestoreConfig,
    /// The link is up: resume traffic.
    NotifyUp,
    /// Recovery gave up: report the device dead.
    NotifyDead,
}

impl Action {
    /// Every action, in execution order.
    pub const ALL: [Action; 6] = [
        Action::StopTraffic,
        Action::ResetChip,
        Action::DownloadFirmware,
        Action::RestoreConfig,
        Action::NotifyUp,
        Action::NotifyDead,
    ];

    /// The action's bit in [`Actions`].
    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of [`Action`]s, iterated in execution order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Actions(u8);

impl Actions {
    /// No action.
    pub const NONE: Actions = Actions(0);

    /// The set with `a` added.
    pub const fn with(self, a: Action) -> Self {
        Actions(self.0 | a.bit())
    }

    /// Whether `a` is in the set.
    pub const fn contains(self, a: Action) -> bool {
        self.0 & a.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The actions in execution order.
    pub fn iter(self) -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

/// Where the link is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The first boot (probe) is in progress.
    Booting {
        /// The boot fails if not done by then.
        deadline_us: u64,
    },
    /// The firmware runs.
    Running {
        /// Since when.
        since_us: u64,
    },
    /// Waiting before the next restart.
    Backoff {
        /// The attempt that will start.
        attempt: u32,
        /// When it starts.
        until_us: u64,
    },
    /// A restart (reset, download) is in progress.
    Restarting {
        /// Which attempt (1-based).
        attempt: u32,
        /// The restart fails if not done by then.
        deadline_us: u64,
    },
    /// The budget is exhausted.
    Dead,
    /// The system sleeps: the chip has no power and the bus must not be used.
    Suspended,
    /// The boot after a system sleep is in progress.
    Resuming {
        /// The boot fails if not done by then.
        deadline_us: u64,
    },
}

/// Retry budget and timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Restarts allowed before giving up.
    pub budget: u32,
    /// Backoff before the first restart; doubled for each further one.
    pub backoff_base_us: u64,
    /// Longest backoff.
    pub backoff_max_us: u64,
    /// Time a boot or restart may take until the firmware is up (the vendor waits 10 s for
    /// the startup indication, docs/chip-protocol.md, "Timeouts").
    pub boot_timeout_us: u64,
    /// Running this long forgives the attempts made so far.
    pub stable_us: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            budget: 5,
            backoff_base_us: 100_000,
            backoff_max_us: 10_000_000,
            boot_timeout_us: 10_000_000,
            stable_us: 60_000_000,
        }
    }
}

/// The recovery state machine.
#[derive(Debug, Clone)]
pub struct Recovery {
    /// Budget and timing.
    policy: Policy,
    /// Where the link is.
    state: State,
    /// Restarts made since the link last ran stably.
    attempts: u32,
    /// Restarts made in total.
    restarts: u32,
    /// The last failure reported.
    last_failure: Option<Input>,
}

impl Recovery {
    /// The machine at probe, when the first boot starts at `now_us`.
    pub const fn new(policy: Policy, now_us: u64) -> Self {
        Self {
            policy,
            state: State::Booting {
                deadline_us: now_us.saturating_add(policy.boot_timeout_us),
            },
            attempts: 0,
            restarts: 0,
            last_failure: None,
        }
    }

    /// The state.
    pub const fn state(&self) -> State {
        self.state
    }

    /// The policy.
    pub const fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Whether the firmware runs.
    pub const fn is_running(&self) -> bool {
        matches!(self.state, State::Running { .. })
    }

    /// Whether recovery gave up.
    pub const fn is_dead(&self) -> bool {
        matches!(self.state, State::Dead)
    }

    /// Restarts since the link last ran stably.
    pub const fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Restarts in total.
    pub const fn restarts(&self) -> u32 {
        self.restarts
    }

    /// The last failure reported.
    pub const fn last_failure(&self) -> Option<Input> {
        self.last_failure
    }

    /// The backoff before attempt `attempt` (1-based).
    pub fn backoff_us(&self, attempt: u32) -> u64 {
        let shift = attempt.saturating_sub(1).min(63);
        self.policy
            .backoff_base_us
            .saturating_mul(1u64 << shift)
            .min(self.policy.backoff_max_us)
    }

    /// When [`Self::poll`] has something to do.
    pub const fn next_deadline(&self) -> Option<u64> {
        match self.state {
            State::Booting { deadline_us }
            | State::Restarting { deadline_us, .. }
            | State::Resuming { deadline_us } => Some(deadline_us),
            State::Backoff { until_us, .. } => Some(until_us),
            State::Running { .. } | State::Dead | State::Suspended => None,
        }
    }

    /// Feeds an input at `now_us`.
    pub fn on_input(&mut self, input: Input, now_us: u64) -> Actions {
        match (self.state, input) {
            // The chip loses power in any state; whatever was in progress is abandoned (the
            // shell only carries out one action at a time, so none is half done).
            (State::Suspended, Input::Suspend) => Actions::NONE,
            (_, Input::Suspend) => {
                self.state = State::Suspended;
                Actions::NONE.with(Action::StopTraffic)
            }
            // The power cycle is a fresh start, even for a chip recovery had given up on: the
            // boot starts with the whole budget.
            (State::Suspended, Input::Resume) => {
                self.attempts = 0;
                self.state = State::Resuming {
                    deadline_us: now_us.saturating_add(self.policy.boot_timeout_us),
                };
                Actions::NONE
                    .with(Action::ResetChip)
                    .with(Action::DownloadFirmware)
            }
            // Nothing runs while suspended; a resume without a suspend is a stray report.
            (State::Suspended, _) | (_, Input::Resume) => Actions::NONE,
            (State::Dead, Input::Restart) => {
                self.attempts = 0;
                self.start_attempt(1, now_us)
            }
            (State::Dead, _) | (_, Input::Restart) => Actions::NONE,
            (State::Booting { .. }, Input::BootOk) => {
                self.state = State::Running { since_us: now_us };
                Actions::NONE.with(Action::NotifyUp)
            }
            // The configuration is replayed after a resume too: the upper layer either
            // reconfigured the device while the chip was still booting (its own resume), or
            // never suspended at all (a sleep aborted after it started) and still believes the
            // chip holds what it set up.
            (State::Restarting { .. } | State::Resuming { .. }, Input::BootOk) => {
                self.state = State::Running { since_us: now_us };
                Actions::NONE
                    .with(Action::RestoreConfig)
                    .with(Action::NotifyUp)
            }
            // A late report for a link already being restarted, or a stray boot report.
            (State::Backoff { .. }, _) | (State::Running { .. }, Input::BootOk) => Actions::NONE,
            (State::Running { since_us }, failure) => {
                if now_us.saturating_sub(since_us) >= self.policy.stable_us {
                    self.attempts = 0;
                }
                self.fail(failure, now_us, Actions::NONE.with(Action::StopTraffic))
            }
            (
                State::Booting { .. } | State::Restarting { .. } | State::Resuming { .. },
                failure,
            ) => self.fail(failure, now_us, Actions::NONE),
        }
    }

    /// Advances time to `now_us`: starts a restart whose backoff has elapsed, fails a boot
    /// or restart that took too long.
    pub fn poll(&mut self, now_us: u64) -> Actions {
        match self.state {
            State::Backoff { attempt, until_us } if now_us >= until_us => {
                self.start_attempt(attempt, now_us)
            }
            State::Booting { deadline_us }
            | State::Restarting { deadline_us, .. }
            | State::Resuming { deadline_us }
                if now_us >= deadline_us =>
            {
                self.on_input(Input::BootFailed, now_us)
            }
            _ => Actions::NONE,
        }
    }

    /// A failure: back off before the next attempt, or give up when the budget is spent.
    fn fail(&mut self, failure: Input, now_us: u64, actions: Actions) -> Actions {
        self.last_failure = Some(failure);
        if self.attempts >= self.policy.budget {
            self.state = State::Dead;
            return actions.with(Action::StopTraffic).with(Action::NotifyDead);
        }
        let attempt = self.attempts.saturating_add(1);
        self.state = State::Backoff {
            attempt,
            until_us: now_us.saturating_add(self.backoff_us(attempt)),
        };
        actions
    }

    /// Starts restart attempt `attempt`: reset the chip and boot it again.
    fn start_attempt(&mut self, attempt: u32, now_us: u64) -> Actions {
        self.attempts = attempt;
        self.restarts = self.restarts.saturating_add(1);
        self.state = State::Restarting {
            attempt,
            deadline_us: now_us.saturating_add(self.policy.boot_timeout_us),
        };
        Actions::NONE
            .with(Action::ResetChip)
            .with(Action::DownloadFirmware)
    }
}
