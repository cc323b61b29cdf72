// SPDX-License-Identifier: GPL-2.0

//! The boot ROM's download protocol (docs/chip-protocol.md, "Boot-ROM frames",
//! "Downloading an image", "The boot flow").
//!
//! The host sends frames (0xB1 INFO, 0xB2 DATA, 0xB3 END, 0xB4 RUN) with one CMD53 write
//! each (address field = transfer length, no toggle bit); the ROM answers every frame
//! with an 8-byte 0xB0 reply echoing the frame's sequence number, announced through
//! registers 0x000/0x001 (u16 reply length) and the card interrupt.
//!
//! Rules this ROM enforces (each failure answers a non-zero status and counts a
//! violation): the frame must decode (known type, length field matching the type and
//! fitting the transfer); DATA must fall inside the area announced by the last INFO; END
//! must come after every announced byte arrived and carry their CRC-32; RUN must name the
//! start address of a download that passed its END check. A new INFO silently abandons an
//! unfinished download: the vendor writes single registers with INFO + DATA and no END
//! (`bes_firmware_download_write_reg()`), so that is legal.
//!
//! The status values of failing replies are the model's choice (the vendor driver only
//! tests for zero): [`status`].

use bes2600_protocol::boot_frame::{BootReply, BootRequest, DPD_ADDR, FACTORY_ADDR};
use bes2600_protocol::crc32::crc32;

use crate::stats::{log, violation, Stats};

/// Reply status values.
pub mod status {
    /// Success.
    pub const OK: u32 = 0;
    /// Undecodable frame.
    pub const BAD_FRAME: u32 = 1;
    /// DATA/END without INFO, or DATA outside the announced area.
    pub const OUT_OF_SEQUENCE: u32 = 2;
    /// END with a wrong CRC or missing bytes.
    pub const BAD_CRC: u32 = 3;
    /// RUN of an address no verified download starts at.
    pub const BAD_RUN: u32 = 4;
}

/// Largest download the ROM accepts (the chip's RAM is far smaller; this only bounds the
/// model's memory).
pub const MAX_DOWNLOAD: u32 = 8 << 20;

#[derive(Debug)]
struct Session {
    addr: u32,
    data: Vec<u8>,
    seen: Vec<bool>,
    received: usize,
}

/// A verified download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Start address.
    pub addr: u32,
    /// The bytes.
    pub data: Vec<u8>,
}

/// What a frame asked the chip to do besides replying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootEvent {
    /// Nothing.
    None,
    /// Jump to a verified image.
    Run(Image),
}

/// The boot ROM state.
#[derive(Debug, Default)]
pub struct BootRom {
    session: Option<Session>,
    verified: Vec<Image>,
    /// Single 32-bit writes done with INFO + DATA (address, value).
    pub reg_writes: Vec<(u32, u32)>,
    /// DPD calibration data was downloaded to its address since the last reset.
    pub dpd_written: bool,
    /// Factory calibration data was downloaded since the last reset.
    pub factory_written: bool,
}

