// SPDX-License-Identifier: GPL-2.0

//! The TX queues: packet ids, dequeue order, confirms, requeue, expiry, drain, flow
//! control, hostile confirm ids, and a round trip through the chip model.

mod common;

use bes2600_engine::protocol::msg::{
    self,
    tx::{PacketId, TxRequest},
    DeviceMessage, Status,
};
use bes2600_engine::protocol::wsm_header::MAX_VIFS;
use bes2600_engine::txq::{
    Ac, Edca, Flow, PushRefusal, Slot, Thresholds, TxMeta, TxQueues, TxqConfig, TxqError,
    DEFAULT_CAPACITY, DEFAULT_TTL_US, MAX_LINKS, NUM_ACS, PENDING_DEADLINE_US,
};
use common::*;
use proptest::prelude::*;

type Q = TxQueues<u32, Vec<Slot<u32>>>;

fn queues(cap: usize) -> Q {
    queues_with(cap, TxqConfig::default())
}

fn queues_with(cap: usize, cfg: TxqConfig) -> Q {
    let storage: Vec<Slot<u32>> = (0..cap * NUM_ACS).map(|_| Slot::new()).collect();
    TxQueues::new(storage, cfg).unwrap()
}

fn meta(if_id: u8, link_id: u8, t: u64) -> TxMeta {
    TxMeta {
        if_id,
        link_id,
        queued_at_us: t,
        requeues: 0,
    }
}

/// Sends the next frame: returns its id and frame.
fn send(q: &mut Q) -> Option<(PacketId, u32)> {
    let (id, f, _) = q.next_to_send()?;
    let f = *f;
    q.mark_sent(id, 0).unwrap();
    Some((id, f))
}

#[test]
fn storage_must_be_four_pools_of_1_to_256() {
    for n in [0usize, 3, 5, 4 * 257] {
        let s: Vec<Slot<u32>> = (0..n).map(|_| Slot::new()).collect();
        assert_eq!(
            TxQueues::new(s, TxqConfig::default()).err(),
            Some(TxqError::BadStorage(n))
        );
    }
    assert_eq!(queues(DEFAULT_CAPACITY).capacity(), 128);
    assert_eq!(queues(256).capacity(), 256);
}

#[test]
fn ac_maps_to_the_wsm_queue_ids() {
    let wsm: Vec<u8> = Ac::ALL.iter().map(|a| a.wsm_queue()).collect();
    assert_eq!(wsm, [3, 2, 0, 1]);
    assert_eq!(Ac::from_index(2), Some(Ac::Be));
    assert_eq!(Ac::from_index(4), None);
    assert_eq!(
        DEFAULT_TTL_US,
        [1_000_000, 2_000_000, 5_000_000, 10_000_000]
    );
}

#[test]
fn packet_id_carries_slot_queue_interface_and_link() {
    let mut q = queues(8);
    let a = q.push(Ac::Vi, 10, meta(1, 5, 0)).unwrap();
    let b = q.push(Ac::Vi, 11, meta(2, 0, 0)).unwrap();
    assert_eq!(a.item(), 0);
    assert_eq!(b.item(), 1);
    assert_eq!(a.queue(), 1);
    assert_eq!(a.if_id(), 1);
    assert_eq!(a.link_id(), 5);
    assert_eq!(b.if_id(), 2);
    assert_eq!(a.item_generation(), 0);
    assert_eq!(a.queue_generation(), 0);
    assert_eq!(q.get(a).unwrap(), (&10, &meta(1, 5, 0)));
}

