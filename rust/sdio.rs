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
        to_result, //
    },
    ffi::c_int,
    prelude::*,
    sync::aref::AlwaysRefCounted,
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
pub trait Driver {
    /// Per-id information, from the [`IdTable`] entry that matched.
    type IdInfo: 'static;

    /// The driver's private data of a bound function.
    type Data<'bound>: Send + Sync + 'bound;

    /// The functions this driver binds to.
    const ID_TABLE: IdTable<Self::IdInfo>;

    /// Binds the driver to `func`.
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

    /// The function's interrupt, after [`Host::claim_irq`]. Runs in the SDIO core's interrupt
    /// thread with the host claimed; it may sleep but should only hand work to a thread.
    fn interrupt(host: &Host<'_>, this: Pin<&Self::Data<'_>>) {
        let _ = (host, this);
    }
}

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
    extern "C" fn probe_callback(
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
            let data = T::probe(func, info);
            let stored = func.as_ref().set_drvdata(data);
            if stored.is_err() {
                // Probe may have claimed the interrupt; the core would never release it.
                func.claim_host().release_irq_if_claimed();
            }
            stored?;
            Ok(0)
        })
    }

    extern "C" fn remove_callback(func: *mut bindings::sdio_func) {
        // SAFETY: The SDIO core calls `remove` with a valid function that is bound to us.
        let func = unsafe { &*func.cast::<Function<device::CoreInternal<'_>>>() };

        // The interrupt handler borrows the private data; stop it before that data goes away.
        func.claim_host().release_irq_if_claimed();

        // SAFETY: `remove` is only called after a successful `probe`, which stored a
        // `Pin<KBox<T::Data>>` as private data; it is dropped only after this returns.
        let data = unsafe { func.as_ref().drvdata_borrow::<T::Data<'_>>() };
        T::unbind(func, data);
    }

    extern "C" fn shutdown_callback(func: *mut bindings::sdio_func) {
        // SAFETY: The SDIO core calls `shutdown` with a valid function.
        let func = unsafe { &*func.cast::<Function<device::CoreInternal<'_>>>() };
        if !func.is_bound_to::<T>() {
            return;
        }
        // SAFETY: The function is bound to `T` (checked above), so its private data is the
        // `Pin<KBox<T::Data>>` that `probe_callback` stored.
        let data = unsafe { func.as_ref().drvdata_borrow::<T::Data<'_>>() };
        T::shutdown(func, data);
    }

    extern "C" fn irq_callback(func: *mut bindings::sdio_func) {
        // SAFETY: The SDIO core calls the handler with a valid function and the host claimed.
        // The handler is only installed while the function is bound to `T`: `remove_callback`
        // releases it before the private data is dropped.
        let func = unsafe { &*func.cast::<Function<device::BoundInternal>>() };
        // The interrupt may fire between `claim_irq` in probe and the private data being stored.
        // SDIO interrupts are level triggered, so it is raised again once that has happened.
        if !func.is_bound_to::<T>() || func.drvdata_is_null() {
            return;
        }
        // SAFETY: The function is bound to `T` and its private data is set, so it is the
        // `Pin<KBox<T::Data>>` stored by `probe_callback`, valid until after `remove_callback`.
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
    fn as_raw(&self) -> *mut bindings::sdio_func {
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

    /// Whether the function is bound to the driver `T` (as opposed to any other driver).
    fn is_bound_to<T: Driver + 'static>(&self) -> bool {
        // SAFETY: By the type invariant `self.as_raw()` is valid.
        let drv = unsafe { bindings::bes2600_helper_sdio_func_driver(self.as_raw()) };
        // Each driver's id table is a distinct static, so it identifies the driver type.
        // SAFETY: A non-null `drv` is the registered `struct sdio_driver` of the bound driver,
        // which outlives its binding.
        !drv.is_null() && unsafe { (*drv).id_table } == T::ID_TABLE.as_ptr()
    }

    fn drvdata_is_null(&self) -> bool {
        // SAFETY: `as_device_ptr` is the function's embedded device, valid by the type invariant.
        unsafe { kernel::bindings::dev_get_drvdata(self.as_device_ptr()) }.is_null()
    }
}

impl Function<device::Bound> {
    /// Claims the host for exclusive access to the bus; it is released when the guard drops.
    ///
    /// May sleep until the host is free.
    pub fn claim_host(&self) -> HostGuard<'_> {
        // SAFETY: By the type invariant `self.as_raw()` is valid; the guard releases the host.
        unsafe { bindings::sdio_claim_host(self.as_raw()) };
        // SAFETY: The host was just claimed by this thread, until the guard drops.
        HostGuard(unsafe { Host::new(self) })
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

// SAFETY: A `struct sdio_func` may be used from any thread; the bus is serialised by the host
// claim, which the API enforces through `Host`.
unsafe impl Send for Function {}

// SAFETY: `&Function` only offers operations that are safe from several threads at once (the
// bus ones need a `Host`, which exists only while the host is claimed).
unsafe impl Sync for Function {}

/// Proof that the host of a bound function is claimed by the current thread.
///
/// Handed out by [`Function::claim_host`] through a [`HostGuard`], and to
/// [`Driver::interrupt`], which the SDIO core calls with the host claimed. The bus operations
/// are those of the [`FunctionIo`] it dereferences to.
pub struct Host<'a> {
    func: &'a Function<device::Bound>,
    io: FunctionIo<'a>,
}

impl<'a> Host<'a> {
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

    /// Installs `T`'s [`Driver::interrupt`] as the function's interrupt handler and enables
    /// the interrupt. Fails unless the function is bound to `T` (or being probed by it).
    ///
    /// The SDIO abstraction releases the interrupt before the driver's private data is dropped.
    pub fn claim_irq<T: Driver + 'static>(&self) -> Result {
        if !self.func.is_bound_to::<T>() {
            return Err(EINVAL);
        }
        // SAFETY: The function is valid and the host is claimed. The handler only dereferences
        // the private data once it is set and of type `T::Data` (checked in `irq_callback`).
        to_result(unsafe {
            bindings::sdio_claim_irq(self.func.as_raw(), Some(Adapter::<T>::irq_callback))
        })
    }
}

impl<'a> Deref for Host<'a> {
    type Target = FunctionIo<'a>;

    fn deref(&self) -> &FunctionIo<'a> {
        &self.io
    }
}

/// A claimed host, released on drop.
pub struct HostGuard<'a>(Host<'a>);

impl<'a> Deref for HostGuard<'a> {
    type Target = Host<'a>;

    fn deref(&self) -> &Host<'a> {
        &self.0
    }
}

impl Drop for HostGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: The host was claimed by `Function::claim_host` and not released since.
        unsafe { bindings::sdio_release_host(self.0.func.as_raw()) };
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

    /// The raw function, also for abstractions that install their own handlers.
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

    /// Disables the function's interrupt and removes its handler.
    pub fn release_irq(&self) -> Result {
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
