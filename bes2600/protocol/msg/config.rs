// SPDX-License-Identifier: GPL-2.0

//! Startup indication (0x0801) and configuration (0x0009 / 0x0409).

use super::super::codec::{
    Reader,
    Writer, //
};
use super::super::error::Error;
use super::super::wsm_header::id;
use super::{
    MacAddr,
    Message,
    Status, //
};

/// Length of the firmware label in the startup indication.
pub const LABEL_LEN: usize = 128;

/// 0x0801 startup indication: the firmware is up and announces its capacity
/// (docs/chip-protocol.md, "Startup and configuration"). All 148 payload bytes must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartupIndication {
    /// Number of device input buffers: the flow-control capacity.
    pub num_inp_ch_bufs: u16,
    /// Size of one input buffer in bytes.
    pub size_inp_ch_buf: u16,
    /// Hardware id.
    pub hardware_id: u16,
    /// Hardware sub-id.
    pub hardware_sub_id: u16,
    /// Status (must be 0).
    pub status: u16,
    /// Firmware capabilities.
    pub firmware_cap: u16,
    /// Firmware type: 0 ETF, 1 WFM, 2 WSM, 3 HI test, 4 platform test.
    pub firmware_type: u16,
    /// Firmware API version.
    pub firmware_api_ver: u16,
    /// Firmware build number.
    pub firmware_build: u16,
    /// Firmware version.
    pub firmware_version: u16,
    /// Firmware label (ASCII, NUL padded).
    pub label: [u8; LABEL_LEN],
}

impl StartupIndication {
    /// Largest firmware type the vendor driver accepts.
    pub const MAX_FIRMWARE_TYPE: u16 = 4;

    /// The checks the vendor driver applies: status 0, firmware type ≤ 4, and (ours) a
    /// non-zero buffer count.
    pub fn validate(&self) -> Result<(), Error> {
        if self.status != 0 {
            return Err(Error::InvalidField {
                field: "startup status",
                value: u32::from(self.status),
            });
        }
        if self.firmware_type > Self::MAX_FIRMWARE_TYPE {
            return Err(Error::InvalidField {
                field: "firmware type",
                value: u32::from(self.firmware_type),
            });
        }
        if self.num_inp_ch_bufs == 0 {
            return Err(Error::InvalidField {
                field: "input buffer count",
                value: 0,
            });
        }
        Ok(())
    }

    /// The label up to its first NUL byte.
    pub fn label_bytes(&self) -> &[u8] {
        let end = self.label.iter().position(|&b| b == 0).unwrap_or(LABEL_LEN);
        self.label.get(..end).unwrap_or(&[])
    }
}

impl<'a> Message<'a> for StartupIndication {
    const ID: u16 = id::STARTUP;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u16(self.num_inp_ch_bufs)?;
        w.u16(self.size_inp_ch_buf)?;
        w.u16(self.hardware_id)?;
        w.u16(self.hardware_sub_id)?;
        w.u16(self.status)?;
        w.u16(self.firmware_cap)?;
        w.u16(self.firmware_type)?;
        w.u16(self.firmware_api_ver)?;
        w.u16(self.firmware_build)?;
        w.u16(self.firmware_version)?;
        w.bytes(&self.label)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            num_inp_ch_bufs: r.u16()?,
            size_inp_ch_buf: r.u16()?,
            hardware_id: r.u16()?,
            hardware_sub_id: r.u16()?,
            status: r.u16()?,
            firmware_cap: r.u16()?,
            firmware_type: r.u16()?,
            firmware_api_ver: r.u16()?,
            firmware_build: r.u16()?,
            firmware_version: r.u16()?,
            label: r.array()?,
        })
    }
}

/// 0x0009 configuration request (docs/chip-protocol.md, "Startup and configuration"), sent
/// for interfaces 0 and 1.
///
/// The "DPD block" after the three u32 carries: its own length (SDD size + 12), a version
/// (1), the station MAC, flags (5) and the SDD blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Configuration<'a> {
    /// dot11MaxTransmitMsduLifeTime (0 = firmware default).
    pub max_transmit_msdu_lifetime: u32,
    /// dot11MaxReceiveLifeTime (0 = default).
    pub max_receive_lifetime: u32,
    /// dot11RtsThreshold (0 = default).
    pub rts_threshold: u32,
    /// Block version (the vendor driver sends 1).
    pub block_version: u16,
    /// Station MAC address.
    pub station_id: MacAddr,
    /// Block flags (the vendor driver sends 5).
    pub block_flags: u16,
    /// The SDD blob (TLV list).
    pub sdd: &'a [u8],
}

