// SPDX-License-Identifier: GPL-2.0

//! Kernel threads.
//!
//! C header: [`include/linux/kthread.h`](srctree/include/linux/kthread.h).
//!
//! [`Thread::spawn`] starts a named kernel thread that runs a closure. The closure owns what it
//! captures (it is `Send + 'static`), so the thread borrows nothing from its creator; the
//! [`Thread`] handle stops and joins the thread when it is dropped, or explicitly with
//! [`Thread::stop`], which returns the closure's value. The closure always runs, even when the
//! handle is stopped right after the spawn: it sees [`Context::should_stop`] and returns.
//!
//! The thread sleeps in [`Context::wait`] or [`Context::wait_timeout`] until a [`Waker`] wakes
//! it, the timeout passes or the thread is asked to stop. A [`Waker`] is a cheap, cloneable handle
//! that may be used from any context, an interrupt handler included. Wake-ups are never lost and
//! they coalesce: a wake that arrives while the thread runs makes its next wait return at once,
//! and any number of wakes before that wait make it return once. This is the shape of a driver's
//! bottom half: the interrupt handler only calls [`Waker::wake`], the thread does the work.
//!
//! A handler that has no per-device data to keep a [`Waker`] in (a `static` callback) can reach
//! the thread through a [`WakerSlot`], which can be a `static`.
//!
//! # Examples
//!
//! ```
//! use kernel::sync::{atomic::{Atomic, Relaxed}, Arc};
//! use kernel::time::Delta;
//! use crate::kernel_ext::kthread::{Thread, WaitResult};
//!
//! let work = Arc::new(Atomic::new(0u32), GFP_KERNEL)?;
//! let seen = work.clone();
//! let thread = Thread::spawn(fmt!("example"), move |ctx| {
//!     let mut passes = 0u32;
//!     loop {
//!         match ctx.wait_timeout(Delta::from_secs(1)) {
//!             WaitResult::Stop => return passes,
//!             WaitResult::Woken | WaitResult::Timeout => {
//!                 seen.xchg(0, Relaxed);
//!                 passes += 1;
//!             }
//!         }
//!     }
//! })?;
//! work.store(1, Relaxed);
//! thread.wake();
//! let passes = thread.stop();
//! # Ok::<(), Error>(())
//! ```

use core::{
    cell::UnsafeCell,
    fmt,
    ptr, //
};

use kernel::{
    bindings as kbindings,
    error::{
        from_err_ptr,
        from_result, //
    },
    ffi::{
        c_int,
        c_long,
        c_void, //
    },
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Acquire,
            Atomic,
            Full, //
        },
        rcu,
        Arc,
        Completion,
        UniqueArc, //
    },
    task::{
        Task,
        MAX_SCHEDULE_TIMEOUT, //
    },
    time::{
        msecs_to_jiffies,
        Delta, //
    },
    types::NotThreadSafe,
};

use super::bindings;

/// Why a wait of the thread returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitResult {
    /// A [`Waker`] woke the thread (once for any number of wakes since the previous wait).
    Woken,
    /// The timeout passed without a wake.
    Timeout,
    /// The owner stops the thread: the closure should return. Takes precedence over a wake.
    Stop,
}

/// The wake state shared by the thread and its wakers.
///
/// # Invariants
///
/// `task` is the thread this state belongs to; this value holds a reference to it.
struct WakeState {
    /// A wake arrived that the thread has not consumed yet.
    pending: Atomic<bool>,
    /// The thread, for `wake_up_process()`.
    task: ARef<Task>,
}

impl WakeState {
    fn wake(&self) {
        // Only the wake that raises the flag needs to wake the thread: a wake that finds it
        // raised is covered by the earlier one, whose `wake_up_process()` follows its exchange
        // and finds the thread either running (it will see the flag in its next wait) or
        // asleep (and wakes it). The full ordering of the exchange makes everything the caller
        // wrote before the wake visible to the thread once it consumes the flag.
        if !self.pending.xchg(true, Full) {
            // `wake_up_process()` executes a full barrier before it reads the thread's state,
            // and the thread sets its state with a full barrier before it reads the flag: either
            // the thread sees the flag or this call sees it sleeping and wakes it.
            self.task.wake_up();
        }
    }
}

/// A handle that wakes a [`Thread`]; cloneable, usable from any context (interrupt handlers
/// included), and valid after the thread has exited (waking it then does nothing).
#[derive(Clone)]
pub struct Waker(Arc<WakeState>);

