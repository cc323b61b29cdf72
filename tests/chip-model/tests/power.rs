// SPDX-License-Identifier: GPL-2.0

//! The MCU's sleep: asleep after MCU_DEACTIVE with the quiescent power mode (MIB 0x1006),
//! no TX batch taken while asleep, MCU_ACTIVE wakes it; the `no-wake` fault.

mod common;

use bes2600_chip_model::faults;
use bes2600_chip_model::stats::violation;
use bes2600_chip_model::transport::HostMsg;
use bes2600_protocol::mib::{OperationalPowerMode, ReadMib, ReadMibConfirm, SetMib};
use bes2600_protocol::msg::{self, WriteMibConfirm};
use bes2600_protocol::sdio_framing::{reg, Doorbell, SlaveStatus};
use bes2600_protocol::wsm_header::id;
use common::*;

/// Writes MIB 0x1006 = `mode` and checks its confirm.
fn set_mode(h: &mut Host, mode: u32) {
    let r = h.command(&SetMib(OperationalPowerMode(mode)), 0);
    let c = find(&r, id::WRITE_MIB_CONFIRM).expect("a write-MIB confirm");
    let (_, c) = msg::decode::<WriteMibConfirm>(c).unwrap();
    assert!(c.status.is_success());
}

/// Brings the chip up and puts its MCU to sleep the way the driver does.
fn asleep() -> Host {
    let mut h = Host::new(config(8));
    h.bring_up();
    set_mode(&mut h, 0x12);
    assert!(!h.chip.mcu_asleep(), "quiescent alone is not asleep");
    h.doorbell(Doorbell::MCU_DEACTIVE);
    assert!(h.chip.mcu_asleep());
    assert_eq!(
        h.read_reg(reg::SLAVE_STATUS) & SlaveStatus::MCU_WAKEUP_READY,
        0
    );
    assert_eq!(h.chip.stats.get("mcu_sleeps"), 1);
    h
}

#[test]
fn quiescent_and_deactivated_is_asleep_and_active_wakes() {
    let mut h = asleep();
    assert_eq!(h.chip.firmware().unwrap().power_mode(), 0x12);
    h.doorbell(Doorbell::MCU_ACTIVE);
    assert!(!h.chip.mcu_asleep());
    assert!(h.read_reg(reg::SLAVE_STATUS) & SlaveStatus::MCU_WAKEUP_READY != 0);
    assert_eq!(h.chip.stats.get("mcu_wakes"), 1);
    // The driver's wake: the active mode first, then anything.
    set_mode(&mut h, 0x10);
    let r = h.command(&ReadMib { mib_id: 0x1006 }, 0);
    let (_, c) =
        msg::decode::<ReadMibConfirm<'_>>(find(&r, id::READ_MIB_CONFIRM).unwrap()).unwrap();
    assert_eq!(c.data, &0x10u32.to_le_bytes());
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
}

#[test]
fn tx_while_asleep_is_a_violation_and_not_processed() {
    let mut h = asleep();
    let in_flight = h.chip.in_flight();
    let r = h.command(&ReadMib { mib_id: 0x1006 }, 0);
    assert!(r.is_empty(), "a sleeping MCU answers nothing: {r:?}");
    assert_eq!(h.chip.in_flight(), in_flight, "nothing was taken");
    assert_eq!(h.chip.stats.violations_of(violation::TX_WHILE_ASLEEP), 1);
    assert_eq!(h.violations(), 1);
}

#[test]
fn deactivated_without_the_quiescent_mode_still_takes_tx() {
    let mut h = Host::new(config(8));
    h.bring_up();
    h.doorbell(Doorbell::MCU_DEACTIVE);
    assert!(!h.chip.mcu_asleep());
    let r = h.command(&ReadMib { mib_id: 0x1006 }, 0);
    assert!(find(&r, id::READ_MIB_CONFIRM).is_some());
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
}

#[test]
fn wifi_activation_and_card_reset_start_awake() {
    let mut h = asleep();
    h.doorbell(Doorbell::WIFI_DEACTIVE);
    h.activate();
    assert!(!h.chip.mcu_asleep());
    let mut h = asleep();
    h.t.push(&HostMsg::CardReset);
    h.pump();
    assert!(!h.chip.mcu_asleep());
}

#[test]
fn no_wake_fault_ignores_mcu_active_until_the_card_reset() {
    let mut h = asleep();
    let s = faults::parse("no-wake").unwrap();
    h.chip.inject(h.now, &s);
    h.pump();
    for _ in 0..3 {
        h.doorbell(Doorbell::MCU_ACTIVE);
        assert_eq!(
            h.read_reg(reg::SLAVE_STATUS) & SlaveStatus::MCU_WAKEUP_READY,
            0
        );
        assert!(h.chip.mcu_asleep());
    }
    assert_eq!(h.chip.stats.get("fault.no-wake"), 3);
    h.t.push(&HostMsg::CardReset);
    h.pump();
    h.toggles.reset();
    h.flow.reset();
    h.bring_up();
    set_mode(&mut h, 0x12);
    h.doorbell(Doorbell::MCU_DEACTIVE);
    h.doorbell(Doorbell::MCU_ACTIVE);
    assert!(!h.chip.mcu_asleep(), "the reset disarmed the fault");
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
}

#[test]
fn no_wake_parses_as_a_state_fault() {
    let s = faults::parse("no-wake").unwrap();
    assert_eq!(s.kind, faults::FaultKind::NoWake);
    assert_eq!(s.count, None, "it holds until cleared");
    assert_eq!(s.kind.name(), "no-wake");
}
