// SPDX-License-Identifier: GPL-2.0

//! The wireless medium: mac80211_hwsim radios and the emulated chip.
//!
//! Every frame a radio transmits goes to every other radio (hwsim itself drops frames on
//! another channel, since each delivery carries the frequency) and to the chip; every
//! frame the chip transmits goes to every radio. A unicast frame counts as acknowledged
//! when its receiver address belongs to a radio last heard on the same frequency (the
//! addresses a radio used as transmitter, plus the vif address hwsim derives from the
//! radio address) or to the chip. Radios are known from the `HWSIM_CMD_GET_RADIO` dump
//! (default addresses) and from their own transmissions.
//!
//! `ap-vanish` drops every frame whose transmitter or receiver is the vanished BSSID, in
//! all directions, until `ap-return` or its time runs out.
//!
//! Sans-IO like the chip: outputs are collected in [`Medium::out`].

use std::collections::BTreeSet;

use crate::air::{Air, AirRx, AirTx};
use crate::hwsim::{self, RadioFrame, TxRate};
use crate::ieee80211::{self, fmt_mac, is_group, Frame, Mac};
use crate::stats::{log, Stats};

/// Something to send to hwsim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HwsimOut {
    /// Deliver a frame to a radio.
    Frame {
        /// The radio.
        receiver: Mac,
        /// The frame.
        frame: Vec<u8>,
        /// RX rate index (mac80211 legacy index of the band).
        rate_idx: u32,
        /// Signal in dBm.
        signal: i32,
        /// Frequency.
        freq: u32,
    },
    /// Report the outcome of a radio's transmission.
    TxInfo {
        /// The radio.
        transmitter: Mac,
        /// `HWSIM_TX_*` flags.
        flags: u32,
        /// Signal of the ack.
        signal: i32,
        /// Rate table as used.
        rates: [TxRate; hwsim::TX_MAX_RATES],
        /// Cookie.
        cookie: u64,
    },
}

#[derive(Debug, Clone)]
struct Radio {
    addr: Mac,
    freq: Option<u32>,
    addrs: BTreeSet<Mac>,
}

#[derive(Debug, Clone, Copy)]
struct Vanish {
    bssid: Option<Mac>,
    until_us: Option<u64>,
}

/// The medium.
#[derive(Debug, Default)]
pub struct Medium {
    radios: Vec<Radio>,
    vanish: Option<Vanish>,
    /// Signal of every delivered frame, in dBm.
    pub signal: i32,
    /// Messages for hwsim.
    pub out: Vec<HwsimOut>,
    /// Counters.
    pub stats: Stats,
    beacon_sources: BTreeSet<Mac>,
}

impl Medium {
    /// An empty medium delivering frames at `signal` dBm.
    pub fn new(signal: i32) -> Self {
        Self {
            signal,
            ..Self::default()
        }
    }

    /// Adds a radio by its hwsim address.
    pub fn add_radio(&mut self, addr: Mac) {
        if !self.radios.iter().any(|r| r.addr == addr) {
            log::info(&format!("medium: radio {}", fmt_mac(&addr)));
            let mut addrs = BTreeSet::new();
            addrs.insert(addr);
            let mut vif = addr;
            vif[0] &= !0x40;
            addrs.insert(vif);
            self.radios.push(Radio {
                addr,
                freq: None,
                addrs,
            });
        }
    }

    /// Number of known radios.
    pub fn radio_count(&self) -> usize {
        self.radios.len()
    }

    /// Distinct BSSIDs heard beaconing.
    pub fn beacon_sources(&self) -> &BTreeSet<Mac> {
        &self.beacon_sources
    }

    /// Makes the AP vanish (`bssid`; `None`: every frame between the radios and the chip)
    /// until `until_us`, or for good.
    pub fn set_vanish(&mut self, bssid: Option<Mac>, until_us: Option<u64>) {
        log::info(&format!(
            "medium: AP {} vanishes",
            bssid
                .map(|b| fmt_mac(&b))
                .unwrap_or_else(|| "(all radios)".into())
        ));
        self.vanish = Some(Vanish { bssid, until_us });
    }

    /// Brings the AP back.
    pub fn clear_vanish(&mut self) {
        if self.vanish.take().is_some() {
            log::info("medium: AP returns");
        }
    }

    /// When the vanish ends on its own.
    pub fn next_deadline(&self) -> Option<u64> {
        self.vanish.and_then(|v| v.until_us)
    }

