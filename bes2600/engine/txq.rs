// SPDX-License-Identifier: GPL-2.0

//! The driver's TX queues (docs/chip-protocol.md, "TX queues", "Queues and EDCA"): one per
//! access category, each a fixed pool of slots, owned by the BH thread.
//!
//! A frame is *queued* by [`TxQueues::push`], which hands out its [`PacketId`] ("TX queues":
//! slot index, slot generation, queue, interface, link, queue generation). The BH picks the
//! next frame with [`TxQueues::next_to_send`] (the AC with the best EDCA score, oldest frame
//! first), copies it into a TX batch and marks it *pending* with [`TxQueues::mark_sent`]; the
//! chip's TX confirm gives it back through [`TxQueues::confirm`], or sends it to the front of
//! its queue again with [`TxQueues::requeue`]. [`TxQueues::expire`] drops frames that waited
//! longer than their AC's lifetime and [`TxQueues::drain`] hands back everything (stop, reset).
//!
//! Every frame pushed comes back exactly once: from `confirm`, `remove`, `expire`,
//! `drain` or `drain_where`. The packet id of a TX confirm is chip input: an id whose
//! queue, slot, generation, interface or link does not match a pending frame is an error
//! ([`TxqError`]), never a panic — a slot's generation changes whenever its frame leaves
//! or is requeued, and a queue's generation whenever it is drained, so a late or
//! duplicate confirm cannot hit a frame that reused the slot (up to the 8-bit wrap).
//!
//! The pool lives in caller-provided storage ([`TxQueues::new`]): four times the per-AC
//! capacity of [`Slot`]s, e.g. a kernel `KVec` filled with [`Slot::new`] — so that the
//! about 20 KiB of a 4 × 128 pool are never built on the kernel stack. Nothing here
//! allocates.
//!
//! mac80211 flow control ("TX queues"): [`TxQueues::flow_update`] says when an AC's mac80211
//! queue must be stopped (occupancy, queued + pending, reached [`Thresholds::stop`]) and
//! when it may be woken again (down to [`Thresholds::wake`]).

use core::{
    fmt,
    marker::PhantomData,
    ops::DerefMut, //
};

use crate::protocol::{
    msg::tx::{
        queue,
        PacketId, //
    },
    wsm_header::MAX_VIFS,
};

/// Number of access categories.
pub const NUM_ACS: usize = 4;

/// The vendor's pool size per AC (`CW12XX_MAX_QUEUE_SZ`).
pub const DEFAULT_CAPACITY: usize = 128;

/// Largest pool per AC: the packet id's slot field has 8 bits.
pub const MAX_CAPACITY: usize = 256;

/// Link ids a packet id can carry (4 bits).
pub const MAX_LINKS: usize = 16;

/// An access category, in mac80211's order (the driver's queue index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ac {
    /// Voice (mac80211 queue 0).
    Vo = 0,
    /// Video (1).
    Vi = 1,
    /// Best effort (2).
    Be = 2,
    /// Background (3).
    Bk = 3,
}

impl Ac {
    /// All ACs in mac80211 order.
    pub const ALL: [Ac; NUM_ACS] = [Ac::Vo, Ac::Vi, Ac::Be, Ac::Bk];

    /// The mac80211 queue index 0..=3.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The AC of a mac80211 queue index.
    pub const fn from_index(i: u8) -> Option<Ac> {
        match i {
            0 => Some(Ac::Vo),
            1 => Some(Ac::Vi),
            2 => Some(Ac::Be),
            3 => Some(Ac::Bk),
            _ => None,
        }
    }

    /// The WSM queue id (VO 3, VI 2, BE 0, BK 1) for the TX request.
    pub const fn wsm_queue(self) -> u8 {
        match self {
            Ac::Vo => queue::VOICE,
            Ac::Vi => queue::VIDEO,
            Ac::Be => queue::BEST_EFFORT,
            Ac::Bk => queue::BACKGROUND,
        }
    }

