// SPDX-License-Identifier: GPL-2.0

//! The error type shared by every encoder, decoder and state machine of the protocol core.
//!
//! Nothing in this crate panics on malformed input: every decoder walks its input with
//! bounds-checked reads and reports what went wrong through [`Error`]. The variants carry
//! enough context (offsets, lengths, the offending value) for a useful kernel log line.

use core::fmt;

use super::wsm_seq::Channel;

/// Everything that can go wrong while encoding, decoding or accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Input ended before a field could be read.
    Truncated {
        /// Offset (inside the structure being decoded) of the read that failed.
        offset: usize,
        /// Bytes the read needed.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// An output buffer is too small for what has to be written into it.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// A length field disagrees with the data around it (a WSM header shorter than itself,
    /// a message longer than its buffer, a boot frame length that is not the expected one).
    BadLength {
        /// The length that was found.
        len: usize,
        /// What the length was checked against.
        limit: usize,
    },
    /// A message carries another id than the decoder expected.
    UnexpectedId {
        /// The id the decoder handles (base id: number and class bits).
        expected: u16,
        /// The base id found on the wire.
        found: u16,
    },
    /// A field holds a value outside its defined range.
    InvalidField {
        /// Name of the field.
        field: &'static str,
        /// The value found (widened).
        value: u32,
    },
    /// A list has more entries than the wire format (or this implementation) allows.
    TooMany {
        /// Name of the list.
        field: &'static str,
        /// Entries requested or found.
        count: usize,
        /// Largest allowed count.
        max: usize,
    },
    /// An RX batch announced by the length register is larger than the buffer it was read
    /// into, or is empty.
    BatchLength {
        /// Bytes announced by the device.
        announced: usize,
        /// Bytes actually available.
        buffer: usize,
    },
    /// A message inside an RX or TX batch runs past the end of the batch.
    MessageOverrun {
        /// Index of the message in the batch.
        index: usize,
        /// Offset of the message in the batch.
        offset: usize,
        /// Its 4-aligned length.
        len: usize,
        /// Length of the batch.
        batch: usize,
    },
    /// A message (other than the first one of an RX batch) is longer than the 1632-byte
    /// slot limit, or a TX message does not fit the largest slot.
    MessageTooLarge {
        /// Index of the message in the batch.
        index: usize,
        /// Its length in bytes (4-aligned, including the TX trailer where relevant).
        len: usize,
    },
    /// The batch already holds the maximum number of messages.
    BatchFull {
        /// The maximum number of messages per batch.
        max: usize,
    },
    /// A TX message needs another slot size than the messages already in the batch; the
    /// batch has to be sent first.
    SlotMismatch {
        /// Slot size of the batch in bytes.
        batch: usize,
        /// Slot size the new message needs in bytes.
        message: usize,
    },
    /// A 0x0Cxx (MCU channel) message must travel alone in its TX batch.
    McuMessageNotAlone,
    /// A boot-ROM reply reports failure or does not answer the request it should.
    BootReply {
        /// Frame type found (0xB0 expected).
        frame_type: u8,
        /// Sequence number found.
        seq: u8,
        /// Sequence number expected.
        expected_seq: u8,
        /// Status word (0 = success).
        status: u32,
    },
    /// A message arrived with another sequence number than expected on its channel.
    Sequence {
        /// The sequence channel.
        channel: Channel,
        /// The expected sequence number.
        expected: u8,
        /// The sequence number found.
        found: u8,
    },
    /// Flow control refused an operation.
    Flow(FlowError),
}

