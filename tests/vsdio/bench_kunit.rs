// SPDX-License-Identifier: GPL-2.0

//! KUnit suites of the virtual host's pure logic: argument decoding, the CIS, message framing,
//! the queues and the card's answers. With `CONFIG_KUNIT=y` they run when the module is loaded.

use kernel::prelude::*;

/// Helpers the card suites share: drive a card the way the MMC core does.
mod drive {
    use kernel::prelude::*;

    use crate::abi::Message;
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

    /// A CMD53 argument with an incrementing address.
    pub(super) fn cmd53(write: bool, func: u8, block_mode: bool, addr: u32, count: u16) -> u32 {
        Cmd53 {
            write,
            func,
            block_mode,
            incr_addr: true,
            addr,
            count,
        }
        .encode()
    }

    /// The data byte of a CMD52 response without error flags.
    pub(super) fn byte(reply: Reply) -> Option<u8> {
        match reply {
            Reply::Response(word) if word & 0xff00 & !r5::STATE_CMD == 0 => {
                Some((word & 0xff) as u8)
            }
            _ => None,
        }
    }

    /// Reads a function 0 byte with CMD52; 0xee (which the card never holds) if it fails.
    pub(super) fn f0(card: &mut Card, addr: u32) -> u8 {
        byte(card.command(opcode::IO_RW_DIRECT, cmd52(false, 0, addr, 0))).unwrap_or(0xee)
    }

    /// Fails with `EIO` unless `ok`.
    fn check(ok: bool) -> Result {
        if ok {
            Ok(())
        } else {
            Err(EIO)
        }
    }

    /// A powered card taken through the core's initialisation: reset, CMD5, CMD3, CMD7.
    pub(super) fn selected_card() -> Result<Card> {
        let mut card = Card::new(BES2600)?;
        card.set_power(true);
        check(card.command(opcode::GO_IDLE_STATE, 0) == Reply::NoResponse)?;
        check(matches!(
            card.command(opcode::IO_SEND_OP_COND, 0),
            Reply::Response(_)
        ))?;
        check(matches!(
            card.command(opcode::IO_SEND_OP_COND, 0x0030_0000),
            Reply::Response(_)
        ))?;
        check(matches!(
            card.command(opcode::SEND_RELATIVE_ADDR, 0),
            Reply::Response(_)
        ))?;
        check(matches!(
            card.command(opcode::SELECT_CARD, 1 << 16),
            Reply::Response(_)
        ))?;
        Ok(card)
    }

    /// A selected card with function 1 enabled and its interrupt claimed, messages drained.
    pub(super) fn enabled_card() -> Result<Card> {
        let mut card = selected_card()?;
        card.command(
            opcode::IO_RW_DIRECT,
            cmd52(true, 0, cccr::IO_ENABLE, F1_BIT),
        );
        card.command(
            opcode::IO_RW_DIRECT,
            cmd52(true, 0, cccr::INT_ENABLE, F1_BIT | cccr::INT_MASTER),
        );
        card.host_irq_enable(true);
        drain(&mut card);
        Ok(card)
    }

    /// Takes every queued message.
    pub(super) fn drain(card: &mut Card) {
        while card.pop_message().is_some() {}
    }

