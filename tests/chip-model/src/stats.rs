// SPDX-License-Identifier: GPL-2.0

//! Counters, and the protocol-violation counter tests assert on.
//!
//! The stats file has one `name value` line per counter, sorted by name, always starting
//! with `violations N` (the total). Every violation kind also appears as
//! `violation.KIND N`; the other counters describe traffic and injected faults.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// Kinds of protocol violation (the host broke a rule of the chip's protocol).
pub mod violation {
    /// More host→device messages in flight than the firmware has input buffers.
    pub const BUFFER_OVERFLOW: &str = "buffer_overflow";
    /// A host→device WSM message with the wrong sequence number.
    pub const SEQUENCE: &str = "sequence";
    /// A CMD53 with the wrong toggle bit (bit 16 of the address field).
    pub const TOGGLE: &str = "toggle";
    /// A malformed boot frame, TX batch or WSM message.
    pub const MALFORMED: &str = "malformed";
    /// A message the chip cannot accept in its current state.
    pub const WRONG_STATE: &str = "wrong_state";
    /// A boot download whose CRC or length did not check out.
    pub const BOOT_CRC: &str = "boot_crc";
    /// A CMD53 read that did not match the queued item (length field, short read).
    pub const RX_READ: &str = "rx_read";
    /// An access the virtual host reported as bad (`BAD_ACCESS`).
    pub const BAD_ACCESS: &str = "bad_access";
    /// A CMD52 write to a register the host may not write, or a doorbell without its
    /// ring bit.
    pub const REGISTER: &str = "register";
    /// A CMD53 write (TX batch) while the MCU sleeps: after MCU_DEACTIVE with the quiescent
    /// power mode set, and before MCU_ACTIVE.
    pub const TX_WHILE_ASLEEP: &str = "tx_while_asleep";
}

/// The model's counters.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    violations: BTreeMap<&'static str, u64>,
    counters: BTreeMap<&'static str, u64>,
    /// Set whenever something changed since the last write of the stats file.
    pub dirty: bool,
    /// Violations are excused (counted as `hostile.excused_violations`, not as violations)
    /// while the host may still be acting on a batch the hostile mode mutated: a driver that
    /// reads the length a mutated message announces did what the protocol says.
    pub excuse: bool,
}

impl Stats {
    /// Records a violation of `kind` and logs `what`.
    pub fn violation(&mut self, kind: &'static str, what: &str) {
        if self.excuse {
            log::info(&format!("after a hostile mutation ({kind}): {what}"));
            self.inc("hostile.excused_violations");
            return;
        }
        log::warn(&format!("protocol violation ({kind}): {what}"));
        *self.violations.entry(kind).or_insert(0) += 1;
        self.dirty = true;
    }

    /// Adds `n` to counter `name`.
    pub fn add(&mut self, name: &'static str, n: u64) {
        *self.counters.entry(name).or_insert(0) += n;
        self.dirty = true;
    }

    /// Increments counter `name`.
    pub fn inc(&mut self, name: &'static str) {
        self.add(name, 1);
    }

    /// Adds every counter and violation of `other`.
    pub fn absorb(&mut self, other: &Stats) {
        for (k, v) in &other.violations {
            *self.violations.entry(k).or_insert(0) += v;
        }
        for (k, v) in &other.counters {
            *self.counters.entry(k).or_insert(0) += v;
        }
        self.dirty |= other.dirty;
    }

    /// Total number of violations.
    pub fn violations(&self) -> u64 {
        self.violations.values().sum()
    }

    /// Violations of one kind.
    pub fn violations_of(&self, kind: &str) -> u64 {
        self.violations.get(kind).copied().unwrap_or(0)
    }

    /// A counter's value.
    pub fn get(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }

    /// The stats file text.
    pub fn render(&self) -> String {
        let mut s = format!("violations {}\n", self.violations());
        let mut lines: Vec<String> = self
            .violations
            .iter()
            .map(|(k, v)| format!("violation.{k} {v}"))
            .chain(self.counters.iter().map(|(k, v)| format!("{k} {v}")))
            .collect();
        lines.sort();
        for l in lines {
            s.push_str(&l);
            s.push('\n');
        }
        s
    }

    /// Writes the stats file atomically (temporary file and rename).
    pub fn write_file(&mut self, path: &Path) -> io::Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, self.render())?;
        std::fs::rename(&tmp, path)?;
        self.dirty = false;
        Ok(())
    }
}

/// Minimal logging to stderr with a verbosity level and a monotonic timestamp.
pub mod log {
    use std::sync::atomic::{AtomicU8, Ordering};
    use std::sync::OnceLock;
    use std::time::Instant;

    static LEVEL: AtomicU8 = AtomicU8::new(1);
    static START: OnceLock<Instant> = OnceLock::new();

    /// Sets the verbosity: 0 warnings only, 1 info, 2 debug, 3 trace.
    pub fn set_level(l: u8) {
        LEVEL.store(l, Ordering::Relaxed);
        let _ = START.get_or_init(Instant::now);
    }

    /// Whether messages of level `l` are printed.
    pub fn enabled(l: u8) -> bool {
        LEVEL.load(Ordering::Relaxed) >= l
    }

    fn emit(tag: &str, msg: &str) {
        let t = START.get_or_init(Instant::now).elapsed();
        eprintln!(
            "[{:>5}.{:06}] chip-model {tag}: {msg}",
            t.as_secs(),
            t.subsec_micros()
        );
    }

    /// A warning (always printed).
    pub fn warn(msg: &str) {
        emit("warn", msg);
    }

    /// An informational message.
    pub fn info(msg: &str) {
        if enabled(1) {
            emit("info", msg);
        }
    }

    /// A debug message.
    pub fn debug(msg: &str) {
        if enabled(2) {
            emit("debug", msg);
        }
    }

    /// A trace message.
    pub fn trace(msg: &str) {
        if enabled(3) {
            emit("trace", msg);
        }
    }
}
