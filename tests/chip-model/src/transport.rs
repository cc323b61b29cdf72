// SPDX-License-Identifier: GPL-2.0

//! The interface to the virtual SDIO host (`tests/vsdio/ABI.md`, which is authoritative).
//!
//! Every message in both directions is a 16-byte little-endian [`Header`] (`kind`, `arg0`,
//! `arg1`, `len`) followed by `len` payload bytes. The header, the kinds and the argument
//! codes are those of `tests/vsdio/abi_wire.rs`, the one definition the kernel side compiles
//! too. The host→model kinds are decoded into [`HostMsg`], the model→host kinds encoded from
//! [`ModelMsg`]. [`Transport`] hides whether the messages travel through `/dev/bes2600-vsdio`
//! ([`CharDev`]) or an in-process queue ([`FakeTransport`], for `cargo test`).

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

/// The wire format, shared with the virtual SDIO host's kernel side: one definition of the
/// header and the kinds of `tests/vsdio/ABI.md`.
#[path = "../../vsdio/abi_wire.rs"]
mod abi_wire;

pub use abi_wire::{
    bad_access, fault, from_model, rx_regs, to_model, Header, HEADER_LEN, MAX_MESSAGE, MAX_PAYLOAD,
    MAX_REG,
};

/// Path of the character device.
pub const DEVICE_PATH: &str = "/dev/bes2600-vsdio";

/// A host→model message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostMsg {
    /// `CMD53_WRITE`.
    Cmd53Write {
        /// The 17-bit address field exactly as sent.
        addr: u32,
        /// Block mode.
        block_mode: bool,
        /// Block count (0 in byte mode).
        blocks: u16,
        /// The data.
        data: Vec<u8>,
    },
    /// `CMD52_WRITE`.
    Cmd52Write {
        /// F1 register address.
        reg: u32,
        /// Value.
        value: u8,
    },
    /// `RX_CONSUMED`.
    RxConsumed {
        /// Address field of the CMD53 read.
        addr: u32,
        /// Bytes read.
        bytes: u32,
    },
    /// `BAD_ACCESS`.
    BadAccess {
        /// Address.
        addr: u32,
        /// Code (see [`bad_access`]).
        code: u32,
    },
    /// `CARD_RESET`.
    CardReset,
    /// `FUNC_ENABLE`.
    FuncEnable(bool),
}

/// A model→host message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelMsg {
    /// `RX_QUEUE`: the bytes of the next CMD53 read, the values of registers 0x000 and
    /// 0x001 while the item is at the head of the queue, and their values in the idle
    /// register file once a read consumed it (set by that read, in the same step).
    RxQueue {
        /// Register 0x000 while the item is the head.
        reg0: u8,
        /// Register 0x001 while the item is the head.
        reg1: u8,
        /// Register 0x000 once the item is consumed.
        idle0: u8,
        /// Register 0x001 once the item is consumed.
        idle1: u8,
        /// The item.
        data: Vec<u8>,
    },
    /// `SET_REG`.
    SetReg {
        /// Register address.
        reg: u32,
        /// Value.
        value: u8,
    },
    /// `IRQ`.
    Irq(bool),
    /// `FAULT`.
    Fault {
        /// Code (see [`fault`]).
        code: u32,
        /// Count.
        count: u32,
    },
    /// `TIMING`.
    Timing {
        /// Bytes per second (0 = no model).
        bytes_per_sec: u32,
        /// Fixed overhead per CMD53 in ns.
        overhead_ns: u32,
    },
    /// `CARD_PRESENT`.
    CardPresent(bool),
    /// `WRITE_DONE`: the model has processed the n-th `CMD53_WRITE` it read since it opened
    /// the device (the first is 1) and sent what it queued in answer.
    WriteDone(u32),
}

/// Why a message could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than its header or its `len`.
    Truncated,
    /// Unknown kind.
    UnknownKind(u32),
    /// Payload where none is allowed, or too long.
    BadLength(u32),
    /// An argument outside its range.
    BadArgument(u32),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated => write!(f, "truncated message"),
            DecodeError::UnknownKind(k) => write!(f, "unknown message kind {k:#x}"),
            DecodeError::BadLength(l) => write!(f, "bad payload length {l}"),
            DecodeError::BadArgument(a) => write!(f, "bad argument {a:#x}"),
        }
    }
}

