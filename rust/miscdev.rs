// SPDX-License-Identifier: GPL-2.0

//! Misc character devices with blocking `read()`, `write()` and `poll()`.
//!
//! C header: [`include/linux/miscdevice.h`](srctree/include/linux/miscdevice.h).
//!
//! Why not the in-tree `kernel::miscdevice` (Linux 7.3): its `MiscDevice` trait offers `open`,
//! `release`, `mmap`, `read_iter`, `write_iter`, `ioctl`, `compat_ioctl` and `show_fdinfo`, and
//! builds the `file_operations` itself, so a user cannot add a `poll` operation, and the
//! chip model's device must be pollable (it waits on it with `poll()` next to its netlink socket).
//! Its `Kiocb` also exposes no flags (neither `IOCB_NOWAIT` nor the file's `O_NONBLOCK`) without
//! `unsafe`, and a `MiscDeviceRegistration` carries no data for `open` to reach. This file is the
//! same registration with the classic `read`/`write` operations, `poll`, the file's flags (through
//! `kernel::fs::File`), and data shared by all opens ([`FileOps::Shared`]) that the registration
//! owns. Everything else comes from the `kernel` crate (`File`, `PollTable`, `UserSlice`).

use core::marker::PhantomData;

use kernel::{
    bindings,
    error::{
        from_result,
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    ffi::{
        c_char,
        c_int,
        c_uint, //
    },
    fs::File,
    prelude::*,
    sync::poll::PollTable,
    types::{
        ForeignOwnable,
        Opaque, //
    },
    uaccess::{
        UserPtr,
        UserSlice,
        UserSliceReader,
        UserSliceWriter, //
    },
};

/// Poll mask bits returned by [`FileOps::poll`].
pub mod poll_mask {
    use kernel::bindings;

    /// Data can be read without blocking.
    pub const IN: u32 = bindings::POLLIN | bindings::POLLRDNORM;
    /// Data can be written without blocking.
    pub const OUT: u32 = bindings::POLLOUT | bindings::POLLWRNORM;
}

/// The file operations of a misc device.
#[vtable]
pub trait FileOps: Sized + 'static {
    /// Data shared by all opens, owned by the [`Registration`].
    type Shared: Send + Sync;

    /// What one open of the device keeps (the file's private data).
    type Open: ForeignOwnable + Send + Sync;

    /// Called when the device is opened. The file is a stream: it has no position.
    fn open(shared: &Self::Shared, file: &File) -> Result<Self::Open>;

    /// Called when the last reference to an open file goes away.
    fn release(open: Self::Open, file: &File) {
        let _ = file;
        drop(open);
    }

    /// `read()`: copies at most `buf.len()` bytes into `buf` and returns how many.
    fn read(
        open: <Self::Open as ForeignOwnable>::Borrowed<'_>,
        file: &File,
        buf: UserSliceWriter,
    ) -> Result<usize> {
        let _ = (open, file, buf);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `write()`: takes bytes from `buf` and returns how many were consumed.
    fn write(
        open: <Self::Open as ForeignOwnable>::Borrowed<'_>,
        file: &File,
        buf: UserSliceReader,
    ) -> Result<usize> {
        let _ = (open, file, buf);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `poll()`: registers `table` with every wait queue that may signal a change and returns
    /// the current [`poll_mask`].
    fn poll(
        open: <Self::Open as ForeignOwnable>::Borrowed<'_>,
        file: &File,
        table: PollTable<'_>,
    ) -> u32 {
        let _ = (open, file, table);
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A registered misc device and the data its opens share.
///
/// # Invariants
///
/// `misc` is registered with `misc_register()` until `drop`, with `T`'s file operations.
#[pin_data(PinnedDrop)]
pub struct Registration<T: FileOps> {
    shared: T::Shared,
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    _ops: PhantomData<T>,
}

// SAFETY: A misc device may be deregistered from any thread; `T::Shared` is `Send`.
unsafe impl<T: FileOps> Send for Registration<T> {}

// SAFETY: `&Registration` only gives access to `T::Shared`, which is `Sync`.
unsafe impl<T: FileOps> Sync for Registration<T> {}

impl<T: FileOps> Registration<T> {
    /// Registers the misc device `/dev/<name>` (dynamic minor, mode 0600) with `shared` as the
    /// data its opens share. The device can be opened before this returns.
    pub fn register(name: &'static CStr, shared: T::Shared) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            shared,
            misc <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                // SAFETY: `slot` is valid for writes; a zeroed `struct miscdevice` is a valid
                // unregistered one, completed by the fields set below.
                unsafe {
                    slot.write(core::mem::zeroed());
                    (*slot).minor = bindings::MISC_DYNAMIC_MINOR as c_int;
                    (*slot).name = name.as_char_ptr();
                    (*slot).fops = &Self::FOPS;
                }
                // SAFETY: `slot` is a filled-in `struct miscdevice` in pinned memory that stays
                // valid until `drop` deregisters it; `shared` is initialised before it (field
                // order), so `open` finds it.
                to_result(unsafe { bindings::misc_register(slot) })
            }),
            _ops: PhantomData,
        })
    }

    /// The data shared by all opens.
    pub fn shared(&self) -> &T::Shared {
        &self.shared
    }

    /// # Safety
    ///
    /// `inode` and `file` must be passed by `misc_open()` to the `open` of [`Self::FOPS`], with
    /// the file's private data set to the `struct miscdevice` of a `Registration<T>`.
    unsafe extern "C" fn open_callback(
        inode: *mut bindings::inode,
        file: *mut bindings::file,
    ) -> c_int {
        from_result(|| {
            // SAFETY: `misc_open()` sets the private data to our `struct miscdevice` before
            // calling `open`, and holds the lock that `misc_deregister()` takes, so the
            // registration is alive.
            let misc = unsafe { (*file).private_data }.cast::<bindings::miscdevice>();
            // SAFETY: `misc` is the `misc` field of a `Registration<T>` (the only ones with these
            // file operations).
            let this =
                unsafe { &*kernel::container_of!(Opaque::cast_from(misc).cast_mut(), Self, misc) };
            // SAFETY: `inode` and `file` are valid for an open in progress. `stream_open()` makes
            // the file positionless, so reads and writes never take `f_pos_lock`.
            to_result(unsafe { bindings::stream_open(inode, file) })?;
            // SAFETY: The file is valid for the duration of the call, and is not yet visible to
            // any `fdget_pos()`.
            let f = unsafe { File::from_raw_file(file) };
            let open = T::open(&this.shared, f)?;
            // SAFETY: `open` owns the private data; the other callbacks read it back as
            // `T::Open`, and `release` reclaims it.
            unsafe { (*file).private_data = open.into_foreign() };
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `file` must be passed by the VFS to the `release` of [`Self::FOPS`], after a successful
    /// [`open_callback`](Self::open_callback) of the same file.
    unsafe extern "C" fn release_callback(
        _inode: *mut bindings::inode,
        file: *mut bindings::file,
    ) -> c_int {
        // SAFETY: `release` runs once, after the last user of the file; the private data was set
        // by a successful `open` from `into_foreign()`.
        let open = unsafe { T::Open::from_foreign((*file).private_data) };
        // SAFETY: The file is valid for the duration of the call, with no `fdget_pos()` active.
        T::release(open, unsafe { File::from_raw_file(file) });
        0
    }

    /// What the open of `file` keeps.
    ///
    /// # Safety
    ///
    /// `file` must be an open file of this device, valid for `'a`.
    unsafe fn open_data<'a>(
        file: *mut bindings::file,
    ) -> <T::Open as ForeignOwnable>::Borrowed<'a> {
        // SAFETY: By the caller's guarantee the private data is a `T::Open` that `release` has
        // not reclaimed yet.
        unsafe { T::Open::borrow((*file).private_data) }
    }

    /// # Safety
    ///
    /// `file` must be passed by the VFS to the `read` of [`Self::FOPS`] on an open file of this
    /// device, and `buf` be the user pointer of that `read()` call.
    unsafe extern "C" fn read_callback(
        file: *mut bindings::file,
        buf: *mut c_char,
        count: usize,
        _pos: *mut bindings::loff_t,
    ) -> isize {
        from_result(|| {
            // SAFETY: By the safety requirements `file` is an open file of this device.
            let open = unsafe { Self::open_data(file) };
            let out = UserSlice::new(UserPtr::from_ptr(buf.cast()), count).writer();
            // SAFETY: The file is valid for the call; it is a stream, so no `fdget_pos()` holds a
            // position without its lock.
            let f = unsafe { File::from_raw_file(file) };
            let n = T::read(open, f, out)?;
            Ok(isize::try_from(n).unwrap_or(isize::MAX))
        })
    }

    /// # Safety
    ///
    /// `file` must be passed by the VFS to the `write` of [`Self::FOPS`] on an open file of this
    /// device, and `buf` be the user pointer of that `write()` call.
    unsafe extern "C" fn write_callback(
        file: *mut bindings::file,
        buf: *const c_char,
        count: usize,
        _pos: *mut bindings::loff_t,
    ) -> isize {
        from_result(|| {
            // SAFETY: By the safety requirements `file` is an open file of this device.
            let open = unsafe { Self::open_data(file) };
            let input = UserSlice::new(UserPtr::from_ptr(buf.cast_mut().cast()), count).reader();
            // SAFETY: As in `read_callback`.
            let f = unsafe { File::from_raw_file(file) };
            let n = T::write(open, f, input)?;
            Ok(isize::try_from(n).unwrap_or(isize::MAX))
        })
    }

    /// # Safety
    ///
    /// `file` must be passed by the VFS to the `poll` of [`Self::FOPS`] on an open file of this
    /// device, and `table` be that call's poll table (or null).
    unsafe extern "C" fn poll_callback(
        file: *mut bindings::file,
        table: *mut bindings::poll_table_struct,
    ) -> c_uint {
        // SAFETY: By the safety requirements `file` is an open file of this device.
        let open = unsafe { Self::open_data(file) };
        // SAFETY: `table` is null or a valid poll table for the duration of the call.
        let table = unsafe { PollTable::from_raw(table) };
        // SAFETY: As in `read_callback`.
        let f = unsafe { File::from_raw_file(file) };
        T::poll(open, f, table)
    }

    const FOPS: bindings::file_operations = bindings::file_operations {
        owner: kernel::module::this_module::<T::OwnerModule>().as_ptr(),
        open: Some(Self::open_callback),
        release: Some(Self::release_callback),
        read: if T::HAS_READ {
            Some(Self::read_callback)
        } else {
            None
        },
        write: if T::HAS_WRITE {
            Some(Self::write_callback)
        } else {
            None
        },
        poll: if T::HAS_POLL {
            Some(Self::poll_callback)
        } else {
            None
        },
        // SAFETY: All other members are optional callbacks or flags, for which all-zeroes means
        // "not provided".
        ..unsafe { core::mem::zeroed() }
    };
}

#[pinned_drop]
impl<T: FileOps> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the device is registered.
        unsafe { bindings::misc_deregister(self.misc.get()) };
    }
}
