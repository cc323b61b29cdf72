// SPDX-License-Identifier: GPL-2.0

//! The boot-ROM download protocol (docs/chip-protocol.md, "Boot").
//!
//! Frames start with a 4-byte header: u8 type, u8 sequence, u16 LE payload length.
//!
//! | Type | Name          | Direction   | Payload                                   |
//! |------|---------------|-------------|-------------------------------------------|
//! | 0xB0 | reply         | device→host | u32 status (0 = ok); header len 4         |
//! | 0xB1 | download info | host→device | u32 total length, u32 destination address |
//! | 0xB2 | download data | host→device | u32 chunk address, data bytes             |
//! | 0xB3 | download end  | host→device | u32 CRC-32 of the whole payload           |
//! | 0xB4 | run code      | host→device | u32 run address                           |
//!
//! The host pads every request to at least 512 bytes (the transfer length, which is also
//! the CMD53 address field, no toggle bit during boot). The sequence number is a u8 that
//! starts at 0 per download and increases per request (wrapping); each reply echoes it.
//! Before every request the host reads the largest message the device accepts (M, u16 at
//! registers 0x109..0x10A): INFO needs M > 12; each DATA frame carries
//! min(remaining, M − 8) bytes, and M must be a multiple of 4. [`Downloader`] drives the
//! whole INFO / DATA… / END / RUN sequence.

use super::codec::{
    Reader,
    Writer, //
};
use super::crc32::crc32;
use super::error::Error;

/// Frame header length.
pub const HEADER_LEN: usize = 4;

/// Every host→device boot transfer is at least this long (zero padded).
pub const MIN_TRANSFER: usize = 512;

/// Length of a reply frame.
pub const REPLY_LEN: usize = 8;

/// Bytes of a DATA frame that are not data (header and address).
pub const DATA_OVERHEAD: usize = 8;

/// Frame types.
pub mod frame_type {
    /// Reply.
    pub const REPLY: u8 = 0xB0;
    /// Download info.
    pub const INFO: u8 = 0xB1;
    /// Download data.
    pub const DATA: u8 = 0xB2;
    /// Download end.
    pub const END: u8 = 0xB3;
    /// Run code.
    pub const RUN: u8 = 0xB4;
}

/// Where the factory calibration blob is written.
pub const FACTORY_ADDR: u32 = 0x2008_B000;

/// Length of the factory calibration blob.
pub const FACTORY_LEN: usize = 72;

/// Where cached DPD calibration data is written before the main firmware.
pub const DPD_ADDR: u32 = 0x2008_C000;

/// Length of the DPD data read from the device after the calibration image ran.
pub const DPD_LEN: usize = 0x3B14;

/// Offset of the DPD version word.
pub const DPD_VERSION_OFFSET: usize = 0x3AF4;

/// The two register writes the vendor driver performs through the loader before any
/// download (purpose undocumented): (address, value).
pub const PRE_DOWNLOAD_POKES: [(u32, u32); 2] =
    [(0x4010_0000, 0x0080_2006), (0x4008_602C, 0x3E00_C000)];

/// Firmware file names, relative to the firmware search path.
pub mod file {
    /// Calibration ("boot") image producing the DPD data.
    pub const CALIBRATION: &str = "bes2600/best2002_fw_boot_sdio.bin";
    /// Normal WiFi firmware.
    pub const WIFI: &str = "bes2600/best2002_fw_sdio.bin";
    /// RF-test ("non-signalling") firmware.
    pub const WIFI_NOSIGNAL: &str = "bes2600/best2002_fw_sdio_nosignal.bin";
    /// BT RF-test firmware.
    pub const BT_RF: &str = "bes2600/best2002_fw_sdio_btrf.bin";
}

