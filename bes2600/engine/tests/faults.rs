// SPDX-License-Identifier: GPL-2.0

//! Every chip-model fault switch that concerns the BH, and the outcome the engine reports.

mod common;

use bes2600_engine::bus::BusError;
use bes2600_engine::pass::{Config, Fatal, Violation};
use bes2600_engine::protocol::error::Error;
use bes2600_engine::protocol::mib::{self, ReadMib, SetMib, SlotTime};
use bes2600_engine::protocol::msg;
use bes2600_engine::protocol::msg::event::Exception;
use bes2600_engine::protocol::wsm_header::{id, Channel};
use bes2600_engine::recovery::{Action, Input, Policy, State};
use common::*;

fn read_mib() -> Vec<u8> {
    encode(
        &ReadMib {
            mib_id: mib::id::STATION_ID,
        },
        0,
    )
}

/// The link still works: a command round trip and a few data frames.
fn assert_works(h: &mut Harness) {
    let c = h.command(read_mib()).expect("a command round trip");
    assert_eq!(base(&c), id::READ_MIB_CONFIRM);
    let before = h.ev.tx_confirms.len();
    h.data.frames.extend((0..3).map(|i| data_frame(i, 0, 64)));
    assert!(h.run().is_none());
    assert_eq!(h.ev.tx_confirms.len(), before + 3);
}

