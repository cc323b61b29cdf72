// SPDX-License-Identifier: GPL-2.0

//! Driver for the Bestechnic BES2600 SDIO WiFi chip (the WiFi of the Pine64 PineTab2).
//!
//! Data flows through the modules in this order:
//!
//! ```text
//!  chip ──SDIO──▶ bus_sdio ──▶ bh ──▶ wsm ──▶ mac80211 ──▶ mac80211/cfg80211 ──▶ nl80211
//!                    │
//!                  fwio (firmware boot, before the BH runs the chip)
//! ```
//!
//! - [`bus_sdio`]: the bus glue: probe and remove, interrupt, register and data-port access.
//! - [`fwio`]: firmware boot: the boot-ROM download and what precedes the WiFi firmware.
//! - [`bh`]: the single bottom-half thread that does every bus transfer and alone owns the
//!   chip's flow-control state.
//! - [`wsm`]: the command layer on top of the pure protocol code in [`protocol`].
//! - [`debugfs`]: what the BH reports, and a MIB round trip on demand.
//! - [`mac80211`]: the `ieee80211_ops` the stack calls.
//!
//! All `unsafe` code lives in `rust/` (the [`kernel_ext`] module), behind safe abstractions.
//! The compiler holds the rest of the crate to that: `unsafe_code` is denied crate-wide and
//! forbidden (which no inner `allow` can lift) in each of the driver's own modules.

#![deny(unsafe_code)]

#[path = "../rust/kernel_ext.rs"]
#[allow(unsafe_code, reason = "the abstractions over the kernel's C APIs")]
pub mod kernel_ext;

#[forbid(unsafe_code)]
mod bh;
#[forbid(unsafe_code)]
mod bus_sdio;
#[forbid(unsafe_code)]
mod debugfs;
#[forbid(unsafe_code)]
pub mod engine;
#[forbid(unsafe_code)]
mod fwio;
#[forbid(unsafe_code)]
mod mac80211;
#[forbid(unsafe_code)]
pub mod protocol;
#[forbid(unsafe_code)]
mod wsm;

#[cfg(CONFIG_KUNIT)]
#[forbid(unsafe_code)]
mod kunit_suites;

#[cfg(CONFIG_KUNIT)]
#[forbid(unsafe_code)]
mod kunit_mac80211;

module_sdio_driver! {
    type: bus_sdio::Bes2600Sdio,
    name: "bes2600",
    authors: ["The bes2600 driver authors"],
    description: "Bestechnic BES2600 SDIO WiFi driver",
    license: "GPL",
    firmware: [
        "bes2600/best2002_fw_boot_sdio.bin",
        "bes2600/best2002_fw_sdio.bin",
    ],
    params: {
        recovery_budget: u32 {
            default: 5,
            description: "Chip restarts allowed before the device is given up; the count is \
                forgiven after 60 s of running without a failure",
        },
        chip_sleep: u8 {
            default: 1,
            description: "Let the chip sleep while the interface is idle, unassociated or \
                associated in power save (1, the default), or keep it awake (0); a chip that \
                does not wake on request turns sleeping off by itself until the module is \
                reloaded",
        },
    },
}
