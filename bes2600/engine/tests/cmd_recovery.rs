// SPDX-License-Identifier: GPL-2.0

//! The command channel and the recovery state machine as pure logic, and recovery end to
//! end against the chip model.

mod common;

use bes2600_engine::cmd::{CmdError, CommandChannel};
use bes2600_engine::pass::{Config, Fatal};
use bes2600_engine::protocol::mib::ReadMib;
use bes2600_engine::protocol::wsm_header::{id, MsgId, Seq};
use bes2600_engine::recovery::{Action, Actions, Input, Policy, Recovery, State};
use common::*;

#[test]
fn one_command_outstanding_matched_by_its_confirm() {
    let mut c = CommandChannel::new(1_000);
    let req = MsgId::new(id::READ_MIB, 1).with_seq(Seq::from_bits(5));
    let o = c.sent(req, 100).unwrap();
    assert_eq!(
        (o.base(), o.seq().value(), o.deadline_us),
        (id::READ_MIB, 5, 1_100)
    );
    assert_eq!(
        c.sent(MsgId::new(id::WRITE_MIB, 0), 101),
        Err(CmdError::Busy {
            pending: id::READ_MIB
        })
    );
    assert_eq!(
        c.confirm(id::WRITE_MIB_CONFIRM),
        Err(CmdError::Unexpected {
            confirm: id::WRITE_MIB_CONFIRM,
            pending: Some(id::READ_MIB)
        })
    );
    assert!(c.outstanding().is_some(), "a mismatch changes nothing");
    assert_eq!(c.expired(1_099), None);
    assert_eq!(c.expired(1_100), Some(o));
    assert_eq!(c.confirm(id::READ_MIB_CONFIRM), Ok(o));
    assert!(c.is_idle());
    assert_eq!(
        c.confirm(id::READ_MIB_CONFIRM),
        Err(CmdError::Unexpected {
            confirm: id::READ_MIB_CONFIRM,
            pending: None
        })
    );
}

#[test]
fn mcu_commands_are_confirmed_by_the_same_id() {
    let mut c = CommandChannel::default();
    c.sent(MsgId::new(id::MCU_COMMAND, 0), 0).unwrap();
    assert!(c.confirm(id::MCU_COMMAND).is_ok());
}

#[test]
fn only_requests_are_commands() {
    let c = CommandChannel::default();
    for bad in [id::TX, id::READ_MIB_CONFIRM, id::STARTUP] {
        assert_eq!(
            c.check(MsgId::new(bad, 0)),
            Err(CmdError::NotACommand { id: bad })
        );
    }
}

#[test]
fn abandon_forgets_the_command() {
    let mut c = CommandChannel::new(10);
    let o = c.sent(MsgId::new(id::JOIN, 0), 0).unwrap();
    assert_eq!(c.abandon(), Some(o));
    assert!(c.is_idle() && c.deadline().is_none());
}

fn policy() -> Policy {
    Policy {
        budget: 3,
        backoff_base_us: 100,
        backoff_max_us: 350,
        boot_timeout_us: 1_000,
        stable_us: 10_000,
    }
}

fn list(a: Actions) -> Vec<Action> {
    a.iter().collect()
}

#[test]
fn first_boot_then_a_failure_then_a_restart() {
    let mut r = Recovery::new(policy(), 0);
    assert_eq!(r.next_deadline(), Some(1_000));
    assert_eq!(list(r.on_input(Input::BootOk, 10)), vec![Action::NotifyUp]);
    assert_eq!(r.state(), State::Running { since_us: 10 });
    assert_eq!(
        list(r.on_input(Input::Exception, 20)),
        vec![Action::StopTraffic]
    );
    assert_eq!(
        r.state(),
        State::Backoff {
            attempt: 1,
            until_us: 120
        }
    );
    // Late reports of the same failure change nothing.
    assert!(r.on_input(Input::CommandTimeout, 30).is_empty());
    assert!(r.poll(119).is_empty());
    assert_eq!(
        list(r.poll(120)),
        vec![Action::ResetChip, Action::DownloadFirmware]
    );
    assert_eq!(
        r.state(),
        State::Restarting {
            attempt: 1,
            deadline_us: 1_120
        }
    );
    assert_eq!(
        list(r.on_input(Input::BootOk, 200)),
        vec![Action::RestoreConfig, Action::NotifyUp]
    );
    assert!(r.is_running());
    assert_eq!(r.last_failure(), Some(Input::Exception));
    assert_eq!(r.restarts(), 1);
}

