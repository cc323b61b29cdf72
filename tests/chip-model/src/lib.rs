// SPDX-License-Identifier: GPL-2.0

//! The emulated BES2600: a userspace program that plays the chip's boot ROM and WiFi
//! firmware behind the virtual SDIO host (`tests/vsdio/ABI.md`) and puts its radio on the
//! mac80211_hwsim medium.
//!
//! Layers, each sans-IO and tested in-process:
//!
//! * [`transport`]: the character-device messages (the wire format shared with the kernel
//!   side, `tests/vsdio/abi_wire.rs`) and the [`transport::Transport`] trait;
//! * [`chip`]: registers, doorbell, toggles, RX/TX batches, buffer accounting;
//! * [`boot_rom`]: the boot ROM download protocol;
//! * [`firmware`]: WSM commands, scan, join, data path, keys, events;
//! * [`ccmp`] and [`ieee80211`]: the radio side of the firmware;
//! * [`medium`] and [`hwsim`]: the air, as the wmediumd of mac80211_hwsim;
//! * [`faults`] and [`stats`]: fault injection and the violation counter;
//! * [`runtime`]: the poll loop tying them to the device, netlink and timers.
//!
//! Every protocol fact follows the real chip as the project understands it
//! (`docs/chip-protocol.md`; comments cite the vendor driver's file:line where it matters) and
//! is encoded and decoded with `bes2600-protocol`, the same crate the driver uses.

pub mod air;
pub mod boot_rom;
pub mod ccmp;
pub mod chip;
pub mod faults;
pub mod firmware;
pub mod hwsim;
pub mod ieee80211;
pub mod medium;
pub mod netlink;
pub mod runtime;
pub mod stats;
pub mod transport;
