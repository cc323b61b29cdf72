// SPDX-License-Identifier: GPL-2.0

//! A hostile device: inputs the chip model never produces, from a scripted bus. Every one
//! ends in a fatal outcome naming the violation (or is tolerated where docs/chip-protocol.md
//! says the vendor tolerates it), never in a panic.

mod common;

use bes2600_engine::pass::{Bh, Config, Fatal, PassReport, Violation};
use bes2600_engine::protocol::error::{Error, FlowError};
use bes2600_engine::protocol::msg::config::{StartupIndication, LABEL_LEN};
use bes2600_engine::protocol::msg::mcu::McuMessage;
use bes2600_engine::protocol::msg::tx::{PacketId, TxConfirm};
use bes2600_engine::protocol::msg::{Status, WriteMibConfirm};
use bes2600_engine::protocol::sdio_framing::{
    LengthReg, RxBatchBuilder, MAX_RX_BATCH, RX_BUFFER_LEN,
};
use bes2600_engine::protocol::wsm_header::{self, id, Header, MsgId, Seq};
use common::*;

/// The device side of a script: sequence numbers per channel and the length toggle.
struct Dev {
    seq: [Seq; 2],
    toggle: bool,
}

impl Dev {
    fn new() -> Self {
        Self {
            seq: [Seq::ZERO; 2],
            toggle: false,
        }
    }

    /// Stamps the next sequence numbers and packs `msgs` into one RX item.
    fn batch(&mut self, msgs: &[Vec<u8>]) -> Item {
        let mut buf = vec![0u8; MAX_RX_BATCH];
        let mut b = RxBatchBuilder::new(&mut buf);
        for m in msgs {
            let mut m = m.clone();
            let ch = Header::parse(&m).unwrap().id.channel().index();
            wsm_header::stamp_seq(&mut m, self.seq[ch]).unwrap();
            self.seq[ch] = self.seq[ch].next();
            b.push(&m).unwrap();
        }
        let (reg, len) = b.finish(self.toggle).unwrap();
        self.toggle = !self.toggle;
        buf.truncate(len);
        Item {
            reg1: reg.to_byte(),
            data: buf,
        }
    }
}

fn startup(buffers: u16, status: u16) -> Vec<u8> {
    encode(
        &StartupIndication {
            num_inp_ch_bufs: buffers,
            size_inp_ch_buf: 1632,
            hardware_id: 0x2002,
            hardware_sub_id: 0,
            status,
            firmware_cap: 0,
            firmware_type: 1,
            firmware_api_ver: 1,
            firmware_build: 1,
            firmware_version: 1,
            label: [0; LABEL_LEN],
        },
        0,
    )
}

struct Rig {
    bus: ScriptBus,
    bh: Bh,
    clock: TestClock,
    cmds: Slot,
    data: Queue,
    ev: Recorder,
    dev: Dev,
}

impl Rig {
    fn new(cfg: Config, rx_capacity: usize) -> Self {
        Self {
            bus: ScriptBus::new(rx_capacity),
            bh: Bh::new(cfg),
            clock: TestClock::default(),
            cmds: Slot::default(),
            data: Queue::default(),
            ev: Recorder::default(),
            dev: Dev::new(),
        }
    }

    fn pass(&mut self) -> PassReport {
        self.bh.pass(
            &mut self.bus,
            &self.clock,
            &mut self.cmds,
            &mut self.data,
            &mut self.ev,
        )
    }

    fn queue(&mut self, msgs: &[Vec<u8>]) {
        let item = self.dev.batch(msgs);
        self.bus.items.push_back(item);
    }

    /// A rig whose firmware is up with `buffers` buffers.
    fn up(buffers: u16) -> Self {
        let mut r = Self::new(Config::default(), MAX_RX_BATCH);
        r.queue(&[startup(buffers, 0)]);
        let p = r.pass();
        assert!(p.started && p.fatal.is_none());
        r
    }
}

fn violation(r: &PassReport) -> Violation {
    match r.fatal {
        Some(Fatal::Violation(v)) => v,
        other => panic!("expected a violation, got {other:?}"),
    }
}

#[test]
fn the_leftover_length_value_is_stale_not_a_violation() {
    let mut r = Rig::up(4);
    // The register keeps the value of the batch just read (vendor "remain").
    assert_eq!(r.bus.items.len(), 0);
    assert_ne!(r.bus.idle_reg1, 0);
    let p = r.pass();
    assert!(p.fatal.is_none());
    assert_eq!(p.counters.stale_polls, 1);
    assert_eq!(r.bus.reads.len(), 1, "no data read for a stale length");
}

