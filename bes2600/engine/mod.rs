// SPDX-License-Identifier: GPL-2.0

//! The bottom half's decisions as plain `core` Rust: what one BH pass does with the bus, the
//! command channel and the recovery state machine (docs/architecture.md, "The data path": what
//! decides lives here, the kernel side waits, wakes and calls it).
//!
//! The engine is written against a small [`bus::Bus`] trait (CMD52 registers and the CMD53
//! data port of function 1) and a [`bus::Clock`], so the same source runs in the kernel
//! module, where the BH kthread implements them over SDIO and calls [`pass::Bh::pass`], and
//! in `cargo test`, where they are backed by the chip model's in-process chip.
//!
//! * [`bus`]: the bus seam: [`bus::Bus`], [`bus::Clock`], [`bus::BusError`].
//! * [`pass`]: [`pass::Bh`], the BH-owned state (flow control, sequence numbers, toggles,
//!   the outstanding command) and one pass: RX inline, dispatch, TX batches.
//! * [`cmd`]: the command channel's pure part: one command outstanding, confirm matching,
//!   timeout.
//! * [`power`]: the chip's wake/sleep handshake and the sleep policy.
//! * [`recovery`]: the recovery state machine: retry budget, backoff, actions.
//!
//! Plain `core` Rust without kernel dependency, allocation or `unsafe`; the kernel shell
//! lends the DMA-able buffers through [`bus::Bus`]. This file is the one list of the engine's
//! modules: the kernel module compiles it as `crate::engine`, the host crate
//! `bes2600-engine` (`crate_root.rs` beside this file) re-exports it. Inside the engine the
//! protocol core is always reached as `crate::protocol`, which both builds define.

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

pub mod bus;
pub mod cmd;
pub mod pass;
pub mod power;
pub mod rate_policy;
pub mod recovery;
pub mod rx_meta;
pub mod scan_plan;
pub mod station;
pub mod txq;
