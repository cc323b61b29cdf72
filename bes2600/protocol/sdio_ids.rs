// SPDX-License-Identifier: GPL-2.0

//! The BES2600's SDIO identity (docs/chip-protocol.md, "SDIO identity"): the ids its CIS presents
//! and the function that carries WLAN.
//!
//! The one definition of these chip facts. The driver's id table, the boot test driver and
//! the protocol core use them through this module; the virtual SDIO host of the test bench
//! (`tests/vsdio/card.rs`), which does not link the protocol core, compiles this file on its
//! own. It therefore stays free of dependencies: no `use` of other modules.

/// SDIO vendor id of Bestechnic (CIS `TPLMID_MANF`).
pub const VENDOR_BESTECHNIC: u16 = 0xBE57;

/// SDIO device id of the BES2600 (CIS `TPLMID_CARD`).
pub const DEVICE_BES2600: u16 = 0x2002;

/// The SDIO function that carries WLAN: every register access and data transfer of the
/// driver goes to function 1.
pub const WLAN_FUNCTION: u8 = 1;
