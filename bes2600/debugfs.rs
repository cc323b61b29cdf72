// SPDX-License-Identifier: GPL-2.0

//! debugfs: what the BH reports, and a MIB round trip on demand.
//!
//! One directory per bound function, `/sys/kernel/debug/bes2600-<device>/`:
//!
//! | file | content |
//! |---|---|
//! | `stats` | `name value` lines: link state, boots, restarts, recovery times, system suspends and resumes, interrupts, BH wake-ups, passes, RX/TX frames and batches, command confirm latency (min/avg/max µs), the chip's wake/sleep state and counters, errors by kind |
//! | `firmware` | the image's version string and the startup indication: buffers, buffer size, hardware, firmware type, API, build, version, capabilities, label |
//! | `config` | the MAC address and its source, multi-TX confirm per interface, the bring-up MIB round trip |
//! | `mib` | write `MIB VALUE [IF]` (numbers in decimal or `0x` hex): the u32 MIB is written, read back and compared through the command channel; the write fails if the round trip does; reading shows the last round trip |
//!
//! The directory goes away with the [`Debugfs`] handle; debugfs waits for file operations in
//! progress, so the owner drops it after the command channel was closed (a MIB write blocked
//! in the channel then returns at once).

use kernel::{
    debugfs::{
        Scope,
        ScopedDir, //
    },
    device::Device,
    fmt,
    prelude::*,
    str::CString,
    sync::Arc,
    time::{
        Instant,
        Monotonic, //
    },
    uaccess::UserSliceReader,
};

use crate::bh::{
    stats::{
        LinkState,
        MacFmt,
        MacSource,
        MibCheck,
        Stats,
        Text, //
    },
    Shared,
};

/// The debugfs directory of a bound function.
pub(crate) struct Debugfs {
    /// The directory and the data its files read.
    _scope: Pin<KBox<Scope<Arc<Shared>>>>,
}

impl Debugfs {
    /// Creates the directory for `dev`, reading from and writing through `shared`.
    pub(crate) fn new(dev: &Device, shared: Arc<Shared>) -> Result<Self> {
        let name = CString::try_from_fmt(fmt!("bes2600-{}", Text(dev.name().to_bytes())))?;
        let scope = KBox::pin_init(Scope::dir(shared, &name, populate), GFP_KERNEL)?;
        Ok(Self { _scope: scope })
    }
}

/// Creates the files.
fn populate<'data>(shared: &'data Arc<Shared>, dir: &ScopedDir<'data, '_>) {
    dir.read_callback_file(c"stats", shared, &show_stats);
    dir.read_callback_file(c"firmware", shared, &show_firmware);
    dir.read_callback_file(c"config", shared, &show_config);
    dir.read_write_callback_file(c"mib", shared, &show_mib, &mib_round_trip);
}

/// The name of a link state.
fn state_name(s: LinkState) -> &'static str {
    match s {
        LinkState::Booting => "booting",
        LinkState::Running => "running",
        LinkState::Backoff => "backoff",
        LinkState::Restarting => "restarting",
        LinkState::Dead => "dead",
        LinkState::Suspended => "suspended",
        LinkState::Resuming => "resuming",
        LinkState::Stopped => "stopped",
    }
}

/// An optional duration in µs as ms, or `-`.
struct Ms(Option<u64>);

impl core::fmt::Display for Ms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(us) => write!(f, "{}", us / 1000),
            None => f.write_str("-"),
        }
    }
}