#[test]
fn push_refuses_bad_metadata_and_a_full_pool_with_the_frame_back() {
    let mut q = queues(2);
    let e = q.push(Ac::Be, 1, meta(MAX_VIFS as u8, 0, 0)).unwrap_err();
    assert_eq!((e.frame, e.reason), (1, PushRefusal::BadIfId(3)));
    let e = q.push(Ac::Be, 2, meta(0, MAX_LINKS as u8, 0)).unwrap_err();
    assert_eq!((e.frame, e.reason), (2, PushRefusal::BadLinkId(16)));
    q.push(Ac::Be, 3, meta(0, 0, 0)).unwrap();
    q.push(Ac::Be, 4, meta(0, 0, 0)).unwrap();
    let e = q.push(Ac::Be, 5, meta(0, 0, 0)).unwrap_err();
    assert_eq!((e.frame, e.reason), (5, PushRefusal::Full));
    // Other ACs have their own pools.
    q.push(Ac::Vo, 6, meta(0, 0, 0)).unwrap();
    assert_eq!(q.len(Ac::Be), 2);
    assert_eq!(q.total(), 3);
}

#[test]
fn strict_priority_with_default_edca_and_fifo_within_an_ac() {
    let mut q = queues(16);
    q.push(Ac::Bk, 40, meta(0, 0, 0)).unwrap();
    q.push(Ac::Be, 30, meta(0, 0, 0)).unwrap();
    q.push(Ac::Be, 31, meta(0, 0, 0)).unwrap();
    q.push(Ac::Vi, 20, meta(0, 0, 0)).unwrap();
    q.push(Ac::Vo, 10, meta(0, 0, 0)).unwrap();
    q.push(Ac::Vo, 11, meta(0, 0, 0)).unwrap();
    let order: Vec<u32> = std::iter::from_fn(|| send(&mut q).map(|(_, f)| f)).collect();
    assert_eq!(order, [10, 11, 20, 30, 31, 40]);
    assert!(!q.has_queued());
    assert_eq!(q.pending(Ac::Be), 2);
}

#[test]
fn equal_edca_shares_between_acs() {
    let cfg = TxqConfig {
        edca: [Edca::new(3, 15, 1023); 4],
        ..TxqConfig::default()
    };
    let mut q = queues_with(128, cfg);
    for i in 0..100 {
        q.push(Ac::Vo, i, meta(0, 0, 0)).unwrap();
        q.push(Ac::Be, 1000 + i, meta(0, 0, 0)).unwrap();
    }
    let first: Vec<u32> = (0..100)
        .filter_map(|_| send(&mut q).map(|(_, f)| f))
        .collect();
    let vo = first.iter().filter(|&&f| f < 1000).count();
    assert!(
        (25..=75).contains(&vo),
        "random EDCA term shares: {vo} of 100"
    );
}

#[test]
fn bk_only_when_nothing_else_is_eligible() {
    let mut q = queues(8);
    q.push(Ac::Bk, 1, meta(0, 0, 0)).unwrap();
    q.push(Ac::Be, 2, meta(1, 0, 0)).unwrap();
    let (_, f, _) = q.next_to_send().unwrap();
    assert_eq!(*f, 2);
    // Interface 1 is locked: BK of interface 0 goes.
    let (id, f, m) = q.next_to_send_where(|_, m| m.if_id == 0).unwrap();
    assert_eq!((*f, m.if_id), (1, 0));
    q.mark_sent(id, 0).unwrap();
    assert!(q.next_to_send_where(|_, m| m.if_id == 0).is_none());
}

#[test]
fn confirm_returns_the_frame_once_and_stale_ids_fail() {
    let mut q = queues(4);
    let id = q.push(Ac::Be, 7, meta(0, 0, 0)).unwrap();
    assert_eq!(q.confirm(id), Err(TxqError::NotPending));
    q.mark_sent(id, 0).unwrap();
    assert_eq!(q.mark_sent(id, 0), Err(TxqError::NotQueued));
    assert_eq!(q.confirm(id).unwrap(), (7, meta(0, 0, 0)));
    assert_eq!(q.confirm(id), Err(TxqError::Stale), "duplicate confirm");
    // The slot is reused with a new generation: the old id does not match it.
    let id2 = q.push(Ac::Be, 8, meta(0, 0, 0)).unwrap();
    assert_eq!(id2.item(), id.item());
    assert_ne!(id2.item_generation(), id.item_generation());
    q.mark_sent(id2, 0).unwrap();
    assert_eq!(q.confirm(id), Err(TxqError::Stale));
    assert_eq!(q.confirm(id2).unwrap().0, 8);
}