/// A host→device boot request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootRequest<'a> {
    /// 0xB1: announces a download.
    Info {
        /// Total payload length.
        total_len: u32,
        /// Destination address.
        addr: u32,
    },
    /// 0xB2: one chunk.
    Data {
        /// Destination address of this chunk.
        addr: u32,
        /// Chunk bytes.
        data: &'a [u8],
    },
    /// 0xB3: ends a download.
    End {
        /// CRC-32 of the whole payload.
        crc: u32,
    },
    /// 0xB4: jumps to the code.
    Run {
        /// Run address.
        addr: u32,
    },
}

impl<'a> BootRequest<'a> {
    /// Frame type byte.
    pub const fn frame_type(&self) -> u8 {
        match self {
            BootRequest::Info { .. } => frame_type::INFO,
            BootRequest::Data { .. } => frame_type::DATA,
            BootRequest::End { .. } => frame_type::END,
            BootRequest::Run { .. } => frame_type::RUN,
        }
    }

    /// Payload length (the header's length field).
    pub const fn payload_len(&self) -> usize {
        match self {
            BootRequest::Info { .. } => 8,
            BootRequest::Data { data, .. } => 4 + data.len(),
            BootRequest::End { .. } | BootRequest::Run { .. } => 4,
        }
    }

    /// Frame length (header + payload).
    pub const fn frame_len(&self) -> usize {
        HEADER_LEN + self.payload_len()
    }

    /// Transfer length: the frame padded to at least 512 bytes.
    pub const fn transfer_len(&self) -> usize {
        let l = self.frame_len();
        if l < MIN_TRANSFER {
            MIN_TRANSFER
        } else {
            l
        }
    }

    /// Writes the frame with sequence `seq`, zero padded to [`Self::transfer_len`], and
    /// returns the transfer length.
    pub fn encode(&self, seq: u8, out: &mut [u8]) -> Result<usize, Error> {
        let payload_len = u16::try_from(self.payload_len()).map_err(|_| Error::BadLength {
            len: self.payload_len(),
            limit: usize::from(u16::MAX),
        })?;
        let total = self.transfer_len();
        let mut w = Writer::new(out);
        w.u8(self.frame_type())?;
        w.u8(seq)?;
        w.u16(payload_len)?;
        match *self {
            BootRequest::Info { total_len, addr } => {
                w.u32(total_len)?;
                w.u32(addr)?;
            }
            BootRequest::Data { addr, data } => {
                w.u32(addr)?;
                w.bytes(data)?;
            }
            BootRequest::End { crc } => w.u32(crc)?,
            BootRequest::Run { addr } => w.u32(addr)?,
        }
        w.zeros(total.saturating_sub(w.position()))?;
        Ok(total)
    }

    /// Decodes a request (for the emulated boot ROM); returns its sequence number.
    /// Checks the type and that the length field matches the type and the buffer.
    pub fn decode(buf: &'a [u8]) -> Result<(u8, Self), Error> {
        let mut r = Reader::new(buf);
        let ty = r.u8()?;
        let seq = r.u8()?;
        let len = usize::from(r.u16()?);
        let mut p = Reader::new(r.bytes(len)?);
        let expect = |want: usize| {
            if len == want {
                Ok(())
            } else {
                Err(Error::BadLength { len, limit: want })
            }
        };
        let req = match ty {
            frame_type::INFO => {
                expect(8)?;
                BootRequest::Info {
                    total_len: p.u32()?,
                    addr: p.u32()?,
                }
            }
            frame_type::DATA => BootRequest::Data {
                addr: p.u32()?,
                data: p.take_rest(),
            },
            frame_type::END => {
                expect(4)?;
                BootRequest::End { crc: p.u32()? }
            }
            frame_type::RUN => {
                expect(4)?;
                BootRequest::Run { addr: p.u32()? }
            }
            other => {
                return Err(Error::InvalidField {
                    field: "boot frame type",
                    value: u32::from(other),
                })
            }
        };
        Ok((seq, req))
    }
}

/// A boot reply frame as read (8 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootReply {
    /// Frame type (0xB0 expected).
    pub frame_type: u8,
    /// Sequence number (echo of the request).
    pub seq: u8,
    /// Payload length (4 expected).
    pub len: u16,
    /// Status (0 = success).
    pub status: u32,
}