    /// The vendor's lifetime of a queued frame (VO 1 s, VI 2 s, BE 5 s, BK 10 s).
    pub const fn default_ttl_us(self) -> u64 {
        match self {
            Ac::Vo => 1_000_000,
            Ac::Vi => 2_000_000,
            Ac::Be => 5_000_000,
            Ac::Bk => 10_000_000,
        }
    }

    /// The default EDCA parameters (docs/chip-protocol.md, "Queues and EDCA").
    pub const fn default_edca(self) -> Edca {
        match self {
            Ac::Vo => Edca::new(2, 3, 7),
            Ac::Vi => Edca::new(2, 7, 15),
            Ac::Be => Edca::new(3, 15, 1023),
            Ac::Bk => Edca::new(7, 15, 1023),
        }
    }
}

/// The vendor's per-AC lifetimes, indexed by [`Ac::index`], for [`TxQueues::expire`].
pub const DEFAULT_TTL_US: [u64; NUM_ACS] = [
    Ac::Vo.default_ttl_us(),
    Ac::Vi.default_ttl_us(),
    Ac::Be.default_ttl_us(),
    Ac::Bk.default_ttl_us(),
];

/// How long a frame may wait for its TX confirm once sent: the pass's buffer watchdog
/// ([`super::pass::DEFAULT_CONFIRM_TIMEOUT_US`]) plus margin for a slow air. The vendor's
/// own monitor gives a frame far less; a lost confirm only has to be found, not raced.
pub const PENDING_DEADLINE_US: u64 = super::pass::DEFAULT_CONFIRM_TIMEOUT_US + 2_000_000;

/// EDCA parameters of an AC, as far as dequeuing uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edca {
    /// AIFSN.
    pub aifs: u8,
    /// CWmin.
    pub cw_min: u16,
    /// CWmax.
    pub cw_max: u16,
}

impl Edca {
    /// EDCA parameters.
    pub const fn new(aifs: u8, cw_min: u16, cw_max: u16) -> Self {
        Self {
            aifs,
            cw_min,
            cw_max,
        }
    }
}

/// What the driver keeps with a queued frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TxMeta {
    /// Interface id (below [`MAX_VIFS`]).
    pub if_id: u8,
    /// Link id (below [`MAX_LINKS`]; 0 for STA mode and broadcast).
    pub link_id: u8,
    /// When the frame was queued (µs, the caller's clock), for [`TxQueues::expire`].
    pub queued_at_us: u64,
    /// How often the frame was requeued (counted by [`TxQueues::requeue`]).
    pub requeues: u8,
}

/// Stop/wake thresholds of the mac80211 queues, in frames held by one AC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Stop the AC's mac80211 queue at this occupancy or above.
    pub stop: usize,
    /// Wake it again at this occupancy or below.
    pub wake: usize,
}

impl Thresholds {
    /// The vendor's thresholds (docs/chip-protocol.md, "TX queues"): throttles 15 + 15 (63 + 63
    /// with `ht`), stop at their sum + 2 − (CPUs − 1), wake at half the sum + 2. The stop point is
    /// kept at least one slot per CPU below `capacity`, so a frame mac80211 hands over while the
    /// stop is on its way still fits (the vendor's HT setting leaves no room on one CPU).
    pub fn vendor(ht: bool, cpus: usize, capacity: usize) -> Self {
        let base: usize = if ht { 63 + 63 + 2 } else { 15 + 15 + 2 };
        let cpus = cpus.max(1);
        let stop = base
            .saturating_sub(cpus - 1)
            .min(capacity.saturating_sub(cpus))
            .max(1);
        let wake = (base / 2).min(stop - 1);
        Self { stop, wake }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Self::vendor(false, 1, DEFAULT_CAPACITY)
    }
}

