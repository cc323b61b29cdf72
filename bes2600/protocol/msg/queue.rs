// SPDX-License-Identifier: GPL-2.0

//! Queue parameters: 0x0012 set TX queue params and 0x0013 set EDCA params
//! (docs/chip-protocol.md, "Queues and EDCA").

use super::super::codec::{
    Reader,
    Writer, //
};
use super::super::error::Error;
use super::super::wsm_header::id;
use super::Message;

/// 0x0012 set TX queue parameters (12-byte payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetTxQueueParams {
    /// WSM queue id / ACI (0 BE, 1 BK, 2 VI, 3 VO).
    pub queue_id: u8,
    /// Ack policy.
    pub ack_policy: u8,
    /// Max transmit lifetime.
    pub max_transmit_lifetime: u32,
    /// Allowed medium time (32 µs units).
    pub allowed_medium_time: u16,
}

impl<'a> Message<'a> for SetTxQueueParams {
    const ID: u16 = id::SET_TX_QUEUE_PARAMS;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.queue_id)?;
        w.u8(0)?;
        w.u8(self.ack_policy)?;
        w.u8(0)?;
        w.u32(self.max_transmit_lifetime)?;
        w.u16(self.allowed_medium_time)?;
        w.u16(0)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        let queue_id = r.u8()?;
        r.skip(1)?;
        let ack_policy = r.u8()?;
        r.skip(1)?;
        Ok(Self {
            queue_id,
            ack_policy,
            max_transmit_lifetime: r.u32()?,
            allowed_medium_time: r.u16()?,
        })
    }
}

/// EDCA parameters of one access category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EdcaAc {
    /// CWmin.
    pub cw_min: u16,
    /// CWmax.
    pub cw_max: u16,
    /// AIFSN.
    pub aifs: u8,
    /// TXOP limit (µs; mac80211's 32 µs units × 32).
    pub txop_limit: u16,
    /// Max receive lifetime.
    pub max_receive_lifetime: u32,
}

/// 0x0013 set EDCA parameters (44-byte payload).
///
/// `ac` is indexed by mac80211 AC (0 VO, 1 VI, 2 BE, 3 BK). On the wire each field is
/// an array of four in the order index 3, 2, 1, 0 (BK, BE, VI, VO), as the vendor and
/// cw1200 drivers send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetEdcaParams {
    /// Per-AC parameters, mac80211 AC order.
    pub ac: [EdcaAc; 4],
}

impl<'a> Message<'a> for SetEdcaParams {
    const ID: u16 = id::SET_EDCA_PARAMS;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        for a in self.ac.iter().rev() {
            w.u16(a.cw_min)?;
        }
        for a in self.ac.iter().rev() {
            w.u16(a.cw_max)?;
        }
        for a in self.ac.iter().rev() {
            w.u8(a.aifs)?;
        }
        for a in self.ac.iter().rev() {
            w.u16(a.txop_limit)?;
        }
        for a in self.ac.iter().rev() {
            w.u32(a.max_receive_lifetime)?;
        }
        Ok(())
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        let mut ac = [EdcaAc::default(); 4];
        for a in ac.iter_mut().rev() {
            a.cw_min = r.u16()?;
        }
        for a in ac.iter_mut().rev() {
            a.cw_max = r.u16()?;
        }
        for a in ac.iter_mut().rev() {
            a.aifs = r.u8()?;
        }
        for a in ac.iter_mut().rev() {
            a.txop_limit = r.u16()?;
        }
        for a in ac.iter_mut().rev() {
            a.max_receive_lifetime = r.u32()?;
        }
        Ok(Self { ac })
    }
}