#[test]
fn a_new_length_with_a_consumed_toggle_is_a_violation() {
    let mut r = Rig::up(4);
    // Two units with toggle 0: the toggle the startup batch used.
    let reg = LengthReg {
        toggle: false,
        units: 2,
    }
    .to_byte();
    r.bus.idle_reg1 = reg;
    let p = r.pass();
    assert_eq!(violation(&p), Violation::LengthToggle { reg });
    assert_eq!(p.counters.violations, 1);
    // The vendor's tolerance, when configured: taken as stale.
    let mut r = Rig::new(
        Config {
            strict_length_toggle: false,
            ..Config::default()
        },
        MAX_RX_BATCH,
    );
    r.queue(&[startup(4, 0)]);
    assert!(r.pass().started);
    r.bus.idle_reg1 = reg;
    let p = r.pass();
    assert!(p.fatal.is_none());
    assert_eq!(p.counters.stale_polls, 1);
}

#[test]
fn a_batch_larger_than_the_rx_buffer_is_a_violation() {
    let mut r = Rig::new(Config::default(), RX_BUFFER_LEN);
    r.bus.idle_reg1 = LengthReg {
        toggle: false,
        units: 127,
    }
    .to_byte();
    let p = r.pass();
    assert_eq!(
        violation(&p),
        Violation::RxTooLong {
            announced: 127 * 512,
            capacity: RX_BUFFER_LEN
        }
    );
    assert!(r.bus.reads.is_empty(), "nothing was read");
}

#[test]
fn zero_length_consults_register_zero() {
    let mut r = Rig::new(Config::default(), MAX_RX_BATCH);
    // Bit 0 set: nothing pending, one poll.
    let p = r.pass();
    assert_eq!(p.counters.empty_polls, 1);
    // Bit 0 clear: "maybe more", polled again up to the configured count.
    r.bus.ctrl = 0;
    let p = r.pass();
    assert_eq!(
        p.counters.empty_polls, 6,
        "the first poll and 5 re-polls, as the vendor"
    );
    assert!(p.fatal.is_none() && !p.more);
}

#[test]
fn seventeen_messages_in_a_batch_are_a_violation() {
    let mut r = Rig::up(4);
    // Build the batch by hand: the builder refuses a 17th message.
    let mut data = Vec::new();
    let mut seq = Seq::from_bits(1);
    for _ in 0..17 {
        let mut m = encode(
            &bes2600_engine::protocol::msg::event::Event { id: 0, data: 0 },
            0,
        );
        wsm_header::stamp_seq(&mut m, seq).unwrap();
        seq = seq.next();
        data.extend_from_slice(&m);
    }
    data.resize(data.len().div_ceil(512) * 512, 0);
    r.bus.items.push_back(Item {
        reg1: LengthReg::for_batch(data.len(), true).unwrap().to_byte(),
        data,
    });
    let p = r.pass();
    assert!(matches!(
        violation(&p),
        Violation::Batch(Error::TooMany { count: 17, .. })
    ));
}

#[test]
fn a_header_shorter_than_itself_is_a_violation() {
    let mut r = Rig::up(4);
    let mut data = vec![0u8; 512];
    data[..4].copy_from_slice(
        &Header {
            len: 2,
            id: MsgId::from_raw(0x0805),
        }
        .to_bytes(),
    );
    r.bus.items.push_back(Item {
        reg1: LengthReg::for_batch(512, true).unwrap().to_byte(),
        data,
    });
    assert!(matches!(
        violation(&r.pass()),
        Violation::Batch(Error::BadLength { len: 2, .. })
    ));
}

#[test]
fn an_all_zero_batch_holds_no_message() {
    let mut r = Rig::up(4);
    r.bus.items.push_back(Item {
        reg1: LengthReg::for_batch(512, true).unwrap().to_byte(),
        data: vec![0; 512],
    });
    let p = r.pass();
    assert!(p.fatal.is_none());
    assert_eq!((p.counters.rx_batches, p.counters.rx_frames), (1, 0));
}

#[test]
fn confirms_before_startup_are_violations() {
    let mut r = Rig::new(Config::default(), MAX_RX_BATCH);
    r.queue(&[encode(
        &WriteMibConfirm {
            status: Status::SUCCESS,
        },
        0,
    )]);
    assert_eq!(
        violation(&r.pass()),
        Violation::UnexpectedConfirm {
            confirm: id::WRITE_MIB_CONFIRM,
            pending: None
        }
    );
}

