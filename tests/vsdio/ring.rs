// SPDX-License-Identifier: GPL-2.0

//! A bounded FIFO whose storage is allocated once, so pushing never allocates (the queues are
//! filled from the request path, where an allocation failure must not lose ordering).

use kernel::prelude::*;

/// A first-in first-out queue of at most `capacity` items.
pub(crate) struct Ring<T> {
    slots: KVVec<Option<T>>,
    head: usize,
    len: usize,
}

impl<T> Ring<T> {
    /// An empty queue holding at most `capacity` (at least 1) items.
    pub(crate) fn new(capacity: usize) -> Result<Self> {
        let capacity = capacity.max(1);
        let mut slots = KVVec::with_capacity(capacity, GFP_KERNEL)?;
        for _ in 0..capacity {
            slots.push(None, GFP_KERNEL)?;
        }
        Ok(Self {
            slots,
            head: 0,
            len: 0,
        })
    }

    /// Most items the queue holds.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Items queued.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `item`, or gives it back when the queue is full.
    pub(crate) fn push(&mut self, item: T) -> Result<(), T> {
        if self.len == self.capacity() {
            return Err(item);
        }
        let tail = (self.head + self.len) % self.capacity();
        self.slots[tail] = Some(item);
        self.len += 1;
        Ok(())
    }

    /// The oldest item.
    pub(crate) fn front(&self) -> Option<&T> {
        if self.is_empty() {
            None
        } else {
            self.slots[self.head].as_ref()
        }
    }

    /// Removes and returns the oldest item.
    pub(crate) fn pop(&mut self) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let item = self.slots[self.head].take();
        self.head = (self.head + 1) % self.capacity();
        self.len -= 1;
        item
    }

    /// Drops every item.
    pub(crate) fn clear(&mut self) {
        while self.pop().is_some() {}
        self.head = 0;
    }
}