#[test]
fn backoff_doubles_up_to_its_cap() {
    let r = Recovery::new(policy(), 0);
    let b: Vec<u64> = (1..=5).map(|a| r.backoff_us(a)).collect();
    assert_eq!(b, vec![100, 200, 350, 350, 350]);
    assert_eq!(r.backoff_us(u32::MAX), 350);
}

#[test]
fn the_budget_runs_out_then_restart_revives() {
    let mut r = Recovery::new(policy(), 0);
    r.on_input(Input::BootOk, 0);
    let mut now = 0;
    r.on_input(Input::BusError, now);
    for attempt in 1..=3 {
        now += 1_000;
        assert_eq!(
            list(r.poll(now)),
            vec![Action::ResetChip, Action::DownloadFirmware]
        );
        assert_eq!(r.attempts(), attempt);
        let a = r.on_input(Input::BootFailed, now);
        if attempt < 3 {
            assert!(a.is_empty(), "attempt {attempt}");
        } else {
            assert_eq!(list(a), vec![Action::StopTraffic, Action::NotifyDead]);
        }
    }
    assert!(r.is_dead());
    assert_eq!(r.next_deadline(), None);
    assert!(r.poll(u64::MAX).is_empty());
    assert!(r.on_input(Input::BootOk, now).is_empty());
    assert_eq!(
        list(r.on_input(Input::Restart, now)),
        vec![Action::ResetChip, Action::DownloadFirmware]
    );
    assert_eq!(r.attempts(), 1);
    assert_eq!(
        list(r.on_input(Input::BootOk, now)),
        vec![Action::RestoreConfig, Action::NotifyUp]
    );
}

#[test]
fn a_boot_that_takes_too_long_fails() {
    let mut r = Recovery::new(policy(), 0);
    assert!(r.poll(999).is_empty());
    assert!(r.poll(1_000).is_empty(), "into backoff");
    assert_eq!(r.last_failure(), Some(Input::BootFailed));
    assert!(matches!(r.state(), State::Backoff { attempt: 1, .. }));
    assert_eq!(
        list(r.poll(1_100)),
        vec![Action::ResetChip, Action::DownloadFirmware]
    );
    // The restart also times out.
    assert!(r.poll(2_100).is_empty());
    assert!(matches!(r.state(), State::Backoff { attempt: 2, .. }));
}

#[test]
fn a_stable_link_forgives_old_attempts() {
    let mut r = Recovery::new(policy(), 0);
    r.on_input(Input::BootOk, 0);
    let mut now = 0;
    // Fail and recover three times in quick succession: the budget is spent…
    for _ in 0..3 {
        r.on_input(Input::ProtocolViolation, now);
        now += 1_000;
        r.poll(now);
        r.on_input(Input::BootOk, now);
    }
    assert_eq!(r.attempts(), 3);
    // …but after running stably, the next failure starts from attempt 1.
    now += 10_000;
    assert_eq!(
        list(r.on_input(Input::ProtocolViolation, now)),
        vec![Action::StopTraffic]
    );
    assert!(matches!(r.state(), State::Backoff { attempt: 1, .. }));
    // Without the stable period it would have been the end.
    let mut q = r.clone();
    q.poll(now + 1_000);
    q.on_input(Input::BootOk, now + 1_000);
    for _ in 0..2 {
        q.on_input(Input::ProtocolViolation, now + 1_000);
        q.poll(now + 2_000);
        q.on_input(Input::BootOk, now + 2_000);
    }
    assert_eq!(
        list(q.on_input(Input::ProtocolViolation, now + 2_000)),
        vec![Action::StopTraffic, Action::NotifyDead]
    );
}

