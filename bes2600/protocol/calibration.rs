// SPDX-License-Identifier: GPL-2.0

//! The calibration data the host hands to the chip before the WiFi firmware (docs/chip-protocol.md,
//! "The boot flow", "DPD data", "Factory calibration file"): the factory calibration file and the
//! DPD (digital predistortion) data.
//!
//! # The factory file
//!
//! `bes2600_factory.txt` is a short text (the vendor reads its first 600 bytes) of sections
//! (`##name`) and `key:value` entries, ended by a line `%%`. Every one of the 31 keys must be
//! present, in this order:
//!
//! | section | keys |
//! |---|---|
//! | `##head` | `magic` (0xBA80), `version` (1 or 2), `crc` |
//! | `##iq&xtal` | `iQ_offset`, `freq_cal`, `freq_cal_flags` |
//! | `##2.4g_power_11n` | `ch1`, `ch7`, `ch13`, `tx_power_type`, `temperature` |
//! | `##5g_power_11n` | `ch36-40` … `ch165-169` (13 keys), `tx_power_flags_5G`, `temperature_5G` |
//! | `##bt` | `bdr_div`, `bdr_power`, `edr_div`, `edr_power` |
//! | `##select_efuse_flag` | `select_efuse` |
//!
//! Values are hexadecimal, with or without `0x`. The keys and their order are known, the vendor's
//! exact template is not (docs/chip-protocol.md, "Factory calibration file"), so the parser accepts
//! any whitespace between entries and after a key's colon ([`FactoryData`]'s `Display` writes the
//! canonical form, one entry a line). The file's `crc` is not checked (the vendor does not either);
//! the CRC is recomputed for the blob.
//!
//! # The factory blob
//!
//! 72 bytes, little endian, written to [`FACTORY_ADDR`](super::boot_frame::FACTORY_ADDR):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 2 | magic |
//! | 2 | 2 | version |
//! | 4 | 4 | CRC-32 of bytes 8..72 |
//! | 8 | 4 | iQ_offset |
//! | 12 | 2 | freq_cal |
//! | 14 | 6 | 2.4 GHz power: ch1, ch7, ch13 (u16 each) |
//! | 20 | 1 | freq_cal_flags |
//! | 21 | 1 | tx_power_type |
//! | 22 | 2 | temperature |
//! | 24 | 26 | 5 GHz power, 13 × u16 |
//! | 50 | 2 | tx_power_flags_5G |
//! | 52 | 16 | BT: bdr_div, bdr_power, edr_div, edr_power (u32 each) |
//! | 68 | 2 | temperature_5G |
//! | 70 | 2 | select_efuse |
//!
//! # DPD data
//!
//! [`DPD_LEN`] bytes read from the chip after the calibration image ran: a u32 CRC-32 of bytes
//! 4..[`DPD_LEN`] at offset 0 and a u32 version at [`DPD_VERSION_OFFSET`]. [`check_dpd_data`]
//! checks what the chip sent before the host keeps it for later boots.

use core::fmt;

use super::boot_frame::{
    check_dpd,
    DPD_LEN,
    DPD_VERSION_OFFSET,
    FACTORY_LEN, //
};
use super::codec::Writer;
use super::crc32::crc32;
use super::error::Error;

/// The factory file's name, relative to the firmware search path (the vendor reads
/// `/lib/firmware/bes2600_factory.txt`).
pub const FACTORY_FILE: &str = "bes2600_factory.txt";

/// The largest factory file accepted. The vendor reads the first 600 bytes; every file it
/// accepts is accepted here too.
pub const FACTORY_FILE_MAX: usize = 4096;

/// The only magic the chip accepts.
pub const FACTORY_MAGIC: u16 = 0xBA80;

/// Number of 5 GHz power entries.
pub const POWER_5G_CHANNELS: usize = 13;

/// The keys of the 5 GHz power section, in file order.
const KEYS_5G: [&str; POWER_5G_CHANNELS] = [
    "ch36-40",
    "ch44-48",
    "ch52-56",
    "ch60-64",
    "ch100-104",
    "ch108-112",
    "ch116-120",
    "ch124-128",
    "ch132-136",
    "ch140-144",
    "ch149-153",
    "ch157-161",
    "ch165-169",
];

/// Number of keys in the file.
const KEY_COUNT: usize = 31;

/// One entry of the file template: the section header (`##name`) that comes before it, its
/// key and the largest value its field holds.
struct Entry {
    section: Option<&'static str>,
    key: &'static str,
    max: u32,
}