    /// Ends an expired vanish.
    pub fn tick(&mut self, now: u64) {
        if self
            .vanish
            .is_some_and(|v| v.until_us.is_some_and(|u| now >= u))
        {
            self.clear_vanish();
        }
    }

    fn blocked(&mut self, now: u64, f: &Frame<'_>, chip_side: bool) -> bool {
        self.tick(now);
        let Some(v) = self.vanish else {
            return false;
        };
        let hit = match v.bssid {
            Some(b) => f.addr1() == b || f.addr2() == Some(b),
            None => chip_side,
        };
        if hit {
            self.stats.inc("medium.vanished_frames");
        }
        hit
    }

    fn acked_by_radio(&self, except: Option<&Mac>, a1: &Mac, freq: u32) -> bool {
        self.radios.iter().any(|r| {
            Some(&r.addr) != except && r.addrs.contains(a1) && r.freq.is_none_or(|f| f == freq)
        })
    }

    /// A frame a radio transmitted: forwards it to the other radios and returns what the
    /// chip may hear (call [`Self::finish_radio_tx`] with the chip's ack afterwards).
    pub fn from_radio(&mut self, now: u64, rf: &RadioFrame) -> Option<AirRx> {
        self.add_radio(rf.transmitter);
        let f = Frame::new(&rf.frame)?;
        let freq = rf.freq;
        if let Some(r) = self.radios.iter_mut().find(|r| r.addr == rf.transmitter) {
            if let Some(fr) = freq {
                r.freq = Some(fr);
            }
            if let Some(ta) = f.addr2() {
                if !is_group(&ta) {
                    r.addrs.insert(ta);
                }
            }
        }
        self.stats.inc("medium.radio_frames");
        if !f.is_beacon() {
            // What the hwsim radios put on the air, beacons aside, in bytes: the ceiling
            // measurements compare it with what applications report. A counter of the test
            // bench only; nothing a chip or a driver sees changes.
            self.stats.add("medium.radio_bytes", rf.frame.len() as u64);
        }
        if f.is_beacon() {
            self.stats.inc("medium.beacons");
            if let Some(b) = f.addr3() {
                if self.beacon_sources.insert(b) {
                    log::info(&format!(
                        "medium: beacons from {} on {} MHz",
                        fmt_mac(&b),
                        freq.unwrap_or(0)
                    ));
                }
            }
        }
        let blocked = self.blocked(now, &f, false);
        let first = rf.rates.first().copied().unwrap_or_default();
        let first_mcs = rf
            .rate_flags
            .first()
            .is_some_and(|fl| fl & hwsim::RC_MCS != 0);
        if !blocked {
            if let Some(fr) = freq {
                // hwsim takes the receive rate as an index into the band's legacy bitrates
                // and drops a frame whose index is beyond them (mac80211_hwsim_main.c l.6589-6590
                // in the 7.3 tree: `rate_idx >= ...->n_bitrates` → the frame is discarded), so an
                // HT frame is delivered at the legacy rate of its MCS's modulation. This is the
                // medium's behaviour (wmediumd's role), not the chip's: no chip sits between two
                // hwsim radios, and frames to or from the chip keep their WSM rate index.
                let rate_idx = if first_mcs {
                    let wsm = ieee80211::mcs_to_legacy_wsm_rate(first.idx);
                    ieee80211::wsm_rate_to_legacy_idx(ieee80211::band_of(fr), wsm)
                } else {
                    u32::try_from(first.idx).unwrap_or(0)
                };
                let signal = self.signal;
                for r in self.radios.iter().filter(|r| r.addr != rf.transmitter) {
                    self.out.push(HwsimOut::Frame {
                        receiver: r.addr,
                        frame: rf.frame.clone(),
                        rate_idx,
                        signal,
                        freq: fr,
                    });
                }
            }
        }
        let chip_blocked = self.blocked(now, &f, true);
        if blocked || chip_blocked {
            return None;
        }
        let fr = freq?;
        let band = ieee80211::band_of(fr);
        Some(AirRx {
            freq: fr,
            frame: rf.frame.clone(),
            signal: self.signal,
            rate: ieee80211::legacy_idx_to_wsm_rate(band, i32::from(first.idx), first_mcs),
        })
    }

    /// Reports a radio's transmission: acknowledged when the chip acked it, a radio owns
    /// the receiver address, or the frame was group addressed.
    pub fn finish_radio_tx(&mut self, now: u64, rf: &RadioFrame, chip_acked: bool) {
        let Some(f) = Frame::new(&rf.frame) else {
            self.report(rf, false);
            return;
        };
        let a1 = f.addr1();
        let blocked = self.blocked(now, &f, false);
        let acked = !blocked
            && (is_group(&a1)
                || chip_acked
                || rf
                    .freq
                    .is_some_and(|fr| self.acked_by_radio(Some(&rf.transmitter), &a1, fr)));
        self.report(rf, acked);
    }

