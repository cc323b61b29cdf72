// SPDX-License-Identifier: GPL-2.0

//! The checker as a user runs it: its output and exit status for good, damaged and foreign
//! files.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

use bes2600_protocol::calibration::FactoryData;

/// A fresh directory for one test.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("bes2600-fw-check-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the checker.
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bes2600-fw-check"))
        .args(args)
        .output()
        .unwrap()
}

/// An image loading at 0x20000000, with a version text.
fn image() -> Vec<u8> {
    let mut f = Vec::new();
    for w in [0x2000_0001u32, 0, 0x2008_0000, 0x2000_0000] {
        f.extend_from_slice(&w.to_le_bytes());
    }
    f.extend((0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    f.extend_from_slice(b"\0BES2600 test 3.1 Feb 29 2024 23:59:59\0");
    f.extend_from_slice(&0x2000_0000u32.to_le_bytes());
    f
}

#[test]
fn good_files_pass_with_what_was_found() {
    let d = dir("good");
    let img = d.join("best2002_fw_sdio.bin");
    let txt = d.join("bes2600_factory.txt");
    fs::write(&img, image()).unwrap();
    fs::write(&txt, FactoryData::default().to_string()).unwrap();
    let out = run(&[img.to_str().unwrap(), txt.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("firmware image, 4059 bytes"), "{stdout}");
    assert!(stdout.contains("load address 0x20000000"), "{stdout}");
    assert!(stdout.contains("version \"BES2600 test 3.1 Feb 29 2024 23:59:59\""));
    assert!(stdout.contains("factory calibration file"));
    assert_eq!(stdout.matches("verdict: ok").count(), 2, "{stdout}");
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn damaged_and_foreign_files_fail() {
    let d = dir("bad");
    let cut = d.join("cut.bin");
    let mut data = image();
    data.truncate(2500);
    fs::write(&cut, &data).unwrap();
    let lfs = d.join("lfs.bin");
    fs::write(
        &lfs,
        "version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 123\n",
    )
    .unwrap();

    let out = run(&[cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cut or padded"));
    // The driver would boot it: --lenient lets it through.
    assert!(run(&["--lenient", cut.to_str().unwrap()]).status.success());

    let out = run(&["--lenient", lfs.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Git LFS"));

    let missing = d.join("missing.bin");
    let out = run(&[missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("cannot read it"));
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["--bogus", "x"]).status.code(), Some(2));
}
