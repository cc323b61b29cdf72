// SPDX-License-Identifier: GPL-2.0

//! Every fault switch, and the vsdio message codec.

mod common;

use bes2600_chip_model::air::{Air, AirTx};
use bes2600_chip_model::faults::{self, FaultKind};
use bes2600_chip_model::hwsim::{self, RadioFrame, TxRate};
use bes2600_chip_model::medium::Medium;
use bes2600_chip_model::transport::{fault, HostMsg, ModelMsg};
use bes2600_protocol::error::Error;
use bes2600_protocol::mib::{ReadMib, SetMib, UseMultiTxConfirm};
use bes2600_protocol::msg::event::{event_id, Event, Exception};
use bes2600_protocol::msg::join::{Join, JOIN_FLAG_FORCE};
use bes2600_protocol::msg::key::{AddKey, Key};
use bes2600_protocol::msg::rx::RxIndication;
use bes2600_protocol::msg::tx::{PacketId, TxRequest};
use bes2600_protocol::msg::{self, Ssid, Status};
use bes2600_protocol::sdio_framing::{reg, LengthReg, RxBatch};
use bes2600_protocol::wsm_header::id;
use common::*;

fn inject(h: &mut Host, spec: &str) {
    let s = faults::parse(spec).unwrap();
    let now = h.now;
    h.chip.inject(now, &s);
    h.pump();
}

fn joined() -> Host {
    let mut h = Host::new(config(8));
    h.bring_up();
    let j = Join {
        mode: 1,
        channel: 6,
        bssid: AP,
        flags: JOIN_FLAG_FORCE,
        ssid: Ssid::new(b"test").unwrap(),
        beacon_interval: 100,
        ..Join::default()
    };
    h.command(&j, 0);
    h.air.ack_addrs.push(AP);
    h
}

fn tx(h: &mut Host, item: u8) {
    let mut f = vec![0x08, 0x01, 0, 0];
    f.extend_from_slice(&AP);
    f.extend_from_slice(&CHIP_MAC);
    f.extend_from_slice(&AP);
    f.extend_from_slice(&[0, 0, 1, 2, 3]);
    let mut buf = vec![0u8; 512];
    let n = msg::encode(
        &TxRequest {
            packet_id: PacketId::new(item, 0, 0, 0, 0, 0),
            max_tx_rate: 6,
            frame: &f,
            ..TxRequest::default()
        },
        0,
        &mut buf,
    )
    .unwrap();
    h.send(vec![buf[..n].to_vec()]);
}

#[test]
fn drop_confirm() {
    let mut h = joined();
    inject(&mut h, "drop-confirm:count=1");
    tx(&mut h, 1);
    assert!(h.poll_rx().is_empty(), "confirm dropped");
    assert_eq!(h.chip.in_flight(), 0, "the chip freed the buffer anyway");
    tx(&mut h, 2);
    assert_eq!(base(&h.poll_rx()[0]), id::TX_CONFIRM);
    // kind=cmd drops command confirms only.
    inject(&mut h, "drop-confirm:kind=cmd");
    let r = h.command(&ReadMib { mib_id: 0 }, 0);
    assert!(r.is_empty());
    assert_eq!(h.chip.stats.get("fault.drop-confirm"), 2);
    assert_eq!(h.violations(), 0);
}

#[test]
fn delay_confirm() {
    let mut h = joined();
    inject(&mut h, "delay-confirm:delay=300");
    tx(&mut h, 1);
    assert!(h.poll_rx().is_empty());
    assert_eq!(
        h.chip.in_flight(),
        1,
        "the buffer stays in use until the confirm goes out"
    );
    h.advance(299);
    assert!(h.poll_rx().is_empty());
    h.advance(2);
    assert_eq!(base(&h.poll_rx()[0]), id::TX_CONFIRM);
    assert_eq!(h.chip.in_flight(), 0);
    assert!(h.flow.is_idle());
}

#[test]
fn corrupt_rx_length_in_message_and_register() {
    let mut h = joined();
    inject(&mut h, "corrupt-rx-len");
    h.air_rx(2437, data_from_ap(CHIP_MAC, &[1; 20]));
    let (lr, data) = h.read_raw_batch().unwrap();
    assert!(matches!(
        RxBatch::parse(&data, lr.len()),
        Err(Error::MessageOverrun { .. })
    ));
    inject(&mut h, "corrupt-rx-len:mode=reg");
    h.air_rx(2437, data_from_ap(CHIP_MAC, &[1; 20]));
    let lr = LengthReg::from_byte(h.read_reg(reg::RX_LEN));
    assert_eq!(
        lr.units, 2,
        "announces one unit more than the 512-byte batch"
    );
    assert_eq!(h.rxq.front().unwrap().2.len(), 512);
    // The host's over-long read of the corrupted item is not the host's fault.
    h.t.push(&HostMsg::BadAccess {
        addr: 1024,
        code: 2,
    });
    h.pump();
    assert_eq!(h.violations(), 0);
}

