// SPDX-License-Identifier: GPL-2.0

//! `bes2600-fw-check [--lenient] FILE...`: says whether each file is something the driver can
//! use, and what it found in it.
//!
//! A file whose name ends in `.txt` is read as the factory calibration file
//! (`bes2600_factory.txt`), any other as a firmware image (`best2002_fw_*.bin`). The rules are
//! the protocol crate's (`image_check`, `calibration`), the same code the driver is built
//! from, so a file this accepts is one the driver's parser accepts.
//!
//! Exit status: 0 when every file is accepted; 1 when one is refused, unreadable, or (without
//! `--lenient`) an image looks damaged although the driver would boot it; 2 on a usage error.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use bes2600_protocol::calibration::{
    FactoryData,
    FACTORY_FILE_MAX, //
};
use bes2600_protocol::image_check::{
    check_image,
    ImageReport, //
};

/// The usage line.
const USAGE: &str = "usage: bes2600-fw-check [--lenient] FILE...";

/// What was decided about one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Usable.
    Accepted,
    /// Bootable, but it looks damaged (accepted with `--lenient`).
    Suspicious,
    /// Not usable.
    Refused,
}

/// The report on one file: the lines to print and the verdict.
#[derive(Debug)]
struct Report {
    /// What was found, one item per line.
    lines: Vec<String>,
    /// The decision.
    verdict: Verdict,
}

/// Describes an accepted image.
fn image_lines(report: &ImageReport<'_>) -> Vec<String> {
    let image = &report.image;
    let mut lines = vec![
        format!(
            "load address {:#010x} (header {:#010x}, trailer {:#010x})",
            report.load_addr, image.header_addr, image.trailer_addr
        ),
        format!(
            "entry {:#010x}, parameter {:#010x}, stack {:#010x}",
            image.entry, image.param, image.sp
        ),
        format!(
            "payload {} bytes, CRC-32 {:#010x}",
            report.payload_len(),
            report.crc
        ),
        match report.version {
            Some(v) => format!("version \"{v}\""),
            None => "version: none found".to_string(),
        },
    ];
    for remark in report.remarks() {
        let kind = if remark.is_suspicious() {
            "suspicious"
        } else {
            "note"
        };
        lines.push(format!("{kind}: {remark}"));
    }
    lines
}

/// Checks the bytes of a firmware image.
fn check_image_bytes(data: &[u8]) -> Report {
    match check_image(data) {
        Ok(report) => Report {
            lines: image_lines(&report),
            verdict: if report.is_suspicious() {
                Verdict::Suspicious
            } else {
                Verdict::Accepted
            },
        },
        Err(refusal) => Report {
            lines: vec![format!("refused: {refusal}")],
            verdict: Verdict::Refused,
        },
    }
}

/// Checks the bytes of a factory calibration file.
fn check_factory_bytes(data: &[u8]) -> Report {
    if data.len() > FACTORY_FILE_MAX {
        return Report {
            lines: vec![format!(
                "refused: {} bytes is more than a factory file can be ({FACTORY_FILE_MAX})",
                data.len()
            )],
            verdict: Verdict::Refused,
        };
    }
    let factory = match FactoryData::parse(data) {
        Ok(f) => f,
        Err(e) => {
            return Report {
                lines: vec![format!("refused: {e}")],
                verdict: Verdict::Refused,
            }
        }
    };
    let mut lines = vec![
        format!(
            "magic {:#06x}, version {}, select_efuse {}",
            factory.magic, factory.version, factory.select_efuse
        ),
        format!(
            "crystal calibration {:#x}, 2.4 GHz power {:#x} {:#x} {:#x}",
            factory.freq_cal,
            factory.tx_power_ch[0],
            factory.tx_power_ch[1],
            factory.tx_power_ch[2]
        ),
    ];
    for w in factory.range_warnings() {
        lines.push(format!(
            "note: {} = {:#x} is outside the usual range (the driver sends it anyway)",
            w.key, w.value
        ));
    }
    if let Err(e) = factory.to_blob() {
        return Report {
            lines: vec![format!("refused: {e}")],
            verdict: Verdict::Refused,
        };
    }
    Report {
        lines,
        verdict: Verdict::Accepted,
    }
}

/// Whether `path` names a factory calibration file (by its extension).
fn is_factory_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "txt")
}

