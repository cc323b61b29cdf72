// SPDX-License-Identifier: GPL-2.0

//! Abstractions over kernel APIs that the in-tree `kernel` crate does not cover yet.
//!
//! Every `unsafe` block of the project lives under this module, each with a `// SAFETY:`
//! comment; the driver code built on top of it is safe Rust. The shapes follow the in-tree
//! bus abstractions (`kernel::i2c`, `kernel::pci`) so that they could be proposed upstream.
//!
//! A crate uses these files by declaring `#[path = "../rust/kernel_ext.rs"] mod kernel_ext;`
//! at its root; the macros refer to them as `$crate::kernel_ext`.

pub mod bindings;
pub mod firmware;
pub mod kthread;
pub mod mac80211;
pub mod pm;
pub mod sdio;
pub mod skb;

// The test bench's abstractions (a host controller and the model's character device) are
// compiled only into the test-bench modules, which Kbuild builds with `--cfg bes2600_test_bench`;
// the driver module never contains them.
#[cfg(bes2600_test_bench)]
pub mod miscdev;
#[cfg(bes2600_test_bench)]
pub mod mmc_host;
