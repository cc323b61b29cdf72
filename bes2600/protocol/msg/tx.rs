// SPDX-License-Identifier: GPL-2.0

//! Data path TX: the 24-byte 0x0004 request header, the 0x0404 TX confirm and the 0x041E
//! multi-TX confirm (docs/chip-protocol.md, "TX request", "TX confirm").

use super::super::codec::{
    Reader,
    Writer, //
};
use super::super::error::Error;
use super::super::wsm_header::{
    id,
    Header,
    MsgId,
    HEADER_LEN, //
};
use super::{
    Message,
    Status, //
};

/// Length of the TX request header (WSM header included).
pub const TX_HEADER_LEN: usize = 24;

/// WSM queue ids (bits 0–1 of the queue byte).
pub mod queue {
    /// Best effort.
    pub const BEST_EFFORT: u8 = 0;
    /// Background.
    pub const BACKGROUND: u8 = 1;
    /// Video.
    pub const VIDEO: u8 = 2;
    /// Voice.
    pub const VOICE: u8 = 3;

    /// WSM queue id of a mac80211 AC index (0 VO, 1 VI, 2 BE, 3 BK); `None` above 3.
    pub const fn from_mac80211_ac(ac: u8) -> Option<u8> {
        match ac {
            0 => Some(VOICE),
            1 => Some(VIDEO),
            2 => Some(BEST_EFFORT),
            3 => Some(BACKGROUND),
            _ => None,
        }
    }
}

/// HT TX parameter: non-HT.
pub const HT_TX_NON_HT: u32 = 0;
/// HT TX parameter: mixed format.
pub const HT_TX_MIXED: u32 = 1;
/// HT TX parameter: greenfield.
pub const HT_TX_GREENFIELD: u32 = 2;
/// HT TX parameter: STBC (never set by the vendor driver).
pub const HT_TX_STBC: u32 = 1 << 7;

/// The flags byte of the TX request (offset 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TxFlags(pub u8);

impl TxFlags {
    /// Bit 0: lifetime counted from request receipt.
    pub const EXPIRY_FROM_REQUEST: u8 = 1 << 0;
    /// Bit 7 (BES `WSM_TX_2BYTES_SHIFT`): the frame starts 2 bytes after the header.
    pub const TWO_BYTE_SHIFT: u8 = 1 << 7;

    /// Flags selecting rate-retry policy `policy` (0..=7) and nothing else.
    pub const fn with_policy(policy: u8) -> Self {
        Self((policy & 7) << 4)
    }

    /// Rate-retry policy index, bits 4–6.
    pub const fn policy(self) -> u8 {
        (self.0 >> 4) & 7
    }

    /// BT/EPTA priority, bits 1–3.
    pub const fn epta_priority(self) -> u8 {
        (self.0 >> 1) & 7
    }

    /// Whether the frame starts 2 bytes after the header.
    pub const fn two_byte_shift(self) -> bool {
        self.0 & Self::TWO_BYTE_SHIFT != 0
    }
}

/// The host's packet id (cookie echoed by the TX confirm), in the layout the vendor driver
/// uses (docs/chip-protocol.md, "TX queues"). The firmware treats it as opaque; flow control
/// reads the interface id from bits 20–23, so a driver must keep that field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacketId(pub u32);

impl PacketId {
    /// Assembles a packet id.
    pub const fn new(
        item: u8,
        item_generation: u8,
        queue: u8,
        if_id: u8,
        link_id: u8,
        queue_generation: u8,
    ) -> Self {
        Self(
            (item as u32)
                | ((item_generation as u32) << 8)
                | (((queue & 0xF) as u32) << 16)
                | (((if_id & 0xF) as u32) << 20)
                | (((link_id & 0xF) as u32) << 24)
                | (((queue_generation & 0xF) as u32) << 28),
        )
    }

    /// Item index, bits 0–7.
    pub const fn item(self) -> u8 {
        self.0 as u8
    }

