// SPDX-License-Identifier: GPL-2.0

//! What the BH reports about itself: counters, the firmware's startup capabilities, the
//! configuration it applied and the state of recovery. The BH writes a [`Stats`] under its
//! mutex after every pass and every step of the bring-up; debugfs only reads it.

use core::fmt;

use kernel::prelude::*;

use crate::engine::{
    pass::{
        Counters,
        Fatal,
        Violation, //
    },
    power::{
        PowerCounts,
        PowerState, //
    },
};
use crate::mac80211::{
    rx::RxCounts,
    tx::TxCounts, //
};
use crate::protocol::msg::config::StartupIndication;

/// Where the link is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkState {
    /// The first boot (download, activation, startup indication, configuration) runs.
    Booting,
    /// The firmware runs; commands are accepted.
    Running,
    /// A failure was seen; the next restart waits for its backoff.
    Backoff,
    /// The chip is being reset and booted again.
    Restarting,
    /// Recovery gave up; the device stays down until it is bound again.
    Dead,
    /// The system sleeps; the chip has no power until resume.
    Suspended,
    /// The chip boots after a system sleep.
    Resuming,
    /// The BH has stopped (unbind).
    Stopped,
}

/// Minimum, average and maximum of a duration in µs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Latency {
    /// Samples.
    pub(crate) count: u64,
    /// Sum of the samples.
    pub(crate) sum_us: u64,
    /// Smallest sample.
    pub(crate) min_us: u64,
    /// Largest sample.
    pub(crate) max_us: u64,
}

impl Latency {
    /// Adds a sample.
    pub(crate) fn add(&mut self, us: u64) {
        self.min_us = if self.count == 0 {
            us
        } else {
            self.min_us.min(us)
        };
        self.max_us = self.max_us.max(us);
        self.sum_us = self.sum_us.saturating_add(us);
        self.count = self.count.saturating_add(1);
    }

    /// The average sample (0 without samples).
    pub(crate) fn avg_us(&self) -> u64 {
        self.sum_us.checked_div(self.count).unwrap_or(0)
    }
}

/// Errors that made the BH restart the chip, by kind.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ErrorCounts {
    /// RX batch announced larger than the RX buffer.
    pub(crate) rx_too_long: u32,
    /// Length register with a consumed toggle.
    pub(crate) length_toggle: u32,
    /// RX batch that does not parse (lengths, message count).
    pub(crate) bad_batch: u32,
    /// Wrong WSM sequence number.
    pub(crate) sequence: u32,
    /// Confirm that answers no outstanding command.
    pub(crate) unexpected_confirm: u32,
    /// Message flow control refuses (id, label, truncation, buffer release).
    pub(crate) bad_message: u32,
    /// Invalid or repeated startup indication.
    pub(crate) bad_startup: u32,
    /// Firmware exception indication (0x0800).
    pub(crate) exception: u32,
    /// Command without confirm in time.
    pub(crate) command_timeout: u32,
    /// Buffers in use without any confirm in time.
    pub(crate) confirm_timeout: u32,
    /// Bus transfers kept failing.
    pub(crate) bus: u32,
    /// The chip did not wake (MCU_ACTIVE handshake).
    pub(crate) wake_timeout: u32,
    /// The engine's bookkeeping disagreed with itself.
    pub(crate) internal: u32,
    /// Boots (download, activation, startup, configuration) that failed.
    pub(crate) boot_failed: u32,
}

impl ErrorCounts {
    /// Counts `f`.
    pub(crate) fn count(&mut self, f: &Fatal) {
        let c = match f {
            Fatal::Violation(v) => match v {
                Violation::RxTooLong { .. } => &mut self.rx_too_long,
                Violation::LengthToggle { .. } => &mut self.length_toggle,
                Violation::Batch(_) => &mut self.bad_batch,
                Violation::Sequence { .. } => &mut self.sequence,
                Violation::UnexpectedConfirm { .. } => &mut self.unexpected_confirm,
                Violation::BadMessage { .. } => &mut self.bad_message,
                Violation::BadStartup(_) => &mut self.bad_startup,
            },
            Fatal::Exception { .. } => &mut self.exception,
            Fatal::CommandTimeout { .. } => &mut self.command_timeout,
            Fatal::ConfirmTimeout { .. } => &mut self.confirm_timeout,
            Fatal::Bus(_) => &mut self.bus,
            Fatal::WakeTimeout(_) => &mut self.wake_timeout,
            Fatal::Internal(_) => &mut self.internal,
        };
        *c = c.saturating_add(1);
    }

