// SPDX-License-Identifier: GPL-2.0

//! Socket buffers (`struct sk_buff`) and queues of them.
//!
//! C headers: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h).
//!
//! An [`SkBuff`] owns one linear socket buffer whose data no clone shares, so its bytes can be
//! handed out as ordinary slices. Every operation that would make C panic (`skb_put()` past the
//! tail room, `skb_push()` past the head room, ...) is checked first and fails with an error
//! instead. Handing a buffer to C consumes the [`SkBuff`], so no buffer is freed twice.
//!
//! [`SkbQueue`] is a FIFO that one owner uses without a lock; [`LockedSkbQueue`] carries its
//! own spinlock and may be shared between contexts, softirq included.

use core::ptr::{
    self,
    NonNull, //
};

use kernel::{
    error::to_result,
    prelude::*,
    types::Opaque, //
};

use super::bindings;

/// One socket buffer (`struct sk_buff`), owned.
///
/// Dropping it frees the buffer (`dev_kfree_skb_any()`, valid in any context).
///
/// # Invariants
///
/// `self.0` points to a valid `struct sk_buff` that this object alone owns (no other user
/// holds a reference), that is linear, whose data is not shared with a clone, and that is not
/// on any list.
pub struct SkBuff(NonNull<bindings::sk_buff>);

// SAFETY: An `SkBuff` owns its buffer; socket buffers are not tied to the thread or CPU that
// made them and may be freed from any context.
unsafe impl Send for SkBuff {}

// SAFETY: `&SkBuff` only reads the buffer's bytes and lengths; every mutation takes `&mut`.
unsafe impl Sync for SkBuff {}

impl SkBuff {
    /// Allocates a buffer with room for `len` bytes after `headroom` reserved bytes; the
    /// buffer holds no data yet ([`len`](Self::len) is 0). May sleep (`GFP_KERNEL`).
    pub fn alloc(len: usize, headroom: usize) -> Result<Self> {
        let len = u32::try_from(len).map_err(|_| EINVAL)?;
        let headroom = u32::try_from(headroom).map_err(|_| EINVAL)?;
        // SAFETY: The helper has no preconditions; it returns NULL on failure.
        let skb = unsafe { bindings::bes2600_helper_skb_alloc(len, headroom) };
        // INVARIANT: A new buffer from `__alloc_skb()` is linear, not cloned and only ours.
        Ok(Self(NonNull::new(skb).ok_or(ENOMEM)?))
    }

    /// Takes ownership of `skb`, making it linear and its data private first.
    ///
    /// On failure the buffer is returned as the error, still owned by the caller.
    ///
    /// # Safety
    ///
    /// `skb` is a valid `struct sk_buff` that the caller owns (holds the only reference of) and
    /// that is on no list; ownership passes to the returned object on success.
    pub(crate) unsafe fn from_raw(
        skb: *mut bindings::sk_buff,
    ) -> core::result::Result<Self, *mut bindings::sk_buff> {
        // SAFETY: By the safety requirements `skb` is valid and ours. The helper may reallocate
        // the data area, which is fine: nothing else refers to it.
        if unsafe { bindings::bes2600_helper_skb_make_private(skb) } != 0 {
            return Err(skb);
        }
        // INVARIANT: The helper made it linear and its data private; the caller gave us the
        // only reference, and it is on no list.
        NonNull::new(skb).map(Self).ok_or(skb)
    }

    /// Gives up ownership of the buffer, for C that takes it over.
    pub(crate) fn into_raw(self) -> *mut bindings::sk_buff {
        let skb = self.0.as_ptr();
        core::mem::forget(self);
        skb
    }

    /// The raw buffer, still owned by `self`.
    pub(crate) fn as_raw(&self) -> *mut bindings::sk_buff {
        self.0.as_ptr()
    }

    /// The number of bytes of data.
    pub fn len(&self) -> usize {
        // SAFETY: The buffer is valid (type invariant); it is linear, so its head length is
        // its whole length.
        unsafe { bindings::bes2600_helper_skb_headlen(self.as_raw()) as usize }
    }

    /// Whether the buffer holds no data.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The data.
    pub fn data(&self) -> &[u8] {
        let len = self.len();
        // SAFETY: The buffer is valid and linear, so `data` points to `len` initialised bytes,
        // which only change through `&mut self`.
        unsafe {
            core::slice::from_raw_parts(bindings::bes2600_helper_skb_data(self.as_raw()), len)
        }
    }

    /// The data, writable.
    pub fn data_mut(&mut self) -> &mut [u8] {
        let len = self.len();
        // SAFETY: As in `data`; the data is not shared with a clone (type invariant) and `self`
        // is borrowed mutably, so nothing else reads or writes these bytes meanwhile.
        unsafe {
            core::slice::from_raw_parts_mut(bindings::bes2600_helper_skb_data(self.as_raw()), len)
        }
    }

