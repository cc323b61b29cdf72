// SPDX-License-Identifier: GPL-2.0

//! Property tests: parsers never panic on arbitrary bytes, builders' output parses back.

use bes2600_protocol::boot_frame::{
    BootReply,
    BootRequest,
    Downloader, //
};
use bes2600_protocol::crc32::{
    crc32,
    Crc32, //
};
use bes2600_protocol::flow::{
    FlowControl,
    Received, //
};
use bes2600_protocol::msg::config::StartupIndication;
use bes2600_protocol::msg::tx::{
    MultiTxConfirm,
    PacketId,
    TxConfirm, //
};
use bes2600_protocol::msg::{
    self,
    decode_device_message,
    decode_host_message, //
};
use bes2600_protocol::sdio_framing::{
    self, RxBatch, RxBatchBuilder, Slot, TxBatchBuilder, TxBatchView, TxOptions,
};
use bes2600_protocol::wsm_header::{
    self,
    id,
    Header,
    MsgId,
    Seq, //
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// A WSM message of `len` bytes (≥ 4) with base id `base` and filler `fill`.
fn message(len: usize, base: u16, fill: u8) -> Vec<u8> {
    let mut m = vec![fill; len];
    Header {
        len: len as u16,
        id: MsgId::new(base, 0),
    }
    .write(&mut m)
    .unwrap();
    m
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        // Keep regression seeds next to this file (tests/props.proptest-regressions).
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn rx_batch_parser_never_panics(data in proptest::collection::vec(any::<u8>(), 0..5000), announced in 0usize..6000) {
        if let Ok(b) = RxBatch::parse(&data, announced) {
            prop_assert!(b.len() <= sdio_framing::RX_MAX_MESSAGES);
            prop_assert!(b.consumed() <= announced);
            for (i, m) in b.iter().enumerate() {
                let (h, _, whole) = wsm_header::split(m).unwrap();
                prop_assert_eq!(usize::from(h.len), m.len());
                prop_assert_eq!(whole.len(), m.len());
                if i > 0 {
                    prop_assert!(m.len() <= sdio_framing::MAX_SLOT);
                }
            }
        }
    }

    #[test]
    fn rx_batch_parser_on_structured_noise(
        lens in proptest::collection::vec(0u16..2100, 1..20),
        announced_units in 1usize..12,
        fill in any::<u8>(),
    ) {
        // Headers at 4-aligned offsets with arbitrary lengths, to reach the deeper checks.
        let mut data = vec![fill; announced_units * 512];
        let mut off = 0;
        for l in &lens {
            if off + 4 > data.len() { break; }
            data[off..off + 2].copy_from_slice(&l.to_le_bytes());
            off += ((usize::from(*l) + 3) & !3).max(4);
        }
        let _ = RxBatch::parse(&data, announced_units * 512);
    }

    #[test]
    fn rx_batch_builder_output_parses_back(
        lens in proptest::collection::vec(4usize..1633, 1..=16),
        first_big in 1633usize..4000,
        use_big in any::<bool>(),
        toggle in any::<bool>(),
    ) {
        let mut msgs: Vec<Vec<u8>> = lens.iter().enumerate().map(|(i, &l)| message(l, id::RX, i as u8)).collect();
        if use_big {
            msgs[0] = message(first_big, id::RX, 0xEE);
        }
        let mut buf = vec![0xA5u8; sdio_framing::MAX_RX_BATCH];
        let mut b = RxBatchBuilder::new(&mut buf);
        let mut pushed = 0;
        for m in &msgs {
            if b.push(m).is_err() { break; }
            pushed += 1;
        }
        prop_assume!(pushed > 0);
        let (reg, len) = b.finish(toggle).unwrap();
        prop_assert_eq!(reg.len(), len);
        prop_assert_eq!(reg.toggle, toggle);
        let batch = RxBatch::parse(&buf, len).unwrap();
        prop_assert_eq!(batch.len(), pushed);
        for (got, want) in batch.iter().zip(&msgs) {
            prop_assert_eq!(got, &want[..]);
        }
    }

    #[test]
    fn tx_batch_builder_output_parses_back(
        lens in proptest::collection::vec(4usize..1629, 1..40),
        trailer in any::<bool>(),
        max in 1usize..=16,
        ts in any::<u32>(),
    ) {
        let opts = TxOptions { max_messages: max, timestamp_trailer: trailer };
        let mut buf = vec![0xC3u8; sdio_framing::MAX_TX_BATCH];
        let mut b = TxBatchBuilder::new(&mut buf, opts);
        let mut sent: Vec<Vec<u8>> = Vec::new();
        for (i, &l) in lens.iter().enumerate() {
            let m = message(l, id::TX, i as u8);
            if let Ok(copy) = b.push(&m, ts) {
                prop_assert_eq!(&copy[..], &m[..]);
                sent.push(m);
            }
        }
        prop_assert!(!sent.is_empty());
        prop_assert!(sent.len() <= max);
        let t = b.finish().unwrap();
        prop_assert_eq!(t.count, sent.len());
        prop_assert_eq!(t.len, t.count * t.slot.size());
        prop_assert!(t.transfer_len() <= sdio_framing::MAX_TX_BATCH);
        prop_assert_eq!(Slot::from_code(t.address_len() & 3), t.slot);
        // Block padding is zeroed.
        prop_assert!(buf[t.len..t.transfer_len()].iter().all(|&x| x == 0));
        let view = TxBatchView::parse(&buf, t.address_len()).unwrap();
        prop_assert_eq!(view.len(), sent.len());
        for (slot, m) in view.iter().zip(&sent) {
            prop_assert_eq!(slot.message, &m[..]);
            if trailer {
                prop_assert_eq!(slot.trailer, Some(ts));
            }
            // Everything after the message (and trailer) up to the slot end is zero.
            let start = slot.message.as_ptr() as usize - buf.as_ptr() as usize;
            let tail_from = start + m.len() + if trailer { 4 } else { 0 };
            prop_assert!(buf[tail_from.min(start + t.slot.size())..start + t.slot.size()].iter().all(|&x| x == 0));
        }
    }

    #[test]
    fn tx_batch_builder_never_panics_on_arbitrary_messages(
        msgs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..2000), 0..20),
        buf_len in 0usize..30000,
    ) {
        let mut buf = vec![0u8; buf_len];
        let mut b = TxBatchBuilder::new(&mut buf, TxOptions::default());
        for m in &msgs {
            let _ = b.push(m, 0);
        }
        if let Ok(t) = b.finish() {
            let view = TxBatchView::parse(&buf, t.address_len()).unwrap();
            prop_assert_eq!(view.len(), t.count);
        }
    }

    #[test]
    fn tx_batch_view_never_panics(data in proptest::collection::vec(any::<u8>(), 0..30000), addr in any::<u16>()) {
        if let Ok(v) = TxBatchView::parse(&data, addr) {
            for s in v.iter() {
                let (h, _, _) = wsm_header::split(s.message).unwrap();
                prop_assert!(usize::from(h.len) <= v.slot().size());
            }
        }
    }

    #[test]
    fn message_dispatchers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode_device_message(&data);
        let _ = decode_host_message(&data);
        let _ = BootRequest::decode(&data);
        let _ = BootReply::parse(&data);
    }

    #[test]
    fn dispatchers_on_valid_headers(base in prop_oneof![
            Just(0x0404u16), Just(0x041E), Just(0x0405), Just(0x0409), Just(0x040B), Just(0x0801),
            Just(0x0804), Just(0x0805), Just(0x0806), Just(0x0809), Just(0x080A), Just(0x080C),
            Just(0x0800), Just(0x0C27), Just(0x0C30), Just(0x0007), Just(0x0009), Just(0x000C),
            Just(0x0006), Just(0x0004), Just(0x0C27)],
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut m = message(4 + body.len(), base, 0);
        m[4..].copy_from_slice(&body);
        let _ = decode_device_message(&m);
        let _ = decode_host_message(&m);
        let mut f = FlowControl::new();
        let _ = f.on_receive(&m);
    }

    #[test]
    fn downloader_reassembles_payload(payload in proptest::collection::vec(any::<u8>(), 0..3000), m_words in 4u16..300) {
        let max_len = m_words * 4;
        let mut d = Downloader::new(&payload, 0x2000_0000, true);
        let mut got = Vec::new();
        let mut out = vec![0u8; 2048];
        let mut reply = [0u8; 8];
        let mut kinds = Vec::new();
        while let Some((seq, req)) = d.next_request(max_len).unwrap() {
            let n = req.encode(seq, &mut out).unwrap();
            prop_assert!(n >= 512);
            let fits = req.frame_len() <= usize::from(max_len) || !matches!(req, BootRequest::Data { .. });
            prop_assert!(fits);
            let (s2, back) = BootRequest::decode(&out[..n]).unwrap();
            prop_assert_eq!(s2, seq);
            prop_assert_eq!(back, req);
            match req {
                BootRequest::Data { addr, data } => {
                    prop_assert_eq!(addr as usize, 0x2000_0000 + got.len());
                    got.extend_from_slice(data);
                }
                BootRequest::End { crc } => prop_assert_eq!(crc, crc32(&payload)),
                _ => {}
            }
            kinds.push(req.frame_type());
            BootReply::ok(seq).encode(&mut reply).unwrap();
            d.on_reply(&reply).unwrap();
        }
        prop_assert_eq!(got, payload);
        prop_assert_eq!(kinds.first(), Some(&0xB1));
        prop_assert_eq!(&kinds[kinds.len() - 2..], &[0xB3, 0xB4]);
    }

    #[test]
    fn crc_incremental_matches_one_shot(data in proptest::collection::vec(any::<u8>(), 0..2000), cut in 0usize..2000) {
        let cut = cut.min(data.len());
        let mut c = Crc32::new();
        c.update(&data[..cut]);
        c.update(&data[cut..]);
        prop_assert_eq!(c.finish(), crc32(&data));
    }

    #[test]
    fn flow_control_invariants(ops in proptest::collection::vec(0u8..6, 1..300), capacity in 1u16..40) {
        let mut f = FlowControl::new();
        let mut ind = message(152, id::STARTUP, 0);
        ind[4..6].copy_from_slice(&capacity.to_le_bytes());
        for b in &mut ind[6..] { *b = 0; }
        let is_ind = matches!(f.on_receive(&ind).unwrap(), Received::Indication { .. });
        prop_assert!(is_ind);
        let (_, s) = msg::decode::<StartupIndication>(&ind).unwrap();
        f.start(&s).unwrap();
        // The model: frames in flight per interface, the outstanding command, device seq.
        let mut in_flight: Vec<u8> = Vec::new();
        let mut cmd: Option<u16> = None;
        let mut dev_seq = Seq::from_bits(1);
        let mut buf = [0u8; 512];
        for op in ops {
            match op {
                0 | 1 => {
                    let if_id = op;
                    let r = f.admit_data(if_id);
                    if in_flight.len() + usize::from(cmd.is_some()) + 1 < usize::from(capacity) {
                        prop_assert!(r.is_ok());
                        in_flight.push(if_id);
                    } else {
                        prop_assert!(r.is_err());
                    }
                }
                2 => {
                    let r = f.admit_command(MsgId::new(id::JOIN, 0));
                    if cmd.is_none() && in_flight.len() < usize::from(capacity) {
                        prop_assert!(r.is_ok());
                        cmd = Some(id::JOIN);
                    } else {
                        prop_assert!(r.is_err());
                    }
                }
                3 => {
                    // Confirm the command.
                    let mut c = message(8, id::JOIN_CONFIRM, 0);
                    c[4..8].fill(1); // failure status: still a confirm, no power fields
                    wsm_header::stamp_seq(&mut c, dev_seq).unwrap();
                    let r = f.on_receive(&c);
                    if cmd.is_some() {
                        let is_cc = matches!(r, Ok(Received::CommandConfirm { .. }));
                        prop_assert!(is_cc);
                        cmd = None;
                        dev_seq = dev_seq.next();
                    } else {
                        prop_assert!(r.is_err());
                    }
                }
                _ => {
                    // Multi-TX confirm of up to 3 oldest frames.
                    let k = in_flight.len().min(usize::from(op - 3) + 1);
                    if k == 0 { continue; }
                    let recs: Vec<TxConfirm> = in_flight[..k]
                        .iter()
                        .map(|&i| TxConfirm { packet_id: PacketId::new(0, 0, 0, i, 0, 0), ..Default::default() })
                        .collect();
                    let n = MultiTxConfirm::encode_records(&recs, 0, &mut buf).unwrap();
                    wsm_header::stamp_seq(&mut buf, dev_seq).unwrap();
                    let r = f.on_receive(&buf[..n]);
                    let is_tc = matches!(r, Ok(Received::TxConfirm { count, .. }) if usize::from(count) == k);
                    prop_assert!(is_tc);
                    in_flight.drain(..k);
                    dev_seq = dev_seq.next();
                }
            }
            prop_assert_eq!(usize::from(f.in_use()), in_flight.len() + usize::from(cmd.is_some()));
            prop_assert!(f.in_use() <= f.capacity());
            prop_assert_eq!(f.in_use_by(0).unwrap() as usize, in_flight.iter().filter(|&&i| i == 0).count());
        }
    }
}
