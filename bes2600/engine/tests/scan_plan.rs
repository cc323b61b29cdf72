// SPDX-License-Identifier: GPL-2.0

//! Scan requests → start-scan batches (docs/chip-protocol.md, "Scan", "Scanning"), and the chip
//! model carrying them out.

mod common;

use bes2600_engine::protocol::msg::{
    self,
    scan::{
        ScanComplete, StartScan, SCAN_FLAG_FORCE_BACKGROUND, SCAN_FLAG_MAC_INSTANCE_1,
        SCAN_TYPE_BACKGROUND, SCAN_TYPE_FOREGROUND,
    },
    DeviceMessage, Status,
};
use bes2600_engine::rate_policy::Band;
use bes2600_engine::rx_meta::{CHANNELS_2GHZ, CHANNELS_5GHZ};
use bes2600_engine::scan_plan::{
    watchdog_ms, Dwell, ScanBatch, ScanChannelReq, ScanError, ScanParams, ScanPlan,
};
use common::*;
use proptest::prelude::*;

fn ch(band: Band, number: u16) -> ScanChannelReq {
    ScanChannelReq {
        band,
        number,
        no_ir: false,
        radar: false,
    }
}

fn passive(band: Band, number: u16) -> ScanChannelReq {
    ScanChannelReq {
        no_ir: true,
        ..ch(band, number)
    }
}

fn numbers(b: &ScanBatch) -> Vec<u16> {
    b.request.channels.iter().map(|c| c.number).collect()
}

#[test]
fn a_2ghz_broadcast_scan_is_one_foreground_request() {
    let chans: Vec<_> = CHANNELS_2GHZ[..13]
        .iter()
        .map(|&c| ch(Band::Ghz2, c))
        .collect();
    let batches: Vec<_> = ScanPlan::new(ScanParams::default(), &chans, &[b""])
        .unwrap()
        .collect();
    assert_eq!(batches.len(), 1);
    let b = &batches[0];
    let r = &b.request;
    assert_eq!((r.band, r.scan_type, r.flags), (0, SCAN_TYPE_FOREGROUND, 0));
    assert_eq!(r.max_tx_rate, 0, "1 Mbps");
    assert_eq!((r.probes_per_ssid, r.probe_delay), (2, 100));
    assert_eq!(r.auto_scan_interval, 0);
    assert_eq!(numbers(b), (1..=13).collect::<Vec<_>>());
    assert!(r
        .channels
        .iter()
        .all(|c| (c.min_time, c.max_time, c.tx_power) == (100, 100, 0)));
    assert_eq!(r.ssids.len(), 1);
    assert!(r.ssids.as_slice()[0].is_empty());
    assert_eq!((b.first, b.end, b.passive), (0, 13, false));
    // 5 s + 13 × (100 + 10) ms.
    assert_eq!(b.watchdog_ms(), 5000 + 13 * 110);
}

#[test]
fn bands_and_passive_channels_split_the_batches() {
    let chans = [
        ch(Band::Ghz2, 1),
        ch(Band::Ghz2, 6),
        passive(Band::Ghz2, 12),
        passive(Band::Ghz2, 13),
        ch(Band::Ghz5, 36),
        ch(Band::Ghz5, 40),
        ScanChannelReq {
            radar: true,
            ..ch(Band::Ghz5, 52)
        },
        ch(Band::Ghz2, 11),
    ];
    let b: Vec<_> = ScanPlan::new(ScanParams::default(), &chans, &[b"home"])
        .unwrap()
        .collect();
    let summary: Vec<_> = b
        .iter()
        .map(|b| {
            (
                b.band,
                b.passive,
                b.request.probes_per_ssid,
                b.request.max_tx_rate,
                numbers(b),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Band::Ghz2, false, 2, 0, vec![1, 6]),
            (Band::Ghz2, true, 0, 0, vec![12, 13]),
            (Band::Ghz5, false, 2, 6, vec![36, 40]),
            (Band::Ghz5, true, 0, 6, vec![52]),
            (Band::Ghz2, false, 2, 0, vec![11]),
        ]
    );
    assert_eq!(b[2].request.band, 1);
    assert_eq!(b[4].first, 7);
}

