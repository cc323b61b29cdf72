// SPDX-License-Identifier: GPL-2.0

//! Receive indications → mac80211 RX status: golden values from docs/chip-protocol.md
//! ("RX indication", "Rates and bands", "RX status") and hostile indications.

use bes2600_engine::protocol::msg::{
    self,
    rx::{RxFlags, RxIndication, EXT_LEN},
    Message, Status,
};
use bes2600_engine::rate_policy::Band;
use bes2600_engine::rx_meta::{
    band_of_channel, channel_to_freq, ieee80211_hdr_len, rx_meta, rx_rate, RxCrypto, RxError,
    RxRate, CHANNELS_2GHZ, CHANNELS_5GHZ,
};
use proptest::prelude::*;

/// A QoS data frame (26-byte header) with `body` bytes after the header.
fn qos_data(body: usize) -> Vec<u8> {
    let mut f = vec![0x88, 0x42];
    f.resize(26, 0);
    f.extend(std::iter::repeat_n(0x5A, body));
    f
}

fn beacon() -> Vec<u8> {
    let mut f = vec![0x80, 0];
    f.resize(24 + 12, 0);
    f
}

fn ind(frame: &[u8], status: Status, channel: u16, rate: u8, enc: u8) -> RxIndication<'_> {
    RxIndication {
        status,
        channel,
        rx_rate: rate,
        rcpi: 120,
        flags: RxFlags(0).with(enc, 3),
        ext: [0; EXT_LEN],
        frame,
    }
}

