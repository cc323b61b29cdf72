// SPDX-License-Identifier: GPL-2.0

//! SDIO function drivers.
//!
//! C headers: [`include/linux/mmc/sdio_func.h`](srctree/include/linux/mmc/sdio_func.h).
//!
//! A driver implements [`Driver`] and registers with [`module_sdio_driver!`](crate::module_sdio_driver).
//! The SDIO core then calls [`Driver::probe`] for every function whose vendor and device ids are
//! in the driver's [`IdTable`]. Bus I/O needs the host claimed: [`Function::claim_host`] returns a
//! [`HostGuard`], and every transfer is a method of the [`Host`] it dereferences to, so "forgot to
//! claim the host" cannot compile.
//!
//! The function's interrupt belongs to the abstraction, not to the driver: a driver that
//! implements [`Driver::interrupt`] gets it claimed right after its probe returned and its data
//! was stored, and released before [`Driver::unbind`]. The handler and the data it is given come
//! from the same `T: Driver` by construction, and the handler never runs without that data.
//!
//! Threads that outlive a callback hold a [`FunctionRef`]: it claims the host only while the
//! function is still bound, and fails with `ENODEV` once it has been unbound.
//!
//! # Interrupts
//!
//! [`Driver::interrupt`] runs in process context (the SDIO core's interrupt work item or its
//! `ksdioirqd` thread) with the host claimed for it: it may do register I/O through the [`Host`]
//! it gets, and must neither claim the host nor wait for anything that needs it. The core
//! re-arms the host's SDIO interrupt as soon as the handler returns (`sdio_run_irqs()` →
//! `ack_sdio_irq`, or `sdio_irq_thread()` → `enable_sdio_irq`), and the SDIO interrupt is a
//! level: a handler that returns with its function's interrupt still asserted is called again
//! at once. A function driver cannot mask it (CCCR IENx belongs to the core), so the handler must
//! clear the interrupt at its source before returning; the BES2600's handler reads register
//! 0x001, hands the byte to the bottom half and wakes it (`docs/interrupt-contract.md`). With one
//! function claiming an interrupt, the core calls the handler without reading CCCR INTx, so it
//! must also tolerate being called with nothing pending.

use core::{
    marker::PhantomData,
    mem::offset_of,
    ops::{
        Deref,
        DerefMut, //
    },
    ptr::{
        addr_of_mut,
        NonNull, //
    },
};

