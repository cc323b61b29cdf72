// SPDX-License-Identifier: GPL-2.0

//! The virtual MMC host: registers a `struct mmc_host` with the real MMC core and answers its
//! requests from the emulated [`Card`].
//!
//! A request flows like this: the core calls [`VsdioHost::request`] (process context, host
//! claimed); for a CMD53 write the data is copied out of the scatterlist first, then the card
//! state is updated under its mutex (messages for the model are queued, the RX queue is
//! consumed), for a CMD53 read the card's bytes are copied into the scatterlist afterwards;
//! then the request is completed at once, or, with the bus timing model on, from an hrtimer
//! when the modelled bus would finish the transfer. Only a function 1 CMD53 write waits for
//! userspace: while a model has the device open, its request completes once the model
//! acknowledged it (`WRITE_DONE`, ABI.md "Timing"), or after [`WRITE_ACK_TIMEOUT`].
//!
//! Card interrupts use the core's `MMC_CAP2_SDIO_IRQ_NOTHREAD` path: the host calls
//! `sdio_signal_irq()` (which only queues the core's SDIO interrupt work, so it is fine from any
//! context) and masks further signals until the core acknowledges with `ack_sdio_irq`; a line
//! still asserted then is signalled again, as a level-triggered controller would.

use kernel::{
    device::Bound,
    devres::Devres,
    faux, new_mutex, new_poll_condvar, new_spinlock_irq,
    prelude::*,
    sync::{
        poll::PollCondVar,
        Arc,
        ArcBorrow,
        Mutex,
        SpinLockIrq, //
    },
    time::{
        hrtimer::{
            ArcHrTimerHandle,
            HrTimer,
            HrTimerCallback,
            HrTimerCallbackContext,
            HrTimerPointer,
            HrTimerRestart,
            RelativeMode, //
        },
        Delta,
        Instant,
        Monotonic, //
    },
};

use crate::abi;
use crate::card::{
    Card,
    Identity,
    Reply,
    Stats,
    WriteWait, //
};
use crate::kernel_ext::mmc_host::{
    self,
    caps,
    caps2,
    vdd,
    Config,
    Direction,
    Host,
    HostOps,
    Ios,
    PowerMode,
    Request, //
};
use crate::sdio_spec::opcode;

/// Largest data phase: 128 blocks of 512 bytes, which is also the largest message payload.
pub(crate) const MAX_TRANSFER: u32 = abi::MAX_PAYLOAD as u32;

/// What the virtual host supports: a removable 4-bit high-speed SDIO slot at up to 50 MHz with
/// in-band interrupts; no SD memory or MMC probing.
const HOST_CONFIG: Config = Config {
    f_min: 400_000,
    f_max: 50_000_000,
    ocr_avail: vdd::VDD_32_33 | vdd::VDD_33_34,
    caps: caps::FOUR_BIT_DATA | caps::SD_HIGHSPEED | caps::SDIO_IRQ,
    caps2: caps2::SDIO_IRQ_NOTHREAD | caps2::NO_SD | caps2::NO_MMC | caps2::NO_WRITE_PROTECT,
    max_segs: 128,
    max_seg_size: MAX_TRANSFER,
    max_blk_size: 512,
    max_blk_count: MAX_TRANSFER / 512,
    max_req_size: MAX_TRANSFER,
};

/// How long a CMD53 write waits for the model's `WRITE_DONE` before it completes anyway (the
/// model is taken for dead; ABI.md "Timing").
pub(crate) const WRITE_ACK_TIMEOUT: Delta = Delta::from_millis(1000);

/// A request whose completion the bus timing model or the model's acknowledgement delays.
struct Pending {
    /// The request, until the timer completes it.
    req: Option<Request>,
    /// The started timer; dropping it cancels the timer.
    handle: Option<ArcHrTimerHandle<Shared>>,
    /// Teardown has begun: complete everything at once.
    stopped: bool,
    /// The write held for the model's acknowledgement, if the request is one; the timer is
    /// then its timeout.
    wait: WriteWait,
    /// When the bus model completes the held write (bus-clock nanoseconds), if it is on.
    bus_done_at: Option<u64>,
}

/// The state shared by the MMC core's callbacks, the timer and the model's device.
#[pin_data]
pub(crate) struct Shared {
    /// The card.
    #[pin]
    pub(crate) card: Mutex<Card>,
    /// Woken when messages are queued for the model.
    #[pin]
    pub(crate) to_model: PollCondVar,
    #[pin]
    pending: SpinLockIrq<Pending>,
    #[pin]
    timer: HrTimer<Shared>,
    /// Origin of the bus model's clock.
    epoch: Instant<Monotonic>,
}

kernel::impl_has_hr_timer! {
    impl HasHrTimer<Self> for Shared {
        mode: RelativeMode<Monotonic>, field: self.timer
    }
}

