// SPDX-License-Identifier: GPL-2.0

//! One session with the chip's boot ROM (docs/chip-protocol.md, "Boot-ROM frames",
//! "Downloading an image"): requests over the SDIO data port, replies announced by the interrupt.
//!
//! The protocol (frames, chunking, sequence and reply checks) is
//! [`crate::protocol::boot_frame::Downloader`]; this file moves its frames. Before the WiFi
//! firmware runs there are no toggle bits: the CMD53 address field is the transfer length.
//!
//! The host is claimed around each transfer only. After a request the session sleeps in the
//! caller's `wait` until the SDIO interrupt (whose handler acknowledges it by reading register
//! 0x001) or a timeout, then reads the reply length (registers 0x000-0x001) itself, a few times
//! as the vendor does. Waits are bounded in number and time, and the whole boot has a deadline,
//! so a chip that stops answering fails the boot instead of hanging it.

use core::cmp::min;

use kernel::{
    device::Device,
    prelude::*,
    time::{
        delay::fsleep,
        Delta,
        Instant,
        Monotonic, //
    },
};

use super::Text;
use crate::{
    kernel_ext::sdio::{
        Cmd53Size,
        FunctionRef,
        IoBuffer,
        WatchedClaim, //
    },
    protocol::{
        boot_frame::{
            frame_type,
            register_write_frames,
            BootReply,
            BootRequest,
            Downloader,
            REPLY_LEN, //
        },
        sdio_framing::{
            reg,
            BootLengthReads,
            Cmd53,
            DataAddress,
            BLOCK_SIZE, //
        },
    },
};

/// The largest boot message sent, whatever larger limit the ROM announces (register 0x109 is 16
/// bits wide): smaller messages are always allowed, and this keeps the transfer buffer at 16 KiB.
const MAX_MESSAGE: u16 = 16 * 1024;

/// The transfer buffer: the largest message, or the DPD data, in whole blocks.
const BUFFER_LEN: usize = MAX_MESSAGE as usize;

/// The longest reply accepted (a reply is 8 bytes; the vendor reads whatever length the chip
/// announces).
const MAX_REPLY: usize = BLOCK_SIZE;

/// How long the chip may take to announce a reply (the vendor waits 1 s for the interrupt).
pub(super) const REPLY_TIMEOUT: Delta = Delta::from_secs(1);

/// Calls of `wait` per reply at most: a wake-up that finds no reply (a stale or spurious one)
/// waits again, up to this many times within the timeout.
const MAX_WAITS: u32 = 4;

/// Reads of the length registers after each wait (the vendor reads up to six times while
/// the length is 0; each length here is read twice).
const LENGTH_READS: u32 = 8;

/// How often the message limit is read while the ROM announces none.
const ROM_READY_POLL: Delta = Delta::from_millis(50);

/// Reads of the message limit while it is 0, at most (1 s).
const ROM_READY_POLLS: u32 = 20;

/// Counters of a session, for the boot report.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Counters {
    /// Requests sent.
    pub(super) requests: u32,
    /// Announcements found after an interrupt.
    pub(super) on_interrupt: u32,
    /// Announcements found after a wait without interrupt (or before any wait).
    pub(super) polled: u32,
}

/// A boot-ROM session.
pub(super) struct BootRom<'a> {
    /// The function; its host is claimed per transfer.
    func: &'a FunctionRef,
    /// The device the log lines name.
    dev: &'a Device,
    /// Sleeps until the interrupt or the timeout; `true` if the interrupt came.
    wait: &'a mut dyn FnMut(Delta) -> bool,
    /// DMA-able buffer for requests, replies and the DPD data.
    buf: IoBuffer,
    /// The end of the whole boot.
    deadline: Instant<Monotonic>,
    /// What the session did.
    pub(super) counters: Counters,
}