/// Builds an entry.
const fn entry(section: Option<&'static str>, key: &'static str, max: u32) -> Entry {
    Entry { section, key, max }
}

/// Largest u8, u16 and u32 values, widened.
const U8: u32 = 0xFF;
const U16: u32 = 0xFFFF;
const U32: u32 = u32::MAX;

/// The file's template, in order ([`FactoryData::from_values`] takes the values in this
/// order).
const TEMPLATE: [Entry; KEY_COUNT] = [
    entry(Some("##head"), "magic", U16),
    entry(None, "version", U16),
    entry(None, "crc", U32),
    entry(Some("##iq&xtal"), "iQ_offset", U32),
    entry(None, "freq_cal", U16),
    entry(None, "freq_cal_flags", U8),
    entry(Some("##2.4g_power_11n"), "ch1", U16),
    entry(None, "ch7", U16),
    entry(None, "ch13", U16),
    entry(None, "tx_power_type", U8),
    entry(None, "temperature", U16),
    entry(Some("##5g_power_11n"), KEYS_5G[0], U16),
    entry(None, KEYS_5G[1], U16),
    entry(None, KEYS_5G[2], U16),
    entry(None, KEYS_5G[3], U16),
    entry(None, KEYS_5G[4], U16),
    entry(None, KEYS_5G[5], U16),
    entry(None, KEYS_5G[6], U16),
    entry(None, KEYS_5G[7], U16),
    entry(None, KEYS_5G[8], U16),
    entry(None, KEYS_5G[9], U16),
    entry(None, KEYS_5G[10], U16),
    entry(None, KEYS_5G[11], U16),
    entry(None, KEYS_5G[12], U16),
    entry(None, "tx_power_flags_5G", U16),
    entry(None, "temperature_5G", U16),
    entry(Some("##bt"), "bdr_div", U32),
    entry(None, "bdr_power", U32),
    entry(None, "edr_div", U32),
    entry(None, "edr_power", U32),
    entry(Some("##select_efuse_flag"), "select_efuse", U16),
];

/// The line that ends the file.
const TERMINATOR: &[u8] = b"%%";

/// Why a factory file was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactoryError {
    /// The file is longer than [`FACTORY_FILE_MAX`].
    TooLong {
        /// Its length.
        len: usize,
    },
    /// A section header, key or the terminator is missing or out of order.
    Expected {
        /// What was expected: `##section`, a key or `%%`.
        what: &'static str,
        /// Byte offset in the file where it was expected.
        offset: usize,
    },
    /// A value is not a hexadecimal number of at most 32 bits.
    BadNumber {
        /// The key.
        key: &'static str,
        /// Byte offset of the value.
        offset: usize,
    },
    /// A value does not fit the width of its field.
    TooLarge {
        /// The key.
        key: &'static str,
        /// The value.
        value: u32,
    },
    /// The magic is not [`FACTORY_MAGIC`].
    BadMagic {
        /// The magic found.
        magic: u16,
    },
    /// The version is not 1 or 2.
    BadVersion {
        /// The version found.
        version: u16,
    },
}

impl fmt::Display for FactoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FactoryError::TooLong { len } => {
                write!(f, "{len} bytes, at most {FACTORY_FILE_MAX} expected")
            }
            FactoryError::Expected { what, offset } => {
                write!(f, "expected `{what}` at byte {offset}")
            }
            FactoryError::BadNumber { key, offset } => {
                write!(f, "value of `{key}` at byte {offset} is not a hex number")
            }
            FactoryError::TooLarge { key, value } => {
                write!(f, "value {value:#x} of `{key}` does not fit its field")
            }
            FactoryError::BadMagic { magic } => {
                write!(f, "magic {magic:#06x}, expected {FACTORY_MAGIC:#06x}")
            }
            FactoryError::BadVersion { version } => {
                write!(f, "version {version}, expected 1 or 2")
            }
        }
    }
}

/// A field outside the range the vendor considers sane (a warning only: the data is still
/// sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeWarning {
    /// The key.
    pub key: &'static str,
    /// Its value.
    pub value: u32,
}

