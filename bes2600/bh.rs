// SPDX-License-Identifier: GPL-2.0

//! The bottom half: one kernel thread per chip that does every bus transfer after probe.
//!
//! The thread's closure owns everything the chip's flow control depends on: the engine's
//! [`Bh`] (buffers in use, sequence numbers, toggles, the outstanding command), the bus with
//! its DMA buffers, the firmware files and the calibration cache, and the recovery state
//! machine. None of it is reachable from another context: it is moved into the thread and
//! [`Bh`] is not `Sync` (below, and the compile-fail doctest on `engine::pass::Bh`, which
//! `cargo test -p bes2600-engine --doc` runs). Other contexts only *ask*, through [`Shared`]:
//!
//! - the interrupt handler publishes the byte it read from register 0x001 and wakes the
//!   thread ([`Shared::interrupt`]);
//! - a process-context command goes into the one command slot ([`crate::wsm`]) and wakes it;
//! - mac80211's ops report what the station does ([`Shared::set_activity`]), the input of the
//!   sleep policy; the BH decides each pass whether the chip may sleep and tells its engine.
//!
//! The thread's life (docs/bh.md): boot the chip (the firmware download, the WiFi-active
//! handshake, the startup indication, the configuration), then wait for an interrupt, a command
//! or a deadline, run engine passes while they report more work, and repeat. A pass that ends
//! fatally (protocol violation, exception indication, confirm timeout, dead bus) goes to the
//! recovery state machine ([`Recovery`]), whose actions this file carries out: fail the
//! waiters, reset the card, boot again, report the link up, or give up.

pub(crate) mod bus;
pub(crate) mod stats;

use core::cell::Cell;

use kernel::{
    device::Device,
    new_condvar, new_mutex, new_spinlock_irq,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Acquire,
            Atomic,
            Full,
            Relaxed,
            Release, //
        },
        Arc,
        CondVar,
        CondVarTimeoutResult,
        Mutex,
        MutexGuard,
        SpinLockIrq, //
    },
    time::{
        msecs_to_jiffies,
        Delta,
        Instant,
        Monotonic, //
    },
};

pub(crate) use crate::fwio::FirmwareFiles;

use crate::engine::{
    bus::Clock,
    cmd::DEFAULT_TIMEOUT_US,
    pass::{
        Bh,
        Config,
        Events,
        Fatal,
        PassReport,
        TxSource, //
    },
    power::{
        Activity,
        SleepSwitch, //
    },
    recovery::{
        Action,
        Actions,
        Input,
        Policy,
        Recovery,
        State, //
    },
};
use crate::fwio::{
    boot_to_firmware,
    DpdCache, //
};
use crate::kernel_ext::{
    kthread::{
        Context,
        Thread,
        WaitResult,
        WakerSlot, //
    },
    mac80211::{
        Hw,
        HwHandle, //
    },
    sdio::{
        CardReset,
        FunctionRef, //
    },
    skb::SkBuff,
};
use crate::mac80211::{
    rx::{
        self,
        RxCounts, //
    },
    tx::TxPath,
    Bes2600Ops,
};
use crate::protocol::{
    error::Error as ProtocolError,
    mib::{
        self,
        Mib,
        ReadMib,
        ReadMibConfirm,
        SetMib,
        UseMultiTxConfirm, //
    },
    msg::{
        self,
        config::{
            Configuration,
            ConfigurationConfirm,
            StartupIndication, //
        },
        event::{
            event_id,
            Event,
            Exception, //
        },
        scan::ScanComplete,
        tx::{
            MultiTxConfirm,
            TxConfirm, //
        },
        WriteMibConfirm, //
    },
    sdio_framing::{
        reg,
        Doorbell,
        SlaveStatus,
        BLOCK_SIZE, //
    },
    wsm_header::{
        self,
        id as wsm_id, //
    },
};
use crate::wsm;

use self::bus::{
    Buffers,
    Latch,
    MonoClock,
    SdioBus, //
};
use self::stats::{
    valid_mac,
    LinkState,
    MacFmt,
    MacSource,
    MibCheck,
    Shown,
    Stats,
    Text, //
};

/// Longest wait without a wake-up or deadline while the link runs: a pass then polls the
/// length register, so a lost interrupt costs at most this much latency, not a restart.
const IDLE_POLL: Delta = Delta::from_secs(1);
/// How long anyone waits for a cancelled scan to end: a join or `stop` (the scan's current
/// batch stops at once, 0x0008) and the BH before mac80211 restarts the hardware (the scan's
/// commands fail at once while the link is down). It takes milliseconds; this bounds a
/// firmware that does not answer.
pub(crate) const SCAN_END_WAIT: Delta = Delta::from_secs(3);
/// Poll interval while waiting for a confirm or the startup indication (an interrupt ends the
/// wait earlier).
const SHORT_POLL: Delta = Delta::from_millis(20);
/// Polls of the status register for MCU_READY before activating WiFi (docs/chip-protocol.md,
/// "Subsystem handshake"; the vendor polls without limit).
const MCU_READY_POLLS: u32 = 100;
/// Interval of those polls.
const MCU_READY_POLL: Delta = Delta::from_millis(10);
/// Polls of the boot ROM's message limit after a card reset, until the ROM runs.
const ROM_READY_POLLS: u32 = 100;
/// Interval of those polls.
const ROM_READY_POLL: Delta = Delta::from_millis(10);
/// WIFI_ACTIVE doorbell attempts (docs/chip-protocol.md, "Subsystem handshake").
const ACTIVATE_TRIES: u32 = 201;
/// Interval between them.
const ACTIVATE_POLL: Delta = Delta::from_millis(25);
/// Time the firmware has for its startup indication after activation (docs/chip-protocol.md,
/// "Starting the WiFi firmware").
const STARTUP_TIMEOUT_US: u64 = 10_000_000;
/// Time an own command (bring-up configuration) may take: the engine's command timeout,
/// which fails it first, and a margin.
const OWN_COMMAND_TIMEOUT_US: u64 = DEFAULT_TIMEOUT_US + 1_000_000;

/// What the other contexts share with the BH thread: the hand-over points, nothing the flow
/// control depends on.
#[pin_data]
pub(crate) struct Shared {
    /// The byte the interrupt handler read from register 0x001.
    latch: Latch,
    /// Wakes the BH thread (set once the thread runs).
    waker: WakerSlot,
    /// The one command slot.
    #[pin]
    wsm: wsm::Channel,
    /// What the BH reports (debugfs reads it).
    #[pin]
    stats: Mutex<Stats>,
    /// Interrupt handler calls.
    irqs: Atomic<u64>,
    /// Interrupt handler calls whose read of 0x001 failed.
    irq_errors: Atomic<u64>,
    /// Set with each wake-up an interrupt asks for, cleared when the BH wakes (counted as the
    /// wake-up's cause).
    woken_by_irq: Atomic<u32>,
    /// Set with each wake-up mac80211's `tx` asks for, likewise.
    woken_by_tx: Atomic<u32>,
    /// Frames from mac80211, until the BH takes them into its queues (a spinlock that
    /// disables interrupts: mac80211's `tx` runs with bottom halves off).
    #[pin]
    tx_inbox: SpinLockIrq<KVec<InboxFrame>>,
    /// Set by a flush that drops: the BH gives every queued frame back.
    tx_drop_requested: Atomic<u32>,
    /// Drops the BH carried out; the flush waits for this to change.
    tx_drops_done: Atomic<u32>,
    /// Frames the BH holds (queued or awaiting a confirm), as of its last pass.
    tx_held: Atomic<u64>,
    /// mac80211's retry limits for the rate policies: short in bits 0-7, long in bits 8-15,
    /// bit 16 once set (0: the policies keep their defaults).
    retry_limits: Atomic<u32>,
    /// What mac80211 does ([`Activity`] bits), written by its ops, read by the BH each pass
    /// for the sleep policy.
    activity: Atomic<u32>,
    /// The way up to mac80211, once the hardware is registered.
    #[pin]
    hw: Mutex<Option<Arc<HwHandle<Bes2600Ops>>>>,
    /// The hand-over of a scan's end from the BH to the scanning op.
    #[pin]
    scan: Mutex<ScanSignal>,
    /// Signalled when `scan` changes.
    #[pin]
    scan_changed: CondVar,
    /// The system-sleep hand-over between the SDIO PM callbacks and the BH.
    #[pin]
    sleep: Mutex<SleepSignal>,
    /// Signalled when `sleep` changes.
    #[pin]
    sleep_changed: CondVar,
    /// Whether `sleep` holds the BH (a copy the BH reads between passes without the lock).
    sleep_held: Atomic<u32>,
    /// The BH will have mac80211 replay its configuration and has not seen `start` yet:
    /// `hw_scan` is refused meanwhile (mac80211 warns about a scan running when its restart
    /// work begins).
    replay_pending: Atomic<u32>,
    /// mac80211 has an interface up (between `add_interface` and `remove_interface` or
    /// `stop`).
    interface_up: Atomic<u32>,
}