#[test]
fn corrupt_rx_id_and_wrong_seq() {
    let mut h = joined();
    inject(&mut h, "corrupt-rx-id:id=0x0433");
    h.air_rx(2437, data_from_ap(CHIP_MAC, &[1; 20]));
    let r = h.poll_rx();
    assert_eq!(base(&r[0]), 0x0433);
    assert!(
        !h.flow_errors.is_empty(),
        "the host sees a confirm nobody asked for"
    );
    let mut h = joined();
    inject(&mut h, "wrong-seq:count=1");
    h.air_rx(2437, data_from_ap(CHIP_MAC, &[1; 20]));
    h.poll_rx();
    assert!(matches!(h.flow_errors[0], Error::Sequence { .. }));
    assert_eq!(h.chip.stats.get("fault.wrong-seq"), 1);
}

#[test]
fn crash_silent_and_with_exception() {
    let mut h = joined();
    inject(&mut h, "crash");
    let mut buf = vec![0u8; 64];
    let n = msg::encode(&ReadMib { mib_id: 0 }, 0, &mut buf).unwrap();
    h.send(vec![buf[..n].to_vec()]);
    assert!(h.poll_rx().is_empty(), "a crashed firmware does not answer");
    assert!(
        !h.air_rx(2437, data_from_ap(CHIP_MAC, &[1])),
        "nor acknowledges frames"
    );
    let mut h = joined();
    inject(&mut h, "crash:mode=exception");
    let r = h.poll_rx();
    let (_, e) = msg::decode::<Exception>(&r[0]).unwrap();
    assert!(e.is_assert());
    // Only a card reset brings it back.
    h.t.push(&HostMsg::CardReset);
    h.pump();
    h.bring_up();
    assert_eq!(h.violations(), 0);
}

#[test]
fn bus_faults_are_forwarded_to_the_host() {
    let mut h = joined();
    inject(&mut h, "irq-storm:count=50");
    inject(&mut h, "bus-error:count=3");
    inject(&mut h, "cmd52-timeout:count=2");
    assert_eq!(
        h.control,
        vec![
            ModelMsg::Fault {
                code: fault::IRQ_STORM,
                count: 50
            },
            ModelMsg::Fault {
                code: fault::CMD53_EIO,
                count: 3
            },
            ModelMsg::Fault {
                code: fault::CMD52_TIMEOUT,
                count: 2
            },
        ]
    );
}

#[test]
fn decrypt_fail_storm() {
    let mut h = joined();
    let tk = [0x44u8; 16];
    h.command(
        &AddKey {
            entry_index: 0,
            key: Key::AesPairwise { peer: AP, key: tk },
        },
        0,
    );
    inject(&mut h, "decrypt-fail:for=100");
    let mut f = data_from_ap(CHIP_MAC, &[]);
    f[1] |= 0x40;
    f.extend_from_slice(&[0; 8 + 4 + 8]);
    bes2600_chip_model::ccmp::encrypt_in_place(&tk, &mut f, 24, 9, 0).unwrap();
    for _ in 0..3 {
        h.air_rx(2437, f.clone());
    }
    let r = h.poll_rx();
    assert_eq!(r.len(), 3);
    for m in &r {
        let (_, ind) = msg::decode::<RxIndication<'_>>(m).unwrap();
        assert_eq!(ind.status, Status::DECRYPT_FAILURE);
    }
    h.advance(101);
    h.air_rx(2437, f);
    let r = h.poll_rx();
    let (_, ind) = msg::decode::<RxIndication<'_>>(&r[0]).unwrap();
    assert_eq!(ind.status, Status::SUCCESS);
}

#[test]
fn beacon_loss_then_regain() {
    let mut h = joined();
    h.command(
        &bes2600_protocol::msg::join::SetBssParams {
            beacon_lost_count: 5,
            ..Default::default()
        },
        0,
    );
    inject(&mut h, "beacon-loss:for=1000");
    for _ in 0..8 {
        h.air_rx(2437, beacon(AP, b"test", 6));
        h.advance(100);
    }
    let r = h.poll_rx();
    let (_, ev) = msg::decode::<Event>(find(&r, id::EVENT).unwrap()).unwrap();
    assert_eq!(ev.id, event_id::BSS_LOST);
    h.advance(300);
    h.air_rx(2437, beacon(AP, b"test", 6));
    let r = h.poll_rx();
    let (_, ev) = msg::decode::<Event>(find(&r, id::EVENT).unwrap()).unwrap();
    assert_eq!(ev.id, event_id::BSS_REGAINED);
}

