// SPDX-License-Identifier: GPL-2.0

//! The event loop: one thread polling the SDIO character device, the netlink socket, a
//! signalfd and the optional control FIFO, with the chip's and the medium's timers as the
//! poll timeout. No busy waiting: with nothing to do it sleeps in `poll(2)` until the next
//! deadline (at most one second).

use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::chip::{Chip, ChipConfig};
use crate::faults::{self, FaultKind, FaultSpec};
use crate::hwsim::{self, RadioFrame};
use crate::medium::{HwsimOut, Medium};
use crate::netlink::GenlSocket;
use crate::stats::{log, Stats};
use crate::transport::{CharDev, ModelMsg, Transport};

/// Whether to attach to mac80211_hwsim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HwsimMode {
    /// When the family exists.
    Auto,
    /// Required: fail when it does not.
    On,
    /// Never.
    Off,
}

/// Everything the command line decides.
#[derive(Debug, Clone)]
pub struct Options {
    /// Character device (`None`: no SDIO side, only the medium).
    pub device: Option<String>,
    /// mac80211_hwsim attachment.
    pub hwsim: HwsimMode,
    /// Stats file.
    pub stats_file: Option<PathBuf>,
    /// Chip configuration.
    pub chip: ChipConfig,
    /// Signal of delivered frames (dBm).
    pub signal: i32,
    /// Faults from the command line.
    pub faults: Vec<FaultSpec>,
    /// Bus timing (bytes per second, ns per CMD53).
    pub timing: Option<(u32, u32)>,
    /// Send CARD_PRESENT 1 at start.
    pub insert_card: bool,
    /// Send CARD_PRESENT 0 at exit.
    pub remove_on_exit: bool,
    /// Control FIFO.
    pub control: Option<PathBuf>,
    /// Stop after this long.
    pub exit_after: Option<Duration>,
    /// Exit with status 3 when violations were counted.
    pub fail_on_violation: bool,
}

/// Exit status: clean.
pub const EXIT_OK: i32 = 0;
/// Exit status: a runtime error (device, netlink, FIFO).
pub const EXIT_ERROR: i32 = 1;
/// Exit status: violations counted with `--fail-on-violation`.
pub const EXIT_VIOLATIONS: i32 = 3;

struct Hwsim {
    sock: GenlSocket,
    family: u16,
}

/// Write end of the self-pipe the signal handler writes to.
static SIGNAL_PIPE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

extern "C" fn on_signal(_sig: libc::c_int) {
    let fd = SIGNAL_PIPE.load(std::sync::atomic::Ordering::Relaxed);
    if fd >= 0 {
        let b = 1u8;
        // SAFETY: write(2) is async-signal-safe; `b` is a valid one-byte buffer.
        unsafe { libc::write(fd, (&b as *const u8).cast(), 1) };
    }
}

/// A self-pipe that becomes readable on SIGINT, SIGTERM or SIGHUP (signalfd is not in
/// every test kernel).
fn signal_fd() -> io::Result<OwnedFd> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 returns.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors are fresh and owned here; the write end lives for the
    // whole process (the handler may use it at any time), so it is deliberately leaked.
    let read = unsafe { OwnedFd::from_raw_fd(fds[0]) };
    SIGNAL_PIPE.store(fds[1], std::sync::atomic::Ordering::Relaxed);
    for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: installs a handler that only calls write(2); the sigaction struct is
        // zero-initialised and then filled.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            if libc::sigaction(s, &sa, std::ptr::null_mut()) < 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(read)
}