    /// Protocol violations by the chip (every kind above but the timeouts, the bus and the
    /// boot).
    pub(crate) fn violations(&self) -> u32 {
        [
            self.rx_too_long,
            self.length_toggle,
            self.bad_batch,
            self.sequence,
            self.unexpected_confirm,
            self.bad_message,
            self.bad_startup,
        ]
        .iter()
        .fold(0u32, |a, b| a.saturating_add(*b))
    }
}

/// Where the MAC address came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MacSource {
    /// The device's firmware node (`local-mac-address` / `mac-address`).
    Firmware,
    /// Derived from the card's identity (locally administered).
    Derived,
}

impl MacSource {
    /// What the source is, for the log.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            MacSource::Firmware => "device node",
            MacSource::Derived => "card identity",
        }
    }
}

/// A MIB written and read back.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MibCheck {
    /// MIB id.
    pub(crate) mib: u16,
    /// Interface.
    pub(crate) if_id: u8,
    /// Value written (a u32 MIB).
    pub(crate) wrote: u32,
    /// Value read back.
    pub(crate) read: Option<u32>,
    /// Confirm latency of the write and of the read, µs.
    pub(crate) latency_us: u64,
    /// `Ok` when both commands succeeded and the values agree.
    pub(crate) result: Result,
}

/// Longest firmware version string kept.
pub(crate) const VERSION_LEN: usize = 64;

/// What the BH reports.
pub(crate) struct Stats {
    /// The engine's counters, summed over every pass since probe.
    pub(crate) engine: Counters,
    /// Times the BH woke up (interrupt, command, timeout).
    pub(crate) wakeups: u64,
    /// Wake-ups an interrupt asked for (among other causes, perhaps).
    pub(crate) wakeups_irq: u64,
    /// Wake-ups mac80211's `tx` asked for (among other causes, perhaps).
    pub(crate) wakeups_tx: u64,
    /// Wake-ups whose passes neither read nor wrote a batch.
    pub(crate) wakeups_idle: u64,
    /// Passes run.
    pub(crate) passes: u64,
    /// First 0x001 reads of a pass answered by the byte the interrupt handler latched.
    pub(crate) latched_used: u64,
    /// Command confirm latency (from the command's TX batch to its confirm).
    pub(crate) confirm_latency: Latency,
    /// Errors that started recovery, by kind.
    pub(crate) errors: ErrorCounts,
    /// Link state.
    pub(crate) state: LinkState,
    /// Successful boots.
    pub(crate) boots: u32,
    /// Restarts (recoveries started).
    pub(crate) restarts: u32,
    /// Card resets.
    pub(crate) card_resets: u32,
    /// The last error that started recovery.
    pub(crate) last_fatal: Option<Fatal>,
    /// Time from the last error to the link being up again, µs.
    pub(crate) last_recovery_us: Option<u64>,
    /// Time of the first boot, from the BH's start to the link being up, µs.
    pub(crate) first_boot_us: Option<u64>,
    /// System suspends the BH stopped for.
    pub(crate) suspends: u32,
    /// Resumes after which the link came up again.
    pub(crate) resumes: u32,
    /// Time from the last resume to the link being up, µs.
    pub(crate) last_resume_us: Option<u64>,
    /// The firmware's startup indication.
    pub(crate) startup: Option<StartupIndication>,
    /// The firmware's version string (from the image), NUL padded.
    pub(crate) fw_version: [u8; VERSION_LEN],
    /// The MAC address and its source.
    pub(crate) mac: Option<([u8; 6], MacSource)>,
    /// Multi-TX confirm switched on (MIB 0x1024) for interfaces 0 and 1.
    pub(crate) multi_tx: [Option<Result>; 2],
    /// The bring-up's MIB write-then-read round trip.
    pub(crate) mib_check: Option<MibCheck>,
    /// The last round trip asked for through debugfs.
    pub(crate) mib_user: Option<MibCheck>,
    /// What the transmit path counted.
    pub(crate) tx: TxCounts,
    /// What the receive path counted.
    pub(crate) rx: RxCounts,
    /// BSS-lost events from the firmware (it stopped hearing the AP's beacons).
    pub(crate) bss_lost: u64,
    /// Firmware power-save errors (event 7: the AP did not answer a PS-Poll or a trigger,
    /// unicast while dozing, no data after a TIM).
    pub(crate) ps_errors: u64,
    /// The chip's wake/sleep state, as of the last pass.
    pub(crate) power: PowerState,
    /// Whether the last pass allowed the chip to sleep.
    pub(crate) sleep_allowed: bool,
    /// What the wake/sleep state machine counted.
    pub(crate) power_counts: PowerCounts,
}

