// SPDX-License-Identifier: GPL-2.0

//! The boot's file formats: the factory calibration file (parse, blob, canonical text round
//! trip), firmware images (header, trailer, load address, version text) and DPD data. Byte 0
//! selects the parser; selector 3 mutates a valid factory file (pairs of position and byte), so
//! the parser's deep paths are reached without a corpus.

#![no_main]

use bes2600_protocol::boot_frame::{
    version_string,
    FirmwareImage,
    DPD_LEN, //
};
use bes2600_protocol::calibration::{
    check_dpd_data,
    FactoryData, //
};
use bes2600_protocol::crc32::crc32;
use libfuzzer_sys::fuzz_target;

/// Parses a factory file; a parsed one must encode, print and parse back to the same blob.
fn factory(text: &[u8]) {
    if let Ok(factory) = FactoryData::parse(text) {
        let blob = factory.to_blob().expect("a parsed file always encodes");
        assert_eq!(
            crc32(&blob[8..]),
            u32::from_le_bytes(blob[4..8].try_into().unwrap())
        );
        factory.range_warnings().for_each(drop);
        let text = factory.to_string();
        let back = FactoryData::parse(text.as_bytes()).expect("canonical text parses");
        assert_eq!(back.to_blob().unwrap(), blob);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 4 {
        0 => factory(rest),
        3 => {
            let mut text = FactoryData::default().to_string().into_bytes();
            for pair in rest.chunks_exact(2) {
                let at = usize::from(pair[0]) * text.len() / 256;
                match pair[1] {
                    // Delete, insert a space or a newline, or overwrite.
                    0 if at < text.len() => {
                        text.remove(at);
                    }
                    1 => text.insert(at, b' '),
                    2 => text.insert(at, b'\n'),
                    b => {
                        if let Some(c) = text.get_mut(at) {
                            *c = b;
                        }
                    }
                }
            }
            factory(&text);
        }
        1 => {
            let _ = version_string(rest);
            if let Ok(img) = FirmwareImage::parse(rest) {
                assert_eq!(img.payload.len() + 4, rest.len());
                let addr = img.load_addr();
                assert!(addr == img.header_addr || addr == img.trailer_addr);
                if let Some(v) = img.version() {
                    assert!(v.len() <= 11 + 2 * 48);
                    assert!(v.bytes().all(|b| (b' '..=b'~').contains(&b)));
                }
            }
        }
        _ => {
            // Pad or cut to the DPD length, so the CRC path runs, then the input as is.
            let mut blob = rest.to_vec();
            blob.resize(DPD_LEN, 0);
            let _ = check_dpd_data(&blob);
            let _ = check_dpd_data(rest);
        }
    }
});