/// The header and the payload buffer of a message of `kind` with `len` payload bytes.
fn header(kind: u32, arg0: u32, arg1: u32, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEADER_LEN + len);
    v.extend_from_slice(
        &Header {
            kind,
            arg0,
            arg1,
            len: len as u32,
        }
        .encode(),
    );
    v
}

/// Splits one whole ABI message into its header and payload.
fn split_frame(buf: &[u8]) -> Result<(Header, &[u8]), DecodeError> {
    let head: &[u8; HEADER_LEN] = buf
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(DecodeError::Truncated)?;
    let header = Header::decode(head);
    let payload = buf
        .get(HEADER_LEN..HEADER_LEN + header.len as usize)
        .ok_or(DecodeError::Truncated)?;
    Ok((header, payload))
}

impl HostMsg {
    /// Decodes one whole message.
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let (h, payload) = split_frame(buf)?;
        let (kind, arg0, arg1, len) = (h.kind, h.arg0, h.arg1, h.len);
        let no_payload = |m: HostMsg| {
            if len == 0 {
                Ok(m)
            } else {
                Err(DecodeError::BadLength(len))
            }
        };
        match kind {
            to_model::CMD53_WRITE => {
                if len as usize > MAX_PAYLOAD {
                    return Err(DecodeError::BadLength(len));
                }
                Ok(HostMsg::Cmd53Write {
                    addr: arg0 & 0x1_FFFF,
                    block_mode: arg1 & 1 != 0,
                    blocks: (arg1 >> 16) as u16,
                    data: payload.to_vec(),
                })
            }
            to_model::CMD52_WRITE => no_payload(HostMsg::Cmd52Write {
                reg: arg0,
                value: arg1 as u8,
            }),
            to_model::RX_CONSUMED => no_payload(HostMsg::RxConsumed {
                addr: arg0,
                bytes: arg1,
            }),
            to_model::BAD_ACCESS => no_payload(HostMsg::BadAccess {
                addr: arg0,
                code: arg1,
            }),
            to_model::CARD_RESET => no_payload(HostMsg::CardReset),
            to_model::FUNC_ENABLE => no_payload(HostMsg::FuncEnable(arg0 != 0)),
            other => Err(DecodeError::UnknownKind(other)),
        }
    }

    /// Encodes the message (what the host module sends; used by tests).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            HostMsg::Cmd53Write {
                addr,
                block_mode,
                blocks,
                data,
            } => {
                let arg1 = u32::from(*block_mode) | (u32::from(*blocks) << 16);
                let mut v = header(to_model::CMD53_WRITE, *addr, arg1, data.len());
                v.extend_from_slice(data);
                v
            }
            HostMsg::Cmd52Write { reg, value } => {
                header(to_model::CMD52_WRITE, *reg, u32::from(*value), 0)
            }
            HostMsg::RxConsumed { addr, bytes } => header(to_model::RX_CONSUMED, *addr, *bytes, 0),
            HostMsg::BadAccess { addr, code } => header(to_model::BAD_ACCESS, *addr, *code, 0),
            HostMsg::CardReset => header(to_model::CARD_RESET, 0, 0, 0),
            HostMsg::FuncEnable(on) => header(to_model::FUNC_ENABLE, u32::from(*on), 0, 0),
        }
    }
}

