// SPDX-License-Identifier: GPL-2.0

//! MMC host controller drivers: the host side of the MMC/SD/SDIO bus.
//!
//! C headers: [`include/linux/mmc/host.h`](srctree/include/linux/mmc/host.h),
//! [`include/linux/mmc/core.h`](srctree/include/linux/mmc/core.h).
//!
//! A host driver implements [`HostOps`] and registers a host with [`Registration::new`], below a
//! bound parent device; the registration is device-managed ([`Devres`]), so it cannot outlive
//! the parent's binding. The MMC core then powers the slot with [`HostOps::set_ios`], probes it
//! with commands sent through [`HostOps::request`], and, when it finds a card, registers the
//! card (and for SDIO its functions) on the matching bus, where card and function drivers bind as
//! usual.
//!
//! Every request handed to [`HostOps::request`] is a [`Request`]: an owned token that must be
//! completed exactly once. [`Request::complete`] hands it back to the core; it may be called from
//! any context (an hrtimer, an interrupt handler, a work item), so a host can model the time a
//! transfer takes. A request that is dropped without being completed is failed with
//! `-ENOMEDIUM`, so the core never waits forever for a forgotten one.

use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

use kernel::{
    device,
    devres::Devres,
    error::{
        from_result,
        to_result, //
    },
    ffi::{
        c_int,
        c_void, //
    },
    prelude::*,
    sync::aref::ARef,
    types::{
        ForeignOwnable,
        Opaque, //
    },
};

use super::{
    bindings,
    sdio::{
        Function,
        FunctionIo,
        IrqHandler,
        Watched,
        WatchedClaim, //
    },
};

/// Host capability bits (`MMC_CAP_*`), for [`Config::caps`].
pub mod caps {
    use super::bindings;

    /// The host can do 4-bit data transfers.
    pub const FOUR_BIT_DATA: u32 = bindings::MMC_CAP_4_BIT_DATA;
    /// The host can do SD high-speed timing.
    pub const SD_HIGHSPEED: u32 = bindings::MMC_CAP_SD_HIGHSPEED;
    /// The host can signal SDIO card interrupts ([`Host::signal_sdio_irq`](super::Host)).
    pub const SDIO_IRQ: u32 = bindings::MMC_CAP_SDIO_IRQ;
    /// The card cannot be removed (the core scans the slot once).
    pub const NONREMOVABLE: u32 = bindings::MMC_CAP_NONREMOVABLE;
}

/// More host capability bits (`MMC_CAP2_*`), for [`Config::caps2`].
pub mod caps2 {
    use super::bindings;

    /// SDIO interrupts are delivered with [`Host::signal_sdio_irq`](super::Host) and
    /// acknowledged through [`HostOps::ack_sdio_irq`](super::HostOps::ack_sdio_irq), instead of
    /// the core's polling `ksdioirqd` thread.
    pub const SDIO_IRQ_NOTHREAD: u32 = bindings::MMC_CAP2_SDIO_IRQ_NOTHREAD;
    /// Do not send SD memory card commands during initialisation.
    pub const NO_SD: u32 = bindings::MMC_CAP2_NO_SD;
    /// Do not send (e)MMC commands during initialisation.
    pub const NO_MMC: u32 = bindings::MMC_CAP2_NO_MMC;
    /// The slot has no write-protect switch.
    pub const NO_WRITE_PROTECT: u32 = bindings::MMC_CAP2_NO_WRITE_PROTECT;
}

/// Supported card voltages (`MMC_VDD_*`), for [`Config::ocr_avail`].
pub mod vdd {
    use super::bindings;

    /// 3.2 V to 3.3 V.
    pub const VDD_32_33: u32 = bindings::MMC_VDD_32_33;
    /// 3.3 V to 3.4 V.
    pub const VDD_33_34: u32 = bindings::MMC_VDD_33_34;
}

/// What a host supports, applied to the `struct mmc_host` before it is added.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Lowest bus clock in Hz.
    pub f_min: u32,
    /// Highest bus clock in Hz.
    pub f_max: u32,
    /// Supported voltages, a mask of [`vdd`] bits.
    pub ocr_avail: u32,
    /// Capabilities, a mask of [`caps`] bits.
    pub caps: u32,
    /// More capabilities, a mask of [`caps2`] bits.
    pub caps2: u32,
    /// Most scatterlist entries in one request.
    pub max_segs: u32,
    /// Largest scatterlist entry in bytes.
    pub max_seg_size: u32,
    /// Largest block in bytes.
    pub max_blk_size: u32,
    /// Most blocks in one request.
    pub max_blk_count: u32,
    /// Largest request in bytes.
    pub max_req_size: u32,
}

