// SPDX-License-Identifier: GPL-2.0

//! The interface to the virtual SDIO host (`tests/vsdio/ABI.md`, which is authoritative).
//!
//! Every message in both directions is a 16-byte little-endian header (`kind`, `arg0`,
//! `arg1`, `len`) followed by `len` payload bytes. The host→model kinds are decoded into
//! [`HostMsg`], the model→host kinds encoded from [`ModelMsg`]. [`Transport`] hides whether
//! the messages travel through `/dev/bes2600-vsdio` ([`CharDev`]) or an in-process queue
//! ([`FakeTransport`], for `cargo test`).

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

/// Length of the message header.
pub const HEADER_LEN: usize = 16;

/// Largest payload of one message.
pub const MAX_PAYLOAD: usize = 65536;

/// Path of the character device.
pub const DEVICE_PATH: &str = "/dev/bes2600-vsdio";

/// Host→model kinds.
pub mod kind {
    /// A CMD53 write, with its data.
    pub const CMD53_WRITE: u32 = 1;
    /// A CMD52 write of an F1 register.
    pub const CMD52_WRITE: u32 = 2;
    /// The host read (part of) the head RX item.
    pub const RX_CONSUMED: u32 = 3;
    /// An access the host could not serve.
    pub const BAD_ACCESS: u32 = 4;
    /// The host (re)initialised the card.
    pub const CARD_RESET: u32 = 5;
    /// Function 1 enabled or disabled.
    pub const FUNC_ENABLE: u32 = 6;

    /// Model→host: queue an RX item.
    pub const RX_QUEUE: u32 = 0x81;
    /// Model→host: set an idle register.
    pub const SET_REG: u32 = 0x82;
    /// Model→host: raise or clear the card interrupt.
    pub const IRQ: u32 = 0x83;
    /// Model→host: inject a bus fault.
    pub const FAULT: u32 = 0x84;
    /// Model→host: bus timing model.
    pub const TIMING: u32 = 0x85;
    /// Model→host: card insertion / removal.
    pub const CARD_PRESENT: u32 = 0x86;
}

/// `BAD_ACCESS` codes.
pub mod bad_access {
    /// CMD53 read with nothing queued.
    pub const READ_EMPTY: u32 = 1;
    /// CMD53 read longer than the queued item.
    pub const READ_TOO_LONG: u32 = 2;
    /// CMD52 to an unmapped F1 register.
    pub const UNMAPPED_REGISTER: u32 = 3;
    /// Access to a disabled function.
    pub const FUNCTION_DISABLED: u32 = 4;
}

/// `FAULT` codes.
pub mod fault {
    /// Fail the next N CMD53s with -EIO.
    pub const CMD53_EIO: u32 = 1;
    /// Fail the next N CMD52s with -ETIMEDOUT.
    pub const CMD52_TIMEOUT: u32 = 2;
    /// Raise N interrupts with nothing queued.
    pub const IRQ_STORM: u32 = 3;
}

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
    /// `RX_QUEUE`: the bytes of the next CMD53 read and the values of registers 0x000 and
    /// 0x001 while the item is at the head of the queue.
    RxQueue {
        /// Register 0x000.
        reg0: u8,
        /// Register 0x001.
        reg1: u8,
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
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated => write!(f, "truncated message"),
            DecodeError::UnknownKind(k) => write!(f, "unknown message kind {k:#x}"),
            DecodeError::BadLength(l) => write!(f, "bad payload length {l}"),
        }
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        w.copy_from_slice(s);
    }
    u32::from_le_bytes(w)
}

fn header(kind: u32, arg0: u32, arg1: u32, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEADER_LEN + len);
    v.extend_from_slice(&kind.to_le_bytes());
    v.extend_from_slice(&arg0.to_le_bytes());
    v.extend_from_slice(&arg1.to_le_bytes());
    v.extend_from_slice(&(len as u32).to_le_bytes());
    v
}

