// SPDX-License-Identifier: GPL-2.0

//! KUnit suites of the bench's timing and register contract with the real chip (ABI.md
//! "Timing", `RX_QUEUE`, CMD53 reads): where a driver written for the real chip would trip over
//! a bench that is slower, less atomic or stricter than the chip.
//!
//! - A CMD53 write completes only once the model has processed it: the boot ROM's reply is
//!   announced when the write returns, as on the chip (bes_fw.c:68-104 reads the length a few
//!   times right after the write's interrupt).
//! - The RX length register changes atomically with the RX queue: consuming a batch sets the
//!   idle value the model gave with it, never leaves the previous batch's value behind.
//! - A block-mode read rounded up to the block size is legal (the DPD blob, bes_fw.c:893).

use kernel::prelude::*;

/// The card driven the way the MMC core does, without the core.
mod drive {
    use kernel::prelude::*;

    use crate::card::{
        Card,
        Reply,
        BES2600, //
    };
    use crate::sdio_spec::{
        cccr,
        opcode,
        r5,
        Cmd52,
        Cmd53,
        F1_BIT, //
    };

    /// A CMD52 argument.
    pub(super) fn cmd52(write: bool, func: u8, addr: u32, data: u8) -> u32 {
        Cmd52 {
            write,
            func,
            raw: false,
            addr,
            data,
        }
        .encode()
    }

    /// A CMD53 argument to function 1 with an incrementing address.
    pub(super) fn cmd53(write: bool, block_mode: bool, addr: u32, count: u16) -> u32 {
        Cmd53 {
            write,
            func: 1,
            block_mode,
            incr_addr: true,
            addr,
            count,
        }
        .encode()
    }

    /// Reads function 1 register `addr` with CMD52; 0xee if the card answers with an error.
    pub(super) fn reg(card: &mut Card, addr: u32) -> u8 {
        match card.command(opcode::IO_RW_DIRECT, cmd52(false, 1, addr, 0)) {
            Reply::Response(word) if word & 0xff00 & !r5::STATE_CMD == 0 => (word & 0xff) as u8,
            _ => 0xee,
        }
    }

    /// A powered, selected card with function 1 enabled, its messages drained.
    pub(super) fn enabled_card() -> Result<Card> {
        let mut card = Card::new(BES2600)?;
        card.set_power(true);
        card.command(opcode::GO_IDLE_STATE, 0);
        card.command(opcode::IO_SEND_OP_COND, 0x0030_0000);
        card.command(opcode::SEND_RELATIVE_ADDR, 0);
        card.command(opcode::SELECT_CARD, 1 << 16);
        card.command(
            opcode::IO_RW_DIRECT,
            cmd52(true, 0, cccr::IO_ENABLE, F1_BIT),
        );
        while card.pop_message().is_some() {}
        Ok(card)
    }

    /// The next message for the model as (kind, arg0, arg1, payload length).
    pub(super) fn next(card: &mut Card) -> Option<(u32, u32, u32, usize)> {
        card.pop_message()
            .map(|m| (m.kind, m.arg0, m.arg1, m.payload.len()))
    }

    /// A payload of `len` bytes counting up from `first`.
    pub(super) fn payload(len: usize, first: u8) -> Result<KVVec<u8>> {
        let mut v = KVVec::with_capacity(len, GFP_KERNEL)?;
        for i in 0..len {
            v.push(first.wrapping_add(i as u8), GFP_KERNEL)?;
        }
        Ok(v)
    }
}

/// The card alone: the wire form of the new arguments, the RX registers, block-mode padding,
/// the bookkeeping of writes held for the model.
#[kunit_tests(bes2600_vsdio_chip_timing)]
mod card_contract {
    use kernel::prelude::*;

    use super::drive::{
        self,
        cmd53,
        next,
        payload,
        reg, //
    };
    use crate::abi::{
        parse,
        rx_regs,
        to_model,
        Header,
        ModelRequest,
        HEADER_LEN, //
    };
    use crate::card::{
        Reply,
        WriteWait, //
    };

