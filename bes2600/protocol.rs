// SPDX-License-Identifier: GPL-2.0

//! Protocol core of the BES2600 driver: WSM messages and MIBs, SDIO batch framing, the
//! boot-ROM download protocol, CRC-32 and the flow-control state owned by the bottom
//! half. Pure `core` code without kernel dependency, shared with the host crate
//! `bes2600-protocol` (`bes2600/protocol/lib.rs`, whose module list must stay identical
//! to this one) for `cargo test`, property tests and fuzzing.

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