impl HrTimerCallback for Shared {
    type Pointer<'a> = Arc<Self>;

    fn run(this: ArcBorrow<'_, Self>, _ctx: HrTimerCallbackContext<'_, Self>) -> HrTimerRestart {
        let (req, timed_out) = {
            let mut pending = this.pending.lock();
            let timed_out = pending.wait.timed_out();
            (pending.req.take(), timed_out)
        };
        if timed_out {
            pr_warn!("the chip model did not acknowledge a CMD53 write in time\n");
        }
        if let Some(req) = req {
            req.complete();
        }
        HrTimerRestart::NoRestart
    }
}

impl Shared {
    /// State for a card with identity `id`.
    fn new(id: Identity) -> Result<Arc<Self>> {
        let card = Card::new(id)?;
        Arc::pin_init(
            pin_init!(Self {
                card <- new_mutex!(card, "bes2600_vsdio::card"),
                to_model <- new_poll_condvar!("bes2600_vsdio::to_model"),
                pending <- new_spinlock_irq!(
                    Pending {
                        req: None,
                        handle: None,
                        stopped: false,
                        wait: WriteWait::default(),
                        bus_done_at: None,
                    },
                    "bes2600_vsdio::pending"
                ),
                timer <- HrTimer::new(),
                epoch: Instant::now(),
            }),
            GFP_KERNEL,
        )
    }

    /// Nanoseconds since the state was created, the bus model's clock.
    fn now_ns(&self) -> u64 {
        u64::try_from((Instant::<Monotonic>::now() - self.epoch).as_nanos()).unwrap_or(0)
    }

    /// Completes `req` after `delay`, from the timer.
    fn complete_later(this: ArcBorrow<'_, Self>, req: Request, delay: Delta) {
        // A stale handle would cancel the new timer when dropped: drop it first, outside the
        // lock the callback takes (cancelling waits for a running callback).
        let stale = this.pending.lock().handle.take();
        drop(stale);
        let mut pending = this.pending.lock();
        if pending.stopped {
            drop(pending);
            req.complete();
            return;
        }
        pending.req = Some(req);
        pending.handle = Some(Arc::from(this).start(delay));
    }

    /// Holds the write `req` until the model acknowledges the card's hold `id` (or
    /// [`WRITE_ACK_TIMEOUT`] passes), then completes it when the bus model says, at `bus_done_at`.
    fn hold_for_model(this: ArcBorrow<'_, Self>, req: Request, id: u64, bus_done_at: Option<u64>) {
        let stale = this.pending.lock().handle.take();
        drop(stale);
        let bus_delay = bus_done_at.map_or(0, |at| at.saturating_sub(this.now_ns()));
        let bus_delay = Delta::from_nanos(i64::try_from(bus_delay).unwrap_or(i64::MAX));
        let mut pending = this.pending.lock();
        if pending.stopped || !pending.wait.hold(id) {
            // Teardown, or the model acknowledged the write before this thread got here.
            let later = !pending.stopped && bus_delay.as_nanos() > 0;
            drop(pending);
            if later {
                Self::complete_later(this, req, bus_delay);
            } else {
                req.complete();
            }
            return;
        }
        let timeout = Delta::from_nanos(
            WRITE_ACK_TIMEOUT
                .as_nanos()
                .saturating_add(bus_delay.as_nanos()),
        );
        pending.req = Some(req);
        pending.bus_done_at = bus_done_at;
        pending.handle = Some(Arc::from(this).start(timeout));
    }

    /// The model acknowledged the card's hold `id`: completes the held write, at once or when
    /// the bus model says. Nothing happens if that write already completed on its timeout.
    fn write_released(this: ArcBorrow<'_, Self>, id: u64) {
        // Cancel the timeout outside the lock its callback takes.
        let timeout = {
            let mut pending = this.pending.lock();
            if !pending.wait.is_awaiting(id) {
                // Not awaited yet (the issuing thread is on its way to `hold_for_model`), or
                // no longer (it timed out).
                pending.wait.release(id);
                return;
            }
            pending.handle.take()
        };
        drop(timeout);
        let mut pending = this.pending.lock();
        if !pending.wait.release(id) {
            return;
        }
        let Some(req) = pending.req.take() else {
            return;
        };
        let now = this.now_ns();
        match pending.bus_done_at.take() {
            Some(at) if at > now && !pending.stopped => {
                let delay = Delta::from_nanos(i64::try_from(at - now).unwrap_or(i64::MAX));
                pending.req = Some(req);
                pending.handle = Some(Arc::from(this).start(delay));
            }
            _ => {
                drop(pending);
                req.complete();
            }
        }
    }