#[test]
fn channels_and_frequencies() {
    let g = |b, c| channel_to_freq(b, c);
    assert_eq!(g(Band::Ghz2, 1), Some(2412));
    assert_eq!(g(Band::Ghz2, 6), Some(2437));
    assert_eq!(g(Band::Ghz2, 13), Some(2472));
    assert_eq!(g(Band::Ghz2, 14), Some(2484));
    assert_eq!(g(Band::Ghz5, 36), Some(5180));
    assert_eq!(g(Band::Ghz5, 34), Some(5170));
    assert_eq!(g(Band::Ghz5, 100), Some(5500));
    assert_eq!(g(Band::Ghz5, 165), Some(5825));
    assert_eq!(
        g(Band::Ghz5, 184),
        Some(4920),
        "4.9 GHz, as the kernel numbers it"
    );
    assert_eq!(g(Band::Ghz5, 196), Some(4980));
    for bad in [
        (Band::Ghz2, 0),
        (Band::Ghz2, 15),
        (Band::Ghz5, 1),
        (Band::Ghz5, 37),
    ] {
        assert_eq!(g(bad.0, bad.1), None);
    }
    assert_eq!(g(Band::Ghz5, 200), None, "vendor's 200–216 are left out");
    assert_eq!(band_of_channel(11), Some(Band::Ghz2));
    assert_eq!(band_of_channel(44), Some(Band::Ghz5));
    assert_eq!(band_of_channel(0), None);
    assert_eq!(CHANNELS_2GHZ.len(), 14);
    assert!(CHANNELS_5GHZ.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn header_lengths() {
    assert_eq!(ieee80211_hdr_len(&[0x08, 0x01]), Some(24), "data");
    assert_eq!(ieee80211_hdr_len(&[0x88, 0x01]), Some(26), "QoS data");
    assert_eq!(
        ieee80211_hdr_len(&[0x88, 0x03]),
        Some(32),
        "QoS data, 4 addresses"
    );
    assert_eq!(
        ieee80211_hdr_len(&[0x88, 0x81]),
        Some(30),
        "QoS data + HT control"
    );
    assert_eq!(
        ieee80211_hdr_len(&[0x08, 0x83]),
        Some(30),
        "4 addresses, order ignored"
    );
    assert_eq!(ieee80211_hdr_len(&[0x80, 0x00]), Some(24), "beacon");
    assert_eq!(
        ieee80211_hdr_len(&[0xD0, 0x80]),
        Some(28),
        "action + HT control"
    );
    assert_eq!(ieee80211_hdr_len(&[0xD4, 0x00]), Some(10), "ACK");
    assert_eq!(ieee80211_hdr_len(&[0xC4, 0x00]), Some(10), "CTS");
    assert_eq!(ieee80211_hdr_len(&[0xA4, 0x00]), Some(16), "PS-poll");
    assert_eq!(ieee80211_hdr_len(&[0xB4, 0x00]), Some(16), "RTS");
    assert_eq!(ieee80211_hdr_len(&[0x08]), None);
}

#[test]
fn rates_per_band() {
    assert_eq!(rx_rate(Band::Ghz2, 0), Some(RxRate::Legacy(0)));
    assert_eq!(rx_rate(Band::Ghz2, 3), Some(RxRate::Legacy(3)));
    assert_eq!(rx_rate(Band::Ghz2, 4), None, "PBCC");
    assert_eq!(rx_rate(Band::Ghz2, 6), Some(RxRate::Legacy(4)));
    assert_eq!(rx_rate(Band::Ghz2, 13), Some(RxRate::Legacy(11)));
    assert_eq!(rx_rate(Band::Ghz5, 6), Some(RxRate::Legacy(0)));
    assert_eq!(rx_rate(Band::Ghz5, 13), Some(RxRate::Legacy(7)));
    assert_eq!(rx_rate(Band::Ghz5, 2), None, "no CCK on 5 GHz");
    assert_eq!(rx_rate(Band::Ghz5, 14), Some(RxRate::Ht(0)));
    assert_eq!(rx_rate(Band::Ghz2, 21), Some(RxRate::Ht(7)));
    assert_eq!(rx_rate(Band::Ghz2, 22), None);
}

#[test]
fn plain_frame() {
    let f = qos_data(40);
    let m = rx_meta(&ind(&f, Status::SUCCESS, 6, 21, 0)).unwrap();
    assert_eq!(m.band, Band::Ghz2);
    assert_eq!(m.freq_mhz, 2437);
    assert_eq!(m.signal_dbm, -50);
    assert_eq!(m.rate, RxRate::Ht(7));
    assert_eq!(m.crypto, RxCrypto::default());
    assert_eq!((m.hdr_len, m.strip_head, m.strip_tail), (26, 0, 0));
    assert_eq!(m.link_id, 3);
    let m = rx_meta(&ind(&f, Status::SUCCESS, 36, 6, 0)).unwrap();
    assert_eq!(
        (m.band, m.freq_mhz, m.rate),
        (Band::Ghz5, 5180, RxRate::Legacy(0))
    );
}

#[test]
fn crypto_per_encryption_code() {
    let f = qos_data(64);
    let dec = |iv_stripped| RxCrypto {
        decrypted: true,
        iv_stripped,
        ..RxCrypto::default()
    };
    let cases = [
        (1u8, dec(false), 0, 0),
        (2, dec(false), 0, 0),
        (3, dec(false), 0, 0),
        (4, dec(true), 18, 16),
        (7, dec(true), 0, 0),
    ];
    for (enc, crypto, head, tail) in cases {
        let m = rx_meta(&ind(&f, Status::SUCCESS, 1, 0, enc)).unwrap();
        assert_eq!(m.crypto, crypto, "encryption {enc}");
        assert_eq!(
            (m.strip_head, m.strip_tail),
            (head, tail),
            "encryption {enc}"
        );
    }
    for enc in [5u8, 6] {
        assert_eq!(
            rx_meta(&ind(&f, Status::SUCCESS, 1, 0, enc)),
            Err(RxError::UnknownEncryption(enc))
        );
    }
}

#[test]
fn frames_shorter_than_their_security_header_are_dropped() {
    // header + IV + trailer: WEP 4+4, TKIP 8+12, AES 8+8, WAPI 18+16.
    for (enc, need) in [(1u8, 8usize), (2, 20), (3, 16), (4, 34)] {
        let ok = qos_data(need);
        assert!(rx_meta(&ind(&ok, Status::SUCCESS, 1, 0, enc)).is_ok());
        let short = qos_data(need - 1);
        assert_eq!(
            rx_meta(&ind(&short, Status::SUCCESS, 1, 0, enc)),
            Err(RxError::TooShort {
                len: 26 + need - 1,
                need: 26 + need
            })
        );
    }
    assert!(matches!(
        rx_meta(&ind(&[0x88, 0x42, 0, 0], Status::SUCCESS, 1, 0, 0)),
        Err(RxError::TooShort { len: 4, need: 26 })
    ));
    assert!(matches!(
        rx_meta(&ind(&[], Status::SUCCESS, 1, 0, 0)),
        Err(RxError::TooShort { len: 0, .. })
    ));
}

#[test]
fn failures_drop_except_mic_failure() {
    let f = qos_data(40);
    for s in [
        Status::DECRYPT_FAILURE,
        Status::NO_KEY_FOUND,
        Status::FAILURE,
    ] {
        let e = rx_meta(&ind(&f, s, 1, 0, 3)).unwrap_err();
        assert_eq!(e, RxError::Status(s));
        assert!(!e.is_violation());
    }
    // MIC failure: reported, ICV already gone, IV still there.
    let m = rx_meta(&ind(&qos_data(8), Status::MIC_FAILURE, 1, 0, 2)).unwrap();
    assert_eq!(
        m.crypto,
        RxCrypto {
            decrypted: true,
            iv_stripped: true,
            mic_stripped: false,
            mic_error: true
        }
    );
    assert_eq!((m.strip_head, m.strip_tail), (0, 0));
}

#[test]
fn bad_channel_and_rate_are_violations() {
    let f = qos_data(4);
    let e = rx_meta(&ind(&f, Status::SUCCESS, 0, 0, 0)).unwrap_err();
    assert_eq!(e, RxError::BadChannel(0));
    assert!(e.is_violation());
    assert_eq!(
        rx_meta(&ind(&f, Status::SUCCESS, 15, 6, 0)),
        Err(RxError::BadChannel(15))
    );
    assert_eq!(
        rx_meta(&ind(&f, Status::SUCCESS, 36, 1, 0)),
        Err(RxError::BadRate {
            band: Band::Ghz5,
            rate: 1
        })
    );
    assert_eq!(
        rx_meta(&ind(&f, Status::SUCCESS, 1, 22, 0)),
        Err(RxError::BadRate {
            band: Band::Ghz2,
            rate: 22
        })
    );
}

#[test]
fn beacons_with_rcpi_zero_are_dropped() {
    let b = beacon();
    let mut i = ind(&b, Status::SUCCESS, 1, 0, 0);
    assert!(rx_meta(&i).is_ok());
    i.rcpi = 0;
    assert_eq!(rx_meta(&i), Err(RxError::ZeroRcpi));
    let d = qos_data(4);
    let mut i = ind(&d, Status::SUCCESS, 1, 0, 0);
    i.rcpi = 0;
    assert_eq!(rx_meta(&i).unwrap().signal_dbm, -110);
}

/// The indication as it comes off the wire (encode, then decode as the driver does).
#[test]
fn decoded_indication() {
    let f = qos_data(30);
    let i = ind(&f, Status::SUCCESS, 11, 8, 7);
    let mut buf = [0u8; 256];
    let n = msg::encode(&i, 1, &mut buf).unwrap();
    let (_, d) = msg::decode::<RxIndication<'_>>(&buf[..n]).unwrap();
    let m = rx_meta(&d).unwrap();
    assert_eq!((m.freq_mhz, m.rate), (2462, RxRate::Legacy(6)));
    assert!(m.crypto.decrypted && m.crypto.iv_stripped);
    assert_eq!(RxIndication::ID, 0x0804);
}

proptest! {
    /// Any indication is judged without panicking, and an accepted one is consistent.
    #[test]
    fn any_indication_is_safe(
        status in 0u32..12,
        channel in any::<u16>(),
        rate in any::<u8>(),
        rcpi in any::<u8>(),
        flags in any::<u32>(),
        frame in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        let i = RxIndication {
            status: Status(status),
            channel,
            rx_rate: rate,
            rcpi,
            flags: RxFlags(flags),
            ext: [0; EXT_LEN],
            frame: &frame,
        };
        if let Ok(m) = rx_meta(&i) {
            prop_assert!(m.hdr_len + m.strip_head + m.strip_tail <= frame.len());
            prop_assert_eq!(channel_to_freq(m.band, m.channel), Some(m.freq_mhz));
            prop_assert!(status == 0 || status == 5);
            prop_assert!((-110..=17).contains(&m.signal_dbm));
        }
    }
}