    /// The next message as (kind, arg0, arg1, payload length).
    pub(super) fn next(card: &mut Card) -> Option<(u32, u32, u32, usize)> {
        card.pop_message()
            .map(|m: Message| (m.kind, m.arg0, m.arg1, m.payload.len()))
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

#[kunit_tests(bes2600_vsdio_sdio)]
mod sdio_spec {
    use crate::card::BES2600;
    use crate::sdio_spec::{
        common_cis,
        f1_cis,
        Cmd52,
        Cmd53, //
    };

    /// The argument `mmc_io_rw_direct_host()` builds for `sdio_writeb(func1, 0x5a, 0x120)`.
    #[test]
    fn cmd52_decodes_core_argument() {
        let arg = 0x8000_0000 | (1 << 28) | (0x120 << 9) | 0x5a;
        let c = Cmd52::decode(arg);
        assert!(c.write);
        assert_eq!(c.func, 1);
        assert!(!c.raw);
        assert_eq!(c.addr, 0x120);
        assert_eq!(c.data, 0x5a);
        assert_eq!(c.encode(), arg);
    }

    /// The read-after-write flag and the top of the 17-bit address space.
    #[test]
    fn cmd52_raw_and_full_address() {
        let c = Cmd52::decode((1 << 27) | (0x1_ffff << 9));
        assert!(c.raw);
        assert!(!c.write);
        assert_eq!(c.func, 0);
        assert_eq!(c.addr, 0x1_ffff);
    }

    /// The argument `mmc_io_rw_extended()` builds for a 3-block write to function 1 at the
    /// "address" 0x10600 (a length with the toggle bit, as the BES2600 uses it).
    #[test]
    fn cmd53_decodes_block_write() {
        let arg = 0x8000_0000 | (1 << 28) | 0x0400_0000 | (0x1_0600 << 9) | 0x0800_0000 | 3;
        let c = Cmd53::decode(arg);
        assert!(c.write && c.block_mode && c.incr_addr);
        assert_eq!(c.func, 1);
        assert_eq!(c.addr, 0x1_0600);
        assert_eq!(c.count, 3);
        assert_eq!(c.encode(), arg);
    }

    /// Byte mode: a count of 0 means 512 bytes.
    #[test]
    fn cmd53_byte_count() {
        let c = Cmd53::decode((1 << 28) | (0x40 << 9) | 100);
        assert!(!c.write && !c.block_mode && !c.incr_addr);
        assert_eq!(c.byte_count(), 100);
        assert_eq!(Cmd53::decode(1 << 28).byte_count(), 512);
    }

    /// Walks CIS tuples like `sdio_read_cis()`: returns (MANFID, max block size from FUNCE).
    fn walk(cis: &[u8], function: bool) -> (Option<(u16, u16)>, Option<u16>) {
        let (mut manfid, mut blksize) = (None, None);
        let mut at = 0;
        while at < cis.len() && cis[at] != 0xff {
            let (code, link) = (cis[at], usize::from(cis[at + 1]));
            let body = &cis[at + 2..at + 2 + link];
            match code {
                0x20 => {
                    manfid = Some((
                        u16::from_le_bytes([body[0], body[1]]),
                        u16::from_le_bytes([body[2], body[3]]),
                    ))
                }
                0x22 if function && body[0] == 1 && link >= 42 => {
                    blksize = Some(u16::from_le_bytes([body[12], body[13]]))
                }
                0x22 if !function && body[0] == 0 && link >= 4 => {
                    blksize = Some(u16::from_le_bytes([body[1], body[2]]))
                }
                _ => {}
            }
            at += 2 + link;
        }
        assert!(at < cis.len()); // CIS without CISTPL_END
        (manfid, blksize)
    }

    /// The common CIS names the BES2600 and a 512-byte function 0 block.
    #[test]
    fn common_cis_content() {
        let cis = common_cis(BES2600.vendor, BES2600.device, 512);
        assert_eq!(walk(&cis, false), (Some((0xbe57, 0x2002)), Some(512)));
        assert_eq!(cis[cis.len() - 1], 0xff);
    }

    /// Function 1's CIS: MANFID 0xbe57/0x2002, FUNCE max block size 512, 1 s enable timeout.
    #[test]
    fn f1_cis_content() {
        let cis = f1_cis(BES2600.vendor, BES2600.device, 512);
        assert_eq!(walk(&cis, true), (Some((0xbe57, 0x2002)), Some(512)));
        // FUNCE body starts after FUNCID (4 bytes) and the FUNCE code and link.
        assert_eq!(cis[4], 0x22);
        assert_eq!(cis[5], 42);
        assert_eq!(u16::from_le_bytes([cis[6 + 28], cis[6 + 29]]), 100);
    }
}

#[kunit_tests(bes2600_vsdio_abi)]
mod abi_framing {
    use kernel::prelude::*;

    use crate::abi::{
        parse,
        Fault,
        Header,
        Message,
        ModelRequest,
        HEADER_LEN,
        MAX_PAYLOAD, //
    };

    /// The header is four little-endian words.
    #[test]
    fn header_wire_form() {
        let h = Header {
            kind: 0x81,
            arg0: 0x0102_0304,
            arg1: 0xa0b0_c0d0,
            len: 0x10,
        };
        let wire = h.encode();
        assert_eq!(
            wire,
            [0x81, 0, 0, 0, 0x04, 0x03, 0x02, 0x01, 0xd0, 0xc0, 0xb0, 0xa0, 0x10, 0, 0, 0]
        );
        assert_eq!(Header::decode(&wire), h);
    }

    /// A message's wire length counts the header.
    #[test]
    fn message_lengths() -> Result {
        let mut m = Message::new(1, 0x200, 0);
        assert_eq!(m.wire_len(), HEADER_LEN);
        m.payload = KVVec::from_elem(0u8, 1000, GFP_KERNEL)?;
        assert_eq!(m.wire_len(), HEADER_LEN + 1000);
        assert_eq!(m.header().len, 1000);
        assert_eq!(m.header().arg0, 0x200);
        Ok(())
    }

    fn hdr(kind: u32, arg0: u32, arg1: u32, len: u32) -> Header {
        Header {
            kind,
            arg0,
            arg1,
            len,
        }
    }

    /// Every model message kind parses with its arguments.
    #[test]
    fn model_messages_parse() {
        assert_eq!(
            parse(&hdr(0x81, 0x1ab, 0x85, 4), HEADER_LEN + 4).ok(),
            Some(ModelRequest::RxQueue {
                reg0: 0xab,
                reg1: 0x85,
                idle0: 0x01,
                idle1: 0
            })
        );
        assert_eq!(
            parse(&hdr(0x82, 0x10c, 0x107, 0), HEADER_LEN).ok(),
            Some(ModelRequest::SetReg {
                addr: 0x10c,
                value: 0x07
            })
        );
        assert_eq!(
            parse(&hdr(0x83, 1, 0, 0), HEADER_LEN).ok(),
            Some(ModelRequest::Irq(true))
        );
        assert_eq!(
            parse(&hdr(0x84, 1, 3, 0), HEADER_LEN).ok(),
            Some(ModelRequest::Fault(Fault::Cmd53(3)))
        );
        assert_eq!(
            parse(&hdr(0x84, 2, 5, 0), HEADER_LEN).ok(),
            Some(ModelRequest::Fault(Fault::Cmd52(5)))
        );
        assert_eq!(
            parse(&hdr(0x84, 3, 9, 0), HEADER_LEN).ok(),
            Some(ModelRequest::Fault(Fault::Storm(9)))
        );
        assert_eq!(
            parse(&hdr(0x85, 25_000_000, 2000, 0), HEADER_LEN).ok(),
            Some(ModelRequest::Timing {
                rate: 25_000_000,
                overhead_ns: 2000
            })
        );
        assert_eq!(
            parse(&hdr(0x86, 0, 0, 0), HEADER_LEN).ok(),
            Some(ModelRequest::CardPresent(false))
        );
        // The largest RX item.
        assert!(parse(
            &hdr(0x81, 0, 0, MAX_PAYLOAD as u32),
            HEADER_LEN + MAX_PAYLOAD
        )
        .is_ok());
    }

    /// Malformed messages are refused with EINVAL.
    #[test]
    fn malformed_messages_are_refused() {
        let bad = [
            // Length field and write size disagree.
            (hdr(0x81, 0, 0, 4), HEADER_LEN + 3),
            (hdr(0x81, 0, 0, 4), HEADER_LEN),
            // Payload too large.
            (
                hdr(0x81, 0, 0, MAX_PAYLOAD as u32 + 1),
                HEADER_LEN + MAX_PAYLOAD + 1,
            ),
            // Host-to-model and unknown kinds.
            (hdr(0x01, 0, 0, 0), HEADER_LEN),
            (hdr(0x88, 0, 0, 0), HEADER_LEN),
            // A payload on a kind that takes none.
            (hdr(0x82, 0, 0, 1), HEADER_LEN + 1),
            // Register out of range, bad flags, bad fault type.
            (hdr(0x82, 0x200, 0, 0), HEADER_LEN),
            (hdr(0x83, 2, 0, 0), HEADER_LEN),
            (hdr(0x84, 0, 1, 0), HEADER_LEN),
            (hdr(0x84, 4, 1, 0), HEADER_LEN),
            (hdr(0x86, 7, 0, 0), HEADER_LEN),
        ];
        for (h, total) in bad {
            assert_eq!(parse(&h, total).err(), Some(EINVAL));
        }
    }
}

#[kunit_tests(bes2600_vsdio_ring)]
mod ring_queue {
    use kernel::prelude::*;

    use crate::ring::Ring;

    /// First in, first out, across the wrap of the storage.
    #[test]
    fn fifo_order_wraps() -> Result {
        let mut r = Ring::new(3)?;
        for round in 0..5u32 {
            assert!(r.push(round * 10).is_ok());
            assert!(r.push(round * 10 + 1).is_ok());
            assert_eq!(r.front(), Some(&(round * 10)));
            assert_eq!(r.pop(), Some(round * 10));
            assert_eq!(r.pop(), Some(round * 10 + 1));
            assert!(r.is_empty());
        }
        Ok(())
    }

    /// A full queue gives the item back and keeps its contents.
    #[test]
    fn full_queue_refuses() -> Result {
        let mut r = Ring::new(2)?;
        assert!(r.push(1).is_ok());
        assert!(r.push(2).is_ok());
        assert_eq!(r.push(3), Err(3));
        assert_eq!(r.len(), 2);
        assert_eq!(r.capacity(), 2);
        r.clear();
        assert!(r.is_empty());
        assert_eq!(r.pop(), None);
        assert!(r.push(4).is_ok());
        assert_eq!(r.pop(), Some(4));
        Ok(())
    }
}

#[kunit_tests(bes2600_vsdio_card)]
mod card_model {
    use kernel::prelude::*;

    use super::drive::{
        self,
        byte,
        cmd52,
        cmd53,
        f0,
        next,
        payload, //
    };
    use crate::abi::{
        to_model,
        Fault,
        ModelRequest, //
    };
    use crate::card::{
        BusModel,
        Card,
        Reply,
        State,
        BES2600,
        MODEL_QUEUE_DEPTH,
        RX_QUEUE_DEPTH, //
    };
    use crate::sdio_spec::{
        cccr,
        fbr1,
        opcode,
        r5,
        F1_BIT, //
    };

    /// The core's enumeration sequence: CMD5 answers R4 with one function and 2.7-3.6 V,
    /// CMD3 publishes RCA 1, CMD7 selects; the reset is reported to the model once.
    #[test]
    fn enumeration_sequence() -> Result {
        let mut card = Card::new(BES2600)?;
        assert_eq!(card.command(opcode::IO_SEND_OP_COND, 0), Reply::Timeout); // unpowered
        card.set_power(true);
        // sdio_reset(): CMD52 write of RES to CCCR abort, then CMD0.
        card.command(opcode::IO_RW_DIRECT, cmd52(true, 0, cccr::IO_ABORT, 0x08));
        assert_eq!(card.command(opcode::GO_IDLE_STATE, 0), Reply::NoResponse);
        assert_eq!(
            card.command(opcode::IO_SEND_OP_COND, 0),
            Reply::Response(0x10ff_8000)
        );
        assert_eq!(
            card.command(opcode::IO_SEND_OP_COND, 0x0030_0000),
            Reply::Response(0x90ff_8000)
        );
        assert_eq!(card.state(), State::Ready);
        assert_eq!(
            card.command(opcode::SEND_RELATIVE_ADDR, 0),
            Reply::Response(0x0001_0000)
        );
        assert_eq!(
            card.command(opcode::SELECT_CARD, 0x0001_0000),
            Reply::Response(0x900)
        );
        assert_eq!(card.state(), State::Transfer);
        assert_eq!(next(&mut card), Some((to_model::CARD_RESET, 0, 0, 0)));
        assert!(card.pop_message().is_none());
        // SD memory commands get no answer.
        assert_eq!(card.command(8, 0x1aa), Reply::Timeout);
        assert_eq!(card.command(55, 0), Reply::Timeout);
        Ok(())
    }

    /// What `sdio_read_cccr()` and `sdio_read_cis()` read, through CMD52.
    #[test]
    fn cccr_fbr_and_cis_through_cmd52() -> Result {
        let mut card = drive::selected_card()?;
        assert_eq!(f0(&mut card, cccr::REVISION), 0x33);
        assert_eq!(f0(&mut card, cccr::CAPS) & 0x02, 0x02); // SMB
        assert_eq!(f0(&mut card, cccr::CAPS) & 0x40, 0); // not low speed
        assert_eq!(f0(&mut card, cccr::SPEED) & 0x01, 0x01); // SHS
        let ptr = |card: &mut Card, base: u32| {
            u32::from(f0(card, base))
                | u32::from(f0(card, base + 1)) << 8
                | u32::from(f0(card, base + 2)) << 16
        };
        let common = ptr(&mut card, cccr::CIS_PTR);
        let f1 = ptr(&mut card, fbr1::CIS_PTR);
        assert_eq!(f0(&mut card, common), 0x21); // CISTPL_FUNCID first
                                                 // Find MANFID in function 1's CIS the way the core does: code, link, body.
        let mut at = f1;
        let mut found = None;
        for _ in 0..8 {
            let code = f0(&mut card, at);
            if code == 0xff {
                break;
            }
            let link = u32::from(f0(&mut card, at + 1));
            if code == 0x20 {
                found = Some((
                    u16::from(f0(&mut card, at + 2)) | u16::from(f0(&mut card, at + 3)) << 8,
                    u16::from(f0(&mut card, at + 4)) | u16::from(f0(&mut card, at + 5)) << 8,
                ));
            }
            at += 2 + link;
        }
        assert_eq!(found, Some((0xbe57, 0x2002)));
        Ok(())
    }

    /// `sdio_enable_hs()`, `sdio_enable_wide()` and `sdio_set_block_size()` read back what they
    /// wrote; enabling function 1 is reported and reflected in IORx.
    #[test]
    fn cccr_writes() -> Result {
        let mut card = drive::selected_card()?;
        drive::drain(&mut card);
        card.command(opcode::IO_RW_DIRECT, cmd52(true, 0, cccr::SPEED, 0x03));
        assert_eq!(f0(&mut card, cccr::SPEED), 0x03);
        card.command(opcode::IO_RW_DIRECT, cmd52(true, 0, cccr::BUS_IF, 0x02));
        assert_eq!(f0(&mut card, cccr::BUS_IF), 0x02);
        card.command(opcode::IO_RW_DIRECT, cmd52(true, 0, fbr1::BLKSIZE, 0x00));
        card.command(
            opcode::IO_RW_DIRECT,
            cmd52(true, 0, fbr1::BLKSIZE + 1, 0x02),
        );
        assert_eq!(f0(&mut card, fbr1::BLKSIZE + 1), 0x02);
        assert_eq!(f0(&mut card, cccr::IO_READY), 0);
        card.command(
            opcode::IO_RW_DIRECT,
            cmd52(true, 0, cccr::IO_ENABLE, F1_BIT),
        );
        assert_eq!(f0(&mut card, cccr::IO_READY), F1_BIT);
        assert_eq!(next(&mut card), Some((to_model::FUNC_ENABLE, 1, 0, 0)));
        card.command(opcode::IO_RW_DIRECT, cmd52(true, 0, cccr::IO_ENABLE, 0));
        assert_eq!(next(&mut card), Some((to_model::FUNC_ENABLE, 0, 0, 0)));
        Ok(())
    }

    /// Function 1 before it is enabled: R5 ERROR and a BAD_ACCESS code 4.
    #[test]
    fn disabled_function_access() -> Result {
        let mut card = drive::selected_card()?;
        drive::drain(&mut card);
        let reply = card.command(opcode::IO_RW_DIRECT, cmd52(false, 1, 0x10c, 0));
        assert!(matches!(reply, Reply::Response(w) if w & r5::ERROR != 0));
        assert_eq!(next(&mut card), Some((to_model::BAD_ACCESS, 0x10c, 4, 0)));
        assert_eq!(card.stats().bad_accesses, 1);
        Ok(())
    }

    /// The register file: SET_REG values read back, writes are stored and reported, an
    /// unmapped register is out of range.
    #[test]
    fn register_file() -> Result {
        let mut card = drive::enabled_card()?;
        card.apply(
            ModelRequest::SetReg {
                addr: 0x10c,
                value: 0x05,
            },
            KVVec::new(),
        )?;
        assert_eq!(
            byte(card.command(opcode::IO_RW_DIRECT, cmd52(false, 1, 0x10c, 0))),
            Some(0x05)
        );
        assert_eq!(
            byte(card.command(opcode::IO_RW_DIRECT, cmd52(false, 1, 0x1ff, 0))),
            Some(0)
        );
        card.command(opcode::IO_RW_DIRECT, cmd52(true, 1, 0x121, 0x02));
        card.command(opcode::IO_RW_DIRECT, cmd52(true, 1, 0x120, 0x21));
        assert_eq!(
            next(&mut card),
            Some((to_model::CMD52_WRITE, 0x121, 0x02, 0))
        );
        assert_eq!(
            next(&mut card),
            Some((to_model::CMD52_WRITE, 0x120, 0x21, 0))
        );
        assert_eq!(
            byte(card.command(opcode::IO_RW_DIRECT, cmd52(false, 1, 0x120, 0))),
            Some(0x21)
        );
        let reply = card.command(opcode::IO_RW_DIRECT, cmd52(false, 1, 0x200, 0));
        assert!(matches!(reply, Reply::Response(w) if w & r5::OUT_OF_RANGE != 0));
        assert_eq!(next(&mut card), Some((to_model::BAD_ACCESS, 0x200, 3, 0)));
        let s = card.stats();
        assert_eq!((s.cmd52_reads, s.cmd52_writes), (3, 2));
        Ok(())
    }

    /// The RX queue: the head's register values, the interrupt on the first item, CMD53 reads
    /// consuming items in order and re-raising the interrupt while more are queued.
    #[test]
    fn rx_queue_and_interrupt() -> Result {
        let mut card = drive::enabled_card()?;
        assert!(!card.take_irq_signal()); // nothing pending
        card.apply(
            ModelRequest::RxQueue {
                reg0: 0,
                reg1: 0x81,
                idle0: 0,
                idle1: 0,
            },
            payload(512, 1)?,
        )?;
        card.apply(
            ModelRequest::RxQueue {
                reg0: 0,
                reg1: 0x02,
                idle0: 0,
                idle1: 0,
            },
            payload(1024, 7)?,
        )?;
        assert!(card.take_irq_signal());
        assert!(!card.take_irq_signal()); // masked until acknowledged
                                          // The driver's handler reads 0x001: the length of the head item; this acknowledges.
        assert_eq!(
            byte(card.command(opcode::IO_RW_DIRECT, cmd52(false, 1, 0x001, 0))),
            Some(0x81)
        );
        assert!(!card.irq_line());
        card.host_irq_ack();
        assert!(!card.take_irq_signal());
        let mut buf = [0u8; 512];
        let x = card.cmd53_read(cmd53(false, 1, true, 0x200, 1), &mut buf);
        assert!(matches!(x.reply, Reply::Response(_)) && !x.data_error);
        assert_eq!((buf[0], buf[511]), (1, 0));
        assert_eq!(
            next(&mut card),
            Some((to_model::RX_CONSUMED, 0x200, 512, 0))
        );
        // More queued: the line is raised again.
        assert!(card.irq_line());
        assert!(card.take_irq_signal());
        assert_eq!(
            byte(card.command(opcode::IO_RW_DIRECT, cmd52(false, 1, 0x001, 0))),
            Some(0x02)
        );
        let mut buf = [0u8; 1024];
        card.cmd53_read(cmd53(false, 1, true, 0x1_0400, 2), &mut buf);
        assert_eq!((buf[0], buf[1023]), (7, 6));
        assert_eq!(
            next(&mut card),
            Some((to_model::RX_CONSUMED, 0x1_0400, 1024, 0))
        );
        assert_eq!(card.rx_len(), 0);
        // Idle registers apply again.
        assert_eq!(
            byte(card.command(opcode::IO_RW_DIRECT, cmd52(false, 1, 0x001, 0))),
            Some(0)
        );
        let s = card.stats();
        assert_eq!((s.cmd53_reads, s.bytes_read, s.irqs_raised), (2, 1536, 2));
        Ok(())
    }

    /// Reads with nothing queued or longer than the item return zeros and are reported.
    #[test]
    fn bad_reads() -> Result {
        let mut card = drive::enabled_card()?;
        let mut buf = [0xaau8; 64];
        let x = card.cmd53_read(cmd53(false, 1, false, 64, 64), &mut buf);
        assert!(matches!(x.reply, Reply::Response(_)));
        assert_eq!(next(&mut card), Some((to_model::BAD_ACCESS, 64, 1, 0)));
        card.apply(
            ModelRequest::RxQueue {
                reg0: 0,
                reg1: 0,
                idle0: 0,
                idle1: 0,
            },
            payload(10, 1)?,
        )?;
        let mut buf = [0u8; 64];
        card.cmd53_read(cmd53(false, 1, false, 64, 64), &mut buf);
        assert_eq!((buf[9], buf[10]), (10, 0));
        assert_eq!(next(&mut card), Some((to_model::RX_CONSUMED, 64, 64, 0)));
        assert_eq!(next(&mut card), Some((to_model::BAD_ACCESS, 64, 2, 0)));
        assert_eq!(card.stats().bad_accesses, 2);
        Ok(())
    }

    /// The RX queue holds 256 items; the next is refused with ENOSPC.
    #[test]
    fn rx_queue_limit() -> Result {
        let mut card = drive::enabled_card()?;
        let item = ModelRequest::RxQueue {
            reg0: 0,
            reg1: 1,
            idle0: 0,
            idle1: 0,
        };
        for _ in 0..RX_QUEUE_DEPTH {
            card.apply(item, KVVec::new())?;
        }
        let more = card.apply(item, KVVec::new());
        assert_eq!(more.err(), Some(ENOSPC));
        assert_eq!(card.rx_len(), RX_QUEUE_DEPTH);
        Ok(())
    }

    /// CMD53 writes go to the model whole, with the address field and block count.
    #[test]
    fn cmd53_writes_reach_the_model() -> Result {
        let mut card = drive::enabled_card()?;
        let x = card.cmd53_write(cmd53(true, 1, true, 0x1_05f1, 3), 3, payload(1536, 0)?);
        assert!(matches!(x.reply, Reply::Response(_)) && !x.data_error);
        assert_eq!(
            next(&mut card),
            Some((to_model::CMD53_WRITE, 0x1_05f1, 1 | (3 << 16), 1536))
        );
        card.cmd53_write(cmd53(true, 1, false, 0x24, 0x24), 1, payload(0x24, 0)?);
        assert_eq!(
            next(&mut card),
            Some((to_model::CMD53_WRITE, 0x24, 0, 0x24))
        );
        let s = card.stats();
        assert_eq!((s.cmd53_writes, s.bytes_written), (2, 1536 + 0x24));
        Ok(())
    }

    /// Injected faults: CMD52s time out, CMD53s fail their data phase, both without effect.
    #[test]
    fn injected_bus_faults() -> Result {
        let mut card = drive::enabled_card()?;
        card.apply(ModelRequest::Fault(Fault::Cmd52(2)), KVVec::new())?;
        card.apply(ModelRequest::Fault(Fault::Cmd53(1)), KVVec::new())?;
        let read = cmd52(false, 1, 0x10c, 0);
        assert_eq!(card.command(opcode::IO_RW_DIRECT, read), Reply::Timeout);
        assert_eq!(card.command(opcode::IO_RW_DIRECT, read), Reply::Timeout);
        assert!(matches!(
            card.command(opcode::IO_RW_DIRECT, read),
            Reply::Response(_)
        ));
        let x = card.cmd53_write(cmd53(true, 1, false, 8, 8), 1, payload(8, 0)?);
        assert!(x.data_error);
        assert!(card.pop_message().is_none()); // a failed write is not delivered
        let x = card.cmd53_write(cmd53(true, 1, false, 8, 8), 1, payload(8, 0)?);
        assert!(!x.data_error);
        assert_eq!(card.stats().faults_injected, 3);
        Ok(())
    }

    /// An interrupt storm raises the line once now and again at each acknowledgement.
    #[test]
    fn interrupt_storm() -> Result {
        let mut card = drive::enabled_card()?;
        card.apply(ModelRequest::Fault(Fault::Storm(3)), KVVec::new())?;
        let mut signals = 0;
        for _ in 0..10 {
            if card.take_irq_signal() {
                signals += 1;
                // The driver acknowledges by reading 0x001, then the core acks the host.
                card.command(opcode::IO_RW_DIRECT, cmd52(false, 1, 0x001, 0));
                card.host_irq_ack();
            }
        }
        assert_eq!(signals, 3);
        assert_eq!(card.rx_len(), 0);
        assert_eq!(card.stats().faults_injected, 3);
        Ok(())
    }

    /// No interrupt reaches the core unless function 1's and the master enable are set and
    /// the core enabled delivery; a level interrupt is signalled again after the ack.
    #[test]
    fn interrupt_gating() -> Result {
        let mut card = drive::selected_card()?;
        card.apply(ModelRequest::Irq(true), KVVec::new())?;
        assert!(!card.take_irq_signal());
        card.command(
            opcode::IO_RW_DIRECT,
            cmd52(true, 0, cccr::IO_ENABLE, F1_BIT),
        );
        card.command(
            opcode::IO_RW_DIRECT,
            cmd52(true, 0, cccr::INT_ENABLE, F1_BIT),
        );
        card.host_irq_enable(true);
        assert!(!card.take_irq_signal()); // no master enable
        card.command(
            opcode::IO_RW_DIRECT,
            cmd52(true, 0, cccr::INT_ENABLE, F1_BIT | cccr::INT_MASTER),
        );
        assert_eq!(f0(&mut card, cccr::INT_PENDING), F1_BIT);
        assert!(card.take_irq_signal());
        card.host_irq_ack();
        assert!(card.take_irq_signal()); // level: still asserted
        card.host_irq_ack();
        card.apply(ModelRequest::Irq(false), KVVec::new())?;
        assert!(!card.take_irq_signal());
        assert_eq!(f0(&mut card, cccr::INT_PENDING), 0);
        card.host_irq_enable(false);
        card.apply(ModelRequest::Irq(true), KVVec::new())?;
        assert!(!card.take_irq_signal()); // delivery disabled
        Ok(())
    }

    /// A reset (CMD0, power loss, removal) empties the RX queue, clears the registers and the
    /// interrupt, disables the function, and is reported once per reset sequence.
    #[test]
    fn reset_clears_state() -> Result {
        let mut card = drive::enabled_card()?;
        card.apply(
            ModelRequest::SetReg {
                addr: 0x10c,
                value: 1,
            },
            KVVec::new(),
        )?;
        card.apply(
            ModelRequest::RxQueue {
                reg0: 0,
                reg1: 1,
                idle0: 0,
                idle1: 0,
            },
            payload(4, 0)?,
        )?;
        card.set_power(false);
        card.set_power(true);
        assert_eq!(card.command(opcode::GO_IDLE_STATE, 0), Reply::NoResponse);
        assert_eq!(next(&mut card), Some((to_model::CARD_RESET, 0, 0, 0)));
        assert!(card.pop_message().is_none()); // one CARD_RESET per sequence
        assert_eq!((card.rx_len(), card.irq_line()), (0, false));
        assert_eq!(f0(&mut card, cccr::IO_ENABLE), 0);
        // Re-initialise: the register file reads 0 again.
        let mut card2 = drive::enabled_card()?;
        assert_eq!(
            byte(card2.command(opcode::IO_RW_DIRECT, cmd52(false, 1, 0x10c, 0))),
            Some(0)
        );
        // A removed card does not answer.
        card2.set_present(false);
        assert_eq!(card2.command(opcode::SELECT_CARD, 1 << 16), Reply::NoMedium);
        Ok(())
    }

    /// The queue toward the model holds 4096 messages; more are counted as dropped.
    #[test]
    fn model_queue_overflow() -> Result {
        let mut card = drive::enabled_card()?;
        for _ in 0..MODEL_QUEUE_DEPTH + 3 {
            card.command(opcode::IO_RW_DIRECT, cmd52(true, 1, 0x120, 1));
        }
        assert_eq!(card.messages_len(), MODEL_QUEUE_DEPTH);
        assert_eq!(card.stats().dropped, 3);
        assert_eq!(card.next_message_len(), Some(16));
        Ok(())
    }

    /// The bus model: bytes over the rate plus the fixed cost, back to back on a busy bus.
    #[test]
    fn bus_timing_model() {
        let mut off = BusModel::new(0, 5000);
        assert!(!off.is_active());
        assert_eq!(off.transfer(1234, 4096), 1234);
        // 10 MB/s: 1000 bytes take 100 us, plus 2 us overhead. An idle bus starts the first
        // transfer up to the idle credit (4 ms) early, so it completes at once...
        let mut bus = BusModel::new(10_000_000, 2000);
        let t0 = 1_000_000_000;
        assert_eq!(bus.transfer(t0, 1000), t0 - 4_000_000 + 102_000);
        // ...and transfers issued back to back queue behind each other: the 50th ends 50
        // transfer times after the start of the first.
        let mut end = 0;
        for _ in 1..50 {
            end = bus.transfer(t0, 1000);
        }
        assert_eq!(end, t0 - 4_000_000 + 50 * 102_000);
        // After a long idle time the credit is again at most 4 ms.
        let late = t0 + 1_000_000_000;
        assert_eq!(bus.transfer(late, 1000), late - 4_000_000 + 102_000);
    }

    /// The debugfs counters are named as ABI.md lists them.
    #[test]
    fn stats_names() -> Result {
        let card = Card::new(BES2600)?;
        let names = card.stats().entries().map(|(name, _)| name);
        assert_eq!(
            names,
            [
                "cmd52_reads",
                "cmd52_writes",
                "cmd53_reads",
                "cmd53_writes",
                "bytes_read",
                "bytes_written",
                "irqs_raised",
                "bad_accesses",
                "dropped",
                "faults_injected",
                "write_timeouts"
            ]
        );
        Ok(())
    }
}

/// The whole host through the real MMC core: a second virtual host with a card nobody binds
/// to, driven with the SDIO core's own I/O functions (`sdio_readb()`, CMD53 through
/// `mmc_wait_for_req()`, `sdio_claim_irq()`), and the model's side driven as the chardev does;
/// a card removed under a handle; and SDIO function drivers of `rust/sdio.rs` bound through the
/// real SDIO bus (the interrupt tied to the driver's data, a thread's `FunctionRef`).
#[kunit_tests(bes2600_vsdio_e2e)]
mod end_to_end {
    use core::ptr;

    use kernel::{
        device::{
            Bound,
            Core, //
        },
        device_id::IdArray,
        driver,
        prelude::*,
        sync::atomic::{
            Atomic,
            Relaxed, //
        },
        time::{
            delay::fsleep,
            Delta,
            Instant,
            Monotonic, //
        },
        workqueue,
    };

    use super::drive::payload;
    use crate::abi::{
        to_model,
        Fault,
        ModelRequest, //
    };
    use crate::card::Identity;
    use crate::host::Instance;
    use crate::kernel_ext::{
        mmc_host::{
            CardFunction,
            CardHost,
            CardIrqHandler, //
        },
        sdio::{
            self,
            Cmd53Size,
            DeviceId,
            Function,
            FunctionRef,
            Host,
            IoBuffer, //
        },
    };

    /// A card with a device id no driver matches.
    const TEST_CARD: Identity = Identity {
        vendor: 0xbe57,
        device: 0x2f00,
    };

    /// Interrupts the handler saw.
    static IRQS: Atomic<u32> = Atomic::new(0);
    /// What the handler read from register 0x001 last.
    static LAST_REG1: Atomic<u32> = Atomic::new(0);

    /// Handles the card interrupt like the BES2600 driver: reads the RX length register 0x001,
    /// which acknowledges the interrupt.
    struct AckHandler;

    impl CardIrqHandler for AckHandler {
        fn handle(host: &CardHost<'_>) {
            let reg1 = host.read_u8(0x001).map_or(0x1ff, u32::from);
            LAST_REG1.store(reg1, Relaxed);
            IRQS.fetch_add(1, Relaxed);
        }
    }

    /// Polls `cond` every 10 ms for up to 5 s.
    fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
        for _ in 0..500 {
            if cond() {
                return true;
            }
            fsleep(Delta::from_millis(10));
        }
        cond()
    }

    /// The next message for the model: (kind, arg0, arg1, payload).
    fn take(instance: &Instance) -> Option<(u32, u32, u32, KVVec<u8>)> {
        let msg = instance.shared.card.lock().pop_message();
        msg.map(|m| (m.kind, m.arg0, m.arg1, m.payload))
    }

    /// Kind and arguments of the next message.
    fn take_head(instance: &Instance) -> Option<(u32, u32, u32)> {
        take(instance).map(|(kind, arg0, arg1, _)| (kind, arg0, arg1))
    }

    /// Drops every queued message.
    fn drain(instance: &Instance) {
        while take(instance).is_some() {}
    }

    /// Applies a model message without payload.
    fn model(instance: &Instance, req: ModelRequest) -> Result {
        instance.apply(req, KVVec::new())
    }

    #[test]
    fn through_the_mmc_core() -> Result {
        let instance = Instance::new(c"bes2600_vsdio_kunit", TEST_CARD)?;
        let mut found = None;
        let enumerated = wait_until(|| {
            found = instance.card_function(1);
            found.is_some()
        });
        assert!(enumerated);
        let Some(func) = found else {
            return Err(ETIMEDOUT);
        };
        assert_eq!((func.vendor(), func.device_id()), (0xbe57, 0x2f00));
        drain(&instance);

        // CMD52 through the core: enable, block size, register writes and reads.
        {
            let host = func.claim_host()?;
            host.enable_function()?;
            host.set_block_size(0)?;
            assert_eq!(host.block_size(), 512);
            assert_eq!(take_head(&instance), Some((to_model::FUNC_ENABLE, 1, 0)));
            host.write_u8(0x121, 0x00)?;
            host.write_u8(0x120, 0x21)?;
            assert_eq!(
                take_head(&instance),
                Some((to_model::CMD52_WRITE, 0x121, 0))
            );
            assert_eq!(
                take_head(&instance),
                Some((to_model::CMD52_WRITE, 0x120, 0x21))
            );
            model(
                &instance,
                ModelRequest::SetReg {
                    addr: 0x10c,
                    value: 0x07,
                },
            )?;
            assert_eq!(host.read_u8(0x10c)?, 0x07);
            assert_eq!(host.read_u8(0x200).err(), Some(ERANGE));
            assert_eq!(take_head(&instance), Some((to_model::BAD_ACCESS, 0x200, 3)));
            host.claim_irq::<AckHandler>()?;
        }

        // An RX item raises the card interrupt; the core runs the handler (host released).
        IRQS.store(0, Relaxed);
        instance.apply(
            ModelRequest::RxQueue {
                reg0: 0,
                reg1: 2,
                idle0: 0,
                idle1: 0,
            },
            payload(1024, 3)?,
        )?;
        assert!(wait_until(|| IRQS.load(Relaxed) >= 1));
        assert_eq!(LAST_REG1.load(Relaxed), 2);

        {
            let host = func.claim_host()?;
            // CMD53 block read of the item.
            let mut buf = IoBuffer::new(1024, GFP_KERNEL)?;
            host.read_cmd53(0x400, true, Cmd53Size::Blocks(2), &mut buf)?;
            assert_eq!((buf[0], buf[1023]), (3, 2));
            assert_eq!(
                take_head(&instance),
                Some((to_model::RX_CONSUMED, 0x400, 1024))
            );

            // CMD53 writes, block and byte mode, reach the model whole.
            let mut out = IoBuffer::new(1536, GFP_KERNEL)?;
            for (i, b) in out.iter_mut().enumerate() {
                *b = (i % 251) as u8;
            }
            host.write_cmd53(0x1_0600, true, Cmd53Size::Blocks(3), &out)?;
            let msg = take(&instance);
            assert!(msg.is_some());
            if let Some((kind, arg0, arg1, data)) = msg {
                assert_eq!(
                    (kind, arg0, arg1),
                    (to_model::CMD53_WRITE, 0x1_0600, 1 | (3 << 16))
                );
                assert!(data[..] == out[..]);
            }
            host.write_cmd53(0x64, true, Cmd53Size::Bytes(100), &out)?;
            let msg = take(&instance);
            assert!(msg.is_some());
            if let Some((kind, arg0, arg1, data)) = msg {
                assert_eq!((kind, arg0, arg1), (to_model::CMD53_WRITE, 0x64, 0));
                assert!(data[..] == out[..100]);
            }

            // Injected faults, as the SDIO core reports them.
            model(&instance, ModelRequest::Fault(Fault::Cmd52(1)))?;
            assert_eq!(host.read_u8(0x10c).err(), Some(ETIMEDOUT));
            assert_eq!(host.read_u8(0x10c)?, 0x07);
            model(&instance, ModelRequest::Fault(Fault::Cmd53(1)))?;
            let failed = host.write_cmd53(0x64, true, Cmd53Size::Bytes(100), &out);
            assert_eq!(failed.err(), Some(EIO));
            assert!(take(&instance).is_none());

            // The timing model: 8 x 32 KiB at 4 MB/s take 65.5 ms less at most 4 ms of idle
            // credit; the requests complete from the hrtimer.
            model(
                &instance,
                ModelRequest::Timing {
                    rate: 4_000_000,
                    overhead_ns: 0,
                },
            )?;
            let big = IoBuffer::new(32768, GFP_KERNEL)?;
            let start = Instant::<Monotonic>::now();
            for _ in 0..8 {
                host.write_cmd53(0x1_0000, true, Cmd53Size::Blocks(64), &big)?;
            }
            let elapsed = start.elapsed().as_millis();
            assert!(elapsed >= 60);
            assert!(elapsed < 5000);
            model(
                &instance,
                ModelRequest::Timing {
                    rate: 0,
                    overhead_ns: 0,
                },
            )?;
            drain(&instance);
        }

        // An interrupt storm: three interrupts with nothing queued, each one handled.
        IRQS.store(0, Relaxed);
        model(&instance, ModelRequest::Fault(Fault::Storm(3)))?;
        assert!(wait_until(|| IRQS.load(Relaxed) >= 3));
        fsleep(Delta::from_millis(50));
        assert_eq!(IRQS.load(Relaxed), 3);

        let stats = instance.shared.card.lock().stats();
        assert_eq!((stats.cmd53_reads, stats.cmd53_writes), (1, 10));
        assert_eq!(stats.faults_injected, 5);
        assert_eq!(stats.dropped, 0);
        // `func` drops before `instance` (reverse declaration order), releasing the interrupt
        // before the host and its card go away.
        Ok(())
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

    /// Function interrupts claimed on `instance`'s host (0 when there is none).
    fn claimed_irqs(instance: &Instance) -> u32 {
        instance
            .host()
            .map_or(u32::MAX, |host| host.claimed_sdio_irqs())
    }

    /// A handle to a card function outlives its card: once the MMC core removed the card, the
    /// handle's claims fail cleanly with `ENODEV` (rather than reach the freed card's host
    /// state), the interrupt it had claimed is released with the function, and after the card
    /// is inserted again a new handle works while the old one stays revoked. KASAN checks that
    /// nothing is touched after it is freed.
    #[test]
    fn card_removed_under_handle() -> Result {
        let instance = Instance::new(c"bes2600_vsdio_kunit_rm", TEST_CARD)?;
        let func = enumerated(&instance)?;
        {
            let host = func.claim_host()?;
            host.enable_function()?;
            host.claim_irq::<AckHandler>()?;
        }
        assert_eq!(claimed_irqs(&instance), 1);

        model(&instance, ModelRequest::CardPresent(false))?;
        assert!(wait_until(|| func.claim_host().is_err()));
        assert_eq!(func.claim_host().err(), Some(ENODEV));
        // The deletion of the function released the handle's interrupt on the host.
        assert!(wait_until(|| claimed_irqs(&instance) == 0));
        assert!(instance.card_function(1).is_none());

        model(&instance, ModelRequest::CardPresent(true))?;
        let again = enumerated(&instance)?;
        IRQS.store(0, Relaxed);
        {
            let host = again.claim_host()?;
            host.enable_function()?;
            model(
                &instance,
                ModelRequest::SetReg {
                    addr: 0x10c,
                    value: 0x33,
                },
            )?;
            assert_eq!(host.read_u8(0x10c)?, 0x33);
            host.claim_irq::<AckHandler>()?;
        }
        assert_eq!(claimed_irqs(&instance), 1);
        model(&instance, ModelRequest::Irq(true))?;
        assert!(wait_until(|| IRQS.load(Relaxed) >= 1));
        model(&instance, ModelRequest::Irq(false))?;
        assert_eq!(func.claim_host().err(), Some(ENODEV));

        // Dropping the handles releases the new interrupt; the old handle has nothing left.
        drop(again);
        assert_eq!(claimed_irqs(&instance), 0);
        drop(func);
        Ok(())
    }

    /// A card that only the test drivers below match.
    const DRIVER_CARD: Identity = Identity {
        vendor: 0xbe57,
        device: 0x2f02,
    };

    /// One id table shared by both test drivers: the interrupt of one must never reach the
    /// other's handler or data, whatever their tables.
    static DRIVER_IDS: IdArray<DeviceId, (), 1> =
        IdArray::new([(DeviceId::new(DRIVER_CARD.vendor, DRIVER_CARD.device), &())]);

    /// What [`IrqDriver`]'s probe stores; its handler checks both fields.
    const DATA_MAGIC: u64 = 0x5eed_1e55_b00c_a11c;

    /// Probes of [`IrqDriver`].
    static DRV_PROBES: Atomic<u32> = Atomic::new(0);
    /// Interrupts [`IrqDriver`]'s handler saw.
    static DRV_IRQS: Atomic<u32> = Atomic::new(0);
    /// Handler calls that found data other than what probe stored.
    static DRV_BAD_DATA: Atomic<u32> = Atomic::new(0);
    /// Unbinds of [`IrqDriver`].
    static DRV_UNBINDS: Atomic<u32> = Atomic::new(0);
    /// Drops of [`IrqDriver`]'s data.
    static DRV_DROPS: Atomic<u32> = Atomic::new(0);
    /// Any callback of [`OtherDriver`].
    static OTHER_CALLS: Atomic<u32> = Atomic::new(0);
    /// The test lets the driver's thread make its first claim.
    static THREAD_GO: Atomic<bool> = Atomic::new(false);
    /// The test removed the card.
    static CARD_GONE: Atomic<bool> = Atomic::new(false);
    /// What the thread read from register 0x10c while bound, with bit 8 set (0: it failed).
    static THREAD_REG: Atomic<u32> = Atomic::new(0);
    /// The errno of the thread's claim after the unbind (0: it succeeded).
    static THREAD_AFTER: Atomic<i32> = Atomic::new(0);
    /// The thread's progress: 1 after its bound claim, 2 after its claim after the unbind.
    static THREAD_PHASE: Atomic<u32> = Atomic::new(0);

    /// A driver's data that keeps a reference to its bound function: it is `Send + Sync`
    /// because `Function<Bound>` is `Sync` (required by `sdio::Driver::Data`).
    struct IrqData<'bound> {
        magic: u64,
        func: &'bound Function<Bound>,
    }

    impl Drop for IrqData<'_> {
        fn drop(&mut self) {
            DRV_DROPS.fetch_add(1, Relaxed);
        }
    }

