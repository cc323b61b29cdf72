#!/usr/bin/env bash
# Checks that every Rust source is rustfmt-clean with the project's rustfmt.toml (the kernel's
# settings): the module crates from their roots, and the cargo workspace.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rustfmt --edition 2021 --check bes2600/driver.rs tests/vsdio/vsdio.rs tests/sdio-boot/boot_test.rs
cargo fmt --all --check
