// SPDX-License-Identifier: GPL-2.0

//! The firmware image check behind `bes2600-fw-check` and `firmware/install.sh`: images laid
//! out like the synthetic ones of `bes2600-make-firmware` pass with what they say about
//! themselves; cut, blank, foreign and address-less files are refused with the reason; no
//! input makes the check panic.

use bes2600_protocol::boot_frame::FirmwareImage;
use bes2600_protocol::crc32::crc32;
use bes2600_protocol::image_check::{
    check_image,
    Refusal,
    Remark,
    MAX_IMAGE, //
};
use proptest::prelude::*;

/// Where the test images load.
const LOAD: u32 = 0x2000_0000;

/// An image like `bes2600-make-firmware` writes: header (entry, parameter, stack, load
/// address), a pseudo-random body ending in a version text, the trailing load address.
fn image(header_addr: u32, trailer_addr: u32, body_len: usize, version: &str) -> Vec<u8> {
    let mut f = Vec::new();
    for w in [LOAD | 1, 0, 0x2008_0000, header_addr] {
        f.extend_from_slice(&w.to_le_bytes());
    }
    let mut x: u32 = 0x2545_F491;
    for _ in 0..body_len.saturating_sub(version.len() + 1) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        f.push(x.to_le_bytes()[0]);
    }
    f.push(0);
    f.extend_from_slice(version.as_bytes());
    f.resize(16 + body_len, 0);
    f.extend_from_slice(&trailer_addr.to_le_bytes());
    f
}

/// A WiFi image as the synthetic one: both addresses set and equal.
fn wifi() -> Vec<u8> {
    image(
        LOAD,
        LOAD,
        4096,
        "BES2600 test firmware 2.0 Jul 22 2025 12:00:00",
    )
}

#[test]
fn a_well_formed_image_passes_with_its_facts() {
    let file = wifi();
    let report = check_image(&file).unwrap();
    assert_eq!(report.load_addr, LOAD);
    assert_eq!(report.payload_len(), file.len() - 4);
    assert_eq!(report.crc, crc32(&file[..file.len() - 4]));
    assert_eq!(
        report.version,
        Some("BES2600 test firmware 2.0 Jul 22 2025 12:00:00")
    );
    assert_eq!(report.remarks().count(), 0);
    assert!(!report.is_suspicious());
    assert_eq!(report.image, FirmwareImage::parse(&file).unwrap());
}

#[test]
fn an_image_whose_address_is_only_in_the_trailer_passes() {
    // The synthetic calibration image is laid out like this.
    let file = image(0, LOAD, 2048, "cal 1.0 Jan  6 2025 08:00:00");
    let report = check_image(&file).unwrap();
    assert_eq!(report.load_addr, LOAD);
    assert_eq!(
        report.remarks().collect::<Vec<_>>(),
        [Remark::HeaderAddressZero]
    );
    assert!(!report.is_suspicious());
}

#[test]
fn a_cut_image_is_suspicious() {
    let mut file = wifi();
    // A download that stopped in the middle: the "trailer" is a word of code.
    file.truncate(3001);
    let report = check_image(&file).unwrap();
    assert!(report.is_suspicious());
    assert!(matches!(
        report.remarks().next(),
        Some(Remark::AddressMismatch { header: LOAD, .. })
    ));
}

#[test]
fn a_padded_image_is_suspicious() {
    let mut file = wifi();
    file.extend_from_slice(&[0xff; 13]);
    let report = check_image(&file).unwrap();
    assert!(report.is_suspicious());
    assert!(report
        .remarks()
        .any(|r| matches!(r, Remark::AddressMismatch { .. })));
}

#[test]
fn an_image_without_version_text_or_with_odd_header_words_gets_remarks_only() {
    let mut file = image(0x3000_0002, 0x3000_0002, 1024, "");
    // Entry point even: not Thumb.
    file[0] = 0x00;
    let report = check_image(&file).unwrap();
    let remarks: Vec<_> = report.remarks().collect();
    assert!(remarks.contains(&Remark::NoVersion), "{remarks:?}");
    assert!(remarks.contains(&Remark::OutsideKnownRam { addr: 0x3000_0002 }));
    assert!(remarks.contains(&Remark::UnalignedLoadAddress { addr: 0x3000_0002 }));
    assert!(remarks
        .iter()
        .any(|r| matches!(r, Remark::UnusualEntry { .. })));
    // Misalignment is the one that makes it suspicious.
    assert!(report.is_suspicious());
}

