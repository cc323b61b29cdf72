// SPDX-License-Identifier: GPL-2.0

//! Host build of the bes2600 BH engine, for `cargo test` against the chip model.
//!
//! The modules are those of `mod.rs` beside this file, the very list the kernel module
//! compiles as `crate::engine`. The engine reaches the protocol core as `crate::protocol`:
//! in the kernel that is `bes2600/protocol/mod.rs` (`pub mod protocol;` in `driver.rs`);
//! here the `bes2600-protocol` crate is bound to the same name below, so every path
//! resolves identically in both builds.

#![no_std]
#![warn(non_ascii_idents)]

/// The protocol core, under the name the kernel crate gives it.
pub extern crate bes2600_protocol as protocol;

#[path = "mod.rs"]
mod engine_modules;

pub use engine_modules::*;