/// Reasons for which the flow-control state (`flow::FlowControl`) refuses an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowError {
    /// The startup indication has not been processed yet: capacity is unknown.
    NotStarted,
    /// The startup indication was already processed.
    AlreadyStarted,
    /// Every device input buffer is in use.
    NoBuffer,
    /// Data frames may use at most capacity − 1 buffers (one stays reserved for commands).
    DataLimit,
    /// A command is already waiting for its confirm; only one may be outstanding.
    CommandPending,
    /// A confirm arrived that does not answer the outstanding command (or none is
    /// outstanding).
    UnexpectedConfirm {
        /// Base id of the confirm.
        confirm: u16,
        /// Base id of the outstanding command, if any.
        pending: Option<u16>,
    },
    /// A confirm would release more buffers than are in use.
    Underflow {
        /// Buffers in use.
        in_use: u16,
        /// Buffers the confirm releases.
        release: u16,
    },
    /// A TX confirm names an interface that has no frames in flight.
    VifUnderflow {
        /// Interface id taken from the packet id.
        if_id: u8,
    },
    /// An interface id outside 0..=2.
    BadInterface {
        /// The interface id.
        if_id: u8,
    },
    /// The message given for admission is not a host→device request.
    NotARequest {
        /// Its base id.
        id: u16,
    },
}

impl From<FlowError> for Error {
    fn from(e: FlowError) -> Self {
        Error::Flow(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Truncated {
                offset,
                needed,
                available,
            } => write!(
                f,
                "truncated input: {needed} bytes needed at offset {offset}, {available} left"
            ),
            Error::BufferTooSmall { needed, available } => {
                write!(f, "buffer too small: {needed} bytes needed, {available} available")
            }
            Error::BadLength { len, limit } => write!(f, "bad length {len} (limit {limit})"),
            Error::UnexpectedId { expected, found } => {
                write!(f, "unexpected message id {found:#06x} (expected {expected:#06x})")
            }
            Error::InvalidField { field, value } => {
                write!(f, "invalid value {value:#x} in field {field}")
            }
            Error::TooMany { field, count, max } => {
                write!(f, "{count} entries in {field}, at most {max} allowed")
            }
            Error::BatchLength { announced, buffer } => write!(
                f,
                "batch of {announced} bytes announced, {buffer} bytes available"
            ),
            Error::MessageOverrun {
                index,
                offset,
                len,
                batch,
            } => write!(
                f,
                "message {index} at offset {offset} ({len} bytes) overruns the {batch}-byte batch"
            ),
            Error::MessageTooLarge { index, len } => {
                write!(f, "message {index} of {len} bytes exceeds the 1632-byte slot")
            }
            Error::BatchFull { max } => write!(f, "batch already holds {max} messages"),
            Error::SlotMismatch { batch, message } => write!(
                f,
                "message needs a {message}-byte slot, batch uses {batch}-byte slots"
            ),
            Error::McuMessageNotAlone => write!(f, "MCU-channel message must be sent alone"),
            Error::BootReply {
                frame_type,
                seq,
                expected_seq,
                status,
            } => write!(
                f,
                "boot reply type {frame_type:#04x} seq {seq} (expected {expected_seq}) status {status:#x}"
            ),
            Error::Sequence {
                channel,
                expected,
                found,
            } => write!(
                f,
                "sequence error on {channel:?} channel: got {found}, expected {expected}"
            ),
            Error::Flow(e) => write!(f, "flow control: {e}"),
        }
    }
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FlowError::NotStarted => write!(f, "firmware not started"),
            FlowError::AlreadyStarted => write!(f, "firmware already started"),
            FlowError::NoBuffer => write!(f, "no device buffer free"),
            FlowError::DataLimit => write!(f, "data may not use the command buffer"),
            FlowError::CommandPending => write!(f, "a command is already outstanding"),
            FlowError::UnexpectedConfirm { confirm, pending } => match pending {
                Some(p) => write!(f, "confirm {confirm:#06x} while {p:#06x} is pending"),
                None => write!(f, "confirm {confirm:#06x} with no command pending"),
            },
            FlowError::Underflow { in_use, release } => {
                write!(f, "release of {release} buffers with {in_use} in use")
            }
            FlowError::VifUnderflow { if_id } => {
                write!(f, "TX confirm for interface {if_id} with nothing in flight")
            }
            FlowError::BadInterface { if_id } => write!(f, "bad interface id {if_id}"),
            FlowError::NotARequest { id } => write!(f, "id {id:#06x} is not a request"),
        }
    }
}
