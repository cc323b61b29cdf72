// SPDX-License-Identifier: GPL-2.0

//! The chip's wake/sleep handshake against the chip model: sleep after 50 ms of idle time
//! when allowed, never when not, a wake before every command and data frame, RX read while
//! asleep, the wake handshake's failure recovered; and the sleep policy.

mod common;

use bes2600_chip_model::air::AirRx;
use bes2600_engine::pass::{Config, Fatal};
use bes2600_engine::power::{
    Activity,
    PowerState,
    SleepSwitch,
    ASSOCIATED_TX_HOLD_US, //
    POLL_US,
    WAKE_FAILURES_TO_DISABLE,
    WAKE_TRIES,
};
use bes2600_engine::protocol::mib::{self, ReadMib};
use bes2600_engine::protocol::msg::join::JOIN_FLAG_FORCE;
use bes2600_engine::protocol::wsm_header::id;
use bes2600_engine::recovery::{Action, Policy};
use bes2600_engine::station::{join_request, Band, JoinTarget};
use common::*;

fn read_mib() -> Vec<u8> {
    encode(
        &ReadMib {
            mib_id: mib::id::STATION_ID,
        },
        0,
    )
}

/// A harness with the firmware up and sleep allowed.
fn sleepy() -> Harness {
    let mut h = Harness::up(8);
    h.bh.set_sleep_allowed(true);
    h
}

/// Lets time pass until the chip sleeps; checks that the model agrees.
fn fall_asleep(h: &mut Harness) {
    assert_eq!(h.advance(100), None);
    assert_eq!(h.bh.power_state(), PowerState::Asleep);
    assert!(h.bus.chip.mcu_asleep(), "the model sleeps too");
}

/// Submits `m` and lets time pass (in 1 ms steps) until its confirm came.
fn command_awake(h: &mut Harness, m: Vec<u8>) -> Vec<u8> {
    let before = h.ev.confirms.len();
    h.cmds.pending = Some(m);
    for _ in 0..1000 {
        assert_eq!(h.advance(1), None);
        if h.ev.confirms.len() > before {
            assert_eq!(h.ev.confirms.len(), before + 1, "one confirm, its own");
            return h.ev.confirms.last().unwrap().clone();
        }
    }
    panic!("no confirm within 1 s");
}