/// Where a system sleep stands, between the PM callbacks and the BH.
#[derive(Default)]
struct SleepSignal {
    /// System sleeps whose PM notifier bracket is open ([`SleepHold::Transition`]); more than
    /// one when a sleep nests in another (a suspend inside a hibernation session).
    transitions: u32,
    /// The function's own suspend callback holds the BH ([`SleepHold::Device`]), until its
    /// resume callback. Without a notifier bracket around it (a kexec jump, Xen) this is
    /// the only hold.
    device: bool,
    /// The BH is off the bus (its answer to a hold).
    parked: bool,
}

impl SleepSignal {
    /// Whether anything holds the BH off the bus.
    fn held(&self) -> bool {
        self.transitions > 0 || self.device
    }
}

/// Who holds the BH off the bus for a system sleep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SleepHold {
    /// The PM notifier, from before any task is frozen to after every task runs again.
    Transition,
    /// The function's suspend callback, until its resume callback.
    Device,
}

/// Sleeps on `cv` (releasing `g` meanwhile) until it is signalled, a signal comes or
/// `timeout` since `start` has passed; `None`, without sleeping, once it has.
fn wait_until<T>(
    cv: &CondVar,
    g: &mut MutexGuard<'_, T>,
    start: Instant<Monotonic>,
    timeout: Delta,
) -> Option<CondVarTimeoutResult> {
    let waited = start.elapsed();
    if waited.as_nanos() >= timeout.as_nanos() {
        return None;
    }
    let left = timeout - waited;
    let jiffies = msecs_to_jiffies(u32::try_from(left.as_millis()).unwrap_or(u32::MAX));
    Some(cv.wait_interruptible_timeout(g, jiffies))
}

/// Frames the inbox holds at most; it never allocates in mac80211's `tx` (the BH's queues
/// hold as many, so mac80211 stops its queues long before).
const INBOX_FRAMES: usize = 512;

/// A frame from mac80211 on its way to the BH.
pub(crate) struct InboxFrame {
    /// The frame as mac80211 gave it.
    pub(crate) skb: SkBuff,
    /// Bytes the firmware appends (ICV/MIC of the frame's hardware key), read in `tx`,
    /// where the key is known to be valid.
    pub(crate) tail: u8,
}

/// Where a hardware scan stands, between the op that runs it and the BH.
#[derive(Default)]
struct ScanSignal {
    /// A batch is running.
    running: bool,
    /// The firmware's 0x0806 for the running batch, with its status.
    done: Option<u32>,
    /// mac80211 cancelled the scan.
    cancelled: bool,
}

