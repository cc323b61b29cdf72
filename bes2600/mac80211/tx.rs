// SPDX-License-Identifier: GPL-2.0

//! The transmit path (docs/chip-protocol.md, "TX request", "TX confirm", "TX status",
//! "TX queues").
//!
//! mac80211's `tx` only puts the frame into the BH's inbox ([`crate::bh::Shared::queue_tx`]).
//! The BH moves it into its own queues ([`TxPath`], over the engine's
//! [`TxQueues`](crate::engine::txq::TxQueues)), where it gets its packet id and its 24-byte
//! WSM header in the headroom; the engine's pass takes it from there into a TX batch. The
//! TX confirm (0x0404, or 0x041E with several) gives the frame back: header removed, status
//! (acknowledged, tries per rate) to mac80211. Only the BH touches the queues.
//!
//! Rates (docs/chip-protocol.md, "Rate policies"): mac80211's rate control gives each frame
//! a table of up to four rates; the chip takes a retry policy, one of eight it holds. A frame
//! gets its policy when the engine first looks at it for a TX batch, not when it is queued,
//! so only frames on their way to the chip hold one of the eight. A policy the chip does not
//! have yet is uploaded (MIB 0x1016) by the BH as a command of its own
//! ([`TxPath::policy_upload`]), and the frame waits for its confirm; while all eight are in
//! use, the next frame waits for a TX confirm to free one.

use kernel::prelude::*;

use crate::engine::{
    rate_policy::{
        fill_status,
        ht_tx_parameters,
        retry_limits,
        Band,
        PolicyCache,
        PolicyConfig,
        PolicyError,
        RateFlags,
        RateTable,
        TxRate,
        UploadToken, //
    },
    station::wsm_queue,
    txq::{
        Ac,
        Slot,
        TxMeta,
        TxQueues,
        TxqConfig, //
    },
};
use crate::kernel_ext::{
    mac80211::{
        Band as HwBand,
        Hw,
        TxInfo,
        TxRate as HwTxRate,
        TxRateFlags,
        TxStatus, //
    },
    skb::SkBuff,
};
use crate::protocol::mib::SetMib;
use crate::protocol::msg::{
    tx::{
        PacketId,
        TxConfirm,
        TxFlags,
        TxRequest,
        TX_HEADER_LEN, //
    },
    Status,
};

use super::Bes2600Ops;

/// Headroom mac80211 leaves in front of every frame for the driver: the WSM TX header.
pub(crate) const HEADROOM: u32 = TX_HEADER_LEN as u32;

/// Frames the BH holds per AC (the vendor's pool size).
const CAPACITY: usize = 128;

/// Tries at the band's lowest rate for a frame whose rate table mac80211 left unusable (the
/// chip's own count without a policy).
const FALLBACK_TRIES: u8 = 7;

/// What a frame in the BH's queues carries besides the skb: what the confirm needs.
pub(crate) struct Queued {
    /// The frame, WSM header in front.
    skb: SkBuff,
    /// Bytes added at the end for the ICV/MIC the firmware writes.
    tail: usize,
    /// mac80211's rate table; once the frame has its policy, the table as the policy
    /// rewrote it (what the status distributes the tries over).
    rates: RateTable,
    /// The band the frame goes out on.
    band: Band,
    /// The WSM queue of its AC.
    queue: u8,
    /// The chip's rate policy it uses, once it was given one.
    policy: Option<u8>,
}

/// The BH's transmit state: its queues, the chip's rate policies and what the engine peeked
/// at.
pub(crate) struct TxPath {
    queues: TxQueues<Queued, KVec<Slot<Queued>>>,
    /// The frame the engine's last `peek` returned.
    peeked: Option<PacketId>,
    /// The chip's eight rate policies, with the frames that use them.
    policies: PolicyCache,
    /// The policies the upload on its way to the chip carries.
    upload: Option<UploadToken>,
    /// The next frame waits for a policy to be freed (counted once per wait).
    waiting_for_policy: bool,
    /// Counters for debugfs: frames queued, confirmed, dropped, bad confirms.
    pub(crate) counts: TxCounts,
}