impl BootReply {
    /// A success reply to request `seq`.
    pub const fn ok(seq: u8) -> Self {
        Self {
            frame_type: frame_type::REPLY,
            seq,
            len: 4,
            status: 0,
        }
    }

    /// Reads the 8 reply bytes.
    pub fn parse(buf: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(buf);
        Ok(Self {
            frame_type: r.u8()?,
            seq: r.u8()?,
            len: r.u16()?,
            status: r.u32()?,
        })
    }

    /// Writes the 8 reply bytes.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let mut w = Writer::new(out);
        w.u8(self.frame_type)?;
        w.u8(self.seq)?;
        w.u16(self.len)?;
        w.u32(self.status)?;
        Ok(REPLY_LEN)
    }

    /// The vendor's reply check: type 0xB0, sequence = `expected_seq`, length 4,
    /// status 0.
    pub fn check(&self, expected_seq: u8) -> Result<(), Error> {
        if self.frame_type != frame_type::REPLY
            || self.seq != expected_seq
            || self.len != 4
            || self.status != 0
        {
            return Err(Error::BootReply {
                frame_type: self.frame_type,
                seq: self.seq,
                expected_seq,
                status: self.status,
            });
        }
        Ok(())
    }
}

/// Data bytes per DATA frame for a device limit of `max_msg_len` (register 0x109): the
/// limit must be a multiple of 4 and leave room for at least one data byte
/// (so ≥ 12; the vendor only checks "≥ 4 and multiple of 4", which lets M = 4 underflow
/// and M = 8 loop forever).
pub fn data_chunk_len(max_msg_len: u16) -> Result<usize, Error> {
    let m = usize::from(max_msg_len);
    if m % 4 != 0 || m < DATA_OVERHEAD + 4 {
        return Err(Error::InvalidField {
            field: "boot max message length",
            value: u32::from(max_msg_len),
        });
    }
    Ok(m - DATA_OVERHEAD)
}

/// A parsed firmware file (docs/chip-protocol.md, "Image files").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareImage<'a> {
    /// Entry point (word 0).
    pub entry: u32,
    /// Parameter (word 1).
    pub param: u32,
    /// Initial stack pointer (word 2).
    pub sp: u32,
    /// Load address from the header (word 3).
    pub header_addr: u32,
    /// Load address from the last 4 bytes of the file.
    pub trailer_addr: u32,
    /// The payload sent to the device: the file without its last 4 bytes.
    pub payload: &'a [u8],
}

impl<'a> FirmwareImage<'a> {
    /// Parses a firmware file (at least 20 bytes: 16-byte header, 4-byte trailer).
    pub fn parse(file: &'a [u8]) -> Result<Self, Error> {
        let split = file
            .len()
            .checked_sub(4)
            .filter(|&s| s >= 16)
            .ok_or(Error::Truncated {
                offset: 0,
                needed: 20,
                available: file.len(),
            })?;
        let (payload, trailer) = file.split_at_checked(split).ok_or(Error::Truncated {
            offset: 0,
            needed: 20,
            available: file.len(),
        })?;
        let mut r = Reader::new(payload);
        Ok(Self {
            entry: r.u32()?,
            param: r.u32()?,
            sp: r.u32()?,
            header_addr: r.u32()?,
            trailer_addr: Reader::new(trailer).u32()?,
            payload,
        })
    }

    /// The load (and run) address: the header's, unless it is 0 or differs from a
    /// non-zero trailer value, in which case the trailer's.
    pub const fn load_addr(&self) -> u32 {
        if self.header_addr == 0
            || (self.trailer_addr != 0 && self.trailer_addr != self.header_addr)
        {
            self.trailer_addr
        } else {
            self.header_addr
        }
    }

    /// CRC-32 of the payload.
    pub fn crc(&self) -> u32 {
        crc32(self.payload)
    }

    /// The version text the image carries, for the log: see [`version_string`].
    pub fn version(&self) -> Option<&'a str> {
        version_string(self.payload)
    }
}