#[test]
fn bad_and_repeated_startup_indications_are_violations() {
    let mut r = Rig::new(Config::default(), MAX_RX_BATCH);
    r.queue(&[startup(4, 1)]);
    assert!(matches!(
        violation(&r.pass()),
        Violation::BadStartup(Error::InvalidField {
            field: "startup status",
            ..
        })
    ));
    let mut r = Rig::new(Config::default(), MAX_RX_BATCH);
    r.queue(&[startup(0, 0)]);
    assert!(matches!(violation(&r.pass()), Violation::BadStartup(_)));
    // The firmware restarting by itself.
    let mut r = Rig::up(4);
    r.queue(&[startup(4, 0)]);
    assert_eq!(
        violation(&r.pass()),
        Violation::BadStartup(Error::Flow(FlowError::AlreadyStarted))
    );
    // A truncated one.
    let mut r = Rig::new(Config::default(), MAX_RX_BATCH);
    let mut s = startup(4, 0);
    s.truncate(30);
    s[..2].copy_from_slice(&30u16.to_le_bytes());
    r.queue(&[s]);
    assert!(matches!(
        violation(&r.pass()),
        Violation::BadStartup(Error::Truncated { .. })
    ));
}

#[test]
fn mcu_message_with_an_unknown_label_is_a_violation() {
    let mut r = Rig::up(4);
    let mut m = McuMessage::<{ id::BT_REQUEST }>::indication(0, &[]);
    m.header.label = bes2600_engine::protocol::wsm_header::McuLabel::Other(0x55);
    r.queue(&[encode(&m, 0)]);
    assert!(matches!(
        violation(&r.pass()),
        Violation::BadMessage {
            error: Error::InvalidField {
                field: "mcu handle label",
                ..
            },
            ..
        }
    ));
}

#[test]
fn tx_confirm_for_nothing_in_flight_is_a_violation() {
    let mut r = Rig::up(4);
    let c = TxConfirm {
        packet_id: PacketId::new(1, 0, 0, 0, 0, 0),
        status: Status::SUCCESS,
        tx_rate: 6,
        ack_failures: 0,
        flags: 0,
        media_delay: 0,
        queue_delay: 0,
    };
    r.queue(&[encode(&c, 0)]);
    assert!(matches!(
        violation(&r.pass()),
        Violation::BadMessage {
            error: Error::Flow(FlowError::VifUnderflow { if_id: 0 } | FlowError::Underflow { .. }),
            ..
        }
    ));
}

#[test]
fn a_truncated_tx_confirm_is_a_violation() {
    let mut r = Rig::up(4);
    r.data.frames.push_back(data_frame(1, 0, 10));
    let p = r.pass();
    assert_eq!(p.counters.tx_frames, 1);
    let mut c = vec![0u8; 8];
    c[..4].copy_from_slice(
        &Header {
            len: 8,
            id: MsgId::from_raw(id::TX_CONFIRM),
        }
        .to_bytes(),
    );
    r.queue(&[c]);
    assert!(matches!(
        violation(&r.pass()),
        Violation::BadMessage {
            error: Error::Truncated { .. },
            ..
        }
    ));
}

#[test]
fn indications_are_handed_up_and_sequence_checked() {
    let mut r = Rig::up(4);
    let ev = encode(
        &bes2600_engine::protocol::msg::event::Event { id: 1, data: 0 },
        0,
    );
    r.queue(&[ev.clone(), ev.clone(), ev.clone()]);
    let p = r.pass();
    assert!(p.fatal.is_none());
    assert_eq!(p.counters.indications, 3);
    assert_eq!(r.ev.indications.len(), 3);
    // Skip a sequence number.
    r.dev.seq[0] = r.dev.seq[0].next();
    r.queue(&[ev]);
    assert!(matches!(violation(&r.pass()), Violation::Sequence { .. }));
}

#[test]
fn the_tx_write_carries_length_slot_code_and_toggle() {
    let mut r = Rig::up(8);
    r.data.frames.extend((0..3).map(|i| data_frame(i, 0, 600)));
    r.pass();
    r.data.frames.push_back(data_frame(9, 0, 100));
    r.pass();
    let (c0, d0) = &r.bus.writes[0];
    assert!(c0.write && c0.block_mode && c0.function == 1 && c0.increment);
    assert_eq!(
        c0.address,
        (3 * 1024) | 1,
        "3 × 1024-byte slots, code 1, toggle 0"
    );
    assert_eq!(c0.count, 6);
    assert_eq!(d0.len(), 3 * 1024);
    let (c1, _) = &r.bus.writes[1];
    assert_eq!(
        c1.address,
        512 | (1 << 16),
        "1 × 512-byte slot, code 0, toggle 1"
    );
    // Sequence numbers stamped into the copies, 0, 1, 2, then 3.
    let seqs: Vec<u8> = (0..3)
        .map(|i| Header::parse(&d0[i * 1024..]).unwrap().id.seq().value())
        .collect();
    assert_eq!(seqs, vec![0, 1, 2]);
    assert_eq!(
        Header::parse(&r.bus.writes[1].1).unwrap().id.seq().value(),
        3
    );
    // The RX reads carried the length and the RX toggle.
    assert_eq!(r.bus.reads[0].address, 512, "the startup batch, toggle 0");
}
