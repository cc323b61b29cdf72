// SPDX-License-Identifier: GPL-2.0

//! System-sleep notifications (`register_pm_notifier()`).
//!
//! A device's own suspend and resume callbacks run while user space is frozen. The PM notifier
//! chain brackets the whole transition instead: it is called before any task is frozen when a
//! suspend, hibernation or image restore starts, and again once every task runs again when
//! it has finished (or was aborted). A driver that must not use its device for the whole
//! transition, or that should only bring it back once the system runs, listens here.

use core::marker::PhantomData;

use kernel::{
    error::to_result,
    ffi::{
        c_int,
        c_ulong,
        c_void, //
    },
    prelude::*,
    sync::Arc,
    types::Opaque,
};

use super::bindings;

/// A phase of a system sleep, as the PM notifier chain announces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SleepPhase {
    /// A suspend, hibernation or image restore starts; no task is frozen yet.
    Prepare,
    /// It has finished or was aborted; every task runs again.
    Finished,
}

impl SleepPhase {
    /// The phase of a notifier `action` (`PM_*`); `None` for actions this module does not
    /// know.
    fn from_action(action: c_ulong) -> Option<Self> {
        match u32::try_from(action).ok()? {
            bindings::PM_SUSPEND_PREPARE
            | bindings::PM_HIBERNATION_PREPARE
            | bindings::PM_RESTORE_PREPARE => Some(Self::Prepare),
            bindings::PM_POST_SUSPEND
            | bindings::PM_POST_HIBERNATION
            | bindings::PM_POST_RESTORE => Some(Self::Finished),
            _ => None,
        }
    }
}

/// What a [`SleepNotifier`] tells.
pub trait SleepListener: Send + Sync {
    /// A system sleep starts. An error aborts it, and then no
    /// [`sleep_finished`](Self::sleep_finished) follows for this listener (the chain tells only
    /// the listeners before it): whatever this call set up must be undone before it returns
    /// the error.
    fn sleep_prepare(&self) -> Result;

    /// The system sleep has finished, or was aborted after a successful
    /// [`sleep_prepare`](Self::sleep_prepare).
    fn sleep_finished(&self);
}

/// A listener registered on the PM notifier chain, until dropped.
///
/// # Invariants
///
/// `nb` is registered with `register_pm_notifier()` until `drop`, with
/// [`Self::notifier_call`] as its callback.
#[pin_data(PinnedDrop)]
pub struct SleepNotifier<T: SleepListener> {
    listener: Arc<T>,
    #[pin]
    nb: Opaque<bindings::notifier_block>,
    _listener: PhantomData<T>,
}

// SAFETY: The notifier may be unregistered from any thread; it only holds an `Arc<T>` with
// `T: Send + Sync`.
unsafe impl<T: SleepListener> Send for SleepNotifier<T> {}

// SAFETY: `&SleepNotifier` gives access to nothing; the chain calls the listener (which is
// `Sync`) from any thread.
unsafe impl<T: SleepListener> Sync for SleepNotifier<T> {}

impl<T: SleepListener> SleepNotifier<T> {
    /// Registers `listener` on the PM notifier chain. It can be called before this returns.
    pub fn register(listener: Arc<T>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            listener,
            nb <- Opaque::try_ffi_init(|slot: *mut bindings::notifier_block| {
                // SAFETY: `slot` is valid for writes; a zeroed `struct notifier_block` is an
                // unlinked one (no next, priority 0), completed by the callback set below.
                unsafe {
                    slot.write(core::mem::zeroed());
                    (*slot).notifier_call = Some(Self::notifier_call);
                }
                // SAFETY: `slot` is a filled-in `struct notifier_block` in pinned memory that
                // stays valid until `drop` unregisters it; `listener` is initialised before it
                // (field order), so the callback finds it.
                to_result(unsafe { bindings::bes2600_helper_register_pm_notifier(slot) })
            }),
            _listener: PhantomData,
        })
    }

    /// # Safety
    ///
    /// `nb` must be the `nb` of a registered `SleepNotifier<T>`, passed by the notifier chain.
    unsafe extern "C" fn notifier_call(
        nb: *mut bindings::notifier_block,
        action: c_ulong,
        _data: *mut c_void,
    ) -> c_int {
        let this: *const Self = kernel::container_of!(nb.cast::<Opaque<_>>(), Self, nb);
        // SAFETY: `nb` is the `nb` field of a `SleepNotifier<T>` (`Opaque` is transparent),
        // which stays valid while it is registered, and the chain calls registered blocks only.
        // `listener` is initialised before `nb` is registered (field order in `register`), so
        // even a call that comes while `register` still runs finds it; only that field is read.
        let listener = unsafe { &*core::ptr::addr_of!((*this).listener) };
        match SleepPhase::from_action(action) {
            Some(SleepPhase::Prepare) => match listener.sleep_prepare() {
                Ok(()) => bindings::NOTIFY_DONE as c_int,
                // `notifier_from_errno()`, a static inline.
                Err(e) => {
                    (bindings::NOTIFY_STOP_MASK | bindings::NOTIFY_OK) as c_int - e.to_errno()
                }
            },
            Some(SleepPhase::Finished) => {
                listener.sleep_finished();
                bindings::NOTIFY_DONE as c_int
            }
            None => bindings::NOTIFY_DONE as c_int,
        }
    }
}

#[pinned_drop]
impl<T: SleepListener> PinnedDrop for SleepNotifier<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the block is registered. Unregistering waits for
        // callbacks in progress (the chain is a blocking one, under its rwsem).
        unsafe { bindings::bes2600_helper_unregister_pm_notifier(self.nb.get()) };
    }
}