#[test]
fn dropped_command_confirm_trips_the_buffer_watchdog() {
    let mut h = Harness::up(8);
    h.bus.inject("drop-confirm:kind=cmd");
    h.cmds.pending = Some(read_mib());
    assert!(h.run().is_none(), "nothing is wrong yet");
    assert!(h.bh.outstanding().is_some());
    assert_eq!(
        h.bh.next_deadline(),
        Some(3_000_000),
        "the 3 s watchdog comes first"
    );
    assert!(h.advance(2_999).is_none());
    assert_eq!(h.advance(1), Some(Fatal::ConfirmTimeout { in_use: 1 }));
    assert_eq!(h.bh.totals().timeouts, 1);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn dropped_command_confirm_times_the_command_out() {
    let cfg = Config {
        command_timeout_us: 1_000_000,
        ..Config::default()
    };
    let mut h = Harness::with(chip_config(8), cfg, Policy::default());
    h.bus.inject("drop-confirm:kind=cmd");
    h.cmds.pending = Some(encode(&SetMib(SlotTime(20)), 0));
    assert!(h.run().is_none());
    let f = h.advance(5_000);
    assert_eq!(f, Some(Fatal::CommandTimeout { id: id::WRITE_MIB }));
    assert!(h.bh.outstanding().is_none(), "the command was abandoned");
    assert_eq!(h.bh.failure(), f, "the outcome is sticky");
    let r = h.pass();
    assert_eq!(r.fatal, f);
    assert_eq!(
        r.counters.rx_batches + r.counters.tx_batches,
        0,
        "no I/O once failed"
    );
    assert_eq!(Input::from(f.unwrap()), Input::CommandTimeout);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn dropped_tx_confirm_trips_the_watchdog() {
    let mut h = Harness::up(8);
    h.bus.inject("drop-confirm:kind=tx");
    h.data.frames.extend((0..2).map(|i| data_frame(i, 0, 64)));
    assert!(h.run().is_none());
    assert_eq!(h.ev.tx_confirms.len(), 1);
    assert_eq!(h.bh.flow().in_use(), 1);
    assert_eq!(h.advance(4_000), Some(Fatal::ConfirmTimeout { in_use: 1 }));
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn a_short_confirm_delay_is_no_fault() {
    let mut h = Harness::up(8);
    h.bus.inject("delay-confirm:kind=any,delay=300,count=2");
    h.cmds.pending = Some(read_mib());
    h.data.frames.push_back(data_frame(1, 0, 64));
    assert!(h.run().is_none());
    assert_eq!(
        h.bh.flow().in_use(),
        2,
        "both buffers held while the confirms wait"
    );
    assert!(h.advance(299).is_none());
    assert!(h.ev.confirms.is_empty());
    assert!(h.advance(2).is_none());
    assert_eq!(h.ev.confirms.len(), 1);
    assert_eq!(h.ev.tx_confirms.len(), 1);
    assert!(h.bh.flow().is_idle());
    assert_works(&mut h);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn a_long_confirm_delay_is_a_timeout() {
    let mut h = Harness::up(8);
    h.bus.inject("delay-confirm:kind=cmd,delay=4000");
    h.cmds.pending = Some(read_mib());
    assert!(h.run().is_none());
    assert_eq!(h.advance(5_000), Some(Fatal::ConfirmTimeout { in_use: 1 }));
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn corrupt_message_length_is_a_violation() {
    let mut h = Harness::up(8);
    h.bus.inject("corrupt-rx-len");
    let f = h.command(read_mib()).unwrap_err();
    assert!(
        matches!(
            f,
            Fatal::Violation(Violation::Batch(Error::MessageOverrun { index: 0, .. }))
        ),
        "{f:?}"
    );
    assert_eq!(h.bh.totals().violations, 1);
    assert!(
        h.ev.confirms.is_empty(),
        "nothing of the bad batch was dispatched"
    );
    assert_eq!(Input::from(f), Input::ProtocolViolation);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn corrupt_length_register_reads_zero_padding_harmlessly() {
    // Register 0x001 announces one 512-byte unit more than the batch: the host reads past
    // the item and gets zeros (ABI.md), which the batch parser takes as its terminator.
    let mut h = Harness::up(8);
    h.bus.inject("corrupt-rx-len:mode=reg");
    let c = h.command(read_mib()).unwrap();
    assert_eq!(base(&c), id::READ_MIB_CONFIRM);
    assert_eq!(h.bus.chip.stats.get("fault.corrupt-rx-len"), 1);
    assert_works(&mut h);
    assert_eq!(
        h.bus.violations(),
        0,
        "the over-long read was the fault's doing"
    );
}

#[test]
fn unexpected_confirm_id_is_a_violation() {
    let mut h = Harness::up(8);
    // The default replacement 0x043F: a confirm nobody asked for.
    h.bus.inject("corrupt-rx-id");
    h.data.frames.push_back(data_frame(1, 0, 64));
    assert_eq!(
        h.run(),
        Some(Fatal::Violation(Violation::UnexpectedConfirm {
            confirm: 0x043F,
            pending: None
        }))
    );
    // A confirm of another command than the outstanding one.
    let mut h = Harness::up(8);
    h.bus.inject("corrupt-rx-id:id=0x0406");
    assert_eq!(
        h.command(read_mib()),
        Err(Fatal::Violation(Violation::UnexpectedConfirm {
            confirm: id::WRITE_MIB_CONFIRM,
            pending: Some(id::READ_MIB)
        }))
    );
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn request_class_id_from_the_chip_is_a_violation() {
    let mut h = Harness::up(8);
    h.bus.inject("corrupt-rx-id:id=0x0005");
    let f = h.command(read_mib()).unwrap_err();
    assert!(
        matches!(
            f,
            Fatal::Violation(Violation::BadMessage {
                id,
                error: Error::InvalidField { .. }
            }) if id & 0x0FFF == 0x0005
        ),
        "{f:?}"
    );
}

#[test]
fn wrong_sequence_number_is_a_violation() {
    let mut h = Harness::up(8);
    h.bus.inject("wrong-seq");
    let f = h.command(read_mib()).unwrap_err();
    assert_eq!(
        f,
        Fatal::Violation(Violation::Sequence {
            channel: Channel::Lmac,
            expected: 1,
            found: 4
        })
    );
    assert_eq!(h.bus.chip.stats.get("fault.wrong-seq"), 1);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn crash_with_exception_is_fatal() {
    let mut h = Harness::up(8);
    h.bus.inject("crash:mode=exception");
    let f = h.run();
    assert_eq!(f, Some(Fatal::Exception { reason: Some(4) }));
    assert_eq!(h.ev.exceptions.len(), 1);
    let (_, e) = msg::decode::<Exception>(&h.ev.exceptions[0]).unwrap();
    assert_eq!(e.file_name(), b"chip-model/injected-crash.c");
    assert_eq!(h.bh.totals().exceptions, 1);
    assert_eq!(Input::from(f.unwrap()), Input::Exception);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn silent_crash_is_found_by_the_watchdog() {
    let mut h = Harness::up(8);
    h.bus.inject("crash");
    // Nothing to notice while the link is idle.
    assert!(h.advance(10_000).is_none());
    h.cmds.pending = Some(read_mib());
    h.data.frames.push_back(data_frame(1, 0, 64));
    assert!(h.run().is_none());
    assert_eq!(h.advance(3_000), Some(Fatal::ConfirmTimeout { in_use: 2 }));
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn interrupt_storm_costs_polls_only() {
    let mut h = Harness::up(8);
    let passes = h.passes;
    h.bus.inject("irq-storm:count=50");
    assert!(h.run().is_none());
    assert_eq!(
        h.passes - passes,
        51,
        "the wake-up pass, then one pass per storm interrupt"
    );
    let t = h.bh.totals();
    assert!(t.stale_polls >= 50, "{t:?}");
    assert_eq!(t.bus_errors + t.violations, 0);
    assert_works(&mut h);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn a_failed_write_is_retried_with_the_same_toggle() {
    let mut h = Harness::up(8);
    h.bus.inject("bus-error:count=3");
    h.cmds.pending = Some(read_mib());
    h.data.frames.extend((0..4).map(|i| data_frame(i, 0, 64)));
    assert!(h.run().is_none());
    assert_eq!(h.bh.totals().bus_errors, 3);
    assert_eq!(h.bus.failed_transfers, 3);
    assert_eq!(h.ev.confirms.len(), 1);
    assert_eq!(h.ev.tx_confirms.len(), 4);
    assert_eq!(h.bus.written.len(), 1, "the very batch was delivered once");
    assert_works(&mut h);
    assert_eq!(
        h.bus.violations(),
        0,
        "no toggle or sequence error at the chip"
    );
}

#[test]
fn a_failed_read_is_retried_with_the_same_toggle_and_length() {
    let mut h = Harness::up(8);
    h.cmds.pending = Some(read_mib());
    // Write the command only: the confirm is queued but not read yet.
    let r = h.pass();
    assert_eq!(r.counters.tx_commands, 1);
    assert_eq!(h.bus.rx_queued(), 1);
    // An odd count: a toggle not rolled back would be off at the retry.
    h.bus.inject("bus-error:count=3");
    assert!(h.run().is_none());
    assert_eq!(h.bh.totals().bus_errors, 3);
    assert_eq!(h.ev.confirms.len(), 1);
    assert_works(&mut h);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn cmd52_timeouts_are_retried() {
    let mut h = Harness::up(8);
    h.bus.inject("cmd52-timeout:count=4");
    let c = h.command(read_mib()).unwrap();
    assert_eq!(base(&c), id::READ_MIB_CONFIRM);
    assert_eq!(h.bh.totals().bus_errors, 4);
    assert_works(&mut h);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn a_dead_bus_is_fatal() {
    let mut h = Harness::up(8);
    h.bus.inject("bus-error:count=100");
    let f = h.command(read_mib()).unwrap_err();
    assert_eq!(f, Fatal::Bus(BusError::Io));
    assert_eq!(h.bh.totals().bus_errors, 11, "the first try and 10 retries");
    assert_eq!(Input::from(f), Input::BusError);
    let mut h = Harness::up(8);
    h.bus.inject("cmd52-timeout:count=100");
    h.cmds.pending = Some(read_mib());
    assert_eq!(h.run(), Some(Fatal::Bus(BusError::Timeout)));
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn every_fault_recovers_to_a_working_link() {
    let faults = [
        "drop-confirm:kind=cmd",
        "delay-confirm:kind=any,delay=5000",
        "corrupt-rx-len",
        "corrupt-rx-id",
        "wrong-seq",
        "crash:mode=exception",
        "crash",
        "bus-error:count=40",
        "cmd52-timeout:count=40",
    ];
    for spec in faults {
        let mut h = Harness::up(8);
        h.auto_recover = true;
        h.bus.inject(spec);
        h.cmds.pending = Some(read_mib());
        h.data.frames.push_back(data_frame(1, 0, 64));
        h.run();
        h.advance(10_000);
        assert_eq!(h.fatals.len(), 1, "{spec}: one failure, {:?}", h.fatals);
        assert!(h.recovery.is_running(), "{spec}: {:?}", h.recovery.state());
        assert_eq!(h.recovery.restarts(), 1, "{spec}");
        assert_eq!(
            h.actions,
            vec![
                Action::NotifyUp,
                Action::StopTraffic,
                Action::ResetChip,
                Action::DownloadFirmware,
                Action::RestoreConfig,
                Action::NotifyUp
            ],
            "{spec}"
        );
        assert!(matches!(h.recovery.state(), State::Running { .. }));
        assert_works(&mut h);
        assert_eq!(h.bus.violations(), 0, "{spec}");
    }
}

/// A hostile chip (the model's `hostile` mode: a fifth of the RX batches leave with one
/// mutated field or a few random bytes, 40 seeds): the engine never panics and never uses
/// more buffers than the chip has (the harness checks that on every pass); what it notices
/// ends in a fatal outcome that recovery turns into a working link again; and the model
/// counts no violation beyond those it excuses while the host acts on a mutated batch.
#[test]
fn hostile_chip_many_seeds() {
    let policy = Policy {
        budget: 10_000,
        ..Policy::default()
    };
    let (mut mutations, mut fatals) = (0, 0);
    for seed in 1..=40u64 {
        let mut h = Harness::with(chip_config(8), Config::default(), policy);
        h.auto_recover = true;
        h.bus.inject(&format!("hostile:rate=200,seed={seed}"));
        for i in 0..60u8 {
            if h.cmds.pending.is_none() && h.recovery.is_running() {
                h.cmds.pending = Some(read_mib());
            }
            h.data
                .frames
                .push_back(data_frame(i, 0, 64 + usize::from(i) * 20));
            h.run();
            h.advance(50);
        }
        h.bus.clear_faults();
        // Whatever recovery is under way finishes; the link is up again.
        h.advance(30_000);
        assert!(
            h.recovery.is_running(),
            "seed {seed}: {:?} after {:?}",
            h.recovery.state(),
            h.fatals
        );
        h.cmds.pending = None;
        h.data.frames.clear();
        assert_works(&mut h);
        assert_eq!(h.bus.violations(), 0, "seed {seed}");
        mutations += h.bus.chip.stats.get("hostile.mutations");
        fatals += h.fatals.len();
    }
    assert!(mutations >= 100, "only {mutations} mutations");
    assert!(
        fatals >= 20,
        "only {fatals} fatal outcomes for {mutations} mutations"
    );
}