fn show_stats(shared: &Arc<Shared>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let (irqs, irq_errors) = shared.irq_counts();
    shared.with_stats(|s| {
        writeln!(f, "state {}", state_name(s.state))?;
        writeln!(f, "boots {}", s.boots)?;
        writeln!(f, "restarts {}", s.restarts)?;
        writeln!(f, "card_resets {}", s.card_resets)?;
        writeln!(f, "first_boot_ms {}", Ms(s.first_boot_us))?;
        writeln!(f, "last_recovery_ms {}", Ms(s.last_recovery_us))?;
        writeln!(f, "suspends {}", s.suspends)?;
        writeln!(f, "resumes {}", s.resumes)?;
        writeln!(f, "last_resume_ms {}", Ms(s.last_resume_us))?;
        match &s.last_fatal {
            Some(e) => writeln!(f, "last_error {}", e)?,
            None => writeln!(f, "last_error -")?,
        }
        writeln!(f, "interrupts {}", irqs)?;
        writeln!(f, "irq_read_errors {}", irq_errors)?;
        writeln!(f, "bh_wakeups {}", s.wakeups)?;
        writeln!(f, "bh_wakeups_irq {}", s.wakeups_irq)?;
        writeln!(f, "bh_wakeups_tx {}", s.wakeups_tx)?;
        writeln!(f, "bh_wakeups_idle {}", s.wakeups_idle)?;
        writeln!(f, "passes {}", s.passes)?;
        writeln!(f, "latched_used {}", s.latched_used)?;
        let c = &s.engine;
        writeln!(f, "rx_batches {}", c.rx_batches)?;
        writeln!(f, "rx_frames {}", c.rx_frames)?;
        writeln!(f, "tx_batches {}", c.tx_batches)?;
        writeln!(f, "tx_frames {}", c.tx_frames)?;
        writeln!(f, "commands {}", c.tx_commands)?;
        writeln!(f, "confirms {}", c.confirms)?;
        writeln!(f, "tx_confirmed {}", c.tx_confirmed)?;
        writeln!(f, "indications {}", c.indications)?;
        writeln!(f, "stale_polls {}", c.stale_polls)?;
        writeln!(f, "empty_polls {}", c.empty_polls)?;
        writeln!(f, "bus_errors {}", c.bus_errors)?;
        writeln!(f, "rejected {}", c.rejected)?;
        // The chip's wake/sleep handshake (engine/power.rs, docs/bh.md "Chip wake and sleep").
        let p = &s.power_counts;
        writeln!(f, "power_state {}", s.power.name())?;
        writeln!(f, "sleep_allowed {}", u8::from(s.sleep_allowed))?;
        writeln!(f, "sleeps {}", p.sleeps)?;
        writeln!(f, "sleeps_unconfirmed {}", p.sleeps_unconfirmed)?;
        writeln!(f, "wakes {}", p.wakes)?;
        writeln!(f, "wake_latency_avg_us {}", p.wake_us_avg())?;
        writeln!(f, "wake_latency_max_us {}", p.wake_us_max)?;
        // The mac80211 data path (mac80211/tx.rs, mac80211/rx.rs).
        writeln!(f, "data_tx_queued {}", s.tx.queued)?;
        writeln!(f, "data_tx_confirmed {}", s.tx.confirmed)?;
        writeln!(f, "data_tx_acked {}", s.tx.acked)?;
        writeln!(f, "data_tx_dropped {}", s.tx.dropped)?;
        writeln!(f, "data_tx_bad_confirms {}", s.tx.bad_confirms)?;
        writeln!(f, "data_tx_policy_uploads {}", s.tx.policy_uploads)?;
        writeln!(
            f,
            "data_tx_policy_upload_errors {}",
            s.tx.policy_upload_errors
        )?;
        writeln!(f, "data_tx_policy_full {}", s.tx.policy_full)?;
        writeln!(f, "data_rx_delivered {}", s.rx.delivered)?;
        writeln!(f, "data_rx_failed {}", s.rx.failed)?;
        writeln!(f, "data_rx_violations {}", s.rx.violations)?;
        writeln!(f, "data_rx_no_memory {}", s.rx.no_memory)?;
        writeln!(f, "bss_lost {}", s.bss_lost)?;
        writeln!(f, "ps_errors {}", s.ps_errors)?;
        let l = &s.confirm_latency;
        writeln!(f, "confirm_latency_min_us {}", l.min_us)?;
        writeln!(f, "confirm_latency_avg_us {}", l.avg_us())?;
        writeln!(f, "confirm_latency_max_us {}", l.max_us)?;
        show_errors(s, f)
    })
}

fn show_errors(s: &Stats, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let e = &s.errors;
    writeln!(f, "errors.violations {}", e.violations())?;
    for (name, n) in [
        ("rx_too_long", e.rx_too_long),
        ("length_toggle", e.length_toggle),
        ("bad_batch", e.bad_batch),
        ("sequence", e.sequence),
        ("unexpected_confirm", e.unexpected_confirm),
        ("bad_message", e.bad_message),
        ("bad_startup", e.bad_startup),
        ("exception", e.exception),
        ("command_timeout", e.command_timeout),
        ("confirm_timeout", e.confirm_timeout),
        ("bus", e.bus),
        ("wake_timeout", e.wake_timeout),
        ("internal", e.internal),
        ("boot_failed", e.boot_failed),
    ] {
        writeln!(f, "errors.{} {}", name, n)?;
    }
    Ok(())
}