impl<'a> Configuration<'a> {
    /// Block version the vendor driver sends.
    pub const BLOCK_VERSION: u16 = 1;
    /// Block flags the vendor driver sends.
    pub const BLOCK_FLAGS: u16 = 5;
    /// Bytes of the DPD block not counting the SDD.
    pub const BLOCK_OVERHEAD: usize = 12;

    /// The request the vendor driver sends: zero lifetimes/threshold, version 1, flags 5.
    pub const fn new(station_id: MacAddr, sdd: &'a [u8]) -> Self {
        Self {
            max_transmit_msdu_lifetime: 0,
            max_receive_lifetime: 0,
            rts_threshold: 0,
            block_version: Self::BLOCK_VERSION,
            station_id,
            block_flags: Self::BLOCK_FLAGS,
            sdd,
        }
    }
}

impl<'a> Message<'a> for Configuration<'a> {
    const ID: u16 = id::CONFIGURATION;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        let block = self
            .sdd
            .len()
            .checked_add(Self::BLOCK_OVERHEAD)
            .and_then(|l| u16::try_from(l).ok())
            .ok_or(Error::BadLength {
                len: self.sdd.len(),
                limit: usize::from(u16::MAX) - Self::BLOCK_OVERHEAD,
            })?;
        w.u32(self.max_transmit_msdu_lifetime)?;
        w.u32(self.max_receive_lifetime)?;
        w.u32(self.rts_threshold)?;
        w.u16(block)?;
        w.u16(self.block_version)?;
        w.bytes(&self.station_id)?;
        w.u16(self.block_flags)?;
        w.bytes(self.sdd)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        let max_transmit_msdu_lifetime = r.u32()?;
        let max_receive_lifetime = r.u32()?;
        let rts_threshold = r.u32()?;
        let block = usize::from(r.u16()?);
        let sdd_len = block
            .checked_sub(Self::BLOCK_OVERHEAD)
            .ok_or(Error::BadLength {
                len: block,
                limit: Self::BLOCK_OVERHEAD,
            })?;
        let block_version = r.u16()?;
        let station_id = r.array()?;
        let block_flags = r.u16()?;
        let sdd = r.bytes(sdd_len)?;
        Ok(Self {
            max_transmit_msdu_lifetime,
            max_receive_lifetime,
            rts_threshold,
            block_version,
            station_id,
            block_flags,
            sdd,
        })
    }
}

/// TX power range of one band, in 0.1 dBm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PowerRange {
    /// Minimum power level.
    pub min: i32,
    /// Maximum power level.
    pub max: i32,
    /// Step.
    pub step: u32,
}

/// The part of the configuration confirm only sent by the "signalling" firmware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConfigurationInfo {
    /// Station MAC address as the firmware sees it.
    pub station_id: MacAddr,
    /// Supported bands.
    pub bands: u8,
    /// Supported rate mask (WSM rate bitmap).
    pub rate_mask: u32,
    /// Power ranges for 2.4 GHz and 5 GHz.
    pub power: [PowerRange; 2],
}

/// 0x0409 configuration confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigurationConfirm {
    /// Firmware status.
    pub status: Status,
    /// Capabilities, present when the payload is long enough (signalling firmware).
    pub info: Option<ConfigurationInfo>,
}

impl ConfigurationConfirm {
    /// Payload length with the capability block.
    pub const FULL_LEN: usize = 40;
}

impl<'a> Message<'a> for ConfigurationConfirm {
    const ID: u16 = id::CONFIGURATION_CONFIRM;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.status.0)?;
        if let Some(i) = &self.info {
            w.bytes(&i.station_id)?;
            w.u8(i.bands)?;
            w.u8(0)?;
            w.u32(i.rate_mask)?;
            for p in &i.power {
                w.i32(p.min)?;
                w.i32(p.max)?;
                w.u32(p.step)?;
            }
        }
        Ok(())
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        let status = Status(r.u32()?);
        let info = if payload.len() >= Self::FULL_LEN {
            let station_id = r.array()?;
            let bands = r.u8()?;
            r.skip(1)?;
            let rate_mask = r.u32()?;
            let mut power = [PowerRange::default(); 2];
            for p in &mut power {
                p.min = r.i32()?;
                p.max = r.i32()?;
                p.step = r.u32()?;
            }
            Some(ConfigurationInfo {
                station_id,
                bands,
                rate_mask,
                power,
            })
        } else {
            None
        };
        Ok(Self { status, info })
    }
}