/// Tunables of the queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxqConfig {
    /// EDCA parameters per AC, indexed by [`Ac::index`].
    pub edca: [Edca; NUM_ACS],
    /// Stop/wake thresholds.
    pub thresholds: Thresholds,
    /// Seed of the pseudo-random term of the AC choice (non-zero).
    pub seed: u32,
}

impl Default for TxqConfig {
    fn default() -> Self {
        Self {
            edca: [
                Ac::Vo.default_edca(),
                Ac::Vi.default_edca(),
                Ac::Be.default_edca(),
                Ac::Bk.default_edca(),
            ],
            thresholds: Thresholds::default(),
            seed: 0x2600_BE57,
        }
    }
}

/// A frame [`TxQueues::push`] refused, handed back.
pub struct PushError<F> {
    /// The frame.
    pub frame: F,
    /// Why.
    pub reason: PushRefusal,
}

impl<F> fmt::Debug for PushError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushError")
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

/// Why [`TxQueues::push`] refused a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushRefusal {
    /// The AC's pool is full.
    Full,
    /// Interface id not below [`MAX_VIFS`].
    BadIfId(u8),
    /// Link id not below [`MAX_LINKS`].
    BadLinkId(u8),
}

/// Why an operation on a packet id failed. For ids from a TX confirm these are chip
/// violations or late confirms; log and count them, nothing else changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxqError {
    /// The storage given to [`TxQueues::new`] is not 4 × 1..=256 slots.
    BadStorage(usize),
    /// Queue field above 3.
    BadQueue(u8),
    /// Slot index beyond the pool.
    BadItem(u8),
    /// The queue was drained since the id was handed out.
    StaleQueueGeneration,
    /// The slot is free, or holds another frame (generation, interface or link differs).
    Stale,
    /// The frame is queued, not waiting for a confirm.
    NotPending,
    /// The frame is already pending.
    NotQueued,
}

impl fmt::Display for TxqError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxqError::BadStorage(n) => write!(f, "TX queue storage of {n} slots"),
            TxqError::BadQueue(q) => write!(f, "packet id names queue {q}"),
            TxqError::BadItem(i) => write!(f, "packet id names slot {i} beyond the pool"),
            TxqError::StaleQueueGeneration => write!(f, "packet id of a drained queue"),
            TxqError::Stale => write!(f, "stale or unknown packet id"),
            TxqError::NotPending => write!(f, "frame not sent yet"),
            TxqError::NotQueued => write!(f, "frame already sent"),
        }
    }
}

/// mac80211 queue action from [`TxQueues::flow_update`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Stop the AC's mac80211 queue.
    Stop,
    /// Wake it.
    Wake,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Queued,
    Pending,
}

struct Held<F> {
    frame: F,
    meta: TxMeta,
    state: State,
    /// FIFO position: smaller is earlier; requeued frames go before every other.
    order: u64,
    /// When it went into a TX batch (µs, the caller's clock); meaningful while pending.
    sent_at_us: u64,
}

/// One slot of the pool. Build storage from [`Slot::new`]; the contents are private.
pub struct Slot<F> {
    held: Option<Held<F>>,
    generation: u8,
}

impl<F> Slot<F> {
    /// A free slot.
    pub const fn new() -> Self {
        Self {
            held: None,
            generation: 0,
        }
    }
}

impl<F> Default for Slot<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F> fmt::Debug for Slot<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot")
            .field("state", &self.held.as_ref().map(|h| h.state))
            .field("generation", &self.generation)
            .finish()
    }
}

/// Start of the FIFO order numbers: pushes count up from here, requeues down.
const ORDER_MID: u64 = 1 << 62;

/// The four TX queues over caller-provided slot storage `S`.
pub struct TxQueues<F, S> {
    slots: S,
    cap: usize,
    cfg: TxqConfig,
    queue_gen: [u8; NUM_ACS],
    /// Frames held (queued + pending) per AC.
    held: [usize; NUM_ACS],
    /// Frames pending per AC.
    pending: [usize; NUM_ACS],
    per_if: [usize; MAX_VIFS],
    per_link: [[usize; MAX_LINKS]; MAX_VIFS],
    stopped: [bool; NUM_ACS],
    back: u64,
    front: u64,
    rng: u32,
    _frame: PhantomData<F>,
}