fn open_fifo(path: &PathBuf) -> io::Result<std::fs::File> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    if !path.exists() {
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in FIFO path"))?;
        // SAFETY: `c` is a valid NUL-terminated path.
        if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    // Read-write so the FIFO never reports end-of-file when a writer closes.
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

fn setup_hwsim(mode: HwsimMode) -> Result<Option<Hwsim>, String> {
    if mode == HwsimMode::Off {
        return Ok(None);
    }
    let attempt = || -> io::Result<Hwsim> {
        let mut sock = GenlSocket::open()?;
        let family = sock.resolve(hwsim::FAMILY_NAME)?;
        let seq = sock.next_seq();
        sock.request(
            &hwsim::register(family, seq),
            seq,
            false,
            Duration::from_secs(2),
        )?;
        Ok(Hwsim { sock, family })
    };
    match attempt() {
        Ok(h) => {
            log::info(&format!(
                "registered as the medium of mac80211_hwsim (family {})",
                h.family
            ));
            Ok(Some(h))
        }
        Err(e) if mode == HwsimMode::Auto => {
            log::info(&format!("mac80211_hwsim not used: {e}"));
            Ok(None)
        }
        Err(e) => Err(format!("cannot register with mac80211_hwsim: {e}")),
    }
}

/// The combined counters of chip and medium.
pub fn combined_stats(chip: &Chip, medium: &Medium) -> Stats {
    let mut s = chip.stats.clone();
    s.absorb(&medium.stats);
    s.add("medium.radios", medium.radio_count() as u64);
    s.add("medium.bss_heard", medium.beacon_sources().len() as u64);
    s
}

fn apply_fault(now: u64, spec: &FaultSpec, chip: &mut Chip, medium: &mut Medium) {
    match spec.kind {
        FaultKind::ApVanish(bssid) => {
            let b = bssid.or_else(|| chip.joined_bssids().first().copied());
            medium.set_vanish(b, spec.duration_ms.map(|d| now + d * 1000));
            chip.stats.inc("faults_injected");
        }
        FaultKind::ApReturn => {
            medium.clear_vanish();
            chip.stats.inc("faults_injected");
        }
        _ => chip.inject(now, spec),
    }
}

fn send_hwsim(h: &mut Hwsim, out: Vec<HwsimOut>, stats: &mut Stats) {
    for o in out {
        let seq = h.sock.next_seq();
        let msg = match o {
            HwsimOut::Frame {
                receiver,
                frame,
                rate_idx,
                signal,
                freq,
            } => hwsim::frame_to_radio(h.family, seq, &receiver, &frame, rate_idx, signal, freq),
            HwsimOut::TxInfo {
                transmitter,
                flags,
                signal,
                rates,
                cookie,
            } => hwsim::tx_info(h.family, seq, &transmitter, flags, signal, &rates, cookie),
        };
        if let Err(e) = h.sock.send(&msg) {
            log::debug(&format!("netlink send: {e}"));
            stats.inc("medium.send_errors");
        }
    }
}

/// Netlink reads from the radios per turn of the main loop (see `run`).
const RADIO_RECVS_PER_TURN: usize = 16;

/// Runs the model until a signal, `quit` on the control FIFO or `exit_after`. Returns
/// the exit status.
pub fn run(opts: Options) -> i32 {
    let start = Instant::now();
    let now_us = || start.elapsed().as_micros() as u64;
    let sig = match signal_fd() {
        Ok(f) => f,
        Err(e) => {
            log::warn(&format!("signal pipe: {e}"));
            return EXIT_ERROR;
        }
    };
    let mut transport: Option<CharDev> = match &opts.device {
        Some(p) => match CharDev::open(p) {
            Ok(t) => {
                log::info(&format!("attached to {p}"));
                Some(t)
            }
            Err(e) => {
                log::warn(&format!("cannot open {p}: {e}"));
                return EXIT_ERROR;
            }
        },
        None => None,
    };
    let mut hw = match setup_hwsim(opts.hwsim) {
        Ok(h) => h,
        Err(e) => {
            log::warn(&e);
            return EXIT_ERROR;
        }
    };
    let mut fifo = match &opts.control {
        Some(p) => match open_fifo(p) {
            Ok(f) => Some(f),
            Err(e) => {
                log::warn(&format!("control FIFO {}: {e}", p.display()));
                return EXIT_ERROR;
            }
        },
        None => None,
    };
    let mut chip = Chip::new(opts.chip.clone());
    let mut medium = Medium::new(opts.signal);
    let mut startup: Vec<ModelMsg> = chip.take_host_out();
    if let Some((bps, ns)) = opts.timing {
        startup.push(ModelMsg::Timing {
            bytes_per_sec: bps,
            overhead_ns: ns,
        });
    }
    if opts.insert_card {
        startup.push(ModelMsg::CardPresent(true));
    }
    let mut io_error = false;
    if let Some(t) = transport.as_mut() {
        for m in &startup {
            if let Err(e) = t.send(m) {
                log::warn(&format!("SDIO device: {e}"));
                io_error = true;
            }
        }
    }
    let mut scheduled: Vec<(u64, FaultSpec)> = Vec::new();
    // Card removals and insertions asked for on the control FIFO, sent with the next batch.
    let mut card_msgs: Vec<ModelMsg> = Vec::new();
    for f in &opts.faults {
        match f.at_ms {
            Some(ms) => scheduled.push((ms * 1000, *f)),
            None => apply_fault(now_us(), f, &mut chip, &mut medium),
        }
    }
    if let Some(h) = hw.as_mut() {
        let seq = h.sock.next_seq();
        let _ = h.sock.send(&hwsim::get_radios(h.family, seq));
    }
    let exit_at = opts.exit_after.map(|d| d.as_micros() as u64);
    let mut next_dump = 2_000_000u64;
    let mut next_stats = 0u64;
    let mut fifo_buf = String::new();
    let mut quit = false;
    while !quit && !io_error {
        let now = now_us();
        // Timeout: the earliest deadline, at most one second.
        let mut deadline = now + 1_000_000;
        for d in [
            chip.next_deadline(),
            medium.next_deadline(),
            scheduled.iter().map(|s| s.0).min(),
            exit_at,
            hw.as_ref().map(|_| next_dump),
            if chip.stats.dirty || medium.stats.dirty {
                Some(next_stats)
            } else {
                None
            },
        ]
        .into_iter()
        .flatten()
        {
            deadline = deadline.min(d);
        }
        let timeout_ms = deadline.saturating_sub(now).div_ceil(1000) as libc::c_int;
        let mut fds: Vec<libc::pollfd> = Vec::new();
        let mut push = |fd: RawFd| {
            fds.push(libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
        };
        push(sig.as_raw_fd());
        if let Some(t) = transport.as_ref().and_then(|t| t.poll_fd()) {
            push(t);
        }
        if let Some(h) = hw.as_ref() {
            push(h.sock.as_raw_fd());
        }
        if let Some(f) = fifo.as_ref() {
            push(f.as_raw_fd());
        }
        // SAFETY: `fds` is a valid array of pollfd for the duration of the call.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
        if fds.first().is_some_and(|p| p.revents & libc::POLLIN != 0) {
            let mut info = [0u8; 128];
            // SAFETY: reads into a valid local buffer from the pipe we own.
            unsafe { libc::read(sig.as_raw_fd(), info.as_mut_ptr().cast(), info.len()) };
            log::info("signal received: exiting");
            quit = true;
        }
        let now = now_us();
        // Host messages.
        if let Some(t) = transport.as_mut() {
            loop {
                match t.recv() {
                    Ok(Some(m)) => {
                        // Formatting a whole TX batch costs more than processing it: only
                        // when it is printed.
                        if log::enabled(3) {
                            log::trace(
                                &format!("host: {m:?}").chars().take(200).collect::<String>(),
                            );
                        }
                        if let Some(ack) = chip.ack_before_processing(&m) {
                            if let Err(e) = t.send(&ack) {
                                log::warn(&format!("SDIO device: {e}"));
                                io_error = true;
                            }
                        }
                        chip.host_message(now, m, &mut medium);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        log::warn(&format!("SDIO device read: {e}"));
                        chip.stats.inc("device_errors");
                        if e.kind() != io::ErrorKind::InvalidData {
                            io_error = true;
                        }
                        break;
                    }
                }
            }
        }
        // Frames from the radios. At most RADIO_RECVS_PER_TURN reads a turn: with other
        // stations carrying traffic through the medium (make bench's reference station), the
        // socket is never empty for long, and draining it first would leave the SDIO side
        // unserved for seconds (the virtual host then takes the chip for dead). The socket is
        // still readable afterwards, so the next poll returns at once.
        if let Some(h) = hw.as_mut() {
            for _ in 0..RADIO_RECVS_PER_TURN {
                let msgs = match h.sock.recv() {
                    Ok(m) => m,
                    Err(e) => {
                        log::warn(&format!("netlink receive: {e}"));
                        medium.stats.inc("medium.recv_errors");
                        break;
                    }
                };
                if msgs.is_empty() {
                    break;
                }
                for m in msgs {
                    if m.ty == hwsim::NLMSG_ERROR {
                        if hwsim::error_code(&m.payload).is_some_and(|c| c != 0) {
                            medium.stats.inc("medium.netlink_errors");
                        }
                        continue;
                    }
                    if m.ty != h.family {
                        continue;
                    }
                    let Some(g) = hwsim::parse_genl(&m.payload) else {
                        continue;
                    };
                    if let Some(id) = hwsim::radio_id(&g) {
                        medium.add_radio(hwsim::default_radio_addr(id));
                        continue;
                    }
                    if let Some(rf) = RadioFrame::decode(&g) {
                        let rx = medium.from_radio(now, &rf);
                        let acked = match rx {
                            Some(rx) => chip.air_rx(now, &rx, &mut medium),
                            None => false,
                        };
                        medium.finish_radio_tx(now, &rf, acked);
                    }
                }
                let out = std::mem::take(&mut medium.out);
                send_hwsim(h, out, &mut medium.stats);
            }
        }
        // Control FIFO.
        if let Some(f) = fifo.as_mut() {
            let mut b = [0u8; 1024];
            while let Ok(n) = f.read(&mut b) {
                if n == 0 {
                    break;
                }
                fifo_buf.push_str(&String::from_utf8_lossy(&b[..n]));
            }
            while let Some(i) = fifo_buf.find('\n') {
                let line: String = fifo_buf.drain(..=i).collect();
                let line = line.trim();
                let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
                match cmd {
                    "" => {}
                    "fault" => match faults::parse(arg) {
                        Ok(s) => match s.at_ms {
                            Some(ms) => scheduled.push((now + ms * 1000, s)),
                            None => apply_fault(now, &s, &mut chip, &mut medium),
                        },
                        Err(e) => log::warn(&format!("control: {e}")),
                    },
                    "clear" => {
                        chip.faults.clear();
                        medium.clear_vanish();
                    }
                    "stats" => next_stats = 0,
                    "quit" => quit = true,
                    // The bench's hands, not the chip: pulling the card out of the slot
                    // and putting it back (the vsdio host's CARD_PRESENT message). The MMC
                    // core powers a card it finds again up from scratch, which resets it.
                    "card" => match arg {
                        "remove" => card_msgs.push(ModelMsg::CardPresent(false)),
                        "insert" => card_msgs.push(ModelMsg::CardPresent(true)),
                        other => log::warn(&format!("control: `card {other}`: remove or insert")),
                    },
                    // The bench's bus, not the chip: the virtual host's timing model
                    // (`--bus-rate`, `--cmd53-overhead-ns`) changed at run time, so one boot
                    // can measure the driver with and without a bus bottleneck (make bench).
                    "bus" => match parse_bus(arg) {
                        Some((bytes_per_sec, overhead_ns)) => card_msgs.push(ModelMsg::Timing {
                            bytes_per_sec,
                            overhead_ns,
                        }),
                        None => log::warn(&format!(
                            "control: `bus {arg}`: BYTES_PER_SECOND OVERHEAD_NS (0 0: no timing)"
                        )),
                    },
                    other => log::warn(&format!("control: unknown command `{other}`")),
                }
                chip.stats.dirty = true;
            }
        }
        // Timers.
        let now = now_us();
        let (due, later): (Vec<_>, Vec<_>) = scheduled.into_iter().partition(|(t, _)| *t <= now);
        scheduled = later;
        for (_, s) in due {
            apply_fault(now, &s, &mut chip, &mut medium);
        }
        medium.tick(now);
        chip.tick(now, &mut medium);
        if let Some(h) = hw.as_mut() {
            if now >= next_dump {
                next_dump = now + 2_000_000;
                let seq = h.sock.next_seq();
                let _ = h.sock.send(&hwsim::get_radios(h.family, seq));
            }
            let out = std::mem::take(&mut medium.out);
            send_hwsim(h, out, &mut medium.stats);
        } else {
            medium.out.clear();
        }
        if let Some(t) = transport.as_mut() {
            for m in card_msgs.drain(..).chain(chip.take_host_out()) {
                if let Err(e) = t.send(&m) {
                    log::warn(&format!("SDIO device write: {e}"));
                    chip.stats.inc("device_errors");
                }
            }
        } else {
            card_msgs.clear();
            chip.take_host_out();
        }
        if exit_at.is_some_and(|t| now >= t) {
            log::info("run time over: exiting");
            quit = true;
        }
        if (chip.stats.dirty || medium.stats.dirty) && now >= next_stats {
            next_stats = now + 500_000;
            if let Some(p) = &opts.stats_file {
                let mut s = combined_stats(&chip, &medium);
                if let Err(e) = s.write_file(p) {
                    log::warn(&format!("stats file {}: {e}", p.display()));
                }
            }
            chip.stats.dirty = false;
            medium.stats.dirty = false;
        }
    }
    if opts.remove_on_exit {
        if let Some(t) = transport.as_mut() {
            let _ = t.send(&ModelMsg::CardPresent(false));
        }
    }
    let mut s = combined_stats(&chip, &medium);
    if let Some(p) = &opts.stats_file {
        if let Err(e) = s.write_file(p) {
            log::warn(&format!("stats file {}: {e}", p.display()));
        }
    }
    let v = s.violations();
    println!("violations: {v}");
    if io_error {
        EXIT_ERROR
    } else if opts.fail_on_violation && v > 0 {
        EXIT_VIOLATIONS
    } else {
        EXIT_OK
    }
}

/// Moves every queued host message into the chip and every chip message out: what the
/// event loop does with the device, for in-process transports (tests).
pub fn pump(
    chip: &mut Chip,
    t: &mut dyn Transport,
    air: &mut dyn crate::air::Air,
    now: u64,
) -> io::Result<()> {
    while let Some(m) = t.recv()? {
        if let Some(ack) = chip.ack_before_processing(&m) {
            t.send(&ack)?;
        }
        chip.host_message(now, m, air);
    }
    for m in chip.take_host_out() {
        t.send(&m)?;
    }
    Ok(())
}

/// `bus BYTES_PER_SECOND OVERHEAD_NS` of the control FIFO.
fn parse_bus(arg: &str) -> Option<(u32, u32)> {
    let mut it = arg.split_whitespace();
    let rate = it.next()?.parse().ok()?;
    let overhead = it.next()?.parse().ok()?;
    it.next().is_none().then_some((rate, overhead))
}

#[cfg(test)]
mod tests {
    use super::parse_bus;

    #[test]
    fn bus_control_takes_a_rate_and_an_overhead() {
        assert_eq!(parse_bus("24400000 40000"), Some((24_400_000, 40_000)));
        assert_eq!(parse_bus("0 0"), Some((0, 0)));
        assert_eq!(parse_bus("24400000"), None);
        assert_eq!(parse_bus("1 2 3"), None);
        assert_eq!(parse_bus("fast 0"), None);
        assert_eq!(parse_bus("-1 0"), None);
    }
}