impl Shared {
    /// Nothing latched, the link down.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        let inbox = KVec::with_capacity(INBOX_FRAMES, GFP_KERNEL);
        try_pin_init!(Self {
            latch: Latch::new(),
            waker: WakerSlot::new(),
            wsm <- wsm::Channel::new(),
            stats <- new_mutex!(Stats::new(), "bes2600::bh::Shared::stats"),
            irqs: Atomic::new(0),
            irq_errors: Atomic::new(0),
            woken_by_irq: Atomic::new(0),
            woken_by_tx: Atomic::new(0),
            tx_inbox <- new_spinlock_irq!(inbox?, "bes2600::bh::Shared::tx_inbox"),
            tx_drop_requested: Atomic::new(0),
            tx_drops_done: Atomic::new(0),
            tx_held: Atomic::new(0),
            retry_limits: Atomic::new(0),
            activity: Atomic::new(0),
            hw <- new_mutex!(None, "bes2600::bh::Shared::hw"),
            scan <- new_mutex!(ScanSignal::default(), "bes2600::bh::Shared::scan"),
            scan_changed <- new_condvar!("bes2600::bh::Shared::scan_changed"),
            sleep <- new_mutex!(SleepSignal::default(), "bes2600::bh::Shared::sleep"),
            sleep_changed <- new_condvar!("bes2600::bh::Shared::sleep_changed"),
            sleep_held: Atomic::new(0),
            replay_pending: Atomic::new(0),
            interface_up: Atomic::new(0),
        }? Error)
    }

    /// Gives the BH its way up to mac80211 (`None`: none any more).
    pub(crate) fn set_hw(&self, hw: Option<Arc<HwHandle<Bes2600Ops>>>) {
        *self.hw.lock() = hw;
        self.waker.wake();
    }

    /// The way up to mac80211, if the hardware is registered.
    fn hw(&self) -> Option<Arc<HwHandle<Bes2600Ops>>> {
        self.hw.lock().clone()
    }

    /// mac80211's `tx` (atomic context): hands the frame to the BH and wakes it; gives it
    /// back when the inbox is full.
    pub(crate) fn queue_tx(&self, skb: SkBuff, tail: u8) -> Result<(), SkBuff> {
        let pushed = self
            .tx_inbox
            .lock()
            .push_within_capacity(InboxFrame { skb, tail });
        self.woken_by_tx.store(1, Relaxed);
        self.waker.wake();
        pushed.map_err(|e| e.0.skb)
    }

    /// Moves the inbox's frames into `out` (empty, with the inbox's capacity) in order.
    fn take_inbox(&self, out: &mut KVec<InboxFrame>) {
        core::mem::swap(&mut *self.tx_inbox.lock(), out);
    }

    /// mac80211's retry limits changed: the BH gives them to the rate policies at its next
    /// pass.
    pub(crate) fn set_retry_limits(&self, short: u8, long: u8) {
        let packed = 1 << 16 | u32::from(long) << 8 | u32::from(short);
        self.retry_limits.store(packed, Relaxed);
        self.waker.wake();
    }

    /// mac80211's `flush`: with `drop`, the BH gives every frame it has not sent yet back;
    /// otherwise waits until the BH holds none. Either way bounded (2 s, as the vendor does).
    pub(crate) fn flush_tx(&self, drop: bool) {
        if drop {
            let done = self.tx_drops_done.load(Acquire);
            self.tx_drop_requested.store(1, Release);
            self.waker.wake();
            // mac80211 queues what follows a flush (a deauthentication after the one in its
            // disassociation) as soon as this returns: the drop must be over by then, or it
            // would take those frames as well.
            self.flush_wait(|| self.tx_drops_done.load(Acquire) != done);
        } else {
            self.flush_wait(|| self.tx_held.load(Relaxed) == 0 && self.tx_inbox.lock().is_empty());
        }
    }

    /// Polls `done` every 10 ms for at most 2 s while the link is up. With the link down (a
    /// restart, an unbind, the BH parked for a system sleep while mac80211 suspends) nothing
    /// is sent until it is up again and the BH deals with its frames itself: nothing to wait
    /// for.
    fn flush_wait(&self, done: impl Fn() -> bool) {
        for _ in 0..200 {
            if !self.wsm.is_up() || done() {
                return;
            }
            kernel::time::delay::fsleep(Delta::from_millis(10));
        }
    }

    /// A scan op starts: forget the previous scan's outcome; the chip stays awake until
    /// [`Self::scan_end`].
    pub(crate) fn scan_begin(&self) {
        self.set_activity(Activity::SCANNING, true);
        *self.scan.lock() = ScanSignal {
            running: true,
            ..ScanSignal::default()
        };
    }

    /// The scan is over and reported to mac80211.
    pub(crate) fn scan_end(&self) {
        *self.scan.lock() = ScanSignal::default();
        self.scan_changed.notify_all();
        self.set_activity(Activity::SCANNING, false);
    }

    /// Cancels a running scan and waits at most `timeout` for its end; whether it ended.
    pub(crate) fn scan_cancel_and_wait(&self, timeout: Delta) -> bool {
        let start = Instant::<Monotonic>::now();
        let mut g = self.scan.lock();
        if g.running {
            g.cancelled = true;
            self.scan_changed.notify_all();
        }
        while g.running {
            if !self.scan_wait(&mut g, start, timeout) {
                return false;
            }
        }
        true
    }

    /// Sleeps on `scan_changed` (releasing `g` meanwhile) until it is signalled or `timeout`
    /// since `start` has passed; false once it has.
    fn scan_wait(
        &self,
        g: &mut MutexGuard<'_, ScanSignal>,
        start: Instant<Monotonic>,
        timeout: Delta,
    ) -> bool {
        wait_until(&self.scan_changed, g, start, timeout).is_some()
    }

    /// mac80211's ops: the station starts or stops doing `bit` ([`Activity`]). Wakes the BH,
    /// which wakes the chip when the policy no longer allows it to sleep.
    pub(crate) fn set_activity(&self, bit: u32, on: bool) {
        let mut old = self.activity.load(Relaxed);
        loop {
            let new = Activity(old).with(bit, on).0;
            if new == old {
                return;
            }
            match self.activity.cmpxchg(old, new, Full) {
                Ok(_) => break,
                Err(current) => old = current,
            }
        }
        self.waker.wake();
    }

    /// What mac80211 does, as its ops last reported.
    fn activity(&self) -> Activity {
        Activity(self.activity.load(Relaxed))
    }

    /// mac80211 cancels the scan: it ends after the running batch.
    pub(crate) fn scan_cancel(&self) {
        self.scan.lock().cancelled = true;
        self.scan_changed.notify_all();
    }

    /// Whether the scan was cancelled.
    pub(crate) fn scan_cancelled(&self) -> bool {
        self.scan.lock().cancelled
    }

    /// Waits at most `timeout` for the firmware's end of the running batch; its status, or
    /// `None` when it did not come.
    pub(crate) fn wait_scan_done(&self, timeout: Delta) -> Option<u32> {
        let start = Instant::<Monotonic>::now();
        let mut g = self.scan.lock();
        loop {
            if let Some(st) = g.done.take() {
                return Some(st);
            }
            // Cancelled (by mac80211, a join, or the link going down): no point waiting.
            if g.cancelled || !self.scan_wait(&mut g, start, timeout) {
                return None;
            }
        }
    }

    /// The BH's hand-over of a 0x0806 scan-complete indication.
    fn scan_complete(&self, status: u32) {
        let mut g = self.scan.lock();
        if g.running {
            g.done = Some(status);
        }
        drop(g);
        self.scan_changed.notify_all();
    }

    /// The interrupt handler's hand-over (docs/interrupt-contract.md): `read` is its read of
    /// register 0x001, which already deasserted the interrupt. Publishes the byte, then wakes
    /// the BH; interprets nothing.
    pub(crate) fn interrupt(&self, read: Result<u8>) {
        self.irqs.add(1, Relaxed);
        match read {
            Ok(byte) => self.latch.publish(byte),
            Err(_) => self.irq_errors.add(1, Relaxed),
        }
        self.woken_by_irq.store(1, Relaxed);
        self.waker.wake();
    }

    /// PM: `hold` asks the BH to get off the bus before the card loses power, and waits at
    /// most `timeout` until it has (at once if it already is). The BH answers between two
    /// passes, or after a boot in progress (bounded by the boot's own timeouts). Fails with
    /// `EBUSY` if it did not answer in time and `EINTR` on a signal; the hold is then
    /// withdrawn and the system sleep aborted.
    pub(crate) fn suspend(&self, hold: SleepHold, timeout: Delta) -> Result {
        let start = Instant::<Monotonic>::now();
        let mut g = self.sleep.lock();
        match hold {
            SleepHold::Transition => g.transitions = g.transitions.saturating_add(1),
            SleepHold::Device => g.device = true,
        }
        self.sleep_held.store(1, Relaxed);
        self.waker.wake();
        while !g.parked {
            let err = match wait_until(&self.sleep_changed, &mut g, start, timeout) {
                None => Some(EBUSY),
                Some(CondVarTimeoutResult::Signal { .. }) => Some(EINTR),
                Some(_) => None,
            };
            if let Some(e) = err {
                if g.parked {
                    break;
                }
                drop(g);
                self.resume(hold);
                return Err(e);
            }
        }
        Ok(())
    }

    /// PM: `hold` lets go of the BH. Once nothing holds it, it boots the chip again, without
    /// the caller waiting for it: whatever mac80211 configured while the link was down is
    /// replayed once the link is up ([`wsm::Channel::defer_if_returning`]).
    pub(crate) fn resume(&self, hold: SleepHold) {
        let mut g = self.sleep.lock();
        match hold {
            SleepHold::Transition => g.transitions = g.transitions.saturating_sub(1),
            SleepHold::Device => g.device = false,
        }
        self.sleep_held.store(u32::from(g.held()), Relaxed);
        drop(g);
        self.waker.wake();
    }

    /// BH: whether a system sleep holds it off the bus.
    fn sleep_held(&self) -> bool {
        self.sleep_held.load(Relaxed) != 0
    }

    /// BH: it is off the bus.
    fn park(&self) {
        self.sleep.lock().parked = true;
        self.sleep_changed.notify_all();
    }

    /// BH: back on the bus if nothing holds it any more. One critical section, so a hold that
    /// comes meanwhile waits for the next park instead of taking this one for its answer.
    fn unpark_if_released(&self) -> bool {
        let mut g = self.sleep.lock();
        if g.held() {
            return false;
        }
        g.parked = false;
        drop(g);
        self.sleep_changed.notify_all();
        true
    }

    /// mac80211's ops: an interface is up (`true`) or none is (`false`).
    pub(crate) fn set_interface_up(&self, up: bool) {
        self.interface_up.store(u32::from(up), Relaxed);
    }

    /// mac80211's `start`: the replay the BH asked for has begun.
    pub(crate) fn replay_started(&self) {
        self.replay_pending.store(0, Relaxed);
    }

    /// Whether a replay the BH asked for has not begun yet (`hw_scan` refuses to start).
    pub(crate) fn replay_pending(&self) -> bool {
        self.replay_pending.load(Relaxed) != 0
    }

    /// Wakes the BH thread.
    pub(crate) fn wake(&self) {
        self.waker.wake();
    }

    /// Sends `req` on interface `if_id` through the BH and returns its confirm
    /// ([`wsm::send`]). Process context only.
    pub(crate) fn send<'a, R: wsm::Request<'a>>(&self, req: &R, if_id: u8) -> Result<wsm::Confirm> {
        wsm::send(&self.wsm, &|| self.wake(), req, if_id)
    }

    /// Like [`Self::send`], but `None` instead of `ENETDOWN` while the link is down and the
    /// BH is going to bring it up again: the caller's configuration is then replayed by
    /// mac80211 once it is ([`wsm::Channel::defer_if_returning`]).
    pub(crate) fn send_or_defer<'a, R: wsm::Request<'a>>(
        &self,
        req: &R,
        if_id: u8,
    ) -> Result<Option<wsm::Confirm>> {
        // A second try only when the link came up between the failure and the check.
        for _ in 0..2 {
            match self.send(req, if_id) {
                Err(e) if e == ENETDOWN => {
                    if self.wsm.defer_if_returning() {
                        return Ok(None);
                    }
                }
                r => return r.map(Some),
            }
        }
        Err(ENETDOWN)
    }

    /// Reads MIB `mib_id` of interface `if_id` into `out` ([`wsm::read_mib`]).
    pub(crate) fn read_mib(&self, mib_id: u16, if_id: u8, out: &mut [u8]) -> Result<usize> {
        wsm::read_mib(&self.wsm, &|| self.wake(), mib_id, if_id, out)
    }

    /// Writes `data` to MIB `mib_id` of interface `if_id` ([`wsm::write_mib`]).
    pub(crate) fn write_mib(&self, mib_id: u16, data: &[u8], if_id: u8) -> Result {
        wsm::write_mib(&self.wsm, &|| self.wake(), mib_id, data, if_id)
    }

    /// Runs `f` on the BH's report.
    pub(crate) fn with_stats<R>(&self, f: impl FnOnce(&Stats) -> R) -> R {
        f(&self.stats.lock())
    }

    /// Runs `f` on the BH's report, for writing.
    pub(crate) fn with_stats_mut<R>(&self, f: impl FnOnce(&mut Stats) -> R) -> R {
        f(&mut self.stats.lock())
    }

    /// Interrupt handler calls, and those whose read failed.
    pub(crate) fn irq_counts(&self) -> (u64, u64) {
        (self.irqs.load(Relaxed), self.irq_errors.load(Relaxed))
    }

    /// The device goes away: fails the command in the slot and every later one (`ENODEV`),
    /// and cancels a running scan.
    pub(crate) fn close(&self) {
        self.wsm.close();
        self.scan_cancel();
    }

    /// Whether the device went away ([`Self::close`]).
    pub(crate) fn is_gone(&self) -> bool {
        self.wsm.is_gone()
    }
}

/// What the BH thread gets from probe.
pub(crate) struct Params {
    /// The WLAN function.
    pub(crate) func: FunctionRef,
    /// The firmware files, requested at probe.
    pub(crate) files: FirmwareFiles,
    /// The MAC address of interface 0 (chosen at probe, registered with mac80211) and where
    /// it comes from; the BH programs it into the chip at every boot.
    pub(crate) mac: ([u8; 6], MacSource),
}

/// Starts the BH thread of a bound function; it boots the chip at once. The thread stops when
/// the returned handle is dropped.
pub(crate) fn start(p: Params, shared: Arc<Shared>) -> Result<Thread<()>> {
    let dev: ARef<Device> = p.func.function().as_ref().into();
    let bufs = Buffers::new()?;
    let state = BhThread {
        dev,
        func: p.func,
        shared: shared.clone(),
        files: p.files,
        dpd: DpdCache::new(),
        bh: Bh::new(Config::default()),
        bufs,
        clock: MonoClock::new(),
        recovery: Recovery::new(Policy::default(), 0),
        cmds: CmdState {
            pending: None,
            sent: Cell::new(None),
            own_confirm: None,
            own_rejected: false,
            policy_answer: Cell::new(None),
        },
        link_up: false,
        failed_at_us: None,
        mac: p.mac,
        tx: TxPath::new()?,
        tx_confirms: KVec::with_capacity(64, GFP_KERNEL)?,
        inbox: KVec::with_capacity(INBOX_FRAMES, GFP_KERNEL)?,
        rx: RxCounts::default(),
        restore_pending: false,
        resumed_at_us: None,
        sleep_switch: SleepSwitch::new(crate::module_parameters::chip_sleep.value() != 0),
    };
    let thread = Thread::spawn(fmt!("bes2600-bh"), move |ctx| state.run(ctx))?;
    shared.waker.set(Some(thread.waker()));
    Ok(thread)
}