#[test]
fn sleeps_after_50_ms_idle_and_only_then() {
    let mut h = sleepy();
    // The bring-up's last traffic was at time 0.
    assert_eq!(h.advance(45), None);
    assert_eq!(h.bh.power_state(), PowerState::Awake);
    assert_eq!(h.bh.power_counts().sleeps, 0);
    fall_asleep(&mut h);
    let c = h.bh.power_counts();
    assert_eq!((c.sleeps, c.wakes, c.sleeps_unconfirmed), (1, 0, 0));
    assert_eq!(h.bus.chip.firmware().unwrap().power_mode(), 0x12);
    assert_eq!(h.bus.chip.stats.get("mcu_sleeps"), 1);
    // The quiescent write was the engine's own: no confirm reached the shell.
    assert!(h.ev.confirms.is_empty());
    // Asleep, nothing more happens.
    let writes = h.bus.written.len();
    assert_eq!(h.advance(5_000), None);
    assert_eq!(h.bus.written.len(), writes);
    assert_eq!(
        h.bh.next_deadline(),
        None,
        "nothing to wait for while asleep"
    );
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn never_sleeps_while_not_allowed() {
    let mut h = Harness::up(8);
    assert_eq!(h.advance(2_000), None);
    assert_eq!(h.bh.power_state(), PowerState::Awake);
    // Busy traffic with sleep allowed in short gaps: no sleep either.
    h.bh.set_sleep_allowed(true);
    for i in 0..20 {
        let c = h.command(read_mib()).unwrap();
        assert_eq!(base(&c), id::READ_MIB_CONFIRM);
        h.data.frames.push_back(data_frame(i, 0, 100));
        assert_eq!(h.advance(30), None);
        assert_eq!(h.bh.power_state(), PowerState::Awake);
    }
    // Allowed then withdrawn before the idle time is over.
    h.bh.set_sleep_allowed(false);
    assert_eq!(h.advance(500), None);
    assert_eq!(h.bh.power_counts().sleeps, 0);
    assert!(!h.bus.chip.mcu_asleep());
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn a_command_queued_while_asleep_waits_for_the_wake_and_completes() {
    let mut h = sleepy();
    fall_asleep(&mut h);
    let t0 = h.now();
    let c = command_awake(&mut h, read_mib());
    assert_eq!(base(&c), id::READ_MIB_CONFIRM);
    let p = *h.bh.power_counts();
    assert_eq!(p.wakes, 1);
    assert!(
        p.wake_us_max >= POLL_US && p.wake_us_max <= h.now() - t0,
        "{p:?}"
    );
    assert_eq!(p.wake_us_avg(), p.wake_us_max);
    // The chip saw the active mode before the command.
    let ids: Vec<u16> = h.bus.written.iter().flat_map(|w| w.ids.clone()).collect();
    let n = ids.len();
    assert_eq!(&ids[n - 2..], &[id::WRITE_MIB, id::READ_MIB]);
    assert_eq!(h.bus.chip.firmware().unwrap().power_mode(), 0x10);
    assert_eq!(h.bus.chip.stats.get("mcu_wakes"), 1);
    // Idle again: back to sleep.
    fall_asleep(&mut h);
    assert_eq!(h.bh.power_counts().sleeps, 2);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn data_wakes_the_chip() {
    let mut h = sleepy();
    fall_asleep(&mut h);
    h.data.frames.extend((0..5).map(|i| data_frame(i, 0, 200)));
    assert_eq!(h.run(), None);
    assert_eq!(h.bh.power_state(), PowerState::Waking, "the doorbell rang");
    assert!(h.ev.tx_confirms.is_empty(), "nothing sent before the wake");
    assert_eq!(h.advance(10), None);
    let confirmed: usize = h.ev.tx_confirms.len();
    assert!(confirmed >= 1 && h.data.frames.is_empty());
    assert_eq!(h.bh.power_state(), PowerState::Awake);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn an_associated_station_stays_awake_for_the_tx_hold_after_sending_data() {
    let mut h = sleepy();
    h.bh.set_sleep_tx_hold(ASSOCIATED_TX_HOLD_US);
    // A frame the host sends starts the hold: 50 ms of quiet are not enough.
    h.data.frames.push_back(data_frame(0, 0, 100));
    assert_eq!(h.run(), None);
    assert_eq!(h.advance(10), None);
    assert_eq!(h.ev.tx_confirms.len(), 1);
    let hold_ms = ASSOCIATED_TX_HOLD_US / 1000;
    assert_eq!(h.advance(hold_ms - 100), None);
    assert_eq!(h.bh.power_state(), PowerState::Awake, "within the TX hold");
    assert_eq!(h.bh.power_counts().sleeps, 0);
    // The chip sleeps once the hold has passed.
    assert_eq!(h.advance(200), None);
    assert_eq!(h.bh.power_state(), PowerState::Asleep);
    assert_eq!(h.bh.power_counts().sleeps, 1);
    // A command (a statistics read, say) wakes the chip, but does not start the hold: the
    // chip sleeps 50 ms after its confirm.
    let c = command_awake(&mut h, read_mib());
    assert_eq!(base(&c), id::READ_MIB_CONFIRM);
    assert_eq!(h.advance(100), None);
    assert_eq!(
        h.bh.power_state(),
        PowerState::Asleep,
        "commands do not hold"
    );
    assert_eq!(h.bh.power_counts().sleeps, 2);
    // Without the hold (not associated), 50 ms after the last frame.
    h.bh.set_sleep_tx_hold(0);
    h.data.frames.push_back(data_frame(1, 0, 100));
    // The shell wakes the BH for a frame.
    assert_eq!(h.run(), None);
    assert_eq!(h.advance(30), None, "a wake, then the frame");
    assert_eq!(h.ev.tx_confirms.len(), 2);
    assert_eq!(h.bh.power_counts().wakes, 2);
    assert_eq!(h.advance(100), None);
    assert_eq!(h.bh.power_state(), PowerState::Asleep);
    assert_eq!(h.bh.power_counts().sleeps, 3);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn work_during_the_quiescent_write_turns_back_without_the_doorbell() {
    let mut h = sleepy();
    // Hold the quiescent write's confirm back, queue a command meanwhile.
    assert_eq!(h.advance(49), None);
    h.bus.inject("delay-confirm:kind=cmd,delay=5");
    assert_eq!(h.advance(2), None);
    assert_eq!(h.bh.power_state(), PowerState::GoingToSleep);
    let c = command_awake(&mut h, read_mib());
    assert_eq!(base(&c), id::READ_MIB_CONFIRM);
    assert_eq!(
        h.bus.chip.stats.get("mcu_sleeps"),
        0,
        "the MCU never went down"
    );
    assert_eq!(h.bh.power_counts().sleeps, 0);
    assert_eq!(h.bh.power_counts().wakes, 1);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn withdrawing_the_permission_wakes_the_chip() {
    let mut h = sleepy();
    fall_asleep(&mut h);
    h.bh.set_sleep_allowed(false);
    // The shell wakes the BH when its policy changes.
    assert_eq!(h.run(), None);
    assert_eq!(h.bh.power_state(), PowerState::Waking);
    assert_eq!(h.advance(10), None);
    assert_eq!(h.bh.power_state(), PowerState::Awake);
    assert!(!h.bus.chip.mcu_asleep());
    assert_eq!(h.bh.power_counts().wakes, 1);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn rx_while_asleep_is_read_and_does_not_wake() {
    let mut h = Harness::up(8);
    // A join puts the radio on channel 1, where the chip then hears beacons.
    let mut join = join_request(&JoinTarget {
        bssid: AP,
        band: Band::Ghz2,
        channel: 1,
        beacon_interval: 100,
        dtim_period: 1,
        short_preamble: false,
        basic_rates: Band::Ghz2.default_basic_rates(),
        ssid: &[],
    })
    .unwrap();
    // Without waiting for the AP's beacon.
    join.flags |= JOIN_FLAG_FORCE;
    h.round_trip(&join, 0).unwrap();
    assert_eq!(h.bus.chip.firmware().unwrap().freq(), Some(2412));
    h.bh.set_sleep_allowed(true);
    fall_asleep(&mut h);
    let rx_before = h.bh.totals().rx_batches;
    let ind_before = h.ev.indications.len();
    let mut beacon = vec![0x80, 0, 0, 0];
    beacon.extend_from_slice(&[0xFF; 6]);
    beacon.extend_from_slice(&AP);
    beacon.extend_from_slice(&AP);
    beacon.extend_from_slice(&[0; 10]);
    beacon.extend_from_slice(&100u16.to_le_bytes());
    beacon.extend_from_slice(&[1, 4, 0, 2, b'a', b'p', 3, 1, 1]);
    let now = h.now();
    h.bus.chip.air_rx(
        now,
        &AirRx {
            freq: 2412,
            frame: beacon,
            signal: -40,
            rate: 6,
        },
        &mut h.bus.air,
    );
    h.bus.pump();
    assert!(h.bus.irq_pending(), "the chip announced RX");
    assert_eq!(h.run(), None);
    assert!(h.bh.totals().rx_batches > rx_before);
    assert!(h.ev.indications.len() > ind_before);
    assert_eq!(
        h.bh.power_state(),
        PowerState::Asleep,
        "RX alone does not wake"
    );
    assert_eq!(h.bh.power_counts().wakes, 0);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn a_wake_that_never_comes_is_fatal_and_recovered() {
    let policy = Policy {
        backoff_base_us: 1_000,
        ..Policy::default()
    };
    let mut h = Harness::with(chip_config(8), Config::default(), policy);
    h.bh.set_sleep_allowed(true);
    fall_asleep(&mut h);
    h.bus.inject("no-wake");
    h.cmds.pending = Some(read_mib());
    let t0 = h.now();
    // The command slot wakes the BH.
    assert_eq!(h.run(), None);
    let f = h.advance(1_000);
    let Some(Fatal::WakeTimeout(w)) = f else {
        panic!("{f:?}");
    };
    assert_eq!(w.tries, WAKE_TRIES);
    assert_eq!(w.status & 0x10, 0);
    let took = h.now() - t0;
    assert!(
        took >= u64::from(WAKE_TRIES) * POLL_US && took < u64::from(WAKE_TRIES + 2) * POLL_US,
        "{took} µs"
    );
    assert!(format!("{}", f.unwrap()).contains("did not wake"));
    assert_eq!(h.bh.totals().timeouts, 1);
    assert_eq!(h.bus.chip.stats.get("fault.no-wake"), u64::from(WAKE_TRIES));
    // The existing recovery: reset (which disarms the fault), boot, up again, awake.
    h.auto_recover = true;
    h.recover_from(f.unwrap());
    assert_eq!(h.advance(10), None);
    assert!(h.actions.contains(&Action::ResetChip));
    assert!(h.recovery.is_running(), "{:?}", h.recovery.state());
    assert_eq!(h.bh.power_state(), PowerState::Awake);
    // Sleep is still allowed: the chip sleeps and wakes again normally.
    fall_asleep(&mut h);
    let c = command_awake(&mut h, read_mib());
    assert_eq!(base(&c), id::READ_MIB_CONFIRM);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn doorbell_and_status_failures_are_retried() {
    let mut h = sleepy();
    fall_asleep(&mut h);
    h.bus.inject("cmd52-timeout:count=3");
    let c = command_awake(&mut h, read_mib());
    assert_eq!(base(&c), id::READ_MIB_CONFIRM);
    assert!(h.fatals.is_empty());
    assert!(h.bh.totals().bus_errors >= 3);
    assert_eq!(h.bus.violations(), 0);
}

#[test]
fn a_reset_starts_awake() {
    let mut h = sleepy();
    fall_asleep(&mut h);
    h.bh.reset();
    assert_eq!(h.bh.power_state(), PowerState::Awake);
    assert_eq!(h.bh.power_counts().sleeps, 1, "the counters are kept");
}

#[test]
fn sleep_policy() {
    for while_associated in [false, true] {
        assert!(
            Activity::IDLE.allows_sleep(while_associated),
            "no interface, or one up and idle"
        );
        for bit in [
            Activity::JOINED,
            Activity::ASSOCIATED,
            Activity::SCANNING,
            Activity::REMAIN_ON_CHANNEL,
        ] {
            let a = Activity::IDLE.with(bit, true);
            assert!(!a.allows_sleep(while_associated), "{bit:#x}");
            assert!(a.with(bit, false).allows_sleep(while_associated));
        }
        let joined_scanning = Activity::IDLE
            .with(Activity::JOINED, true)
            .with(Activity::SCANNING, true);
        assert!(!joined_scanning
            .with(Activity::SCANNING, false)
            .allows_sleep(while_associated));
    }
}

#[test]
fn an_associated_station_sleeps_only_in_power_save_once_a_wake_worked() {
    let associated = Activity::IDLE
        .with(Activity::JOINED, true)
        .with(Activity::ASSOCIATED, true);
    let dozing = associated.with(Activity::POWER_SAVE, true);
    assert!(
        !associated.allows_sleep(true),
        "power save off: the chip stays up"
    );
    assert_eq!(dozing.tx_hold_us(), ASSOCIATED_TX_HOLD_US);
    assert_eq!(Activity::IDLE.tx_hold_us(), 0);
    assert!(dozing.allows_sleep(true));
    assert!(!dozing.allows_sleep(false), "no wake has worked yet");
    // Joined and authenticating, with a power-save flag left over: still awake.
    let joining = Activity::IDLE
        .with(Activity::JOINED, true)
        .with(Activity::POWER_SAVE, true);
    assert!(!joining.allows_sleep(true));
    // A scan while dozing keeps the chip up for its length.
    assert!(!dozing.with(Activity::SCANNING, true).allows_sleep(true));

    let mut s = SleepSwitch::new(true);
    assert!(!s.while_associated(), "no wake yet");
    s.observe(1);
    assert!(s.while_associated());
    assert!(!s.wake_failed());
    assert!(s.wake_failed(), "two failures in a row turn sleeping off");
    assert!(!s.while_associated());
    let mut off = SleepSwitch::new(false);
    off.observe(3);
    assert!(!off.while_associated(), "chip_sleep=0");
}

#[test]
fn sleep_switch_turns_off_after_wake_failures_in_a_row_only() {
    let mut s = SleepSwitch::new(true);
    // A chip that crashed while asleep: one failure, then a restart and good wakes.
    assert!(!s.wake_failed());
    s.observe(1);
    assert!(s.enabled());
    // Failures separated by a completed wake never add up.
    for wakes in 2..10 {
        assert!(!s.wake_failed());
        s.observe(wakes);
    }
    assert!(s.enabled());
    // A chip that never wakes on request: off after the second failure in a row, once.
    let mut turned_off = 0;
    for _ in 0..5 {
        if s.wake_failed() {
            turned_off += 1;
        }
    }
    assert_eq!(turned_off, 1);
    assert!(!s.enabled());
    assert_eq!(WAKE_FAILURES_TO_DISABLE, 2);
    // Disabled by the parameter: nothing to turn off.
    let mut off = SleepSwitch::new(false);
    assert!(!off.wake_failed());
    assert!(!off.enabled());
}
