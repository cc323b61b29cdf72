// SPDX-License-Identifier: GPL-2.0

//! A station's 802.11 power save, as the firmware runs it once the host sent 0x0010 set PM
//! (docs/chip-protocol.md, "Power save").
//!
//! - Mode 0 (active): the chip tells the AP with a null-data frame, power-management bit
//!   clear, and stays awake.
//! - Mode 0x01 (legacy): a null-data frame with the bit set; from then on every frame the
//!   chip sends carries the bit, and when a beacon's TIM names the station's association id
//!   the chip fetches one buffered frame with a PS-Poll, and the next while the AP sets More
//!   Data.
//! - Mode 0x81 (fast, the vendor driver's mapping of mac80211's dynamic power save): the
//!   same null-data frame to doze; a TIM for the station, or a frame from the host, wakes the
//!   chip (a null-data frame without the bit, or the host's frame without it), and after the
//!   set-PM request's idle period without traffic it dozes again with another null-data
//!   frame. The period is in 500 µs units; 0 is the firmware's default, taken here as the
//!   vendor driver's 8 ms.
//!
//! Where this comes from: the modes, the idle period's unit, the vendor's 8 ms and the 0x0809
//! indication are the chip's (docs/chip-protocol.md, "Power-save messages"); what a station
//! in each mode puts on the air (the PM bit, PS-Poll, waking for the TIM) is IEEE 802.11
//! §11.2.3, which the firmware implements. Marked [model]: whether the chip wakes for a TIM
//! in fast PS with a null-data frame or a PS-Poll (the document leaves it open; the model
//! sends null-data), and that set PM before the association counts as a violation (the
//! vendor sends it only for an associated station, from its low-power state machine).
//!
//! The AP (mac80211 on the other radio) does the rest: it buffers unicast frames for a
//! dozing station and announces them in its beacons' TIM. The model's receiver stays on while
//! the chip dozes (it only saves no power), so a driver that never enables power save loses
//! nothing; one that does, and a chip that would not wake, lose the AP's buffered frames.

use bes2600_protocol::msg::pm::{SetPmIndication, PM_FAST_PS_FLAG, PM_PS};
use bes2600_protocol::msg::Status;

use super::{encode, Firmware, VifMode};
use crate::air::{Air, AirTx};
use crate::ieee80211::{self, Frame, Mac};
use crate::stats::{log, violation, Stats};

/// The idle period when the host gives none: 16 × 500 µs, the vendor driver's fixed value.
const DEFAULT_IDLE_UNITS: u8 = 16;

/// A station interface's power-save state.
#[derive(Debug, Clone, Default)]
pub(crate) struct PsState {
    /// The mode of the last set-PM request (0: active).
    pub(crate) mode: u8,
    /// Fast PS's idle period, µs.
    pub(crate) idle_us: u64,
    /// Fast PS while awake: when the chip dozes again if nothing moves until then.
    pub(crate) awake_until: Option<u64>,
}

impl PsState {
    /// Power save on (legacy or fast).
    fn enabled(&self) -> bool {
        self.mode & PM_PS != 0
    }

    /// Fast PS.
    fn fast(&self) -> bool {
        self.enabled() && self.mode & PM_FAST_PS_FLAG != 0
    }

    /// Dozing: the AP buffers what it has for the station.
    fn dozing(&self) -> bool {
        self.enabled() && self.awake_until.is_none()
    }
}

/// The BSS a station interface is associated with, and its association id, while it is in
/// power save.
fn station(fw: &Firmware, if_id: u8) -> Option<(Mac, u16, u8, u16)> {
    let v = fw.vifs.get(usize::from(if_id))?;
    match &v.mode {
        VifMode::Sta(b) if v.ps.enabled() && b.aid != 0 => {
            Some((b.bssid, b.aid, b.band, b.channel))
        }
        _ => None,
    }
}

/// Sends a frame of the chip's own to the AP, at the lowest rate.
fn send(now: u64, band: u8, channel: u16, frame: Vec<u8>, air: &mut dyn Air) {
    air.transmit(
        now,
        AirTx {
            freq: ieee80211::channel_to_freq(band, channel),
            frame,
            rate: 0,
        },
    );
}

/// A null-data frame to the AP of `if_id` with the power-management bit `pm`.
fn null_data(fw: &mut Firmware, now: u64, if_id: u8, pm: bool, air: &mut dyn Air) {
    let mac = fw.mac(if_id);
    let Some(VifMode::Sta(b)) = fw.vifs.get(usize::from(if_id)).map(|v| &v.mode) else {
        return;
    };
    let (bssid, band, channel) = (b.bssid, b.band, b.channel);
    let mut f = ieee80211::null_data(&mac, &bssid, pm);
    fw.seq_ctrl = fw.seq_ctrl.wrapping_add(1);
    ieee80211::set_seq(&mut f, fw.seq_ctrl);
    send(now, band, channel, f, air);
}

/// A PS-Poll from station interface `if_id` in power save: the AP sends one buffered frame.
fn ps_poll(fw: &Firmware, now: u64, if_id: u8, air: &mut dyn Air, stats: &mut Stats) {
    let Some((bssid, aid, band, channel)) = station(fw, if_id) else {
        return;
    };
    stats.inc("ps_polls");
    let frame = ieee80211::ps_poll(aid, &bssid, &fw.mac(if_id));
    send(now, band, channel, frame, air);
}