    /// The free bytes before the data.
    pub fn headroom(&self) -> usize {
        // SAFETY: The buffer is valid.
        unsafe { bindings::bes2600_helper_skb_headroom(self.as_raw()) as usize }
    }

    /// The free bytes after the data.
    pub fn tailroom(&self) -> usize {
        // SAFETY: The buffer is valid.
        unsafe { bindings::bes2600_helper_skb_tailroom(self.as_raw()) as usize }
    }

    /// Appends `n` bytes to the data and returns them (zeroed).
    ///
    /// Fails with `ENOSPC` if the tail room is shorter than `n`, instead of C's panic.
    pub fn put(&mut self, n: usize) -> Result<&mut [u8]> {
        if n > self.tailroom() {
            return Err(ENOSPC);
        }
        let n32 = u32::try_from(n).map_err(|_| EINVAL)?;
        // SAFETY: The buffer is valid, linear and ours, and has `n` bytes of tail room, so
        // `skb_put()` neither panics nor reallocates; it returns the start of the new bytes.
        let start = unsafe { bindings::skb_put(self.as_raw(), n32) }.cast::<u8>();
        // SAFETY: `start` points to `n` bytes inside the buffer that nothing else refers to.
        // They may hold stale bytes of an earlier use, so zero them before handing them out.
        unsafe {
            ptr::write_bytes(start, 0, n);
            Ok(core::slice::from_raw_parts_mut(start, n))
        }
    }

    /// Prepends `n` bytes to the data and returns them (zeroed).
    ///
    /// Fails with `ENOSPC` if the head room is shorter than `n`, instead of C's panic.
    pub fn push(&mut self, n: usize) -> Result<&mut [u8]> {
        if n > self.headroom() {
            return Err(ENOSPC);
        }
        let n32 = u32::try_from(n).map_err(|_| EINVAL)?;
        // SAFETY: The buffer is valid and has `n` bytes of head room, so `skb_push()` does not
        // panic; it returns the new start of the data.
        let start = unsafe { bindings::skb_push(self.as_raw(), n32) }.cast::<u8>();
        // SAFETY: `start` points to the `n` new bytes at the front of the data, ours alone.
        unsafe {
            ptr::write_bytes(start, 0, n);
            Ok(core::slice::from_raw_parts_mut(start, n))
        }
    }

    /// Removes `n` bytes from the front of the data. Fails with `EINVAL` if there are fewer.
    pub fn pull(&mut self, n: usize) -> Result {
        if n > self.len() {
            return Err(EINVAL);
        }
        let n32 = u32::try_from(n).map_err(|_| EINVAL)?;
        // SAFETY: The buffer is valid and linear with at least `n` bytes of data.
        unsafe { bindings::skb_pull(self.as_raw(), n32) };
        Ok(())
    }

    /// Shortens the data to `len` bytes; does nothing if it is not longer.
    pub fn trim(&mut self, len: usize) {
        if len >= self.len() {
            return;
        }
        // `len` is below the current length, which fits a `u32`.
        let len = len as u32;
        // SAFETY: The buffer is valid and linear, as `skb_trim()` requires.
        unsafe { bindings::skb_trim(self.as_raw(), len) };
    }

    /// Makes sure there are at least `headroom` bytes of head room, reallocating the buffer's
    /// data area if needed (`pskb_expand_head()`, `GFP_ATOMIC` so that any context may call it).
    pub fn expand_head(&mut self, headroom: usize) -> Result {
        let have = self.headroom();
        if headroom <= have {
            return Ok(());
        }
        let more = i32::try_from(headroom - have).map_err(|_| EINVAL)?;
        // SAFETY: The buffer is valid and not shared (type invariant), as `pskb_expand_head()`
        // requires. On success the data moved; `self` holds no pointer into it.
        to_result(unsafe {
            bindings::pskb_expand_head(self.as_raw(), more, 0, kernel::bindings::GFP_ATOMIC)
        })
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        // SAFETY: The buffer is valid and ours (type invariant); nothing uses it afterwards.
        unsafe { bindings::bes2600_helper_skb_free(self.as_raw()) };
    }
}

/// A FIFO of [`SkBuff`]s for a single owner: no lock, and moving it is free.
///
/// The buffers are linked through their own `next` pointers; nothing is allocated.
///
/// # Invariants
///
/// `head` is the first of `len` buffers linked through `next`, the last one being `tail` with a
/// null `next`; `head` and `tail` are null when `len` is 0. Each buffer satisfies the invariants
/// of [`SkBuff`] except that it is on this list, and the queue owns it.
pub struct SkbQueue {
    head: *mut bindings::sk_buff,
    tail: *mut bindings::sk_buff,
    len: usize,
}

// SAFETY: The queue owns its buffers, which may be used and freed from any thread.
unsafe impl Send for SkbQueue {}

// SAFETY: `&SkbQueue` only reads the length.
unsafe impl Sync for SkbQueue {}

impl Default for SkbQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl SkbQueue {
    /// An empty queue.
    pub const fn new() -> Self {
        Self {
            head: ptr::null_mut(),
            tail: ptr::null_mut(),
            len: 0,
        }
    }

