// SPDX-License-Identifier: GPL-2.0

//! Golden vectors and properties of the boot's file formats (docs/chip-protocol.md, "Image files",
//! "DPD data", "Factory calibration file"): the factory calibration file and its 72-byte blob, DPD
//! data, firmware images (the trailer-vs-header load address rule) and their version text. The
//! expected bytes were computed independently (Python's `struct` and `zlib.crc32`).

use bes2600_protocol::boot_frame::{
    version_string,
    FirmwareImage,
    DPD_LEN,
    DPD_VERSION_OFFSET,
    FACTORY_LEN, //
};
use bes2600_protocol::calibration::{
    check_dpd_data,
    make_dpd_data,
    FactoryData,
    FactoryError,
    RangeWarning,
    FACTORY_FILE_MAX,
    FACTORY_MAGIC, //
};
use bes2600_protocol::crc32::crc32;
use proptest::prelude::*;

/// A factory file with a distinct value in every field, in the canonical layout.
const SAMPLE: &str = "##head
magic:0xBA80
version:0x2
crc:0x12345678
##iq&xtal
iQ_offset:0x11223344
freq_cal:0xa5
freq_cal_flags:0x1
##2.4g_power_11n
ch1:0x1401
ch7:0x1402
ch13:0x1403
tx_power_type:0xfe
temperature:0x20
##5g_power_11n
ch36-40:0x1500
ch44-48:0x1501
ch52-56:0x1502
ch60-64:0x1503
ch100-104:0x1504
ch108-112:0x1505
ch116-120:0x1506
ch124-128:0x1507
ch132-136:0x1508
ch140-144:0x1509
ch149-153:0x150a
ch157-161:0x150b
ch165-169:0x150c
tx_power_flags_5G:0x3
temperature_5G:0x21
##bt
bdr_div:0x5
bdr_power:0x10
edr_div:0x5
edr_power:0x15
##select_efuse_flag
select_efuse:1
%%
";

/// The blob of [`SAMPLE`]: struct.pack('<HHIIH3HBBH13HH4IHH', …), CRC-32 of bytes 8.. =
/// 0x964C2359.
const SAMPLE_BLOB: [u8; FACTORY_LEN] = [
    0x80, 0xba, 0x02, 0x00, 0x59, 0x23, 0x4c, 0x96, 0x44, 0x33, 0x22, 0x11, 0xa5, 0x00, 0x01, 0x14,
    0x02, 0x14, 0x03, 0x14, 0x01, 0xfe, 0x20, 0x00, 0x00, 0x15, 0x01, 0x15, 0x02, 0x15, 0x03, 0x15,
    0x04, 0x15, 0x05, 0x15, 0x06, 0x15, 0x07, 0x15, 0x08, 0x15, 0x09, 0x15, 0x0a, 0x15, 0x0b, 0x15,
    0x0c, 0x15, 0x03, 0x00, 0x05, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
    0x15, 0x00, 0x00, 0x00, 0x21, 0x00, 0x01, 0x00,
];

#[test]
fn bus_6_9_factory_file_to_blob() {
    let data = FactoryData::parse(SAMPLE.as_bytes()).unwrap();
    assert_eq!(data.magic, FACTORY_MAGIC);
    assert_eq!(data.version, 2);
    assert_eq!(data.file_crc, 0x1234_5678);
    assert_eq!(data.iq_offset, 0x1122_3344);
    assert_eq!(data.tx_power_ch, [0x1401, 0x1402, 0x1403]);
    assert_eq!(data.tx_power_ch_5g[12], 0x150c);
    assert_eq!(data.bt_tx_power, [5, 0x10, 5, 0x15]);
    assert_eq!(data.select_efuse, 1);
    assert_eq!(data.to_blob().unwrap(), SAMPLE_BLOB);
    assert_eq!(data.blob_crc().unwrap(), 0x964C_2359);
    assert_eq!(crc32(&SAMPLE_BLOB[8..]), 0x964C_2359);
    assert_eq!(data.range_warnings().count(), 0);
}

#[test]
fn bus_6_9_defaults() {
    let data = FactoryData::default();
    let blob = data.to_blob().unwrap();
    assert_eq!(&blob[..4], &[0x80, 0xBA, 2, 0]);
    assert_eq!(
        u32::from_le_bytes(blob[4..8].try_into().unwrap()),
        0xB1CF_339F
    );
    assert_eq!(data.range_warnings().count(), 0);
    // The canonical text reads back as the same data, with the blob's CRC as the file CRC.
    let text = data.to_string();
    assert!(text.starts_with("##head\nmagic:0xba80\nversion:0x2\ncrc:0xb1cf339f\n"));
    assert!(text.ends_with("select_efuse:0x0\n%%\n"));
    let back = FactoryData::parse(text.as_bytes()).unwrap();
    assert_eq!(back.file_crc, 0xB1CF_339F);
    assert_eq!(
        FactoryData {
            file_crc: 0,
            ..back
        },
        data
    );
}