/// The month abbreviations of a C `__DATE__`.
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Length of a C `__DATE__` ("Mmm dd yyyy", the day padded with a space).
const DATE_LEN: usize = 11;

/// Printable characters kept on each side of the date in [`version_string`].
pub const VERSION_CONTEXT: usize = 48;

/// Whether `w` is a C `__DATE__`: "Mmm dd yyyy" with an English month abbreviation.
fn is_build_date(w: &[u8]) -> bool {
    let &[m0, m1, m2, b' ', d0, d1, b' ', y0, y1, y2, y3] = w else {
        return false;
    };
    MONTHS.contains(&&[m0, m1, m2])
        && (d0 == b' ' || d0.is_ascii_digit())
        && d1.is_ascii_digit()
        && [y0, y1, y2, y3].iter().all(u8::is_ascii_digit)
}

/// Whether `b` is printable ASCII (space included).
const fn is_printable(b: u8) -> bool {
    matches!(b, b' '..=b'~')
}

/// The version text of a firmware image, for the log (docs/chip-protocol.md, "Image files": the
/// vendor scans backwards from the end for an English month abbreviation). Here: the last build
/// date ("Mmm dd yyyy") in `payload`, with the printable text around it (at most
/// [`VERSION_CONTEXT`] characters on each side), trimmed. Informational only.
pub fn version_string(payload: &[u8]) -> Option<&str> {
    let at = (0..=payload.len().checked_sub(DATE_LEN)?)
        .rev()
        .find(|&i| payload.get(i..i + DATE_LEN).is_some_and(is_build_date))?;
    let before = payload.get(..at)?;
    let start = at
        - before
            .iter()
            .rev()
            .take(VERSION_CONTEXT)
            .take_while(|&&b| is_printable(b))
            .count();
    let after = payload.get(at + DATE_LEN..)?;
    let end = at
        + DATE_LEN
        + after
            .iter()
            .take(VERSION_CONTEXT)
            .take_while(|&&b| is_printable(b))
            .count();
    core::str::from_utf8(payload.get(start..end)?)
        .ok()
        .map(str::trim)
}

/// Checks DPD calibration data read from the device: at least [`DPD_LEN`] bytes, u32
/// CRC-32 at offset 0 over bytes 4..[`DPD_LEN`]. Returns the version word.
pub fn check_dpd(blob: &[u8]) -> Result<u32, Error> {
    let data = blob.get(..DPD_LEN).ok_or(Error::Truncated {
        offset: 0,
        needed: DPD_LEN,
        available: blob.len(),
    })?;
    let mut r = Reader::new(data);
    let stored = r.u32()?;
    let actual = crc32(r.rest());
    if stored != actual {
        return Err(Error::InvalidField {
            field: "dpd crc",
            value: stored,
        });
    }
    let mut v = Reader::new(data.get(DPD_VERSION_OFFSET..).unwrap_or(&[]));
    v.u32()
}

/// Where a [`Downloader`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The INFO frame is next.
    Info,
    /// DATA frames are next (or END, when all data is acknowledged).
    Data,
    /// The END frame is next.
    End,
    /// The RUN frame is next.
    Run,
    /// Finished.
    Done,
}

/// Drives one download: INFO, DATA…, END and (optionally) RUN, one request and one
/// reply at a time.
#[derive(Debug)]
pub struct Downloader<'a> {
    payload: &'a [u8],
    addr: u32,
    crc: u32,
    run: bool,
    stage: Stage,
    offset: usize,
    seq: u8,
    outstanding: Option<(u8, usize)>,
}

impl<'a> Downloader<'a> {
    /// A download of `payload` to `addr`; `run` adds the RUN frame.
    pub fn new(payload: &'a [u8], addr: u32, run: bool) -> Self {
        Self {
            payload,
            addr,
            crc: crc32(payload),
            run,
            stage: Stage::Info,
            offset: 0,
            seq: 0,
            outstanding: None,
        }
    }