#[test]
fn at_most_48_channels_per_request() {
    let all: Vec<_> = CHANNELS_5GHZ
        .iter()
        .chain(CHANNELS_5GHZ.iter())
        .map(|&c| ch(Band::Ghz5, c))
        .collect();
    assert_eq!(all.len(), 64);
    let mut plan = ScanPlan::new(ScanParams::default(), &all, &[]).unwrap();
    let a = plan.next_batch().unwrap();
    assert_eq!(plan.remaining(), 16);
    let b = plan.next_batch().unwrap();
    assert!(plan.next_batch().is_none());
    assert_eq!(
        (a.request.channels.len(), b.request.channels.len()),
        (48, 16)
    );
    assert_eq!((a.first, a.end, b.first, b.end), (0, 48, 48, 64));
    // No SSID: a passive scan.
    assert_eq!(a.request.probes_per_ssid, 0);
    assert_eq!(a.request.ssids.len(), 0);
}

#[test]
fn joined_scans_are_background_and_interface_1_sets_its_flag() {
    let chans = [ch(Band::Ghz2, 1)];
    let p = ScanParams {
        joined: true,
        if_id: 1,
        no_cck: true,
        ..ScanParams::default()
    };
    let b = ScanPlan::new(p, &chans, &[b"a", b"b"])
        .unwrap()
        .next()
        .unwrap();
    assert_eq!(b.request.scan_type, SCAN_TYPE_BACKGROUND);
    assert_eq!(
        b.request.flags,
        SCAN_FLAG_FORCE_BACKGROUND | SCAN_FLAG_MAC_INSTANCE_1
    );
    assert_eq!(b.request.max_tx_rate, 6, "no CCK: 6 Mbps");
    assert_eq!(b.request.ssids.len(), 2);
    let p = ScanParams {
        force_background: true,
        ..ScanParams::default()
    };
    let b = ScanPlan::new(p, &chans, &[]).unwrap().next().unwrap();
    assert_eq!(
        (b.request.scan_type, b.request.flags),
        (SCAN_TYPE_FOREGROUND, SCAN_FLAG_FORCE_BACKGROUND)
    );
}

#[test]
fn dwell_times_per_band() {
    let p = ScanParams {
        dwell_2ghz: Dwell {
            min_ms: 30,
            max_ms: 120,
        },
        ..ScanParams::default()
    };
    let chans = [ch(Band::Ghz2, 1), ch(Band::Ghz2, 2), ch(Band::Ghz5, 36)];
    let b: Vec<_> = ScanPlan::new(p, &chans, &[]).unwrap().collect();
    let c = b[0].request.channels.as_slice()[0];
    assert_eq!((c.min_time, c.max_time), (30, 120));
    assert_eq!(b[0].watchdog_ms(), 5000 + 2 * 130);
    let c = b[1].request.channels.as_slice()[0];
    assert_eq!((c.min_time, c.max_time), (100, 100));
    assert_eq!(watchdog_ms(&StartScan::default()), 5000);
}

#[test]
fn bad_requests_are_errors() {
    let p = ScanParams::default();
    assert_eq!(
        ScanPlan::new(p, &[], &[]).err(),
        Some(ScanError::NoChannels)
    );
    let chans = [ch(Band::Ghz2, 1)];
    assert_eq!(
        ScanPlan::new(p, &chans, &[b"a", b"b", b"c"]).err(),
        Some(ScanError::TooManySsids(3))
    );
    assert_eq!(
        ScanPlan::new(p, &chans, &[&[0u8; 33]]).err(),
        Some(ScanError::SsidTooLong(33))
    );
    assert_eq!(
        ScanPlan::new(p, &[ch(Band::Ghz2, 36)], &[]).err(),
        Some(ScanError::BadChannel {
            band: Band::Ghz2,
            number: 36
        })
    );
    assert_eq!(
        ScanPlan::new(p, &[ch(Band::Ghz5, 14)], &[]).err(),
        Some(ScanError::BadChannel {
            band: Band::Ghz5,
            number: 14
        })
    );
    let bad_if = ScanParams { if_id: 3, ..p };
    assert_eq!(
        ScanPlan::new(bad_if, &chans, &[]).err(),
        Some(ScanError::BadIfId(3))
    );
    let bad_dwell = ScanParams {
        dwell_5ghz: Dwell {
            min_ms: 200,
            max_ms: 100,
        },
        ..p
    };
    assert_eq!(
        ScanPlan::new(bad_dwell, &chans, &[]).err(),
        Some(ScanError::BadDwell)
    );
}

