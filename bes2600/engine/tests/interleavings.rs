// SPDX-License-Identifier: GPL-2.0

//! Random interleavings of commands, data, time, chip-model faults and the shell's sleep
//! permission (with idle gaps around the 50 ms after which the chip may sleep).
//!
//! Whatever happens, the engine never makes the chip count a violation (buffer overflow,
//! sequence, toggle, malformed batch: faults the model injects itself do not count), never
//! holds more buffers than the chip has, never reports an internal error or a fatal outcome
//! no injected fault explains, and always ends in a working link — recovered where a fault
//! needed it.

mod common;

use bes2600_engine::pass::{Config, Fatal};
use bes2600_engine::power::PowerState;
use bes2600_engine::protocol::mib::{self, ReadMib, SetMib, SlotTime};
use bes2600_engine::protocol::msg::mcu::McuCommand;
use bes2600_engine::protocol::wsm_header::id;
use bes2600_engine::recovery::Policy;
use common::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// Submit a command (if the slot is free): read MIB, write MIB, MCU command.
    Command(u8),
    /// Queue `n` data frames with `body` payload bytes on interface `if_id`.
    Data { n: u8, body: u16, if_id: u8 },
    /// Inject a fault.
    Fault(Fault),
    /// Let time pass.
    Advance(u16),
    /// Service the BH.
    Run,
    /// The shell allows sleep, or not, and wakes the BH.
    SleepAllowed(bool),
    /// A short idle gap (ms), around the sleep's idle time.
    Idle(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    DropConfirm(u8),
    DelayConfirm(u16),
    CorruptLenMsg,
    CorruptLenReg,
    CorruptId(bool),
    WrongSeq,
    Crash(bool),
    IrqStorm(u8),
    BusError(u8),
    Cmd52Timeout(u8),
    NoWake,
}

impl Fault {
    fn spec(self) -> String {
        match self {
            Fault::DropConfirm(k) => {
                format!(
                    "drop-confirm:kind={}",
                    ["tx", "cmd", "any"][usize::from(k % 3)]
                )
            }
            Fault::DelayConfirm(ms) => format!("delay-confirm:kind=any,delay={ms}"),
            Fault::CorruptLenMsg => "corrupt-rx-len".into(),
            Fault::CorruptLenReg => "corrupt-rx-len:mode=reg".into(),
            Fault::CorruptId(other_confirm) => {
                if other_confirm {
                    "corrupt-rx-id:id=0x0406".into()
                } else {
                    "corrupt-rx-id".into()
                }
            }
            Fault::WrongSeq => "wrong-seq".into(),
            Fault::Crash(exception) => {
                if exception {
                    "crash:mode=exception".into()
                } else {
                    "crash".into()
                }
            }
            Fault::IrqStorm(n) => format!("irq-storm:count={n}"),
            Fault::BusError(n) => format!("bus-error:count={n}"),
            Fault::Cmd52Timeout(n) => format!("cmd52-timeout:count={n}"),
            Fault::NoWake => "no-wake".into(),
        }
    }
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        (0u8..3).prop_map(Fault::DropConfirm),
        (1u16..5000).prop_map(Fault::DelayConfirm),
        Just(Fault::CorruptLenMsg),
        Just(Fault::CorruptLenReg),
        any::<bool>().prop_map(Fault::CorruptId),
        Just(Fault::WrongSeq),
        any::<bool>().prop_map(Fault::Crash),
        (1u8..40).prop_map(Fault::IrqStorm),
        (1u8..30).prop_map(Fault::BusError),
        (1u8..30).prop_map(Fault::Cmd52Timeout),
        Just(Fault::NoWake),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..3).prop_map(Op::Command),
        4 => (1u8..24, 0u16..1580, 0u8..2).prop_map(|(n, body, if_id)| Op::Data { n, body, if_id }),
        1 => fault().prop_map(Op::Fault),
        2 => (0u16..4000).prop_map(Op::Advance),
        3 => Just(Op::Run),
        2 => any::<bool>().prop_map(Op::SleepAllowed),
        2 => (0u8..120).prop_map(Op::Idle),
    ]
}

fn command(kind: u8, i: u32) -> Vec<u8> {
    match kind {
        0 => encode(
            &ReadMib {
                mib_id: mib::id::STATION_ID,
            },
            0,
        ),
        1 => encode(&SetMib(SlotTime(i)), (i % 2) as u8),
        _ => encode(&McuCommand::WifiStatus(i), 0),
    }
}

/// Whether an injected fault explains a fatal outcome.
fn explained(f: &Fatal, injected: &[Fault]) -> bool {
    let any = |p: &dyn Fn(&Fault) -> bool| injected.iter().any(p);
    match f {
        Fatal::Violation(_) => any(&|x| {
            matches!(
                x,
                Fault::CorruptLenMsg | Fault::CorruptId(_) | Fault::WrongSeq
            )
        }),
        Fatal::Exception { .. } => any(&|x| *x == Fault::Crash(true)),
        Fatal::CommandTimeout { .. } | Fatal::ConfirmTimeout { .. } => any(&|x| {
            matches!(
                x,
                Fault::DropConfirm(_)
                    | Fault::DelayConfirm(_)
                    | Fault::Crash(_)
                    | Fault::CorruptId(_)
            )
        }),
        Fatal::Bus(_) => any(&|x| matches!(x, Fault::BusError(_) | Fault::Cmd52Timeout(_))),
        // A crashed firmware does not answer the doorbell either.
        Fatal::WakeTimeout(_) => any(&|x| matches!(x, Fault::NoWake | Fault::Crash(_))),
        Fatal::Internal(_) => false,
    }
}