/// Proof, checked by the compiler in every build of the module, that the engine state the
/// thread owns is not `Sync`: if [`Bh`] were, both impls below would apply and the call would
/// be ambiguous. So no `&Bh` can be shared with a second thread; with the state moved into the
/// thread's closure, the thread is its only writer.
trait AmbiguousIfSync<A> {
    /// Anything.
    fn check() {}
}
impl<T: ?Sized> AmbiguousIfSync<()> for T {}
impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}
const _: fn() = || <Bh as AmbiguousIfSync<_>>::check();

/// Who put a command on the bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// The BH itself (bring-up configuration).
    Own,
    /// The transmit path's rate-policy upload, which the BH sends without waiting for it.
    TxPolicy,
    /// A caller of the command slot, by ticket.
    Slot(u64),
}

/// A command the BH will give the engine.
struct Pending {
    origin: Origin,
    msg: KVec<u8>,
}

/// The command the engine put on the bus.
#[derive(Clone, Copy)]
struct Sent {
    origin: Origin,
    /// When the engine took it, µs.
    at_us: u64,
}

/// The BH's side of the command channel.
struct CmdState {
    /// Taken out of the slot (or made by the BH), not yet in a TX batch.
    pending: Option<Pending>,
    /// In a TX batch, awaiting its confirm (a `Cell`: the engine's command source records it,
    /// its event sink completes it, within one pass).
    sent: Cell<Option<Sent>>,
    /// The confirm of the BH's own command.
    own_confirm: Option<Result<KVec<u8>>>,
    /// The engine refused the BH's own command.
    own_rejected: bool,
    /// The answer to the rate-policy upload (`true`: accepted), for the transmit path after
    /// the pass (a `Cell`: the command source reports a refusal, the event sink a confirm).
    policy_answer: Cell<Option<bool>>,
}

/// Why a command of the BH's own did not complete.
enum CmdFail {
    /// The pass ended fatally: recovery is needed.
    Fatal(Fatal),
    /// It failed otherwise (refused, timed out, status not success, the thread stops).
    Failed(Error),
}

/// Everything the BH thread owns.
struct BhThread {
    dev: ARef<Device>,
    func: FunctionRef,
    shared: Arc<Shared>,
    files: FirmwareFiles,
    dpd: DpdCache,
    bh: Bh,
    bufs: Buffers,
    clock: MonoClock,
    recovery: Recovery,
    cmds: CmdState,
    /// Commands from the slot are accepted.
    link_up: bool,
    /// When the failure being recovered from was seen, µs.
    failed_at_us: Option<u64>,
    /// The MAC address of interface 0 and its source.
    mac: ([u8; 6], MacSource),
    /// The transmit path's queues (mac80211's frames until their confirm).
    tx: TxPath,
    /// TX confirms the last pass read, handled after it.
    tx_confirms: KVec<TxConfirm>,
    /// The inbox's frames while the BH takes them (swapped with the inbox, so neither side
    /// allocates).
    inbox: KVec<InboxFrame>,
    /// What the receive path counted.
    rx: RxCounts,
    /// A restart needs mac80211 to replay its configuration once the link is up.
    restore_pending: bool,
    /// When the system resumed, µs, until the link is up again.
    resumed_at_us: Option<u64>,
    /// The chip may sleep at all: the `chip_sleep` parameter, off for good after wakes in a
    /// row that the chip never answered (docs/bh.md, "Chip wake and sleep").
    sleep_switch: SleepSwitch,
}

impl BhThread {
    /// The thread's body.
    fn run(mut self, ctx: &Context<'_>) {
        let policy = Policy {
            budget: crate::module_parameters::recovery_budget.value(),
            ..Policy::default()
        };
        self.recovery = Recovery::new(policy, self.clock.now_us());
        self.publish_state();
        let first = match self.prepare_first_boot(ctx) {
            Ok(()) => self.boot(ctx),
            Err(_) => Err(Input::BootFailed),
        };
        if !ctx.should_stop() {
            self.boot_result(first, ctx);
        }
        while !ctx.should_stop() {
            self.sleep_if_asked(ctx);
            if ctx.should_stop() {
                break;
            }
            self.step(ctx);
            self.publish_state();
        }
        self.link_down(ENODEV);
        self.shared.with_stats_mut(|s| s.state = LinkState::Stopped);
    }

    /// Stays off the bus while the system sleeps (the PM callbacks ask, [`Shared::suspend`]),
    /// then boots the power-cycled chip.
    ///
    /// Checked between turns of the loop, so no transfer or boot is cut in half: every wait
    /// of a turn ends on the wake-up that comes with the request.
    fn sleep_if_asked(&mut self, ctx: &Context<'_>) {
        if !self.shared.sleep_held() {
            return;
        }
        let actions = self.recovery.on_input(Input::Suspend, self.clock.now_us());
        self.act(actions, ctx);
        self.publish_state();
        self.shared.with_stats_mut(|s| s.suspends += 1);
        dev_info!(self.dev, "suspended: the chip loses power until resume\n");
        self.shared.park();
        while !self.shared.unpark_if_released() {
            if ctx.wait() == WaitResult::Stop {
                return;
            }
        }
        // Frames mac80211 handed over while the BH was parked (its suspend deauthenticates)
        // belong to a connection the power cycle ended, and may name keys the chip lost.
        self.drop_inbox();
        let now = self.clock.now_us();
        // A failure from before the suspend was overtaken by the power cycle.
        self.failed_at_us = None;
        self.resumed_at_us = Some(now);
        let actions = self.recovery.on_input(Input::Resume, now);
        self.publish_state();
        self.act(actions, ctx);
    }

    /// One turn of the loop: serve the running link, or advance recovery.
    fn step(&mut self, ctx: &Context<'_>) {
        let now = self.clock.now_us();
        match self.recovery.state() {
            State::Running { .. } => self.serve(ctx),
            // Until the device is bound again (or resumed); commands fail at once meanwhile.
            State::Dead | State::Suspended => {
                let _ = ctx.wait();
            }
            State::Booting { .. }
            | State::Backoff { .. }
            | State::Restarting { .. }
            | State::Resuming { .. } => {
                let actions = self.recovery.poll(now);
                if actions.is_empty() {
                    let until = self.recovery.next_deadline().unwrap_or(now);
                    let _ = ctx.wait_timeout(micros(until.saturating_sub(now)));
                } else {
                    self.act(actions, ctx);
                }
            }
        }
    }