#[test]
fn hostile_ids_are_errors() {
    let mut q = queues(4);
    let id = q.push(Ac::Be, 1, meta(1, 2, 0)).unwrap();
    q.mark_sent(id, 0).unwrap();
    let bad_queue = PacketId(id.0 | 0x000F_0000);
    assert_eq!(q.confirm(bad_queue), Err(TxqError::BadQueue(15)));
    let bad_item = PacketId::new(4, 0, 2, 1, 2, 0);
    assert_eq!(q.confirm(bad_item), Err(TxqError::BadItem(4)));
    let wrong_if = PacketId::new(id.item(), 0, 2, 0, 2, 0);
    assert_eq!(q.confirm(wrong_if), Err(TxqError::Stale));
    let wrong_link = PacketId::new(id.item(), 0, 2, 1, 3, 0);
    assert_eq!(q.confirm(wrong_link), Err(TxqError::Stale));
    let wrong_qgen = PacketId::new(id.item(), 0, 2, 1, 2, 1);
    assert_eq!(q.confirm(wrong_qgen), Err(TxqError::StaleQueueGeneration));
    assert_eq!(q.confirm(id).unwrap().0, 1);
}

#[test]
fn requeue_goes_to_the_front_with_a_new_id() {
    let mut q = queues(8);
    let a = q.push(Ac::Be, 1, meta(0, 0, 0)).unwrap();
    q.push(Ac::Be, 2, meta(0, 0, 0)).unwrap();
    let (id, f) = send(&mut q).unwrap();
    assert_eq!((id, f), (a, 1));
    assert_eq!(q.requeue(a), Ok(()));
    assert_eq!(q.requeue(a), Err(TxqError::Stale), "the old id is gone");
    let (id, f, m) = q.next_to_send().unwrap();
    assert_eq!((*f, m.requeues), (1, 1));
    assert_ne!(id, a);
    assert_eq!(id.item(), a.item());
    assert_eq!(q.requeue(id), Err(TxqError::NotPending));
    q.mark_sent(id, 0).unwrap();
    assert_eq!(q.confirm(a), Err(TxqError::Stale));
    assert_eq!(q.confirm(id).unwrap().0, 1);
}

#[test]
fn expire_drops_only_old_queued_frames() {
    let mut q = queues(8);
    q.push(Ac::Vo, 1, meta(0, 0, 0)).unwrap();
    q.push(Ac::Vo, 2, meta(0, 0, 900_000)).unwrap();
    q.push(Ac::Bk, 3, meta(0, 0, 0)).unwrap();
    q.push(Ac::Be, 4, meta(0, 0, 0)).unwrap();
    // Frame 4 is with the chip: not expired.
    let id = q.next_to_send_where(|ac, _| ac == Ac::Be).unwrap().0;
    q.mark_sent(id, 0).unwrap();
    let mut out = Vec::new();
    let n = q.expire(6_000_000, &DEFAULT_TTL_US, |ac, f, _| out.push((ac, f)));
    assert_eq!(n, 2);
    assert_eq!(out, [(Ac::Vo, 1), (Ac::Vo, 2)]);
    assert_eq!(q.total(), 2);
    let n = q.expire(10_000_001, &DEFAULT_TTL_US, |ac, f, _| out.push((ac, f)));
    assert_eq!(n, 1);
    assert_eq!(q.confirm(id).unwrap().0, 4);
}