/// The operations of an MMC host controller.
///
/// Every callback receives the [`Host`] and the driver's data given to [`Registration::new`].
/// The MMC core serialises [`request`](HostOps::request) and [`set_ios`](HostOps::set_ios)
/// (they are called with the host claimed, in process context); the SDIO interrupt callbacks
/// may run concurrently with them.
#[vtable]
pub trait HostOps: Sized + 'static {
    /// The driver's data, shared by all callbacks.
    type Data: ForeignOwnable + Send + Sync;

    /// Starts `req`. The host completes it later with [`Request::complete`], from any context.
    ///
    /// Called in process context; may sleep.
    fn request(host: &Host, data: <Self::Data as ForeignOwnable>::Borrowed<'_>, req: Request);

    /// Applies bus settings: power, clock, bus width, timing.
    fn set_ios(host: &Host, data: <Self::Data as ForeignOwnable>::Borrowed<'_>, ios: &Ios);

    /// Whether a card is present in the slot; `None` when the host cannot tell.
    fn get_cd(host: &Host, data: <Self::Data as ForeignOwnable>::Borrowed<'_>) -> Option<bool> {
        let _ = (host, data);
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Whether the card is write protected; `None` when the host cannot tell.
    fn get_ro(host: &Host, data: <Self::Data as ForeignOwnable>::Borrowed<'_>) -> Option<bool> {
        let _ = (host, data);
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Enables or disables the delivery of SDIO card interrupts.
    fn enable_sdio_irq(host: &Host, data: <Self::Data as ForeignOwnable>::Borrowed<'_>, on: bool) {
        let _ = (host, data, on);
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// The core has run the SDIO interrupt handlers of the card after a
    /// [`Host::signal_sdio_irq`]: the host may signal the next interrupt. Called in process
    /// context with the host claimed. Mandatory with [`caps2::SDIO_IRQ_NOTHREAD`].
    fn ack_sdio_irq(host: &Host, data: <Self::Data as ForeignOwnable>::Borrowed<'_>) {
        let _ = (host, data);
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// A registered MMC host (`struct mmc_host`).
///
/// References to it are handed to [`HostOps`] callbacks and by [`Registration::host`]; it is
/// never owned directly.
///
/// # Invariants
///
/// `self.0` is a `struct mmc_host` that has been added with `mmc_add_host()` and not yet
/// removed, or one whose [`HostOps`] callback is running.
#[repr(transparent)]
pub struct Host(Opaque<bindings::mmc_host>);

impl Host {
    /// The host at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must satisfy the type invariant for the lifetime `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::mmc_host) -> &'a Self {
        // SAFETY: `Host` is a transparent wrapper of `struct mmc_host`; the caller guarantees
        // validity for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The raw `struct mmc_host`.
    fn as_raw(&self) -> *mut bindings::mmc_host {
        self.0.get()
    }

    /// Tells the core that the card raised an SDIO interrupt. The core runs the function
    /// drivers' handlers from a work item and then calls [`HostOps::ack_sdio_irq`].
    ///
    /// May be called from any context.
    pub fn signal_sdio_irq(&self) {
        // SAFETY: By the type invariant the host is valid and added, so its SDIO interrupt work
        // is initialised; `sdio_signal_irq()` only sets a flag and queues that work.
        unsafe { bindings::sdio_signal_irq(self.as_raw()) }
    }

    /// How many function interrupt handlers are claimed on the host's card (`sdio_irqs`), for
    /// test benches that check handlers are released.
    pub fn claimed_sdio_irqs(&self) -> u32 {
        // SAFETY: By the type invariant the host is valid; the helper only reads the counter.
        unsafe { bindings::bes2600_helper_mmc_host_sdio_irqs(self.as_raw()) }
    }

    /// Tells the core that a card may have been inserted or removed; it rescans the slot after
    /// `delay_ms` milliseconds.
    ///
    /// May be called from any context.
    pub fn detect_change(&self, delay_ms: u32) {
        let delay = kernel::time::msecs_to_jiffies(delay_ms);
        // SAFETY: By the type invariant the host is valid and added; `mmc_detect_change()`
        // queues the host's detect work.
        unsafe { bindings::mmc_detect_change(self.as_raw(), delay) }
    }
}

// SAFETY: A `struct mmc_host` may be used from any thread; the methods of `Host` are the ones the
// C API documents as callable from any context.
unsafe impl Sync for Host {}

// SAFETY: As above; `Host` is only used through references.
unsafe impl Send for Host {}

/// Power state of the slot, from [`Ios::power_mode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PowerMode {
    /// The slot is not powered.
    Off,
    /// Power is ramping up.
    Up,
    /// The slot is powered.
    On,
    /// Not known yet.
    Undefined,
}

/// Bus settings the core asks for (`struct mmc_ios`).
#[repr(transparent)]
pub struct Ios(Opaque<bindings::mmc_ios>);

impl Ios {
    /// The settings.
    fn get(&self) -> &bindings::mmc_ios {
        // SAFETY: `Ios` is only handed out by `set_ios_callback`, where the core passes a valid
        // `struct mmc_ios` that does not change during the call.
        unsafe { &*self.0.get() }
    }

    /// Bus clock in Hz (0: clock stopped).
    pub fn clock(&self) -> u32 {
        self.get().clock
    }

    /// Power state of the slot.
    pub fn power_mode(&self) -> PowerMode {
        match u32::from(self.get().power_mode) {
            bindings::MMC_POWER_OFF => PowerMode::Off,
            bindings::MMC_POWER_UP => PowerMode::Up,
            bindings::MMC_POWER_ON => PowerMode::On,
            _ => PowerMode::Undefined,
        }
    }

    /// Data bus width in bits (1, 4 or 8).
    pub fn bus_width(&self) -> u32 {
        match u32::from(self.get().bus_width) {
            bindings::MMC_BUS_WIDTH_4 => 4,
            bindings::MMC_BUS_WIDTH_8 => 8,
            _ => 1,
        }
    }

    /// Timing mode (`MMC_TIMING_*`).
    pub fn timing(&self) -> u8 {
        self.get().timing
    }
}

/// Response flag: the command expects a response (`MMC_RSP_PRESENT`).
const RSP_PRESENT: u32 = bindings::MMC_RSP_PRESENT;
/// Response flag: the response is 136 bits long (`MMC_RSP_136`).
const RSP_136: u32 = bindings::MMC_RSP_136;
/// Response flag: the card may signal busy after the response (`MMC_RSP_BUSY`).
const RSP_BUSY: u32 = bindings::MMC_RSP_BUSY;

/// A command of a request (`struct mmc_command`).
#[repr(transparent)]
pub struct Command(Opaque<bindings::mmc_command>);

impl Command {
    /// The raw `struct mmc_command`.
    fn raw(&self) -> *mut bindings::mmc_command {
        self.0.get()
    }

    /// The command index (CMD0..CMD63).
    pub fn opcode(&self) -> u32 {
        // SAFETY: A `Command` is only reachable through a live `Request`, whose commands are
        // valid and owned by the host until the request is completed.
        unsafe { (*self.raw()).opcode }
    }

    /// The 32-bit argument.
    pub fn arg(&self) -> u32 {
        // SAFETY: As in `opcode`.
        unsafe { (*self.raw()).arg }
    }

    /// The `MMC_RSP_*` / `MMC_CMD_*` flags.
    pub fn flags(&self) -> u32 {
        // SAFETY: As in `opcode`.
        unsafe { (*self.raw()).flags }
    }

    /// Whether the core expects a response.
    pub fn expects_response(&self) -> bool {
        self.flags() & RSP_PRESENT != 0
    }

    /// Whether the core expects a 136-bit (R2) response.
    pub fn expects_long_response(&self) -> bool {
        self.flags() & RSP_136 != 0
    }

    /// Whether the card may signal busy after the response (R1b).
    pub fn expects_busy(&self) -> bool {
        self.flags() & RSP_BUSY != 0
    }

    /// Sets the response words (`resp[0]` holds a 48-bit response's 32 payload bits).
    pub fn set_response(&mut self, resp: [u32; 4]) {
        // SAFETY: As in `opcode`; the host owns the request, so nothing else accesses it.
        unsafe { (*self.raw()).resp = resp };
    }

    /// Fails the command with `err` (e.g. `ETIMEDOUT`: the card did not answer).
    pub fn set_error(&mut self, err: Error) {
        // SAFETY: As in `set_response`.
        unsafe { (*self.raw()).error = err.to_errno() };
    }

    /// The error set so far (0: none).
    pub fn error(&self) -> c_int {
        // SAFETY: As in `opcode`.
        unsafe { (*self.raw()).error }
    }
}

/// Direction of a data transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Host to card.
    Write,
    /// Card to host.
    Read,
}

/// The data phase of a request (`struct mmc_data`) and its scatterlist.
#[repr(transparent)]
pub struct Data(Opaque<bindings::mmc_data>);

impl Data {
    /// The raw `struct mmc_data`.
    fn raw(&self) -> *mut bindings::mmc_data {
        self.0.get()
    }

    /// Block size in bytes.
    pub fn block_size(&self) -> u32 {
        // SAFETY: A `Data` is only reachable through a live `Request`, whose data is valid and
        // owned by the host until the request is completed.
        unsafe { (*self.raw()).blksz }
    }

    /// Number of blocks (at least 1).
    pub fn blocks(&self) -> u32 {
        // SAFETY: As in `block_size`.
        unsafe { (*self.raw()).blocks }
    }

    /// Total length in bytes, `None` if it does not fit a `usize`.
    pub fn len(&self) -> Option<usize> {
        let len = self.block_size().checked_mul(self.blocks())?;
        usize::try_from(len).ok()
    }

    /// Whether the transfer has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// The direction of the transfer.
    pub fn direction(&self) -> Direction {
        // SAFETY: As in `block_size`.
        let flags = unsafe { (*self.raw()).flags };
        if flags & bindings::BES2600_MMC_DATA_WRITE != 0 {
            Direction::Write
        } else {
            Direction::Read
        }
    }

    /// Copies the start of the scatterlist into `buf`; returns the bytes copied (for a write,
    /// this is the data the core sends to the card).
    pub fn copy_to_buffer(&self, buf: &mut [u8]) -> usize {
        // SAFETY: As in `block_size`; `sg` and `sg_len` describe the request's scatterlist, and
        // `buf` is valid for `buf.len()` bytes of writes. The copy maps each page atomically,
        // so it is valid in any context.
        unsafe {
            bindings::sg_copy_to_buffer(
                (*self.raw()).sg,
                (*self.raw()).sg_len,
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        }
    }

    /// Copies `buf` into the start of the scatterlist; returns the bytes copied (for a read,
    /// this is the data the card returns).
    pub fn copy_from_buffer(&mut self, buf: &[u8]) -> usize {
        // SAFETY: As in `copy_to_buffer`; `buf` is valid for `buf.len()` bytes of reads, and
        // `sg_copy_from_buffer()` does not write through its buffer argument.
        unsafe {
            bindings::sg_copy_from_buffer(
                (*self.raw()).sg,
                (*self.raw()).sg_len,
                buf.as_ptr().cast::<c_void>(),
                buf.len(),
            )
        }
    }

    /// Records how many bytes were transferred.
    pub fn set_bytes_transferred(&mut self, bytes: u32) {
        // SAFETY: As in `block_size`; the host owns the request.
        unsafe { (*self.raw()).bytes_xfered = bytes };
    }

    /// Fails the data phase with `err` (e.g. `EIO`, `EILSEQ` for a CRC error).
    pub fn set_error(&mut self, err: Error) {
        // SAFETY: As in `set_bytes_transferred`.
        unsafe { (*self.raw()).error = err.to_errno() };
    }
}

/// A request from the MMC core (`struct mmc_request`): a command, optionally with a data phase,
/// a preceding `SET_BLOCK_COUNT` and a following stop command.
///
/// The host owns it until [`Request::complete`]; dropping it without completing fails it with
/// `-ENOMEDIUM`.
///
/// # Invariants
///
/// `mrq` is a request the core passed to `ops->request` of `host` and that has not been
/// completed; `mrq->cmd` is valid.
pub struct Request {
    host: NonNull<bindings::mmc_host>,
    mrq: NonNull<bindings::mmc_request>,
}

// SAFETY: The host owns the request until it completes it, and `mmc_request_done()` may be called
// from any context and any thread.
unsafe impl Send for Request {}

impl Request {
    /// The raw `struct mmc_request`.
    fn raw(&self) -> *mut bindings::mmc_request {
        self.mrq.as_ptr()
    }

    /// The command `cmd` of this request (`cmd`, `sbc` or `stop`), if set.
    fn command_at(&self, cmd: *mut bindings::mmc_command) -> Option<&Command> {
        // SAFETY: A non-null command pointer of a live request is a valid command owned by the
        // host; `Command` is a transparent wrapper of `struct mmc_command`.
        (!cmd.is_null()).then(|| unsafe { &*cmd.cast::<Command>() })
    }

    /// As [`command_at`](Self::command_at), for setting its response or error.
    fn command_at_mut(&mut self, cmd: *mut bindings::mmc_command) -> Option<&mut Command> {
        // SAFETY: As in `command_at`; `&mut self` makes the access exclusive.
        (!cmd.is_null()).then(|| unsafe { &mut *cmd.cast::<Command>() })
    }

    /// The command.
    pub fn cmd(&self) -> &Command {
        // SAFETY: By the type invariant `mrq` is valid.
        let cmd = unsafe { (*self.raw()).cmd };
        // SAFETY: By the type invariant `mrq->cmd` is valid and not null.
        unsafe { &*cmd.cast::<Command>() }
    }

    /// The command, for setting its response or error.
    pub fn cmd_mut(&mut self) -> &mut Command {
        // SAFETY: By the type invariant `mrq` is valid.
        let cmd = unsafe { (*self.raw()).cmd };
        // SAFETY: By the type invariant `mrq->cmd` is valid and not null; `&mut self` makes the
        // access exclusive.
        unsafe { &mut *cmd.cast::<Command>() }
    }

    /// The `SET_BLOCK_COUNT` command sent before the command, if any.
    pub fn sbc(&self) -> Option<&Command> {
        // SAFETY: By the type invariant `mrq` is valid.
        self.command_at(unsafe { (*self.raw()).sbc })
    }

    /// The `SET_BLOCK_COUNT` command, for setting its response or error.
    pub fn sbc_mut(&mut self) -> Option<&mut Command> {
        // SAFETY: By the type invariant `mrq` is valid.
        let cmd = unsafe { (*self.raw()).sbc };
        self.command_at_mut(cmd)
    }

    /// The stop command sent after the data phase, if any.
    pub fn stop(&self) -> Option<&Command> {
        // SAFETY: By the type invariant `mrq` is valid.
        self.command_at(unsafe { (*self.raw()).stop })
    }

    /// The stop command, for setting its response or error.
    pub fn stop_mut(&mut self) -> Option<&mut Command> {
        // SAFETY: By the type invariant `mrq` is valid.
        let cmd = unsafe { (*self.raw()).stop };
        self.command_at_mut(cmd)
    }

    /// The data phase, if any.
    pub fn data(&self) -> Option<&Data> {
        // SAFETY: By the type invariant `mrq` is valid.
        let data = unsafe { (*self.raw()).data };
        // SAFETY: A non-null data pointer of a live request is valid and owned by the host.
        (!data.is_null()).then(|| unsafe { &*data.cast::<Data>() })
    }

    /// The data phase, for copying to the scatterlist and setting its result.
    pub fn data_mut(&mut self) -> Option<&mut Data> {
        // SAFETY: By the type invariant `mrq` is valid.
        let data = unsafe { (*self.raw()).data };
        // SAFETY: As in `data`; `&mut self` makes the access exclusive.
        (!data.is_null()).then(|| unsafe { &mut *data.cast::<Data>() })
    }

    /// Hands the request back to the core (`mmc_request_done()`). May be called from any
    /// context, including hard interrupt context.
    pub fn complete(self) {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: By the type invariant the request was started on `host` and not completed;
        // consuming `self` (without running `Drop`) makes this the only completion. The core may
        // free the request once this returns, and nothing touches it afterwards.
        unsafe { bindings::mmc_request_done(this.host.as_ptr(), this.raw()) }
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        self.cmd_mut().set_error(ENOMEDIUM);
        // SAFETY: As in `complete`: `drop` runs at most once and only for a request that was not
        // completed with `complete`.
        unsafe { bindings::mmc_request_done(self.host.as_ptr(), self.raw()) }
    }
}

/// A registered MMC host: allocated with `mmc_alloc_host()`, configured, and added with
/// `mmc_add_host()`. Dropping it removes the host (and with it any card and its functions) and
/// frees it.
///
/// It only exists inside a [`Devres`] of the parent device it was registered for
/// ([`Registration::new`]), so it is dropped at the latest when that device is unbound, and it is
/// only reachable with proof that the parent is still bound ([`Devres::access`]).
///
/// Removal issues requests (the function drivers' remove callbacks run) and waits for the host
/// to be idle: a host that holds back a [`Request`] (for example in a timer) must keep
/// completing requests until the drop returns.
///
/// # Invariants
///
/// `host` was added with `mmc_add_host()`, its `ops` are `T`'s vtable, and its private area
/// holds the `T::Data` from `into_foreign()`, reclaimed only in `drop`.
pub struct Registration<T: HostOps> {
    host: NonNull<bindings::mmc_host>,
    _ops: PhantomData<T>,
}

// SAFETY: The host may be removed from any thread; `T::Data` is `Send`.
unsafe impl<T: HostOps> Send for Registration<T> {}

// SAFETY: `&Registration` only gives out `&Host` and borrowed data, both usable from any thread
// (`T::Data` is `Sync`).
unsafe impl<T: HostOps> Sync for Registration<T> {}

impl<T: HostOps> Registration<T> {
    /// Allocates a host below `parent`, configures it with `config` and `T`'s operations, and
    /// adds it: the core starts scanning the slot (asynchronously) before this returns.
    ///
    /// The registration is managed by `parent`: it is removed when the returned [`Devres`] is
    /// dropped or when `parent` is unbound, whichever comes first, and reaching it takes a
    /// `&Device<Bound>` of `parent` ([`Devres::access`]). Nothing else can construct a
    /// `Registration`, so none outlives the binding it was registered under.
    pub fn new(
        parent: &device::Device<device::Bound>,
        config: &Config,
        data: T::Data,
    ) -> Result<Devres<Self>> {
        let registration = Self::add(parent, config, data)?;
        Devres::new(parent, registration)
    }

    /// Allocates, configures and adds the host; see [`new`](Self::new).
    fn add(parent: &device::Device<device::Bound>, config: &Config, data: T::Data) -> Result<Self> {
        let parent = core::ptr::from_ref(parent)
            .cast_mut()
            .cast::<bindings::device>();
        let extra = c_int::try_from(core::mem::size_of::<*mut c_void>()).map_err(|_| EINVAL)?;
        // SAFETY: `parent` is a valid, bound device (a `device::Device` is a transparent wrapper
        // of `struct device`); the host takes a reference to it.
        let host = unsafe { bindings::mmc_alloc_host(extra, parent) };
        let host = NonNull::new(host).ok_or(ENOMEM)?;

        let raw_config = bindings::bes2600_mmc_host_config {
            f_min: config.f_min,
            f_max: config.f_max,
            ocr_avail: config.ocr_avail,
            caps: config.caps,
            caps2: config.caps2,
            max_segs: config.max_segs,
            max_seg_size: config.max_seg_size,
            max_blk_size: config.max_blk_size,
            max_blk_count: config.max_blk_count,
            max_req_size: config.max_req_size,
        };
        // SAFETY: `host` was just allocated with room for one pointer in its private area; the
        // ops table is a static.
        unsafe {
            bindings::bes2600_helper_mmc_priv(host.as_ptr())
                .cast::<*mut c_void>()
                .write(data.into_foreign());
            bindings::bes2600_helper_mmc_host_configure(host.as_ptr(), &Self::VTABLE, &raw_config);
        }

        // SAFETY: The host is allocated and configured; its callbacks find their data in the
        // private area written above.
        let added = to_result(unsafe { bindings::mmc_add_host(host.as_ptr()) });
        if let Err(err) = added {
            // SAFETY: The host was not added, so no callback runs; free it, then reclaim the data
            // written above with `into_foreign()`.
            unsafe {
                let data = Self::data_ptr(host.as_ptr());
                bindings::mmc_free_host(host.as_ptr());
                drop(T::Data::from_foreign(data));
            }
            return Err(err);
        }

        // INVARIANT: The host is added, with `T`'s ops and data.
        Ok(Self {
            host,
            _ops: PhantomData,
        })
    }

    /// The registered host.
    pub fn host(&self) -> &Host {
        // SAFETY: By the type invariant the host is added until `self` is dropped, which cannot
        // happen while the returned reference lives.
        unsafe { Host::from_raw(self.host.as_ptr()) }
    }

    /// The driver's data.
    pub fn data(&self) -> <T::Data as ForeignOwnable>::Borrowed<'_> {
        // SAFETY: By the type invariant the private area holds the data until `drop`.
        unsafe { T::Data::borrow(Self::data_ptr(self.host.as_ptr())) }
    }

    /// The `T::Data` pointer in the private area of `host`.
    ///
    /// # Safety
    ///
    /// `host` must be a host configured by [`add`](Self::add).
    unsafe fn data_ptr(host: *mut bindings::mmc_host) -> *mut c_void {
        // SAFETY: By the caller's guarantee the private area holds one pointer.
        unsafe {
            bindings::bes2600_helper_mmc_priv(host)
                .cast::<*mut c_void>()
                .read()
        }
    }

    /// The arguments of an op callback: the host and the driver's data.
    ///
    /// # Safety
    ///
    /// `host` must be a host configured by [`add`](Self::add) whose `Registration` is not dropped
    /// yet. The core calls the ops only between `mmc_add_host()` and the return of
    /// `mmc_free_host()` (see the `Drop` implementation), both inside the registration's
    /// lifetime.
    unsafe fn callback_args<'a>(
        host: *mut bindings::mmc_host,
    ) -> (&'a Host, <T::Data as ForeignOwnable>::Borrowed<'a>) {
        // SAFETY: By the caller's guarantee the host is valid and holds `T::Data` for `'a`.
        unsafe { (Host::from_raw(host), T::Data::borrow(Self::data_ptr(host))) }
    }

    /// # Safety
    ///
    /// `host` and `mrq` must be passed by the MMC core to `ops->request` of a host configured by
    /// [`add`](Self::add) whose `Registration` is not dropped yet.
    unsafe extern "C" fn request_callback(
        host: *mut bindings::mmc_host,
        mrq: *mut bindings::mmc_request,
    ) {
        // SAFETY: By the safety requirements the host is registered with `T`'s data.
        let (h, data) = unsafe { Self::callback_args(host) };
        let (Some(host), Some(mrq)) = (NonNull::new(host), NonNull::new(mrq)) else {
            return;
        };
        // INVARIANT: The core passes a request it wants `host` to start, with `cmd` set.
        T::request(h, data, Request { host, mrq });
    }

    /// # Safety
    ///
    /// `host` and `ios` must be passed by the MMC core to `ops->set_ios` of a host configured by
    /// [`add`](Self::add) whose `Registration` is not dropped yet.
    unsafe extern "C" fn set_ios_callback(
        host: *mut bindings::mmc_host,
        ios: *mut bindings::mmc_ios,
    ) {
        // SAFETY: By the safety requirements the host is registered with `T`'s data.
        let (h, data) = unsafe { Self::callback_args(host) };
        // SAFETY: `ios` is valid for the duration of the call; `Ios` is a transparent wrapper.
        let ios = unsafe { &*ios.cast::<Ios>() };
        T::set_ios(h, data, ios);
    }

    /// # Safety
    ///
    /// `host` must be passed by the MMC core to `ops->get_cd` of a host configured by
    /// [`add`](Self::add) whose `Registration` is not dropped yet.
    unsafe extern "C" fn get_cd_callback(host: *mut bindings::mmc_host) -> c_int {
        from_result(|| {
            // SAFETY: By the safety requirements the host is registered with `T`'s data.
            let (h, data) = unsafe { Self::callback_args(host) };
            let present = T::get_cd(h, data).ok_or(ENOSYS)?;
            Ok(c_int::from(present))
        })
    }

    /// # Safety
    ///
    /// `host` must be passed by the MMC core to `ops->get_ro` of a host configured by
    /// [`add`](Self::add) whose `Registration` is not dropped yet.
    unsafe extern "C" fn get_ro_callback(host: *mut bindings::mmc_host) -> c_int {
        from_result(|| {
            // SAFETY: By the safety requirements the host is registered with `T`'s data.
            let (h, data) = unsafe { Self::callback_args(host) };
            let read_only = T::get_ro(h, data).ok_or(ENOSYS)?;
            Ok(c_int::from(read_only))
        })
    }

    /// # Safety
    ///
    /// `host` must be passed by the MMC core to `ops->enable_sdio_irq` of a host configured by
    /// [`add`](Self::add) whose `Registration` is not dropped yet.
    unsafe extern "C" fn enable_sdio_irq_callback(host: *mut bindings::mmc_host, enable: c_int) {
        // SAFETY: By the safety requirements the host is registered with `T`'s data.
        let (h, data) = unsafe { Self::callback_args(host) };
        T::enable_sdio_irq(h, data, enable != 0);
    }

    /// # Safety
    ///
    /// `host` must be passed by the MMC core to `ops->ack_sdio_irq` of a host configured by
    /// [`add`](Self::add) whose `Registration` is not dropped yet.
    unsafe extern "C" fn ack_sdio_irq_callback(host: *mut bindings::mmc_host) {
        // SAFETY: By the safety requirements the host is registered with `T`'s data.
        let (h, data) = unsafe { Self::callback_args(host) };
        T::ack_sdio_irq(h, data);
    }

    const VTABLE: bindings::mmc_host_ops = bindings::mmc_host_ops {
        request: Some(Self::request_callback),
        set_ios: Some(Self::set_ios_callback),
        get_cd: if T::HAS_GET_CD {
            Some(Self::get_cd_callback)
        } else {
            None
        },
        get_ro: if T::HAS_GET_RO {
            Some(Self::get_ro_callback)
        } else {
            None
        },
        enable_sdio_irq: if T::HAS_ENABLE_SDIO_IRQ {
            Some(Self::enable_sdio_irq_callback)
        } else {
            None
        },
        ack_sdio_irq: if T::HAS_ACK_SDIO_IRQ {
            Some(Self::ack_sdio_irq_callback)
        } else {
            None
        },
        // SAFETY: All other members are optional callbacks, for which all-zeroes is `None`.
        ..unsafe { core::mem::zeroed() }
    };
}

impl<T: HostOps> Drop for Registration<T> {
    fn drop(&mut self) {
        let host = self.host.as_ptr();
        // SAFETY: By the type invariant the host was added and holds `T::Data`, which the ops
        // may use until none of them can run any more:
        // - `mmc_remove_host()` cancels the detect work and waits for it (`__mmc_stop_host()`),
        //   removes the card (unbinding the function drivers, which release their interrupts;
        //   a `CardFunction`'s interrupt is released by its watch when the function is deleted;
        //   `mmc_remove_card()` cancels the undervoltage work), powers the slot off through
        //   `set_ios`, and returns with no request in flight (the core waits for each request it
        //   starts; a `Request` the host still holds is completed on drop).
        // - `mmc_free_host()` cancels the detect work and the SDIO interrupt work and waits for
        //   both (`cancel_delayed_work_sync()`, `cancel_work_sync()`): these are the core's only
        //   deferred callers of the ops (the retune timer only sets a flag). `Host` references,
        //   through which the host driver queues them, borrow this registration or a callback.
        // So after `mmc_free_host()` no op runs or is queued, and the data is reclaimed then. The
        // `struct mmc_host` itself is freed when its last reference goes, which may be later.
        unsafe {
            let data = Self::data_ptr(host);
            bindings::mmc_remove_host(host);
            bindings::mmc_free_host(host);
            drop(T::Data::from_foreign(data));
        }
    }
}

/// A function of the card on a registered host, for test benches: a host driver that emulates
/// its card can exercise the real SDIO core's I/O paths (`sdio_readb()`, `sdio_memcpy_*()`,
/// `sdio_claim_irq()`) against itself, without a function driver bound.
///
/// Obtained from [`Registration::card_function`]. It holds a reference to the function, which
/// keeps the `struct sdio_func` and its `struct mmc_card` allocated but neither registered, nor
/// the host allocated; and a watch on the function's managed resources: when the MMC core deletes
/// the function (card removal, host removal), the watch releases an interrupt handler claimed
/// through this value and from then on [`claim_host`](Self::claim_host) fails with `ENODEV`; a
/// claim made before delays the deletion until it is released. While it exists, no driver can
/// bind to the function (the driver core refuses to probe a device with managed resources). An
/// interrupt handler it claimed is released when it is dropped.
///
/// # Invariants
///
/// `watched` watches a function that was registered on the card of `'a`'s host when the watch
/// was registered.
pub struct CardFunction<'a> {
    watched: Watched,
    _host: PhantomData<&'a Host>,
}

impl<T: HostOps> Registration<T> {
    /// Function `num` (1..7) of the card in the slot, once the core has enumerated the card
    /// and registered the function; `None` before that and after the card was removed.
    pub fn card_function(&self, num: u32) -> Option<CardFunction<'_>> {
        // SAFETY: By the type invariant the host is added.
        let func = unsafe { bindings::bes2600_helper_mmc_host_get_func(self.host.as_ptr(), num) };
        // SAFETY: The helper returns NULL or a registered function with a reference taken,
        // which the `ARef` owns from now on; `Function` is a transparent wrapper of
        // `struct sdio_func`.
        let func = unsafe { ARef::from_raw(NonNull::new(func)?.cast::<Function>()) };
        let watched = Watched::new(&func).ok()?;
        // The MMC core may have deleted the function meanwhile, releasing its managed
        // resources before the watch was registered: then no release would revoke it.
        // `device_del()` unlinks the function from its card before it releases them, so a
        // function still linked now will release them after this, watch included. If it is not,
        // dropping `watched` takes the watch back.
        // SAFETY: The function is valid (`watched` holds a reference).
        let linked = unsafe { bindings::bes2600_helper_sdio_func_linked(func.as_raw()) };
        // INVARIANT: The function was still linked to this host's card after the watch was
        // registered.
        linked.then_some(CardFunction {
            watched,
            _host: PhantomData,
        })
    }
}

impl CardFunction<'_> {
    /// The vendor id from the function's CIS.
    pub fn vendor(&self) -> u16 {
        self.watched.function().vendor()
    }

    /// The device id from the function's CIS.
    pub fn device_id(&self) -> u16 {
        self.watched.function().device_id()
    }

    /// Claims the host for I/O on the function; it is released when the guard drops. May sleep.
    ///
    /// Fails with `ENODEV` once the function was deleted (its card or host removed).
    pub fn claim_host(&self) -> Result<CardHostGuard<'_>> {
        Ok(CardHostGuard(self.watched.claim()?))
    }
}