    /// Waits for an interrupt, a command or a deadline, then runs passes while there is work.
    fn serve(&mut self, ctx: &Context<'_>) {
        let now = self.clock.now_us();
        let deadline = match (self.bh.next_deadline(), self.tx.confirm_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let wait = match deadline {
            Some(d) => micros(d.saturating_sub(now)).min(IDLE_POLL),
            None => IDLE_POLL,
        };
        let woken = match ctx.wait_timeout(wait) {
            WaitResult::Stop => return,
            WaitResult::Woken => true,
            WaitResult::Timeout => false,
        };
        if woken {
            // What asked for it (several causes can share one wake-up).
            let irq = self.shared.woken_by_irq.xchg(0, Relaxed) != 0;
            let tx = self.shared.woken_by_tx.xchg(0, Relaxed) != 0;
            self.shared.with_stats_mut(|s| {
                s.wakeups += 1;
                s.wakeups_irq += u64::from(irq);
                s.wakeups_tx += u64::from(tx);
            });
        }
        // Whether the passes of this wake-up read or wrote a batch.
        let mut moved = false;
        loop {
            let r = match self.pass() {
                Ok(r) => r,
                // The host cannot be claimed: the function is being unbound.
                Err(_) => return,
            };
            if let Some(f) = r.fatal {
                self.on_fatal(f, ctx);
                return;
            }
            // A frame the chip never confirmed while it confirmed others: its confirm and
            // its buffer were lost in the chip (the pass's watchdog only sees a chip that
            // confirms nothing at all).
            if self
                .tx
                .confirm_deadline()
                .is_some_and(|d| self.clock.now_us() >= d)
            {
                let in_use = self.bh.flow().in_use();
                self.on_fatal(Fatal::ConfirmTimeout { in_use }, ctx);
                return;
            }
            moved |= r.counters.rx_batches > 0 || r.counters.tx_batches > 0;
            // A system sleep does not wait for the traffic to end.
            if !r.more || ctx.should_stop() || self.shared.sleep_held() {
                break;
            }
        }
        if woken && !moved {
            // Woken for work an earlier pass had already done (or none at all).
            self.shared.with_stats_mut(|s| s.wakeups_idle += 1);
        }
    }

    /// One engine pass with the host claimed; the host is released before it returns.
    fn pass(&mut self) -> Result<PassReport> {
        self.refill();
        let limits = self.shared.retry_limits.load(Relaxed);
        if limits != 0 {
            // Cheap when unchanged; a change uploads every policy again.
            self.tx.set_retry_limits(limits as u8, (limits >> 8) as u8);
        }
        // The way up to mac80211 for this pass (one lock of the handle per pass; only the
        // registration's drop waits for it, and that happens after the BH stopped).
        let handle = self.shared.hw();
        let guard = handle.as_deref().and_then(HwHandle::access);
        let hw = guard.as_deref();
        self.admit_tx(hw);
        // The sleep policy (docs/bh.md, "Chip wake and sleep"): the link runs, mac80211 is
        // idle, and the BH holds no frame (the engine adds its own conditions).
        self.sleep_switch.observe(self.bh.power_counts().wakes);
        let activity = self.shared.activity();
        let sleep_allowed = self.sleep_switch.enabled()
            && self.link_up
            && activity.allows_sleep(self.sleep_switch.while_associated())
            && self.tx.held() == 0;
        self.bh.set_sleep_allowed(sleep_allowed);
        self.bh.set_sleep_tx_hold(activity.tx_hold_us());
        let now_us = self.clock.now_us();
        let host = self.func.claim_host()?;
        let mut bus = SdioBus::new(&host, &mut self.bufs, &self.shared.latch);
        let mut cmds = Commands {
            dev: &self.dev,
            pending: &mut self.cmds.pending,
            sent: &self.cmds.sent,
            shared: &self.shared,
            own_rejected: &mut self.cmds.own_rejected,
            policy_answer: &self.cmds.policy_answer,
            now_us,
        };
        let mut data = Data {
            tx: &mut self.tx,
            hw,
            now_us,
        };
        let mut sink = Sink {
            dev: &self.dev,
            shared: &self.shared,
            sent: &self.cmds.sent,
            own_confirm: &mut self.cmds.own_confirm,
            policy_answer: &self.cmds.policy_answer,
            clock: &self.clock,
            hw,
            rx: &mut self.rx,
            tx_confirms: &mut self.tx_confirms,
        };
        let mut r = self
            .bh
            .pass(&mut bus, &self.clock, &mut cmds, &mut data, &mut sink);
        let latched = bus.latched_used();
        drop(bus);
        drop(host);
        self.complete_tx(hw);
        if let Some(accepted) = self.cmds.policy_answer.take() {
            // The frames that waited for it can go: another pass.
            self.tx.policy_upload_done(accepted);
            r.more = true;
        }
        if self.link_up && self.cmds.pending.is_none() && self.tx.policy_upload_wanted() {
            // The next pass hands the upload to the engine.
            r.more = true;
        }
        let totals = *self.bh.totals();
        let (power, power_counts) = (self.bh.power_state(), *self.bh.power_counts());
        self.shared.with_stats_mut(|s| {
            s.passes += 1;
            s.latched_used += u64::from(latched);
            s.engine = totals;
            s.power = power;
            s.sleep_allowed = sleep_allowed;
            s.power_counts = power_counts;
        });
        Ok(r)
    }

    /// Takes mac80211's frames into the BH's queues while the link is up (they wait in the
    /// inbox otherwise), and carries out a flush that drops.
    fn admit_tx(&mut self, hw: Option<&Hw<Bes2600Ops>>) {
        let drop_all = self.shared.tx_drop_requested.xchg(0, Acquire) != 0;
        if !drop_all && !self.link_up {
            return;
        }
        self.shared.take_inbox(&mut self.inbox);
        if let Some(hw) = hw {
            let now = self.clock.now_us();
            for f in self.inbox.drain_all() {
                if drop_all {
                    hw.free_tx_skb(f.skb);
                } else {
                    self.tx.admit(hw, f.skb, f.tail, now);
                }
            }
            if drop_all {
                self.tx.drop_unsent(hw);
            }
        } else {
            // Not registered (any more): the frames are freed without status.
            self.inbox.clear();
        }
        if drop_all {
            self.shared.tx_drops_done.fetch_add(1, Release);
        }
    }

    /// Gives every frame waiting in the inbox back to mac80211 unsent.
    fn drop_inbox(&mut self) {
        self.shared.take_inbox(&mut self.inbox);
        let hw = self.shared.hw();
        if let Some(hw) = hw.as_deref().and_then(HwHandle::access) {
            for f in self.inbox.drain_all() {
                hw.free_tx_skb(f.skb);
            }
        }
        // Not registered (any more): the frames are freed without status.
        self.inbox.clear();
    }

    /// Hands the TX confirms of the last pass to the transmit path.
    fn complete_tx(&mut self, hw: Option<&Hw<Bes2600Ops>>) {
        if let Some(hw) = hw {
            for c in self.tx_confirms.drain_all() {
                self.tx.confirm(hw, &c);
            }
        }
        self.tx_confirms.clear();
        self.shared.tx_held.store(self.tx.held(), Relaxed);
        let (tx, rx) = (self.tx.counts, self.rx);
        self.shared.with_stats_mut(|s| {
            s.tx = tx;
            s.rx = rx;
        });
    }

    /// The link went down: every frame the BH holds goes back to mac80211 unsent.
    fn drop_tx(&mut self) {
        self.tx_confirms.clear();
        match self.shared.hw().as_deref().and_then(HwHandle::access) {
            Some(hw) => self.tx.drain(&hw),
            None => self.tx.forget_all(),
        }
        // The link is down for a reset or for good: the chip keeps no policy.
        self.tx.chip_restarted();
        self.shared.tx_held.store(self.tx.held(), Relaxed);
    }

    /// Moves a command from the slot to the BH while the link is up; drops one whose caller
    /// gave up before it was sent.
    fn refill(&mut self) {
        match &self.cmds.pending {
            Some(Pending {
                origin: Origin::Slot(t),
                ..
            }) => {
                if !self.shared.wsm.wanted(*t) {
                    self.cmds.pending = None;
                }
            }
            Some(_) => {}
            None => {
                if self.link_up {
                    // Frames wait for the policy upload; it goes before the slot's command.
                    if let Some(msg) = self.tx.policy_upload() {
                        self.cmds.pending = Some(Pending {
                            origin: Origin::TxPolicy,
                            msg,
                        });
                    } else if let Some((ticket, msg)) = self.shared.wsm.fetch() {
                        self.cmds.pending = Some(Pending {
                            origin: Origin::Slot(ticket),
                            msg,
                        });
                    }
                }
            }
        }
    }

    /// A pass ended fatally while the link ran: fail the waiters, let recovery decide.
    fn on_fatal(&mut self, f: Fatal, ctx: &Context<'_>) {
        self.note_fatal(&f);
        let now = self.clock.now_us();
        self.failed_at_us.get_or_insert(now);
        let err = match f {
            Fatal::CommandTimeout { .. } | Fatal::ConfirmTimeout { .. } | Fatal::WakeTimeout(_) => {
                ETIMEDOUT
            }
            _ => ECONNRESET,
        };
        self.fail_commands(err);
        // On the real chip the doorbell may not reach a sleeping MCU without the wake line,
        // which this driver does not drive yet: such a chip is kept awake after the restarts.
        if matches!(f, Fatal::WakeTimeout(_)) && self.sleep_switch.wake_failed() {
            dev_warn!(
                self.dev,
                "the chip did not wake on request; it stays awake until the module is reloaded\n"
            );
        }
        let actions = self.recovery.on_input(Input::from(f), now);
        self.act(actions, ctx);
    }

    /// Logs and counts a fatal outcome.
    fn note_fatal(&mut self, f: &Fatal) {
        dev_err!(self.dev, "{}\n", Shown(f));
        self.shared.with_stats_mut(|s| {
            s.errors.count(f);
            s.last_fatal = Some(*f);
        });
    }

    /// Carries out recovery actions, in their order.
    fn act(&mut self, actions: Actions, ctx: &Context<'_>) {
        let mut reset_ok = true;
        for action in actions.iter() {
            match action {
                Action::StopTraffic => self.link_down(ECONNRESET),
                Action::ResetChip => {
                    let restarts = self.recovery.restarts();
                    if matches!(self.recovery.state(), State::Resuming { .. }) {
                        dev_info!(self.dev, "resume: resetting the chip\n");
                    } else {
                        dev_info!(self.dev, "restart {}: resetting the chip\n", restarts);
                    }
                    self.shared.with_stats_mut(|s| s.restarts = restarts);
                    reset_ok = self.reset_chip(ctx).is_ok();
                }
                Action::DownloadFirmware => {
                    let r = if reset_ok {
                        self.boot(ctx)
                    } else {
                        Err(Input::BootFailed)
                    };
                    if ctx.should_stop() {
                        return;
                    }
                    self.boot_result(r, ctx);
                }
                // The bring-up configuration is part of every boot; what mac80211 had set up
                // (interface, join, keys) is replayed once the link is up again.
                Action::RestoreConfig => self.restore_pending = true,
                Action::NotifyUp => self.link_is_up(),
                Action::NotifyDead => {
                    dev_err!(
                        self.dev,
                        "giving up after {} restarts; the device stays down until it is bound again\n",
                        self.recovery.restarts()
                    );
                    self.link_down(ENETDOWN);
                }
            }
        }
    }

    /// Feeds the outcome of a boot to recovery and carries out what follows.
    fn boot_result(&mut self, r: Result<(), Input>, ctx: &Context<'_>) {
        let input = match r {
            Ok(()) => {
                self.shared.with_stats_mut(|s| s.boots += 1);
                Input::BootOk
            }
            Err(input) => {
                dev_err!(self.dev, "boot failed ({:?})\n", input);
                self.shared.with_stats_mut(|s| s.errors.boot_failed += 1);
                let now = self.clock.now_us();
                self.failed_at_us.get_or_insert(now);
                input
            }
        };
        let actions = self.recovery.on_input(input, self.clock.now_us());
        self.act(actions, ctx);
    }

    /// The link is up: commands are accepted.
    fn link_is_up(&mut self) {
        self.link_up = true;
        if self.restore_pending || self.shared.wsm.has_deferred() {
            // mac80211 refuses to restart the hardware while a scan is still unreported: the
            // scan thread ends the one cancelled at link down, its commands failing fast until
            // the link is up below.
            if !self.shared.scan_cancel_and_wait(SCAN_END_WAIT) {
                dev_warn!(self.dev, "a scan did not end before the restart\n");
            }
        }
        // The firmware lost the interface, the join and the keys: mac80211 reconfigures them
        // through the ops. Nothing to replay without an interface (the chip came back while
        // WiFi was off) unless an op was deferred. The flag that holds scans off until the
        // replay starts is set before the link is up, so that none starts in between.
        let restore = core::mem::take(&mut self.restore_pending)
            && self.shared.interface_up.load(Relaxed) != 0;
        self.shared.replay_pending.store(
            u32::from(restore || self.shared.wsm.has_deferred()),
            Relaxed,
        );
        let deferred = self.shared.wsm.set_up();
        if restore || deferred {
            match self.shared.hw().as_deref().and_then(HwHandle::access) {
                // mac80211 only queues its restart work here.
                Some(hw) => hw.restart_hw(),
                None => self.shared.replay_started(),
            }
        } else {
            self.shared.replay_started();
        }
        let now = self.clock.now_us();
        if let Some(t) = self.resumed_at_us.take() {
            let took = now.saturating_sub(t);
            dev_info!(
                self.dev,
                "resumed: link up {} ms after resume\n",
                took / 1000
            );
            self.shared.with_stats_mut(|s| {
                s.resumes += 1;
                s.last_resume_us = Some(took);
            });
            return;
        }
        match self.failed_at_us.take() {
            Some(t) => {
                let took = now.saturating_sub(t);
                dev_info!(
                    self.dev,
                    "recovered: link up {} ms after the failure (restart {})\n",
                    took / 1000,
                    self.recovery.restarts()
                );
                self.shared
                    .with_stats_mut(|s| s.last_recovery_us = Some(took));
            }
            None => {
                dev_info!(self.dev, "link up {} ms after probe\n", now / 1000);
                self.shared.with_stats_mut(|s| s.first_boot_us = Some(now));
            }
        }
    }

    /// The link is down: the waiters fail with `err`, new commands with `ENETDOWN`.
    fn link_down(&mut self, err: Error) {
        self.link_up = false;
        self.drop_tx();
        self.fail_commands(err);
        // Callers may defer configuration until the link is back, unless it will not come
        // back by itself (recovery gave up).
        let returning = matches!(
            self.recovery.state(),
            State::Backoff { .. }
                | State::Restarting { .. }
                | State::Suspended
                | State::Resuming { .. }
        );
        self.shared.wsm.set_down(returning);
        // A running scan stops at once: its commands fail from here on.
        self.shared.scan_cancel();
    }

    /// Fails the slot's command the BH holds (queued or on the bus) with `err`.
    fn fail_commands(&mut self, err: Error) {
        let pending = self.cmds.pending.take().map(|p| p.origin);
        let sent = self.cmds.sent.take().map(|s| s.origin);
        for origin in [pending, sent].into_iter().flatten() {
            match origin {
                Origin::Slot(t) => self.shared.wsm.complete(t, Err(err)),
                Origin::TxPolicy => self.tx.policy_upload_abandoned(),
                Origin::Own => {}
            }
        }
        self.cmds.own_confirm = None;
        self.cmds.policy_answer.set(None);
    }

    /// Publishes the recovery state.
    fn publish_state(&self) {
        let state = match self.recovery.state() {
            State::Booting { .. } => LinkState::Booting,
            State::Running { .. } => LinkState::Running,
            State::Backoff { .. } => LinkState::Backoff,
            State::Restarting { .. } => LinkState::Restarting,
            State::Dead => LinkState::Dead,
            State::Suspended => LinkState::Suspended,
            State::Resuming { .. } => LinkState::Resuming,
        };
        let restarts = self.recovery.restarts();
        self.shared.with_stats_mut(|s| {
            s.state = state;
            s.restarts = restarts;
        });
    }

    /// Before the first boot: the card is reset, so that the boot starts from the boot ROM
    /// whatever ran before (a previous load of this module left its firmware running, an unbind
    /// interrupted a download, another driver had the chip).
    fn prepare_first_boot(&mut self, ctx: &Context<'_>) -> Result {
        let status = {
            let host = self.func.claim_host()?;
            host.read_u8(reg::SLAVE_STATUS)?
        };
        if status & (SlaveStatus::MCU_READY | SlaveStatus::WIFI_READY) != 0 {
            dev_info!(
                self.dev,
                "firmware already running (status {:#04x}): resetting the card\n",
                status
            );
        }
        self.reset_chip(ctx)
    }

    /// Resets the card (power cycle and new initialisation, as far as the host can), enables
    /// the function again, clears the engine state and waits for the boot ROM.
    fn reset_chip(&mut self, ctx: &Context<'_>) -> Result {
        let r = (|| {
            let host = self.func.claim_host()?;
            if host.reset_card()? == CardReset::Rescan {
                // The core removes and detects the card again; this binding ends.
                return Err(ENODEV);
            }
            host.enable_function()?;
            host.set_block_size(BLOCK_SIZE as u32)
        })();
        self.shared.with_stats_mut(|s| s.card_resets += 1);
        self.shared.latch.clear();
        self.bh.reset();
        if let Err(e) = r {
            dev_err!(self.dev, "card reset failed: {:?}\n", e);
            return r;
        }
        // The boot ROM announces the largest message it takes (registers 0x109-0x10A) once it
        // runs; right after the reset it may not yet.
        for _ in 0..ROM_READY_POLLS {
            let limit = (|| {
                let host = self.func.claim_host()?;
                let low = host.read_u8(reg::BOOT_MAX_LEN)?;
                let high = host.read_u8(reg::BOOT_MAX_LEN + 1)?;
                Ok::<_, Error>(u16::from_le_bytes([low, high]))
            })();
            if matches!(limit, Ok(l) if l > 0) {
                return Ok(());
            }
            if ctx.wait_timeout(ROM_READY_POLL) == WaitResult::Stop {
                return Err(ESHUTDOWN);
            }
        }
        dev_err!(
            self.dev,
            "the boot ROM did not come up after the card reset\n"
        );
        Err(ETIMEDOUT)
    }

    /// Boots the chip: firmware download, WiFi activation, startup indication, configuration
    /// (docs/chip-protocol.md, "The boot flow", "Subsystem handshake", "Starting the WiFi
    /// firmware").
    fn boot(&mut self, ctx: &Context<'_>) -> Result<(), Input> {
        let report = {
            // `true` when the interrupt (or another wake) came; `false` on timeout or stop.
            let mut wait = |d: Delta| ctx.wait_timeout(d) == WaitResult::Woken;
            boot_to_firmware(&self.func, &self.files, &mut self.dpd, &mut wait, &self.dev)
        };
        let report = report.map_err(|e| {
            // A boot cut short by unbind is no failure worth a line.
            if !ctx.should_stop() {
                dev_err!(self.dev, "firmware boot failed: {:?}\n", e);
            }
            Input::BootFailed
        })?;
        dev_info!(self.dev, "boot: {}\n", report);
        let version = report.wifi_version;
        self.shared
            .with_stats_mut(|s| s.set_version(version.as_str().unwrap_or("").as_bytes()));
        // Bytes the interrupt handler read during the download belong to the boot ROM.
        self.shared.latch.clear();
        // Toggles and sequence numbers start at 0 with the activation.
        self.bh.reset();
        self.activate(ctx)?;
        self.wait_startup(ctx)?;
        self.configure(ctx)
    }

    /// The WiFi-active handshake (docs/chip-protocol.md, "Subsystem handshake"): MCU_READY, then
    /// the WIFI_ACTIVE doorbell until WIFI_READY.
    fn activate(&mut self, ctx: &Context<'_>) -> Result<(), Input> {
        let mut status = 0;
        for _ in 0..MCU_READY_POLLS {
            if let Ok(s) = self.read_status() {
                status = s;
                if s & SlaveStatus::MCU_READY != 0 {
                    break;
                }
            }
            if ctx.wait_timeout(MCU_READY_POLL) == WaitResult::Stop {
                return Err(Input::BootFailed);
            }
        }
        if status & SlaveStatus::MCU_READY == 0 {
            dev_err!(self.dev, "MCU not ready (status {:#04x})\n", status);
            return Err(Input::BootFailed);
        }
        for _ in 0..ACTIVATE_TRIES {
            let rung = (|| {
                let host = self.func.claim_host()?;
                for (r, v) in Doorbell::ring(Doorbell::WIFI_ACTIVE).writes() {
                    host.write_u8(r, v)?;
                }
                host.read_u8(reg::SLAVE_STATUS)
            })();
            if let Ok(s) = rung {
                status = s;
                if s & SlaveStatus::WIFI_READY != 0 {
                    return Ok(());
                }
            }
            if ctx.wait_timeout(ACTIVATE_POLL) == WaitResult::Stop {
                return Err(Input::BootFailed);
            }
        }
        dev_err!(self.dev, "WiFi not ready (status {:#04x})\n", status);
        Err(Input::BootFailed)
    }

    /// Register 0x10C.
    fn read_status(&self) -> Result<u8> {
        let host = self.func.claim_host()?;
        host.read_u8(reg::SLAVE_STATUS)
    }

    /// Runs passes until the startup indication was accepted (docs/chip-protocol.md, "Starting
    /// the WiFi firmware").
    fn wait_startup(&mut self, ctx: &Context<'_>) -> Result<(), Input> {
        let deadline = self.clock.now_us().saturating_add(STARTUP_TIMEOUT_US);
        loop {
            let r = self.pass().map_err(|_| Input::BootFailed)?;
            if let Some(f) = r.fatal {
                self.note_fatal(&f);
                return Err(Input::from(f));
            }
            if self.bh.is_started() {
                return Ok(());
            }
            if r.more {
                continue;
            }
            if self.clock.now_us() >= deadline {
                dev_err!(self.dev, "no startup indication within 10 s\n");
                return Err(Input::BootFailed);
            }
            if ctx.wait_timeout(SHORT_POLL) == WaitResult::Stop {
                return Err(Input::BootFailed);
            }
        }
    }

    /// The bring-up configuration: multi-TX confirm (MIB 0x1024 = 1) on interfaces 0 and 1
    /// (docs/chip-protocol.md, "Flow control"), read back on interface 0 as the MIB round trip, and
    /// the MAC address: the device node's, else the chip's (MIB 0x0000), else the derived one.
    fn configure(&mut self, ctx: &Context<'_>) -> Result<(), Input> {
        let mut multi_tx = [None, None];
        let mut check = None;
        for if_id in 0..2u8 {
            let start = self.clock.now_us();
            let wrote = self.own_write_mib(ctx, UseMultiTxConfirm(1), if_id);
            let wrote = self.fatal_to_input(wrote)?;
            if let Err(e) = wrote {
                dev_warn!(
                    self.dev,
                    "multi-TX confirm on interface {}: {:?}\n",
                    if_id,
                    e
                );
            }
            if if_id == 0 {
                let mut buf = [0u8; 4];
                let read = self.own_read_mib(ctx, mib::id::USE_MULTI_TX_CONF, 0, &mut buf);
                let read = self.fatal_to_input(read)?;
                let value = match read {
                    Ok(4) => Some(u32::from_le_bytes(buf)),
                    _ => None,
                };
                let result = match (wrote, read, value) {
                    (Err(e), _, _) | (Ok(()), Err(e), _) => Err(e),
                    (Ok(()), Ok(_), Some(1)) => Ok(()),
                    _ => Err(EIO),
                };
                check = Some(MibCheck {
                    mib: mib::id::USE_MULTI_TX_CONF,
                    if_id: 0,
                    wrote: 1,
                    read: value,
                    latency_us: self.clock.now_us().saturating_sub(start),
                    result,
                });
            }
            if let Some(slot) = multi_tx.get_mut(usize::from(if_id)) {
                *slot = Some(wrote);
            }
        }
        // The station address: the one registered with mac80211, programmed with 0x0009 as the
        // vendor does at every start (its SDD block is not sent: the chip keeps its own RF
        // tables). The chip's own (MIB 0x0000) is only reported when it differs.
        let (mac, source) = self.mac;
        let mut buf = [0u8; 6];
        let read = self.own_read_mib(ctx, mib::id::STATION_ID, 0, &mut buf);
        if let Ok(6) = self.fatal_to_input(read)? {
            if buf != mac && valid_mac(&buf) {
                dev_info!(
                    self.dev,
                    "the chip reports MAC address {}; using {} (from the {})\n",
                    MacFmt(&buf),
                    MacFmt(&mac),
                    source.describe()
                );
            }
        }
        let conf = Configuration {
            max_transmit_msdu_lifetime: 0,
            max_receive_lifetime: 0,
            rts_threshold: 0,
            block_version: Configuration::BLOCK_VERSION,
            station_id: mac,
            block_flags: Configuration::BLOCK_FLAGS,
            sdd: &[],
        };
        let req = wsm::encode(&conf, 0).map_err(|_| Input::BootFailed)?;
        let confirm = self.own_command(ctx, req);
        match self.fatal_to_input(confirm)? {
            Ok(c) => match msg::decode::<ConfigurationConfirm>(&c) {
                Ok((_, c)) if c.status.is_success() => {}
                _ => {
                    dev_err!(self.dev, "the chip refused its station address\n");
                    return Err(Input::BootFailed);
                }
            },
            Err(e) => {
                dev_err!(self.dev, "station address: {:?}\n", e);
                return Err(Input::BootFailed);
            }
        }
        self.shared.with_stats_mut(|s| {
            s.multi_tx = multi_tx;
            s.mib_check = check;
            s.mac = Some((mac, source));
        });
        Ok(())
    }

    /// Turns a fatal outcome of an own command into the boot's failure; keeps other results.
    fn fatal_to_input<T>(&mut self, r: Result<T, CmdFail>) -> Result<Result<T>, Input> {
        match r {
            Ok(v) => Ok(Ok(v)),
            Err(CmdFail::Fatal(f)) => {
                self.note_fatal(&f);
                Err(Input::from(f))
            }
            Err(CmdFail::Failed(e)) if e == ESHUTDOWN || e == ETIMEDOUT => Err(Input::BootFailed),
            Err(CmdFail::Failed(e)) => Ok(Err(e)),
        }
    }

    /// Writes typed MIB `m` on interface `if_id` as the BH's own command.
    fn own_write_mib<'a, M: Mib<'a>>(
        &mut self,
        ctx: &Context<'_>,
        m: M,
        if_id: u8,
    ) -> Result<(), CmdFail> {
        let req = wsm::encode(&SetMib(m), if_id).map_err(CmdFail::Failed)?;
        let confirm = self.own_command(ctx, req)?;
        let (_, c) =
            msg::decode::<WriteMibConfirm>(&confirm).map_err(|_| CmdFail::Failed(EPROTO))?;
        if c.status.is_success() {
            Ok(())
        } else {
            Err(CmdFail::Failed(EINVAL))
        }
    }

    /// Reads MIB `mib_id` of interface `if_id` into `out` as the BH's own command.
    fn own_read_mib(
        &mut self,
        ctx: &Context<'_>,
        mib_id: u16,
        if_id: u8,
        out: &mut [u8],
    ) -> Result<usize, CmdFail> {
        let req = wsm::encode(&ReadMib { mib_id }, if_id).map_err(CmdFail::Failed)?;
        let confirm = self.own_command(ctx, req)?;
        let (_, c) =
            msg::decode::<ReadMibConfirm<'_>>(&confirm).map_err(|_| CmdFail::Failed(EPROTO))?;
        if !c.status.is_success() {
            return Err(CmdFail::Failed(EINVAL));
        }
        if c.mib_id != mib_id {
            return Err(CmdFail::Failed(EPROTO));
        }
        let dst = out
            .get_mut(..c.data.len())
            .ok_or(CmdFail::Failed(EOVERFLOW))?;
        dst.copy_from_slice(c.data);
        Ok(c.data.len())
    }

    /// Runs the encoded command `req` as the BH's own and returns its confirm. Only while the
    /// link is down (the slot is not served meanwhile).
    fn own_command(&mut self, ctx: &Context<'_>, req: KVec<u8>) -> Result<KVec<u8>, CmdFail> {
        self.fail_commands(ECONNRESET);
        self.cmds.pending = Some(Pending {
            origin: Origin::Own,
            msg: req,
        });
        self.cmds.own_confirm = None;
        self.cmds.own_rejected = false;
        let deadline = self.clock.now_us().saturating_add(OWN_COMMAND_TIMEOUT_US);
        let result = loop {
            let r = match self.pass() {
                Ok(r) => r,
                Err(e) => break Err(CmdFail::Failed(e)),
            };
            if let Some(f) = r.fatal {
                break Err(CmdFail::Fatal(f));
            }
            if let Some(c) = self.cmds.own_confirm.take() {
                break c.map_err(CmdFail::Failed);
            }
            if self.cmds.own_rejected {
                break Err(CmdFail::Failed(EINVAL));
            }
            if r.more {
                continue;
            }
            if self.clock.now_us() >= deadline {
                break Err(CmdFail::Failed(ETIMEDOUT));
            }
            if ctx.wait_timeout(SHORT_POLL) == WaitResult::Stop {
                break Err(CmdFail::Failed(ESHUTDOWN));
            }
        };
        self.cmds.pending = None;
        if result.is_err() {
            // Abandoned (the engine forgets it at the reset that follows).
            self.cmds.sent.set(None);
        }
        result
    }
}

/// `us` microseconds as a [`Delta`].
fn micros(us: u64) -> Delta {
    Delta::from_micros(i64::try_from(us).unwrap_or(i64::MAX))
}

/// The engine's command source: the one command the BH holds.
struct Commands<'a> {
    dev: &'a Device,
    pending: &'a mut Option<Pending>,
    sent: &'a Cell<Option<Sent>>,
    shared: &'a Shared,
    own_rejected: &'a mut bool,
    policy_answer: &'a Cell<Option<bool>>,
    now_us: u64,
}