/// The factory calibration data of one module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactoryData {
    /// Magic, [`FACTORY_MAGIC`].
    pub magic: u16,
    /// Format version, 1 or 2.
    pub version: u16,
    /// The CRC the file states (not checked; the blob carries a recomputed one).
    pub file_crc: u32,
    /// IQ offset.
    pub iq_offset: u32,
    /// Crystal frequency calibration.
    pub freq_cal: u16,
    /// Crystal calibration flags.
    pub freq_cal_flags: u8,
    /// 2.4 GHz TX power for channels 1, 7 and 13.
    pub tx_power_ch: [u16; 3],
    /// TX power type.
    pub tx_power_type: u8,
    /// Temperature at 2.4 GHz calibration.
    pub temperature: u16,
    /// 5 GHz TX power per channel group (file order).
    pub tx_power_ch_5g: [u16; POWER_5G_CHANNELS],
    /// 5 GHz TX power flags.
    pub tx_power_flags_5g: u16,
    /// Temperature at 5 GHz calibration.
    pub temperature_5g: u16,
    /// BT: BDR divider, BDR power, EDR divider, EDR power.
    pub bt_tx_power: [u32; 4],
    /// eFuse selection flag.
    pub select_efuse: u16,
}

impl Default for FactoryData {
    /// The values the vendor writes when it creates a factory file itself.
    fn default() -> Self {
        Self {
            magic: FACTORY_MAGIC,
            version: 2,
            file_crc: 0,
            iq_offset: 0,
            freq_cal: 0xA0,
            freq_cal_flags: 0,
            tx_power_ch: [0x1400; 3],
            tx_power_type: 0xFF,
            temperature: 0,
            tx_power_ch_5g: [0x1400; POWER_5G_CHANNELS],
            tx_power_flags_5g: 0,
            temperature_5g: 0,
            bt_tx_power: [5, 0x10, 5, 0x15],
            select_efuse: 0,
        }
    }
}

/// A cursor over the file's whitespace-separated tokens.
struct Tokens<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    /// The next token and its offset, or the offset of the end.
    fn next_token(&mut self) -> Result<(usize, &'a [u8]), usize> {
        let rest = self.text.get(self.pos..).unwrap_or(&[]);
        let start = self.pos
            + rest
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(rest.len());
        let rest = self.text.get(start..).unwrap_or(&[]);
        let len = rest
            .iter()
            .position(u8::is_ascii_whitespace)
            .unwrap_or(rest.len());
        self.pos = start + len;
        match rest.get(..len) {
            Some(token) if !token.is_empty() => Ok((start, token)),
            _ => Err(start),
        }
    }
}

/// Parses a hexadecimal number with an optional `0x`/`0X` prefix (at most 8 digits).
fn parse_hex(token: &[u8]) -> Option<u32> {
    let digits = token
        .strip_prefix(b"0x")
        .or_else(|| token.strip_prefix(b"0X"))
        .unwrap_or(token);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &b| {
        let d = char::from(b).to_digit(16)?;
        Some((acc << 4) | d)
    })
}

/// Narrows a checked value (the template's `max` guarantees the fit).
fn narrow<T: TryFrom<u32>>(value: u32, key: &'static str) -> Result<T, FactoryError> {
    T::try_from(value).map_err(|_| FactoryError::TooLarge { key, value })
}

impl FactoryData {
    /// Parses the factory file (at most [`FACTORY_FILE_MAX`] bytes), which must hold every
    /// key in order and the terminator. Checks the magic and the version.
    pub fn parse(file: &[u8]) -> Result<Self, FactoryError> {
        if file.len() > FACTORY_FILE_MAX {
            return Err(FactoryError::TooLong { len: file.len() });
        }
        let mut tokens = Tokens { text: file, pos: 0 };
        let mut values = [0u32; KEY_COUNT];
        for (slot, e) in values.iter_mut().zip(TEMPLATE.iter()) {
            if let Some(section) = e.section {
                let (offset, token) =
                    tokens
                        .next_token()
                        .map_err(|offset| FactoryError::Expected {
                            what: section,
                            offset,
                        })?;
                if token != section.as_bytes() {
                    return Err(FactoryError::Expected {
                        what: section,
                        offset,
                    });
                }
            }
            *slot = Self::entry_value(&mut tokens, e)?;
        }
        match tokens.next_token() {
            Ok((_, token)) if token == TERMINATOR => {}
            Ok((offset, _)) | Err(offset) => {
                return Err(FactoryError::Expected { what: "%%", offset })
            }
        }
        let data = Self::from_values(&values)?;
        if data.magic != FACTORY_MAGIC {
            return Err(FactoryError::BadMagic { magic: data.magic });
        }
        if !(1..=2).contains(&data.version) {
            return Err(FactoryError::BadVersion {
                version: data.version,
            });
        }
        Ok(data)
    }

