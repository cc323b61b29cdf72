// SPDX-License-Identifier: GPL-2.0

//! Firmware up and command round trips against the chip model.

mod common;

use bes2600_engine::pass::{Bh, Config};
use bes2600_engine::protocol::mib::{self, ReadMib, ReadMibConfirm, SetMib, SlotTime};
use bes2600_engine::protocol::msg::mcu::{McuCommand, McuCommandConfirm};
use bes2600_engine::protocol::msg::{self, Status, WriteMibConfirm};
use bes2600_engine::protocol::wsm_header::{id, Channel, Header};
use bes2600_engine::recovery::{Action, Policy};
use common::*;

#[test]
fn bh_is_send_and_owns_its_state() {
    fn send<T: Send>() {}
    send::<Bh>();
    // `Sync` is ruled out by the compile_fail doc test on `Bh`.
}

#[test]
fn startup_indication_sets_the_capacity() {
    let mut h = Harness::new(
        chip_config(12),
        Config::default(),
        Policy::default(),
        bes2600_engine::protocol::sdio_framing::MAX_RX_BATCH,
    );
    boot(&mut h.bus).unwrap();
    assert!(!h.bh.is_started());
    assert_eq!(
        h.bh.flow().capacity(),
        0,
        "nothing may be sent before startup"
    );
    // A command submitted before the firmware is up waits in its slot.
    h.cmds.pending = Some(encode(
        &ReadMib {
            mib_id: mib::id::STATION_ID,
        },
        0,
    ));
    let r = h.pass();
    assert!(r.started && r.fatal.is_none());
    assert_eq!(r.counters.rx_batches, 1);
    assert_eq!(h.bh.flow().capacity(), 12);
    assert_eq!(h.ev.up.len(), 1);
    assert_eq!(h.ev.up[0].num_inp_ch_bufs, 12);
    assert_eq!(h.ev.up[0].size_inp_ch_buf, 1632);
    assert_eq!(
        h.bh.flow().expected_rx_seq(Channel::Lmac).value(),
        1,
        "the startup indication consumed RX sequence 0"
    );
    // The same pass sent the waiting command right after the capacity became known.
    assert_eq!(r.counters.tx_commands, 1);
    assert!(h.run().is_none());
    let (_, c) = msg::decode::<ReadMibConfirm<'_>>(&h.ev.confirms[0]).unwrap();
    assert_eq!(c.data, CHIP_MAC);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn write_mib_then_read_it_back() {
    let mut h = Harness::up(8);
    let c = h.round_trip(&SetMib(SlotTime(9)), 0).unwrap();
    let (_, w) = msg::decode::<WriteMibConfirm>(&c).unwrap();
    assert_eq!(w.status, Status::SUCCESS);
    let c = h
        .round_trip(
            &ReadMib {
                mib_id: mib::id::SLOT_TIME,
            },
            0,
        )
        .unwrap();
    let (hdr, r) = msg::decode::<ReadMibConfirm<'_>>(&c).unwrap();
    assert_eq!(r.status, Status::SUCCESS);
    assert_eq!(r.mib_id, mib::id::SLOT_TIME);
    assert_eq!(r.data, 9u32.to_le_bytes());
    assert_eq!(
        hdr.id.seq().value(),
        2,
        "startup 0, write confirm 1, read confirm 2"
    );
    assert!(h.bh.outstanding().is_none());
    assert!(h.bh.flow().is_idle(), "every buffer released");
    assert_eq!(h.bh.totals().tx_commands, 2);
    assert_eq!(h.bh.totals().confirms, 2);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn many_commands_wrap_the_sequence_numbers() {
    let mut h = Harness::up(4);
    for i in 0..20u32 {
        let c = h.round_trip(&SetMib(SlotTime(i)), 1).unwrap();
        assert_eq!(base(&c), id::WRITE_MIB_CONFIRM);
        assert_eq!(
            Header::parse(&c).unwrap().id.if_id(),
            1,
            "the confirm answers interface 1"
        );
    }
    assert_eq!(h.bh.flow().next_tx_seq(Channel::Lmac).value(), 20 % 8);
    assert_eq!(h.bus.chip.stats.get("wsm_requests"), 20);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn mcu_command_travels_alone_on_its_own_channel() {
    let mut h = Harness::up(8);
    h.data.frames.extend((0..3).map(|i| data_frame(i, 0, 100)));
    h.cmds.pending = Some(encode(&McuCommand::WifiStatus(5), 0));
    assert!(h.run().is_none());
    assert_eq!(h.ev.confirms.len(), 1);
    let (hdr, c) = msg::decode::<McuCommandConfirm<'_>>(&h.ev.confirms[0]).unwrap();
    assert_eq!(
        c.header.cmd_type,
        bes2600_engine::protocol::msg::mcu::SUB_WIFI_STATUS
    );
    assert_eq!(hdr.id.seq().value(), 0, "first message on the MCU channel");
    assert_eq!(h.bh.flow().next_tx_seq(Channel::Mcu).value(), 1);
    assert_eq!(h.bh.flow().expected_rx_seq(Channel::Mcu).value(), 1);
    let first = &h.bus.written[0];
    assert!(first.mcu && first.count == 1, "the MCU command went alone");
    assert_eq!(
        h.bus.written[1].count, 3,
        "the data followed in the next batch"
    );
    assert_eq!(h.ev.tx_confirms.len(), 3);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn malformed_host_messages_are_refused_not_sent() {
    let mut h = Harness::up(8);
    // A data frame in the command slot.
    h.cmds.pending = Some(data_frame(1, 0, 10));
    // A command in the data queue, a frame for interface 3, a frame whose packet id names
    // another interface, a frame longer than the largest slot, a truncated header.
    let mut bad_if = data_frame(2, 0, 10);
    bad_if[2..4].copy_from_slice(&(id::TX | 3 << 6).to_le_bytes());
    let mut bad_pid = data_frame(3, 0, 10);
    bad_pid[2..4].copy_from_slice(&(id::TX | 1 << 6).to_le_bytes());
    let mut short = data_frame(4, 0, 10);
    short.truncate(10);
    h.data.frames.extend([
        encode(&ReadMib { mib_id: 0 }, 0),
        bad_if,
        bad_pid,
        data_frame(5, 0, 1700),
        short,
        data_frame(6, 0, 10),
    ]);
    assert!(h.run().is_none());
    assert_eq!(h.cmds.rejected.len(), 1);
    assert_eq!(h.data.rejected.len(), 5);
    assert_eq!(h.data.taken, 1, "only the good frame went out");
    assert_eq!(h.ev.tx_confirms.len(), 1);
    assert_eq!(h.bh.totals().rejected, 6);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn recovery_machine_reports_the_first_boot() {
    let h = Harness::up(8);
    assert!(h.recovery.is_running());
    assert_eq!(h.actions, vec![Action::NotifyUp]);
}