    /// A function driver with an interrupt handler, bound through the real SDIO bus.
    struct IrqDriver;

    #[vtable]
    impl sdio::Driver for IrqDriver {
        type IdInfo = ();
        type Data<'bound> = IrqData<'bound>;

        const ID_TABLE: sdio::IdTable<()> = &DRIVER_IDS;

        fn probe<'bound>(
            func: &'bound Function<Core<'_>>,
            _id_info: &'bound (),
        ) -> impl PinInit<IrqData<'bound>, Error> + 'bound {
            start_function(func).map(|()| IrqData {
                magic: DATA_MAGIC,
                func,
            })
        }

        fn unbind<'bound>(_func: &'bound Function<Core<'_>>, _this: Pin<&IrqData<'bound>>) {
            DRV_UNBINDS.fetch_add(1, Relaxed);
        }

        fn interrupt(host: &Host<'_>, this: Pin<&IrqData<'_>>) {
            if this.magic != DATA_MAGIC || !ptr::eq(this.func, host.function()) {
                DRV_BAD_DATA.fetch_add(1, Relaxed);
            }
            // Reading the RX length register deasserts the card's interrupt.
            let _ = host.read_u8(0x001);
            DRV_IRQS.fetch_add(1, Relaxed);
        }
    }

    /// Enables the function and starts the driver's thread with a `FunctionRef`.
    fn start_function(func: &Function<Core<'_>>) -> Result {
        func.claim_host().enable_function()?;
        let bound = FunctionRef::new(func)?;
        workqueue::system_long().try_spawn(GFP_KERNEL, move || function_thread(bound))?;
        DRV_PROBES.fetch_add(1, Relaxed);
        Ok(())
    }

    /// The driver's thread: a claim through its `FunctionRef` while the function is bound, and
    /// one after the card (and with it the binding) is gone.
    fn function_thread(bound: FunctionRef) {
        wait_until(|| THREAD_GO.load(Relaxed));
        let reg = bound
            .claim_host()
            .and_then(|host| host.read_u8(0x10c))
            .map_or(0, |value| 0x100 | u32::from(value));
        THREAD_REG.store(reg, Relaxed);
        THREAD_PHASE.store(1, Relaxed);
        wait_until(|| CARD_GONE.load(Relaxed));
        // The binding's end revokes the reference together with the function's managed
        // resources, a little after the driver's data was dropped: claims fail from then on.
        let mut after = 0;
        wait_until(|| {
            after = bound.claim_host().err().map_or(0, |err| err.to_errno());
            after != 0
        });
        THREAD_AFTER.store(after, Relaxed);
        THREAD_PHASE.store(2, Relaxed);
    }

    /// A second driver with the same id table, registered after [`IrqDriver`]: it never binds
    /// the card, so none of its callbacks may run.
    struct OtherDriver;

    #[vtable]
    impl sdio::Driver for OtherDriver {
        type IdInfo = ();
        type Data<'bound> = [u32; 2];

        const ID_TABLE: sdio::IdTable<()> = &DRIVER_IDS;

        fn probe<'bound>(
            _func: &'bound Function<Core<'_>>,
            _id_info: &'bound (),
        ) -> impl PinInit<[u32; 2], Error> + 'bound {
            OTHER_CALLS.fetch_add(1, Relaxed);
            Err(ENODEV)
        }

        fn interrupt(_host: &Host<'_>, _this: Pin<&[u32; 2]>) {
            OTHER_CALLS.fetch_add(1, Relaxed);
        }
    }

    /// Whether `T` may be shared with and sent to another thread.
    fn is_send_sync<T: Send + Sync>() -> bool {
        true
    }

    /// A driver's interrupt reaches its own handler with its own, fully stored data, also when
    /// another driver shares its id table; it is released before unbind, and the data is
    /// dropped after. A thread of the driver claims the host through a `FunctionRef` while the
    /// function is bound and gets `ENODEV` after the card (and the binding) went away.
    #[test]
    fn driver_interrupt_and_thread() -> Result {
        assert!(is_send_sync::<FunctionRef>());
        assert!(is_send_sync::<&Function<Bound>>());
        for counter in [
            &DRV_PROBES,
            &DRV_IRQS,
            &DRV_BAD_DATA,
            &DRV_UNBINDS,
            &DRV_DROPS,
            &OTHER_CALLS,
            &THREAD_REG,
            &THREAD_PHASE,
        ] {
            counter.store(0, Relaxed);
        }
        THREAD_AFTER.store(0, Relaxed);
        THREAD_GO.store(false, Relaxed);
        CARD_GONE.store(false, Relaxed);

        let module = kernel::module::this_module::<crate::LocalModule>();
        let irq_driver = KBox::pin_init(
            driver::Registration::<sdio::Adapter<IrqDriver>>::new(c"bes2600_vsdio_irq_drv", module),
            GFP_KERNEL,
        )?;
        let other_driver = KBox::pin_init(
            driver::Registration::<sdio::Adapter<OtherDriver>>::new(
                c"bes2600_vsdio_other_drv",
                module,
            ),
            GFP_KERNEL,
        )?;
        let instance = Instance::new(c"bes2600_vsdio_kunit_drv", DRIVER_CARD)?;
        assert!(wait_until(|| DRV_PROBES.load(Relaxed) == 1));
        // The adapter claims the interrupt for the driver once its probe returned.
        assert!(wait_until(|| claimed_irqs(&instance) == 1));

        // The thread's claim while the function is bound.
        model(
            &instance,
            ModelRequest::SetReg {
                addr: 0x10c,
                value: 0x5a,
            },
        )?;
        THREAD_GO.store(true, Relaxed);
        assert!(wait_until(|| THREAD_PHASE.load(Relaxed) >= 1));
        assert_eq!(THREAD_REG.load(Relaxed), 0x15a);

        // Interrupts reach the bound driver's handler with its data.
        model(&instance, ModelRequest::Irq(true))?;
        assert!(wait_until(|| DRV_IRQS.load(Relaxed) >= 1));
        model(&instance, ModelRequest::Irq(false))?;
        assert!(DRV_IRQS.load(Relaxed) >= 1);
        assert_eq!(DRV_BAD_DATA.load(Relaxed), 0);

        // Removing the card unbinds the driver: interrupt released, unbind, data dropped; the
        // thread's next claim fails.
        model(&instance, ModelRequest::CardPresent(false))?;
        assert!(wait_until(|| DRV_DROPS.load(Relaxed) == 1));
        assert_eq!(DRV_UNBINDS.load(Relaxed), 1);
        assert_eq!(claimed_irqs(&instance), 0);
        CARD_GONE.store(true, Relaxed);
        assert!(wait_until(|| THREAD_PHASE.load(Relaxed) == 2));
        assert_eq!(THREAD_AFTER.load(Relaxed), ENODEV.to_errno());

        assert_eq!(OTHER_CALLS.load(Relaxed), 0);
        assert_eq!(DRV_PROBES.load(Relaxed), 1);
        drop(instance);
        drop(other_driver);
        drop(irq_driver);
        Ok(())
    }
}
