// SPDX-License-Identifier: GPL-2.0

//! Firmware boot: everything that runs on the chip's boot ROM before the WiFi firmware is up.
//!
//! - [`boot_rom`]: the boot-ROM download of one image over the SDIO data port.

// Probe downloads the firmware once the BH exists to run the chip after it; until then the
// boot path is exercised by the SDIO boot test driver (tests/sdio-boot/).
#[expect(dead_code, reason = "called from probe by the firmware-boot work")]
pub(crate) mod boot_rom;
