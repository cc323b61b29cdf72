// SPDX-License-Identifier: GPL-2.0

//! The DPD (digital predistortion) calibration data (docs/chip-protocol.md, "DPD data"): what the
//! calibration image produces, read back once the status register says so, checked, and kept
//! in a [`DpdCache`] so that later boots of the binding download it instead of calibrating.

use kernel::{
    prelude::*,
    time::{
        Delta,
        Instant,
        Monotonic, //
    },
};

use super::{
    boot_rom::{
        BootRom,
        REPLY_TIMEOUT, //
    },
    DpdCache,
    Text, //
};
use crate::protocol::{
    boot_frame::DPD_LEN,
    calibration::check_dpd_data,
    sdio_framing::SlaveStatus, //
};

/// How long the calibration may take (the vendor polls for 15 s).
const READY_TIMEOUT: Delta = Delta::from_secs(15);

/// The status register is read at least this often while waiting (the vendor's poll
/// interval); the interrupt that announces the data ends a wait earlier.
const READY_POLL: Delta = Delta::from_millis(100);

/// Reads of the status register while waiting, at most (bounds the loop even when `wait`
/// returns at once).
const READY_POLLS: u32 = 200;

impl DpdCache {
    /// An empty cache: the first boot runs the calibration image.
    pub(crate) const fn new() -> Self {
        Self { data: None }
    }

    /// The cached data.
    pub(super) fn data(&self) -> Option<&[u8]> {
        self.data.as_deref()
    }

    /// Keeps a copy of `blob`.
    fn store(&mut self, blob: &[u8]) -> Result {
        let mut data = KVec::with_capacity(blob.len(), GFP_KERNEL)?;
        data.extend_from_slice(blob, GFP_KERNEL)?;
        self.data = Some(data);
        Ok(())
    }
}

/// Fresh DPD data, as read.
pub(super) struct DpdRead {
    /// The data's version word.
    pub(super) version: u32,
    /// Blocks of the CMD53 that read it.
    pub(super) blocks: u32,
}

/// After the calibration image was started: waits for status DPD_READY, reads the
/// [`DPD_LEN`] bytes the chip announces (block mode), checks them and caches them.
pub(super) fn read_and_cache(rom: &mut BootRom<'_>, cache: &mut DpdCache) -> Result<DpdRead> {
    let what = "DPD data";
    let dev = rom.dev();
    let start = Instant::<Monotonic>::now();
    let mut crc_errors = 0u32;
    let mut ready = false;
    for _ in 0..READY_POLLS {
        // CRC errors on this read are tolerated, as the vendor does, while the chip calibrates.
        match rom.status() {
            Ok(status) if SlaveStatus(status).has(SlaveStatus::DPD_READY) => {
                ready = true;
                break;
            }
            Ok(_) => {}
            Err(err) if err == EILSEQ => crc_errors += 1,
            Err(err) => {
                dev_err!(
                    dev,
                    "boot: {}: reading the status failed: {:?}\n",
                    what,
                    err
                );
                return Err(err);
            }
        }
        if start.elapsed() >= READY_TIMEOUT {
            break;
        }
        rom.check_deadline(what)?;
        rom.wait(READY_POLL);
    }
    if !ready {
        dev_err!(
            dev,
            "boot: {}: not ready after {} ms ({} CRC errors on the status)\n",
            what,
            start.elapsed().as_millis(),
            crc_errors
        );
        return Err(ETIMEDOUT);
    }
    let len = rom.await_announcement(what, REPLY_TIMEOUT, true)?;
    if len != DPD_LEN {
        dev_err!(
            dev,
            "boot: {}: {} bytes announced, {} expected\n",
            what,
            len,
            DPD_LEN
        );
        return Err(EPROTO);
    }
    let (blob, blocks) = rom.read_data(len, what)?;
    let version = check_dpd_data(blob).map_err(|err| {
        dev_err!(dev, "boot: {}: refused: {}\n", what, Text(err));
        EPROTO
    })?;
    cache.store(blob)?;
    Ok(DpdRead { version, blocks })
}

/// The version word of cached data (checked when it was cached).
pub(super) fn cached_version(blob: &[u8]) -> Result<u32> {
    check_dpd_data(blob).map_err(|_| EINVAL)
}