fn show_firmware(shared: &Arc<Shared>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    shared.with_stats(|s| {
        writeln!(f, "version {}", Text(s.version()))?;
        let Some(ind) = &s.startup else {
            return writeln!(f, "startup -");
        };
        writeln!(f, "buffers {}", ind.num_inp_ch_bufs)?;
        writeln!(f, "buffer_size {}", ind.size_inp_ch_buf)?;
        writeln!(f, "hardware_id {:#06x}", ind.hardware_id)?;
        writeln!(f, "hardware_sub_id {:#06x}", ind.hardware_sub_id)?;
        writeln!(f, "firmware_type {}", ind.firmware_type)?;
        writeln!(f, "api_version {:#06x}", ind.firmware_api_ver)?;
        writeln!(f, "build {}", ind.firmware_build)?;
        writeln!(f, "firmware_version {}", ind.firmware_version)?;
        writeln!(f, "capabilities {:#06x}", ind.firmware_cap)?;
        writeln!(f, "label {}", Text(ind.label_bytes()))
    })
}

/// One round trip as a line: `0x1024 if 0 wrote 0x1 read 0x1 ok 123us`.
fn show_check(name: &str, c: &Option<MibCheck>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let Some(c) = c else {
        return writeln!(f, "{} -", name);
    };
    write!(
        f,
        "{} {:#06x} if {} wrote {:#x} read ",
        name, c.mib, c.if_id, c.wrote
    )?;
    match c.read {
        Some(v) => write!(f, "{:#x}", v)?,
        None => f.write_str("-")?,
    }
    match c.result {
        Ok(()) => writeln!(f, " ok {}us", c.latency_us),
        Err(e) => writeln!(f, " error {} {}us", e.to_errno(), c.latency_us),
    }
}

fn show_config(shared: &Arc<Shared>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    shared.with_stats(|s| {
        match &s.mac {
            Some((mac, source)) => {
                writeln!(f, "mac {}", MacFmt(mac))?;
                let source = match source {
                    MacSource::Firmware => "device-node",
                    MacSource::Derived => "derived",
                };
                writeln!(f, "mac_source {}", source)?;
            }
            None => writeln!(f, "mac -")?,
        }
        for (i, r) in s.multi_tx.iter().enumerate() {
            match r {
                Some(Ok(())) => writeln!(f, "multi_tx_if{} ok", i)?,
                Some(Err(e)) => writeln!(f, "multi_tx_if{} error {}", i, e.to_errno())?,
                None => writeln!(f, "multi_tx_if{} -", i)?,
            }
        }
        show_check("mib_check", &s.mib_check, f)
    })
}

fn show_mib(shared: &Arc<Shared>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    shared.with_stats(|s| show_check("mib", &s.mib_user, f))
}

/// Parses a decimal or `0x` hexadecimal number.
fn number(s: &str) -> Result<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => s.parse::<u32>(),
    }
    .map_err(|_| EINVAL)
}

/// `MIB VALUE [IF]`: writes the u32 MIB, reads it back, compares.
fn mib_round_trip(shared: &Arc<Shared>, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; 64];
    let n = reader.len();
    let text = buf.get_mut(..n).ok_or(EINVAL)?;
    reader.read_slice(text)?;
    let text = core::str::from_utf8(text).map_err(|_| EINVAL)?;
    let mut words = text.split_whitespace();
    let mib = u16::try_from(number(words.next().ok_or(EINVAL)?)?).map_err(|_| EINVAL)?;
    let value = number(words.next().ok_or(EINVAL)?)?;
    let if_id = match words.next() {
        Some(w) => u8::try_from(number(w)?).map_err(|_| EINVAL)?,
        None => 0,
    };
    if words.next().is_some() || if_id > 2 {
        return Err(EINVAL);
    }

    let start = Instant::<Monotonic>::now();
    let wrote = shared.write_mib(mib, &value.to_le_bytes(), if_id);
    let mut out = [0u8; 4];
    let read = match wrote {
        Ok(()) => shared.read_mib(mib, if_id, &mut out),
        Err(e) => Err(e),
    };
    let value_read = match read {
        Ok(4) => Some(u32::from_le_bytes(out)),
        _ => None,
    };
    let result = match (wrote, read) {
        (Err(e), _) | (Ok(()), Err(e)) => Err(e),
        _ if value_read == Some(value) => Ok(()),
        _ => Err(EIO),
    };
    let latency_us = u64::try_from(start.elapsed().as_nanos() / 1000).unwrap_or(0);
    shared.with_stats_mut(|s| {
        s.mib_user = Some(MibCheck {
            mib,
            if_id,
            wrote: value,
            read: value_read,
            latency_us,
            result,
        })
    });
    result
}