/// What the transmit path counted.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct TxCounts {
    /// Frames taken from mac80211.
    pub(crate) queued: u64,
    /// Frames confirmed by the firmware.
    pub(crate) confirmed: u64,
    /// Confirmed frames the firmware reports sent (acknowledged, or group-addressed).
    pub(crate) acked: u64,
    /// Frames given back unsent (full queue, bad frame, restart, unbind).
    pub(crate) dropped: u64,
    /// Confirms naming no frame the driver sent (device input: counted, ignored).
    pub(crate) bad_confirms: u64,
    /// Rate-policy uploads (MIB 0x1016) the chip confirmed.
    pub(crate) policy_uploads: u64,
    /// Rate-policy uploads the chip refused or that could not be built.
    pub(crate) policy_upload_errors: u64,
    /// Times the next frame waited because all eight policies were in use.
    pub(crate) policy_full: u64,
}

impl TxCounts {
    /// Nothing counted.
    pub(crate) const ZERO: Self = Self {
        queued: 0,
        confirmed: 0,
        acked: 0,
        dropped: 0,
        bad_confirms: 0,
        policy_uploads: 0,
        policy_upload_errors: 0,
        policy_full: 0,
    };
}

impl TxPath {
    /// Empty queues.
    pub(crate) fn new() -> Result<Self> {
        let mut slots = KVec::with_capacity(4 * CAPACITY, GFP_KERNEL)?;
        for _ in 0..4 * CAPACITY {
            slots.push(Slot::new(), GFP_KERNEL)?;
        }
        let queues = TxQueues::new(slots, TxqConfig::default()).map_err(|_| EINVAL)?;
        Ok(Self {
            queues,
            peeked: None,
            policies: PolicyCache::new(PolicyConfig::default()),
            upload: None,
            waiting_for_policy: false,
            counts: TxCounts::default(),
        })
    }

    /// Takes a frame from mac80211 into the queues: ICV room at the end, WSM header in
    /// front. A frame that cannot be sent is given back to mac80211 as failed.
    pub(crate) fn admit(&mut self, hw: &Hw<Bes2600Ops>, mut skb: SkBuff, tail: u8, now_us: u64) {
        let info = TxInfo::of(&skb);
        let ac = info.hw_queue;
        let band = match info.band {
            Some(HwBand::Ghz5) => Band::Ghz5,
            _ => Band::Ghz2,
        };
        let mut rates = [TxRate::UNUSED; 4];
        for (dst, r) in rates.iter_mut().zip(info.rates.iter()) {
            *dst = TxRate {
                idx: r.idx,
                count: r.count,
                flags: RateFlags(r.flags.0),
            };
        }
        let rates = RateTable(rates);
        let tail = usize::from(tail);
        let (Some(ac), Some(queue)) = (Ac::from_index(ac), wsm_queue(ac)) else {
            self.drop_frame(hw, skb);
            return;
        };
        if tail > 0 {
            match skb.put(tail) {
                Ok(t) => t.fill(0),
                Err(_) => {
                    self.drop_frame(hw, skb);
                    return;
                }
            }
        }
        if skb.push(TX_HEADER_LEN).is_err() {
            self.drop_frame(hw, skb);
            return;
        }
        let meta = TxMeta {
            if_id: 0,
            link_id: 0,
            queued_at_us: now_us,
            requeues: 0,
        };
        let frame = Queued {
            skb,
            tail,
            rates,
            band,
            queue,
            policy: None,
        };
        let id = match self.queues.push(ac, frame, meta) {
            Ok(id) => id,
            Err(e) => {
                let mut skb = e.frame.skb;
                let _ = skb.pull(TX_HEADER_LEN);
                self.drop_frame(hw, skb);
                return;
            }
        };
        self.counts.queued += 1;
        // The packet id is only known now, so the header is written in place; the rate
        // fields are filled in when the frame gets its policy.
        let written = self
            .queues
            .frame_mut(id)
            .map(|q| write_header(&mut q.skb, header(id, queue, 0, TxFlags::default(), 0)).is_ok());
        if written != Ok(true) {
            if let Ok((q, _)) = self.queues.remove(id) {
                let mut skb = q.skb;
                let _ = skb.pull(TX_HEADER_LEN);
                self.drop_frame(hw, skb);
            }
            return;
        }
        if self.queues.should_stop(ac) {
            hw.stop_queue(ac.index() as u16);
        }
    }