    /// The debugfs counters: the card's, and the held writes that timed out.
    pub(crate) fn stats(&self) -> Stats {
        let mut stats = self.card.lock().stats();
        stats.write_timeouts = self.pending.lock().wait.timeouts();
        stats
    }

    /// Stops the timer for good, completing a request it still holds; requests that come
    /// later complete at once.
    fn stop_timer(&self) {
        let handle = {
            let mut pending = self.pending.lock();
            pending.stopped = true;
            pending.wait.stop();
            pending.handle.take()
        };
        drop(handle);
        let req = self.pending.lock().req.take();
        if let Some(req) = req {
            req.complete();
        }
    }

    /// Wakes the model's readers if messages were queued.
    pub(crate) fn wake_model(&self, card: &mut Card) {
        if card.take_model_wakeup() {
            self.to_model.notify_all();
        }
    }
}

/// One virtual host with its card: a faux parent device, the MMC host and the shared state.
///
/// Fields drop in order: the host goes before its parent device.
pub(crate) struct Instance {
    /// The state shared with the core's callbacks.
    pub(crate) shared: Arc<Shared>,
    /// The host, managed by `parent` (removed at the latest when `parent` is unbound).
    host: Devres<mmc_host::Registration<VsdioHost>>,
    /// The faux parent device, bound for as long as it is registered.
    parent: faux::Registration,
}

impl Instance {
    /// Registers a host named after the faux device `name` with a card of identity `id`. The
    /// MMC core starts enumerating the card in the background.
    pub(crate) fn new(name: &CStr, id: Identity) -> Result<Arc<Self>> {
        let parent = faux::Registration::new(name, None)?;
        let shared = Shared::new(id)?;
        let faux_dev: &faux::Device<Bound> = parent.as_ref();
        let host = mmc_host::Registration::new(faux_dev.as_ref(), &HOST_CONFIG, shared.clone())?;
        Ok(Arc::new(
            Self {
                shared,
                host,
                parent,
            },
            GFP_KERNEL,
        )?)
    }

    /// The host registration, reached with the proof that its parent is bound.
    fn registration(&self) -> Result<&mmc_host::Registration<VsdioHost>> {
        let parent: &faux::Device<Bound> = self.parent.as_ref();
        self.host.access(parent.as_ref())
    }

    /// The MMC host.
    pub(crate) fn host(&self) -> Result<&Host> {
        Ok(self.registration()?.host())
    }

    /// The model closed its device: a write held for it completes now.
    pub(crate) fn close_model(&self) {
        let released = {
            let mut card = self.shared.card.lock();
            card.close_model();
            card.take_write_release()
        };
        if let Some(id) = released {
            Shared::write_released(self.shared.as_arc_borrow(), id);
        }
    }

    /// Function `num` of the card, once enumerated: for end-to-end tests through the core.
    pub(crate) fn card_function(&self, num: u32) -> Option<mmc_host::CardFunction<'_>> {
        self.registration().ok()?.card_function(num)
    }

    /// Applies a message from the model and acts on it: signal a card interrupt, rescan the
    /// slot after an insertion or removal, wake the model's readers, complete the write the
    /// model acknowledged.
    pub(crate) fn apply(&self, req: abi::ModelRequest, payload: KVVec<u8>) -> Result {
        let (signal, rescan, released) = {
            let mut card = self.shared.card.lock();
            let was_present = card.is_present();
            card.apply(req, payload)?;
            let rescan = card.is_present() != was_present;
            self.shared.wake_model(&mut card);
            (card.take_irq_signal(), rescan, card.take_write_release())
        };
        if let Some(id) = released {
            Shared::write_released(self.shared.as_arc_borrow(), id);
        }
        if signal {
            self.host()?.signal_sdio_irq();
        }
        if rescan {
            self.host()?.detect_change(0);
        }
        Ok(())
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // Before the host goes away (when the fields drop): from now on every request
        // completes at once, so removing the card cannot wait for the timer.
        self.shared.stop_timer();
    }
}

/// Sets the command result of `reply`.
fn apply_reply(req: &mut Request, reply: Reply) {
    let cmd = req.cmd_mut();
    match reply {
        Reply::Response(word) => cmd.set_response([word, 0, 0, 0]),
        Reply::NoResponse => cmd.set_response([0; 4]),
        Reply::Timeout => cmd.set_error(ETIMEDOUT),
        Reply::NoMedium => cmd.set_error(ENOMEDIUM),
    }
}

/// A zeroed buffer of `len` bytes.
fn zeroed(len: usize) -> Result<KVVec<u8>> {
    Ok(KVVec::from_elem(0u8, len, GFP_KERNEL)?)
}

/// The MMC host operations of the virtual host.
pub(crate) struct VsdioHost;

