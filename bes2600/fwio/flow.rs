// SPDX-License-Identifier: GPL-2.0

//! The whole boot, in the vendor's order (docs/chip-protocol.md, "The boot flow"):
//!
//! 1. the two register writes the vendor makes through the loader first (purpose unknown);
//! 2. the factory calibration blob to 0x2008B000, if the file was there;
//! 3. either the cached DPD data to 0x2008C000, or the calibration image (run), then its DPD
//!    data (read once status bit 1 is set, checked, cached);
//! 4. the WiFi image (run).
//!
//! Each download is INFO, DATA…, END (and RUN for an image), one checked reply per request.
//! Deviation from the vendor: a failed download is not retried here (the vendor retries an image
//! up to three more times without resetting the chip); the caller resets the chip and boots
//! again, which also runs the calibration again when there is no cached data.

use kernel::{
    device::Device,
    prelude::*,
    time::{
        Delta,
        Instant,
        Monotonic, //
    },
};

use super::{
    boot_rom::BootRom,
    dpd,
    BootReport,
    DpdCache,
    DpdSource,
    FirmwareFiles, //
};
use crate::{
    kernel_ext::sdio::FunctionRef,
    protocol::boot_frame::{
        Downloader,
        DPD_ADDR,
        FACTORY_ADDR,
        PRE_DOWNLOAD_POKES, //
    },
};

/// The whole boot's deadline: the calibration alone may take 15 s.
const BOOT_DEADLINE: Delta = Delta::from_secs(60);

/// See [`super::boot_to_firmware`].
pub(super) fn boot(
    func: &FunctionRef,
    files: &FirmwareFiles,
    cache: &mut DpdCache,
    wait: &mut dyn FnMut(Delta) -> bool,
    dev: &Device,
) -> Result<BootReport> {
    let start = Instant::<Monotonic>::now();
    let mut rom = BootRom::new(func, dev, wait, start + BOOT_DEADLINE)?;

    for (addr, value) in PRE_DOWNLOAD_POKES {
        rom.write_register(addr, value)?;
    }

    let factory = match files.factory() {
        Some(blob) => {
            rom.download(
                &mut Downloader::new(blob, FACTORY_ADDR, false),
                "factory calibration data",
            )?;
            true
        }
        None => false,
    };

    let (dpd, dpd_version, dpd_read_blocks, calibration_bytes) = match cache.data() {
        Some(blob) => {
            rom.download(
                &mut Downloader::new(blob, DPD_ADDR, false),
                "cached DPD data",
            )?;
            (DpdSource::Cached, dpd::cached_version(blob)?, 0, 0)
        }
        None => {
            let image = files.calibration().image()?;
            let bytes = rom.download(&mut Downloader::for_image(&image), "calibration image")?;
            let read = dpd::read_and_cache(&mut rom, cache)?;
            (DpdSource::Calibrated, read.version, read.blocks, bytes)
        }
    };

    let wifi = files.wifi();
    let wifi_bytes = rom.download(&mut Downloader::for_image(&wifi.image()?), "WiFi image")?;

    Ok(BootReport {
        factory,
        calibration_bytes,
        dpd,
        dpd_version,
        dpd_read_blocks,
        wifi_bytes,
        wifi_addr: wifi.load_addr(),
        wifi_version: wifi.version(),
        requests: rom.counters.requests,
        replies_on_interrupt: rom.counters.on_interrupt,
        replies_polled: rom.counters.polled,
        duration: start.elapsed(),
    })
}