impl TxSource for Commands<'_> {
    fn peek(&mut self) -> Option<&[u8]> {
        self.pending.as_ref().map(|p| &*p.msg)
    }

    fn taken(&mut self) {
        if let Some(p) = self.pending.take() {
            self.sent.set(Some(Sent {
                origin: p.origin,
                at_us: self.now_us,
            }));
        }
    }

    fn rejected(&mut self, error: ProtocolError) {
        dev_warn!(self.dev, "command refused: {}\n", Shown(error));
        if let Some(p) = self.pending.take() {
            match p.origin {
                Origin::Slot(t) => self.shared.wsm.complete(t, Err(EINVAL)),
                Origin::Own => *self.own_rejected = true,
                Origin::TxPolicy => self.policy_answer.set(Some(false)),
            }
        }
    }
}

/// The engine's data source: the transmit path's queues.
struct Data<'a> {
    tx: &'a mut TxPath,
    hw: Option<&'a Hw<Bes2600Ops>>,
    /// The pass's time, for the frames' confirm deadline.
    now_us: u64,
}

impl TxSource for Data<'_> {
    fn peek(&mut self) -> Option<&[u8]> {
        self.tx.peek()
    }

    fn taken(&mut self) {
        self.tx.taken(self.now_us);
    }

    fn rejected(&mut self, _error: ProtocolError) {
        match self.hw {
            Some(hw) => self.tx.rejected(hw),
            None => self.tx.forget_peeked(),
        }
    }
}