    fn hdr(kind: u32, arg0: u32, arg1: u32, len: u32) -> Header {
        Header {
            kind,
            arg0,
            arg1,
            len,
        }
    }

    /// `RX_QUEUE` carries each register's head value in bits 7..0 and its idle value in bits
    /// 15..8; `WRITE_DONE` carries the write's number and nothing else.
    #[test]
    fn wire_form_of_rx_queue_and_write_done() {
        assert_eq!(
            (rx_regs::encode(0, 1), rx_regs::encode(0x81, 0x81)),
            (0x0100, 0x8181)
        );
        assert_eq!(rx_regs::decode(0x8102), Some((0x02, 0x81)));
        assert_eq!(rx_regs::decode(0x1_0000), None);
        assert_eq!(
            parse(&hdr(0x81, 0x0100, 0x8181, 512), HEADER_LEN + 512).ok(),
            Some(ModelRequest::RxQueue {
                reg0: 0,
                reg1: 0x81,
                idle0: 1,
                idle1: 0x81,
            })
        );
        assert_eq!(
            parse(&hdr(0x87, 7, 0, 0), HEADER_LEN).ok(),
            Some(ModelRequest::WriteDone(7))
        );
        for (h, total) in [
            (hdr(0x81, 0x1_0000, 0, 0), HEADER_LEN),
            (hdr(0x81, 0, 0x100_0081, 0), HEADER_LEN),
            (hdr(0x87, 1, 1, 0), HEADER_LEN),
            (hdr(0x87, 1, 0, 4), HEADER_LEN + 4),
        ] {
            assert_eq!(parse(&h, total).err(), Some(EINVAL));
        }
    }

    /// Register 0x001 never shows an older batch than the one consumed last: the consuming
    /// read itself sets the idle value the model gave with the batch (here the stale value the
    /// vendor's toggle logic expects), whereas a separate `SET_REG` that had not arrived yet
    /// would leave the previous batch's value, with the toggle the host expects next, behind.
    #[test]
    fn consuming_a_batch_sets_its_idle_registers() -> Result {
        let mut card = drive::enabled_card()?;
        // Batch A: toggle 1, one unit; then batch B: toggle 0, two units.
        for (reg1, len) in [(0x81u8, 512usize), (0x02, 1024)] {
            card.apply(
                ModelRequest::RxQueue {
                    reg0: 0,
                    reg1,
                    idle0: 1,
                    idle1: reg1,
                },
                payload(len, reg1)?,
            )?;
        }
        assert_eq!((reg(&mut card, 0x000), reg(&mut card, 0x001)), (0, 0x81));
        let mut a = [0u8; 512];
        card.cmd53_read(cmd53(false, true, 0x1_0200, 1), &mut a);
        // B is the head now: its values, not A's idle ones.
        assert_eq!(reg(&mut card, 0x001), 0x02);
        let mut b = [0u8; 1024];
        card.cmd53_read(cmd53(false, true, 0x400, 2), &mut b);
        // The queue is empty: B's idle values, in the same step as the read.
        assert_eq!((reg(&mut card, 0x000), reg(&mut card, 0x001)), (1, 0x02));

        // A model that clears the length register after a batch (`--clear-length-reg`).
        card.apply(
            ModelRequest::RxQueue {
                reg0: 0,
                reg1: 0x81,
                idle0: 1,
                idle1: 0,
            },
            payload(512, 0)?,
        )?;
        assert_eq!(reg(&mut card, 0x001), 0x81);
        card.cmd53_read(cmd53(false, true, 0x1_0200, 1), &mut a);
        assert_eq!((reg(&mut card, 0x000), reg(&mut card, 0x001)), (1, 0));
        assert_eq!(card.stats().bad_accesses, 0);
        Ok(())
    }