fn check(buffers: u16, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let policy = Policy {
        budget: 1000,
        backoff_base_us: 1_000,
        backoff_max_us: 100_000,
        ..Policy::default()
    };
    let mut h = Harness::with(chip_config(buffers), Config::default(), policy);
    h.auto_recover = true;
    let mut injected = Vec::new();
    let mut item = 0u8;
    for (i, op) in ops.into_iter().enumerate() {
        match op {
            Op::Command(kind) => {
                if h.cmds.pending.is_none() {
                    h.cmds.pending = Some(command(kind, i as u32));
                }
            }
            Op::Data { n, body, if_id } => {
                for _ in 0..n {
                    item = item.wrapping_add(1);
                    h.data
                        .frames
                        .push_back(data_frame(item, if_id, usize::from(body)));
                }
            }
            Op::Fault(f) => {
                injected.push(f);
                h.bus.inject(&f.spec());
            }
            Op::Advance(ms) => {
                h.advance(u64::from(ms));
            }
            Op::Run => {
                h.run();
            }
            Op::SleepAllowed(on) => {
                h.bh.set_sleep_allowed(on);
                h.run();
            }
            Op::Idle(ms) => {
                h.advance(u64::from(ms));
            }
        }
        prop_assert_eq!(h.bus.violations(), 0, "after op {}", i);
        prop_assert!(h.bh.flow().in_use() <= buffers);
    }
    // Disarm what never fired. A silently crashed firmware only shows once something waits
    // for it: send a probe command, then let every delayed confirm, timeout and restart
    // play out.
    h.bus.clear_faults();
    if h.cmds.pending.is_none() {
        h.cmds.pending = Some(command(0, 0));
    }
    h.run();
    h.advance(20_000);
    prop_assert_eq!(h.bus.violations(), 0);
    for f in &h.fatals {
        prop_assert!(
            explained(f, &injected),
            "{:?} with faults {:?}",
            f,
            injected
        );
    }
    prop_assert!(h.recovery.is_running(), "{:?}", h.recovery.state());
    prop_assert!(h.data.frames.is_empty(), "every queued frame was sent");
    prop_assert!(h.cmds.pending.is_none());
    // Awake again for the round trips below, which do not let time pass.
    h.bh.set_sleep_allowed(false);
    h.run();
    h.advance(100);
    prop_assert_eq!(h.bh.power_state(), PowerState::Awake);
    // A working link: a command round trip and data.
    let c = h.round_trip(&ReadMib { mib_id: 0 }, 0);
    prop_assert_eq!(c.map(|c| base(&c)), Ok(id::READ_MIB_CONFIRM));
    let before = h.ev.tx_confirms.len();
    h.data.frames.extend((0..3).map(|k| data_frame(k, 0, 64)));
    prop_assert_eq!(h.run(), None);
    prop_assert_eq!(h.ev.tx_confirms.len(), before + 3);
    prop_assert_eq!(h.bus.violations(), 0);
    Ok(())
}

proptest! {
    // 200 cases; `PROPTEST_CASES` overrides.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_interleavings_keep_the_rules(
        buffers in prop_oneof![Just(2u16), Just(3), Just(8), Just(16), Just(40)],
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        check(buffers, ops)?;
    }

    #[test]
    fn without_faults_nothing_fails(
        buffers in prop_oneof![Just(2u16), Just(8), Just(40)],
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let ops: Vec<Op> = ops.into_iter().filter(|o| !matches!(o, Op::Fault(_))).collect();
        let policy = Policy::default();
        let mut h = Harness::with(chip_config(buffers), Config::default(), policy);
        let mut item = 0u8;
        for (i, op) in ops.into_iter().enumerate() {
            let f = match op {
                Op::Command(kind) => {
                    if h.cmds.pending.is_none() {
                        h.cmds.pending = Some(command(kind, i as u32));
                    }
                    None
                }
                Op::Data { n, body, if_id } => {
                    for _ in 0..n {
                        item = item.wrapping_add(1);
                        h.data.frames.push_back(data_frame(item, if_id, usize::from(body)));
                    }
                    None
                }
                Op::Advance(ms) => h.advance(u64::from(ms)),
                Op::Idle(ms) => h.advance(u64::from(ms)),
                Op::SleepAllowed(on) => {
                    h.bh.set_sleep_allowed(on);
                    h.run()
                }
                Op::Run | Op::Fault(_) => h.run(),
            };
            prop_assert_eq!(f, None);
            prop_assert_eq!(h.bus.violations(), 0, "after op {}", i);
        }
        // Whatever is still queued goes once the chip is awake (the queued work wakes the BH,
        // the handshake takes a few ms).
        prop_assert_eq!(h.run(), None);
        prop_assert_eq!(h.advance(100), None);
        prop_assert_eq!(h.run(), None);
        prop_assert!(h.data.frames.is_empty() && h.cmds.pending.is_none());
        prop_assert!(h.bh.flow().is_idle());
        prop_assert_eq!(h.bus.violations(), 0);
    }
}