impl<F, S> fmt::Debug for TxQueues<F, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TxQueues")
            .field("capacity", &self.cap)
            .field("held", &self.held)
            .field("pending", &self.pending)
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

fn ac_of(id: PacketId) -> Result<Ac, TxqError> {
    Ac::from_index(id.queue()).ok_or(TxqError::BadQueue(id.queue()))
}

impl<F, S> TxQueues<F, S>
where
    S: DerefMut<Target = [Slot<F>]>,
{
    /// Queues over `storage`: 4 × capacity slots (capacity 1..=256 per AC; the vendor has
    /// [`DEFAULT_CAPACITY`]). Any frame left in the storage is dropped.
    pub fn new(mut storage: S, cfg: TxqConfig) -> Result<Self, TxqError> {
        let len = storage.len();
        let cap = len / NUM_ACS;
        if len % NUM_ACS != 0 || cap == 0 || cap > MAX_CAPACITY {
            return Err(TxqError::BadStorage(len));
        }
        for s in storage.iter_mut() {
            *s = Slot::new();
        }
        Ok(Self {
            slots: storage,
            cap,
            cfg,
            queue_gen: [0; NUM_ACS],
            held: [0; NUM_ACS],
            pending: [0; NUM_ACS],
            per_if: [0; MAX_VIFS],
            per_link: [[0; MAX_LINKS]; MAX_VIFS],
            stopped: [false; NUM_ACS],
            back: ORDER_MID,
            front: ORDER_MID,
            rng: if cfg.seed == 0 { 1 } else { cfg.seed },
            _frame: PhantomData,
        })
    }

    /// Slots per AC.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// The configuration.
    pub fn config(&self) -> &TxqConfig {
        &self.cfg
    }

    /// Sets the EDCA parameters of an AC (mac80211 `conf_tx`).
    pub fn set_edca(&mut self, ac: Ac, edca: Edca) {
        if let Some(e) = self.cfg.edca.get_mut(ac.index()) {
            *e = edca;
        }
    }

    /// Sets the stop/wake thresholds (e.g. [`Thresholds::vendor`] when HT association
    /// changes); [`Self::flow_update`] applies them.
    pub fn set_thresholds(&mut self, t: Thresholds) {
        self.cfg.thresholds = t;
    }

    fn base(&self, ac: Ac) -> usize {
        ac.index() * self.cap
    }

    /// The packet id of slot `item` of `ac` holding a frame of `meta`.
    fn make_id(&self, ac: Ac, item: usize, generation: u8, meta: &TxMeta) -> PacketId {
        PacketId::new(
            // Below the capacity, at most 256.
            u8::try_from(item).unwrap_or(u8::MAX),
            generation,
            // 0..=3.
            ac as u8,
            meta.if_id,
            meta.link_id,
            self.queue_gen.get(ac.index()).copied().unwrap_or(0),
        )
    }

    /// Queues `frame` at the back of `ac`; returns its packet id, or the frame when the
    /// pool is full or the metadata is out of range.
    pub fn push(&mut self, ac: Ac, frame: F, meta: TxMeta) -> Result<PacketId, PushError<F>> {
        let refuse = |frame, reason| Err(PushError { frame, reason });
        if usize::from(meta.if_id) >= MAX_VIFS {
            return refuse(frame, PushRefusal::BadIfId(meta.if_id));
        }
        if usize::from(meta.link_id) >= MAX_LINKS {
            return refuse(frame, PushRefusal::BadLinkId(meta.link_id));
        }
        let base = self.base(ac);
        let free = self
            .slots
            .get(base..base + self.cap)
            .and_then(|pool| pool.iter().position(|s| s.held.is_none()));
        let Some(item) = free else {
            return refuse(frame, PushRefusal::Full);
        };
        let Some(slot) = self.slots.get_mut(base + item) else {
            return refuse(frame, PushRefusal::Full);
        };
        self.back = self.back.saturating_add(1);
        slot.held = Some(Held {
            frame,
            meta,
            state: State::Queued,
            order: self.back,
            sent_at_us: 0,
        });
        let generation = slot.generation;
        self.count(ac, &meta, true);
        Ok(self.make_id(ac, item, generation, &meta))
    }

    fn count(&mut self, ac: Ac, meta: &TxMeta, add: bool) {
        let adj = |v: &mut usize| {
            *v = if add {
                v.saturating_add(1)
            } else {
                v.saturating_sub(1)
            }
        };
        if let Some(v) = self.held.get_mut(ac.index()) {
            adj(v);
        }
        if let Some(v) = self.per_if.get_mut(usize::from(meta.if_id)) {
            adj(v);
        }
        if let Some(v) = self
            .per_link
            .get_mut(usize::from(meta.if_id))
            .and_then(|l| l.get_mut(usize::from(meta.link_id)))
        {
            adj(v);
        }
    }

    fn set_pending_count(&mut self, ac: Ac, add: bool) {
        if let Some(v) = self.pending.get_mut(ac.index()) {
            *v = if add {
                v.saturating_add(1)
            } else {
                v.saturating_sub(1)
            };
        }
    }

    fn next_random(&mut self) -> u32 {
        // xorshift32: cheap, and deterministic for tests.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }

    /// The oldest queued frame of `ac` that `eligible` accepts: its slot index.
    fn oldest(&self, ac: Ac, eligible: &mut impl FnMut(Ac, &TxMeta) -> bool) -> Option<usize> {
        let base = self.base(ac);
        self.slots
            .get(base..base + self.cap)?
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match &s.held {
                Some(h) if h.state == State::Queued && eligible(ac, &h.meta) => Some((i, h.order)),
                _ => None,
            })
            .min_by_key(|&(_, order)| order)
            .map(|(i, _)| i)
    }

    /// The next frame to send: [`Self::next_to_send_where`] with every frame eligible.
    pub fn next_to_send(&mut self) -> Option<(PacketId, &F, &TxMeta)> {
        self.next_to_send_where(|_, _| true)
    }

    /// The next frame to send among those `eligible` accepts (e.g. links not asleep,
    /// interfaces not locked), without taking it: copy it, then [`Self::mark_sent`].
    ///
    /// The AC is chosen as the vendor does (docs/chip-protocol.md, "TX queues"): each AC with an
    /// eligible frame scores ((AIFS + CWmin) << 16) + (CWmax − CWmin) × random16, the lowest wins,
    /// and BK only goes when no other AC has an eligible frame. Within the AC the oldest frame goes
    /// first (a requeued frame before all others). With the default EDCA parameters this is strict
    /// priority VO > VI > BE > BK.
    pub fn next_to_send_where(
        &mut self,
        mut eligible: impl FnMut(Ac, &TxMeta) -> bool,
    ) -> Option<(PacketId, &F, &TxMeta)> {
        let mut best: Option<(u64, Ac, usize)> = None;
        let mut bk: Option<usize> = None;
        for ac in Ac::ALL {
            let Some(item) = self.oldest(ac, &mut eligible) else {
                continue;
            };
            if ac == Ac::Bk {
                bk = Some(item);
                continue;
            }
            let e = self
                .cfg
                .edca
                .get(ac.index())
                .copied()
                .unwrap_or(ac.default_edca());
            let rand = u64::from(self.next_random() & 0xFFFF);
            let spread = u64::from(e.cw_max.saturating_sub(e.cw_min));
            let score = ((u64::from(e.aifs) + u64::from(e.cw_min)) << 16) + spread * rand;
            if best.is_none_or(|(s, _, _)| score < s) {
                best = Some((score, ac, item));
            }
        }
        let (ac, item) = match (best, bk) {
            (Some((_, ac, item)), _) => (ac, item),
            (None, Some(item)) => (Ac::Bk, item),
            (None, None) => return None,
        };
        let slot = self.slots.get(self.base(ac) + item)?;
        let h = slot.held.as_ref()?;
        let id = self.make_id(ac, item, slot.generation, &h.meta);
        Some((id, &h.frame, &h.meta))
    }

    /// The slot an id names, checked against the queue generation, the slot generation
    /// and the frame's interface and link.
    fn lookup(&self, id: PacketId) -> Result<(Ac, usize), TxqError> {
        let ac = ac_of(id)?;
        let item = usize::from(id.item());
        if item >= self.cap {
            return Err(TxqError::BadItem(id.item()));
        }
        if self.queue_gen.get(ac.index()).copied() != Some(id.queue_generation()) {
            return Err(TxqError::StaleQueueGeneration);
        }
        let i = self.base(ac) + item;
        let slot = self.slots.get(i).ok_or(TxqError::BadItem(id.item()))?;
        match &slot.held {
            Some(h)
                if slot.generation == id.item_generation()
                    && h.meta.if_id == id.if_id()
                    && h.meta.link_id == id.link_id() =>
            {
                Ok((ac, i))
            }
            _ => Err(TxqError::Stale),
        }
    }

    /// The frame `id` names (queued or pending).
    pub fn get(&self, id: PacketId) -> Result<(&F, &TxMeta), TxqError> {
        let (_, i) = self.lookup(id)?;
        self.slots
            .get(i)
            .and_then(|s| s.held.as_ref())
            .map(|h| (&h.frame, &h.meta))
            .ok_or(TxqError::Stale)
    }

    /// The frame `id` names, for writing (the driver writes the WSM header, which carries
    /// the packet id, once `push` assigned it).
    pub fn frame_mut(&mut self, id: PacketId) -> Result<&mut F, TxqError> {
        let (_, i) = self.lookup(id)?;
        self.slots
            .get_mut(i)
            .and_then(|s| s.held.as_mut())
            .map(|h| &mut h.frame)
            .ok_or(TxqError::Stale)
    }

    /// The frame went into a TX batch at `now_us`: it waits for its confirm (see
    /// [`TxQueues::confirm_deadline`]).
    pub fn mark_sent(&mut self, id: PacketId, now_us: u64) -> Result<(), TxqError> {
        let (ac, i) = self.lookup(id)?;
        let h = self
            .slots
            .get_mut(i)
            .and_then(|s| s.held.as_mut())
            .ok_or(TxqError::Stale)?;
        if h.state != State::Queued {
            return Err(TxqError::NotQueued);
        }
        h.state = State::Pending;
        h.sent_at_us = now_us;
        self.set_pending_count(ac, true);
        Ok(())
    }

    /// When the oldest pending frame is overdue: [`PENDING_DEADLINE_US`] after it was sent.
    /// The firmware confirms every frame it was given, sent or given up, within its retry
    /// limits; one that stays unconfirmed while later ones are confirmed was lost in the
    /// chip, and its buffer with it (the buffer watchdog of the pass only sees a chip that
    /// confirms nothing). `None` when nothing is pending.
    pub fn confirm_deadline(&self) -> Option<u64> {
        self.slots
            .iter()
            .filter_map(|s| s.held.as_ref())
            .filter(|h| h.state == State::Pending)
            .map(|h| h.sent_at_us)
            .min()
            .map(|t| t.saturating_add(PENDING_DEADLINE_US))
    }

    /// Takes the frame out of slot `i` (any state), bumping the slot generation.
    fn take(&mut self, ac: Ac, i: usize) -> Option<(F, TxMeta)> {
        let slot = self.slots.get_mut(i)?;
        let h = slot.held.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        if h.state == State::Pending {
            self.set_pending_count(ac, false);
        }
        self.count(ac, &h.meta, false);
        Some((h.frame, h.meta))
    }

    /// The chip confirmed the pending frame `id` (sent, or given up): it leaves the queue.
    pub fn confirm(&mut self, id: PacketId) -> Result<(F, TxMeta), TxqError> {
        let (ac, i) = self.lookup(id)?;
        let state = self
            .slots
            .get(i)
            .and_then(|s| s.held.as_ref())
            .map(|h| h.state);
        if state != Some(State::Pending) {
            return Err(TxqError::NotPending);
        }
        self.take(ac, i).ok_or(TxqError::Stale)
    }

    /// The chip gave the pending frame `id` back (requeue status): it goes to the front
    /// of its queue with a new packet id (the slot generation changes) and
    /// [`TxMeta::requeues`] one higher.
    pub fn requeue(&mut self, id: PacketId) -> Result<(), TxqError> {
        let (ac, i) = self.lookup(id)?;
        self.front = self.front.saturating_sub(1);
        let order = self.front;
        let slot = self.slots.get_mut(i).ok_or(TxqError::Stale)?;
        let h = slot.held.as_mut().ok_or(TxqError::Stale)?;
        if h.state != State::Pending {
            return Err(TxqError::NotPending);
        }
        h.state = State::Queued;
        h.order = order;
        h.meta.requeues = h.meta.requeues.saturating_add(1);
        slot.generation = slot.generation.wrapping_add(1);
        self.set_pending_count(ac, false);
        Ok(())
    }

    /// Takes the frame `id` out, queued or pending (a frame the driver diverts or drops).
    /// A confirm arriving later for a pending frame is then [`TxqError::Stale`].
    pub fn remove(&mut self, id: PacketId) -> Result<(F, TxMeta), TxqError> {
        let (ac, i) = self.lookup(id)?;
        self.take(ac, i).ok_or(TxqError::Stale)
    }

    /// Hands every *queued* frame that waited longer than its AC's lifetime
    /// (`ttl_us[ac]`, e.g. [`DEFAULT_TTL_US`]) to `dropped`; pending frames are the
    /// chip's. Returns how many.
    pub fn expire(
        &mut self,
        now_us: u64,
        ttl_us: &[u64; NUM_ACS],
        mut dropped: impl FnMut(Ac, F, TxMeta),
    ) -> usize {
        let mut n = 0;
        for ac in Ac::ALL {
            let ttl = ttl_us.get(ac.index()).copied().unwrap_or(u64::MAX);
            let base = self.base(ac);
            for i in base..base + self.cap {
                let old = self
                    .slots
                    .get(i)
                    .and_then(|s| s.held.as_ref())
                    .is_some_and(|h| {
                        h.state == State::Queued && now_us.saturating_sub(h.meta.queued_at_us) > ttl
                    });
                if old {
                    if let Some((f, m)) = self.take(ac, i) {
                        dropped(ac, f, m);
                        n += 1;
                    }
                }
            }
        }
        n
    }

    /// Hands every frame, queued or pending, to `dropped` and empties the queues (stop,
    /// chip reset). The queue generations change, so no confirm sent before matches.
    /// Returns how many.
    pub fn drain(&mut self, dropped: impl FnMut(Ac, F, TxMeta)) -> usize {
        let n = self.drain_where(|_, _| true, dropped);
        for g in self.queue_gen.iter_mut() {
            *g = g.wrapping_add(1) & 0xF;
        }
        n
    }

    /// Hands every frame (queued or pending) that `select` picks to `dropped`, e.g. those
    /// of an interface being removed. Returns how many.
    pub fn drain_where(
        &mut self,
        mut select: impl FnMut(Ac, &TxMeta) -> bool,
        dropped: impl FnMut(Ac, F, TxMeta),
    ) -> usize {
        self.drain_held(|ac, h| select(ac, &h.meta), dropped)
    }

    /// Hands every frame that is still queued, not yet in a TX batch, to `dropped` (a flush
    /// that drops). The frames the chip holds stay pending until their confirms, which the
    /// chip sends for each: no confirm then finds its frame gone, and mac80211 learns whether
    /// they went out. Returns how many.
    pub fn drain_unsent(&mut self, dropped: impl FnMut(Ac, F, TxMeta)) -> usize {
        self.drain_held(|_, h| h.state == State::Queued, dropped)
    }

    /// Takes every held frame `select` picks out of its slot and hands it to `dropped`.
    fn drain_held(
        &mut self,
        mut select: impl FnMut(Ac, &Held<F>) -> bool,
        mut dropped: impl FnMut(Ac, F, TxMeta),
    ) -> usize {
        let mut n = 0;
        for ac in Ac::ALL {
            let base = self.base(ac);
            for i in base..base + self.cap {
                let pick = self
                    .slots
                    .get(i)
                    .and_then(|s| s.held.as_ref())
                    .is_some_and(|h| select(ac, h));
                if pick {
                    if let Some((f, m)) = self.take(ac, i) {
                        dropped(ac, f, m);
                        n += 1;
                    }
                }
            }
        }
        n
    }

    /// Frames held by `ac`: queued and pending.
    pub fn len(&self, ac: Ac) -> usize {
        self.held.get(ac.index()).copied().unwrap_or(0)
    }

    /// Frames of `ac` waiting for a confirm.
    pub fn pending(&self, ac: Ac) -> usize {
        self.pending.get(ac.index()).copied().unwrap_or(0)
    }

    /// Frames of `ac` waiting to be sent.
    pub fn queued(&self, ac: Ac) -> usize {
        self.len(ac).saturating_sub(self.pending(ac))
    }

    /// Frames held by all ACs.
    pub fn total(&self) -> usize {
        self.held.iter().sum()
    }

    /// Whether no frame is held at all.
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// Whether some frame waits to be sent.
    pub fn has_queued(&self) -> bool {
        Ac::ALL.iter().any(|&ac| self.queued(ac) > 0)
    }

    /// Frames (queued and pending) of interface `if_id`.
    pub fn count_for(&self, if_id: u8) -> usize {
        self.per_if.get(usize::from(if_id)).copied().unwrap_or(0)
    }

    /// Frames (queued and pending) of link `link_id` of interface `if_id`.
    pub fn count_for_link(&self, if_id: u8, link_id: u8) -> usize {
        self.per_link
            .get(usize::from(if_id))
            .and_then(|l| l.get(usize::from(link_id)))
            .copied()
            .unwrap_or(0)
    }

    /// Whether interface `if_id` has no frame queued or pending (flush done).
    pub fn is_empty_for(&self, if_id: u8) -> bool {
        self.count_for(if_id) == 0
    }

    /// Whether `ac` is at or above the stop threshold.
    pub fn should_stop(&self, ac: Ac) -> bool {
        self.len(ac) >= self.cfg.thresholds.stop
    }

    /// Whether `ac` is at or below the wake threshold.
    pub fn should_wake(&self, ac: Ac) -> bool {
        self.len(ac) <= self.cfg.thresholds.wake
    }

    /// Whether `ac`'s mac80211 queue is stopped as far as [`Self::flow_update`] knows.
    pub fn is_stopped(&self, ac: Ac) -> bool {
        self.stopped.get(ac.index()).copied().unwrap_or(false)
    }

    /// The hysteresis: call after pushing to or taking from `ac`; says when to stop or
    /// wake its mac80211 queue (each once per crossing).
    pub fn flow_update(&mut self, ac: Ac) -> Option<Flow> {
        let stopped = self.is_stopped(ac);
        let change = if !stopped && self.should_stop(ac) {
            Some(Flow::Stop)
        } else if stopped && self.should_wake(ac) {
            Some(Flow::Wake)
        } else {
            None
        };
        if let (Some(c), Some(s)) = (change, self.stopped.get_mut(ac.index())) {
            *s = c == Flow::Stop;
        }
        change
    }
}