    /// Item generation, bits 8–15.
    pub const fn item_generation(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// Queue index, bits 16–19.
    pub const fn queue(self) -> u8 {
        ((self.0 >> 16) & 0xF) as u8
    }

    /// Interface id, bits 20–23.
    pub const fn if_id(self) -> u8 {
        ((self.0 >> 20) & 0xF) as u8
    }

    /// Link id, bits 24–27.
    pub const fn link_id(self) -> u8 {
        ((self.0 >> 24) & 0xF) as u8
    }

    /// Queue generation, bits 28–31.
    pub const fn queue_generation(self) -> u8 {
        (self.0 >> 28) as u8
    }
}

/// 0x0004 TX request: the 24-byte header and the 802.11 frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TxRequest<'a> {
    /// Packet id echoed by the confirm.
    pub packet_id: PacketId,
    /// Maximum TX rate (WSM rate index).
    pub max_tx_rate: u8,
    /// WSM queue id (0..=3, see [`queue`]).
    pub queue: u8,
    /// Raw link id (0..=63; 0 for STA mode and broadcast).
    pub link_id: u8,
    /// "More" byte (always 0 in the vendor driver).
    pub more: u8,
    /// Flags.
    pub flags: TxFlags,
    /// Reserved word (0).
    pub reserved: u32,
    /// Expire time (0 = default).
    pub expire_time: u32,
    /// HT TX parameters (`HT_TX_*`).
    pub ht_tx_parameters: u32,
    /// The 802.11 frame including IV space and ICV/MIC tail space (after the 2 alignment
    /// bytes when [`TxFlags::TWO_BYTE_SHIFT`] is set).
    pub frame: &'a [u8],
}

impl<'a> TxRequest<'a> {
    /// Bytes between the header and the frame.
    pub const fn shift(&self) -> usize {
        if self.flags.two_byte_shift() {
            2
        } else {
            0
        }
    }

    /// Total WSM length: header, alignment bytes and frame.
    pub fn wsm_len(&self) -> Result<u16, Error> {
        let len = TX_HEADER_LEN + self.shift() + self.frame.len();
        u16::try_from(len).map_err(|_| Error::BadLength {
            len,
            limit: usize::from(u16::MAX),
        })
    }

    /// The 24-byte header alone, for a driver that keeps the frame where it is (in the
    /// headroom of its buffer) and only writes the header in front of it.
    pub fn header_bytes(&self, if_id: u8) -> Result<[u8; TX_HEADER_LEN], Error> {
        let mut out = [0u8; TX_HEADER_LEN];
        Header {
            len: self.wsm_len()?,
            id: MsgId::new(id::TX, if_id),
        }
        .write(&mut out)?;
        let mut w = Writer::new(out.get_mut(HEADER_LEN..).unwrap_or(&mut []));
        self.write_fields(&mut w)?;
        Ok(out)
    }

    fn write_fields(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        if self.queue > 3 || self.link_id > 63 {
            return Err(Error::InvalidField {
                field: "tx queue/link",
                value: u32::from(self.queue) | (u32::from(self.link_id) << 8),
            });
        }
        w.u32(self.packet_id.0)?;
        w.u8(self.max_tx_rate)?;
        w.u8((self.link_id << 2) | self.queue)?;
        w.u8(self.more)?;
        w.u8(self.flags.0)?;
        w.u32(self.reserved)?;
        w.u32(self.expire_time)?;
        w.u32(self.ht_tx_parameters)
    }
}

impl<'a> Message<'a> for TxRequest<'a> {
    const ID: u16 = id::TX;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        self.write_fields(w)?;
        w.zeros(self.shift())?;
        w.bytes(self.frame)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        let packet_id = PacketId(r.u32()?);
        let max_tx_rate = r.u8()?;
        let q = r.u8()?;
        let more = r.u8()?;
        let flags = TxFlags(r.u8()?);
        let reserved = r.u32()?;
        let expire_time = r.u32()?;
        let ht_tx_parameters = r.u32()?;
        if flags.two_byte_shift() {
            r.skip(2)?;
        }
        Ok(Self {
            packet_id,
            max_tx_rate,
            queue: q & 3,
            link_id: q >> 2,
            more,
            flags,
            reserved,
            expire_time,
            ht_tx_parameters,
            frame: r.take_rest(),
        })
    }
}

/// Length of one TX confirm record.
pub const TX_CONFIRM_LEN: usize = 20;

/// Ack type in the TX confirm flags (bits 2–3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckType {
    /// Normal ack.
    Normal,
    /// No ack.
    NoAck,
    /// No explicit ack.
    NoExplicitAck,
    /// Block ack.
    BlockAck,
}

/// 0x0404 TX confirm, and the record format of the multi-TX confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TxConfirm {
    /// Packet id of the request.
    pub packet_id: PacketId,
    /// Firmware status (`Status::REQUEUE` with the requeue flag: requeue).
    pub status: Status,
    /// Rate actually used (WSM rate index).
    pub tx_rate: u8,
    /// Transmissions without ack.
    pub ack_failures: u8,
    /// Flags: bit 0 A-MPDU, bit 1 requeue, bits 2–3 ack type.
    pub flags: u16,
    /// Media delay (µs).
    pub media_delay: u32,
    /// Queue delay (µs).
    pub queue_delay: u32,
}

impl TxConfirm {
    /// Flag: sent in an A-MPDU.
    pub const FLAG_AGGREGATED: u16 = 1 << 0;
    /// Flag: requeue requested.
    pub const FLAG_REQUEUE: u16 = 1 << 1;