impl Waker {
    /// Wakes the thread: its current or next [`Context::wait`] returns [`WaitResult::Woken`].
    ///
    /// Never sleeps. Wakes coalesce: many before one wait make that wait return once.
    pub fn wake(&self) {
        self.0.wake();
    }
}

/// What the thread's closure gets: its waits and its stop request.
///
/// It exists only inside the thread and cannot leave it (it is neither `Send` nor `Sync`), so
/// only the thread itself can wait on its wake-ups.
pub struct Context<'a> {
    wake: &'a Arc<WakeState>,
    _not_send: NotThreadSafe,
}

impl Context<'_> {
    /// Whether the owner asked the thread to stop ([`Thread::stop`] or the handle's drop).
    pub fn should_stop(&self) -> bool {
        // SAFETY: `Context` exists only on the kthread created by `Thread::spawn` (it is created
        // in `run` and is not `Send`), so `current` is a kthread, as `kthread_should_stop()`
        // requires.
        unsafe { kbindings::kthread_should_stop() }
    }

    /// A [`Waker`] of this thread, for instance to hand to something the thread sets up.
    pub fn waker(&self) -> Waker {
        Waker(self.wake.clone())
    }

    /// Sleeps until a wake or a stop request, whichever comes first; returns at once if one
    /// is already pending.
    pub fn wait(&self) -> WaitResult {
        self.wait_jiffies(MAX_SCHEDULE_TIMEOUT)
    }

    /// Like [`Context::wait`], for at most `timeout` (rounded up to whole jiffies).
    pub fn wait_timeout(&self, timeout: Delta) -> WaitResult {
        let ms = u32::try_from(timeout.as_millis_ceil().max(0)).unwrap_or(u32::MAX);
        let jiffies = c_long::try_from(msecs_to_jiffies(ms)).unwrap_or(MAX_SCHEDULE_TIMEOUT);
        self.wait_jiffies(jiffies)
    }

    /// The wait: the classic `set_current_state()` / check / `schedule_timeout()` sequence.
    fn wait_jiffies(&self, mut left: c_long) -> WaitResult {
        loop {
            // SAFETY: Changes only the state of the current task, which is this kthread; it
            // runs again when woken or when `schedule_timeout()` returns.
            unsafe { bindings::bes2600_helper_set_current_state(kbindings::TASK_INTERRUPTIBLE) };
            // The state is set (with a full barrier) before the checks: a stop request or a wake
            // that comes after a check finds the thread in TASK_INTERRUPTIBLE and wakes it, so
            // `schedule_timeout()` returns at once instead of sleeping through it.
            let result = if self.should_stop() {
                Some(WaitResult::Stop)
            } else if self.wake.pending.xchg(false, Full) {
                Some(WaitResult::Woken)
            } else if left <= 0 {
                Some(WaitResult::Timeout)
            } else {
                None
            };
            if let Some(result) = result {
                // SAFETY: As above; back to running without sleeping.
                unsafe { bindings::bes2600_helper___set_current_state(kbindings::TASK_RUNNING) };
                return result;
            }
            // SAFETY: Switches to another thread until woken or for at most `left` jiffies
            // (`MAX_SCHEDULE_TIMEOUT`: no limit); any value is valid. It returns in TASK_RUNNING
            // with the jiffies that are left.
            left = unsafe { kbindings::schedule_timeout(left) };
            // A spurious wake-up (not from a `Waker` or a stop request) loops with the time
            // that is left.
        }
    }
}

/// The result slot shared by the handle and the thread.
#[pin_data]
struct Packet<R> {
    /// Completed when the thread has entered the closure; [`Thread::stop`] waits for it, so
    /// the stop request never comes before the closure runs.
    #[pin]
    started: Completion,
    /// The closure's value, written by the thread just before it returns.
    result: UnsafeCell<Option<R>>,
}

/// What [`Thread::spawn`] hands to the new thread, through the `data` pointer of
/// `kthread_create_on_node()`.
struct Start<F, R> {
    f: F,
    packet: *const Packet<R>,
    /// Filled in by `spawn` after the thread is created and before it is woken.
    wake: Option<Arc<WakeState>>,
}