#[test]
fn bus_6_9_whitespace_and_prefixes() {
    // Values with or without 0x, upper-case digits, CRLF line ends, a space after the colon,
    // several entries on a line.
    let text = SAMPLE
        .replace('\n', "\r\n")
        .replace("ch7:0x1402", "ch7: 0X1402")
        .replace("ch13:0x1403\r\n", "ch13:1403   ");
    let data = FactoryData::parse(text.as_bytes()).unwrap();
    assert_eq!(data.to_blob().unwrap(), SAMPLE_BLOB);
}

#[test]
fn bus_6_9_refusals() {
    let parse = |s: &str| FactoryData::parse(s.as_bytes());
    assert_eq!(
        parse(&SAMPLE.replace("magic:0xBA80", "magic:0xBA81")),
        Err(FactoryError::BadMagic { magic: 0xBA81 })
    );
    assert_eq!(
        parse(&SAMPLE.replace("version:0x2", "version:0x3")),
        Err(FactoryError::BadVersion { version: 3 })
    );
    assert!(matches!(
        parse(&SAMPLE.replace("ch7:0x1402\n", "")),
        Err(FactoryError::Expected { what: "ch7", .. })
    ));
    assert!(matches!(
        parse(&SAMPLE.replace("##bt\n", "")),
        Err(FactoryError::Expected { what: "##bt", .. })
    ));
    assert!(matches!(
        parse(&SAMPLE.replace("%%\n", "")),
        Err(FactoryError::Expected { what: "%%", .. })
    ));
    assert!(parse(&SAMPLE.replace("%%", "%% trailing")).is_ok());
    assert_eq!(
        parse(&SAMPLE.replace("freq_cal_flags:0x1", "freq_cal_flags:0x100")),
        Err(FactoryError::TooLarge {
            key: "freq_cal_flags",
            value: 0x100
        })
    );
    assert!(matches!(
        parse(&SAMPLE.replace("ch1:0x1401", "ch1:0x14g1")),
        Err(FactoryError::BadNumber { key: "ch1", .. })
    ));
    assert!(matches!(
        parse(&SAMPLE.replace("ch1:0x1401", "ch1:0x123456789")),
        Err(FactoryError::BadNumber { key: "ch1", .. })
    ));
    assert!(matches!(
        parse(&SAMPLE.replace("ch1:0x1401", "ch1:")),
        Err(FactoryError::BadNumber { key: "ch1", .. })
    ));
    assert!(parse("").is_err());
    // Longer than any real file: refused whole.
    let padded = format!("{SAMPLE}{}", " ".repeat(FACTORY_FILE_MAX - SAMPLE.len()));
    assert!(parse(&padded).is_ok());
    assert_eq!(
        parse(&format!("{padded} ")),
        Err(FactoryError::TooLong {
            len: FACTORY_FILE_MAX + 1
        })
    );
}

#[test]
fn bus_6_9_range_warnings() {
    let mut data = FactoryData::parse(SAMPLE.as_bytes()).unwrap();
    data.tx_power_ch_5g[3] = 0x4000;
    data.freq_cal = 0;
    data.bt_tx_power[2] = 4;
    let warnings: Vec<_> = data.range_warnings().collect();
    assert_eq!(
        warnings,
        [
            RangeWarning {
                key: "freq_cal",
                value: 0
            },
            RangeWarning {
                key: "edr_div",
                value: 4
            },
            RangeWarning {
                key: "ch60-64",
                value: 0x4000
            },
        ]
    );
}

#[test]
fn bus_6_7_dpd_data() {
    let mut blob = vec![0u8; DPD_LEN];
    make_dpd_data(&mut blob, |i| (i * 7 + 3) as u8, 7).unwrap();
    // Python: bytearray((i*7+3)&0xff …), version 7 at 0x3AF4, crc32(b[4:]).
    assert_eq!(
        u32::from_le_bytes(blob[..4].try_into().unwrap()),
        0xA5E6_29F3
    );
    assert_eq!(
        u32::from_le_bytes(
            blob[DPD_VERSION_OFFSET..DPD_VERSION_OFFSET + 4]
                .try_into()
                .unwrap()
        ),
        7
    );
    assert_eq!(check_dpd_data(&blob), Ok(7));
    // Any flipped bit fails the CRC; the length must be exact.
    for at in [0, 4, DPD_VERSION_OFFSET, DPD_LEN - 1] {
        let mut bad = blob.clone();
        bad[at] ^= 0x10;
        assert!(check_dpd_data(&bad).is_err(), "flip at {at}");
    }
    assert!(check_dpd_data(&blob[..DPD_LEN - 1]).is_err());
    let mut long = blob.clone();
    long.push(0);
    assert!(check_dpd_data(&long).is_err());
    assert!(make_dpd_data(&mut [0u8; 16], |_| 0, 7).is_err());
}

