// SPDX-License-Identifier: GPL-2.0

//! Scanning (0x0007 / 0x0008 / 0x0806) and joining (0x000B / 0x040B).
//!
//! A scan visits the requested channels in order; on each it sends
//! `probes_per_ssid` probe requests per SSID (built from the probe-request template, MIB
//! 0x1002 type 0, with the SSID element replaced; a built-in frame when no template was
//! written) and stays `max(min, max dwell)` ms, reporting the beacons and probe responses
//! it hears as receive indications on interface 2 — the vendor driver's comment says the
//! firmware reports scan results with interface id 2 and remaps them to the scanning
//! interface (`wsm_receive_indication()`). Then 0x0806 scan complete, and the radio goes
//! back to the channel of a joined or started interface.
//!
//! A join tunes to the channel and, unless the "force" flag is set, waits for a beacon or
//! probe response from the BSSID (sending a directed probe request first when "probe for
//! join" is set); the confirm comes when the BSS is heard, or with a failure status after
//! [`super::FwConfig::join_timeout_ms`].

use bes2600_protocol::msg::join::{Join, JoinConfirm, JOIN_FLAG_FORCE};
use bes2600_protocol::msg::scan::{ScanChannel, ScanComplete, StartScan};
use bes2600_protocol::msg::{self, Status};

use super::{encode, Bss, Firmware, VifMode};
use crate::air::{Air, AirTx};
use crate::faults::Faults;
use crate::ieee80211::{self, fmt_mac, Mac, BROADCAST};
use crate::stats::{log, violation, Stats};

/// Interface id the firmware reports scan results on.
pub const SCAN_RESULT_IF: u8 = 2;

/// Beacons missed before a BSS is reported lost when the host did not say (the vendor
/// driver sends 50 in 0x0011).
pub const DEFAULT_BEACON_LOST_COUNT: u8 = 50;

/// A running scan.
#[derive(Debug, Clone)]
pub struct ScanState {
    pub(crate) if_id: u8,
    band: u8,
    channels: Vec<ScanChannel>,
    idx: usize,
    ssids: Vec<Vec<u8>>,
    probes: u8,
    rate: u8,
    next_us: u64,
    scanned: u8,
}

impl Firmware {
    pub(crate) fn start_scan(
        &mut self,
        now: u64,
        if_id: u8,
        s: &StartScan,
        air: &mut dyn Air,
        faults: &mut Faults,
        stats: &mut Stats,
    ) {
        let status = if self.scan.is_some() {
            stats.violation(violation::WRONG_STATE, "start scan while a scan is running");
            Status::FAILURE
        } else if s.band > 1 || s.channels.is_empty() {
            Status::INVALID_PARAMETER
        } else {
            Status::SUCCESS
        };
        self.confirm(
            now,
            encode(&msg::StartScanConfirm { status }, if_id),
            1,
            false,
            faults,
            stats,
        );
        if !status.is_success() {
            return;
        }
        log::info(&format!(
            "scan on interface {if_id}: {} channels, {} SSIDs, {} probes each",
            s.channels.len(),
            s.ssids.len(),
            s.probes_per_ssid
        ));
        stats.inc("scans");
        let mut ssids: Vec<Vec<u8>> = s.ssids.iter().map(|x| x.as_bytes().to_vec()).collect();
        if ssids.is_empty() {
            ssids.push(Vec::new());
        }
        self.scan = Some(ScanState {
            if_id,
            band: s.band,
            channels: s.channels.as_slice().to_vec(),
            idx: 0,
            ssids,
            probes: s.probes_per_ssid,
            rate: s.max_tx_rate,
            next_us: now,
            scanned: 0,
        });
        step(self, now, air);
    }

