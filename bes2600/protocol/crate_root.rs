// SPDX-License-Identifier: GPL-2.0

//! Host build of the bes2600 protocol core, for `cargo test`, property tests and fuzzing.
//!
//! The modules are those of `mod.rs` beside this file, the very list the kernel module
//! compiles; this root only makes them a `no_std` crate of their own.

#![no_std]
#![warn(non_ascii_idents)]

#[path = "mod.rs"]
mod core_modules;

pub use core_modules::*;