#[test]
fn every_fatal_maps_to_an_input() {
    use bes2600_engine::bus::BusError;
    use bes2600_engine::pass::Violation;
    use bes2600_engine::protocol::error::Error;
    let cases = [
        (
            Fatal::Violation(Violation::LengthToggle { reg: 0x81 }),
            Input::ProtocolViolation,
        ),
        (Fatal::Exception { reason: None }, Input::Exception),
        (Fatal::CommandTimeout { id: 5 }, Input::CommandTimeout),
        (Fatal::ConfirmTimeout { in_use: 1 }, Input::CommandTimeout),
        (Fatal::Bus(BusError::Crc), Input::BusError),
        (
            Fatal::Internal(Error::BadLength { len: 0, limit: 0 }),
            Input::ProtocolViolation,
        ),
    ];
    for (f, i) in cases {
        assert_eq!(Input::from(f), i);
        assert!(!f.to_string().is_empty());
    }
}

#[test]
fn repeated_crashes_exhaust_the_budget_end_to_end() {
    let p = Policy {
        budget: 2,
        ..Policy::default()
    };
    let mut h = Harness::with(chip_config(8), Config::default(), p);
    h.auto_recover = true;
    for round in 0..3 {
        h.bus.inject("crash:mode=exception");
        h.run();
        h.advance(1_000);
        if round < 2 {
            assert!(h.recovery.is_running(), "round {round}");
            assert!(h.round_trip(&ReadMib { mib_id: 0 }, 0).is_ok());
        }
    }
    assert!(h.recovery.is_dead());
    assert_eq!(h.actions.last(), Some(&Action::NotifyDead));
    assert_eq!(h.restores, 2);
    assert_eq!(h.bus.violations(), 0);
    // The user brings the interface up again.
    let a = h.recovery.on_input(Input::Restart, h.now());
    h.act(a);
    assert!(h.recovery.is_running());
    assert!(h.round_trip(&ReadMib { mib_id: 0 }, 0).is_ok());
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn a_failing_restart_backs_off_and_retries() {
    let mut h = Harness::up(8);
    h.auto_recover = true;
    h.bus.inject("crash:mode=exception");
    h.run();
    // The restart's download meets a dead bus: that restart fails, the next one works.
    h.bus.inject("bus-error:count=300");
    h.advance(2_000);
    assert!(h.recovery.is_running(), "{:?}", h.recovery.state());
    assert!(h.recovery.restarts() >= 2, "{}", h.recovery.restarts());
    assert!(h.round_trip(&ReadMib { mib_id: 0 }, 0).is_ok());
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn suspend_stops_traffic_and_resume_boots_afresh() {
    let mut r = Recovery::new(policy(), 0);
    r.on_input(Input::BootOk, 10);
    assert_eq!(
        list(r.on_input(Input::Suspend, 20)),
        vec![Action::StopTraffic]
    );
    assert_eq!(r.state(), State::Suspended);
    // Nothing runs while the chip has no power: no deadline, failures and restarts ignored.
    assert_eq!(r.next_deadline(), None);
    assert!(r.poll(1_000_000).is_empty());
    assert!(r.on_input(Input::CommandTimeout, 30).is_empty());
    assert!(r.on_input(Input::Restart, 40).is_empty());
    assert!(r.on_input(Input::Suspend, 50).is_empty());
    assert_eq!(r.state(), State::Suspended);
    assert_eq!(
        list(r.on_input(Input::Resume, 100)),
        vec![Action::ResetChip, Action::DownloadFirmware]
    );
    assert_eq!(r.state(), State::Resuming { deadline_us: 1_100 });
    assert_eq!(r.next_deadline(), Some(1_100));
    // What the upper layer set up (before the sleep, or during its own resume while the chip
    // still booted) is replayed.
    assert_eq!(
        list(r.on_input(Input::BootOk, 200)),
        vec![Action::RestoreConfig, Action::NotifyUp]
    );
    assert_eq!(r.restarts(), 0, "a resume is not a restart");
    assert_eq!(r.last_failure(), None);
}

#[test]
fn a_resume_boot_that_takes_too_long_fails() {
    let mut r = Recovery::new(policy(), 0);
    r.on_input(Input::BootOk, 0);
    r.on_input(Input::Suspend, 10);
    r.on_input(Input::Resume, 100);
    assert!(r.poll(1_099).is_empty());
    assert!(r.poll(1_100).is_empty(), "a failed boot backs off first");
    assert!(matches!(r.state(), State::Backoff { attempt: 1, .. }));
    assert_eq!(r.last_failure(), Some(Input::BootFailed));
}

#[test]
fn a_resume_without_a_suspend_changes_nothing() {
    let mut r = Recovery::new(policy(), 0);
    r.on_input(Input::BootOk, 10);
    assert!(r.on_input(Input::Resume, 20).is_empty());
    assert_eq!(r.state(), State::Running { since_us: 10 });
}

#[test]
fn suspend_abandons_a_pending_restart_and_resume_forgives_the_budget() {
    let mut r = Recovery::new(policy(), 0);
    r.on_input(Input::BootOk, 0);
    r.on_input(Input::Exception, 10);
    assert!(matches!(r.state(), State::Backoff { .. }));
    // Suspended during the backoff: no restart starts while the system sleeps.
    assert_eq!(
        list(r.on_input(Input::Suspend, 20)),
        vec![Action::StopTraffic]
    );
    assert!(r.poll(100_000).is_empty());
    r.on_input(Input::Resume, 100_000);
    assert_eq!(r.attempts(), 0);
    // A boot after resume that fails goes through the usual restarts, which do replay.
    assert!(r.on_input(Input::BootFailed, 100_010).is_empty());
    assert_eq!(
        list(r.poll(100_110)),
        vec![Action::ResetChip, Action::DownloadFirmware]
    );
    assert_eq!(
        list(r.on_input(Input::BootOk, 100_200)),
        vec![Action::RestoreConfig, Action::NotifyUp]
    );
}

#[test]
fn resume_revives_a_dead_chip() {
    let mut r = Recovery::new(policy(), 0);
    for t in 0..4 {
        r.on_input(Input::BootFailed, t);
        r.poll(t + 10_000);
    }
    r.on_input(Input::BootFailed, 50_000);
    assert!(r.is_dead(), "{:?}", r.state());
    r.on_input(Input::Suspend, 60_000);
    assert_eq!(
        list(r.on_input(Input::Resume, 70_000)),
        vec![Action::ResetChip, Action::DownloadFirmware]
    );
    assert_eq!(
        list(r.on_input(Input::BootOk, 70_100)),
        vec![Action::RestoreConfig, Action::NotifyUp]
    );
    assert!(r.is_running());
}

#[test]
fn suspend_and_resume_end_to_end() {
    let mut h = Harness::up(8);
    assert!(h.round_trip(&ReadMib { mib_id: 0 }, 0).is_ok());
    let a = h.recovery.on_input(Input::Suspend, h.now());
    h.act(a);
    // The host powers the card off: the chip forgets its firmware.
    h.bus.card_reset();
    h.advance(5_000);
    assert_eq!(h.recovery.state(), State::Suspended);
    let a = h.recovery.on_input(Input::Resume, h.now());
    h.act(a);
    assert!(h.recovery.is_running(), "{:?}", h.recovery.state());
    assert!(h.round_trip(&ReadMib { mib_id: 0 }, 0).is_ok());
    assert_eq!(h.restores, 1);
    assert_eq!(h.recovery.restarts(), 0);
    assert_eq!(h.bus.violations(), 0);
}