use kernel::{
    device,
    device_id::{
        RawDeviceId,
        RawDeviceIdIndex, //
    },
    driver,
    error::{
        from_result,
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    ffi::{
        c_int,
        c_void, //
    },
    prelude::*,
    sync::{
        aref::{
            ARef,
            AlwaysRefCounted, //
        },
        new_condvar,
        new_mutex,
        Arc,
        CondVar,
        Mutex, //
    },
    types::Opaque,
};

use super::bindings;

/// The class byte of an id that matches any interface class (`(u8)SDIO_ANY_ID` in C).
const ANY_CLASS: u8 = 0xff;

/// An SDIO device id: the vendor and device of a function, any class.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct DeviceId(bindings::sdio_device_id);

impl DeviceId {
    /// An id matching functions with this vendor and device id, whatever their class.
    pub const fn new(vendor: u16, device: u16) -> Self {
        Self(bindings::sdio_device_id {
            class: ANY_CLASS,
            vendor,
            device,
            driver_data: 0,
        })
    }

    /// The vendor id this entry matches.
    pub const fn vendor(&self) -> u16 {
        self.0.vendor
    }

    /// The device id this entry matches.
    pub const fn device(&self) -> u16 {
        self.0.device
    }
}

// SAFETY: `DeviceId` is a `#[repr(transparent)]` wrapper of `struct sdio_device_id` and adds no
// invariant of its own, so it may be reinterpreted as its `RawType`.
unsafe impl RawDeviceId for DeviceId {
    type RawType = bindings::sdio_device_id;
}

// SAFETY: `DRIVER_DATA_OFFSET` is the offset of `driver_data`, a `kernel_ulong_t`, which is as wide
// as a pointer on every architecture Linux supports.
unsafe impl RawDeviceIdIndex for DeviceId {
    const DRIVER_DATA_OFFSET: usize = offset_of!(bindings::sdio_device_id, driver_data);
}

/// The id table of an SDIO driver, built with [`sdio_device_table!`](crate::sdio_device_table).
pub type IdTable<T> = &'static dyn kernel::device_id::IdTable<DeviceId, T>;

/// Declares an SDIO id table and exports it to modpost, which turns it into `sdio:` module
/// aliases so that udev loads the module when a matching card appears.
#[macro_export]
macro_rules! sdio_device_table {
    ($($tt:tt)*) => {
        ::kernel::module_device_table!("sdio", $crate::kernel_ext::sdio::DeviceId, $($tt)*);
    };
}

/// Declares a kernel module whose only job is to register one SDIO driver.
///
/// Takes the keys of `kernel::module!` with `type:` naming the [`Driver`].
#[macro_export]
macro_rules! module_sdio_driver {
    ($($f:tt)*) => {
        ::kernel::module_driver!(<T>, $crate::kernel_ext::sdio::Adapter<T>, { $($f)* });
    };
}

/// An SDIO function driver.
///
/// Implementations are `#[vtable]`: [`interrupt`](Driver::interrupt) is optional, and only a
/// driver that implements it gets the function's interrupt.
#[vtable]
pub trait Driver {
    /// Per-id information, from the [`IdTable`] entry that matched.
    type IdInfo: 'static;

    /// The driver's private data of a bound function.
    type Data<'bound>: Send + Sync + 'bound;

    /// The functions this driver binds to.
    const ID_TABLE: IdTable<Self::IdInfo>;

    /// Binds the driver to `func`.
    ///
    /// The function's interrupt is not claimed yet: [`interrupt`](Driver::interrupt) can only run
    /// once the data returned here is stored.
    fn probe<'bound>(
        func: &'bound Function<device::Core<'_>>,
        id_info: &'bound Self::IdInfo,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound;

    /// Called before the function is unbound, with the host not claimed. The private data is
    /// dropped afterwards. The function's interrupt, if claimed, has already been released.
    fn unbind<'bound>(func: &'bound Function<device::Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        let _ = (func, this);
    }

    /// Called at system shutdown or reboot, so the driver can quiesce the chip.
    fn shutdown<'bound>(func: &'bound Function<device::Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        let _ = (func, this);
    }

    /// System sleep (suspend to RAM or idle, and hibernation's freeze and power-off): the
    /// device is about to lose power. Called after the devices below the function (the
    /// mac80211 hardware) were suspended, with the device lock held.
    ///
    /// Implementing [`suspend`](Driver::suspend) and [`resume`](Driver::resume) installs
    /// the function's `dev_pm_ops`; the SDIO core asks for both before it lets a card stay
    /// registered across a system sleep. The abstraction does not ask the host to keep the
    /// card powered, so the card is powered off after this returns and the driver finds it
    /// freshly initialised at [`resume`](Driver::resume). A function interrupt claimed by the
    /// abstraction is released after a successful suspend (the core requires that of a card
    /// that loses power) and claimed again after resume. An error aborts the system sleep.
    fn suspend<'bound>(
        func: &'bound Function<device::Core<'_>>,
        this: Pin<&Self::Data<'bound>>,
    ) -> Result {
        let _ = (func, this);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The system resumed: the card has power again and was initialised again by the MMC
    /// core (every function disabled, block sizes at their defaults). Called before the
    /// devices below the function resume, and, as [`probe`](Driver::probe), before the
    /// abstraction claims the function's interrupt again. See [`suspend`](Driver::suspend).
    fn resume<'bound>(
        func: &'bound Function<device::Core<'_>>,
        this: Pin<&Self::Data<'bound>>,
    ) -> Result {
        let _ = (func, this);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The function's interrupt. Implementing it makes the abstraction claim the interrupt
    /// after [`probe`](Driver::probe) and release it before [`unbind`](Driver::unbind).
    ///
    /// Runs in the SDIO core's interrupt context (a work item or the `ksdioirqd` thread) with the
    /// host claimed (`host` is that claim); it may sleep but should only hand work to a thread.
    fn interrupt(host: &Host<'_>, this: Pin<&Self::Data<'_>>) {
        let _ = (host, this);
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A function interrupt handler as `sdio_claim_irq()` takes it.
pub(crate) type IrqHandler = unsafe extern "C" fn(*mut bindings::sdio_func);

/// The registration glue between a [`Driver`] and the C `struct sdio_driver`.
pub struct Adapter<T: Driver>(PhantomData<T>);

// SAFETY:
// - `struct sdio_driver` is a C struct (`#[repr(C)]` from bindgen).
// - `T::Data` is what `probe_callback` stores as the device's private data.
// - `drv` is the `struct device_driver` embedded in `struct sdio_driver`.
unsafe impl<T: Driver + 'static> driver::DriverLayout for Adapter<T> {
    type DriverType = bindings::sdio_driver;
    type DriverData<'bound> = T::Data<'bound>;
    const DEVICE_DRIVER_OFFSET: usize = offset_of!(bindings::sdio_driver, drv);
}

// SAFETY: `unregister` calls `sdio_unregister_driver()`, which is valid for a driver that
// `__sdio_register_driver()` registered successfully.
unsafe impl<T: Driver + 'static> driver::RegistrationOps for Adapter<T> {
    unsafe fn register(
        sdrv: &Opaque<Self::DriverType>,
        name: &'static CStr,
        module: &'static ThisModule,
    ) -> Result {
        let raw = sdrv.get();
        // SAFETY: `raw` is valid for writes and not registered yet, so nothing else reads it.
        unsafe {
            (*raw).name = name.as_char_ptr().cast_mut();
            (*raw).id_table = T::ID_TABLE.as_ptr();
            (*raw).probe = Some(Self::probe_callback);
            (*raw).remove = Some(Self::remove_callback);
            (*raw).shutdown = Some(Self::shutdown_callback);
        }
        if let Some(pm) = Self::PM_OPS {
            // SAFETY: `raw` is valid and not registered yet; `pm` is a `'static` table.
            unsafe { bindings::bes2600_helper_sdio_driver_set_pm(raw, pm) };
        }
        // SAFETY: `raw` is a fully initialised `struct sdio_driver` that the caller keeps pinned
        // until `unregister`; `module` is this module.
        to_result(unsafe { bindings::__sdio_register_driver(raw, module.as_ptr().cast()) })
    }

    unsafe fn unregister(sdrv: &Opaque<Self::DriverType>) {
        // SAFETY: By the safety requirements of this function, `sdrv` was registered.
        unsafe { bindings::sdio_unregister_driver(sdrv.get()) }
    }
}