/// A running kernel thread; dropping it stops and joins the thread.
///
/// The thread itself must not drop its own handle (nor call [`Thread::stop`] on it): like
/// `kthread_stop()` on oneself, that would wait forever.
///
/// # Invariants
///
/// While `task` is `Some`, it is a kthread created by [`Thread::spawn`] that runs (or ran)
/// [`run`] with a [`Start`] pointing at `packet`, and this value holds the reference to it that
/// `kthread_stop_put()` drops. `wake` belongs to the same thread.
pub struct Thread<R: Send + 'static> {
    packet: Pin<KBox<Packet<R>>>,
    task: Option<ARef<Task>>,
    wake: Arc<WakeState>,
}

// SAFETY: Through `&Thread` only the wake state is reachable (it is `Sync`); the result slot is
// written by the thread and read through `&mut self` after the thread has exited.
unsafe impl<R: Send + 'static> Sync for Thread<R> {}

impl<R: Send + 'static> Thread<R> {
    /// Starts a kernel thread named `name` (shown truncated to 15 bytes by `ps`) that runs `f`.
    ///
    /// May sleep. `f` always runs, and runs to its end: the thread asks it to stop (through
    /// [`Context::should_stop`] and the waits) when the handle is stopped or dropped.
    pub fn spawn<F>(name: fmt::Arguments<'_>, f: F) -> Result<Self>
    where
        F: FnOnce(&Context<'_>) -> R + Send + 'static,
    {
        let packet = KBox::pin_init(
            pin_init!(Packet {
                started <- Completion::new(),
                result: UnsafeCell::new(None),
            }),
            GFP_KERNEL,
        )?;
        // Allocated before the thread exists, so nothing can fail once it does.
        let wake_slot = UniqueArc::<WakeState>::new_uninit(GFP_KERNEL)?;
        let start = KBox::into_raw(KBox::new(
            Start {
                f,
                packet: ptr::from_ref(&*packet),
                wake: None,
            },
            GFP_KERNEL,
        )?);

        // SAFETY: `run::<F, R>` has the signature of a thread function and takes a
        // `Start<F, R>` leaked from a `KBox`, which `start` is. The name format `%pA` takes a
        // pointer to a `fmt::Arguments`, which `&name` is, valid for this call (the name is
        // formatted before it returns).
        let task = unsafe {
            kbindings::kthread_create_on_node(
                Some(run::<F, R>),
                start.cast(),
                kbindings::NUMA_NO_NODE,
                c"%pA".as_char_ptr(),
                ptr::from_ref(&name).cast::<c_void>(),
            )
        };
        let task = match from_err_ptr(task) {
            Ok(task) => task,
            Err(err) => {
                // SAFETY: No thread was created (or it exits without calling `run`), so
                // `start` is still ours: it came from `KBox::into_raw` above.
                drop(unsafe { KBox::from_raw(start) });
                return Err(err);
            }
        };
        // SAFETY: `kthread_create_on_node()` returned a valid task, which cannot exit before it
        // is woken (it sleeps uninterruptibly until then). `Task` is a transparent wrapper of
        // `struct task_struct`; `ARef::from` takes a reference of our own.
        let task: ARef<Task> = ARef::from(unsafe { &*task.cast::<Task>() });
        let wake: Arc<WakeState> = wake_slot
            .write(WakeState {
                pending: Atomic::new(false),
                task: task.clone(),
            })
            .into();
        // SAFETY: The thread has not been woken, so it has not called `run` and nothing reads
        // `*start` yet: we still have exclusive access to it.
        unsafe { (*start).wake = Some(wake.clone()) };
        task.wake_up();
        // INVARIANT: `task` runs `run` with `start`, which points at `packet`; we hold a
        // reference to it, and `wake` is its wake state.
        Ok(Self {
            packet,
            task: Some(task),
            wake,
        })
    }

    /// A [`Waker`] of the thread.
    pub fn waker(&self) -> Waker {
        Waker(self.wake.clone())
    }

    /// Wakes the thread, as [`Waker::wake`] does.
    pub fn wake(&self) {
        self.wake.wake();
    }

    /// Asks the thread to stop, waits until it has returned and gives back the closure's value.
    ///
    /// May sleep (as long as the closure takes to return). `None` only if the closure did not
    /// return (it oopsed).
    pub fn stop(mut self) -> Option<R> {
        self.join()
    }

    /// Stops and joins the thread once; `None` after the first call.
    fn join(&mut self) -> Option<R> {
        let task = self.task.take()?;
        // Wait until the thread is inside `run`: a stop requested before that would make the
        // kthread exit without calling `run`, and the closure would never run.
        self.packet.started.wait_for_completion();
        let task = ARef::into_raw(task);
        // SAFETY: By the type invariant `task` is a kthread created with
        // `kthread_create_on_node()` and this is the reference `kthread_stop_put()` drops.
        // The thread function never calls `kthread_exit()` itself.
        unsafe { kbindings::kthread_stop_put(task.as_ptr().cast()) };
        // SAFETY: `kthread_stop_put()` returned after the thread exited, so `run` has returned
        // and no longer touches the packet; the completion the exit signals orders the thread's
        // write of the result before this read. `&mut self` excludes another join.
        unsafe { (*self.packet.result.get()).take() }
    }
}

impl<R: Send + 'static> Drop for Thread<R> {
    fn drop(&mut self) {
        // The packet is freed after this returns: the thread must have exited by then.
        drop(self.join());
    }
}