    /// A block-mode read may round the item up to whole blocks, the padding reading as zeros:
    /// the 0x3B14-byte DPD blob is read as 30 blocks of 512 with 0x3B14 in the address field.
    /// More blocks than that, or an address-field length beyond the item, is still too long.
    #[test]
    fn block_reads_round_up_to_the_block() -> Result {
        const DPD_LEN: usize = 0x3b14;
        let mut card = drive::enabled_card()?;
        // Zeroed, as the host hands it to the card.
        let mut buf = KVVec::from_elem(0u8, 31 * 512, GFP_KERNEL)?;

        card.apply(
            ModelRequest::RxQueue {
                reg0: 0x14,
                reg1: 0x3b,
                idle0: 0,
                idle1: 0,
            },
            payload(DPD_LEN, 3)?,
        )?;
        let x = card.cmd53_read(cmd53(false, true, 0x3b14, 30), &mut buf[..30 * 512]);
        assert!(matches!(x.reply, Reply::Response(_)) && !x.data_error);
        assert_eq!(buf[DPD_LEN - 1], 3u8.wrapping_add((DPD_LEN - 1) as u8));
        assert!(buf[DPD_LEN..30 * 512].iter().all(|&b| b == 0));
        assert_eq!(
            next(&mut card),
            Some((to_model::RX_CONSUMED, 0x3b14, 30 * 512, 0))
        );
        assert_eq!(next(&mut card), None);

        // One block more than the rounded-up item.
        card.apply(
            ModelRequest::RxQueue {
                reg0: 0x14,
                reg1: 0x3b,
                idle0: 0,
                idle1: 0,
            },
            payload(DPD_LEN, 3)?,
        )?;
        card.cmd53_read(cmd53(false, true, 0x3b14, 31), &mut buf[..31 * 512]);
        assert_eq!(
            next(&mut card),
            Some((to_model::RX_CONSUMED, 0x3b14, 31 * 512, 0))
        );
        assert_eq!(next(&mut card), Some((to_model::BAD_ACCESS, 0x3b14, 2, 0)));

        // Whole blocks, but the address field announces more than the item.
        card.apply(
            ModelRequest::RxQueue {
                reg0: 0x14,
                reg1: 0x3b,
                idle0: 0,
                idle1: 0,
            },
            payload(DPD_LEN, 3)?,
        )?;
        card.cmd53_read(cmd53(false, true, 0x3b15, 30), &mut buf[..30 * 512]);
        assert_eq!(
            next(&mut card),
            Some((to_model::RX_CONSUMED, 0x3b15, 30 * 512, 0))
        );
        assert_eq!(next(&mut card), Some((to_model::BAD_ACCESS, 0x3b15, 2, 0)));

        // Byte mode moves exactly the bytes asked for: no padding.
        card.apply(
            ModelRequest::RxQueue {
                reg0: 100,
                reg1: 0,
                idle0: 0,
                idle1: 0,
            },
            payload(100, 0)?,
        )?;
        card.cmd53_read(cmd53(false, false, 100, 104), &mut buf[..104]);
        assert_eq!(next(&mut card), Some((to_model::RX_CONSUMED, 100, 104, 0)));
        assert_eq!(next(&mut card), Some((to_model::BAD_ACCESS, 100, 2, 0)));
        assert_eq!(card.stats().bad_accesses, 3);
        Ok(())
    }

    /// The issuing thread and the model's acknowledgement meet over a held write in either
    /// order: an acknowledgement that comes before the thread begins to wait is not lost; a
    /// late one (after the timeout) does not release the next write.
    #[test]
    fn write_wait_in_either_order() {
        let mut w = WriteWait::default();
        // The thread first, then the model.
        assert!(w.hold(1));
        assert!(w.is_awaiting(1));
        assert!(w.release(1));
        assert!(!w.is_awaiting(1));
        // The model first: the thread finds the write released and does not wait.
        assert!(!w.release(2));
        assert!(!w.hold(2));
        assert!(!w.is_awaiting(2));
        // A timeout, then the late acknowledgement: counted once, the next write still waits.
        assert!(w.hold(3));
        assert!(w.timed_out());
        assert!(!w.release(3));
        assert!(w.hold(4));
        assert!(!w.release(3));
        assert!(w.is_awaiting(4));
        assert!(w.release(4));
        // The bus model's timer is no hold's timeout.
        assert!(!w.timed_out());
        assert_eq!(w.timeouts(), 1);
        // Teardown: nothing is waited for.
        assert!(w.hold(5));
        w.stop();
        assert!(!w.is_awaiting(5));
    }

