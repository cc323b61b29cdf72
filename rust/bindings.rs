// SPDX-License-Identifier: GPL-2.0

//! Raw bindings to the C APIs wrapped by [`super`], generated at build time.
//!
//! `rust/bindgen.mk` runs bindgen over `rust/bindings_helper.h` against the headers and the
//! configuration of the kernel being built against: struct layouts depend on both, so the
//! generated file is never committed.

#![allow(
    dead_code,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    clippy::ptr_as_ptr,
    clippy::ref_as_ptr,
    clippy::cast_lossless,
    clippy::as_underscore
)]

use kernel::ffi;

include!("bindings_generated.rs");