/// The thread function of every [`Thread`].
///
/// # Safety
///
/// `data` must be a `Start<F, R>` leaked from a `KBox` and given to this thread only, whose
/// `packet` stays valid until the thread has exited and whose `wake` is set.
unsafe extern "C" fn run<F, R>(data: *mut c_void) -> c_int
where
    F: FnOnce(&Context<'_>) -> R + Send + 'static,
    R: Send + 'static,
{
    // SAFETY: By the safety requirements `data` is a leaked `KBox<Start<F, R>>` that only this
    // call takes back.
    let start = KBox::into_inner(unsafe { KBox::from_raw(data.cast::<Start<F, R>>()) });
    // SAFETY: By the safety requirements the packet outlives the thread: the owner frees it
    // only after `kthread_stop_put()` returned, and never if the handle is leaked.
    let packet = unsafe { &*start.packet };
    packet.started.complete_all();
    from_result(|| {
        let wake = start.wake.ok_or(EINVAL)?;
        let ctx = Context {
            wake: &wake,
            _not_send: NotThreadSafe,
        };
        let value = (start.f)(&ctx);
        // SAFETY: The owner reads the slot only after this thread has exited, and no other
        // code writes it: we have exclusive access.
        unsafe { *packet.result.get() = Some(value) };
        Ok(0)
    })
}

/// A place for a [`Waker`] that a `static` interrupt handler can reach.
///
/// The owner fills it with [`WakerSlot::set`] and empties it the same way; [`WakerSlot::wake`]
/// wakes the thread it holds, if any, from any context.
///
/// # Invariants
///
/// `waker` is null or comes from `Arc::into_raw` of a `WakeState` this slot owns. A pointer
/// replaced in `waker` is released only after an RCU grace period, so a reader inside an RCU
/// read-side critical section may use the pointer it loaded until the section ends.
pub struct WakerSlot {
    waker: Atomic<*const WakeState>,
}

impl WakerSlot {
    /// An empty slot.
    pub const fn new() -> Self {
        // INVARIANT: Null.
        Self {
            waker: Atomic::new(ptr::null()),
        }
    }

    /// Puts `waker` in the slot (or empties it with `None`), releasing the previous one.
    ///
    /// May sleep (it waits for concurrent [`WakerSlot::wake`] calls to finish with the previous
    /// waker).
    pub fn set(&self, waker: Option<Waker>) {
        let new = waker.map_or(ptr::null(), |w| Arc::into_raw(w.0));
        // INVARIANT: `new` is null or an `Arc` we own.
        let old = self.waker.xchg(new, Full);
        if !old.is_null() {
            rcu::synchronize_rcu();
            // SAFETY: `old` came from `Arc::into_raw` (type invariant) and is no longer in the
            // slot; after the grace period no reader still uses it.
            drop(unsafe { Arc::from_raw(old) });
        }
    }

    /// Wakes the thread whose waker is in the slot; does nothing if it is empty. Never sleeps.
    pub fn wake(&self) {
        let _guard = rcu::read_lock();
        let waker = self.waker.load(Acquire);
        if !waker.is_null() {
            // SAFETY: By the type invariant the pointer stays valid until the RCU read-side
            // critical section `_guard` holds ends.
            unsafe { (*waker).wake() };
        }
    }
}

impl Default for WakerSlot {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for WakerSlot {
    fn drop(&mut self) {
        let waker = *self.waker.get_mut();
        if !waker.is_null() {
            // SAFETY: `&mut self`: no reader exists; the pointer is an `Arc` the slot owns.
            drop(unsafe { Arc::from_raw(waker) });
        }
    }
}
