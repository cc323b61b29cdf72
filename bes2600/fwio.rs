// SPDX-License-Identifier: GPL-2.0

//! Firmware boot: everything that runs on the chip's boot ROM before the WiFi firmware is up
//! (docs/chip-protocol.md, "Boot").
//!
//! Probe requests the files ([`FirmwareFiles::request`]); the BH thread then boots the chip with
//! [`boot_to_firmware`], keeping the DPD calibration data in a [`DpdCache`] for later boots of
//! the same binding. The boot ends when the WiFi image runs; the WiFi-active handshake and the
//! startup indication that follow belong to the BH.
//!
//! One job per file:
//!
//! - [`files`]: the firmware files: the calibration and WiFi images, the optional factory file.
//! - [`factory`]: the factory calibration file, turned into the blob the chip takes.
//! - [`boot_rom`]: one boot-ROM session: requests over the SDIO data port, replies found through
//!   the interrupt, the status register.
//! - [`dpd`]: the DPD calibration data: read after the calibration image, cached for later boots.
//! - [`flow`]: the whole boot, in the vendor's order.

mod boot_rom;
mod dpd;
mod factory;
mod files;
mod flow;

use core::fmt;

use kernel::{
    device::Device,
    prelude::*,
    time::Delta, //
};

use crate::{
    kernel_ext::sdio::FunctionRef,
    protocol::boot_frame::FACTORY_LEN, //
};

/// The firmware files of one device, requested at probe (synchronously: a missing image fails
/// probe with one error naming the file and where it is looked for). The factory calibration
/// file `bes2600_factory.txt` is optional: when it is absent or invalid, one line says so and
/// the chip calibrates without it.
pub(crate) struct FirmwareFiles {
    /// `bes2600/best2002_fw_boot_sdio.bin`: the calibration image, which produces the DPD data.
    calibration: files::Image,
    /// `bes2600/best2002_fw_sdio.bin`: the WiFi firmware.
    wifi: files::Image,
    /// The factory calibration blob, from `bes2600_factory.txt`.
    factory: Option<[u8; FACTORY_LEN]>,
}

/// DPD calibration data kept for the device's lifetime: later boots of the same binding
/// download it instead of running the calibration image again.
pub(crate) struct DpdCache {
    /// The data as the chip sent it, checked ([`DPD_LEN`](crate::protocol::boot_frame::DPD_LEN)
    /// bytes).
    data: Option<KVec<u8>>,
}

/// Where the DPD data of a boot came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DpdSource {
    /// Downloaded from the [`DpdCache`] of an earlier boot.
    Cached,
    /// Produced by the calibration image in this boot, read and cached.
    Calibrated,
}

/// What a successful [`boot_to_firmware`] did.
#[derive(Debug)]
pub(crate) struct BootReport {
    /// The factory calibration blob was written.
    pub(crate) factory: bool,
    /// Bytes of the calibration image downloaded and run (0 when the DPD data came from the
    /// cache).
    pub(crate) calibration_bytes: usize,
    /// Where the DPD data came from.
    pub(crate) dpd: DpdSource,
    /// The DPD data's version word.
    pub(crate) dpd_version: u32,
    /// Blocks of the CMD53 that read fresh DPD data (0 when it came from the cache).
    pub(crate) dpd_read_blocks: u32,
    /// Bytes of the WiFi image downloaded and run.
    pub(crate) wifi_bytes: usize,
    /// Where the WiFi image runs.
    pub(crate) wifi_addr: u32,
    /// The version text found in the WiFi image, if any.
    pub(crate) wifi_version: files::VersionText,
    /// Boot requests sent (every INFO, DATA, END and RUN, the register writes included).
    pub(crate) requests: u32,
    /// Replies whose length was read after an interrupt woke the wait.
    pub(crate) replies_on_interrupt: u32,
    /// Replies found by reading the length registers after a wait without interrupt.
    pub(crate) replies_polled: u32,
    /// How long the boot took.
    pub(crate) duration: Delta,
}

/// Shows a value that implements `core::fmt::Display` (the protocol core's errors) in the
/// kernel's formatting macros, which take [`kernel::fmt::Display`].
struct Text<T>(T);

impl<T: fmt::Display> kernel::fmt::Display for Text<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl kernel::fmt::Display for BootReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.factory {
            write!(f, "factory data, ")?;
        }
        match self.dpd {
            DpdSource::Cached => write!(f, "cached DPD data")?,
            DpdSource::Calibrated => write!(
                f,
                "calibration image {} bytes, DPD data read ({} blocks) and cached",
                self.calibration_bytes, self.dpd_read_blocks
            )?,
        }
        write!(
            f,
            " (version {}), WiFi image {} bytes at {:#010x}",
            self.dpd_version, self.wifi_bytes, self.wifi_addr
        )?;
        if let Some(version) = self.wifi_version.as_str() {
            write!(f, " \"{version}\"")?;
        }
        write!(
            f,
            "; {} requests, {} replies on interrupt, {} polled, {} ms",
            self.requests,
            self.replies_on_interrupt,
            self.replies_polled,
            self.duration.as_millis()
        )
    }
}

/// Boots the chip from its boot ROM until the WiFi firmware runs (image downloaded, CRC
/// accepted, RUN acknowledged): the two register writes the vendor makes first, the factory blob
/// if any, then the cached DPD data and the WiFi image, or the calibration image, its DPD data
/// (read, checked and cached in `dpd`) and the WiFi image.
///
/// Claims the host only around each transfer, never while waiting. Between a request and its
/// reply it calls `wait(timeout)`, which must sleep until the SDIO interrupt or the timeout and
/// return whether the interrupt came (`false` also when the caller is being stopped: the boot
/// then fails within a bounded number of calls; the value otherwise only feeds the report's
/// counters); it then reads the reply length itself, a few times. Every
/// length, sequence number and status from the chip is checked; any failure returns an error
/// after one `dev_err` line on `dev`, within an overall deadline.
pub(crate) fn boot_to_firmware(
    func: &FunctionRef,
    files: &FirmwareFiles,
    dpd: &mut DpdCache,
    wait: &mut dyn FnMut(Delta) -> bool,
    dev: &Device,
) -> Result<BootReport> {
    flow::boot(func, files, dpd, wait, dev)
}