    /// Whether the frame was sent aggregated.
    pub const fn aggregated(&self) -> bool {
        self.flags & Self::FLAG_AGGREGATED != 0
    }

    /// Whether the firmware asks for the frame to be requeued.
    pub const fn requeue(&self) -> bool {
        self.flags & Self::FLAG_REQUEUE != 0
    }

    /// Ack type.
    pub const fn ack_type(&self) -> AckType {
        match (self.flags >> 2) & 3 {
            0 => AckType::Normal,
            1 => AckType::NoAck,
            2 => AckType::NoExplicitAck,
            _ => AckType::BlockAck,
        }
    }

    /// Reads one 20-byte record.
    pub fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            packet_id: PacketId(r.u32()?),
            status: Status(r.u32()?),
            tx_rate: r.u8()?,
            ack_failures: r.u8()?,
            flags: r.u16()?,
            media_delay: r.u32()?,
            queue_delay: r.u32()?,
        })
    }

    /// Writes one 20-byte record.
    pub fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.packet_id.0)?;
        w.u32(self.status.0)?;
        w.u8(self.tx_rate)?;
        w.u8(self.ack_failures)?;
        w.u16(self.flags)?;
        w.u32(self.media_delay)?;
        w.u32(self.queue_delay)
    }
}

impl<'a> Message<'a> for TxConfirm {
    const ID: u16 = id::TX_CONFIRM;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        self.write(w)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        Self::read(&mut Reader::new(payload))
    }
}

/// 0x041E multi-TX confirm: a u32 count (≥ 1) and that many 20-byte records.
///
/// Holds the validated record bytes; [`MultiTxConfirm::iter`] decodes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultiTxConfirm<'a> {
    records: &'a [u8],
}

impl<'a> MultiTxConfirm<'a> {
    /// Wraps record bytes (a non-zero multiple of 20 bytes).
    pub fn from_record_bytes(records: &'a [u8]) -> Result<Self, Error> {
        if records.is_empty() || records.len() % TX_CONFIRM_LEN != 0 {
            return Err(Error::BadLength {
                len: records.len(),
                limit: TX_CONFIRM_LEN,
            });
        }
        Ok(Self { records })
    }

    /// Number of records (≥ 1).
    pub fn count(&self) -> usize {
        self.records.len() / TX_CONFIRM_LEN
    }

    /// The records.
    pub fn iter(&self) -> MultiTxIter<'a> {
        MultiTxIter {
            r: Reader::new(self.records),
        }
    }

    /// Encodes a multi-TX confirm from records (what the emulated chip sends).
    pub fn encode_records(
        records: &[TxConfirm],
        if_id: u8,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if records.is_empty() {
            return Err(Error::InvalidField {
                field: "multi tx count",
                value: 0,
            });
        }
        let len = {
            let mut w = Writer::new(out);
            w.zeros(HEADER_LEN)?;
            w.u32(u32::try_from(records.len()).unwrap_or(u32::MAX))?;
            for rec in records {
                rec.write(&mut w)?;
            }
            w.position()
        };
        let len16 = u16::try_from(len).map_err(|_| Error::BadLength {
            len,
            limit: usize::from(u16::MAX),
        })?;
        Header {
            len: len16,
            id: MsgId::new(id::MULTI_TX_CONFIRM, if_id),
        }
        .write(out)?;
        Ok(len)
    }
}

/// Iterator over the records of a [`MultiTxConfirm`].
#[derive(Debug, Clone)]
pub struct MultiTxIter<'a> {
    r: Reader<'a>,
}

impl Iterator for MultiTxIter<'_> {
    type Item = TxConfirm;

    fn next(&mut self) -> Option<TxConfirm> {
        TxConfirm::read(&mut self.r).ok()
    }
}

impl<'a> Message<'a> for MultiTxConfirm<'a> {
    const ID: u16 = id::MULTI_TX_CONFIRM;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(u32::try_from(self.count()).unwrap_or(u32::MAX))?;
        w.bytes(self.records)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        let count = r.u32()?;
        let max = r.remaining() / TX_CONFIRM_LEN;
        if count == 0 {
            return Err(Error::InvalidField {
                field: "multi tx count",
                value: 0,
            });
        }
        let n = usize::try_from(count).unwrap_or(usize::MAX);
        if n > max {
            return Err(Error::TooMany {
                field: "multi tx records",
                count: n,
                max,
            });
        }
        // n ≤ max, so the multiplication cannot overflow.
        let records = r.bytes(n * TX_CONFIRM_LEN)?;
        Ok(Self { records })
    }
}
