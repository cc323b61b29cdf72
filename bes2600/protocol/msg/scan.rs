// SPDX-License-Identifier: GPL-2.0

//! Scan: 0x0007 start scan, 0x0008 stop scan, 0x0806 scan complete
//! (docs/chip-protocol.md, "Scan").

use super::super::codec::{
    List,
    Reader,
    Writer, //
};
use super::super::error::Error;
use super::super::wsm_header::id;
use super::{
    Empty,
    Message,
    Ssid,
    Status, //
};

/// Largest number of channels in one scan request.
pub const MAX_CHANNELS: usize = 48;

/// Largest number of SSIDs in one scan request.
pub const MAX_SSIDS: usize = 2;

/// Scan type: foreground.
pub const SCAN_TYPE_FOREGROUND: u8 = 0;
/// Scan type: background.
pub const SCAN_TYPE_BACKGROUND: u8 = 1;
/// Scan type: auto.
pub const SCAN_TYPE_AUTO: u8 = 2;

/// Scan flag: forced background.
pub const SCAN_FLAG_FORCE_BACKGROUND: u8 = 1 << 0;
/// Scan flag: split (one channel at a time).
pub const SCAN_FLAG_SPLIT: u8 = 1 << 1;
/// Scan flag: short preamble.
pub const SCAN_FLAG_SHORT_PREAMBLE: u8 = 1 << 2;
/// Scan flag: 11n greenfield.
pub const SCAN_FLAG_GREENFIELD: u8 = 1 << 3;
/// Scan flag (BES): use MAC instance 1 (interface id ≠ 0).
pub const SCAN_FLAG_MAC_INSTANCE_1: u8 = 1 << 4;

/// One channel of a scan request (16 bytes on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanChannel {
    /// Channel number.
    pub number: u16,
    /// Minimum dwell time (ms).
    pub min_time: u32,
    /// Maximum dwell time (ms).
    pub max_time: u32,
    /// TX power (the vendor driver sends 0).
    pub tx_power: u32,
}

/// 0x0007 start scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StartScan {
    /// Band: 0 2.4 GHz, 1 5 GHz.
    pub band: u8,
    /// Scan type (`SCAN_TYPE_*`).
    pub scan_type: u8,
    /// Flags (`SCAN_FLAG_*`).
    pub flags: u8,
    /// Max TX rate for probes (WSM rate index).
    pub max_tx_rate: u8,
    /// Auto-scan interval (0).
    pub auto_scan_interval: u32,
    /// Probe requests per SSID per channel (0 = passive).
    pub probes_per_ssid: u8,
    /// Probe delay (µs).
    pub probe_delay: u8,
    /// Channels (at most 48).
    pub channels: List<ScanChannel, MAX_CHANNELS>,
    /// SSIDs (at most 2).
    pub ssids: List<Ssid, MAX_SSIDS>,
}

impl<'a> Message<'a> for StartScan {
    const ID: u16 = id::START_SCAN;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        if self.band > 1 {
            return Err(Error::InvalidField {
                field: "scan band",
                value: u32::from(self.band),
            });
        }
        w.u8(self.band)?;
        w.u8(self.scan_type)?;
        w.u8(self.flags)?;
        w.u8(self.max_tx_rate)?;
        w.u32(self.auto_scan_interval)?;
        w.u8(self.probes_per_ssid)?;
        // Both lengths are bounded by the list capacities (48 and 2).
        w.u8(self.channels.len() as u8)?;
        w.u8(self.ssids.len() as u8)?;
        w.u8(self.probe_delay)?;
        for c in self.channels.iter() {
            w.u16(c.number)?;
            w.u16(0)?;
            w.u32(c.min_time)?;
            w.u32(c.max_time)?;
            w.u32(c.tx_power)?;
        }
        for s in self.ssids.iter() {
            w.u32(s.len() as u32)?;
            w.bytes(s.wire_bytes())?;
        }
        Ok(())
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        let band = r.u8()?;
        let scan_type = r.u8()?;
        let flags = r.u8()?;
        let max_tx_rate = r.u8()?;
        let auto_scan_interval = r.u32()?;
        let probes_per_ssid = r.u8()?;
        let n_channels = usize::from(r.u8()?);
        let n_ssids = usize::from(r.u8()?);
        let probe_delay = r.u8()?;
        if n_channels > MAX_CHANNELS {
            return Err(Error::TooMany {
                field: "scan channels",
                count: n_channels,
                max: MAX_CHANNELS,
            });
        }
        if n_ssids > MAX_SSIDS {
            return Err(Error::TooMany {
                field: "scan ssids",
                count: n_ssids,
                max: MAX_SSIDS,
            });
        }
        let mut channels = List::new();
        for _ in 0..n_channels {
            let number = r.u16()?;
            r.skip(2)?;
            channels.push(ScanChannel {
                number,
                min_time: r.u32()?,
                max_time: r.u32()?,
                tx_power: r.u32()?,
            })?;
        }
        let mut ssids = List::new();
        for _ in 0..n_ssids {
            let len = r.u32()?;
            ssids.push(Ssid::from_wire(len, r.array()?)?)?;
        }
        Ok(Self {
            band,
            scan_type,
            flags,
            max_tx_rate,
            auto_scan_interval,
            probes_per_ssid,
            probe_delay,
            channels,
            ssids,
        })
    }
}

/// 0x0008 stop scan (no payload).
pub type StopScan = Empty<{ id::STOP_SCAN }>;

/// 0x0806 scan complete indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanComplete {
    /// Firmware status.
    pub status: Status,
    /// Power-save mode the device is in.
    pub psm: u8,
    /// Number of channels scanned.
    pub num_channels: u8,
}

impl<'a> Message<'a> for ScanComplete {
    const ID: u16 = id::SCAN_COMPLETE;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.status.0)?;
        w.u8(self.psm)?;
        w.u8(self.num_channels)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            status: Status(r.u32()?),
            psm: r.u8()?,
            num_channels: r.u8()?,
        })
    }
}