    fn report(&mut self, rf: &RadioFrame, acked: bool) {
        let mut rates = rf.rates;
        if acked {
            // Delivered at the first attempt of the first rate.
            if let Some(r) = rates.first_mut() {
                r.count = 1;
            }
            for r in rates.iter_mut().skip(1) {
                r.idx = -1;
                r.count = 0;
            }
        }
        self.out.push(HwsimOut::TxInfo {
            transmitter: rf.transmitter,
            flags: if acked { hwsim::TX_STAT_ACK } else { 0 },
            signal: self.signal,
            rates,
            cookie: rf.cookie,
        });
    }
}

impl Air for Medium {
    fn transmit(&mut self, now: u64, tx: AirTx) -> bool {
        let Some(f) = Frame::new(&tx.frame) else {
            return false;
        };
        self.stats.inc("medium.chip_frames");
        if self.blocked(now, &f, true) {
            return false;
        }
        let band = ieee80211::band_of(tx.freq);
        let rate_idx = ieee80211::wsm_rate_to_legacy_idx(band, tx.rate);
        let signal = self.signal;
        for r in &self.radios {
            self.out.push(HwsimOut::Frame {
                receiver: r.addr,
                frame: tx.frame.clone(),
                rate_idx,
                signal,
                freq: tx.freq,
            });
        }
        let a1 = f.addr1();
        is_group(&a1) || self.acked_by_radio(None, &a1, tx.freq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beacon(bssid: Mac) -> Vec<u8> {
        let mut f = vec![0x80, 0, 0, 0];
        f.extend_from_slice(&[0xFF; 6]);
        f.extend_from_slice(&bssid);
        f.extend_from_slice(&bssid);
        f.extend_from_slice(&[0; 2 + 12]);
        f
    }

    fn rf(tx: Mac, frame: Vec<u8>, cookie: u64) -> RadioFrame {
        RadioFrame {
            transmitter: tx,
            frame,
            flags: hwsim::TX_CTL_REQ_TX_STATUS,
            rates: [
                TxRate { idx: 0, count: 1 },
                TxRate { idx: -1, count: 0 },
                TxRate { idx: -1, count: 0 },
                TxRate { idx: -1, count: 0 },
            ],
            rate_flags: [0; 4],
            cookie,
            freq: Some(2412),
        }
    }

    #[test]
    fn forwards_between_radios_and_to_chip() {
        let mut m = Medium::new(-40);
        let r0 = hwsim::default_radio_addr(0);
        let r1 = hwsim::default_radio_addr(1);
        m.add_radio(r0);
        m.add_radio(r1);
        let ap = [2, 0, 0, 0, 0, 0];
        let f = rf(r0, beacon(ap), 1);
        let rx = m.from_radio(0, &f).expect("chip hears it");
        assert_eq!(rx.freq, 2412);
        m.finish_radio_tx(0, &f, false);
        assert!(matches!(&m.out[0], HwsimOut::Frame { receiver, .. } if *receiver == r1));
        assert!(
            matches!(&m.out[1], HwsimOut::TxInfo { flags, cookie: 1, .. } if *flags == hwsim::TX_STAT_ACK)
        );
        // A unicast frame from the chip to the AP's address is acked by radio 0.
        let mut data = vec![0x08, 0x01, 0, 0];
        data.extend_from_slice(&ap);
        data.extend_from_slice(&[2, 0xBE, 0x57, 0, 0, 1]);
        data.extend_from_slice(&ap);
        data.extend_from_slice(&[0, 0]);
        assert!(m.transmit(
            0,
            AirTx {
                freq: 2412,
                frame: data.clone(),
                rate: 0
            }
        ));
        // … but not on another channel, and not while the AP has vanished.
        assert!(!m.transmit(
            0,
            AirTx {
                freq: 2437,
                frame: data.clone(),
                rate: 0
            }
        ));
        m.set_vanish(Some(ap), Some(1000));
        assert!(!m.transmit(
            10,
            AirTx {
                freq: 2412,
                frame: data.clone(),
                rate: 0
            }
        ));
        assert!(m.from_radio(10, &rf(r0, beacon(ap), 2)).is_none());
        assert!(m.transmit(
            1000,
            AirTx {
                freq: 2412,
                frame: data,
                rate: 0
            }
        ));
    }
}