    /// Reads one `key:value` entry (the value may follow the colon after whitespace).
    fn entry_value(tokens: &mut Tokens<'_>, e: &Entry) -> Result<u32, FactoryError> {
        let expected = |offset| FactoryError::Expected {
            what: e.key,
            offset,
        };
        let (offset, token) = tokens.next_token().map_err(expected)?;
        let value = token
            .strip_prefix(e.key.as_bytes())
            .and_then(|rest| rest.strip_prefix(b":"))
            .ok_or(expected(offset))?;
        let (offset, value) = if value.is_empty() {
            tokens
                .next_token()
                .map_err(|offset| FactoryError::BadNumber { key: e.key, offset })?
        } else {
            (offset + e.key.len() + 1, value)
        };
        let value = parse_hex(value).ok_or(FactoryError::BadNumber { key: e.key, offset })?;
        if value > e.max {
            return Err(FactoryError::TooLarge { key: e.key, value });
        }
        Ok(value)
    }

    /// Builds the data from the values in [`TEMPLATE`] order.
    fn from_values(v: &[u32; KEY_COUNT]) -> Result<Self, FactoryError> {
        let at = |i: usize| v.get(i).copied().unwrap_or(0);
        let key = |i: usize| TEMPLATE.get(i).map_or("?", |e| e.key);
        let u16_at = |i: usize| narrow::<u16>(at(i), key(i));
        let u8_at = |i: usize| narrow::<u8>(at(i), key(i));
        let mut tx_power_ch_5g = [0u16; POWER_5G_CHANNELS];
        for (i, p) in tx_power_ch_5g.iter_mut().enumerate() {
            *p = u16_at(11 + i)?;
        }
        Ok(Self {
            magic: u16_at(0)?,
            version: u16_at(1)?,
            file_crc: at(2),
            iq_offset: at(3),
            freq_cal: u16_at(4)?,
            freq_cal_flags: u8_at(5)?,
            tx_power_ch: [u16_at(6)?, u16_at(7)?, u16_at(8)?],
            tx_power_type: u8_at(9)?,
            temperature: u16_at(10)?,
            tx_power_ch_5g,
            tx_power_flags_5g: u16_at(24)?,
            temperature_5g: u16_at(25)?,
            bt_tx_power: [at(26), at(27), at(28), at(29)],
            select_efuse: u16_at(30)?,
        })
    }

    /// The values in [`TEMPLATE`] order, with the blob's CRC for `crc`.
    fn values(&self) -> Result<[u32; KEY_COUNT], Error> {
        let head = [
            u32::from(self.magic),
            u32::from(self.version),
            self.blob_crc()?,
            self.iq_offset,
            u32::from(self.freq_cal),
            u32::from(self.freq_cal_flags),
            u32::from(self.tx_power_ch[0]),
            u32::from(self.tx_power_ch[1]),
            u32::from(self.tx_power_ch[2]),
            u32::from(self.tx_power_type),
            u32::from(self.temperature),
        ];
        let five = self.tx_power_ch_5g.map(u32::from);
        let tail = [
            u32::from(self.tx_power_flags_5g),
            u32::from(self.temperature_5g),
            self.bt_tx_power[0],
            self.bt_tx_power[1],
            self.bt_tx_power[2],
            self.bt_tx_power[3],
            u32::from(self.select_efuse),
        ];
        let mut v = [0u32; KEY_COUNT];
        for (dst, src) in v.iter_mut().zip(head.iter().chain(&five).chain(&tail)) {
            *dst = *src;
        }
        Ok(v)
    }

    /// Fields outside the vendor's sanity ranges: 2.4 and 5 GHz power 1..=0x3FFF, freq_cal
    /// 1..=0x1FF, BT dividers 5, BT power 1..=0x20. The vendor only warns about them.
    pub fn range_warnings(&self) -> impl Iterator<Item = RangeWarning> {
        let power = |key, p: u16| (key, u32::from(p), 1, 0x3FFF);
        let mut checks = [("", 0u32, 0u32, 0u32); 3 + POWER_5G_CHANNELS + 5];
        let fixed = [
            power("ch1", self.tx_power_ch[0]),
            power("ch7", self.tx_power_ch[1]),
            power("ch13", self.tx_power_ch[2]),
            ("freq_cal", u32::from(self.freq_cal), 1, 0x1FF),
            ("bdr_div", self.bt_tx_power[0], 5, 5),
            ("bdr_power", self.bt_tx_power[1], 1, 0x20),
            ("edr_div", self.bt_tx_power[2], 5, 5),
            ("edr_power", self.bt_tx_power[3], 1, 0x20),
        ];
        let five = KEYS_5G
            .iter()
            .zip(self.tx_power_ch_5g.iter())
            .map(|(&k, &p)| power(k, p));
        for (dst, src) in checks.iter_mut().zip(fixed.into_iter().chain(five)) {
            *dst = src;
        }
        checks
            .into_iter()
            .filter(|&(_, value, min, max)| !(min..=max).contains(&value))
            .map(|(key, value, _, _)| RangeWarning { key, value })
    }

