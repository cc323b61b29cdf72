// SPDX-License-Identifier: GPL-2.0

//! Frames: TX requests (0x0004) and their confirms, receive indications (0x0804),
//! hardware CCMP, beacon tracking (BSS lost / regained events) and AP beaconing.
//!
//! TX: the host leaves IV space after the MAC header and MIC space at the end of protected frames
//! (`PUT_IV_SPACE` / tail room, docs/chip-protocol.md, "Hardware crypto"). When a CCMP key matches
//! — the pairwise key whose peer is the receiver, or for group-addressed frames a group key — the
//! firmware fills in the CCMP header with the key's next packet number, encrypts and writes the
//! MIC; a protected frame without a matching CCMP key is sent as it is (the host may have encrypted
//! it itself). The retry plan comes from the rate policy the flags select (MIB 0x1016): the rates
//! with a non-zero try count from the highest one not above the request's maximum rate downward, as
//! cw1200 firmware walks its table [open, docs/chip-protocol.md, "Rate policies"], capped at the
//! short retry limit; 7 tries at the maximum rate without a policy. An acknowledged frame confirms
//! success with no ack failures at the first rate; an unacknowledged one "retry limit exceeded"
//! with every try counted.
//!
//! RX: the frame is reported after the 32-byte BES receive-indication header. Protected
//! frames are decrypted with the pairwise key of the transmitter or the group key the
//! CCMP header names; they are reported with encryption code 3 (decrypted, IV and MIC
//! still in the frame) or, with `rx_stripped`, 7 (IV and MIC removed) — the vendor driver
//! handles both and docs/chip-protocol.md leaves open which the firmware uses. No key: status 9;
//! wrong MIC: status 4. RCPI = (dBm + 110) × 2, never 0 (the vendor drops beacons with
//! RCPI 0).

use bes2600_protocol::msg::event::event_id;
use bes2600_protocol::msg::key::Key;
use bes2600_protocol::msg::rx::{RxFlags, RxIndication, EXT_LEN};
use bes2600_protocol::msg::tx::{TxConfirm, TxRequest};
use bes2600_protocol::msg::Status;

use super::scan::{DEFAULT_BEACON_LOST_COUNT, SCAN_RESULT_IF};
use super::{ctr, encode, Firmware, VifMode};
use crate::air::{Air, AirRx, AirTx};
use crate::ccmp;
use crate::faults::{FaultKind, Faults};
use crate::ieee80211::{self, fmt_mac, is_group, Frame, Mac, BROADCAST};
use crate::stats::{log, violation, Stats};

/// Tries without a rate policy.
const DEFAULT_TRIES: u8 = 7;

/// The retry plan: (WSM rate, tries) from the highest rate down.
fn retry_plan(fw: &Firmware, policy: u8, max_rate: u8) -> Vec<(u8, u8)> {
    let mut plan = Vec::new();
    if let Some(p) = fw
        .policies
        .get(usize::from(policy))
        .and_then(|p| p.as_ref())
    {
        let mut total: u32 = 0;
        let cap = if p.short_retry == 0 {
            u32::MAX
        } else {
            u32::from(p.short_retry)
        };
        for r in (0..=21u8).rev() {
            if r > max_rate && max_rate <= 21 {
                continue;
            }
            let t = p.tries(usize::from(r)).unwrap_or(0);
            if t == 0 || total >= cap {
                continue;
            }
            let t = (u32::from(t)).min(cap - total) as u8;
            total += u32::from(t);
            plan.push((r, t));
        }
    }
    if plan.is_empty() {
        plan.push((max_rate, DEFAULT_TRIES));
    }
    plan
}

fn find_pairwise(fw: &Firmware, peer: &Mac) -> Option<u8> {
    fw.keys.iter().find_map(|(i, k)| match k.key {
        Key::AesPairwise { peer: p, .. } if p == *peer => Some(*i),
        _ => None,
    })
}

fn find_group(fw: &Firmware, key_id: Option<u8>) -> Option<u8> {
    fw.keys.iter().rev().find_map(|(i, k)| match k.key {
        Key::AesGroup { key_id: kid, .. } if key_id.is_none_or(|w| w == kid) => Some(*i),
        _ => None,
    })
}

fn key_bytes(fw: &Firmware, entry: u8) -> Option<([u8; 16], u8)> {
    match fw.keys.get(&entry)?.key {
        Key::AesPairwise { key, .. } => Some((key, 0)),
        Key::AesGroup { key, key_id, .. } => Some((key, key_id)),
        _ => None,
    }
}