    /// Ends the scan (all channels done, or stopped) with its 0x0806 indication.
    pub(crate) fn finish_scan(&mut self, now: u64, _air: &mut dyn Air, stopped: bool) {
        let Some(sc) = self.scan.take() else {
            return;
        };
        let psm = self
            .vifs
            .get(usize::from(sc.if_id))
            .map(|v| v.ps.mode & 1)
            .unwrap_or(0);
        log::info(&format!(
            "scan {} after {} channels",
            if stopped { "stopped" } else { "complete" },
            sc.scanned
        ));
        self.indicate(encode(
            &ScanComplete {
                status: Status::SUCCESS,
                psm,
                num_channels: sc.scanned,
            },
            sc.if_id,
        ));
        // Back to the operating channel, if any.
        let home = self.vifs.iter().find_map(|v| match &v.mode {
            VifMode::Sta(b) => Some((b.band, b.channel)),
            VifMode::Joining { join, .. } => Some((join.band, join.channel)),
            VifMode::Ap(a) => Some((a.band, a.channel)),
            VifMode::Listen { band, channel } => Some((*band, *channel)),
            VifMode::Idle => None,
        });
        if let Some((b, c)) = home {
            self.set_channel(b, c);
        }
        let _ = now;
    }

    pub(crate) fn join(
        &mut self,
        now: u64,
        if_id: u8,
        j: Join,
        air: &mut dyn Air,
        faults: &mut Faults,
        stats: &mut Stats,
    ) {
        let fail = |fw: &mut Firmware, faults: &mut Faults, stats: &mut Stats, st: Status| {
            fw.confirm(
                now,
                encode(
                    &JoinConfirm {
                        status: st,
                        power: None,
                    },
                    if_id,
                ),
                1,
                false,
                faults,
                stats,
            );
        };
        if self.scan.is_some() {
            stats.violation(violation::WRONG_STATE, "join while a scan is running");
            fail(self, faults, stats, Status::FAILURE);
            return;
        }
        let valid_channel = match j.band {
            0 => (1..=14).contains(&j.channel),
            1 => (1..=200).contains(&j.channel),
            _ => false,
        };
        if !valid_channel {
            fail(self, faults, stats, Status::INVALID_PARAMETER);
            return;
        }
        log::info(&format!(
            "interface {if_id} joins {} {:?} on channel {}",
            fmt_mac(&j.bssid),
            String::from_utf8_lossy(j.ssid.as_bytes()),
            j.channel
        ));
        self.set_channel(j.band, j.channel);
        if j.flags & JOIN_FLAG_FORCE != 0 {
            self.join_done(now, if_id, &j, faults, stats);
            return;
        }
        if j.probe_for_join != 0 {
            let (rate, t) = self.template(if_id, 0).unwrap_or_else(|| {
                (
                    0,
                    ieee80211::probe_request(&self.mac(if_id), &BROADCAST, b""),
                )
            });
            let mut f = ieee80211::probe_request_with_ssid(&t, j.ssid.as_bytes(), Some(&j.bssid));
            self.seq_ctrl = self.seq_ctrl.wrapping_add(1);
            ieee80211::set_seq(&mut f, self.seq_ctrl);
            air.transmit(
                now,
                AirTx {
                    freq: ieee80211::channel_to_freq(j.band, j.channel),
                    frame: f,
                    rate: if rate == 0xFF { 0 } else { rate },
                },
            );
        }
        let deadline_us = now + self.cfg.join_timeout_ms * 1000;
        if let Some(v) = self.vifs.get_mut(usize::from(if_id)) {
            v.mode = VifMode::Joining {
                join: j,
                deadline_us,
            };
        }
    }

    fn join_done(&mut self, now: u64, if_id: u8, j: &Join, faults: &mut Faults, stats: &mut Stats) {
        if let Some(v) = self.vifs.get_mut(usize::from(if_id)) {
            // [model] A new BSS starts active, as after a reset (firmware/power_save.rs).
            v.ps = super::power_save::PsState::default();
            v.mode = VifMode::Sta(Bss {
                bssid: j.bssid,
                band: j.band,
                channel: j.channel,
                beacon_interval: j.beacon_interval.max(1),
                beacon_lost_count: DEFAULT_BEACON_LOST_COUNT,
                last_beacon_us: now,
                lost: false,
                last_beacon_ies: None,
                aid: 0,
            });
        }
        log::info(&format!("interface {if_id} joined {}", fmt_mac(&j.bssid)));
        stats.inc("joins");
        self.confirm(
            now,
            encode(
                &JoinConfirm {
                    status: Status::SUCCESS,
                    power: Some(Firmware::JOIN_POWER),
                },
                if_id,
            ),
            1,
            false,
            faults,
            stats,
        );
    }