#[test]
fn drain_returns_everything_and_invalidates_old_ids() {
    let mut q = queues(8);
    let mut ids = Vec::new();
    for i in 0..12u32 {
        ids.push(
            q.push(Ac::ALL[(i % 4) as usize], i, meta((i % 3) as u8, 0, 0))
                .unwrap(),
        );
    }
    for _ in 0..5 {
        send(&mut q).unwrap();
    }
    let mut got = Vec::new();
    assert_eq!(q.drain(|_, f, _| got.push(f)), 12);
    got.sort();
    assert_eq!(got, (0..12).collect::<Vec<_>>());
    assert!(q.is_empty());
    for ac in Ac::ALL {
        assert_eq!((q.len(ac), q.pending(ac)), (0, 0));
    }
    // New frames reuse slot 0 with generation 1 again after a drain of generation 0:
    // the queue generation tells them apart.
    let fresh = q.push(Ac::Vo, 99, meta(0, 0, 0)).unwrap();
    assert_eq!(fresh.queue_generation(), 1);
    for id in ids {
        assert!(q.confirm(id).is_err());
    }
}

#[test]
fn drain_where_takes_one_interface() {
    let mut q = queues(8);
    for i in 0..6u32 {
        q.push(Ac::Be, i, meta((i % 2) as u8, (i % 3) as u8, 0))
            .unwrap();
    }
    assert_eq!(q.count_for(1), 3);
    assert_eq!(q.count_for_link(0, 0), 1);
    let (id, _) = send(&mut q).unwrap();
    assert_eq!(id.if_id(), 0);
    let mut got = Vec::new();
    assert_eq!(q.drain_where(|_, m| m.if_id == 0, |_, f, _| got.push(f)), 3);
    assert_eq!(got, [0, 2, 4]);
    assert!(q.is_empty_for(0));
    assert!(!q.is_empty_for(1));
    assert_eq!(
        q.confirm(id),
        Err(TxqError::Stale),
        "its pending frame went too"
    );
    assert_eq!(q.pending(Ac::Be), 0);
}

#[test]
fn drain_unsent_keeps_the_frames_the_chip_holds_for_their_confirms() {
    let mut q = queues(8);
    let mut queued = Vec::new();
    for i in 0..6u32 {
        queued.push(q.push(Ac::ALL[(i % 2) as usize], i, meta(0, 0, 0)).unwrap());
    }
    let sent: Vec<_> = (0..3).map(|_| send(&mut q).unwrap()).collect();
    let mut got = Vec::new();
    assert_eq!(q.drain_unsent(|_, f, _| got.push(f)), 3);
    assert_eq!(got.len(), 3);
    for (_, f) in &sent {
        assert!(!got.contains(f), "frame {f} was at the chip");
    }
    assert!(q.next_to_send().is_none(), "nothing left to send");
    assert_eq!(q.total(), 3);
    // Each confirm still finds its frame; the dropped ones' ids are stale.
    for (id, f) in sent {
        assert_eq!(q.confirm(id).map(|(g, _)| g), Ok(f));
    }
    assert!(q.is_empty());
    for id in queued {
        assert!(q.confirm(id).is_err());
    }
}

#[test]
fn stop_and_wake_with_hysteresis() {
    let t = Thresholds::vendor(false, 1, 128);
    assert_eq!((t.stop, t.wake), (32, 16));
    let t = Thresholds::vendor(false, 4, 128);
    assert_eq!((t.stop, t.wake), (29, 16));
    let t = Thresholds::vendor(true, 1, 128);
    assert_eq!((t.stop, t.wake), (127, 64), "one slot of slack kept");
    let t = Thresholds::vendor(true, 4, 128);
    assert_eq!((t.stop, t.wake), (124, 64));
    let t = Thresholds::vendor(true, 1, 4);
    assert!(t.stop <= 3 && t.wake < t.stop);

    let mut q = queues(64);
    let mut ids = Vec::new();
    let mut flows = Vec::new();
    for i in 0..40 {
        ids.push(q.push(Ac::Be, i, meta(0, 0, 0)).unwrap());
        if let Some(f) = q.flow_update(Ac::Be) {
            flows.push((i, f));
        }
    }
    assert_eq!(flows, [(31, Flow::Stop)]);
    assert!(q.is_stopped(Ac::Be));
    assert!(!q.is_stopped(Ac::Vo));
    flows.clear();
    for (n, id) in (0u32..).zip(ids) {
        q.mark_sent(id, 0).unwrap();
        q.confirm(id).unwrap();
        if let Some(f) = q.flow_update(Ac::Be) {
            flows.push((n, f));
        }
    }
    assert_eq!(flows, [(23, Flow::Wake)], "40 − 24 = 16 left");
}