impl Firmware {
    pub(crate) fn tx_request(
        &mut self,
        now: u64,
        if_id: u8,
        req: &TxRequest<'_>,
        air: &mut dyn Air,
        faults: &mut Faults,
        stats: &mut Stats,
    ) {
        let mut frame = req.frame.to_vec();
        let confirm_with = |fw: &mut Firmware,
                            faults: &mut Faults,
                            stats: &mut Stats,
                            status: Status,
                            rate: u8,
                            failures: u8| {
            let c = TxConfirm {
                packet_id: req.packet_id,
                status,
                tx_rate: rate,
                ack_failures: failures,
                flags: 0,
                media_delay: 100,
                queue_delay: 50,
            };
            let multi = fw.vifs.get(usize::from(if_id)).is_some_and(|v| v.multi_tx);
            if multi {
                fw.pending_multi.push((if_id, c));
            } else {
                fw.confirm(now, encode(&c, if_id), 1, true, faults, stats);
            }
        };
        let Some(f) = Frame::new(&frame) else {
            stats.violation(
                violation::MALFORMED,
                &format!("TX request with a {}-byte frame", frame.len()),
            );
            confirm_with(
                self,
                faults,
                stats,
                Status::INVALID_PARAMETER,
                req.max_tx_rate,
                0,
            );
            return;
        };
        let hdr_len = f.hdr_len();
        let a1 = f.addr1();
        let group = is_group(&a1);
        let protected = f.protected() && f.ftype() != ieee80211::TYPE_CTRL;
        let chan = match self.vifs.get(usize::from(if_id)).map(|v| &v.mode) {
            Some(VifMode::Sta(b)) => Some((b.band, b.channel)),
            Some(VifMode::Joining { join, .. }) => Some((join.band, join.channel)),
            Some(VifMode::Ap(a)) => Some((a.band, a.channel)),
            Some(VifMode::Listen { band, channel }) => Some((*band, *channel)),
            _ => self.chan,
        };
        let Some((band, ch)) = chan else {
            log::debug("TX with the radio not tuned anywhere: nobody hears it");
            confirm_with(
                self,
                faults,
                stats,
                Status::RETRY_EXCEEDED,
                req.max_tx_rate,
                DEFAULT_TRIES,
            );
            return;
        };
        if protected {
            let entry = if group {
                find_group(self, None)
            } else {
                find_pairwise(self, &a1)
            };
            let key = entry.and_then(|e| {
                let (k, kid) = key_bytes(self, e)?;
                let ke = self.keys.get_mut(&e)?;
                ke.tx_pn += 1;
                Some((k, kid, ke.tx_pn))
            });
            if let Some((k, key_id, pn)) = key {
                if ccmp::encrypt_in_place(&k, &mut frame, hdr_len, pn, key_id).is_err() {
                    stats.violation(
                        violation::MALFORMED,
                        "protected TX frame without room for the CCMP header and MIC",
                    );
                    confirm_with(
                        self,
                        faults,
                        stats,
                        Status::INVALID_PARAMETER,
                        req.max_tx_rate,
                        0,
                    );
                    return;
                }
                stats.inc("tx_encrypted");
            } else {
                log::debug("protected TX frame without a CCMP key: sent as the host built it");
            }
        }
        // Bench instrumentation: whether the frame names a policy the host uploaded (the
        // plan below falls back to the default tries when it does not).
        if self
            .policies
            .get(usize::from(req.flags.policy()))
            .is_some_and(|p| p.is_some())
        {
            stats.inc("tx_with_policy");
        } else {
            stats.inc("tx_without_policy");
        }
        let plan = retry_plan(self, req.flags.policy(), req.max_tx_rate);
        let first = plan.first().map(|p| p.0).unwrap_or(req.max_tx_rate);
        // The power-management bit is the chip's: it says whether the chip dozes after the
        // frame (firmware/power_save.rs).
        super::power_save::on_tx(self, now, if_id, &mut frame);
        let freq = ieee80211::channel_to_freq(band, ch);
        // Bytes on the air (the whole MPDU as sent), so a test can compare what crossed the
        // emulated air with what an application reports. Bench instrumentation only: the
        // model's answers to the host are unchanged.
        let len = frame.len() as u64;
        let acked = air.transmit(
            now,
            AirTx {
                freq,
                frame,
                rate: first,
            },
        );
        stats.inc("air_tx");
        stats.add("air_tx_bytes", len);
        self.counters[ctr::TX_PACKETS] += 1;
        if group {
            self.counters[ctr::TX_MULTICAST] += 1;
        }
        if acked || group {
            self.counters[ctr::TX_SUCCESS] += 1;
            confirm_with(self, faults, stats, Status::SUCCESS, first, 0);
        } else {
            let tries: u32 = plan.iter().map(|p| u32::from(p.1)).sum();
            let last = plan.last().map(|p| p.0).unwrap_or(first);
            self.counters[ctr::TX_FAIL] += 1;
            self.counters[ctr::TX_RETRIED] += 1;
            self.counters[ctr::ACK_FAIL] += tries;
            stats.inc("tx_not_acked");
            confirm_with(
                self,
                faults,
                stats,
                Status::RETRY_EXCEEDED,
                last,
                tries.min(255) as u8,
            );
        }
    }
}