/// 0x0010 set PM on `if_id` (its confirm is sent): the new mode takes effect at once, the AP
/// is told, and 0x0809 reports the mode reached.
pub(crate) fn set_pm(
    fw: &mut Firmware,
    now: u64,
    if_id: u8,
    mode: u8,
    idle_units: u8,
    air: &mut dyn Air,
    stats: &mut Stats,
) {
    let Some(v) = fw.vifs.get_mut(usize::from(if_id)) else {
        return;
    };
    let units = if idle_units == 0 {
        DEFAULT_IDLE_UNITS
    } else {
        idle_units
    };
    v.ps = PsState {
        mode,
        idle_us: u64::from(units) * 500,
        awake_until: None,
    };
    let doze = v.ps.enabled();
    if doze && !matches!(&v.mode, VifMode::Sta(b) if b.aid != 0) {
        // [model] A station dozes relative to an AP that buffers for its association id; without
        // one the null-data frame below tells an AP nothing it can act on.
        stats.violation(
            violation::WRONG_STATE,
            &format!("set PM mode {mode:#x} on interface {if_id} before its association (0x0011)"),
        );
    }
    let what = if v.ps.fast() {
        format!("fast, idle period {} ms", units / 2)
    } else if doze {
        "legacy (PS-Poll)".into()
    } else {
        "off".into()
    };
    log::info(&format!("interface {if_id}: power save {what}"));
    if matches!(v.mode, VifMode::Sta(_)) {
        null_data(fw, now, if_id, doze, air);
    }
    let ind = SetPmIndication {
        status: Status::SUCCESS,
        psm: mode & 0x7F,
    };
    fw.indicate(encode(&ind, if_id));
}

/// A beacon of the BSS of station interface `if_id`: a dozing station whose bit the TIM sets
/// fetches its frames.
pub(crate) fn on_beacon(
    fw: &mut Firmware,
    now: u64,
    if_id: u8,
    ies: &[u8],
    air: &mut dyn Air,
    stats: &mut Stats,
) {
    let Some((_, aid, _, _)) = station(fw, if_id) else {
        return;
    };
    let Some(v) = fw.vifs.get_mut(usize::from(if_id)) else {
        return;
    };
    if !v.ps.dozing() || !ieee80211::tim_has_aid(ies, aid) {
        return;
    }
    stats.inc("ps_tim_wakeups");
    if v.ps.fast() {
        v.ps.awake_until = Some(now + v.ps.idle_us);
        null_data(fw, now, if_id, false, air);
    } else {
        ps_poll(fw, now, if_id, air, stats);
    }
}

/// A unicast data frame for station interface `if_id`: traffic keeps a fast-PS station awake;
/// a legacy one polls again while the AP has more.
pub(crate) fn on_unicast_rx(
    fw: &mut Firmware,
    now: u64,
    if_id: u8,
    f: &Frame<'_>,
    air: &mut dyn Air,
    stats: &mut Stats,
) {
    if !f.is_data() || station(fw, if_id).is_none() {
        return;
    }
    let Some(v) = fw.vifs.get_mut(usize::from(if_id)) else {
        return;
    };
    if v.ps.fast() {
        if v.ps.awake_until.is_some() {
            v.ps.awake_until = Some(now + v.ps.idle_us);
        }
    } else if ieee80211::more_data(f.data) {
        ps_poll(fw, now, if_id, air, stats);
    }
}

/// A frame the host sends on station interface `if_id`, about to go on the air: its
/// power-management bit says what the chip will be. Fast PS wakes for it. A null-data frame
/// of the host's own keeps the bit the host chose (mac80211 probes the AP with one) and the
/// chip follows it.
pub(crate) fn on_tx(fw: &mut Firmware, now: u64, if_id: u8, frame: &mut [u8]) {
    if station(fw, if_id).is_none() {
        return;
    }
    let Some(v) = fw.vifs.get_mut(usize::from(if_id)) else {
        return;
    };
    if Frame::new(frame).is_some_and(|f| f.is_null_data()) {
        let pm = frame.get(1).is_some_and(|b| b & 0x10 != 0);
        v.ps.awake_until = (!pm).then_some(now + v.ps.idle_us);
        return;
    }
    if v.ps.fast() {
        v.ps.awake_until = Some(now + v.ps.idle_us);
        ieee80211::set_pm_bit(frame, false);
    } else {
        ieee80211::set_pm_bit(frame, true);
    }
}

/// Fast-PS stations idle for their period doze again.
pub(crate) fn tick(fw: &mut Firmware, now: u64, air: &mut dyn Air, stats: &mut Stats) {
    for i in 0..3u8 {
        let due = fw
            .vifs
            .get(usize::from(i))
            .and_then(|v| v.ps.awake_until)
            .is_some_and(|t| t <= now);
        if !due {
            continue;
        }
        if let Some(v) = fw.vifs.get_mut(usize::from(i)) {
            v.ps.awake_until = None;
        }
        stats.inc("ps_dozes");
        null_data(fw, now, i, true, air);
    }
}

/// When [`tick`] has work next.
pub(crate) fn next_deadline(fw: &Firmware) -> Option<u64> {
    fw.vifs.iter().filter_map(|v| v.ps.awake_until).min()
}