/// Each batch is a request the chip model accepts and carries out to its scan complete.
#[test]
fn chip_model_runs_every_batch() {
    let mut h = Harness::up(8);
    let chans: Vec<_> = [1u16, 6, 11]
        .iter()
        .map(|&c| ch(Band::Ghz2, c))
        .chain([
            passive(Band::Ghz2, 13),
            ch(Band::Ghz5, 36),
            ch(Band::Ghz5, 44),
        ])
        .collect();
    let p = ScanParams {
        dwell_2ghz: Dwell {
            min_ms: 20,
            max_ms: 20,
        },
        dwell_5ghz: Dwell {
            min_ms: 30,
            max_ms: 30,
        },
        ..ScanParams::default()
    };
    let mut scanned = 0;
    let mut batches = 0;
    for b in ScanPlan::new(p, &chans, &[b"", b"home"]).unwrap() {
        batches += 1;
        let c = h.round_trip(&b.request, 0).unwrap();
        let (_, conf) = msg::decode::<msg::StartScanConfirm>(&c).unwrap();
        assert_eq!(conf.status, Status::SUCCESS);
        // The scan completes well within its watchdog.
        let deadline = h.now() + u64::from(b.watchdog_ms()) * 1000;
        let mut done = None;
        while done.is_none() && h.now() < deadline {
            assert!(h.advance(5).is_none());
            for m in std::mem::take(&mut h.ev.indications) {
                if let Ok((_, DeviceMessage::ScanComplete(sc))) = msg::decode_device_message(&m) {
                    done = Some(sc);
                }
            }
        }
        let sc: ScanComplete = done.expect("scan complete before the watchdog");
        assert_eq!(sc.status, Status::SUCCESS);
        assert_eq!(usize::from(sc.num_channels), b.end - b.first);
        scanned += usize::from(sc.num_channels);
    }
    assert_eq!((batches, scanned), (3, 6));
    assert_eq!(h.bus.violations(), 0);
}

fn req() -> impl Strategy<Value = ScanChannelReq> {
    let number = prop_oneof![
        // Mostly channels the chip has, so that most requests are accepted.
        9 => (any::<bool>(), any::<prop::sample::Index>()).prop_map(|(five, i)| {
            if five {
                (true, CHANNELS_5GHZ[i.index(CHANNELS_5GHZ.len())])
            } else {
                (false, CHANNELS_2GHZ[i.index(CHANNELS_2GHZ.len())])
            }
        }),
        1 => (any::<bool>(), 0u16..220),
    ];
    (number, 0u8..4).prop_map(|((five, number), kind)| ScanChannelReq {
        band: if five { Band::Ghz5 } else { Band::Ghz2 },
        number,
        no_ir: kind == 1,
        radar: kind == 2,
    })
}

proptest! {
    /// Any accepted request is covered exactly, in order, by encodable batches of one band
    /// and kind with at most 48 channels each.
    #[test]
    fn batches_cover_the_request(
        chans in prop::collection::vec(req(), 0..120),
        n_ssids in 0usize..3,
    ) {
        let ssids: Vec<&[u8]> = [&b"one"[..], b""].iter().copied().take(n_ssids).collect();
        let plan = match ScanPlan::new(ScanParams::default(), &chans, &ssids) {
            Ok(p) => p,
            Err(ScanError::NoChannels) => {
                prop_assert!(chans.is_empty());
                return Ok(());
            }
            Err(ScanError::BadChannel { band, number }) => {
                prop_assert!(chans.iter().any(|c| (c.band, c.number) == (band, number)));
                return Ok(());
            }
            Err(e) => panic!("{e:?}"),
        };
        let mut next = 0;
        for b in plan {
            prop_assert_eq!(b.first, next);
            prop_assert!(b.end > b.first && b.end - b.first <= 48);
            prop_assert_eq!(b.request.channels.len(), b.end - b.first);
            for (c, r) in b.request.channels.iter().zip(&chans[b.first..b.end]) {
                prop_assert_eq!(c.number, r.number);
                prop_assert_eq!(r.band, b.band);
                prop_assert_eq!(r.passive(), b.passive);
            }
            prop_assert_eq!(b.request.probes_per_ssid == 0, b.passive || ssids.is_empty());
            let mut buf = [0u8; 2048];
            let n = msg::encode(&b.request, 0, &mut buf).unwrap();
            let (_, d) = msg::decode::<StartScan>(&buf[..n]).unwrap();
            prop_assert_eq!(d, b.request);
            next = b.end;
        }
        prop_assert_eq!(next, chans.len());
    }
}