#[test]
fn kernel_sized_queues_fill_every_slot() {
    let mut q = queues(DEFAULT_CAPACITY);
    for ac in Ac::ALL {
        for i in 0..128 {
            q.push(ac, i, meta(0, 0, 0)).unwrap();
        }
        assert_eq!(
            q.push(ac, 0, meta(0, 0, 0)).unwrap_err().reason,
            PushRefusal::Full
        );
    }
    let mut n = 0;
    while let Some((id, _)) = send(&mut q) {
        q.confirm(id).unwrap();
        n += 1;
    }
    assert_eq!(n, 512);
}

/// Frames go from the queues through the engine to the chip model and back by their
/// confirms.
#[test]
fn round_trip_through_the_chip_model() {
    let mut h = Harness::up(8);
    let mut q = queues(32);
    for i in 0..60u32 {
        let ac = Ac::ALL[(i % 4) as usize];
        q.push(ac, i, meta((i % 2) as u8, 0, 0)).unwrap();
    }
    let mut back = Vec::new();
    for _ in 0..100 {
        while let Some((id, &f, m)) = q.next_to_send() {
            let mut frame = vec![0x08, 0x01, 0, 0];
            frame.extend_from_slice(&AP);
            frame.extend_from_slice(&CHIP_MAC);
            frame.extend_from_slice(&AP);
            frame.extend_from_slice(&[0, 0]);
            frame.extend_from_slice(&f.to_le_bytes());
            let req = TxRequest {
                packet_id: id,
                max_tx_rate: 6,
                queue: Ac::from_index(id.queue()).unwrap().wsm_queue(),
                frame: &frame,
                ..TxRequest::default()
            };
            h.data.frames.push_back(encode(&req, m.if_id));
            q.mark_sent(id, 0).unwrap();
        }
        assert!(h.run().is_none());
        for c in std::mem::take(&mut h.ev.tx_confirms) {
            let (_, m) = msg::decode_device_message(&c).unwrap();
            let confirms: Vec<_> = match m {
                DeviceMessage::TxConfirm(c) => vec![c],
                DeviceMessage::MultiTxConfirm(m) => m.iter().collect(),
                other => panic!("{other:?}"),
            };
            for c in confirms {
                // No AP answers: the chip gives up after its retries.
                assert!(matches!(c.status, Status::SUCCESS | Status::RETRY_EXCEEDED));
                let (f, _) = q.confirm(c.packet_id).unwrap();
                back.push(f);
            }
        }
        if q.is_empty() {
            break;
        }
    }
    back.sort();
    assert_eq!(back, (0..60).collect::<Vec<_>>());
    assert_eq!(h.bus.violations(), 0);
}

