// SPDX-License-Identifier: GPL-2.0

//! `bes2600-make-firmware OUTDIR [--no-factory]`: writes synthetic firmware files for the
//! emulated chip, where the firmware loader looks for them under OUTDIR:
//!
//! - `bes2600/best2002_fw_boot_sdio.bin`, the calibration image, and
//! - `bes2600/best2002_fw_sdio.bin`, the WiFi image: each a 16-byte header (entry, parameter,
//!   stack, load address), a pseudo-random body of its own (so the two CRCs differ and the chip
//!   model tells them apart with `--cal-fw`/`--wifi-fw`), a version text the driver's version scan
//!   finds, and the trailing load address (docs/chip-protocol.md, "Image files"). The calibration
//!   image's header leaves the load address 0, so only the trailer gives it;
//! - `bes2600_factory.txt`, the factory calibration file with the vendor's defaults
//!   (docs/chip-protocol.md, "Factory calibration file"),
//!   unless `--no-factory`.
//!
//! Prints one line per file: its path, length, load address, payload CRC-32 and version text.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bes2600_protocol::boot_frame::{file, FirmwareImage};
use bes2600_protocol::calibration::{FactoryData, FACTORY_FILE};

/// Where both images are loaded and run.
const LOAD_ADDR: u32 = 0x2000_0000;

/// One synthetic image.
struct Spec {
    /// Path relative to the output directory.
    name: &'static str,
    /// Body length (between header and trailer).
    body_len: usize,
    /// Seed of the body's bytes.
    seed: u32,
    /// Load address in the header (0: only the trailer gives it).
    header_addr: u32,
    /// Version text, placed near the end of the body.
    version: &'static str,
}

/// The two images.
const IMAGES: [Spec; 2] = [
    Spec {
        name: file::CALIBRATION,
        body_len: 48 * 1024 + 123,
        seed: 0x2545_F491,
        header_addr: 0,
        version: "BES2600 synthetic calibration firmware 1.0 Jan  6 2025 08:00:00",
    },
    Spec {
        name: file::WIFI,
        body_len: 160 * 1024 + 45,
        seed: 0x9E37_79B9,
        header_addr: LOAD_ADDR,
        version: "BES2600 synthetic WiFi firmware 2.0 Jul 22 2025 12:00:00",
    },
];

/// The bytes of an image file.
fn image(spec: &Spec) -> Vec<u8> {
    let mut f = Vec::with_capacity(spec.body_len + 20);
    for w in [LOAD_ADDR | 1, 0, 0x2008_0000, spec.header_addr] {
        f.extend_from_slice(&w.to_le_bytes());
    }
    // xorshift32: reproducible, and different per seed.
    let mut x = spec.seed;
    let filler = spec.body_len.saturating_sub(spec.version.len() + 16);
    for _ in 0..filler {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        f.push(x.to_le_bytes()[0]);
    }
    f.push(0);
    f.extend_from_slice(spec.version.as_bytes());
    f.resize(spec.body_len + 16, 0);
    f.extend_from_slice(&LOAD_ADDR.to_le_bytes());
    f
}

/// Writes `data` to `dir/name`, creating directories.
fn write(dir: &Path, name: &str, data: &[u8]) -> Result<PathBuf, String> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    fs::write(&path, data).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Writes every file; returns one description line per file.
fn make(dir: &Path, factory: bool) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    for spec in &IMAGES {
        let data = image(spec);
        let img = FirmwareImage::parse(&data).map_err(|e| format!("{}: {e}", spec.name))?;
        let path = write(dir, spec.name, &data)?;
        lines.push(format!(
            "{}: {} bytes, load {:#010x}, crc {:#010x}, version \"{}\"",
            path.display(),
            data.len(),
            img.load_addr(),
            img.crc(),
            img.version().unwrap_or("")
        ));
    }
    if factory {
        let text = FactoryData::default().to_string();
        let path = write(dir, FACTORY_FILE, text.as_bytes())?;
        lines.push(format!("{}: {} bytes", path.display(), text.len()));
    }
    Ok(lines)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let factory = !args.iter().any(|a| a == "--no-factory");
    let dirs: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let ([dir], true) = (
        dirs.as_slice(),
        args.len() == dirs.len() + usize::from(!factory),
    ) else {
        eprintln!("usage: bes2600-make-firmware OUTDIR [--no-factory]");
        return ExitCode::from(2);
    };
    match make(Path::new(dir), factory) {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bes2600-make-firmware: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bes2600_protocol::calibration::FACTORY_MAGIC;

    #[test]
    fn writes_two_distinct_images_and_the_factory_file() {
        let dir =
            std::env::temp_dir().join(format!("bes2600-make-firmware-{}", std::process::id()));
        let lines = make(&dir, true).unwrap();
        assert_eq!(lines.len(), 3);
        let cal = fs::read(dir.join(file::CALIBRATION)).unwrap();
        let wifi = fs::read(dir.join(file::WIFI)).unwrap();
        let (cal, wifi) = (
            FirmwareImage::parse(&cal).unwrap(),
            FirmwareImage::parse(&wifi).unwrap(),
        );
        // The calibration image's load address comes from the trailer alone.
        assert_eq!(cal.header_addr, 0);
        assert_eq!(cal.load_addr(), LOAD_ADDR);
        assert_eq!(wifi.header_addr, LOAD_ADDR);
        assert_eq!(wifi.load_addr(), LOAD_ADDR);
        assert_ne!(cal.crc(), wifi.crc());
        assert_eq!(cal.version(), Some(IMAGES[0].version));
        assert_eq!(wifi.version(), Some(IMAGES[1].version));
        let factory = fs::read(dir.join(FACTORY_FILE)).unwrap();
        let data = FactoryData::parse(&factory).unwrap();
        assert_eq!(data.magic, FACTORY_MAGIC);
        assert_eq!(data.range_warnings().count(), 0);
        // Reproducible.
        assert_eq!(make(&dir, false).unwrap().get(..2), lines.get(..2));
        fs::remove_dir_all(&dir).unwrap();
    }
}