/// Reads and checks one file.
fn check_path(path: &Path) -> (String, Report) {
    let factory = is_factory_file(path);
    let kind = if factory {
        "factory calibration file"
    } else {
        "firmware image"
    };
    match fs::read(path) {
        Ok(data) => {
            let report = if factory {
                check_factory_bytes(&data)
            } else {
                check_image_bytes(&data)
            };
            (
                format!("{}: {kind}, {} bytes", path.display(), data.len()),
                report,
            )
        }
        Err(e) => (
            format!("{}: {kind}", path.display()),
            Report {
                lines: vec![format!("refused: cannot read it: {e}")],
                verdict: Verdict::Refused,
            },
        ),
    }
}

/// The closing line of a file's report.
fn verdict_line(verdict: Verdict, lenient: bool) -> &'static str {
    match (verdict, lenient) {
        (Verdict::Accepted, _) => "verdict: ok",
        (Verdict::Suspicious, true) => "verdict: ok (suspicious, accepted with --lenient)",
        (Verdict::Suspicious, false) => {
            "verdict: REFUSED as damaged-looking (--lenient accepts it: the driver would boot it)"
        }
        (Verdict::Refused, _) => "verdict: REFUSED",
    }
}

/// Whether a verdict passes.
fn passes(verdict: Verdict, lenient: bool) -> bool {
    match verdict {
        Verdict::Accepted => true,
        Verdict::Suspicious => lenient,
        Verdict::Refused => false,
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lenient = args.iter().any(|a| a == "--lenient");
    let files: Vec<&String> = args.iter().filter(|a| *a != "--lenient").collect();
    if files.is_empty() || files.iter().any(|f| f.starts_with('-')) {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut all_pass = true;
    for file in files {
        let (head, report) = check_path(Path::new(file));
        println!("{head}");
        for line in &report.lines {
            println!("  {line}");
        }
        println!("  {}", verdict_line(report.verdict, lenient));
        all_pass &= passes(report.verdict, lenient);
    }
    if all_pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bes2600_protocol::calibration::FactoryData;

    /// An image with both load addresses set to `addr`.
    fn image(addr: u32) -> Vec<u8> {
        let mut f = Vec::new();
        for w in [addr | 1, 0, 0x2008_0000, addr] {
            f.extend_from_slice(&w.to_le_bytes());
        }
        f.extend((0..200u32).map(|i| (i * 7 + 3) as u8));
        f.extend_from_slice(b"\0fw 1.0 Mar  3 2024 10:00:00\0");
        f.extend_from_slice(&addr.to_le_bytes());
        f
    }

    #[test]
    fn a_good_image_is_described_and_accepted() {
        let r = check_image_bytes(&image(0x2000_0000));
        assert_eq!(r.verdict, Verdict::Accepted);
        assert!(r.lines[0].starts_with("load address 0x20000000"));
        assert!(r.lines.iter().any(|l| l.contains("Mar  3 2024")));
        assert!(passes(r.verdict, false));
    }

    #[test]
    fn a_cut_image_needs_lenient() {
        let mut data = image(0x2000_0000);
        data.truncate(150);
        let r = check_image_bytes(&data);
        assert_eq!(r.verdict, Verdict::Suspicious);
        assert!(r.lines.iter().any(|l| l.starts_with("suspicious:")));
        assert!(!passes(r.verdict, false));
        assert!(passes(r.verdict, true));
    }

    #[test]
    fn garbage_is_refused_even_when_lenient() {
        let r = check_image_bytes(b"<!DOCTYPE html><html><body>Not found</body></html>");
        assert_eq!(r.verdict, Verdict::Refused);
        assert!(r.lines[0].contains("HTML page"), "{:?}", r.lines);
        assert!(!passes(r.verdict, true));
    }

    #[test]
    fn the_default_factory_file_is_accepted_and_a_broken_one_refused() {
        let text = FactoryData::default().to_string();
        let r = check_factory_bytes(text.as_bytes());
        assert_eq!(r.verdict, Verdict::Accepted, "{:?}", r.lines);
        assert!(r.lines[0].starts_with("magic 0xba80"));
        let r = check_factory_bytes(&text.as_bytes()[..text.len() / 2]);
        assert_eq!(r.verdict, Verdict::Refused);
        let r = check_factory_bytes(&[b' '; FACTORY_FILE_MAX + 1]);
        assert_eq!(r.verdict, Verdict::Refused);
    }

    #[test]
    fn the_kind_follows_the_name() {
        assert!(is_factory_file(Path::new("/x/bes2600_factory.txt")));
        assert!(!is_factory_file(Path::new("/x/best2002_fw_sdio.bin")));
    }
}