    /// A beacon or probe response from `bssid` was heard on `freq`: completes joins
    /// waiting for it.
    pub(crate) fn join_heard(
        &mut self,
        now: u64,
        bssid: &Mac,
        freq: u32,
        faults: &mut Faults,
        stats: &mut Stats,
    ) {
        for if_id in 0..3u8 {
            let j = match self.vifs.get(usize::from(if_id)).map(|v| &v.mode) {
                Some(VifMode::Joining { join, .. })
                    if join.bssid == *bssid
                        && ieee80211::channel_to_freq(join.band, join.channel) == freq =>
                {
                    *join
                }
                _ => continue,
            };
            self.join_done(now, if_id, &j, faults, stats);
        }
    }
}

fn step(fw: &mut Firmware, now: u64, air: &mut dyn Air) {
    let Some(sc) = fw.scan.as_mut() else {
        return;
    };
    if now < sc.next_us {
        return;
    }
    let Some(ch) = sc.channels.get(sc.idx).copied() else {
        fw.finish_scan(now, air, false);
        return;
    };
    sc.idx += 1;
    sc.scanned = sc.scanned.saturating_add(1);
    let dwell_ms = u64::from(ch.max_time.max(ch.min_time)).clamp(5, 2000);
    sc.next_us = now + dwell_ms * 1000;
    let (band, if_id, probes, rate) = (sc.band, sc.if_id, sc.probes, sc.rate);
    let ssids = sc.ssids.clone();
    fw.set_channel(band, ch.number);
    if probes == 0 {
        return;
    }
    let (trate, template) = fw.template(if_id, 0).unwrap_or_else(|| {
        (
            0xFF,
            ieee80211::probe_request(&fw.mac(if_id), &BROADCAST, b""),
        )
    });
    let rate = if trate != 0xFF { trate.max(rate) } else { rate };
    let freq = ieee80211::channel_to_freq(band, ch.number);
    for ssid in &ssids {
        for _ in 0..probes {
            let mut f = ieee80211::probe_request_with_ssid(&template, ssid, None);
            fw.seq_ctrl = fw.seq_ctrl.wrapping_add(1);
            ieee80211::set_seq(&mut f, fw.seq_ctrl);
            air.transmit(
                now,
                AirTx {
                    freq,
                    frame: f,
                    rate,
                },
            );
        }
    }
}

pub(crate) fn tick(
    fw: &mut Firmware,
    now: u64,
    air: &mut dyn Air,
    faults: &mut Faults,
    stats: &mut Stats,
) {
    step(fw, now, air);
    for if_id in 0..3u8 {
        let expired = matches!(
            fw.vifs.get(usize::from(if_id)).map(|v| &v.mode),
            Some(VifMode::Joining { deadline_us, .. }) if *deadline_us <= now
        );
        if expired {
            if let Some(v) = fw.vifs.get_mut(usize::from(if_id)) {
                v.mode = VifMode::Idle;
            }
            log::info(&format!("interface {if_id}: join timed out, BSS not heard"));
            stats.inc("join_failures");
            fw.confirm(
                now,
                encode(
                    &JoinConfirm {
                        status: Status::FAILURE,
                        power: None,
                    },
                    if_id,
                ),
                1,
                false,
                faults,
                stats,
            );
        }
    }
}

pub(crate) fn next_deadline(fw: &Firmware) -> Option<u64> {
    let scan = fw.scan.as_ref().map(|s| s.next_us);
    let joins = fw.vifs.iter().filter_map(|v| match &v.mode {
        VifMode::Joining { deadline_us, .. } => Some(*deadline_us),
        _ => None,
    });
    scan.into_iter().chain(joins).min()
}
