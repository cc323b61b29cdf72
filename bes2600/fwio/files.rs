// SPDX-License-Identifier: GPL-2.0

//! The firmware files (docs/chip-protocol.md, "Firmware files", "Image files"): requested at probe,
//! checked once, kept for every boot of the binding.

use core::fmt;

use kernel::{
    device::Device,
    prelude::*, //
};

use super::{
    factory,
    FirmwareFiles,
    Text, //
};
use crate::{
    kernel_ext::firmware::Firmware,
    protocol::boot_frame::{
        self,
        FirmwareImage, //
    },
};

/// The calibration image's name, as the firmware loader takes it.
const CALIBRATION: &CStr = c"bes2600/best2002_fw_boot_sdio.bin";

/// The WiFi image's name.
const WIFI: &CStr = c"bes2600/best2002_fw_sdio.bin";

/// Whether a C string literal spells the same name as the protocol core's constant.
const fn same_name(c: &CStr, s: &str) -> bool {
    let (a, b) = (c.to_bytes(), s.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const _: () = assert!(same_name(CALIBRATION, boot_frame::file::CALIBRATION));
const _: () = assert!(same_name(WIFI, boot_frame::file::WIFI));

/// The largest image accepted: far more than the chip's RAM, only a bound on what a broken
/// file can make the driver send.
const MAX_IMAGE: usize = 4 << 20;

/// Where the firmware loader looks, for the error message of a missing file.
const SEARCH_PATH: &str =
    "firmware_class.path, /lib/firmware/updates/<kernel release>, /lib/firmware/updates, \
     /lib/firmware/<kernel release>, /lib/firmware";

/// The version text of an image (see [`boot_frame::version_string`]), copied out of it.
#[derive(Clone, Copy)]
pub(crate) struct VersionText {
    /// The text's bytes (printable ASCII).
    bytes: [u8; VersionText::CAPACITY],
    /// How many of them are used; 0 when the image carries none.
    len: usize,
}

impl VersionText {
    /// The longest text [`boot_frame::version_string`] returns.
    const CAPACITY: usize = 11 + 2 * boot_frame::VERSION_CONTEXT;

    /// The version text of `image`, if it has one.
    fn of(image: &FirmwareImage<'_>) -> Self {
        let mut text = Self {
            bytes: [0; Self::CAPACITY],
            len: 0,
        };
        if let Some(version) = image.version() {
            let src = version.as_bytes();
            if let Some(dst) = text.bytes.get_mut(..src.len()) {
                dst.copy_from_slice(src);
                text.len = src.len();
            }
        }
        text
    }

    /// The text, if the image has one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        self.bytes
            .get(..self.len)
            .filter(|b| !b.is_empty())
            .and_then(|b| core::str::from_utf8(b).ok())
    }
}

impl fmt::Debug for VersionText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.as_str(), f)
    }
}

/// One firmware image, loaded and checked.
pub(super) struct Image {
    /// The file.
    fw: Firmware,
    /// Where it is loaded and run.
    load_addr: u32,
    /// Its version text.
    version: VersionText,
}

impl Image {
    /// Requests `name` and checks that it is an image: a header, a trailer, a non-zero load
    /// address, at most [`MAX_IMAGE`] bytes.
    fn load(dev: &Device, name: &'static CStr) -> Result<Self> {
        let fw = Firmware::request_nowarn(name, dev).inspect_err(|err| {
            if *err == ENOENT {
                dev_err!(
                    dev,
                    "firmware file {} not found; looked for in {}\n",
                    name.to_str().unwrap_or("?"),
                    SEARCH_PATH
                );
            } else {
                dev_err!(
                    dev,
                    "loading firmware file {} failed: {:?}\n",
                    name.to_str().unwrap_or("?"),
                    err
                );
            }
        })?;
        let (load_addr, version) = {
            let image = FirmwareImage::parse(fw.data()).map_err(|err| {
                dev_err!(
                    dev,
                    "firmware file {} is not a BES2600 image: {}\n",
                    name.to_str().unwrap_or("?"),
                    Text(err)
                );
                EINVAL
            })?;
            let load_addr = image.load_addr();
            if load_addr == 0 || image.payload.len() > MAX_IMAGE {
                dev_err!(
                    dev,
                    "firmware file {}: {} bytes for address {:#010x} refused\n",
                    name.to_str().unwrap_or("?"),
                    image.payload.len(),
                    load_addr
                );
                return Err(EINVAL);
            }
            (load_addr, VersionText::of(&image))
        };
        Ok(Self {
            fw,
            load_addr,
            version,
        })
    }

    /// The parsed image (checked when it was loaded).
    pub(super) fn image(&self) -> Result<FirmwareImage<'_>> {
        FirmwareImage::parse(self.fw.data()).map_err(|_| EINVAL)
    }

    /// Where the image is loaded and run.
    pub(super) fn load_addr(&self) -> u32 {
        self.load_addr
    }

    /// The image's version text.
    pub(super) fn version(&self) -> VersionText {
        self.version
    }
}

impl FirmwareFiles {
    /// Requests the calibration and WiFi images (both required) and the factory calibration
    /// file (optional). Fails with one `dev_err` line naming a missing or broken image.
    ///
    /// May sleep; returns at once when a file is missing (no user-space fallback).
    pub(crate) fn request(dev: &Device) -> Result<Self> {
        let calibration = Image::load(dev, CALIBRATION)?;
        let wifi = Image::load(dev, WIFI)?;
        let factory = factory::load(dev);
        Ok(Self {
            calibration,
            wifi,
            factory,
        })
    }

    /// The calibration image.
    pub(super) fn calibration(&self) -> &Image {
        &self.calibration
    }

    /// The WiFi image.
    pub(super) fn wifi(&self) -> &Image {
        &self.wifi
    }

    /// The factory calibration blob, if the file was present and valid.
    pub(super) fn factory(&self) -> Option<&[u8]> {
        self.factory.as_ref().map(|blob| blob.as_slice())
    }
}