    /// A frame mac80211 gave the driver that will not be sent.
    fn drop_frame(&mut self, hw: &Hw<Bes2600Ops>, skb: SkBuff) {
        self.counts.dropped += 1;
        hw.free_tx_skb(skb);
    }

    /// The next frame for the engine (a complete WSM message), once the chip has its rate
    /// policy.
    pub(crate) fn peek(&mut self) -> Option<&[u8]> {
        let (id, _, _) = self.queues.next_to_send()?;
        let policy = self.policy_of(id)?;
        if !self.policies.is_uploaded(policy) {
            return None;
        }
        self.peeked = Some(id);
        self.queues.get(id).ok().map(|(q, _)| q.skb.data())
    }

    /// The policy of frame `id`, given to it now if it has none: the rate fields of its
    /// header are written then. `None` while all eight policies are in use.
    fn policy_of(&mut self, id: PacketId) -> Option<u8> {
        let q = self.queues.frame_mut(id).ok()?;
        if let Some(index) = q.policy {
            return Some(index);
        }
        let used = match self.policies.get_or_insert(&q.rates, q.band) {
            Err(PolicyError::Rate(_)) => {
                // mac80211 left no usable rate (it always gives one to a frame it rate
                // controls): the band's lowest rate, as the chip would send it.
                let lowest = RateTable::from_rates(&[TxRate::legacy(0, FALLBACK_TRIES)]);
                self.policies.get_or_insert(&lowest, q.band)
            }
            other => other,
        };
        let used = match used {
            Ok(u) => u,
            Err(_) => {
                if !self.waiting_for_policy {
                    self.waiting_for_policy = true;
                    self.counts.policy_full += 1;
                }
                return None;
            }
        };
        self.waiting_for_policy = false;
        q.policy = Some(used.index);
        q.rates = used.policy.rates;
        let h = header(
            id,
            q.queue,
            used.policy.max_tx_rate,
            TxFlags::with_policy(used.index),
            ht_tx_parameters(&used.policy.rates, false),
        );
        // The header was written the same way when the frame was queued.
        let _ = write_header(&mut q.skb, h);
        Some(used.index)
    }

    /// The MIB 0x1016 write the next frames wait for: every policy the chip does not have
    /// yet, for the BH to send as its own command. `None` when none is missing or an upload
    /// is already on its way.
    pub(crate) fn policy_upload(&mut self) -> Option<KVec<u8>> {
        if !self.policy_upload_wanted() {
            return None;
        }
        let (policies, token) = self.policies.pending_policies();
        match crate::wsm::encode(&SetMib(policies), 0) {
            Ok(msg) => {
                self.upload = Some(token);
                Some(msg)
            }
            Err(_) => {
                // Without memory for the request: the frames go with what the chip holds
                // rather than wait for good.
                self.counts.policy_upload_errors += 1;
                self.policies.upload_done(&token);
                None
            }
        }
    }

    /// mac80211's retry limits, for every policy from now on (capped as
    /// [`retry_limits`] says).
    pub(crate) fn set_retry_limits(&mut self, short: u8, long: u8) {
        let (short, long) = retry_limits(short, long);
        self.policies.set_retry_limits(short, long);
    }