    /// While a model has the device open, a function 1 CMD53 write is held: its `WRITE_DONE`
    /// names it by the model's count of writes read since the open; an acknowledgement of
    /// any other number is late and changes nothing; closing the device releases the hold.
    #[test]
    fn writes_are_held_for_the_model() -> Result {
        let mut card = drive::enabled_card()?;
        let write = |card: &mut crate::card::Card| -> Result<Option<u64>> {
            Ok(card
                .cmd53_write(cmd53(true, false, 0x200, 0), 1, payload(512, 0)?)
                .hold)
        };
        // No model: nobody to wait for.
        assert_eq!(write(&mut card)?, None);
        assert!(card.pop_message().is_some());

        card.open_model()?;
        let first = write(&mut card)?;
        assert!(first.is_some());
        // Not read by the model yet: no acknowledgement can name it.
        card.apply(ModelRequest::WriteDone(1), KVVec::new())?;
        assert_eq!(card.take_write_release(), None);
        assert!(card.pop_message().is_some());
        card.apply(ModelRequest::WriteDone(2), KVVec::new())?;
        assert_eq!(card.take_write_release(), None);
        card.apply(ModelRequest::WriteDone(1), KVVec::new())?;
        assert_eq!(card.take_write_release(), first);
        card.apply(ModelRequest::WriteDone(1), KVVec::new())?;
        assert_eq!(card.take_write_release(), None);

        // A write whose hold timed out, then the next: the late acknowledgement of the first
        // does not release the second.
        let timed_out = write(&mut card)?;
        assert!(card.pop_message().is_some());
        let second = write(&mut card)?;
        assert!(second.is_some() && second != timed_out);
        assert!(card.pop_message().is_some());
        card.apply(ModelRequest::WriteDone(2), KVVec::new())?;
        assert_eq!(card.take_write_release(), None);
        card.apply(ModelRequest::WriteDone(3), KVVec::new())?;
        assert_eq!(card.take_write_release(), second);

        // Closing releases a held write; a new opener counts from 1 again.
        let third = write(&mut card)?;
        card.close_model();
        assert_eq!(card.take_write_release(), third);
        card.open_model()?;
        assert!(card.pop_message().is_some());
        let fourth = write(&mut card)?;
        assert!(card.pop_message().is_some());
        card.apply(ModelRequest::WriteDone(2), KVVec::new())?;
        assert_eq!(card.take_write_release(), fourth);
        card.close_model();
        assert_eq!(card.take_write_release(), None);
        Ok(())
    }
}

/// The hold through the real MMC core: the write's request completes when the model
/// acknowledges it, so the reply the model queued for it is announced when the write returns;
/// a model that does not answer costs [`WRITE_ACK_TIMEOUT`](crate::host::WRITE_ACK_TIMEOUT),
/// one that closes its device nothing.
#[kunit_tests(bes2600_vsdio_write_ack)]
mod write_ack {
    use kernel::{
        prelude::*,
        sync::{
            atomic::{
                Atomic,
                Relaxed, //
            },
            Arc,
        },
        time::{
            delay::fsleep,
            Delta,
            Instant,
            Monotonic, //
        },
        workqueue,
    };

    use crate::abi::{
        to_model,
        ModelRequest, //
    };
    use crate::card::Identity;
    use crate::host::Instance;
    use crate::kernel_ext::{
        mmc_host::CardFunction,
        sdio::{
            Cmd53Size,
            IoBuffer, //
        },
    };