/// The name of a frame type, for the log.
fn frame_name(ty: u8) -> &'static str {
    match ty {
        frame_type::INFO => "INFO",
        frame_type::DATA => "DATA",
        frame_type::END => "END",
        frame_type::RUN => "RUN",
        _ => "?",
    }
}

impl<'a> BootRom<'a> {
    /// Starts a session that must be over by `deadline`. Fails when the function's block size is
    /// not the 512 bytes the chip's framing assumes.
    pub(super) fn new(
        func: &'a FunctionRef,
        dev: &'a Device,
        wait: &'a mut dyn FnMut(Delta) -> bool,
        deadline: Instant<Monotonic>,
    ) -> Result<Self> {
        let rom = Self {
            func,
            dev,
            wait,
            buf: IoBuffer::new(BUFFER_LEN, GFP_KERNEL)?,
            deadline,
            counters: Counters::default(),
        };
        let block_size = rom.claim()?.block_size();
        if usize::try_from(block_size).ok() != Some(BLOCK_SIZE) {
            dev_err!(
                dev,
                "boot: function block size is {} bytes, the chip needs {}\n",
                block_size,
                BLOCK_SIZE
            );
            return Err(EINVAL);
        }
        Ok(rom)
    }

    /// The device the log lines name.
    pub(super) fn dev(&self) -> &'a Device {
        self.dev
    }

    /// Claims the host; fails (with one log line) once the function is unbound.
    fn claim(&self) -> Result<WatchedClaim<'a>> {
        self.func.claim_host().inspect_err(|err| {
            dev_err!(self.dev, "boot: cannot claim the host: {:?}\n", err);
        })
    }

    /// Fails when the boot's deadline has passed.
    pub(super) fn check_deadline(&self, what: &str) -> Result {
        if self.until_deadline() <= Delta::ZERO {
            dev_err!(self.dev, "boot: {}: the boot's deadline passed\n", what);
            return Err(ETIMEDOUT);
        }
        Ok(())
    }

    /// Time left until the boot's deadline (negative once it passed).
    fn until_deadline(&self) -> Delta {
        self.deadline - Instant::<Monotonic>::now()
    }

    /// Reads one register, with one log line on failure.
    fn read_reg(&self, host: &WatchedClaim<'_>, addr: u32, what: &str) -> Result<u8> {
        host.read_u8(addr).inspect_err(|err| {
            dev_err!(
                self.dev,
                "boot: {}: reading register {:#05x} failed: {:?}\n",
                what,
                addr,
                err
            );
        })
    }

    /// The largest message the ROM accepts now (registers 0x109-0x10A; 0x108, the buffer count, is
    /// read first as the vendor does, its value is not meaningful), capped at [`MAX_MESSAGE`]. A
    /// limit of 0 means the ROM is not ready yet (as right after a card reset): it is read again
    /// every [`ROM_READY_POLL`], as the vendor meant to (docs/chip-protocol.md,
    /// "Pitfalls in the vendor driver").
    fn message_limit(&self, what: &str) -> Result<u16> {
        for _ in 0..ROM_READY_POLLS {
            let limit = {
                let host = self.claim()?;
                self.read_reg(&host, reg::BOOT_BUF_COUNT, what)?;
                let low = self.read_reg(&host, reg::BOOT_MAX_LEN, what)?;
                let high = self.read_reg(&host, reg::BOOT_MAX_LEN + 1, what)?;
                u16::from_le_bytes([low, high])
            };
            if limit != 0 {
                return Ok(min(limit, MAX_MESSAGE));
            }
            fsleep(ROM_READY_POLL);
        }
        dev_err!(
            self.dev,
            "boot: {}: the boot ROM takes no messages (limit 0)\n",
            what
        );
        Err(ETIMEDOUT)
    }

    /// The status register (0x10C); the caller reports a failure.
    pub(super) fn status(&self) -> Result<u8> {
        let host = self.func.claim_host()?;
        host.read_u8(reg::SLAVE_STATUS)
    }

    /// Reads the u16 the ROM announces at registers 0x000-0x001, the length of what it has ready
    /// for the host, up to [`LENGTH_READS`] times until two reads in a row give the same
    /// non-zero length ([`BootLengthReads`]: the bytes may change between the two register
    /// reads); 0 when none was confirmed (one host claim).
    fn announced_len(&self, what: &str) -> Result<usize> {
        let host = self.claim()?;
        let mut reads = BootLengthReads::new();
        for _ in 0..LENGTH_READS {
            let low = self.read_reg(&host, reg::CTRL, what)?;
            let high = self.read_reg(&host, reg::RX_LEN, what)?;
            if let Some(len) = reads.observe(low, high) {
                return Ok(usize::from(len));
            }
        }
        Ok(0)
    }

    /// Sleeps in the caller's `wait` for at most `timeout` (and the boot's deadline); whether
    /// the interrupt came.
    pub(super) fn wait(&mut self, timeout: Delta) -> bool {
        let timeout = min(timeout, self.until_deadline());
        if timeout <= Delta::ZERO {
            return false;
        }
        (self.wait)(timeout)
    }

    /// Waits until the ROM announces data for the host and returns its length (non-zero).
    /// With `poll_first`, reads the length once before the first wait (the interrupt may
    /// already have been consumed, as after a status wait).
    pub(super) fn await_announcement(
        &mut self,
        what: &str,
        timeout: Delta,
        poll_first: bool,
    ) -> Result<usize> {
        let start = Instant::<Monotonic>::now();
        let mut waits = 0u32;
        let mut woke = false;
        loop {
            if waits > 0 || !poll_first {
                let left = timeout - start.elapsed();
                if waits >= MAX_WAITS || left <= Delta::ZERO || self.until_deadline() <= Delta::ZERO
                {
                    break;
                }
                woke = self.wait(left);
                waits += 1;
            } else {
                waits = 1;
            }
            let len = self.announced_len(what)?;
            if len != 0 {
                if woke {
                    self.counters.on_interrupt += 1;
                } else {
                    self.counters.polled += 1;
                }
                return Ok(len);
            }
        }
        self.check_deadline(what)?;
        dev_err!(
            self.dev,
            "boot: {}: nothing announced within {} ms ({} waits)\n",
            what,
            start.elapsed().as_millis(),
            waits
        );
        Err(ETIMEDOUT)
    }

    /// Moves the first `len` bytes of the buffer with one CMD53 (block mode above one block),
    /// the address field carrying the length as the boot ROM expects. For a write, the block
    /// padding after `len` is zeroed first, so no stale bytes go on the wire.
    fn transfer(&mut self, write: bool, len: usize, what: &str) -> Result<Cmd53Size> {
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
        if write && cmd.block_mode {
            let padded = usize::from(cmd.count) * BLOCK_SIZE;
            if let Some(tail) = self.buf.get_mut(len..padded) {
                tail.fill(0);
            }
        }
        let host = self.claim()?;
        let result = if write {
            host.write_cmd53(address.to_field(), true, size, &self.buf)
        } else {
            host.read_cmd53(address.to_field(), true, size, &mut self.buf)
        };
        drop(host);
        result.map(|()| size).inspect_err(|err| {
            dev_err!(
                self.dev,
                "boot: {}: CMD53 {} of {} bytes failed: {:?}\n",
                what,
                if write { "write" } else { "read" },
                len,
                err
            );
        })
    }

    /// Sends one request with sequence number `seq`.
    fn send(&mut self, seq: u8, request: &BootRequest<'_>, what: &str) -> Result {
        let len = request.encode(seq, &mut self.buf).map_err(|err| {
            dev_err!(
                self.dev,
                "boot: {}: cannot encode {} {}: {}\n",
                what,
                frame_name(request.frame_type()),
                seq,
                Text(err)
            );
            EINVAL
        })?;
        self.transfer(true, len, what)?;
        self.counters.requests += 1;
        Ok(())
    }

    /// Waits for the reply to the request just sent and reads it; checks its length only.
    fn receive_reply(&mut self, what: &str) -> Result<&[u8]> {
        let len = self.await_announcement(what, REPLY_TIMEOUT, false)?;
        if !(REPLY_LEN..=MAX_REPLY).contains(&len) {
            dev_err!(
                self.dev,
                "boot: {}: reply of {} bytes announced\n",
                what,
                len
            );
            return Err(EPROTO);
        }
        self.transfer(false, len, what)?;
        self.buf.get(..len).ok_or(EIO)
    }

    /// Runs `download` to completion: every request, and a checked reply for each. Returns the
    /// payload bytes written.
    pub(super) fn download(&mut self, download: &mut Downloader<'_>, what: &str) -> Result<usize> {
        loop {
            self.check_deadline(what)?;
            let limit = self.message_limit(what)?;
            let (seq, request) = match download.next_request(limit) {
                Ok(Some(next)) => next,
                Ok(None) => break,
                Err(err) => {
                    dev_err!(
                        self.dev,
                        "boot: {}: no request for message limit {}: {}\n",
                        what,
                        limit,
                        Text(err)
                    );
                    return Err(EPROTO);
                }
            };
            self.send(seq, &request, what)?;
            let dev = self.dev;
            let reply = self.receive_reply(what)?;
            download.on_reply(reply).map_err(|err| {
                dev_err!(
                    dev,
                    "boot: {}: {} {} refused: {}\n",
                    what,
                    frame_name(request.frame_type()),
                    seq,
                    Text(err)
                );
                EPROTO
            })?;
        }
        Ok(download.progress().0)
    }

    /// Writes one 32-bit word of the chip's address space the vendor's way: INFO {4 bytes,
    /// address} and DATA {address, value}, no END. The replies are checked for type, sequence
    /// and length; a non-zero status only warns (the vendor does not read it at all).
    pub(super) fn write_register(&mut self, addr: u32, value: u32) -> Result {
        let what = "register write";
        let bytes = value.to_le_bytes();
        for (seq, request) in (0u8..).zip(register_write_frames(addr, &bytes).iter()) {
            self.check_deadline(what)?;
            let limit = self.message_limit(what)?;
            if usize::from(limit) < request.frame_len() {
                dev_err!(
                    self.dev,
                    "boot: {}: message limit {} too small\n",
                    what,
                    limit
                );
                return Err(EPROTO);
            }
            self.send(seq, request, what)?;
            let reply = BootReply::parse(self.receive_reply(what)?).map_err(|_| EPROTO)?;
            if reply.frame_type != frame_type::REPLY || reply.seq != seq || reply.len != 4 {
                dev_err!(
                    self.dev,
                    "boot: {} {:#010x}: bad reply to {} {}: type {:#04x} seq {} len {}\n",
                    what,
                    addr,
                    frame_name(request.frame_type()),
                    seq,
                    reply.frame_type,
                    reply.seq,
                    reply.len
                );
                return Err(EPROTO);
            }
            if reply.status != 0 {
                dev_warn!(
                    self.dev,
                    "boot: {} {:#010x}: {} {} answered status {:#x}\n",
                    what,
                    addr,
                    frame_name(request.frame_type()),
                    seq,
                    reply.status
                );
            }
        }
        Ok(())
    }

    /// Reads `len` announced bytes (block mode above one block) and returns them, with the
    /// number of blocks read (0 in byte mode).
    pub(super) fn read_data(&mut self, len: usize, what: &str) -> Result<(&[u8], u32)> {
        if len > self.buf.len() {
            return Err(EINVAL);
        }
        let blocks = match self.transfer(false, len, what)? {
            Cmd53Size::Blocks(n) => n,
            Cmd53Size::Bytes(_) => 0,
        };
        Ok((self.buf.get(..len).ok_or(EIO)?, blocks))
    }
}
