// SPDX-License-Identifier: GPL-2.0

//! Joining and running a BSS: 0x000B join, 0x000A reset (unjoin), 0x0011 set BSS
//! parameters, 0x0017 start, 0x001C map link, 0x0016 switch channel and its 0x080A
//! indication (docs/chip-protocol.md, "Join, reset and BSS parameters").

use super::super::codec::{
    Reader,
    Writer, //
};
use super::super::error::Error;
use super::super::wsm_header::id;
use super::{
    MacAddr,
    Message,
    Ssid,
    Status, //
};

/// Join mode: IBSS.
pub const JOIN_MODE_IBSS: u8 = 0;
/// Join mode: BSS (infrastructure).
pub const JOIN_MODE_BSS: u8 = 1;

/// Preamble: long.
pub const PREAMBLE_LONG: u8 = 0;
/// Preamble: short.
pub const PREAMBLE_SHORT: u8 = 1;
/// Preamble: short except at 1 and 2 Mbps.
pub const PREAMBLE_SHORT_2: u8 = 2;

/// Join flag: unsynchronised.
pub const JOIN_FLAG_UNSYNCHRONIZED: u8 = 1 << 0;
/// Join flag: the BSS owner is a P2P GO.
pub const JOIN_FLAG_P2P_GO: u8 = 1 << 1;
/// Join flag: force (do not wait for beacons).
pub const JOIN_FLAG_FORCE: u8 = 1 << 2;
/// Join flag: priority over BT traffic.
pub const JOIN_FLAG_PRIO: u8 = 1 << 3;
/// Join flag (BES): MAC instance 1 (interface id ≠ 0).
pub const JOIN_FLAG_MAC_INSTANCE_1: u8 = 1 << 4;
/// Join flag (BES, P2P client; meaning not documented).
pub const JOIN_FLAG_P2P_CLIENT: u8 = 1 << 6;

/// 0x000B join (60-byte payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Join {
    /// `JOIN_MODE_*`.
    pub mode: u8,
    /// Band: 0 2.4 GHz, 1 5 GHz.
    pub band: u8,
    /// Channel number.
    pub channel: u16,
    /// BSSID.
    pub bssid: MacAddr,
    /// ATIM window (IBSS).
    pub atim_window: u16,
    /// `PREAMBLE_*`.
    pub preamble: u8,
    /// Probe for join (1) or not.
    pub probe_for_join: u8,
    /// DTIM period.
    pub dtim_period: u8,
    /// `JOIN_FLAG_*`.
    pub flags: u8,
    /// SSID (u32 length and 32 bytes on the wire).
    pub ssid: Ssid,
    /// Beacon interval (TU).
    pub beacon_interval: u32,
    /// Basic rate set (WSM rate bitmap).
    pub basic_rates: u32,
}

impl<'a> Message<'a> for Join {
    const ID: u16 = id::JOIN;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.mode)?;
        w.u8(self.band)?;
        w.u16(self.channel)?;
        w.bytes(&self.bssid)?;
        w.u16(self.atim_window)?;
        w.u8(self.preamble)?;
        w.u8(self.probe_for_join)?;
        w.u8(self.dtim_period)?;
        w.u8(self.flags)?;
        w.u32(self.ssid.len() as u32)?;
        w.bytes(self.ssid.wire_bytes())?;
        w.u32(self.beacon_interval)?;
        w.u32(self.basic_rates)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            mode: r.u8()?,
            band: r.u8()?,
            channel: r.u16()?,
            bssid: r.array()?,
            atim_window: r.u16()?,
            preamble: r.u8()?,
            probe_for_join: r.u8()?,
            dtim_period: r.u8()?,
            flags: r.u8()?,
            ssid: {
                let len = r.u32()?;
                Ssid::from_wire(len, r.array()?)?
            },
            beacon_interval: r.u32()?,
            basic_rates: r.u32()?,
        })
    }
}