impl<T: Driver + 'static> Adapter<T> {
    /// The interrupt handler of `T`, if it has one. A constant, so that a driver without
    /// [`Driver::interrupt`] never references the handler (whose default body does not build).
    const IRQ_HANDLER: Option<IrqHandler> = if T::HAS_INTERRUPT {
        Some(Self::irq_callback)
    } else {
        None
    };

    /// The system-sleep callbacks of `T`, if it has both. A constant, for the same reason as
    /// [`Self::IRQ_HANDLER`]; hibernation's freeze and power-off suspend as a system suspend
    /// does, its thaw and restore resume, as `SET_SYSTEM_SLEEP_PM_OPS()` sets them up.
    const PM_OPS: Option<&'static bindings::dev_pm_ops> = if T::HAS_SUSPEND && T::HAS_RESUME {
        Some(&bindings::dev_pm_ops {
            suspend: Some(Self::suspend_callback),
            resume: Some(Self::resume_callback),
            freeze: Some(Self::suspend_callback),
            thaw: Some(Self::resume_callback),
            poweroff: Some(Self::suspend_callback),
            restore: Some(Self::resume_callback),
            // SAFETY: `struct dev_pm_ops` holds only optional function pointers, for which
            // all-zero bytes are a valid value (`None`).
            ..unsafe { core::mem::zeroed() }
        })
    } else {
        None
    };

    /// Installs `T`'s interrupt handler on `func`, if it has one (after probe and after
    /// resume, once the driver has set the function up).
    ///
    /// The function must have `T`'s private data stored and no handler installed.
    fn claim_interrupt(func: &Function<device::CoreInternal<'_>>) -> Result {
        let Some(handler) = Self::IRQ_HANDLER else {
            return Ok(());
        };
        let host = func.claim_host();
        // SAFETY: The function is valid and its host is claimed. `handler` is `irq_callback`,
        // which reads the private data as `T::Data`: the callers (probe and resume) have it
        // stored, and it stays until after `remove_callback` released the interrupt.
        to_result(unsafe { bindings::sdio_claim_irq(host.raw(), Some(handler)) })
    }

    /// The function whose embedded device is `dev`, and the private data `T` stored for it.
    ///
    /// # Safety
    ///
    /// `dev` must be passed by the PM core to a `dev_pm_ops` callback of [`Self::PM_OPS`]:
    /// the device of an SDIO function bound to `T`, with the device lock held for the call.
    unsafe fn pm_function<'a>(
        dev: *mut bindings::device,
    ) -> (&'a Function<device::CoreInternal<'a>>, Pin<&'a T::Data<'a>>) {
        // SAFETY: The callbacks are only installed in `T`'s `struct sdio_driver`, which only
        // binds SDIO functions, so `dev` is the `dev` field of a valid `struct sdio_func`.
        let func = unsafe { &*kernel::container_of!(dev, bindings::sdio_func, dev) };
        // SAFETY: `Function` is a transparent wrapper of `struct sdio_func`; the device lock is
        // held for the duration of the callback, as for probe and remove.
        let func =
            unsafe { &*core::ptr::from_ref(func).cast::<Function<device::CoreInternal<'_>>>() };
        // SAFETY: The callbacks are reached through the SDIO bus's `pm_generic_*` callbacks,
        // which call the driver's only while the device is bound to it (`dev->driver` is
        // `T`'s), from the PM core's `device_suspend()`/`device_resume()` with the device lock
        // held, which probe also holds: the probe completed and stored a `Pin<KBox<T::Data>>`,
        // which stays until unbind (which needs the same lock).
        let data = unsafe { func.as_ref().drvdata_borrow::<T::Data<'_>>() };
        (func, data)
    }

    /// # Safety
    ///
    /// `dev` must be passed by the PM core to a suspend-type callback of [`Self::PM_OPS`].
    unsafe extern "C" fn suspend_callback(dev: *mut bindings::device) -> c_int {
        // SAFETY: As required of this function.
        let (func, data) = unsafe { Self::pm_function(dev) };
        from_result(|| {
            T::suspend(func, data)?;
            if T::HAS_INTERRUPT {
                // The core warns about a card that loses power with a claimed interrupt; the
                // handler is removed before the CCCR write, so even a failed release leaves
                // none installed.
                func.claim_host().release_irq_if_claimed();
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `dev` must be passed by the PM core to a resume-type callback of [`Self::PM_OPS`].
    unsafe extern "C" fn resume_callback(dev: *mut bindings::device) -> c_int {
        // SAFETY: As required of this function.
        let (func, data) = unsafe { Self::pm_function(dev) };
        from_result(|| {
            // As at probe: the driver sets the re-initialised function up (enables it) before
            // its interrupt can run, whose handler may read the function's registers.
            T::resume(func, data)?;
            // The suspend callback released the previous claim.
            Self::claim_interrupt(func).inspect_err(|e| {
                dev_err!(
                    func.as_ref(),
                    "claiming the interrupt at resume failed: {:?}\n",
                    e
                )
            })?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `func` and `id` must be passed by the SDIO core's `probe` of the `struct sdio_driver` that
    /// [`register`](driver::RegistrationOps::register) filled in for `T`.
    unsafe extern "C" fn probe_callback(
        func: *mut bindings::sdio_func,
        id: *const bindings::sdio_device_id,
    ) -> c_int {
        // SAFETY: The SDIO core calls `probe` with a valid function that stays valid, and is not
        // bound to another driver, for the duration of the call.
        let func = unsafe { &*func.cast::<Function<device::CoreInternal<'_>>>() };
        // SAFETY: `id` is the entry of `T::ID_TABLE` that matched (the core only matches against
        // the table registered in `register`), so it lives in an `IdArray<DeviceId, T::IdInfo>`.
        let info = unsafe { (*id.cast::<DeviceId>()).info_unchecked::<T::IdInfo>() };

        from_result(|| {
            func.as_ref().set_drvdata(T::probe(func, info))?;
            // If the claim fails, the probe fails and the driver core drops the data
            // (`post_unbind_rust`) with no handler installed.
            Self::claim_interrupt(func)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `func` must be passed by the SDIO core's `remove` of `T`'s `struct sdio_driver`, after a
    /// successful [`probe_callback`](Self::probe_callback).
    unsafe extern "C" fn remove_callback(func: *mut bindings::sdio_func) {
        // SAFETY: The SDIO core calls `remove` with a valid function that is bound to us.
        let func = unsafe { &*func.cast::<Function<device::CoreInternal<'_>>>() };

        if T::HAS_INTERRUPT {
            // The handler borrows the private data; stop it before that data goes away. The
            // core calls handlers with the host claimed, so none runs once this returns.
            func.claim_host().release_irq_if_claimed();
        }

        // SAFETY: `remove` is only called after a successful `probe`, which stored a
        // `Pin<KBox<T::Data>>` as private data; it is dropped only after this returns.
        let data = unsafe { func.as_ref().drvdata_borrow::<T::Data<'_>>() };
        T::unbind(func, data);
    }

    /// # Safety
    ///
    /// `func` must be passed by the SDIO core's `shutdown` of `T`'s `struct sdio_driver`.
    unsafe extern "C" fn shutdown_callback(func: *mut bindings::sdio_func) {
        // SAFETY: The SDIO core calls `shutdown` with a valid function.
        let func = unsafe { &*func.cast::<Function<device::CoreInternal<'_>>>() };
        // SAFETY: `sdio_bus_shutdown()` calls the `shutdown` of the driver the function is bound
        // to, so that is `T`; `device_shutdown()` holds the device lock, which probe also holds,
        // so the probe completed and stored a `Pin<KBox<T::Data>>`, which stays until unbind
        // (which needs the same lock).
        let data = unsafe { func.as_ref().drvdata_borrow::<T::Data<'_>>() };
        T::shutdown(func, data);
    }

    /// # Safety
    ///
    /// `func` must be passed by the SDIO core to the handler that `probe_callback` installed with
    /// `sdio_claim_irq()`, with the host claimed by the calling thread.
    unsafe extern "C" fn irq_callback(func: *mut bindings::sdio_func) {
        // SAFETY: The SDIO core calls the handler with a valid function. The handler was installed
        // by `probe_callback` of `T` after the private data was stored, and `remove_callback`
        // releases it (with the host claimed, so not while this runs) before the data is dropped:
        // the function is bound to `T` for the duration of the call.
        let func = unsafe { &*func.cast::<Function<device::BoundInternal>>() };
        // SAFETY: As above, the private data is the `Pin<KBox<T::Data>>` stored by
        // `probe_callback`, valid until after `remove_callback`.
        let data = unsafe { func.as_ref().drvdata_borrow::<T::Data<'_>>() };
        // SAFETY: The SDIO core calls the handler with the host claimed by this thread.
        let host = unsafe { Host::new(func) };
        T::interrupt(&host, data);
    }
}

/// An SDIO function (`struct sdio_func`).
///
/// # Invariants
///
/// `self.0` is a valid `struct sdio_func` whose embedded `struct device` is reference counted.
#[repr(transparent)]
pub struct Function<Ctx: device::DeviceContext = device::Normal>(
    Opaque<bindings::sdio_func>,
    PhantomData<Ctx>,
);

impl<Ctx: device::DeviceContext> Function<Ctx> {
    /// The raw `struct sdio_func`.
    pub(crate) fn as_raw(&self) -> *mut bindings::sdio_func {
        self.0.get()
    }

    /// The function number (1..7).
    pub fn number(&self) -> u32 {
        // SAFETY: By the type invariant `self.as_raw()` is valid; `num` is set before the
        // function is registered and never changes.
        unsafe { (*self.as_raw()).num }
    }

    /// The vendor id read from the card.
    pub fn vendor(&self) -> u16 {
        // SAFETY: As in `number`, `vendor` is constant once the function is registered.
        unsafe { (*self.as_raw()).vendor }
    }

    /// The device id read from the card.
    pub fn device_id(&self) -> u16 {
        // SAFETY: As in `number`, `device` is constant once the function is registered.
        unsafe { (*self.as_raw()).device }
    }

    /// The largest block size the function supports (from its CIS).
    pub fn max_block_size(&self) -> u32 {
        // SAFETY: As in `number`, `max_blksize` is constant once the function is registered.
        unsafe { (*self.as_raw()).max_blksize }
    }

    /// The function's embedded `struct device`, as the `kernel` crate's bindings type it.
    fn as_device_ptr(&self) -> *mut kernel::bindings::device {
        // SAFETY: By the type invariant `self.as_raw()` is valid; this only computes the address
        // of its embedded `dev` field.
        unsafe { addr_of_mut!((*self.as_raw()).dev) }.cast()
    }
}

impl Function<device::Bound> {
    /// Claims the host for exclusive access to the bus; it is released when the guard drops.
    ///
    /// May sleep until the host is free.
    pub fn claim_host(&self) -> HostGuard<'_> {
        // SAFETY: By the type invariant `self.as_raw()` is valid, and a bound function's card and
        // host are registered; the guard releases the host.
        unsafe { bindings::sdio_claim_host(self.as_raw()) };
        HostGuard {
            // SAFETY: The host was just claimed by this thread, until the guard drops.
            host: unsafe { Host::new(self) },
        }
    }
}

impl<Ctx: device::DeviceContext> AsRef<device::Device<Ctx>> for Function<Ctx> {
    fn as_ref(&self) -> &device::Device<Ctx> {
        // SAFETY: The embedded `struct device` is valid as long as the function (type
        // invariant). `device::Device<Ctx>` is a transparent wrapper of `struct device`, and the
        // context of the device is the context of the function it is embedded in.
        unsafe { &*self.as_device_ptr().cast::<device::Device<Ctx>>() }
    }
}

// SAFETY: `Function` is a transparent wrapper of `struct sdio_func`, which does not depend on the
// context parameter.
kernel::impl_device_context_deref!(unsafe { Function });
kernel::impl_device_context_into_aref!(Function);

// SAFETY: The lifetime of a `struct sdio_func` is that of its embedded, reference-counted
// `struct device`.
unsafe impl AlwaysRefCounted for Function {
    fn inc_ref(&self) {
        // SAFETY: A shared reference means the reference count is not zero.
        unsafe { kernel::bindings::get_device(self.as_device_ptr()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference, so the function and its device are valid.
        unsafe { kernel::bindings::put_device(obj.as_ref().as_device_ptr()) }
    }
}

// SAFETY: A reference to a `struct sdio_func` may be dropped on any thread (its release,
// `sdio_release_func()`, only frees memory and drops the card reference), and `Function` only
// offers reads of fields that are constant once the function is registered.
unsafe impl Send for Function {}

// SAFETY: `&Function` only reads fields that are constant once the function is registered, so it
// may be used from several threads at once.
unsafe impl Sync for Function {}

// SAFETY: As for `Function<Normal>`, plus `claim_host()`: `sdio_claim_host()` may be called from
// any thread in process context, concurrently, because the MMC core serialises claims with the
// host's lock and wait queue. The bus operations need a `Host`, which is tied to the claiming
// thread (it is neither `Send` nor `Sync`). `Bound` is a marker that does not change what the C
// object allows, as for `device::Device<Bound>` in the `kernel` crate.
unsafe impl Sync for Function<device::Bound> {}

/// Proof that the host of a bound function is claimed by the current thread.
///
/// Handed out by [`Function::claim_host`] and [`FunctionRef::claim_host`] through a
/// [`HostGuard`], and to [`Driver::interrupt`], which the SDIO core calls with the host claimed.
/// The bus operations are those of the [`FunctionIo`] it dereferences to.
pub struct Host<'a> {
    func: &'a Function<device::Bound>,
    io: FunctionIo<'a>,
}

impl<'a> Host<'a> {
    /// The claim of `func`'s host by the current thread.
    ///
    /// # Safety
    ///
    /// The host of `func` is claimed by the current thread for `'a`.
    unsafe fn new(func: &'a Function<device::Bound>) -> Self {
        Self {
            func,
            // SAFETY: `func` is valid (type invariant of `Function`) and, by the safety
            // requirements of this function, its host is claimed by this thread for `'a`.
            io: unsafe { FunctionIo::new(func.as_raw()) },
        }
    }

    /// The function this host claim is for.
    pub fn function(&self) -> &Function<device::Bound> {
        self.func
    }
}

impl<'a> Deref for Host<'a> {
    type Target = FunctionIo<'a>;

    fn deref(&self) -> &FunctionIo<'a> {
        &self.io
    }
}

/// A claimed host, released on drop; made by [`Function::claim_host`] in a driver callback.
///
/// Never hold a claim across a wait for another thread that may need the host (a
/// [`kthread`](super::kthread) the driver stops at unbind, for example): the unbind claims the
/// host to release the interrupt.
pub struct HostGuard<'a> {
    host: Host<'a>,
}

impl HostGuard<'_> {
    /// Resets the card; see [`CardReset`]. Only a claim made by the caller can do it, not the
    /// one the interrupt handler is given: releasing the interrupt from inside its own handler
    /// would stop the core's interrupt thread from itself on hosts that use one.
    pub fn reset_card(&self) -> Result<CardReset> {
        reset_card(&self.host.io)
    }
}

impl<'a> Deref for HostGuard<'a> {
    type Target = Host<'a>;

    fn deref(&self) -> &Host<'a> {
        &self.host
    }
}

impl Drop for HostGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: The host was claimed when the guard was made and not released since.
        unsafe { bindings::sdio_release_host(self.host.func.as_raw()) };
    }
}

/// What a [`Watch`] guards.
struct WatchState {
    /// The function's managed resources were released: no new user may claim its host.
    revoked: bool,
    /// Users between a successful [`Watch::enter`] and their [`Watch::leave`].
    users: u32,
    /// An interrupt handler installed through the watch's owner is still claimed.
    irq_claimed: bool,
}

/// Revokes bus access to a function when the driver core releases the function's managed
/// resources (`devres_release_all()`): when the function is unbound from a driver, and when the
/// MMC core deletes it (`device_del()`, at card removal, before the card and host can go). A
/// claim made before the revocation holds it off until the claim is released.
///
/// # Invariants
///
/// `func` is valid whenever [`Watch::revoke`] runs. While `revoked` is false, the function has
/// not been through that release, so its card is registered on its host and the host is added.
#[pin_data]
pub(crate) struct Watch {
    func: NonNull<bindings::sdio_func>,
    #[pin]
    state: Mutex<WatchState>,
    /// Woken when the last user leaves a revoked watch.
    #[pin]
    idle: CondVar,
}

// SAFETY: `func` is only dereferenced by `revoke`, whose callers guarantee that it is valid, from
// whatever thread they run on; the rest is behind a mutex.
unsafe impl Send for Watch {}

// SAFETY: As for `Send`: `&Watch` only gives access to the mutex-protected state and to `revoke`.
unsafe impl Sync for Watch {}

impl Watch {
    /// Becomes a user: until [`leave`](Self::leave), [`revoke`](Self::revoke) waits.
    fn enter(&self) -> Result {
        let mut state = self.state.lock();
        if state.revoked {
            return Err(ENODEV);
        }
        state.users = state.users.checked_add(1).ok_or(EBUSY)?;
        Ok(())
    }

    /// Stops being a user.
    fn leave(&self) {
        let mut state = self.state.lock();
        state.users = state.users.saturating_sub(1);
        if state.revoked && state.users == 0 {
            self.idle.notify_all();
        }
    }

    /// Records that the owner installed (`true`) or released (`false`) an interrupt handler.
    #[cfg(bes2600_test_bench)]
    pub(crate) fn set_irq_claimed(&self, claimed: bool) {
        self.state.lock().irq_claimed = claimed;
    }

    /// Revokes: waits for the users to leave, then releases an interrupt handler the owner left
    /// claimed. Runs once, from the devres action or from the owner's drop.
    fn revoke(&self) {
        let release_irq = {
            let mut state = self.state.lock();
            state.revoked = true;
            while state.users > 0 {
                self.idle.wait(&mut state);
            }
            core::mem::replace(&mut state.irq_claimed, false)
        };
        if release_irq {
            let func = self.func.as_ptr();
            // SAFETY: By the caller's guarantee `func` is valid, and its host is added (`revoke`
            // runs before the devres release completes). Nothing else claims the interrupt
            // through this watch any more: it is revoked and has no users.
            unsafe {
                bindings::sdio_claim_host(func);
                // Nothing useful can be done about a failure while the function goes away; the
                // handler is removed whatever the card answers.
                let _ = bindings::sdio_release_irq(func);
                bindings::sdio_release_host(func);
            }
        }
    }

    /// # Safety
    ///
    /// `data` must come from `Arc::into_raw()` of a `Watch` whose owner registered this action
    /// on the watch's function with `__devm_add_action()`; the driver core calls it once, from
    /// `devres_release_all()` of that function's device.
    unsafe extern "C" fn devres_revoke(data: *mut c_void) {
        // SAFETY: By the safety requirements `data` is the watch reference the action owned.
        let watch = unsafe { Arc::from_raw(data.cast::<Self>().cast_const()) };
        // The function is valid: its device is releasing its resources, so it is referenced.
        watch.revoke();
    }
}

/// A reference to a function and a [`Watch`] registered on it.
///
/// # Invariants
///
/// `watch.func` is `func`. The devres action `Watch::devres_revoke` with `watch` as its data is
/// registered on `func`'s device (and owns one reference to `watch`), or it has been removed or
/// has run (and has revoked `watch`).
pub(crate) struct Watched {
    func: ARef<Function>,
    watch: Arc<Watch>,
}

impl Watched {
    /// Registers a watch on `func`.
    ///
    /// If the function's managed resources were already released (it was unbound or deleted),
    /// the watch is never revoked: the caller must know that they were not, or check afterwards
    /// that the function is still registered and drop the result if not.
    pub(crate) fn new(func: &Function) -> Result<Self> {
        let raw = NonNull::new(func.as_raw()).ok_or(EINVAL)?;
        let watch = Arc::pin_init(
            pin_init!(Watch {
                func: raw,
                state <- new_mutex!(
                    WatchState {
                        revoked: false,
                        users: 0,
                        irq_claimed: false,
                    },
                    "bes2600::sdio::Watch::state"
                ),
                idle <- new_condvar!("bes2600::sdio::Watch::idle"),
            }),
            GFP_KERNEL,
        )?;
        let data = Arc::into_raw(watch.clone()).cast_mut().cast::<c_void>();
        // SAFETY: The device is valid (type invariant of `Function`); `data` is a watch reference
        // that the action owns from now on, as `devres_revoke` requires.
        let ret = unsafe {
            kernel::bindings::__devm_add_action(
                func.as_device_ptr(),
                Some(Watch::devres_revoke),
                data,
                c"bes2600 sdio watch".as_char_ptr(),
            )
        };
        if let Err(err) = to_result(ret) {
            // SAFETY: The action was not registered, so the reference is still ours.
            drop(unsafe { Arc::from_raw(data.cast::<Watch>().cast_const()) });
            return Err(err);
        }
        // INVARIANT: The action is registered with `watch` as its data.
        Ok(Self {
            func: func.into(),
            watch,
        })
    }

    /// The function.
    pub(crate) fn function(&self) -> &Function {
        &self.func
    }

    /// Claims the function's host unless the watch is revoked. The claim holds off the
    /// revocation until it is dropped. It gives no bound context: a watch can outlive the
    /// driver's `remove` by a little (it is revoked with the function's managed resources).
    pub(crate) fn claim(&self) -> Result<WatchedClaim<'_>> {
        self.watch.enter()?;
        let func = self.func.as_raw();
        // SAFETY: The function is valid and, the watch not being revoked, its card and host are
        // registered (type invariant of `Watch`); `WatchedClaim` releases the host.
        unsafe { bindings::sdio_claim_host(func) };
        // INVARIANT: The host is claimed by this thread and the claim is a user of the watch.
        Ok(WatchedClaim {
            // SAFETY: The host was just claimed by this thread, until the claim drops.
            io: unsafe { FunctionIo::new(func) },
            watch: &self.watch,
        })
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let data = Arc::as_ptr(&self.watch).cast_mut().cast::<c_void>();
        // SAFETY: The device is valid (we hold a reference); the action and data are the ones
        // registered in `new`.
        let removed = unsafe {
            kernel::bindings::devm_remove_action_nowarn(
                self.func.as_device_ptr(),
                Some(Watch::devres_revoke),
                data,
            )
        } == 0;
        if removed {
            // The action will not run: revoke here, which releases a handler left claimed. There
            // are no users (their guards borrow `self`), so this does not wait.
            self.watch.revoke();
            // SAFETY: The action's reference to the watch was not consumed, so it is ours now.
            drop(unsafe { Arc::from_raw(data.cast::<Watch>().cast_const()) });
        }
        // Otherwise the driver core took the action off the list and runs it (or ran it): it
        // revokes the watch and drops its reference; the function stays valid meanwhile because
        // its device is in the middle of releasing its resources.
    }
}

/// A host claim made through a [`FunctionRef`] (or, on a test bench, a card handle): the bus
/// operations of the [`FunctionIo`] it dereferences to, while the function is registered.
///
/// Unlike a [`HostGuard`] it gives only [`Function`], not a bound context: the function's
/// managed resources, and with them the watch, are released a little after the driver's
/// `remove`, so a claim can still be made in between. It holds off the revocation, never the
/// driver's unbind, until it drops.
///
/// # Invariants
///
/// The host of `io`'s function is claimed by the current thread, and the claim is a user of
/// `watch`, whose function `io`'s is.
pub struct WatchedClaim<'a> {
    io: FunctionIo<'a>,
    watch: &'a Watch,
}

impl WatchedClaim<'_> {
    /// The watch this claim is a user of.
    #[cfg(bes2600_test_bench)]
    pub(crate) fn watch(&self) -> &Watch {
        self.watch
    }

    /// Resets the card; see [`CardReset`] and [`HostGuard::reset_card`].
    pub fn reset_card(&self) -> Result<CardReset> {
        reset_card(&self.io)
    }
}

impl<'a> Deref for WatchedClaim<'a> {
    type Target = FunctionIo<'a>;

    fn deref(&self) -> &FunctionIo<'a> {
        &self.io
    }
}

impl Drop for WatchedClaim<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the host is claimed by this thread.
        unsafe { bindings::sdio_release_host(self.io.raw()) };
        self.watch.leave();
    }
}

/// A counted reference to a bound function that threads can keep, and that gives the bus
/// operations only while the function stays bound to the driver that made it.
///
/// Made in a driver callback with [`FunctionRef::new`]; clones share the same binding. Once the
/// function is unbound (the driver is removed, or the card is), [`claim_host`](Self::claim_host)
/// fails with `ENODEV`. A claim made before the unbind delays the end of the unbind until the
/// claim is released. [`function`](Self::function) gives the function itself, also as an
/// `ARef<Function>`.
#[derive(Clone)]
pub struct FunctionRef(Arc<Watched>);

impl FunctionRef {
    /// A reference to `func`, which is bound for the duration of the call.
    pub fn new(func: &Function<device::Bound>) -> Result<Self> {
        // The function is bound, so its managed resources are released at the unbind, after
        // this: the watch is revoked then.
        let watched = Watched::new(func)?;
        Ok(Self(Arc::new(watched, GFP_KERNEL)?))
    }

    /// The function.
    pub fn function(&self) -> &Function {
        self.0.function()
    }

    /// Claims the host unless the function's binding has ended; fails with `ENODEV` then.
    ///
    /// May sleep until the host is free. [`Driver::interrupt`] needs none: it is given the claim.
    /// Never hold the claim across a wait for something the unbind does first (stopping the
    /// driver's thread, for example): the revocation waits for the claim to be dropped.
    pub fn claim_host(&self) -> Result<WatchedClaim<'_>> {
        self.0.claim()
    }
}

/// How a CMD53 transfer is sized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd53Size {
    /// Byte mode: one transfer of this many bytes (1..=512).
    Bytes(u32),
    /// Block mode: this many blocks (1..=511) of the function's current block size.
    Blocks(u32),
}

/// The bus operations of an SDIO function whose host the current thread has claimed.
///
/// Reached through a [`Host`] (a function bound to a driver) or, on a test bench, through the
/// claim of a host driver on its own card (`super::mmc_host`).
///
/// # Invariants
///
/// `func` is a valid function whose host is claimed by the current thread for `'a`.
pub struct FunctionIo<'a> {
    func: NonNull<bindings::sdio_func>,
    // The claim belongs to the thread that made it.
    _claim: PhantomData<(&'a (), *mut ())>,
}

impl FunctionIo<'_> {
    /// The bus operations of `func`, whose host the current thread claimed.
    ///
    /// # Safety
    ///
    /// `func` is a valid function whose host is claimed by the current thread for `'a`.
    pub(crate) unsafe fn new(func: *mut bindings::sdio_func) -> Self {
        Self {
            // SAFETY: By the safety requirements `func` is valid, hence not null.
            func: unsafe { NonNull::new_unchecked(func) },
            _claim: PhantomData,
        }
    }

    /// The raw function, for abstractions that install their own handlers.
    pub(crate) fn raw(&self) -> *mut bindings::sdio_func {
        self.func.as_ptr()
    }

    /// Enables the function (sets its bit in CCCR IOEx and waits for IORx).
    pub fn enable_function(&self) -> Result {
        // SAFETY: The function is valid and the host is claimed (type invariant).
        to_result(unsafe { bindings::sdio_enable_func(self.raw()) })
    }

    /// Disables the function.
    pub fn disable_function(&self) -> Result {
        // SAFETY: The function is valid and the host is claimed.
        to_result(unsafe { bindings::sdio_disable_func(self.raw()) })
    }

    /// Programs the block size of the function (0 selects the SDIO core's default).
    pub fn set_block_size(&self, size: u32) -> Result {
        // SAFETY: The function is valid and the host is claimed.
        to_result(unsafe { bindings::sdio_set_block_size(self.raw(), size) })
    }

    /// The block size currently programmed into the function.
    pub fn block_size(&self) -> u32 {
        // SAFETY: The function is valid; `cur_blksize` only changes with the host claimed,
        // which this thread holds.
        unsafe { (*self.raw()).cur_blksize }
    }

    /// Reads one byte at `addr` of the function's address space (CMD52).
    pub fn read_u8(&self, addr: u32) -> Result<u8> {
        let mut err: c_int = 0;
        // SAFETY: The function is valid, the host is claimed and `err` is a valid out-pointer.
        let value = unsafe { bindings::sdio_readb(self.raw(), addr, &mut err) };
        to_result(err).map(|()| value)
    }

    /// Writes one byte at `addr` of the function's address space (CMD52).
    pub fn write_u8(&self, addr: u32, value: u8) -> Result {
        let mut err: c_int = 0;
        // SAFETY: The function is valid, the host is claimed and `err` is a valid out-pointer.
        unsafe { bindings::sdio_writeb(self.raw(), value, addr, &mut err) };
        to_result(err)
    }

    /// Reads one byte of function 0 (the CCCR and FBRs) at `addr` (CMD52).
    pub fn read_f0_u8(&self, addr: u32) -> Result<u8> {
        let mut err: c_int = 0;
        // SAFETY: The function is valid, the host is claimed and `err` is a valid out-pointer.
        let value = unsafe { bindings::sdio_f0_readb(self.raw(), addr, &mut err) };
        to_result(err).map(|()| value)
    }

    /// Reads `buf.len()` bytes from `addr` with as many CMD53s as the SDIO core needs, advancing
    /// the address after each (the ordinary memory-like transfer).
    pub fn read_memcpy(&self, addr: u32, buf: &mut IoBuffer) -> Result {
        let len = buf.len_c_int()?;
        // SAFETY: The function is valid, the host is claimed and `buf` is `len` bytes of kmalloc
        // memory, which the core may map for DMA.
        to_result(unsafe {
            bindings::sdio_memcpy_fromio(self.raw(), buf.as_mut_ptr().cast(), addr, len)
        })
    }

    /// Writes `buf` to `addr` with as many CMD53s as the SDIO core needs (see [`read_memcpy`]).
    ///
    /// [`read_memcpy`]: Self::read_memcpy
    pub fn write_memcpy(&self, addr: u32, buf: &IoBuffer) -> Result {
        let len = buf.len_c_int()?;
        // SAFETY: As in `read_memcpy`; the core does not write through the pointer.
        to_result(unsafe {
            bindings::sdio_memcpy_toio(self.raw(), addr, buf.as_ptr().cast_mut().cast(), len)
        })
    }

    /// One CMD53 read with the 17-bit address field exactly `addr` and the address fixed
    /// (`incr == false`) or incrementing, into the start of `buf`.
    ///
    /// Unlike [`read_memcpy`](Self::read_memcpy) the transfer is never split, so chips that use
    /// the address field as a length see the value the caller chose.
    pub fn read_cmd53(&self, addr: u32, incr: bool, size: Cmd53Size, buf: &mut IoBuffer) -> Result {
        let (blocks, blksz) = self.cmd53_geometry(size, buf.len())?;
        // SAFETY: The function is valid, the host is claimed, and `buf` holds at least
        // `blocks * blksz` (or `blksz`) bytes of kmalloc memory, checked by `cmd53_geometry`.
        to_result(unsafe {
            bindings::bes2600_helper_sdio_io_rw_extended(
                self.raw(),
                false,
                addr,
                incr,
                buf.as_mut_ptr(),
                blocks,
                blksz,
            )
        })
    }

    /// One CMD53 write of the start of `buf`; see [`read_cmd53`](Self::read_cmd53).
    pub fn write_cmd53(&self, addr: u32, incr: bool, size: Cmd53Size, buf: &IoBuffer) -> Result {
        let (blocks, blksz) = self.cmd53_geometry(size, buf.len())?;
        // SAFETY: As in `read_cmd53`; for a write the helper only reads from `buf`.
        to_result(unsafe {
            bindings::bes2600_helper_sdio_io_rw_extended(
                self.raw(),
                true,
                addr,
                incr,
                buf.as_ptr().cast_mut(),
                blocks,
                blksz,
            )
        })
    }

    /// Checks a CMD53 size against the buffer and returns the helper's (blocks, block size).
    fn cmd53_geometry(&self, size: Cmd53Size, buf_len: usize) -> Result<(u32, u32)> {
        let (blocks, blksz) = match size {
            Cmd53Size::Bytes(n @ 1..=512) => (0, n),
            Cmd53Size::Blocks(n @ 1..=511) => (n, self.block_size()),
            _ => return Err(EINVAL),
        };
        let len = blocks.max(1).checked_mul(blksz).ok_or(EINVAL)?;
        if blksz == 0 || usize::try_from(len).map_or(true, |len| len > buf_len) {
            return Err(EINVAL);
        }
        Ok((blocks, blksz))
    }

    /// Disables the function's interrupt and removes its handler. Only the abstraction that
    /// installed the handler may remove it.
    pub(crate) fn release_irq(&self) -> Result {
        // SAFETY: The function is valid and the host is claimed.
        to_result(unsafe { bindings::sdio_release_irq(self.raw()) })
    }

    /// Releases the function's interrupt if a handler is installed.
    pub(crate) fn release_irq_if_claimed(&self) {
        // SAFETY: The function is valid; `irq_handler` is only written with the host claimed,
        // which this thread holds.
        if unsafe { (*self.raw()).irq_handler }.is_some() {
            // Nothing useful can be done about a failure while the device goes away.
            let _ = self.release_irq();
        }
    }
}

/// Resets the card and initialises it again: `mmc_hw_reset()`, which for an SDIO card
/// bound to one function driver power-cycles it (`mmc_power_cycle()`, as far as the host
/// can switch its supply) and runs the card initialisation again (CMD5, CMD3, CMD7, CCCR).
///
/// What the card held is lost: every function is disabled and has its power-on block
/// size, so the driver enables the function and sets the block size again. An interrupt
/// handler installed on this function stays installed: it is released before the reset
/// and claimed again after it, which programs CCCR IENx again.
///
/// Returns [`CardReset::Rescan`] when the core chose to remove the card and detect it
/// again instead (more than one function driver was bound): this function is then
/// unbound soon. Fails with the core's error if the card did not come back, or if the
/// interrupt handler could not be claimed again (it is then no longer installed).
fn reset_card(io: &FunctionIo<'_>) -> Result<CardReset> {
    // SAFETY: The function is valid; `irq_handler` is only written with the host claimed,
    // which this thread holds.
    let handler = unsafe { (*io.raw()).irq_handler };
    if handler.is_some() {
        // `sdio_release_irq()` removes the handler before it touches the card; a failing
        // CCCR write does not matter, the reset clears IENx anyway.
        let _ = io.release_irq();
    }
    // SAFETY: The function is valid, and so is its card, which outlives its functions; the
    // host is claimed by this thread, as `mmc_hw_reset()` requires.
    let ret = unsafe { bindings::mmc_hw_reset((*io.raw()).card) };
    let reclaimed = match handler {
        // SAFETY: The function is valid and the host is claimed. `handler` was installed on
        // this very function by whoever owns its interrupt, for the data that is still
        // stored (the host claim keeps the binding), so installing it again restores the
        // state before this call.
        Some(h) => to_result(unsafe { bindings::sdio_claim_irq(io.raw(), Some(h)) }),
        None => Ok(()),
    };
    let reset = match ret {
        0 => Ok(CardReset::Reinitialised),
        r if r > 0 => Ok(CardReset::Rescan),
        r => Err(Error::from_errno(r)),
    };
    reclaimed?;
    reset
}

/// What a card reset did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardReset {
    /// The card was reset and initialised again in place; the function stays bound.
    Reinitialised,
    /// The core removes the card and detects it again: the function is unbound soon.
    Rescan,
}

/// A buffer the SDIO core may map for DMA: kmalloc memory of a fixed, non-zero length.
///
/// Stack and vmalloc memory cannot be mapped; this type makes passing them impossible.
pub struct IoBuffer(KVec<u8>);

impl IoBuffer {
    /// A zeroed buffer of `len` bytes (at least 1).
    pub fn new(len: usize, flags: kernel::alloc::Flags) -> Result<Self> {
        if len == 0 {
            return Err(EINVAL);
        }
        let mut vec = KVec::with_capacity(len, flags)?;
        vec.resize(len, 0, flags)?;
        Ok(Self(vec))
    }

    /// The length as the SDIO core's `int` length parameters take it.
    fn len_c_int(&self) -> Result<c_int> {
        c_int::try_from(self.0.len()).map_err(|_| EINVAL)
    }
}

impl Deref for IoBuffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl DerefMut for IoBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}