/// An interrupt handler for [`CardHostGuard::claim_irq`].
pub trait CardIrqHandler {
    /// Called by the SDIO core, with the host claimed, when the card's function interrupt is
    /// pending.
    fn handle(host: &CardHost<'_>);
}

/// The bus operations of a [`CardFunction`] whose host the SDIO core claimed for its interrupt
/// handler: those of the [`FunctionIo`] it dereferences to.
pub struct CardHost<'a>(FunctionIo<'a>);

impl<'a> core::ops::Deref for CardHost<'a> {
    type Target = FunctionIo<'a>;

    fn deref(&self) -> &FunctionIo<'a> {
        &self.0
    }
}

/// A claimed host of a [`CardFunction`], released on drop: the bus operations of the
/// [`FunctionIo`] it dereferences to, and the test bench's interrupt handler.
pub struct CardHostGuard<'a>(WatchedClaim<'a>);

impl<'a> core::ops::Deref for CardHostGuard<'a> {
    type Target = FunctionIo<'a>;

    fn deref(&self) -> &FunctionIo<'a> {
        &self.0
    }
}

impl CardHostGuard<'_> {
    /// Installs `H` as the function's interrupt handler and enables the interrupt. It stays
    /// installed until [`release_irq`](Self::release_irq), the [`CardFunction`] drops or the
    /// function is deleted.
    pub fn claim_irq<H: CardIrqHandler>(&self) -> Result {
        let handler: IrqHandler = card_irq_trampoline::<H>;
        // SAFETY: The function is valid and its host claimed (invariant of `FunctionIo`). The
        // handler is code, valid as long as this module; the watch releases it when the
        // function is deleted or the `CardFunction` drops, which happens before the module goes
        // (the `CardFunction` borrows a registration of this module).
        to_result(unsafe { bindings::sdio_claim_irq(self.0.raw(), Some(handler)) })?;
        self.0.watch().set_irq_claimed(true);
        Ok(())
    }

    /// Disables the function's interrupt and removes the handler installed by
    /// [`claim_irq`](Self::claim_irq).
    pub fn release_irq(&self) -> Result {
        // `sdio_release_irq()` removes the handler before it writes the card, so it is gone even
        // if the write fails.
        let released = self.0.release_irq();
        self.0.watch().set_irq_claimed(false);
        released
    }
}

/// # Safety
///
/// `func` must be passed by the SDIO core to the handler that [`CardHostGuard::claim_irq`]
/// installed, with the host claimed by the calling thread.
unsafe extern "C" fn card_irq_trampoline<H: CardIrqHandler>(func: *mut bindings::sdio_func) {
    if func.is_null() {
        return;
    }
    // SAFETY: The SDIO core calls the handler of a valid function with its host claimed by the
    // calling thread, for the duration of the call.
    let host = CardHost(unsafe { FunctionIo::new(func) });
    H::handle(&host);
}