/// Splits one whole ABI message into its header fields (kind, arg0, arg1, len) and payload.
fn split_frame(buf: &[u8]) -> Result<(u32, u32, u32, u32, &[u8]), DecodeError> {
    if buf.len() < HEADER_LEN {
        return Err(DecodeError::Truncated);
    }
    let len = u32_at(buf, 12);
    let payload = buf
        .get(HEADER_LEN..HEADER_LEN + len as usize)
        .ok_or(DecodeError::Truncated)?;
    Ok((u32_at(buf, 0), u32_at(buf, 4), u32_at(buf, 8), len, payload))
}

impl HostMsg {
    /// Decodes one whole message.
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let (kind, arg0, arg1, len, payload) = split_frame(buf)?;
        let no_payload = |m: HostMsg| {
            if len == 0 {
                Ok(m)
            } else {
                Err(DecodeError::BadLength(len))
            }
        };
        match kind {
            kind::CMD53_WRITE => {
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
            kind::CMD52_WRITE => no_payload(HostMsg::Cmd52Write {
                reg: arg0,
                value: arg1 as u8,
            }),
            kind::RX_CONSUMED => no_payload(HostMsg::RxConsumed {
                addr: arg0,
                bytes: arg1,
            }),
            kind::BAD_ACCESS => no_payload(HostMsg::BadAccess {
                addr: arg0,
                code: arg1,
            }),
            kind::CARD_RESET => no_payload(HostMsg::CardReset),
            kind::FUNC_ENABLE => no_payload(HostMsg::FuncEnable(arg0 != 0)),
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
                let mut v = header(kind::CMD53_WRITE, *addr, arg1, data.len());
                v.extend_from_slice(data);
                v
            }
            HostMsg::Cmd52Write { reg, value } => {
                header(kind::CMD52_WRITE, *reg, u32::from(*value), 0)
            }
            HostMsg::RxConsumed { addr, bytes } => header(kind::RX_CONSUMED, *addr, *bytes, 0),
            HostMsg::BadAccess { addr, code } => header(kind::BAD_ACCESS, *addr, *code, 0),
            HostMsg::CardReset => header(kind::CARD_RESET, 0, 0, 0),
            HostMsg::FuncEnable(on) => header(kind::FUNC_ENABLE, u32::from(*on), 0, 0),
        }
    }
}

impl ModelMsg {
    /// Encodes the message.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            ModelMsg::RxQueue { reg0, reg1, data } => {
                let mut v = header(
                    kind::RX_QUEUE,
                    u32::from(*reg0),
                    u32::from(*reg1),
                    data.len(),
                );
                v.extend_from_slice(data);
                v
            }
            ModelMsg::SetReg { reg, value } => header(kind::SET_REG, *reg, u32::from(*value), 0),
            ModelMsg::Irq(on) => header(kind::IRQ, u32::from(*on), 0, 0),
            ModelMsg::Fault { code, count } => header(kind::FAULT, *code, *count, 0),
            ModelMsg::Timing {
                bytes_per_sec,
                overhead_ns,
            } => header(kind::TIMING, *bytes_per_sec, *overhead_ns, 0),
            ModelMsg::CardPresent(on) => header(kind::CARD_PRESENT, u32::from(*on), 0, 0),
        }
    }

    /// Decodes a model→host message (for tests and the fake transport).
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let (kind, arg0, arg1, _, payload) = split_frame(buf)?;
        Ok(match kind {
            kind::RX_QUEUE => ModelMsg::RxQueue {
                reg0: arg0 as u8,
                reg1: arg1 as u8,
                data: payload.to_vec(),
            },
            kind::SET_REG => ModelMsg::SetReg {
                reg: arg0,
                value: arg1 as u8,
            },
            kind::IRQ => ModelMsg::Irq(arg0 != 0),
            kind::FAULT => ModelMsg::Fault {
                code: arg0,
                count: arg1,
            },
            kind::TIMING => ModelMsg::Timing {
                bytes_per_sec: arg0,
                overhead_ns: arg1,
            },
            kind::CARD_PRESENT => ModelMsg::CardPresent(arg0 != 0),
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
            buf: vec![0; HEADER_LEN + MAX_PAYLOAD],
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