/// Element list without the TIM (which changes every beacon).
fn ies_without_tim(ies: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(ies.len());
    for (id, body) in ieee80211::elements(ies) {
        if id != ieee80211::EID_TIM {
            v.push(id);
            v.push(body.len() as u8);
            v.extend_from_slice(body);
        }
    }
    v
}

pub(crate) fn receive(
    fw: &mut Firmware,
    now: u64,
    rx: &AirRx,
    air: &mut dyn Air,
    faults: &mut Faults,
    stats: &mut Stats,
) -> bool {
    let Some(freq) = fw.freq() else {
        return false;
    };
    if rx.freq != freq {
        return false;
    }
    let Some(f) = Frame::new(&rx.frame) else {
        return false;
    };
    let a1 = f.addr1();
    let group = is_group(&a1);
    let macs = [fw.mac(0), fw.mac(1), fw.mac(2)];
    let own_if = macs.iter().position(|m| *m == a1).map(|i| i as u8);
    let ap_if = fw.vifs.iter().enumerate().find_map(|(i, v)| match v.mode {
        VifMode::Ap(_) if macs.get(i) == Some(&a1) => Some(i as u8),
        _ => None,
    });
    let ack = !group && own_if.is_some();
    let beaconish = f.is_beacon() || f.is_probe_resp();
    if f.is_beacon() && faults.is_active(now, |k| *k == FaultKind::BeaconLoss) {
        stats.inc("fault.beacon-loss.dropped");
        return false;
    }
    stats.inc("air_rx");
    if own_if.is_some() && !beaconish {
        // Frames for the chip itself (unicast to one of its addresses), in bytes; a bench
        // counter, not chip behaviour.
        stats.add("air_rx_bytes", rx.frame.len() as u64);
    }
    if beaconish {
        if let Some(bssid) = f.addr3() {
            fw.join_heard(now, &bssid, freq, faults, stats);
        }
    }
    // AP interfaces answer probe requests themselves unless the host asked to be the
    // probe responder (RX filter bit 3).
    if f.is_probe_req() {
        for i in 0..3u8 {
            let Some(v) = fw.vifs.get(usize::from(i)) else {
                continue;
            };
            if !matches!(v.mode, VifMode::Ap(_)) || v.rx_filter & 8 != 0 {
                continue;
            }
            if !(group || a1 == macs[usize::from(i)]) {
                continue;
            }
            if let (Some((rate, t)), Some(sa)) = (fw.template(i, 5), f.addr2()) {
                let mut resp = t;
                if let Some(d) = resp.get_mut(4..10) {
                    d.copy_from_slice(&sa);
                }
                if let Some(ts) = resp.get_mut(24..32) {
                    ts.copy_from_slice(&now.to_le_bytes());
                }
                fw.seq_ctrl = fw.seq_ctrl.wrapping_add(1);
                ieee80211::set_seq(&mut resp, fw.seq_ctrl);
                air.transmit(
                    now,
                    AirTx {
                        freq,
                        frame: resp,
                        rate: if rate == 0xFF { 0 } else { rate },
                    },
                );
            }
        }
    }
    // Which interface gets the frame.
    let mut target = None;
    let mut bssid_match = false;
    for i in 0..3u8 {
        let Some(v) = fw.vifs.get_mut(usize::from(i)) else {
            continue;
        };
        let VifMode::Sta(b) = &mut v.mode else {
            continue;
        };
        let from_bss = f.bssid() == Some(b.bssid) || f.addr2() == Some(b.bssid);
        if !from_bss || !(group || a1 == macs[usize::from(i)]) {
            continue;
        }
        bssid_match = true;
        if f.is_beacon() {
            b.last_beacon_us = now;
            if b.lost {
                b.lost = false;
                log::info(&format!(
                    "interface {i}: BSS {} regained",
                    fmt_mac(&b.bssid)
                ));
                let ev = (i, event_id::BSS_REGAINED);
                fw.event(ev.0, ev.1, 0);
                stats.inc("bss_regained");
                return ack;
            }
            // A dozing station looks for its bit in every beacon's TIM, filtered or not.
            super::power_save::on_beacon(fw, now, i, f.ies(), air, stats);
            let Some(v) = fw.vifs.get_mut(usize::from(i)) else {
                return ack;
            };
            let filter = v.beacon_filter;
            if let VifMode::Sta(b) = &mut v.mode {
                let ies = ies_without_tim(f.ies());
                if filter && b.last_beacon_ies.as_deref() == Some(ies.as_slice()) {
                    stats.inc("beacons_filtered");
                    return ack;
                }
                b.last_beacon_ies = Some(ies);
            }
        }
        target = Some(i);
        break;
    }
    if target.is_none() && beaconish && fw.scan.is_some() {
        target = Some(SCAN_RESULT_IF);
    }
    if target.is_none() {
        if let Some(i) = ap_if {
            target = Some(i);
            bssid_match = true;
        } else if !group && own_if.is_some() {
            target = own_if;
        } else if group {
            // Group frames of a BSS we started.
            target = fw.vifs.iter().enumerate().find_map(|(i, v)| match v.mode {
                VifMode::Ap(_) if f.bssid() == macs.get(i).copied() => Some(i as u8),
                _ => None,
            });
            bssid_match = target.is_some();
        }
    }
    if target.is_none() {
        target = fw
            .vifs
            .iter()
            .position(|v| v.rx_filter & 1 != 0)
            .map(|i| i as u8);
    }
    let Some(if_id) = target else {
        return ack;
    };
    // Probe requests reach the host only when it is the probe responder.
    if f.is_probe_req()
        && fw
            .vifs
            .get(usize::from(if_id))
            .is_some_and(|v| v.rx_filter & 8 == 0)
    {
        return ack;
    }
    if !group && own_if == Some(if_id) {
        super::power_save::on_unicast_rx(fw, now, if_id, &f, air, stats);
    }
    report(
        fw,
        now,
        rx,
        &f,
        if_id,
        own_if.is_some(),
        bssid_match,
        faults,
        stats,
    );
    ack
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site, all inputs of one report"
)]
fn report(
    fw: &mut Firmware,
    now: u64,
    rx: &AirRx,
    f: &Frame<'_>,
    if_id: u8,
    to_us: bool,
    bssid_match: bool,
    faults: &mut Faults,
    stats: &mut Stats,
) {
    let a1 = f.addr1();
    let mut flags = 0u32;
    if f.is_beacon() {
        flags |= RxFlags::BEACON;
    }
    if to_us {
        flags |= RxFlags::ADDRESS1;
    }
    if is_group(&a1) {
        flags |= RxFlags::GROUP;
    }
    if a1 == BROADCAST {
        flags |= RxFlags::BROADCAST;
    }
    if bssid_match {
        flags |= RxFlags::MATCHING_BSSID;
    }
    if let (Some(sa), Some(v)) = (f.addr2(), fw.vifs.get(usize::from(if_id))) {
        if let Some((link, _)) = v.links.iter().find(|(_, m)| **m == sa) {
            flags |= u32::from(*link & 0xF) << 25;
        }
    }
    let mut status = Status::SUCCESS;
    let mut out = rx.frame.clone();
    if f.protected() && f.ftype() != ieee80211::TYPE_CTRL {
        let hdr_len = f.hdr_len();
        let kid = rx
            .frame
            .get(hdr_len..)
            .and_then(|h| ccmp::parse_header(h).ok())
            .map(|(_, k)| k);
        let entry = if is_group(&a1) {
            find_group(fw, kid)
        } else {
            f.addr2().and_then(|ta| find_pairwise(fw, &ta))
        };
        let group_key = is_group(&a1);
        if faults.is_active(now, |k| *k == FaultKind::DecryptFail) {
            stats.inc("fault.decrypt-fail.frames");
            status = Status::DECRYPT_FAILURE;
            fw.counters[ctr::RX_DECRYPT_FAIL] += 1;
            flags |= 3;
        } else if let Some((key, key_id)) = entry.and_then(|e| key_bytes(fw, e)) {
            match ccmp::decrypt(&key, &rx.frame, hdr_len) {
                Ok((plain, _pn, _)) => {
                    let hdr = rx.frame.get(..hdr_len).unwrap_or(&[]);
                    if fw.cfg.rx_stripped {
                        out = [hdr, plain.as_slice()].concat();
                        flags |= 7;
                    } else {
                        let iv = rx
                            .frame
                            .get(hdr_len..hdr_len + ccmp::HDR_LEN)
                            .unwrap_or(&[]);
                        let mic = rx
                            .frame
                            .get(rx.frame.len() - ccmp::MIC_LEN..)
                            .unwrap_or(&[]);
                        out = [hdr, iv, plain.as_slice(), mic].concat();
                        flags |= 3;
                    }
                    if group_key {
                        flags |= RxFlags::GROUP_KEY;
                    }
                    flags |= u32::from(key_id & 0xF) << 20;
                    stats.inc("rx_decrypted");
                }
                Err(_) => {
                    status = Status::DECRYPT_FAILURE;
                    fw.counters[ctr::RX_DECRYPT_FAIL] += 1;
                    flags |= 3;
                    stats.inc("rx_decrypt_failures");
                }
            }
        } else {
            status = Status::NO_KEY_FOUND;
            fw.counters[ctr::RX_NO_KEY] += 1;
            stats.inc("rx_no_key");
        }
    }
    fw.counters[ctr::RX_PACKETS] += 1;
    if status.is_success() {
        fw.counters[ctr::RX_SUCCESS] += 1;
    }
    if is_group(&a1) {
        fw.counters[ctr::RX_MULTICAST] += 1;
    }
    let channel = fw.chan.map(|c| c.1).unwrap_or(0);
    let rcpi = ((rx.signal + 110) * 2).clamp(1, 220) as u8;
    let ind = RxIndication {
        status,
        channel,
        rx_rate: rx.rate,
        rcpi,
        flags: RxFlags(flags),
        ext: [0; EXT_LEN],
        frame: &out,
    };
    stats.inc("rx_indications");
    fw.indicate(encode(&ind, if_id));
}