#[test]
fn ap_vanish_and_return_in_the_medium() {
    let mut m = Medium::new(-40);
    let radio = hwsim::default_radio_addr(0);
    m.add_radio(radio);
    let rf = RadioFrame {
        transmitter: radio,
        frame: beacon(AP, b"test", 6),
        flags: 0,
        rates: [
            TxRate { idx: 0, count: 1 },
            TxRate { idx: -1, count: 0 },
            TxRate { idx: -1, count: 0 },
            TxRate { idx: -1, count: 0 },
        ],
        rate_flags: [0; 4],
        cookie: 1,
        freq: Some(2437),
    };
    assert!(m.from_radio(0, &rf).is_some());
    let spec = faults::parse("ap-vanish:bssid=02:00:00:00:00:00,for=500").unwrap();
    let FaultKind::ApVanish(b) = spec.kind else {
        panic!()
    };
    m.set_vanish(b, Some(500_000));
    assert!(m.from_radio(1, &rf).is_none());
    let mut to_ap = data_from_ap(AP, &[]);
    to_ap[10..16].copy_from_slice(&CHIP_MAC);
    assert!(!m.transmit(
        1,
        AirTx {
            freq: 2437,
            frame: to_ap.clone(),
            rate: 0
        }
    ));
    m.tick(500_000);
    assert!(m.from_radio(500_001, &rf).is_some());
    assert!(m.transmit(
        500_001,
        AirTx {
            freq: 2437,
            frame: to_ap,
            rate: 0
        }
    ));
    // ap-return ends it at once.
    m.set_vanish(None, None);
    assert!(m.from_radio(600_000, &rf).is_none());
    m.clear_vanish();
    assert!(m.from_radio(600_001, &rf).is_some());
}

#[test]
fn multi_tx_confirm_under_drop_fault_still_frees_buffers() {
    let mut h = joined();
    h.command(&SetMib(UseMultiTxConfirm(1)), 0);
    inject(&mut h, "drop-confirm");
    tx(&mut h, 1);
    assert!(h.poll_rx().is_empty());
    assert_eq!(h.chip.in_flight(), 0);
}

#[test]
fn vsdio_codec_round_trips() {
    let msgs = [
        HostMsg::Cmd53Write {
            addr: 0x1_0600,
            block_mode: true,
            blocks: 2,
            data: vec![1; 1024],
        },
        HostMsg::Cmd52Write {
            reg: 0x120,
            value: 0x21,
        },
        HostMsg::RxConsumed {
            addr: 512,
            bytes: 512,
        },
        HostMsg::BadAccess { addr: 5, code: 3 },
        HostMsg::CardReset,
        HostMsg::FuncEnable(true),
    ];
    for m in msgs {
        assert_eq!(HostMsg::decode(&m.encode()), Ok(m));
    }
    let e = HostMsg::Cmd52Write {
        reg: 0x120,
        value: 0x21,
    }
    .encode();
    assert_eq!(
        &e[..16],
        &[2, 0, 0, 0, 0x20, 1, 0, 0, 0x21, 0, 0, 0, 0, 0, 0, 0]
    );
    // Each register argument: the head value in bits 7..0, the idle value in bits 15..8.
    let m = ModelMsg::RxQueue {
        reg0: 0,
        reg1: 0x81,
        idle0: 1,
        idle1: 0x81,
        data: vec![9; 512],
    };
    let e = m.encode();
    assert_eq!(
        &e[..16],
        &[0x81, 0, 0, 0, 0, 1, 0, 0, 0x81, 0x81, 0, 0, 0, 2, 0, 0]
    );
    assert_eq!(ModelMsg::decode(&e), Ok(m));
    let mut bad = e.clone();
    bad[6] = 1;
    assert!(ModelMsg::decode(&bad).is_err());
    assert_eq!(
        &ModelMsg::WriteDone(3).encode(),
        &[0x87, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    for m in [
        ModelMsg::SetReg {
            reg: 0x10C,
            value: 5,
        },
        ModelMsg::Irq(true),
        ModelMsg::Fault { code: 3, count: 10 },
        ModelMsg::Timing {
            bytes_per_sec: 25_000_000,
            overhead_ns: 2000,
        },
        ModelMsg::CardPresent(false),
        ModelMsg::WriteDone(u32::MAX),
    ] {
        assert_eq!(ModelMsg::decode(&m.encode()), Ok(m));
    }
    assert!(HostMsg::decode(&[0; 8]).is_err());
    assert!(HostMsg::decode(&ModelMsg::Irq(true).encode()).is_err());
    let mut bad = HostMsg::CardReset.encode();
    bad[12] = 4;
    assert!(HostMsg::decode(&bad).is_err());
}
