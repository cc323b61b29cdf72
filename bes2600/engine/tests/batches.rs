// SPDX-License-Identifier: GPL-2.0

//! TX batches at the buffer limit, slot grouping, multi-TX confirms and RX batches.

mod common;

use bes2600_engine::pass::Config;
use bes2600_engine::protocol::mib::{ReadMib, SetMib, UseMultiTxConfirm};
use bes2600_engine::protocol::msg::{self, tx::MultiTxConfirm};
use bes2600_engine::protocol::sdio_framing::{TxOptions, TX_MAX_MESSAGES};
use bes2600_engine::protocol::wsm_header::id;
use bes2600_engine::recovery::Policy;
use common::*;

#[test]
fn data_fills_every_buffer_but_the_command_reserve() {
    let mut h = Harness::up(8);
    h.data.frames.extend((0..40).map(|i| data_frame(i, 0, 200)));
    // One pass: exactly capacity − 1 data frames in one batch, then the budget is spent.
    let r = h.pass();
    assert!(r.fatal.is_none());
    assert_eq!(r.counters.tx_batches, 1);
    assert_eq!(r.counters.tx_frames, 7);
    assert_eq!(h.bh.flow().in_use(), 7);
    assert_eq!(h.bh.flow().data_budget(), 0);
    assert!(!r.more, "nothing more can go before confirms arrive");
    // The chip holds them until their confirms are read; the interrupt drives the rest.
    assert!(h.run().is_none());
    assert!(h.data.frames.is_empty());
    assert_eq!(h.ev.tx_confirms.len(), 40);
    assert!(h.bus.written.iter().all(|w| w.count <= 7));
    assert_eq!(h.max_in_use, 7);
    assert!(h.bh.flow().is_idle());
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn a_command_takes_the_reserved_buffer() {
    let mut h = Harness::up(8);
    // The chip holds the data confirms back, so the data keeps its buffers.
    h.bus.inject("delay-confirm:kind=tx,delay=100,count=7");
    h.data.frames.extend((0..20).map(|i| data_frame(i, 0, 200)));
    assert!(h.run().is_none());
    assert_eq!(h.bh.flow().in_use(), 7, "data stops at capacity - 1");
    h.cmds.pending = Some(encode(&ReadMib { mib_id: 0 }, 0));
    let r = h.pass();
    assert_eq!(
        r.counters.tx_commands, 1,
        "the command may use the last buffer"
    );
    assert_eq!(h.bh.flow().in_use(), 8);
    assert_eq!(
        h.bus.chip.in_flight(),
        7,
        "the chip still holds the data when the command takes the 8th buffer (answered at once)"
    );
    assert_eq!(h.bus.violations(), 0, "no buffer overflow");
    assert!(h.run().is_none());
    assert_eq!(h.ev.confirms.len(), 1, "the command is answered at once");
    assert!(h.advance(100).is_none());
    assert_eq!(h.ev.tx_confirms.len(), 20);
    assert!(h.bh.flow().is_idle());
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn a_command_waits_behind_the_data_reserve_only_when_all_buffers_are_used() {
    let mut h = Harness::up(8);
    h.data.frames.extend((0..20).map(|i| data_frame(i, 0, 200)));
    h.cmds.pending = Some(encode(&ReadMib { mib_id: 0 }, 0));
    let r = h.pass();
    assert_eq!(
        h.bus.written[0].ids[0],
        id::READ_MIB,
        "the command goes first"
    );
    assert_eq!(
        r.counters.tx_frames, 7,
        "command + 6 data: one buffer stays reserved while data is admitted"
    );
    assert!(h.run().is_none());
    assert_eq!(h.ev.confirms.len(), 1);
    assert_eq!(h.ev.tx_confirms.len(), 20);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn batches_hold_at_most_sixteen_messages() {
    let mut h = Harness::up(64);
    h.data
        .frames
        .extend((0..100).map(|i| data_frame(i, 0, 100)));
    let r = h.pass();
    assert_eq!(r.counters.tx_batches, 4, "the per-pass batch limit");
    assert_eq!(r.counters.tx_frames, 63, "16 + 16 + 16 + 15: the budget");
    assert!(h.bus.written.iter().all(|w| w.count <= TX_MAX_MESSAGES));
    assert!(h.run().is_none());
    assert_eq!(h.ev.tx_confirms.len(), 100);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn rf_test_firmware_batches_one_message() {
    let cfg = Config {
        tx: TxOptions {
            max_messages: 1,
            ..TxOptions::default()
        },
        ..Config::default()
    };
    let mut h = Harness::with(chip_config(8), cfg, Policy::default());
    h.data.frames.extend((0..5).map(|i| data_frame(i, 0, 100)));
    assert!(h.run().is_none());
    assert_eq!(h.bus.written.len(), 5);
    assert!(h.bus.written.iter().all(|w| w.count == 1));
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn frames_of_another_slot_size_start_a_new_batch() {
    let mut h = Harness::up(32);
    // WSM length 48 + body; + 4 trailer: 200 → 512 slot, 600 → 1024, 1100 → 1536,
    // 1500 → 1632.
    let bodies = [200, 200, 600, 600, 600, 1100, 1500, 1500, 200];
    h.data.frames.extend(
        bodies
            .iter()
            .enumerate()
            .map(|(i, &b)| data_frame(i as u8, 0, b)),
    );
    assert!(h.run().is_none());
    let shape: Vec<(usize, usize)> = h.bus.written.iter().map(|w| (w.slot, w.count)).collect();
    assert_eq!(
        shape,
        vec![(512, 2), (1024, 3), (1536, 1), (1632, 2), (512, 1)],
        "consecutive frames of one slot size share a batch, in queue order"
    );
    assert_eq!(h.ev.tx_confirms.len(), 9);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn multi_tx_confirms_release_their_record_count() {
    let mut h = Harness::up(16);
    h.round_trip(&SetMib(UseMultiTxConfirm(1)), 0).unwrap();
    h.data.frames.extend((0..30).map(|i| data_frame(i, 0, 100)));
    assert!(h.run().is_none());
    // 15 per batch (the data budget); one 0x041E per batch confirms all of them.
    let counts: Vec<usize> =
        h.ev.tx_confirms
            .iter()
            .map(|c| {
                assert_eq!(base(c), id::MULTI_TX_CONFIRM);
                msg::decode::<MultiTxConfirm<'_>>(c).unwrap().1.count()
            })
            .collect();
    assert_eq!(counts, vec![15, 15]);
    assert_eq!(h.bh.totals().tx_confirmed, 30);
    assert!(h.bh.flow().is_idle());
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn rx_batches_carry_many_messages() {
    // A shallow host RX queue makes the chip pack pending confirms into multi-message
    // batches.
    let mut chip = chip_config(40);
    chip.rx_queue_depth = 1;
    let mut h = Harness::with(chip, Config::default(), Policy::default());
    h.data.frames.extend((0..39).map(|i| data_frame(i, 0, 100)));
    assert!(h.run().is_none());
    let t = h.bh.totals();
    assert_eq!(h.ev.tx_confirms.len(), 39);
    assert!(
        t.rx_batches < t.rx_frames,
        "{} messages in {} batches",
        t.rx_frames,
        t.rx_batches
    );
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn rx_batches_limited_per_pass_report_more() {
    let cfg = Config {
        max_rx_batches: 1,
        ..Config::default()
    };
    let mut h = Harness::with(chip_config(16), cfg, Policy::default());
    // Two slot sizes: two TX batches, whose confirms the chip queues as two RX items.
    h.data
        .frames
        .extend((0..15).map(|i| data_frame(i, 0, if i < 8 { 100 } else { 600 })));
    let r = h.pass();
    assert_eq!(r.counters.tx_frames, 15);
    assert_eq!(r.counters.tx_batches, 2);
    assert_eq!(h.bus.rx_queued(), 2);
    let r = h.pass();
    assert_eq!(r.counters.rx_batches, 1);
    assert!(r.more, "the per-pass RX limit leaves work");
    assert!(h.run().is_none());
    assert_eq!(h.ev.tx_confirms.len(), 15);
    assert_eq!(h.bus.violations(), 0);
}
