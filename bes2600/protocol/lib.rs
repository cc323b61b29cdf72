// SPDX-License-Identifier: GPL-2.0

//! Host build of the bes2600 protocol core.
//!
//! The modules below are plain `core` Rust without kernel dependency, allocation or
//! `unsafe`. The kernel module compiles the very same files through
//! `bes2600/protocol.rs`, whose module list must stay identical to this one; this crate
//! exists for `cargo test`, property tests and fuzzing.

#![no_std]
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
    non_ascii_idents,
    clippy::as_underscore,
    clippy::cast_lossless,
    clippy::float_arithmetic,
    clippy::ignored_unit_patterns,
    clippy::mut_mut,
    clippy::needless_bitwise_bool
)]

pub mod boot;
pub mod codec;
pub mod crc32;
pub mod error;
pub mod flow;
pub mod mib;
pub mod msg;
pub mod sdio;
pub mod selftest;
pub mod wsm;