    /// A download of a firmware image to its load address, with RUN.
    pub fn for_image(image: &FirmwareImage<'a>) -> Self {
        Self::new(image.payload, image.load_addr(), true)
    }

    /// Current stage.
    pub const fn stage(&self) -> Stage {
        self.stage
    }

    /// Whether every frame was sent and acknowledged.
    pub const fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// Acknowledged data bytes and total.
    pub const fn progress(&self) -> (usize, usize) {
        (self.offset, self.payload.len())
    }

    /// CRC-32 sent in the END frame.
    pub const fn crc(&self) -> u32 {
        self.crc
    }

    /// The next request, given the device limit `max_msg_len` just read from register
    /// 0x109. `None` when done. A reply to the previous request must have been accepted
    /// with [`Self::on_reply`] first.
    pub fn next_request(
        &mut self,
        max_msg_len: u16,
    ) -> Result<Option<(u8, BootRequest<'a>)>, Error> {
        if self.outstanding.is_some() {
            return Err(Error::InvalidField {
                field: "boot reply outstanding",
                value: u32::from(self.seq),
            });
        }
        let (req, data_len) = match self.stage {
            Stage::Done => return Ok(None),
            Stage::Info => {
                if usize::from(max_msg_len) <= HEADER_LEN + 8 {
                    return Err(Error::InvalidField {
                        field: "boot max message length",
                        value: u32::from(max_msg_len),
                    });
                }
                let total_len =
                    u32::try_from(self.payload.len()).map_err(|_| Error::BadLength {
                        len: self.payload.len(),
                        limit: u32::MAX as usize,
                    })?;
                (
                    BootRequest::Info {
                        total_len,
                        addr: self.addr,
                    },
                    0,
                )
            }
            Stage::Data => {
                let rest = self.payload.get(self.offset..).unwrap_or(&[]);
                let n = rest.len().min(data_chunk_len(max_msg_len)?);
                let addr = u32::try_from(self.offset)
                    .ok()
                    .and_then(|o| self.addr.checked_add(o))
                    .ok_or(Error::InvalidField {
                        field: "boot chunk address",
                        value: self.addr,
                    })?;
                (
                    BootRequest::Data {
                        addr,
                        data: rest.get(..n).unwrap_or(&[]),
                    },
                    n,
                )
            }
            Stage::End => (BootRequest::End { crc: self.crc }, 0),
            Stage::Run => (BootRequest::Run { addr: self.addr }, 0),
        };
        let seq = self.seq;
        self.outstanding = Some((seq, data_len));
        // The frame sequence number is a u8 defined to wrap.
        self.seq = self.seq.wrapping_add(1);
        Ok(Some((seq, req)))
    }

    /// Accepts the reply to the outstanding request and advances.
    pub fn on_reply(&mut self, reply: &[u8]) -> Result<(), Error> {
        let (seq, data_len) = self.outstanding.ok_or(Error::InvalidField {
            field: "boot reply unexpected",
            value: 0,
        })?;
        BootReply::parse(reply)?.check(seq)?;
        self.outstanding = None;
        self.stage = match self.stage {
            Stage::Info => {
                if self.payload.is_empty() {
                    Stage::End
                } else {
                    Stage::Data
                }
            }
            Stage::Data => {
                self.offset = self.offset.saturating_add(data_len).min(self.payload.len());
                if self.offset == self.payload.len() {
                    Stage::End
                } else {
                    Stage::Data
                }
            }
            Stage::End => {
                if self.run {
                    Stage::Run
                } else {
                    Stage::Done
                }
            }
            Stage::Run | Stage::Done => Stage::Done,
        };
        Ok(())
    }
}

/// The two frames the vendor uses to write one 32-bit register through the loader:
/// INFO {length 4, address} and DATA {address, value}; no END frame, replies read but not
/// checked. `value` is the little-endian value.
pub fn register_write_frames(addr: u32, value: &[u8; 4]) -> [BootRequest<'_>; 2] {
    [
        BootRequest::Info { total_len: 4, addr },
        BootRequest::Data { addr, data: value },
    ]
}