#[test]
fn short_empty_and_blank_files_are_refused() {
    assert_eq!(check_image(&[]), Err(Refusal::Empty));
    let file = wifi();
    assert_eq!(
        check_image(&file[..19]),
        Err(Refusal::Truncated { len: 19 })
    );
    assert_eq!(check_image(&[0u8; 4096]), Err(Refusal::Uniform { byte: 0 }));
    assert_eq!(
        check_image(&[0xffu8; 4096]),
        Err(Refusal::Uniform { byte: 0xff })
    );
}

#[test]
fn an_image_without_load_address_is_refused() {
    let file = image(0, 0, 1024, "x 1.0 Jan  1 2025");
    assert_eq!(check_image(&file), Err(Refusal::NoLoadAddress));
}

#[test]
fn an_oversized_image_is_refused() {
    let file = image(LOAD, LOAD, MAX_IMAGE, "");
    assert_eq!(
        check_image(&file),
        Err(Refusal::TooLarge { len: file.len() })
    );
    // One byte less is accepted.
    let file = image(LOAD, LOAD, MAX_IMAGE - 16, "");
    assert!(check_image(&file).is_ok());
}

#[test]
fn foreign_formats_are_named() {
    let cases: [(&[u8], &str); 9] = [
        (
            b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n",
            "Git LFS",
        ),
        (b"!<arch>\ndebian-binary   1\x00\x01", "ar archive"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "ELF"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
        (b"\xfd7zXZ\x00\x00\x04", "xz"),
        (b"\x28\xb5\x2f\xfd\x04\x58", "zstd"),
        (b"PK\x03\x04\x14\x00", "zip"),
        (b"<!DOCTYPE html><html>", "HTML"),
        (b"BZh91AY&SY", "bzip2"),
    ];
    for (bytes, name) in cases {
        let mut file = bytes.to_vec();
        file.extend_from_slice(&[0x00, 0x01, 0x02, 0x03].repeat(16));
        match check_image(&file) {
            Err(r @ Refusal::Container { format, .. }) => {
                assert!(format.contains(name), "{name}: {format}");
                assert!(r.to_string().contains("not an image"), "{r}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    let mut tar = vec![0u8; 1024];
    tar[..9].copy_from_slice(b"bes2600/\x00");
    tar[257..262].copy_from_slice(b"ustar");
    assert!(matches!(
        check_image(&tar),
        Err(Refusal::Container {
            format: "a tar archive",
            ..
        })
    ));
}

#[test]
fn text_is_refused() {
    let mut file =
        b"##head\nmagic:0xBA80\nversion:0x2\ncrc:0x0\n##iq&xtal\niQ_offset:0x0\n".to_vec();
    file.extend_from_slice(&[0u8; 64]);
    assert_eq!(check_image(&file), Err(Refusal::Text));
    // Short text too.
    assert_eq!(check_image(b"404 Not Found\n"), Err(Refusal::Text));
}

#[test]
fn messages_say_what_is_wrong() {
    assert!(Refusal::Truncated { len: 7 }
        .to_string()
        .contains("7 bytes is shorter"));
    assert!(Remark::AddressMismatch {
        header: 1,
        trailer: 2
    }
    .to_string()
    .contains("cut or padded"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any input: a verdict, never a panic, and an accepted image's facts are the parser's.
    #[test]
    fn never_panics_and_agrees_with_the_parser(file in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(report) = check_image(&file) {
            let image = FirmwareImage::parse(&file).unwrap();
            prop_assert_eq!(report.load_addr, image.load_addr());
            prop_assert!(report.load_addr != 0);
            prop_assert_eq!(report.crc, image.crc());
            for remark in report.remarks() {
                prop_assert!(!remark.to_string().is_empty());
            }
        } else if let Err(refusal) = check_image(&file) {
            prop_assert!(!refusal.to_string().is_empty());
        }
    }

    /// Cutting a well-formed image anywhere past its header either refuses it or marks it
    /// suspicious, unless the cut happens to leave the load address as the trailer.
    #[test]
    fn a_cut_image_never_passes_clean(cut in 20usize..4100) {
        let file = wifi();
        let cut = cut.min(file.len() - 1);
        let part = &file[..cut];
        let trailer = u32::from_le_bytes(part[cut - 4..].try_into().unwrap());
        if let Ok(report) = check_image(part) {
            prop_assert!(report.is_suspicious() || trailer == LOAD);
        }
    }
}