impl Stats {
    /// Nothing counted yet.
    pub(crate) const fn new() -> Self {
        Self {
            engine: Counters::ZERO,
            wakeups: 0,
            wakeups_irq: 0,
            wakeups_tx: 0,
            wakeups_idle: 0,
            passes: 0,
            latched_used: 0,
            confirm_latency: Latency {
                count: 0,
                sum_us: 0,
                min_us: 0,
                max_us: 0,
            },
            errors: ErrorCounts {
                rx_too_long: 0,
                length_toggle: 0,
                bad_batch: 0,
                sequence: 0,
                unexpected_confirm: 0,
                bad_message: 0,
                bad_startup: 0,
                exception: 0,
                command_timeout: 0,
                confirm_timeout: 0,
                bus: 0,
                wake_timeout: 0,
                internal: 0,
                boot_failed: 0,
            },
            state: LinkState::Booting,
            boots: 0,
            restarts: 0,
            card_resets: 0,
            last_fatal: None,
            last_recovery_us: None,
            first_boot_us: None,
            suspends: 0,
            resumes: 0,
            last_resume_us: None,
            startup: None,
            fw_version: [0; VERSION_LEN],
            mac: None,
            multi_tx: [None, None],
            mib_check: None,
            mib_user: None,
            tx: TxCounts::ZERO,
            rx: RxCounts::ZERO,
            bss_lost: 0,
            ps_errors: 0,
            power: PowerState::Awake,
            sleep_allowed: false,
            power_counts: PowerCounts {
                sleeps: 0,
                wakes: 0,
                sleeps_unconfirmed: 0,
                wake_us_total: 0,
                wake_us_max: 0,
            },
        }
    }

    /// Keeps `v` (truncated) as the firmware version.
    pub(crate) fn set_version(&mut self, v: &[u8]) {
        self.fw_version = [0; VERSION_LEN];
        let n = v.len().min(VERSION_LEN);
        if let (Some(dst), Some(src)) = (self.fw_version.get_mut(..n), v.get(..n)) {
            dst.copy_from_slice(src);
        }
    }

    /// The firmware version up to its first NUL.
    pub(crate) fn version(&self) -> &[u8] {
        let end = self
            .fw_version
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(VERSION_LEN);
        self.fw_version.get(..end).unwrap_or(&[])
    }
}

/// Whether `mac` can be a station address: not all zero, not a group address.
pub(crate) fn valid_mac(mac: &[u8; 6]) -> bool {
    mac.iter().any(|&b| b != 0) && mac[0] & 1 == 0
}

/// Formats a MAC address as `aa:bb:cc:dd:ee:ff`.
pub(crate) struct MacFmt<'a>(pub(crate) &'a [u8; 6]);

impl fmt::Display for MacFmt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = *self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl kernel::fmt::Display for MacFmt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Formats bytes from the chip as text: printable ASCII as is, anything else as `?`.
pub(crate) struct Text<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use core::fmt::Write;
        for &b in self.0 {
            f.write_char(if (b' '..=b'~').contains(&b) {
                char::from(b)
            } else {
                '?'
            })?;
        }
        Ok(())
    }
}

impl kernel::fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Shows a value of the engine or the protocol core (which implement `core::fmt::Display`) in
/// the kernel's formatting macros, which take [`kernel::fmt::Display`].
pub(crate) struct Shown<T>(pub(crate) T);

impl<T: fmt::Display> kernel::fmt::Display for Shown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