    /// The CRC-32 the blob carries: over its bytes 8..72.
    pub fn blob_crc(&self) -> Result<u32, Error> {
        let mut blob = [0u8; FACTORY_LEN];
        self.write_fields(&mut blob)?;
        Ok(crc32(blob.get(8..).unwrap_or(&[])))
    }

    /// The 72-byte blob the chip takes at
    /// [`FACTORY_ADDR`](super::boot_frame::FACTORY_ADDR), with its CRC recomputed.
    pub fn to_blob(&self) -> Result<[u8; FACTORY_LEN], Error> {
        let mut blob = [0u8; FACTORY_LEN];
        self.write_fields(&mut blob)?;
        let crc = crc32(blob.get(8..).unwrap_or(&[]));
        blob.get_mut(4..8)
            .ok_or(Error::BufferTooSmall {
                needed: 8,
                available: FACTORY_LEN,
            })?
            .copy_from_slice(&crc.to_le_bytes());
        Ok(blob)
    }

    /// Writes every field but the CRC (left 0) into `blob`.
    fn write_fields(&self, blob: &mut [u8; FACTORY_LEN]) -> Result<(), Error> {
        let mut w = Writer::new(blob);
        w.u16(self.magic)?;
        w.u16(self.version)?;
        w.u32(0)?;
        w.u32(self.iq_offset)?;
        w.u16(self.freq_cal)?;
        for p in self.tx_power_ch {
            w.u16(p)?;
        }
        w.u8(self.freq_cal_flags)?;
        w.u8(self.tx_power_type)?;
        w.u16(self.temperature)?;
        for p in self.tx_power_ch_5g {
            w.u16(p)?;
        }
        w.u16(self.tx_power_flags_5g)?;
        for p in self.bt_tx_power {
            w.u32(p)?;
        }
        w.u16(self.temperature_5g)?;
        w.u16(self.select_efuse)
    }
}

impl fmt::Display for FactoryData {
    /// The canonical file: one section header or entry a line, hex values, the blob's CRC.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.values().map_err(|_| fmt::Error)?;
        for (e, value) in TEMPLATE.iter().zip(values) {
            if let Some(section) = e.section {
                writeln!(f, "{section}")?;
            }
            writeln!(f, "{}:{value:#x}", e.key)?;
        }
        writeln!(f, "%%")
    }
}

/// Checks DPD data as read from the chip: exactly [`DPD_LEN`] bytes whose CRC-32 (offset 0)
/// matches. Returns the version word (at [`DPD_VERSION_OFFSET`]; not range-checked for data
/// the calibration image just produced, as the vendor does not).
pub fn check_dpd_data(blob: &[u8]) -> Result<u32, Error> {
    if blob.len() != DPD_LEN {
        return Err(Error::BadLength {
            len: blob.len(),
            limit: DPD_LEN,
        });
    }
    check_dpd(blob)
}

/// Fills `out` (at least [`DPD_LEN`] bytes) with valid DPD data: `fill(i)` for every byte
/// from offset 4 on, except the version word, then the CRC. For tests and the emulated chip.
pub fn make_dpd_data(
    out: &mut [u8],
    fill: impl Fn(usize) -> u8,
    version: u32,
) -> Result<(), Error> {
    let available = out.len();
    let blob = out.get_mut(..DPD_LEN).ok_or(Error::BufferTooSmall {
        needed: DPD_LEN,
        available,
    })?;
    for (i, b) in blob.iter_mut().enumerate().skip(4) {
        *b = fill(i);
    }
    if let Some(v) = blob.get_mut(DPD_VERSION_OFFSET..DPD_VERSION_OFFSET + 4) {
        v.copy_from_slice(&version.to_le_bytes());
    }
    let crc = crc32(blob.get(4..).unwrap_or(&[]));
    if let Some(c) = blob.get_mut(..4) {
        c.copy_from_slice(&crc.to_le_bytes());
    }
    Ok(())
}