#[derive(Debug, Clone)]
enum Op {
    Push { ac: u8, if_id: u8, link: u8 },
    Send,
    Confirm(usize),
    Requeue(usize),
    Remove(usize),
    Hostile(u32),
    Expire(u32),
    DrainIf(u8),
    Drain,
    DrainUnsent,
    Advance(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..4, 0u8..4, 0u8..17).prop_map(|(ac, if_id, link)| Op::Push { ac, if_id, link }),
        5 => Just(Op::Send),
        4 => any::<usize>().prop_map(Op::Confirm),
        1 => any::<usize>().prop_map(Op::Requeue),
        1 => any::<usize>().prop_map(Op::Remove),
        2 => any::<u32>().prop_map(Op::Hostile),
        1 => (0u32..12_000_000).prop_map(Op::Expire),
        1 => (0u8..3).prop_map(Op::DrainIf),
        1 => Just(Op::Drain),
        1 => Just(Op::DrainUnsent),
        2 => (0u32..2_000_000).prop_map(Op::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever happens, every frame pushed comes back exactly once (confirm, remove,
    /// expire, drain), ids the queues never handed out or already retired fail, and the
    /// counters match the frames held.
    #[test]
    fn every_frame_comes_back_exactly_once(
        ops in prop::collection::vec(op(), 1..300),
        cap in 1usize..6,
    ) {
        let mut q = queues(cap);
        let mut next_frame = 0u32;
        let mut accepted = 0usize;
        let mut now = 0u64;
        // Frames inside, with their current id once handed out and whether pending.
        let mut inside: std::collections::BTreeMap<u32, TxMeta> = Default::default();
        let mut pending: Vec<(PacketId, u32)> = Vec::new();
        let mut retired: Vec<PacketId> = Vec::new();
        let mut returned = std::collections::BTreeSet::new();
        let mut give_back = |f: u32, inside: &mut std::collections::BTreeMap<u32, TxMeta>| {
            assert!(returned.insert(f), "frame {f} returned twice");
            assert!(inside.remove(&f).is_some(), "frame {f} was not inside");
        };
        for op in ops {
            match op {
                Op::Push { ac, if_id, link } => {
                    let ac = Ac::from_index(ac).unwrap();
                    let m = meta(if_id, link, now);
                    match q.push(ac, next_frame, m) {
                        Ok(id) => {
                            prop_assert!(if_id < 3 && link < 16);
                            prop_assert_eq!(q.get(id).map(|(f, _)| *f), Ok(next_frame));
                            inside.insert(next_frame, m);
                            accepted += 1;
                        }
                        Err(e) => {
                            prop_assert_eq!(e.frame, next_frame);
                            match e.reason {
                                PushRefusal::Full => prop_assert_eq!(q.len(ac), cap),
                                PushRefusal::BadIfId(_) => prop_assert!(if_id >= 3),
                                PushRefusal::BadLinkId(_) => prop_assert!(link >= 16),
                            }
                        }
                    }
                    next_frame += 1;
                }
                Op::Send => {
                    if let Some((id, f, _)) = q.next_to_send() {
                        let f = *f;
                        q.mark_sent(id, 0).unwrap();
                        pending.push((id, f));
                    } else {
                        prop_assert!(!q.has_queued());
                    }
                }
                Op::Confirm(i) if !pending.is_empty() => {
                    let (id, f) = pending.remove(i % pending.len());
                    let (g, _) = q.confirm(id).unwrap();
                    prop_assert_eq!(g, f);
                    give_back(f, &mut inside);
                    retired.push(id);
                    prop_assert!(q.confirm(id).is_err(), "duplicate");
                }
                Op::Requeue(i) if !pending.is_empty() => {
                    let (id, _) = pending.remove(i % pending.len());
                    q.requeue(id).unwrap();
                    retired.push(id);
                }
                Op::Remove(i) if !pending.is_empty() => {
                    let (id, f) = pending.remove(i % pending.len());
                    let (g, _) = q.remove(id).unwrap();
                    prop_assert_eq!(g, f);
                    give_back(f, &mut inside);
                    retired.push(id);
                }
                Op::Confirm(_) | Op::Requeue(_) | Op::Remove(_) => {}
                Op::Hostile(raw) => {
                    let id = PacketId(raw);
                    let known = pending.iter().find(|(p, _)| *p == id).map(|&(_, f)| f);
                    match q.confirm(id) {
                        Ok((f, _)) => {
                            prop_assert_eq!(Some(f), known, "only a pending id confirms");
                            pending.retain(|(p, _)| *p != id);
                            give_back(f, &mut inside);
                            retired.push(id);
                        }
                        Err(_) => prop_assert!(known.is_none()),
                    }
                }
                Op::Expire(extra) => {
                    let ttl = [u64::from(extra); 4];
                    q.expire(now, &ttl, |_, f, m| {
                        assert!(now - m.queued_at_us > u64::from(extra));
                        give_back(f, &mut inside);
                    });
                }
                Op::DrainIf(if_id) => {
                    q.drain_where(|_, m| m.if_id == if_id, |_, f, m| {
                        assert_eq!(m.if_id, if_id);
                        give_back(f, &mut inside);
                    });
                    pending.retain(|(p, _)| {
                        if p.if_id() == if_id {
                            retired.push(*p);
                            false
                        } else {
                            true
                        }
                    });
                    prop_assert!(q.is_empty_for(if_id));
                }
                Op::Drain => {
                    q.drain(|_, f, _| give_back(f, &mut inside));
                    retired.extend(pending.drain(..).map(|(p, _)| p));
                    prop_assert!(q.is_empty());
                }
                Op::DrainUnsent => {
                    let before = pending.len();
                    q.drain_unsent(|_, f, _| {
                        assert!(
                            !pending.iter().any(|(_, p)| *p == f),
                            "a frame at the chip was dropped"
                        );
                        give_back(f, &mut inside);
                    });
                    prop_assert_eq!(pending.len(), before);
                    prop_assert!(q.next_to_send().is_none());
                }
                Op::Advance(us) => now += u64::from(us),
            }
            // Counters agree with the model.
            prop_assert_eq!(q.total(), inside.len());
            let pend: usize = Ac::ALL.iter().map(|&ac| q.pending(ac)).sum();
            prop_assert_eq!(pend, pending.len());
            for if_id in 0..3u8 {
                let n = inside.values().filter(|m| m.if_id == if_id).count();
                prop_assert_eq!(q.count_for(if_id), n);
            }
            for &(id, f) in &pending {
                prop_assert_eq!(q.get(id).map(|(g, _)| *g), Ok(f));
            }
            // Retired ids are dead unless the slot came back to the very same id (the
            // 8-bit generation wrapped), which cannot happen in this many steps.
            for id in retired.iter().rev().take(16) {
                prop_assert!(q.get(*id).is_err() || pending.iter().any(|(p, _)| p == id));
            }
        }
        let mut rest = Vec::new();
        q.drain(|_, f, _| rest.push(f));
        for f in rest {
            give_back(f, &mut inside);
        }
        prop_assert!(inside.is_empty());
        prop_assert_eq!(returned.len(), accepted);
    }
}

/// A frame whose confirm never comes is found: the deadline follows the oldest pending
/// frame, moves on when it is confirmed, and is gone with nothing pending.
#[test]
fn confirm_deadline_follows_the_oldest_pending_frame() {
    let mut q = queues(8);
    assert_eq!(q.confirm_deadline(), None);
    let a = q.push(Ac::Be, 1u32, meta(0, 0, 0)).unwrap();
    let b = q.push(Ac::Vo, 2u32, meta(0, 0, 0)).unwrap();
    assert_eq!(
        q.confirm_deadline(),
        None,
        "queued frames are not the chip's yet"
    );
    q.mark_sent(a, 1_000).unwrap();
    q.mark_sent(b, 2_000).unwrap();
    assert_eq!(q.confirm_deadline(), Some(1_000 + PENDING_DEADLINE_US));
    q.confirm(a).unwrap();
    assert_eq!(q.confirm_deadline(), Some(2_000 + PENDING_DEADLINE_US));
    q.requeue(b).unwrap();
    assert_eq!(
        q.confirm_deadline(),
        None,
        "a requeued frame is queued again"
    );
}
