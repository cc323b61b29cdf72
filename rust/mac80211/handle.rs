// SPDX-License-Identifier: GPL-2.0

//! A revocable handle on a registered hw, for a thread of the driver's own (the BH) that
//! delivers received frames and transmit status outside of mac80211's callbacks.
//!
//! The thread holds an `Arc<HwHandle<T>>`; [`HwHandle::access`] gives a guard that
//! dereferences to `&Hw<T>` while the registration lives. The registration revokes the handle
//! after `ieee80211_unregister_hw()` and before `ieee80211_free_hw()`: revocation waits for a
//! guard in use and every later `access` is `None`, so no `&Hw<T>` obtained through a handle
//! can outlive the hw. The guard holds a mutex, so a holder may sleep (the receive path
//! does), and must not be kept across a wait for the registration's drop.

use core::ptr::NonNull;

use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        lock::{
            mutex::MutexBackend,
            Guard, //
        },
        Mutex,
    },
};

use super::{
    super::bindings,
    Hw,
    Ops, //
};

/// The pointer to a registered hw, while its registration lets it be used.
struct HwPtr(Option<NonNull<bindings::ieee80211_hw>>);

// SAFETY: The pointer is only dereferenced (as `&Hw<T>`, which is `Sync`) under the mutex
// that also guards its revocation; moving it between threads moves no ownership.
unsafe impl Send for HwPtr {}

/// A handle on the hw of a [`super::Registration`], valid until the registration revokes it.
#[pin_data]
pub struct HwHandle<T: Ops> {
    #[pin]
    ptr: Mutex<HwPtr>,
    _ops: core::marker::PhantomData<fn() -> T>,
}

/// Access to the hw through a [`HwHandle`]; dereferences to `&Hw<T>`.
pub struct HwGuard<'a, T: Ops> {
    guard: Guard<'a, HwPtr, MutexBackend>,
    hw: NonNull<bindings::ieee80211_hw>,
    _ops: core::marker::PhantomData<fn() -> T>,
}

impl<T: Ops> HwHandle<T> {
    /// A handle on `hw`.
    ///
    /// # Safety
    ///
    /// `hw` is registered by a [`super::Registration<T>`] that calls [`Self::revoke`] before
    /// it frees the hw.
    pub(super) unsafe fn new(hw: NonNull<bindings::ieee80211_hw>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            ptr <- new_mutex!(HwPtr(Some(hw)), "bes2600::mac80211::HwHandle"),
            _ops: core::marker::PhantomData,
        }? Error)
    }

    /// The hw, unless its registration has revoked the handle. Sleeps while another holder
    /// uses it.
    pub fn access(&self) -> Option<HwGuard<'_, T>> {
        let guard = self.ptr.lock();
        let hw = guard.0?;
        Some(HwGuard {
            guard,
            hw,
            _ops: core::marker::PhantomData,
        })
    }

    /// Runs `f` on the hw unless the handle is revoked; `None` then (and `f` is dropped
    /// unrun).
    pub fn with<R>(&self, f: impl FnOnce(&Hw<T>) -> R) -> Option<R> {
        self.access().map(|g| f(&g))
    }

    /// Ends every later access; waits for a guard in use.
    pub(super) fn revoke(&self) {
        self.ptr.lock().0 = None;
    }
}

impl<T: Ops> core::ops::Deref for HwGuard<'_, T> {
    type Target = Hw<T>;

    fn deref(&self) -> &Hw<T> {
        let _ = &self.guard;
        // SAFETY: The guard holds the handle's mutex and the pointer was not revoked: the
        // registration revokes (under the same mutex) before it frees the hw, so the hw is
        // registered by a live `Registration<T>` for as long as the guard, hence `self`, lives.
        unsafe { Hw::from_raw(self.hw.as_ptr()) }
    }
}