pub(crate) fn tick(
    fw: &mut Firmware,
    now: u64,
    air: &mut dyn Air,
    _faults: &mut Faults,
    stats: &mut Stats,
) {
    let scanning = fw.scan.is_some();
    for i in 0..3u8 {
        let mac = fw.mac(i);
        let Some(v) = fw.vifs.get_mut(usize::from(i)) else {
            continue;
        };
        match &mut v.mode {
            VifMode::Sta(b) if !scanning && !b.lost => {
                let count = if b.beacon_lost_count == 0 {
                    DEFAULT_BEACON_LOST_COUNT
                } else {
                    b.beacon_lost_count
                };
                let limit = u64::from(count) * u64::from(b.beacon_interval) * 1024;
                if now.saturating_sub(b.last_beacon_us) > limit {
                    b.lost = true;
                    log::info(&format!(
                        "interface {i}: {count} beacons of {} missed, BSS lost",
                        fmt_mac(&b.bssid)
                    ));
                    stats.inc("bss_lost");
                    fw.event(i, event_id::BSS_LOST, 0);
                }
            }
            VifMode::Ap(a) if now >= a.next_beacon_us => {
                let interval = u64::from(a.beacon_interval) * 1024;
                a.next_beacon_us = now + interval;
                let freq = ieee80211::channel_to_freq(a.band, a.channel);
                if let Some((rate, mut t)) = fw.template(i, 1) {
                    if let Some(ts) = t.get_mut(24..32) {
                        ts.copy_from_slice(&now.to_le_bytes());
                    }
                    if let Some(sa) = t.get_mut(10..16) {
                        sa.copy_from_slice(&mac);
                    }
                    fw.seq_ctrl = fw.seq_ctrl.wrapping_add(1);
                    ieee80211::set_seq(&mut t, fw.seq_ctrl);
                    air.transmit(
                        now,
                        AirTx {
                            freq,
                            frame: t,
                            rate: if rate == 0xFF { 0 } else { rate },
                        },
                    );
                    stats.inc("beacons_sent");
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn next_deadline(fw: &Firmware) -> Option<u64> {
    fw.vifs
        .iter()
        .filter_map(|v| match &v.mode {
            VifMode::Sta(b) if !b.lost => {
                let count = if b.beacon_lost_count == 0 {
                    DEFAULT_BEACON_LOST_COUNT
                } else {
                    b.beacon_lost_count
                };
                Some(b.last_beacon_us + u64::from(count) * u64::from(b.beacon_interval) * 1024 + 1)
            }
            VifMode::Ap(a) => Some(a.next_beacon_us),
            _ => None,
        })
        .min()
}