    /// Appends `skb` at the back.
    pub fn push_back(&mut self, skb: SkBuff) {
        let raw = skb.into_raw();
        // SAFETY: `raw` is a valid buffer we now own; it was on no list, so its link is ours.
        unsafe { bindings::bes2600_helper_skb_set_next(raw, ptr::null_mut()) };
        if self.tail.is_null() {
            self.head = raw;
        } else {
            // SAFETY: `tail` is the last buffer of the queue (type invariant), owned by it.
            unsafe { bindings::bes2600_helper_skb_set_next(self.tail, raw) };
        }
        // INVARIANT: `raw` is linked after the old tail with a null `next`.
        self.tail = raw;
        self.len += 1;
    }

    /// Removes and returns the front buffer, if any.
    pub fn pop_front(&mut self) -> Option<SkBuff> {
        let raw = NonNull::new(self.head)?;
        // SAFETY: `head` is a buffer of the queue (type invariant).
        let next = unsafe { bindings::bes2600_helper_skb_next(raw.as_ptr()) };
        // SAFETY: As above; it leaves the list, so its link goes back to null.
        unsafe { bindings::bes2600_helper_skb_set_next(raw.as_ptr(), ptr::null_mut()) };
        // INVARIANT: The rest of the chain starts at `next`.
        self.head = next;
        if next.is_null() {
            self.tail = ptr::null_mut();
        }
        self.len -= 1;
        // INVARIANT: The buffer satisfied `SkBuff`'s invariants except being on the list.
        Some(SkBuff(raw))
    }

    /// The number of buffers queued.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the queue is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Hands the whole chain to C: the first buffer, the rest linked through `next`, null when
    /// the queue was empty. The queue is empty afterwards and the caller owns the chain.
    pub(crate) fn take_chain(&mut self) -> *mut bindings::sk_buff {
        let head = self.head;
        // Not `*self = Self::new()`: that would drop (free) the chain being handed over.
        self.head = ptr::null_mut();
        self.tail = ptr::null_mut();
        self.len = 0;
        head
    }
}

impl Drop for SkbQueue {
    fn drop(&mut self) {
        while self.pop_front().is_some() {}
    }
}

/// A FIFO of [`SkBuff`]s with its own spinlock (`struct sk_buff_head` with `skb_queue_tail()`
/// and `skb_dequeue()`), usable from any context, softirq and hard interrupt included.
///
/// # Invariants
///
/// `head` is an initialised `struct sk_buff_head` whose buffers satisfy the invariants of
/// [`SkBuff`] except being on this list, owned by the queue.
#[pin_data(PinnedDrop)]
pub struct LockedSkbQueue {
    // The list head points to itself, so it cannot move (`Opaque` is `!Unpin`).
    #[pin]
    head: Opaque<bindings::sk_buff_head>,
}

// SAFETY: The queue owns its buffers, which may be used from any thread.
unsafe impl Send for LockedSkbQueue {}

// SAFETY: Every operation through `&LockedSkbQueue` takes the queue's spinlock (or reads the
// length with `READ_ONCE()`).
unsafe impl Sync for LockedSkbQueue {}

impl LockedSkbQueue {
    /// An empty queue.
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `skb_queue_head_init()` initialises the list head and its lock in place.
            head <- Opaque::ffi_init(|slot: *mut bindings::sk_buff_head| unsafe {
                bindings::bes2600_helper_skb_queue_head_init(slot)
            }),
        })
    }

    /// Appends `skb` at the back.
    pub fn push_back(&self, skb: SkBuff) {
        // SAFETY: The list head is initialised (type invariant); the queue takes over `skb`,
        // which is on no list.
        unsafe { bindings::skb_queue_tail(self.head.get(), skb.into_raw()) };
    }

    /// Removes and returns the front buffer, if any.
    pub fn pop_front(&self) -> Option<SkBuff> {
        // SAFETY: The list head is initialised.
        let raw = unsafe { bindings::skb_dequeue(self.head.get()) };
        // INVARIANT: `skb_dequeue()` unlinked the buffer, which met `SkBuff`'s invariants
        // when it was queued; it is ours now.
        NonNull::new(raw).map(SkBuff)
    }

    /// The number of buffers queued (a snapshot).
    pub fn len(&self) -> usize {
        // SAFETY: The list head is initialised; the length is read with `READ_ONCE()`.
        unsafe { bindings::bes2600_helper_skb_queue_len(self.head.get()) as usize }
    }

    /// Whether the queue is empty (a snapshot).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frees every queued buffer.
    pub fn purge(&self) {
        // SAFETY: The list head is initialised; `skb_queue_purge()` takes the lock.
        unsafe { bindings::bes2600_helper_skb_queue_purge(self.head.get()) };
    }
}

#[pinned_drop]
impl PinnedDrop for LockedSkbQueue {
    fn drop(self: Pin<&mut Self>) {
        self.purge();
    }
}