/// Minimum and maximum TX power reported by the join confirm (0.1 dBm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PowerLevels {
    /// Minimum power level.
    pub min: i32,
    /// Maximum power level.
    pub max: i32,
}

/// 0x040B join confirm. The power levels are only parsed by the vendor driver on success;
/// they are decoded when present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JoinConfirm {
    /// Firmware status.
    pub status: Status,
    /// Power levels, when the payload carries them.
    pub power: Option<PowerLevels>,
}

impl<'a> Message<'a> for JoinConfirm {
    const ID: u16 = id::JOIN_CONFIRM;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.status.0)?;
        if let Some(p) = self.power {
            w.i32(p.min)?;
            w.i32(p.max)?;
        }
        Ok(())
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        let status = Status(r.u32()?);
        let power = if r.remaining() >= 8 {
            Some(PowerLevels {
                min: r.i32()?,
                max: r.i32()?,
            })
        } else if status.is_success() {
            // The vendor driver treats a successful confirm without power levels as a
            // parse error.
            return Err(Error::Truncated {
                offset: r.position(),
                needed: 8,
                available: r.remaining(),
            });
        } else {
            None
        };
        Ok(Self { status, power })
    }
}

/// 0x000A reset: unjoin, stop AP, stop listening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reset {
    /// Also reset statistics (the vendor driver always asks for it). Wire: u32 0 when set,
    /// 1 when not.
    pub reset_statistics: bool,
}

impl<'a> Message<'a> for Reset {
    const ID: u16 = id::RESET;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(if self.reset_statistics { 0 } else { 1 })
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        Ok(Self {
            reset_statistics: Reader::new(payload).u32()? == 0,
        })
    }
}

/// 0x0011 set BSS parameters (BES: 12-byte payload, with the MCS-set word).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetBssParams {
    /// Flags (cw1200: bit 0 resets beacon-loss counters; the BES driver sends 0).
    pub flags: u8,
    /// Beacons missed before a BSS-lost event (vendor: 50).
    pub beacon_lost_count: u8,
    /// Association id.
    pub aid: u16,
    /// Operational legacy rate set (WSM rate bitmap).
    pub operational_rates: u32,
    /// BES-only HT MCS set as a WSM rate bitmap (MCS 0 = bit 14).
    pub mcs_rates: u32,
}

impl SetBssParams {
    /// The MCS-set word for an AP whose RX MCS mask byte 0 is `rx_mask0`
    /// (MCS 0..7 → WSM rate indices 14..21).
    pub const fn mcs_word(rx_mask0: u8) -> u32 {
        (rx_mask0 as u32) << 14
    }
}

impl<'a> Message<'a> for SetBssParams {
    const ID: u16 = id::SET_BSS_PARAMS;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.flags)?;
        w.u8(self.beacon_lost_count)?;
        w.u16(self.aid)?;
        w.u32(self.operational_rates)?;
        w.u32(self.mcs_rates)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            flags: r.u8()?,
            beacon_lost_count: r.u8()?,
            aid: r.u16()?,
            operational_rates: r.u32()?,
            mcs_rates: r.u32()?,
        })
    }
}

/// Start mode: mini-AP.
pub const START_MODE_AP: u8 = 0;
/// Start mode: P2P GO.
pub const START_MODE_P2P_GO: u8 = 1;
/// Start mode: P2P device (listen).
pub const START_MODE_P2P_DEVICE: u8 = 2;
/// Start mode flag (BES): MAC instance 1.
pub const START_MODE_MAC_INSTANCE_1: u8 = 1 << 4;

/// 0x0017 start (AP / GO / P2P-device listen; 52-byte payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Start {
    /// Mode: low nibble `START_MODE_*`, bit 4 MAC instance 1.
    pub mode: u8,
    /// Band.
    pub band: u8,
    /// Channel number.
    pub channel: u16,
    /// CT window (TU); the vendor sends 0xFFFFFFFF for interface ids ≠ 0.
    pub ct_window: u32,
    /// Beacon interval (TU).
    pub beacon_interval: u32,
    /// DTIM period.
    pub dtim_period: u8,
    /// Preamble type.
    pub preamble: u8,
    /// Probe delay.
    pub probe_delay: u8,
    /// SSID (u8 length and 32 bytes on the wire).
    pub ssid: Ssid,
    /// Basic rate set (WSM rate bitmap).
    pub basic_rates: u32,
}

