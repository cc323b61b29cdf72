// SPDX-License-Identifier: GPL-2.0

//! Firmware download through the chip's boot ROM (chip-bus-firmware-bh.md §6.3-§6.5).
//!
//! The protocol itself (frames, chunking, sequence and reply checks) is
//! [`crate::protocol::boot_frame::Downloader`]; this file moves its frames over SDIO. Before the
//! firmware runs there are no toggle bits: the CMD53 address field is the transfer length.
//! Replies are found by polling the length registers, so the download works from probe, before
//! the interrupt handler can reach the driver's data.

use kernel::{
    prelude::*,
    time::{
        delay::fsleep,
        Delta, //
    },
};

use crate::{
    kernel_ext::sdio::{
        Cmd53Size,
        Function,
        IoBuffer, //
    },
    protocol::{
        boot_frame::{
            self,
            Downloader, //
        },
        sdio_framing::{
            boot_ready_len,
            reg,
            Cmd53,
            DataAddress,
            BLOCK_SIZE, //
        },
    },
};

/// How long the chip may take to answer one boot request, in polls of [`REPLY_POLL`] (the
/// vendor waits 1 s for the interrupt, then reads the length six times).
const REPLY_POLLS: u32 = 1000;

/// Poll interval while waiting for a reply.
const REPLY_POLL: Delta = Delta::from_millis(1);

/// The largest boot message the chip may ask for: register 0x109 is 16 bits wide. Rounded up
/// to whole blocks, since block-mode transfers move whole blocks.
const MAX_TRANSFER: usize = (u16::MAX as usize).div_ceil(BLOCK_SIZE) * BLOCK_SIZE;

/// A boot-ROM session on a function whose host is not claimed by the caller.
pub(crate) struct BootRom<'a> {
    func: &'a Function<kernel::device::Bound>,
    /// DMA-able buffer for requests and replies.
    buf: IoBuffer,
}

/// What a completed download reports.
pub(crate) struct Downloaded {
    /// Payload bytes written to the chip.
    pub(crate) bytes: usize,
    /// CRC-32 of the payload, which the chip checked.
    pub(crate) crc: u32,
    /// Boot requests sent (INFO, DATA…, END, RUN).
    pub(crate) requests: u32,
}

impl<'a> BootRom<'a> {
    /// Prepares a session on `func`, which must be enabled.
    pub(crate) fn new(func: &'a Function<kernel::device::Bound>) -> Result<Self> {
        Ok(Self {
            func,
            buf: IoBuffer::new(MAX_TRANSFER, GFP_KERNEL)?,
        })
    }

    /// The largest message the boot ROM accepts now (registers 0x109-0x10A).
    pub(crate) fn max_message_len(&self) -> Result<u16> {
        let host = self.func.claim_host();
        // Register 0x108 (buffer count) is read first, as the ROM expects; its value is not
        // meaningful (chip-bus-firmware-bh.md §9.4).
        host.read_u8(reg::BOOT_BUF_COUNT)?;
        let low = host.read_u8(reg::BOOT_MAX_LEN)?;
        let high = host.read_u8(reg::BOOT_MAX_LEN + 1)?;
        Ok(u16::from_le_bytes([low, high]))
    }

    /// Runs `download` to completion: every request, and a checked reply for each.
    pub(crate) fn download(&mut self, download: &mut Downloader<'_>) -> Result<Downloaded> {
        let mut requests = 0u32;
        loop {
            let max_len = self.max_message_len()?;
            let (seq, request) = match download.next_request(max_len) {
                Ok(Some(next)) => next,
                Ok(None) => break,
                Err(err) => {
                    dev_err!(
                        self.func.as_ref(),
                        "boot: no request for limit {}: {:?}\n",
                        max_len,
                        err
                    );
                    return Err(EPROTO);
                }
            };
            let len = request.encode(seq, &mut self.buf).map_err(|err| {
                dev_err!(
                    self.func.as_ref(),
                    "boot: cannot encode request {}: {:?}\n",
                    seq,
                    err
                );
                EINVAL
            })?;
            self.transfer(true, len)?;
            requests += 1;

            let reply_len = self.wait_reply()?;
            self.transfer(false, reply_len)?;
            let reply = self.buf.get(..reply_len).ok_or(EIO)?;
            download.on_reply(reply).map_err(|err| {
                dev_err!(
                    self.func.as_ref(),
                    "boot: request {} refused: {:?}\n",
                    seq,
                    err
                );
                EPROTO
            })?;
        }
        let (bytes, _) = download.progress();
        Ok(Downloaded {
            bytes,
            crc: download.crc(),
            requests,
        })
    }

    /// Waits until the chip announces a reply and returns its length.
    fn wait_reply(&self) -> Result<usize> {
        for _ in 0..REPLY_POLLS {
            let len = {
                let host = self.func.claim_host();
                let low = host.read_u8(reg::CTRL)?;
                let high = host.read_u8(reg::RX_LEN)?;
                usize::from(boot_ready_len(low, high))
            };
            if len > self.buf.len() {
                dev_err!(
                    self.func.as_ref(),
                    "boot: reply of {} bytes announced\n",
                    len
                );
                return Err(EPROTO);
            }
            if len >= boot_frame::REPLY_LEN {
                return Ok(len);
            }
            if len != 0 {
                dev_err!(
                    self.func.as_ref(),
                    "boot: short reply of {} bytes announced\n",
                    len
                );
                return Err(EPROTO);
            }
            fsleep(REPLY_POLL);
        }
        dev_err!(
            self.func.as_ref(),
            "boot: no reply after {} polls\n",
            REPLY_POLLS
        );
        Err(ETIMEDOUT)
    }

    /// Moves the first `len` bytes of the buffer with one CMD53, the address field carrying
    /// the length as the boot ROM expects.
    fn transfer(&mut self, write: bool, len: usize) -> Result {
        let address = DataAddress {
            len: u16::try_from(len).map_err(|_| EINVAL)?,
            toggle: false,
        };
        let cmd = Cmd53::data(write, address, len, false).map_err(|_| EINVAL)?;
        let size = if cmd.block_mode {
            Cmd53Size::Blocks(u32::from(cmd.count))
        } else {
            Cmd53Size::Bytes(u32::try_from(len).map_err(|_| EINVAL)?)
        };
        let host = self.func.claim_host();
        let result = if write {
            host.write_cmd53(address.to_field(), true, size, &self.buf)
        } else {
            host.read_cmd53(address.to_field(), true, size, &mut self.buf)
        };
        result.inspect_err(|err| {
            dev_err!(
                self.func.as_ref(),
                "boot: CMD53 {} of {} bytes failed: {:?}\n",
                if write { "write" } else { "read" },
                len,
                err
            );
        })
    }
}
