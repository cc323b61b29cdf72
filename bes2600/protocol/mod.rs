// SPDX-License-Identifier: GPL-2.0

//! Protocol core of the BES2600 driver: WSM messages and MIBs, SDIO batch framing, the
//! boot-ROM download protocol, CRC-32 and the flow-control state owned by the bottom half.
//!
//! Plain `core` Rust without kernel dependency, allocation or `unsafe`. This file is the one
//! list of the core's modules: the kernel module compiles it as `crate::protocol`
//! (`pub mod protocol;` in `bes2600/driver.rs`), and the host crate `bes2600-protocol`
//! (`crate_root.rs` beside this file) re-exports it for `cargo test`, property tests and
//! fuzzing.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
// What the kernel's build flags warn about, so host builds catch it first.
#![warn(
    rust_2018_idioms,
    unreachable_pub,
    clippy::as_underscore,
    clippy::cast_lossless,
    clippy::float_arithmetic,
    clippy::ignored_unit_patterns,
    clippy::mut_mut,
    clippy::needless_bitwise_bool
)]

pub mod boot_frame;
pub mod calibration;
pub mod codec;
pub mod crc32;
pub mod error;
pub mod flow;
pub mod image_check;
pub mod mib;
pub mod msg;
pub mod sdio_framing;
pub mod sdio_ids;
// The self-tests run on the host (`cargo test`) and as KUnit cases; a kernel module built
// without KUnit (`MODULE` set, `CONFIG_KUNIT` not) leaves them out.
#[cfg(any(not(MODULE), CONFIG_KUNIT))]
pub mod selftest;
pub mod wsm_header;
pub mod wsm_message;
pub mod wsm_seq;