impl<'a> Message<'a> for Start {
    const ID: u16 = id::START;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.mode)?;
        w.u8(self.band)?;
        w.u16(self.channel)?;
        w.u32(self.ct_window)?;
        w.u32(self.beacon_interval)?;
        w.u8(self.dtim_period)?;
        w.u8(self.preamble)?;
        w.u8(self.probe_delay)?;
        w.u8(self.ssid.len() as u8)?;
        w.bytes(self.ssid.wire_bytes())?;
        w.u32(self.basic_rates)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            mode: r.u8()?,
            band: r.u8()?,
            channel: r.u16()?,
            ct_window: r.u32()?,
            beacon_interval: r.u32()?,
            dtim_period: r.u8()?,
            preamble: r.u8()?,
            probe_delay: r.u8()?,
            ssid: {
                let len = r.u8()?;
                Ssid::from_wire(u32::from(len), r.array()?)?
            },
            basic_rates: r.u32()?,
        })
    }
}

/// 0x001C map link (BES form: MAC, unmap flag, link id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MapLink {
    /// Peer MAC address.
    pub mac: MacAddr,
    /// Remove the mapping instead of creating it.
    pub unmap: bool,
    /// Link id (1..=14).
    pub link_id: u8,
}

impl<'a> Message<'a> for MapLink {
    const ID: u16 = id::MAP_LINK;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.bytes(&self.mac)?;
        w.u8(u8::from(self.unmap))?;
        w.u8(self.link_id)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            mac: r.array()?,
            unmap: r.u8()? != 0,
            link_id: r.u8()?,
        })
    }
}

/// 0x0016 switch channel. In the BES driver it programs the bandwidth of the current
/// channel; the mode byte always has bit 7 set, the nl80211 channel type in bits 4–5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SwitchChannel {
    /// Raw mode byte.
    pub mode: u8,
    /// Switch count (0 = now).
    pub switch_count: u8,
    /// New channel number.
    pub channel: u16,
}

impl SwitchChannel {
    /// Bit 7 of the mode byte, always set by the vendor driver.
    pub const MODE_ALWAYS: u8 = 0x80;
    /// Bit 0: stop TX until switched (never set by the vendor driver).
    pub const MODE_STOP_TX: u8 = 0x01;

    /// The request the vendor driver sends: mode 0x80 | channel type << 4, count 0.
    /// `channel_type`: 0 no HT, 1 HT20, 2 HT40−, 3 HT40+.
    pub const fn bandwidth(channel_type: u8, channel: u16) -> Self {
        Self {
            mode: Self::MODE_ALWAYS | ((channel_type & 3) << 4),
            switch_count: 0,
            channel,
        }
    }

    /// The nl80211 channel type from bits 4–5.
    pub const fn channel_type(&self) -> u8 {
        (self.mode >> 4) & 3
    }
}

impl<'a> Message<'a> for SwitchChannel {
    const ID: u16 = id::SWITCH_CHANNEL;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.mode)?;
        w.u8(self.switch_count)?;
        w.u16(self.channel)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        Ok(Self {
            mode: r.u8()?,
            switch_count: r.u8()?,
            channel: r.u16()?,
        })
    }
}

/// 0x080A channel switch done indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SwitchChannelIndication {
    /// Firmware status (must be 0).
    pub status: Status,
}

impl<'a> Message<'a> for SwitchChannelIndication {
    const ID: u16 = id::SWITCH_CHANNEL_INDICATION;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.status.0)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        Ok(Self {
            status: Status(Reader::new(payload).u32()?),
        })
    }
}