impl ModelMsg {
    /// Encodes the message.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            ModelMsg::RxQueue {
                reg0,
                reg1,
                idle0,
                idle1,
                data,
            } => {
                let mut v = header(
                    from_model::RX_QUEUE,
                    rx_regs::encode(*reg0, *idle0),
                    rx_regs::encode(*reg1, *idle1),
                    data.len(),
                );
                v.extend_from_slice(data);
                v
            }
            ModelMsg::SetReg { reg, value } => {
                header(from_model::SET_REG, *reg, u32::from(*value), 0)
            }
            ModelMsg::Irq(on) => header(from_model::IRQ, u32::from(*on), 0, 0),
            ModelMsg::Fault { code, count } => header(from_model::FAULT, *code, *count, 0),
            ModelMsg::Timing {
                bytes_per_sec,
                overhead_ns,
            } => header(from_model::TIMING, *bytes_per_sec, *overhead_ns, 0),
            ModelMsg::CardPresent(on) => header(from_model::CARD_PRESENT, u32::from(*on), 0, 0),
            ModelMsg::WriteDone(n) => header(from_model::WRITE_DONE, *n, 0, 0),
        }
    }

    /// Decodes a model→host message (for tests and the fake transport).
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let (h, payload) = split_frame(buf)?;
        let (kind, arg0, arg1) = (h.kind, h.arg0, h.arg1);
        Ok(match kind {
            from_model::RX_QUEUE => {
                let (reg0, idle0) = rx_regs::decode(arg0).ok_or(DecodeError::BadArgument(arg0))?;
                let (reg1, idle1) = rx_regs::decode(arg1).ok_or(DecodeError::BadArgument(arg1))?;
                ModelMsg::RxQueue {
                    reg0,
                    reg1,
                    idle0,
                    idle1,
                    data: payload.to_vec(),
                }
            }
            from_model::SET_REG => ModelMsg::SetReg {
                reg: arg0,
                value: arg1 as u8,
            },
            from_model::IRQ => ModelMsg::Irq(arg0 != 0),
            from_model::FAULT => ModelMsg::Fault {
                code: arg0,
                count: arg1,
            },
            from_model::TIMING => ModelMsg::Timing {
                bytes_per_sec: arg0,
                overhead_ns: arg1,
            },
            from_model::CARD_PRESENT => ModelMsg::CardPresent(arg0 != 0),
            from_model::WRITE_DONE => ModelMsg::WriteDone(arg0),
            other => return Err(DecodeError::UnknownKind(other)),
        })
    }
}

/// Where host messages come from and model messages go.
pub trait Transport {
    /// The next host message, or `None` when none is queued right now.
    fn recv(&mut self) -> io::Result<Option<HostMsg>>;
    /// Sends one model message.
    fn send(&mut self, msg: &ModelMsg) -> io::Result<()>;
    /// A file descriptor that polls readable when a message is queued (`None` for
    /// in-process transports).
    fn poll_fd(&self) -> Option<RawFd>;
}

/// The character device `/dev/bes2600-vsdio`, opened non-blocking.
#[derive(Debug)]
pub struct CharDev {
    file: std::fs::File,
    buf: Vec<u8>,
}

impl CharDev {
    /// Opens the device.
    pub fn open(path: &str) -> io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        Ok(Self {
            file,
            buf: vec![0; MAX_MESSAGE],
        })
    }
}

impl Transport for CharDev {
    fn recv(&mut self) -> io::Result<Option<HostMsg>> {
        use std::io::Read;
        loop {
            match self.file.read(&mut self.buf) {
                Ok(0) => return Ok(None),
                Ok(n) => {
                    let slice = self.buf.get(..n).unwrap_or(&[]);
                    return HostMsg::decode(slice)
                        .map(Some)
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn send(&mut self, msg: &ModelMsg) -> io::Result<()> {
        use std::io::Write;
        let bytes = msg.encode();
        loop {
            match self.file.write(&bytes) {
                Ok(n) if n == bytes.len() => return Ok(()),
                Ok(n) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        format!("short write {n} of {}", bytes.len()),
                    ))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn poll_fd(&self) -> Option<RawFd> {
        Some(self.file.as_raw_fd())
    }
}

/// An in-process transport: tests push host messages and inspect what the model sent,
/// both as encoded bytes so the codec is exercised too.
#[derive(Debug, Default)]
pub struct FakeTransport {
    /// Encoded host→model messages waiting to be received.
    pub to_model: VecDeque<Vec<u8>>,
    /// Encoded model→host messages, in order.
    pub from_model: VecDeque<Vec<u8>>,
}

impl FakeTransport {
    /// Queues a host message.
    pub fn push(&mut self, msg: &HostMsg) {
        self.to_model.push_back(msg.encode());
    }

    /// Takes every model message sent so far, decoded.
    pub fn take(&mut self) -> Vec<ModelMsg> {
        self.from_model
            .drain(..)
            .filter_map(|b| ModelMsg::decode(&b).ok())
            .collect()
    }
}

impl Transport for FakeTransport {
    fn recv(&mut self) -> io::Result<Option<HostMsg>> {
        match self.to_model.pop_front() {
            Some(b) => HostMsg::decode(&b)
                .map(Some)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
            None => Ok(None),
        }
    }

    fn send(&mut self, msg: &ModelMsg) -> io::Result<()> {
        self.from_model.push_back(msg.encode());
        Ok(())
    }

    fn poll_fd(&self) -> Option<RawFd> {
        None
    }
}