    /// A card with a device id no driver matches.
    const TEST_CARD: Identity = Identity {
        vendor: 0xbe57,
        device: 0x2f04,
    };

    /// How long the fake model takes to answer a write: far longer than the ROM's
    /// microseconds, so an answer that is not waited for shows.
    const MODEL_LATENCY_MS: i64 = 20;

    /// Writes the fake model acknowledged.
    static ACKED: Atomic<u32> = Atomic::new(0);
    /// The fake model has finished.
    static MODEL_DONE: Atomic<bool> = Atomic::new(false);
    /// The fake model is about to close its device.
    static CLOSING: Atomic<bool> = Atomic::new(false);

    /// Polls `cond` every 5 ms for up to 5 s.
    fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
        for _ in 0..1000 {
            if cond() {
                return true;
            }
            fsleep(Delta::from_millis(5));
        }
        cond()
    }

    /// Waits for function 1 of `instance`'s card to be enumerated.
    fn enumerated(instance: &Instance) -> Result<CardFunction<'_>> {
        let mut found = None;
        wait_until(|| {
            found = instance.card_function(1);
            found.is_some()
        });
        found.ok_or(ETIMEDOUT)
    }

    /// Takes messages for the model until a `CMD53_WRITE`; returns its first two data bytes.
    fn take_write(instance: &Instance) -> Option<(u8, u8)> {
        let mut found = None;
        wait_until(|| loop {
            let Some(msg) = instance.shared.card.lock().pop_message() else {
                break false;
            };
            if msg.kind == to_model::CMD53_WRITE {
                let byte = |i: usize| msg.payload.get(i).copied().unwrap_or(0);
                found = Some((byte(0), byte(1)));
                break true;
            }
        });
        found
    }

    /// Queues the boot ROM's 8-byte reply to frame `seq` (type 0xB0, the sequence number,
    /// length 4, status 0), announced in 0x000/0x001, and acknowledges write `n`.
    fn answer(instance: &Instance, seq: u8, n: u32) -> Result {
        let mut reply = KVVec::from_elem(0u8, 8, GFP_KERNEL)?;
        reply[..4].copy_from_slice(&[0xb0, seq, 4, 0]);
        instance.apply(
            ModelRequest::RxQueue {
                reg0: 8,
                reg1: 0,
                idle0: 0,
                idle1: 0,
            },
            reply,
        )?;
        instance.apply(ModelRequest::WriteDone(n), KVVec::new())
    }

    /// The model's side of `writes` boot exchanges, as the chip model does it through the
    /// device: read the frame, take [`MODEL_LATENCY_MS`], [`answer`].
    fn fake_model(instance: Arc<Instance>, writes: u32) {
        for n in 1..=writes {
            let Some((_, seq)) = take_write(&instance) else {
                break;
            };
            fsleep(Delta::from_millis(MODEL_LATENCY_MS));
            if answer(&instance, seq, n).is_err() {
                break;
            }
            ACKED.store(n, Relaxed);
        }
        MODEL_DONE.store(true, Relaxed);
    }

    /// A model as fast as it gets here: it polls for writes every few microseconds and
    /// answers at once.
    fn fast_model(instance: Arc<Instance>, writes: u32) {
        let start = Instant::<Monotonic>::now();
        let mut n = 0;
        while n < writes && start.elapsed().as_millis() < 10_000 {
            let msg = instance.shared.card.lock().pop_message();
            match msg {
                Some(msg) if msg.kind == to_model::CMD53_WRITE => {
                    n += 1;
                    let seq = msg.payload.get(1).copied().unwrap_or(0);
                    if answer(&instance, seq, n).is_err() {
                        break;
                    }
                    ACKED.store(n, Relaxed);
                }
                Some(_) => {}
                None => fsleep(Delta::from_micros(20)),
            }
        }
        MODEL_DONE.store(true, Relaxed);
    }

    /// What the host saw of one boot exchange.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    struct Exchange {
        write_ok: bool,
        write_ms: i64,
        /// Registers 0x000 and 0x001 read right after the write.
        announced: (u8, u8),
        /// Type and sequence number of the reply read.
        reply: (u8, u8),
    }

    /// The host's side of one boot exchange with frame `seq`, as bes_fw.c does it: write the
    /// frame (one 512-byte byte-mode CMD53, the length in the address field), read the reply
    /// length from 0x000/0x001 at once, read the reply.
    fn exchange(func: &CardFunction<'_>, seq: u8) -> Result<Exchange> {
        let host = func.claim_host()?;
        let mut frame = IoBuffer::new(512, GFP_KERNEL)?;
        frame[..4].copy_from_slice(&[0xb1, seq, 8, 0]);
        let start = Instant::<Monotonic>::now();
        let write_ok = host
            .write_cmd53(0x200, true, Cmd53Size::Bytes(512), &frame)
            .is_ok();
        let write_ms = start.elapsed().as_millis();
        let announced = (host.read_u8(0x000)?, host.read_u8(0x001)?);
        let mut reply = IoBuffer::new(8, GFP_KERNEL)?;
        if announced.0 != 0 {
            host.read_cmd53(8, true, Cmd53Size::Bytes(8), &mut reply)?;
        }
        Ok(Exchange {
            write_ok,
            write_ms,
            announced,
            reply: (reply[0], reply[1]),
        })
    }

    /// One 512-byte write; returns whether it succeeded and how long it took in ms.
    fn timed_write(func: &CardFunction<'_>) -> Result<(bool, i64)> {
        let host = func.claim_host()?;
        let frame = IoBuffer::new(512, GFP_KERNEL)?;
        let start = Instant::<Monotonic>::now();
        let ok = host
            .write_cmd53(0x200, true, Cmd53Size::Bytes(512), &frame)
            .is_ok();
        Ok((ok, start.elapsed().as_millis()))
    }

    // A failed KUnit assertion ends the test thread without running destructors, so the tests
    // stop the fake model and drop the host before they assert anything.

    /// The reply is announced when the write returns, however long the model takes.
    #[test]
    fn reply_is_ready_when_the_write_completes() -> Result {
        let instance = Instance::new(c"bes2600_vsdio_kunit_ack", TEST_CARD)?;
        let func = enumerated(&instance)?;
        {
            let host = func.claim_host()?;
            host.enable_function()?;
            host.set_block_size(0)?;
        }
        ACKED.store(0, Relaxed);
        MODEL_DONE.store(false, Relaxed);
        instance.shared.card.lock().open_model()?;
        let model = instance.clone();
        workqueue::system_long().try_spawn(GFP_KERNEL, move || fake_model(model, 3))?;

        let mut seen = [Exchange::default(); 3];
        let mut failed = None;
        for (seq, slot) in seen.iter_mut().enumerate() {
            match exchange(&func, seq as u8) {
                Ok(x) => *slot = x,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let finished = wait_until(|| MODEL_DONE.load(Relaxed));
        instance.close_model();
        let stats = instance.shared.stats();
        drop(func);
        drop(instance);

        assert!(finished);
        assert_eq!(failed, None);
        assert_eq!(ACKED.load(Relaxed), 3);
        // The reply announced right after the write proves the write waited for the model
        // (timers may fire a jiffy early, so the time spent is not compared with its latency).
        for (seq, x) in seen.iter().enumerate() {
            assert!(x.write_ok);
            assert_eq!(x.announced, (8, 0));
            assert_eq!(x.reply, (0xb0, seq as u8));
        }
        assert_eq!(stats.write_timeouts, 0);
        assert_eq!(stats.bad_accesses, 0);
        Ok(())
    }

    /// Back-to-back exchanges with a model that answers at once: each write returns with its
    /// answer, none waits for the timeout. (Which of the writing thread and the acknowledgement
    /// comes first is up to the scheduler; both orders are checked deterministically by
    /// `write_wait_in_either_order`.)
    #[test]
    fn back_to_back_with_a_fast_model() -> Result {
        const WRITES: u32 = 64;
        let instance = Instance::new(c"bes2600_vsdio_kunit_ack3", TEST_CARD)?;
        let func = enumerated(&instance)?;
        func.claim_host()?.enable_function()?;
        ACKED.store(0, Relaxed);
        MODEL_DONE.store(false, Relaxed);
        instance.shared.card.lock().open_model()?;
        let model = instance.clone();
        workqueue::system_long().try_spawn(GFP_KERNEL, move || fast_model(model, WRITES))?;

        let mut slowest = 0;
        let mut wrong = 0u32;
        let mut failed = None;
        for seq in 0..WRITES {
            match exchange(&func, seq as u8) {
                Ok(x) => {
                    slowest = slowest.max(x.write_ms);
                    if !x.write_ok || x.announced != (8, 0) || x.reply != (0xb0, seq as u8) {
                        wrong += 1;
                    }
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let finished = wait_until(|| MODEL_DONE.load(Relaxed));
        instance.close_model();
        let stats = instance.shared.stats();
        drop(func);
        drop(instance);

        assert!(finished);
        assert_eq!(failed, None);
        assert_eq!(ACKED.load(Relaxed), WRITES);
        assert_eq!(wrong, 0);
        // Every write completed on the model's acknowledgement, none on the timeout; how long
        // they took depends on the machine, so it is only reported.
        assert_eq!(stats.write_timeouts, 0);
        pr_info!("back to back: slowest write {} ms\n", slowest);
        Ok(())
    }

    /// A model that does not acknowledge: the write completes after the timeout (counted),
    /// its late acknowledgement changes nothing. A model that closes the device releases the
    /// write at once; without a model writes do not wait.
    #[test]
    fn a_silent_model_costs_the_timeout() -> Result {
        let instance = Instance::new(c"bes2600_vsdio_kunit_ack2", TEST_CARD)?;
        let func = enumerated(&instance)?;
        func.claim_host()?.enable_function()?;
        instance.shared.card.lock().open_model()?;

        let silent = timed_write(&func);
        let late = take_write(&instance).is_some()
            && instance
                .apply(ModelRequest::WriteDone(1), KVVec::new())
                .is_ok();
        let timeouts = instance.shared.stats().write_timeouts;

        // The model reads the next write and closes the device.
        MODEL_DONE.store(false, Relaxed);
        CLOSING.store(false, Relaxed);
        let model = instance.clone();
        workqueue::system_long().try_spawn(GFP_KERNEL, move || {
            if take_write(&model).is_some() {
                fsleep(Delta::from_millis(MODEL_LATENCY_MS));
            }
            CLOSING.store(true, Relaxed);
            model.close_model();
            MODEL_DONE.store(true, Relaxed);
        })?;
        let closed = timed_write(&func);
        let waited_for_close = CLOSING.load(Relaxed);
        let finished = wait_until(|| MODEL_DONE.load(Relaxed));
        let alone = timed_write(&func);
        let stats = instance.shared.stats();
        drop(func);
        drop(instance);

        // Which write waited for the timeout is told by the host's own count, not by the clock
        // (a loaded machine stretches every time); the times are reported.
        let (ok, silent_ms) = silent?;
        assert!(ok);
        assert!(silent_ms < 5000);
        assert!(late);
        assert_eq!(timeouts, 1);
        assert!(finished);
        let (ok, closed_ms) = closed?;
        assert!(ok);
        assert!(waited_for_close);
        let (ok, alone_ms) = alone?;
        assert!(ok);
        pr_info!(
            "write ack: silent model {} ms, closed {} ms, no model {} ms\n",
            silent_ms,
            closed_ms,
            alone_ms
        );
        assert_eq!(stats.write_timeouts, 1);
        assert_eq!(stats.cmd53_writes, 3);
        Ok(())
    }
}