impl VsdioHost {
    /// Runs the command (and data phase) of `req` against the card. Returns when the bus
    /// timing model says the request completes, in bus-clock nanoseconds, if it is on; whether
    /// to signal a card interrupt; and the card's hold id of a write that must wait for the
    /// model.
    fn execute(shared: &Shared, req: &mut Request) -> Result<(Option<u64>, bool, Option<u64>)> {
        let op = req.cmd().opcode();
        let arg = req.cmd().arg();
        let Some(data) = req.data() else {
            let mut card = shared.card.lock();
            let reply = card.command(op, arg);
            shared.wake_model(&mut card);
            let signal = card.take_irq_signal();
            drop(card);
            apply_reply(req, reply);
            return Ok((None, signal, None));
        };

        let len = data
            .len()
            .filter(|&l| l > 0 && l <= abi::MAX_PAYLOAD)
            .ok_or(EINVAL)?;
        if op != opcode::IO_RW_EXTENDED {
            return Err(ETIMEDOUT);
        }
        let blocks = data.blocks();
        let (xfer, done_at, signal, read_data) = match data.direction() {
            Direction::Write => {
                let mut buf = zeroed(len)?;
                if data.copy_to_buffer(&mut buf) != len {
                    return Err(EIO);
                }
                let mut card = shared.card.lock();
                let xfer = card.cmd53_write(arg, blocks, buf);
                let done_at = Self::bus_time(shared, &mut card, len);
                shared.wake_model(&mut card);
                (xfer, done_at, card.take_irq_signal(), None)
            }
            Direction::Read => {
                let mut buf = zeroed(len)?;
                let mut card = shared.card.lock();
                let xfer = card.cmd53_read(arg, &mut buf);
                let done_at = Self::bus_time(shared, &mut card, len);
                shared.wake_model(&mut card);
                (xfer, done_at, card.take_irq_signal(), Some(buf))
            }
        };

        apply_reply(req, xfer.reply);
        let ok = matches!(xfer.reply, Reply::Response(_));
        if let Some(data) = req.data_mut() {
            if xfer.data_error {
                data.set_error(EIO);
            } else if ok {
                if let Some(buf) = read_data {
                    data.copy_from_buffer(&buf);
                }
                data.set_bytes_transferred(u32::try_from(len).unwrap_or(0));
            }
        }
        let hold = if ok && !xfer.data_error {
            xfer.hold
        } else {
            None
        };
        Ok((if ok { done_at } else { None }, signal, hold))
    }

    /// Books a CMD53 of `len` bytes on the bus model.
    fn bus_time(shared: &Shared, card: &mut Card, len: usize) -> Option<u64> {
        let bus = card.bus_mut();
        bus.is_active().then(|| bus.transfer(shared.now_ns(), len))
    }
}

#[vtable]
impl HostOps for VsdioHost {
    type Data = Arc<Shared>;

    fn request(host: &Host, shared: ArcBorrow<'_, Shared>, mut req: Request) {
        let (done_at, signal, hold) = match Self::execute(&shared, &mut req) {
            Ok(outcome) => outcome,
            Err(err) => {
                req.cmd_mut().set_error(err);
                (None, false, None)
            }
        };
        // A stop command (not used by SDIO) just succeeds.
        if let Some(stop) = req.stop_mut() {
            stop.set_response([0; 4]);
        }
        if signal {
            host.signal_sdio_irq();
        }
        if let Some(id) = hold {
            Shared::hold_for_model(shared, req, id, done_at);
            return;
        }
        let now = shared.now_ns();
        match done_at {
            Some(at) if at > now => {
                let delay = Delta::from_nanos(i64::try_from(at - now).unwrap_or(i64::MAX));
                Shared::complete_later(shared, req, delay);
            }
            _ => req.complete(),
        }
    }

    fn set_ios(_host: &Host, shared: ArcBorrow<'_, Shared>, ios: &Ios) {
        shared
            .card
            .lock()
            .set_power(ios.power_mode() != PowerMode::Off);
        let mut card = shared.card.lock();
        shared.wake_model(&mut card);
    }

    fn get_cd(_host: &Host, shared: ArcBorrow<'_, Shared>) -> Option<bool> {
        Some(shared.card.lock().is_present())
    }

    fn get_ro(_host: &Host, _shared: ArcBorrow<'_, Shared>) -> Option<bool> {
        Some(false)
    }

    fn enable_sdio_irq(host: &Host, shared: ArcBorrow<'_, Shared>, on: bool) {
        let signal = {
            let mut card = shared.card.lock();
            card.host_irq_enable(on);
            card.take_irq_signal()
        };
        if signal {
            host.signal_sdio_irq();
        }
    }

    fn ack_sdio_irq(host: &Host, shared: ArcBorrow<'_, Shared>) {
        let signal = {
            let mut card = shared.card.lock();
            card.host_irq_ack();
            card.take_irq_signal()
        };
        if signal {
            host.signal_sdio_irq();
        }
    }
}
