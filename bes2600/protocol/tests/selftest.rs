// SPDX-License-Identifier: GPL-2.0

//! Runs the `core`-only self-test cases (the ones the kernel module runs under KUnit).

#[test]
fn all_selftest_cases_pass() {
    let mut failed = Vec::new();
    for (name, case) in bes2600_protocol::selftest::CASES {
        if let Err(why) = case() {
            failed.push(format!("{name}: {why}"));
        }
    }
    assert!(failed.is_empty(), "failed self-test cases: {failed:#?}");
    assert!(bes2600_protocol::selftest::CASES.len() >= 18);
}
