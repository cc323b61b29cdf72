// SPDX-License-Identifier: GPL-2.0

//! The [`Message`] trait every typed WSM message implements, the framing of a typed message
//! ([`encode`] adds the WSM header, [`decode`] checks it) and the field types messages and
//! MIBs share ([`Status`], [`MacAddr`]).
//!
//! The message types themselves are in [`super::msg`] and [`super::mib`], which both build
//! on this module; [`super::msg`] re-exports its items, so `msg::Message`, `msg::encode`,
//! `msg::decode`, `msg::Status` and `msg::MacAddr` are the same items.

use super::codec::Writer;
use super::error::Error;
use super::wsm_header::{
    self,
    Header,
    MsgClass,
    MsgId,
    HEADER_LEN, //
};

/// A WSM message with a fixed base id.
pub trait Message<'a>: Sized {
    /// Base id: number and class bits, without interface or sequence bits.
    const ID: u16;

    /// Writes the payload (everything after the 4-byte WSM header).
    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error>;

    /// Decodes the payload (everything after the 4-byte WSM header, up to the WSM length).
    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error>;
}

/// Encodes `msg` with interface id `if_id` into `out` and returns the message length.
///
/// The sequence bits are left 0. MCU-channel (0x0Cxx) messages carry no interface bits,
/// so `if_id` must be 0 for them.
pub fn encode<'a, M: Message<'a>>(msg: &M, if_id: u8, out: &mut [u8]) -> Result<usize, Error> {
    if if_id > wsm_header::MAX_IF_ID
        || (MsgId::new(M::ID, 0).class() == MsgClass::Mcu && if_id != 0)
    {
        return Err(Error::InvalidField {
            field: "if_id",
            value: u32::from(if_id),
        });
    }
    let len = {
        let mut w = Writer::new(out);
        w.zeros(HEADER_LEN)?;
        msg.encode_payload(&mut w)?;
        w.position()
    };
    let len16 = u16::try_from(len).map_err(|_| Error::BadLength {
        len,
        limit: usize::from(u16::MAX),
    })?;
    Header {
        len: len16,
        id: MsgId::new(M::ID, if_id),
    }
    .write(out)?;
    Ok(len)
}

/// Decodes a message of type `M` from the start of `buf` (which may be longer than the
/// message). Checks the WSM length and the base id.
pub fn decode<'a, M: Message<'a>>(buf: &'a [u8]) -> Result<(Header, M), Error> {
    let (h, payload, _) = wsm_header::split(buf)?;
    if h.id.base() != M::ID {
        return Err(Error::UnexpectedId {
            expected: M::ID,
            found: h.id.base(),
        });
    }
    Ok((h, M::decode_payload(payload)?))
}

/// A WSM status code (docs/chip-protocol.md, "Status codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status(pub u32);

impl Status {
    /// Success.
    pub const SUCCESS: Status = Status(0);
    /// Generic failure.
    pub const FAILURE: Status = Status(1);
    /// Invalid parameter.
    pub const INVALID_PARAMETER: Status = Status(2);
    /// Access denied (wrong mode).
    pub const ACCESS_DENIED: Status = Status(3);
    /// Decryption failure (RX).
    pub const DECRYPT_FAILURE: Status = Status(4);
    /// MIC failure (RX).
    pub const MIC_FAILURE: Status = Status(5);
    /// Retry limit exceeded (TX).
    pub const RETRY_EXCEEDED: Status = Status(6);
    /// MSDU lifetime exceeded (TX).
    pub const TX_LIFETIME_EXCEEDED: Status = Status(7);
    /// Link lost.
    pub const LINK_LOST: Status = Status(8);
    /// No key found (RX).
    pub const NO_KEY_FOUND: Status = Status(9);
    /// Jammer detected (TX).
    pub const JAMMER_DETECTED: Status = Status(10);
    /// Frame to be requeued (TX only).
    pub const REQUEUE: Status = Status(11);

    /// Whether the status is success.
    pub const fn is_success(self) -> bool {
        self.0 == 0
    }
}

/// A MAC address.
pub type MacAddr = [u8; 6];
