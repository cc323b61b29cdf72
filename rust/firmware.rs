// SPDX-License-Identifier: GPL-2.0

//! Firmware files.
//!
//! C header: [`include/linux/firmware.h`](srctree/include/linux/firmware.h).
//!
//! The in-tree `kernel::firmware` is compiled only with `CONFIG_RUST_FW_LOADER_ABSTRACTIONS`,
//! which distribution kernels (Debian's 7.3 among them) leave off; this is the same shape over
//! the same C functions, which every kernel with `CONFIG_FW_LOADER` exports.
//!
//! [`Firmware::request_nowarn`] loads a file synchronously from the firmware search path (the
//! `firmware_class.path` parameter, then `/lib/firmware/updates/<release>`,
//! `/lib/firmware/updates`, `/lib/firmware/<release>`, `/lib/firmware`). Without
//! `CONFIG_FW_LOADER_USER_HELPER` a missing file fails at once with `ENOENT`.

use core::ptr::{
    self,
    NonNull, //
};

use kernel::{
    bindings,
    device::Device,
    error::to_result,
    prelude::*, //
};

/// A firmware file loaded into kernel memory, released when dropped.
///
/// # Invariants
///
/// `self.0` is a `struct firmware` returned by a successful request and not released yet; its
/// data is not modified while it lives.
pub struct Firmware(NonNull<bindings::firmware>);

impl Firmware {
    /// Loads `name` for `dev`, without the firmware loader's own warning when it is missing: the
    /// caller reports that (fails with `ENOENT` for a missing file).
    ///
    /// May sleep.
    pub fn request_nowarn(name: &CStr, dev: &Device) -> Result<Self> {
        let mut fw: *const bindings::firmware = ptr::null();
        // `Device` is a transparent wrapper of `struct device`.
        let dev = ptr::from_ref(dev).cast::<bindings::device>().cast_mut();
        // SAFETY: `fw` is a valid out-pointer initialised to NULL, `name` is a NUL-terminated
        // string and `dev` a valid device, all for the duration of the call.
        to_result(unsafe { bindings::firmware_request_nowarn(&mut fw, name.as_char_ptr(), dev) })?;
        // INVARIANT: The request succeeded, so `fw` points to a loaded firmware we now own.
        NonNull::new(fw.cast_mut()).map(Self).ok_or(ENOENT)
    }

    /// The file's contents.
    pub fn data(&self) -> &[u8] {
        // SAFETY: By the type invariant the firmware is loaded and not released while `&self`
        // lives.
        let fw = unsafe { self.0.as_ref() };
        if fw.data.is_null() || fw.size == 0 {
            return &[];
        }
        // SAFETY: A loaded firmware's `data` points to `size` bytes that stay valid and
        // unmodified until it is released, which `&self` prevents.
        unsafe { core::slice::from_raw_parts(fw.data, fw.size) }
    }
}

impl Drop for Firmware {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the firmware was requested and not released yet.
        unsafe { bindings::release_firmware(self.0.as_ptr()) };
    }
}

// SAFETY: A loaded firmware may be released from any thread, and its data is only read.
unsafe impl Send for Firmware {}

// SAFETY: `&Firmware` only reads data that does not change while the firmware is loaded.
unsafe impl Sync for Firmware {}