/// Where the engine's events go.
struct Sink<'a> {
    dev: &'a Device,
    shared: &'a Shared,
    sent: &'a Cell<Option<Sent>>,
    own_confirm: &'a mut Option<Result<KVec<u8>>>,
    policy_answer: &'a Cell<Option<bool>>,
    clock: &'a MonoClock,
    /// The way up to mac80211 (received frames), if registered.
    hw: Option<&'a Hw<Bes2600Ops>>,
    rx: &'a mut RxCounts,
    /// TX confirms, handled after the pass (the pass holds the transmit path meanwhile).
    tx_confirms: &'a mut KVec<TxConfirm>,
}

impl Events for Sink<'_> {
    fn firmware_up(&mut self, ind: &StartupIndication) {
        dev_info!(
            self.dev,
            "firmware up: {} input buffers of {} bytes, hardware {:#06x}/{:#06x}, type {}, \
             API {:#06x}, build {}, version {}, capabilities {:#06x}, \"{}\"\n",
            ind.num_inp_ch_bufs,
            ind.size_inp_ch_buf,
            ind.hardware_id,
            ind.hardware_sub_id,
            ind.firmware_type,
            ind.firmware_api_ver,
            ind.firmware_build,
            ind.firmware_version,
            ind.firmware_cap,
            Text(ind.label_bytes())
        );
        self.shared.with_stats_mut(|s| s.startup = Some(*ind));
    }

    fn command_done(&mut self, confirm: &[u8]) {
        let now = self.clock.now_us();
        let Some(sent) = self.sent.take() else {
            return;
        };
        let copy = KVec::from_elem(0u8, confirm.len(), GFP_KERNEL).map(|mut v| {
            v.copy_from_slice(confirm);
            v
        });
        self.shared.with_stats_mut(|s| {
            s.confirm_latency.add(now.saturating_sub(sent.at_us));
        });
        match sent.origin {
            Origin::Own => *self.own_confirm = Some(copy.map_err(|_| ENOMEM)),
            Origin::Slot(t) => self.shared.wsm.complete(t, copy.map_err(|_| ENOMEM)),
            Origin::TxPolicy => {
                let accepted = msg::decode::<WriteMibConfirm>(confirm)
                    .is_ok_and(|(_, c)| c.status.is_success());
                if !accepted {
                    dev_warn!(self.dev, "the chip refused a TX rate policy upload\n");
                }
                self.policy_answer.set(Some(accepted));
            }
        }
    }

    fn tx_confirm(&mut self, confirm: &[u8]) {
        let id = match wsm_header::split(confirm) {
            Ok((h, _, _)) => h.id.base(),
            Err(_) => return,
        };
        if id == wsm_id::MULTI_TX_CONFIRM {
            if let Ok((_, m)) = msg::decode::<MultiTxConfirm<'_>>(confirm) {
                for c in m.iter() {
                    let _ = self.tx_confirms.push(c, GFP_KERNEL);
                }
            }
        } else if let Ok((_, c)) = msg::decode::<TxConfirm>(confirm) {
            let _ = self.tx_confirms.push(c, GFP_KERNEL);
        }
    }

    fn indication(&mut self, m: &[u8]) {
        let id = match wsm_header::split(m) {
            Ok((h, _, _)) => h.id.base(),
            Err(_) => return,
        };
        match id {
            wsm_id::RX => {
                let Some(hw) = self.hw else {
                    return;
                };
                if let Err(rx::Dropped::Violation(e)) = rx::deliver(hw, m, self.rx) {
                    if self.rx.violations <= 10 {
                        dev_err!(self.dev, "bad receive indication: {}\n", Shown(e));
                    }
                }
            }
            wsm_id::SCAN_COMPLETE => {
                let status = msg::decode::<ScanComplete>(m)
                    .map(|(_, c)| c.status.0)
                    .unwrap_or(u32::MAX);
                self.shared.scan_complete(status);
            }
            wsm_id::EVENT => {
                let Ok((_, e)) = msg::decode::<Event>(m) else {
                    return;
                };
                dev_info!(self.dev, "firmware event {} ({:#x})\n", e.id, e.data);
                if e.id == event_id::PS_MODE_ERROR {
                    // The firmware keeps its mode; mac80211's connection monitor notices an
                    // AP that stopped delivering. Counted for the hardware test's report.
                    self.shared.with_stats_mut(|s| s.ps_errors += 1);
                }
                if e.id == event_id::BSS_LOST {
                    self.shared.with_stats_mut(|s| s.bss_lost += 1);
                    // mac80211 probes the AP and disconnects if it does not answer.
                    if let Some(hw) = self.hw {
                        hw.iterate_active_interfaces(|vif| {
                            let _ = hw.beacon_loss(vif);
                        });
                    }
                }
            }
            _ => {}
        }
    }

    fn exception(&mut self, m: &[u8]) {
        match msg::decode::<Exception>(m) {
            Ok((_, e)) => {
                let reg = |i: usize| e.regs.get(i).copied().unwrap_or(0);
                let (pc, lr, sp) = (reg(15), reg(14), reg(13));
                if e.is_assert() {
                    dev_err!(
                        self.dev,
                        "firmware assert (reason {:#x}) at \"{}\" line {}, pc {:#010x}, lr {:#010x}, \
                         sp {:#010x}\n",
                        e.reason,
                        Text(e.file_name()),
                        reg(1),
                        pc,
                        lr,
                        sp
                    );
                } else {
                    let kind = match e.reason {
                        0 => "undefined instruction",
                        1 => "prefetch abort",
                        2 => "data abort",
                        _ => "unknown",
                    };
                    dev_err!(
                        self.dev,
                        "firmware exception: {} (reason {}), pc {:#010x}, lr {:#010x}, sp {:#010x}\n",
                        kind,
                        e.reason,
                        pc,
                        lr,
                        sp
                    );
                }
            }
            Err(_) => dev_err!(
                self.dev,
                "firmware exception ({} bytes, not decodable)\n",
                m.len()
            ),
        }
    }
}