impl BootRom {
    /// A ROM in its reset state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles one boot transfer: `field_len` is the length from the CMD53 address field,
    /// `data` the bytes written. Returns the reply and what to do next.
    pub fn handle(
        &mut self,
        field_len: usize,
        data: &[u8],
        stats: &mut Stats,
    ) -> (BootReply, BootEvent) {
        let transfer = data.get(..field_len.min(data.len())).unwrap_or(&[]);
        if field_len > data.len() {
            stats.violation(
                violation::MALFORMED,
                &format!(
                    "boot transfer length field {field_len} exceeds the {} bytes written",
                    data.len()
                ),
            );
        }
        let seq = transfer.get(1).copied().unwrap_or(0);
        let fail = |stats: &mut Stats, kind: &'static str, st: u32, what: String| {
            stats.violation(kind, &what);
            (
                BootReply {
                    status: st,
                    ..BootReply::ok(seq)
                },
                BootEvent::None,
            )
        };
        let (seq, req) = match BootRequest::decode(transfer) {
            Ok(r) => r,
            Err(e) => {
                return fail(
                    stats,
                    violation::MALFORMED,
                    status::BAD_FRAME,
                    format!("undecodable boot frame: {e}"),
                )
            }
        };
        stats.inc("boot_frames");
        match req {
            BootRequest::Info { total_len, addr } => {
                if total_len == 0 || total_len > MAX_DOWNLOAD {
                    return fail(
                        stats,
                        violation::MALFORMED,
                        status::BAD_FRAME,
                        format!("boot INFO with length {total_len}"),
                    );
                }
                if self.session.as_ref().is_some_and(|s| s.received > 0) {
                    log::debug("boot: INFO abandons an unfinished download");
                }
                log::debug(&format!("boot: INFO {total_len} bytes at {addr:#010x}"));
                let n = total_len as usize;
                self.session = Some(Session {
                    addr,
                    data: vec![0; n],
                    seen: vec![false; n],
                    received: 0,
                });
                (BootReply::ok(seq), BootEvent::None)
            }
            BootRequest::Data { addr, data } => {
                let Some(s) = self.session.as_mut() else {
                    return fail(
                        stats,
                        violation::WRONG_STATE,
                        status::OUT_OF_SEQUENCE,
                        "boot DATA without INFO".into(),
                    );
                };
                let off = addr.wrapping_sub(s.addr) as usize;
                let end = off.checked_add(data.len());
                if addr < s.addr || data.is_empty() || end.is_none_or(|e| e > s.data.len()) {
                    return fail(
                        stats,
                        violation::MALFORMED,
                        status::OUT_OF_SEQUENCE,
                        format!(
                            "boot DATA of {} bytes at {addr:#010x} outside {} bytes at {:#010x}",
                            data.len(),
                            s.data.len(),
                            s.addr
                        ),
                    );
                }
                let end = off + data.len();
                if let Some(d) = s.data.get_mut(off..end) {
                    d.copy_from_slice(data);
                }
                if let Some(seen) = s.seen.get_mut(off..end) {
                    for b in seen {
                        if !*b {
                            *b = true;
                            s.received += 1;
                        }
                    }
                }
                if s.data.len() == 4 && s.received == 4 {
                    let v = u32::from_le_bytes([s.data[0], s.data[1], s.data[2], s.data[3]]);
                    log::debug(&format!(
                        "boot: register write {:#010x} = {v:#010x}",
                        s.addr
                    ));
                    self.reg_writes.push((s.addr, v));
                }
                (BootReply::ok(seq), BootEvent::None)
            }
            BootRequest::End { crc } => {
                let Some(s) = self.session.take() else {
                    return fail(
                        stats,
                        violation::WRONG_STATE,
                        status::OUT_OF_SEQUENCE,
                        "boot END without INFO".into(),
                    );
                };
                if s.received != s.data.len() {
                    return fail(
                        stats,
                        violation::BOOT_CRC,
                        status::BAD_CRC,
                        format!("boot END after {} of {} bytes", s.received, s.data.len()),
                    );
                }
                let actual = crc32(&s.data);
                if actual != crc {
                    return fail(
                        stats,
                        violation::BOOT_CRC,
                        status::BAD_CRC,
                        format!("boot END CRC {crc:#010x}, data has {actual:#010x}"),
                    );
                }
                log::info(&format!(
                    "boot: download of {} bytes at {:#010x} verified (crc {crc:#010x})",
                    s.data.len(),
                    s.addr
                ));
                if s.addr == DPD_ADDR {
                    self.dpd_written = true;
                }
                if s.addr == FACTORY_ADDR {
                    self.factory_written = true;
                }
                self.verified.retain(|i| i.addr != s.addr);
                self.verified.push(Image {
                    addr: s.addr,
                    data: s.data,
                });
                stats.inc("boot_downloads");
                (BootReply::ok(seq), BootEvent::None)
            }
            BootRequest::Run { addr } => {
                let Some(img) = self.verified.iter().find(|i| i.addr == addr).cloned() else {
                    return fail(
                        stats,
                        violation::WRONG_STATE,
                        status::BAD_RUN,
                        format!("boot RUN of {addr:#010x}, where no verified download starts"),
                    );
                };
                (BootReply::ok(seq), BootEvent::Run(img))
            }
        }
    }
}