    /// Whether a policy upload waits to be handed to the engine.
    pub(crate) fn policy_upload_wanted(&self) -> bool {
        self.upload.is_none() && self.policies.upload_pending()
    }

    /// The chip answered the policy upload (`accepted`: with success). A refused upload
    /// still releases the frames that wait for it: the chip then applies what it holds for
    /// that index, which is better than a queue that never moves again.
    pub(crate) fn policy_upload_done(&mut self, accepted: bool) {
        if let Some(token) = self.upload.take() {
            self.policies.upload_done(&token);
            if accepted {
                self.counts.policy_uploads += 1;
            } else {
                self.counts.policy_upload_errors += 1;
            }
        }
    }

    /// The policy upload never reached the chip (its command was dropped): it is sent again.
    pub(crate) fn policy_upload_abandoned(&mut self) {
        self.upload = None;
    }

    /// The chip restarted and holds no policy: the frames are gone (drained), so the cache
    /// starts empty.
    pub(crate) fn chip_restarted(&mut self) {
        self.policies.clear();
        self.upload = None;
        self.waiting_for_policy = false;
    }

    /// The engine put the peeked frame into a TX batch at `now_us`.
    pub(crate) fn taken(&mut self, now_us: u64) {
        if let Some(id) = self.peeked.take() {
            let _ = self.queues.mark_sent(id, now_us);
        }
    }

    /// When the oldest frame the chip holds is overdue for its confirm (`None`: it holds
    /// none).
    pub(crate) fn confirm_deadline(&self) -> Option<u64> {
        self.queues.confirm_deadline()
    }

    /// The engine refused the peeked frame (too large, malformed): it fails.
    pub(crate) fn rejected(&mut self, hw: &Hw<Bes2600Ops>) {
        if let Some(id) = self.peeked.take() {
            if let Ok((q, _)) = self.queues.remove(id) {
                self.complete(hw, q, None);
            }
        }
    }

    /// One TX confirm from the firmware.
    pub(crate) fn confirm(&mut self, hw: &Hw<Bes2600Ops>, c: &TxConfirm) {
        if c.status == Status::REQUEUE {
            if self.queues.requeue(c.packet_id).is_err() {
                self.counts.bad_confirms += 1;
            }
            return;
        }
        let (q, _) = match self.queues.confirm(c.packet_id) {
            Ok(x) => x,
            Err(_) => {
                self.counts.bad_confirms += 1;
                return;
            }
        };
        self.counts.confirmed += 1;
        if c.status.is_success() {
            self.counts.acked += 1;
        }
        let ac = Ac::from_index(c.packet_id.queue());
        self.complete(hw, q, Some(c));
        if let Some(ac) = ac {
            if self.queues.should_wake(ac) {
                hw.wake_queue(ac.index() as u16);
            }
        }
    }

    /// Gives a frame back to mac80211 with its status (`None`: not sent), and its rate
    /// policy back to the cache.
    fn complete(&mut self, hw: &Hw<Bes2600Ops>, q: Queued, c: Option<&TxConfirm>) {
        let Queued {
            mut skb,
            tail,
            rates,
            policy,
            ..
        } = q;
        if let Some(index) = policy {
            // Every frame with a policy holds one use of it.
            let _ = self.policies.release(index);
        }
        let _ = skb.pull(TX_HEADER_LEN);
        let len = skb.len();
        skb.trim(len.saturating_sub(tail));
        let acked = c.is_some_and(|c| c.status.is_success());
        let failures = c.map(|c| c.ack_failures).unwrap_or(0);
        let table = fill_status(&rates, failures, acked);
        let mut status = TxStatus {
            acked,
            ..TxStatus::default()
        };
        for (dst, r) in status.rates.iter_mut().zip(table.0.iter()) {
            *dst = HwTxRate {
                idx: r.idx,
                count: r.count,
                flags: TxRateFlags(r.flags.0),
            };
        }
        hw.tx_status(skb, &status);
    }

