// SPDX-License-Identifier: GPL-2.0

//! Station-mode conversions: mac80211's view of a BSS, its rates and keys in WSM terms, with
//! the values of docs/chip-protocol.md, and refusals instead of malformed requests.

use bes2600_engine::protocol::msg::join::{JOIN_MODE_BSS, PREAMBLE_SHORT};
use bes2600_engine::protocol::msg::key::Key;
use bes2600_engine::protocol::msg::pm::{PM_ACTIVE, PM_FAST_PS, PM_PS};
use bes2600_engine::station::{
    bss_params, cipher, default_edca, edca_ac, join_request, pm_request, rate_mask_to_wsm, wsm_key,
    wsm_queue, Band, JoinTarget, KeyRequest, KeyTable, StationError, KEY_ENTRIES,
};

const AP: [u8; 6] = [0x02, 0, 0, 0, 0, 1];

#[test]
fn rate_masks_follow_the_band_tables() {
    // 2.4 GHz: 1, 2, 5.5, 11 Mbit/s are WSM 0..=3; 6 Mbit/s (index 4) is WSM 6.
    assert_eq!(rate_mask_to_wsm(Band::Ghz2, 0b1111), Ok(0b1111));
    assert_eq!(rate_mask_to_wsm(Band::Ghz2, 1 << 4), Ok(1 << 6));
    assert_eq!(rate_mask_to_wsm(Band::Ghz2, 0xfff), Ok(0x3fcf));
    // 5 GHz: index 0 is 6 Mbit/s.
    assert_eq!(rate_mask_to_wsm(Band::Ghz5, 1), Ok(1 << 6));
    assert_eq!(rate_mask_to_wsm(Band::Ghz5, 0xff), Ok(0x3fc0));
    assert_eq!(
        rate_mask_to_wsm(Band::Ghz5, 1 << 8),
        Err(StationError::RateIndex(8))
    );
}

#[test]
fn join_on_a_known_bss() {
    let j = join_request(&JoinTarget {
        bssid: AP,
        band: Band::Ghz2,
        channel: 6,
        beacon_interval: 100,
        dtim_period: 2,
        short_preamble: true,
        basic_rates: 0b1111,
        ssid: b"bes2600-test",
    })
    .unwrap();
    assert_eq!(j.mode, JOIN_MODE_BSS);
    assert_eq!((j.band, j.channel), (0, 6));
    assert_eq!(j.bssid, AP);
    assert_eq!(j.preamble, PREAMBLE_SHORT);
    assert_eq!(j.probe_for_join, 1);
    assert_eq!(j.dtim_period, 2);
    assert_eq!(j.basic_rates, 0b1111);
    assert_eq!(j.ssid.as_bytes(), b"bes2600-test");
    assert_eq!(j.beacon_interval, 100);
}

#[test]
fn join_before_the_bss_is_fully_known_uses_the_vendor_defaults() {
    let j = join_request(&JoinTarget {
        bssid: AP,
        band: Band::Ghz5,
        channel: 36,
        beacon_interval: 0,
        dtim_period: 0,
        short_preamble: false,
        basic_rates: 0,
        ssid: b"",
    })
    .unwrap();
    assert_eq!(j.band, 1);
    assert_eq!(j.basic_rates, 1 << 6);
    assert_eq!(j.dtim_period, 1);
    assert_eq!(j.beacon_interval, 100);
}

#[test]
fn join_refuses_bad_channels_and_ssids() {
    let mut t = JoinTarget {
        bssid: AP,
        band: Band::Ghz2,
        channel: 15,
        beacon_interval: 100,
        dtim_period: 1,
        short_preamble: false,
        basic_rates: 0,
        ssid: b"x",
    };
    assert_eq!(join_request(&t), Err(StationError::Channel(15)));
    t.channel = 1;
    let long = [b'a'; 33];
    t.ssid = &long;
    assert_eq!(join_request(&t), Err(StationError::Ssid));
}

#[test]
fn bss_params_carry_aid_rates_and_mcs() {
    let p = bss_params(Band::Ghz2, 3, 0xfff, 0xff).unwrap();
    assert_eq!(p.aid, 3);
    assert_eq!(p.beacon_lost_count, 50);
    assert_eq!(p.operational_rates, 0x3fcf);
    assert_eq!(p.mcs_rates, 0xff << 14);
}

#[test]
fn edca_defaults_and_txop_units() {
    let d = default_edca();
    assert_eq!(
        (d[0].aifs, d[0].cw_min, d[0].cw_max, d[0].txop_limit),
        (2, 3, 7, 1504)
    );
    assert_eq!((d[3].aifs, d[3].cw_min, d[3].cw_max), (7, 15, 1023));
    assert_eq!(edca_ac(2, 3, 7, 47).txop_limit, 1504);
    assert_eq!(edca_ac(2, 3, 7, u16::MAX).txop_limit, u16::MAX);
}

