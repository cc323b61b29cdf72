// SPDX-License-Identifier: GPL-2.0

//! `tests/vsdio/abi_wire.rs`, the one definition of the vsdio wire format that the kernel
//! side and the chip model compile, says what its specification `tests/vsdio/ABI.md` says:
//! the header layout and payload limit, every message kind of both tables, and the
//! `BAD_ACCESS` and `FAULT` codes.

use std::collections::BTreeMap;

use bes2600_chip_model::transport::{
    bad_access, fault, from_model, to_model, Header, HEADER_LEN, MAX_MESSAGE, MAX_PAYLOAD, MAX_REG,
};

/// ABI.md's text.
fn spec() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../vsdio/ABI.md");
    std::fs::read_to_string(path).expect("tests/vsdio/ABI.md")
}

/// The lines of the section whose heading is `heading`, up to the next heading.
fn section<'a>(spec: &'a str, heading: &str) -> Vec<&'a str> {
    spec.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| !l.starts_with('#'))
        .collect()
}

/// The cells of a table row (`| a | b |`), trimmed; `None` for other lines and rules.
fn cells(line: &str) -> Option<Vec<&str>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    let cells: Vec<&str> = inner.split('|').map(str::trim).collect();
    (!cells.iter().all(|c| c.chars().all(|ch| ch == '-'))).then_some(cells)
}

/// A number as the spec writes it: decimal or `0x` hexadecimal.
fn number(cell: &str) -> Option<u32> {
    match cell.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => cell.parse().ok(),
    }
}

/// The `kind → name` rows of the kind table in section `heading`.
fn kind_table(spec: &str, heading: &str) -> BTreeMap<String, u32> {
    section(spec, heading)
        .into_iter()
        .filter_map(cells)
        .filter_map(|row| {
            let kind = number(row.first()?)?;
            let name = row.get(1)?.trim_matches('`');
            Some((name.to_string(), kind))
        })
        .collect()
}

/// Names and values as the code defines them.
fn table(entries: &[(&str, u32)]) -> BTreeMap<String, u32> {
    entries.iter().map(|(n, v)| (n.to_string(), *v)).collect()
}

#[test]
fn host_to_model_kinds_are_the_spec_table() {
    let code = table(&[
        ("CMD53_WRITE", to_model::CMD53_WRITE),
        ("CMD52_WRITE", to_model::CMD52_WRITE),
        ("RX_CONSUMED", to_model::RX_CONSUMED),
        ("BAD_ACCESS", to_model::BAD_ACCESS),
        ("CARD_RESET", to_model::CARD_RESET),
        ("FUNC_ENABLE", to_model::FUNC_ENABLE),
    ]);
    assert_eq!(kind_table(&spec(), "## Host → model (read)"), code);
}

#[test]
fn model_to_host_kinds_are_the_spec_table() {
    let code = table(&[
        ("RX_QUEUE", from_model::RX_QUEUE),
        ("SET_REG", from_model::SET_REG),
        ("IRQ", from_model::IRQ),
        ("FAULT", from_model::FAULT),
        ("TIMING", from_model::TIMING),
        ("CARD_PRESENT", from_model::CARD_PRESENT),
        ("WRITE_DONE", from_model::WRITE_DONE),
    ]);
    assert_eq!(kind_table(&spec(), "## Model → host (write)"), code);
}

#[test]
fn header_layout_is_the_spec_framing_table() {
    let spec = spec();
    let rows: Vec<Vec<&str>> = section(&spec, "## Framing")
        .into_iter()
        .filter_map(cells)
        .filter(|row| row.first().and_then(|c| number(c)).is_some())
        .collect();
    let offsets: Vec<(u32, &str)> = rows
        .iter()
        .map(|row| (number(row[0]).unwrap(), row[1].trim_matches('`')))
        .collect();
    assert_eq!(
        offsets,
        [
            (0, "u32 kind"),
            (4, "u32 arg0"),
            (8, "u32 arg1"),
            (12, "u32 len")
        ]
    );
    assert!(spec.contains(&format!("is a {HEADER_LEN}-byte header")));
    assert!(spec.contains(&format!("(at most {MAX_PAYLOAD})")));
    assert!(spec.contains(&format!(
        "{HEADER_LEN} + {MAX_PAYLOAD} bytes always suffice"
    )));
    assert_eq!(MAX_MESSAGE, HEADER_LEN + MAX_PAYLOAD);
    assert!(spec.contains(&format!("(0x000..0x{MAX_REG:X})")));

    // Each field at its offset, little-endian.
    let h = Header {
        kind: 0x0403_0201,
        arg0: 0x0807_0605,
        arg1: 0x0c0b_0a09,
        len: 0x100f_0e0d,
    };
    let wire = h.encode();
    assert_eq!(wire, core::array::from_fn(|i| i as u8 + 1));
    assert_eq!(Header::decode(&wire), h);
}

#[test]
fn argument_codes_are_the_spec_codes() {
    let spec = spec();
    for (code, what) in [
        (bad_access::READ_EMPTY, "CMD53 read with nothing queued"),
        (
            bad_access::READ_TOO_LONG,
            "CMD53 read longer than the queued item",
        ),
        (
            bad_access::UNMAPPED_REGISTER,
            "CMD52 to an unmapped F1 register",
        ),
        (
            bad_access::FUNCTION_DISABLED,
            "access to a disabled function",
        ),
    ] {
        let text = format!("{code} {what}");
        assert!(
            spec.contains(&text),
            "BAD_ACCESS code: ABI.md lacks {text:?}"
        );
    }
    for (code, what) in [
        (fault::CMD53_EIO, "fail the next `arg1` CMD53s with -EIO"),
        (
            fault::CMD52_TIMEOUT,
            "fail the next `arg1` CMD52s with -ETIMEDOUT",
        ),
        (
            fault::IRQ_STORM,
            "raise `arg1` interrupts with nothing queued",
        ),
    ] {
        let text = format!("{code}: {what}");
        assert!(spec.contains(&text), "FAULT code: ABI.md lacks {text:?}");
    }
}
