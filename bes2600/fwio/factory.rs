// SPDX-License-Identifier: GPL-2.0

//! The factory calibration file (docs/chip-protocol.md, "Factory calibration file"):
//! `bes2600_factory.txt` in the firmware search path, parsed by [`crate::protocol::calibration`]
//! into the 72-byte blob the boot writes to 0x2008B000. The file is optional: absent or invalid,
//! one line says so and the boot goes on without it, as the vendor's does.

use kernel::{
    device::Device,
    prelude::*, //
};

use super::Text;
use crate::{
    kernel_ext::firmware::Firmware,
    protocol::{
        boot_frame::FACTORY_LEN,
        calibration::{
            FactoryData,
            FACTORY_FILE, //
        },
    },
};

/// The factory file's name, as the firmware loader takes it.
const FILE: &CStr = c"bes2600_factory.txt";

const _: () = assert!(FILE.to_bytes().len() == FACTORY_FILE.len());

/// Loads and parses the factory file; `None` (after one line in the log) when it is absent or
/// invalid. Values outside the vendor's sanity ranges are sent anyway, with one warning.
pub(super) fn load(dev: &Device) -> Option<[u8; FACTORY_LEN]> {
    let fw = match Firmware::request_nowarn(FILE, dev) {
        Ok(fw) => fw,
        Err(err) if err == ENOENT => {
            dev_info!(
                dev,
                "no factory calibration file {}; the chip uses its own calibration\n",
                FACTORY_FILE
            );
            return None;
        }
        Err(err) => {
            dev_warn!(
                dev,
                "factory calibration file {} not loaded: {:?}\n",
                FACTORY_FILE,
                err
            );
            return None;
        }
    };
    let data = match FactoryData::parse(fw.data()) {
        Ok(data) => data,
        Err(err) => {
            dev_warn!(
                dev,
                "factory calibration file {} ignored: {}\n",
                FACTORY_FILE,
                Text(err)
            );
            return None;
        }
    };
    let mut warnings = data.range_warnings();
    if let Some(first) = warnings.next() {
        dev_warn!(
            dev,
            "factory calibration file {}: {} value(s) outside the usual range, first {} = {:#x}; \
             sent anyway\n",
            FACTORY_FILE,
            1 + warnings.count(),
            first.key,
            first.value
        );
    }
    match data.to_blob() {
        Ok(blob) => Some(blob),
        Err(err) => {
            dev_warn!(
                dev,
                "factory calibration file {} ignored: {}\n",
                FACTORY_FILE,
                Text(err)
            );
            None
        }
    }
}