#[test]
fn queue_ids() {
    assert_eq!(
        [
            wsm_queue(0),
            wsm_queue(1),
            wsm_queue(2),
            wsm_queue(3),
            wsm_queue(4)
        ],
        [Some(3), Some(2), Some(0), Some(1), None]
    );
}

fn key<'a>(c: u32, id: u8, k: &'a [u8], pairwise: bool) -> KeyRequest<'a> {
    KeyRequest {
        cipher: c,
        key_id: id,
        key: k,
        pairwise,
        peer: AP,
    }
}

#[test]
fn ccmp_keys() {
    let k = [7u8; 16];
    let (w, l) = wsm_key(&key(cipher::CCMP, 0, &k, true)).unwrap();
    assert_eq!(w, Key::AesPairwise { peer: AP, key: k });
    assert_eq!((l.iv_len, l.icv_len), (8, 8));
    let (w, _) = wsm_key(&key(cipher::CCMP, 1, &k, false)).unwrap();
    assert_eq!(
        w,
        Key::AesGroup {
            key: k,
            key_id: 1,
            rx_seq: [0; 8]
        }
    );
    assert!(matches!(
        wsm_key(&key(cipher::CCMP, 0, &k[..15], true)),
        Err(StationError::KeyLength { .. })
    ));
    assert_eq!(
        wsm_key(&key(cipher::CCMP, 4, &k, false)).map(|_| ()),
        Err(StationError::KeyId(4))
    );
}

#[test]
fn tkip_mic_halves_for_a_station() {
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = i as u8;
    }
    let (w, l) = wsm_key(&key(cipher::TKIP, 0, &k, true)).unwrap();
    let Key::TkipPairwise {
        tk, rx_mic, tx_mic, ..
    } = w
    else {
        panic!("{w:?}")
    };
    assert_eq!(tk[0], 0);
    assert_eq!(tx_mic[0], 16);
    assert_eq!(rx_mic[0], 24);
    assert_eq!((l.iv_len, l.icv_len), (8, 12));
}

#[test]
fn wep_igtk_and_unsupported() {
    let (w, l) = wsm_key(&key(cipher::WEP40, 2, &[1; 5], false)).unwrap();
    assert!(matches!(w, Key::WepDefault { key_id: 2, .. }));
    assert_eq!((l.iv_len, l.icv_len), (4, 4));
    assert!(wsm_key(&key(cipher::WEP104, 0, &[1; 5], false)).is_err());
    let (w, _) = wsm_key(&key(cipher::AES_CMAC, 4, &[3; 16], false)).unwrap();
    assert!(matches!(w, Key::Igtk { key_id: 4, .. }));
    assert!(wsm_key(&key(cipher::AES_CMAC, 1, &[3; 16], false)).is_err());
    // GCMP: mac80211 does it in software.
    assert_eq!(
        wsm_key(&key(0x000F_AC08, 0, &[3; 16], true)).map(|_| ()),
        Err(StationError::UnsupportedCipher(0x000F_AC08))
    );
}

#[test]
fn key_table_allocates_every_entry_once() {
    let mut t = KeyTable::default();
    for want in 0..KEY_ENTRIES {
        assert_eq!(t.alloc(), Ok(want));
    }
    assert_eq!(t.alloc(), Err(StationError::KeyTableFull));
    assert_eq!(t.free(3), Ok(()));
    assert_eq!(t.free(3), Err(StationError::KeyEntry(3)));
    assert_eq!(t.free(200), Err(StationError::KeyEntry(200)));
    assert_eq!(t.alloc(), Ok(3));
    t.clear();
    assert_eq!(t.in_use(), 0);
}

#[test]
fn power_save_modes_follow_mac80211() {
    let off = pm_request(false, 100);
    assert_eq!((off.mode, off.fast_psm_idle_period), (PM_ACTIVE, 0));
    // mac80211's default dynamic timeout, 100 ms: fast PS, 200 × 500 µs.
    let fast = pm_request(true, 100);
    assert_eq!((fast.mode, fast.fast_psm_idle_period), (PM_FAST_PS, 200));
    // Longer than the byte holds: capped; tiny but positive: at least one unit.
    assert_eq!(pm_request(true, 1000).fast_psm_idle_period, 255);
    assert_eq!(pm_request(true, i32::MAX).fast_psm_idle_period, 255);
    // No dynamic timeout: legacy PS with PS-Poll.
    for t in [0, -1, i32::MIN] {
        let legacy = pm_request(true, t);
        assert_eq!((legacy.mode, legacy.fast_psm_idle_period), (PM_PS, 0));
    }
}