    /// Every frame the BH holds goes back to mac80211 as not sent (restart, unbind).
    pub(crate) fn drain(&mut self, hw: &Hw<Bes2600Ops>) {
        self.give_back(hw, true);
    }

    /// mac80211's flush that drops: the frames not yet sent go back to it as not sent. Those
    /// the chip holds stay for their confirms, which come within milliseconds (or the
    /// confirm timeout restarts the chip): dropped here, their confirms would find nothing,
    /// and mac80211 would be told "not sent" for frames that went out.
    pub(crate) fn drop_unsent(&mut self, hw: &Hw<Bes2600Ops>) {
        self.give_back(hw, false);
    }

    /// Gives the queued frames, and with `pending` those the chip holds as well, back to
    /// mac80211 as not sent, and lets it queue again where the queues are low enough.
    fn give_back(&mut self, hw: &Hw<Bes2600Ops>, pending: bool) {
        self.peeked = None;
        // Collected first: the queues are borrowed while they drain. A frame the vector
        // cannot take is freed without status, which mac80211 tolerates.
        // Their policies are released here, so a frame freed that way keeps none.
        let mut held = KVec::new();
        let policies = &mut self.policies;
        let take = |_, mut q: Queued, _| {
            if let Some(index) = q.policy.take() {
                let _ = policies.release(index);
            }
            let _ = held.push(q, GFP_KERNEL);
        };
        if pending {
            self.queues.drain(take);
        } else {
            self.queues.drain_unsent(take);
        }
        for q in held {
            self.counts.dropped += 1;
            self.complete(hw, q, None);
        }
        // The frames the chip still holds count towards the stop threshold.
        for ac in Ac::ALL {
            if self.queues.should_wake(ac) {
                hw.wake_queue(ac.index() as u16);
            }
        }
    }

    /// Frames held: queued or waiting for their confirm.
    pub(crate) fn held(&self) -> u64 {
        self.queues.total() as u64
    }

    /// Frees every frame the BH holds without status (there is no mac80211 to tell); the
    /// policies they held go with [`Self::chip_restarted`], which follows.
    pub(crate) fn forget_all(&mut self) {
        self.peeked = None;
        self.queues.drain(|_, _, _| {});
    }

    /// Forgets what the engine peeked at (it refused it, and there is no mac80211 to tell).
    pub(crate) fn forget_peeked(&mut self) {
        if let Some(id) = self.peeked.take() {
            if let Ok((q, _)) = self.queues.remove(id) {
                if let Some(index) = q.policy {
                    let _ = self.policies.release(index);
                }
            }
        }
    }
}

/// A TX request header for frame `id` (its frame is filled in by [`write_header`]).
fn header(
    id: PacketId,
    queue: u8,
    max_tx_rate: u8,
    flags: TxFlags,
    ht_tx_parameters: u32,
) -> TxRequest<'static> {
    TxRequest {
        packet_id: id,
        max_tx_rate,
        queue,
        link_id: 0,
        more: 0,
        flags,
        reserved: 0,
        expire_time: 0,
        ht_tx_parameters,
        frame: &[],
    }
}

/// Writes the WSM TX header into the first [`TX_HEADER_LEN`] bytes of `skb` (pushed for it);
/// its length field counts the frame behind it.
fn write_header(skb: &mut SkBuff, header: TxRequest<'_>) -> Result {
    let h = {
        let frame = skb.data().get(TX_HEADER_LEN..).ok_or(EINVAL)?;
        TxRequest { frame, ..header }
            .header_bytes(0)
            .map_err(|_| EINVAL)?
    };
    skb.data_mut()
        .get_mut(..TX_HEADER_LEN)
        .ok_or(EINVAL)?
        .copy_from_slice(&h);
    Ok(())
}