/// An image file: header words, body, trailer.
fn image(header: [u32; 4], body: &[u8], trailer: u32) -> Vec<u8> {
    let mut f: Vec<u8> = header.iter().flat_map(|w| w.to_le_bytes()).collect();
    f.extend_from_slice(body);
    f.extend_from_slice(&trailer.to_le_bytes());
    f
}

#[test]
fn bus_6_2_load_address_rule() {
    let addr = |h: u32, t: u32| {
        FirmwareImage::parse(&image([1, 2, 3, h], b"x", t))
            .unwrap()
            .load_addr()
    };
    // Header 0 → trailer; trailer 0 → header; both equal → that; they differ → trailer.
    assert_eq!(addr(0, 0x2000_0000), 0x2000_0000);
    assert_eq!(addr(0x2001_0000, 0), 0x2001_0000);
    assert_eq!(addr(0x2001_0000, 0x2001_0000), 0x2001_0000);
    assert_eq!(addr(0x2001_0000, 0x2002_0000), 0x2002_0000);
    assert_eq!(addr(0, 0), 0);
    let f = image(
        [0x2000_0101, 0, 0x2003_0000, 0x2000_0000],
        b"body",
        0x2000_0000,
    );
    let img = FirmwareImage::parse(&f).unwrap();
    assert_eq!(img.payload, &f[..f.len() - 4]);
    assert_eq!(img.crc(), crc32(&f[..f.len() - 4]));
    assert_eq!(
        (img.entry, img.param, img.sp),
        (0x2000_0101, 0, 0x2003_0000)
    );
    // A file without room for the header and the trailer is refused.
    assert!(FirmwareImage::parse(&f[..19]).is_err());
    assert!(FirmwareImage::parse(&f[..20]).is_ok());
}

#[test]
fn bus_6_2_version_string() {
    let f = image(
        [0, 0, 0, 0x2000_0000],
        b"\x00\x01junk Mar 10 2020\x00\xffBES2600 WiFi 1.2.3 build Jan  6 2024 12:34:56\x00\x00",
        0x2000_0000,
    );
    let img = FirmwareImage::parse(&f).unwrap();
    // The last date wins, with its printable surroundings.
    assert_eq!(
        img.version(),
        Some("BES2600 WiFi 1.2.3 build Jan  6 2024 12:34:56")
    );
    assert_eq!(version_string(b"Dec 31 1999"), Some("Dec 31 1999"));
    assert_eq!(version_string(b"xx Dec 31 1999"), Some("xx Dec 31 1999"));
    // Not dates: unknown month, bad day, short year, nothing at all.
    assert_eq!(version_string(b"Foo 10 2020"), None);
    assert_eq!(version_string(b"Jan x0 2020"), None);
    assert_eq!(version_string(b"Jan 10 202"), None);
    assert_eq!(version_string(b""), None);
    // The surroundings are bounded.
    let long = format!("{}Jul  4 2025{}", "a".repeat(200), "b".repeat(200));
    let v = version_string(long.as_bytes()).unwrap();
    assert_eq!(v.len(), 48 + 11 + 48);
}

proptest! {
    /// Any data prints as a file that parses back to it (with the blob's CRC as file CRC).
    #[test]
    fn factory_text_round_trip(
        iq in any::<u32>(),
        freq in any::<u16>(),
        flags in any::<u8>(),
        p24 in any::<[u16; 3]>(),
        ty in any::<u8>(),
        temp in any::<u16>(),
        p5 in any::<[u16; 13]>(),
        f5 in any::<u16>(),
        t5 in any::<u16>(),
        bt in any::<[u32; 4]>(),
        efuse in any::<u16>(),
        version in 1u16..=2,
    ) {
        let data = FactoryData {
            magic: FACTORY_MAGIC,
            version,
            file_crc: 0,
            iq_offset: iq,
            freq_cal: freq,
            freq_cal_flags: flags,
            tx_power_ch: p24,
            tx_power_type: ty,
            temperature: temp,
            tx_power_ch_5g: p5,
            tx_power_flags_5g: f5,
            temperature_5g: t5,
            bt_tx_power: bt,
            select_efuse: efuse,
        };
        let text = data.to_string();
        prop_assert!(text.len() <= FACTORY_FILE_MAX);
        let back = FactoryData::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(back.file_crc, data.blob_crc().unwrap());
        prop_assert_eq!(FactoryData { file_crc: 0, ..back }, data);
        let blob = back.to_blob().unwrap();
        prop_assert_eq!(crc32(&blob[8..]), u32::from_le_bytes(blob[4..8].try_into().unwrap()));
    }

    /// The parser never panics and the version scan never panics.
    #[test]
    fn parsers_take_anything(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
        let _ = FactoryData::parse(&bytes);
        let _ = version_string(&bytes);
        let _ = check_dpd_data(&bytes);
    }
}
