// SPDX-License-Identifier: GPL-2.0

//! Where the chip model's side of the vsdio contract must match the real chip's timing and
//! registers (ABI.md "Timing", `RX_QUEUE`): every CMD53 write acknowledged after what it
//! answers, the RX length register moving with the RX queue in one message, and the DPD blob
//! read in whole blocks.

mod common;

use bes2600_chip_model::air::FakeAir;
use bes2600_chip_model::chip::{Calibration, Chip, Phase};
use bes2600_chip_model::stats::violation;
use bes2600_chip_model::transport::{HostMsg, ModelMsg};
use bes2600_protocol::boot_frame::{check_dpd, BootRequest, DPD_LEN};
use bes2600_protocol::mib::ReadMib;
use bes2600_protocol::msg::join::{Join, JOIN_FLAG_FORCE};
use bes2600_protocol::msg::{self, Ssid};
use bes2600_protocol::sdio_framing::{reg, LengthReg};
use common::*;

/// A boot frame as the host sends it: at least 512 bytes (docs/chip-protocol.md,
/// "Boot-ROM frames").
fn info_frame(seq: u8) -> Vec<u8> {
    let mut buf = vec![0u8; 512];
    BootRequest::Info {
        total_len: 1000,
        addr: 0x0020_0000,
    }
    .encode(seq, &mut buf)
    .unwrap();
    buf
}

/// The boot ROM's reply to a frame goes out before the write's acknowledgement, in the same
/// batch of messages: the virtual host completes the write only then, so the reply is
/// announced in 0x000/0x001 when the host's write returns (bes_fw.c:68-104). The model numbers
/// the writes from 1, across card resets, and acknowledges writes it refuses or ignores too.
#[test]
fn every_write_is_acknowledged_after_its_answer() {
    let mut chip = Chip::new(config(8));
    let mut air = FakeAir::default();
    chip.take_host_out();
    let write = |data: Vec<u8>| HostMsg::Cmd53Write {
        addr: data.len() as u32,
        block_mode: false,
        blocks: 0,
        data,
    };

    chip.host_message(0, write(info_frame(0)), &mut air);
    let out = chip.take_host_out();
    assert_eq!(out.len(), 2, "{out:?}");
    match &out[0] {
        ModelMsg::RxQueue {
            reg0,
            reg1,
            idle0,
            idle1,
            data,
        } => {
            // Announced as a u16 length while queued, 0 again once read.
            assert_eq!((*reg0, *reg1, *idle0, *idle1), (8, 0, 0, 0));
            assert_eq!(data[..2], [0xB0, 0]);
        }
        other => panic!("expected the boot reply, got {other:?}"),
    }
    assert_eq!(out[1], ModelMsg::WriteDone(1));

    // A reset does not restart the count (it is per opening of the device).
    chip.host_message(0, HostMsg::CardReset, &mut air);
    chip.take_host_out();
    chip.host_message(0, write(info_frame(0)), &mut air);
    assert_eq!(chip.take_host_out().last(), Some(&ModelMsg::WriteDone(2)));

    // A write in the wrong state is a violation, and still acknowledged: the SDIO function
    // took the data.
    let mut h = Host::new(config(8));
    h.boot_image(&firmware_file(0x0020_0000, 3000, 1));
    assert_eq!(h.chip.phase(), Phase::Loaded);
    h.cmd53_write(512, vec![0; 512]);
    assert_eq!(h.chip.stats.violations_of(violation::WRONG_STATE), 1);
    let writes = h.chip.stats.get("cmd53_writes") as u32;
    assert_eq!(h.write_acks, (1..=writes).collect::<Vec<_>>());

    // Once the firmware runs, a TX batch is acknowledged as soon as the model took it, before
    // the firmware works on it: the confirm follows the acknowledgement.
    h.activate();
    h.write_acks.clear();
    let mut buf = vec![0u8; 64];
    let n = msg::encode(&ReadMib { mib_id: 0 }, 0, &mut buf).unwrap();
    let batch = vec![buf[..n].to_vec()];
    let mut ack_first = Chip::new(config(8));
    let write = HostMsg::Cmd53Write {
        addr: 0,
        block_mode: true,
        blocks: 1,
        data: vec![0; 512],
    };
    assert_eq!(
        ack_first.ack_before_processing(&write),
        None,
        "the boot ROM acknowledges after its reply"
    );
    h.send(batch);
    assert_eq!(h.write_acks, [writes + 1]);
    assert_eq!(
        h.rxq.len(),
        1,
        "the confirm is queued after the acknowledgement"
    );
}

/// The running firmware's acknowledgement goes out before the model processes the write, and
/// `host_message` sends no second one.
#[test]
fn the_running_firmware_acknowledges_before_processing() {
    let mut h = Host::new(config(8));
    h.bring_up();
    h.t.take();
    let acks = h.chip.stats.get("cmd53_writes") as u32;
    let mut buf = vec![0u8; 64];
    let n = msg::encode(&ReadMib { mib_id: 0 }, 0, &mut buf).unwrap();
    let mut batch = vec![0u8; 512];
    batch[..n].copy_from_slice(&buf[..n]);
    let write = HostMsg::Cmd53Write {
        addr: 0,
        block_mode: true,
        blocks: 1,
        data: batch,
    };
    assert_eq!(
        h.chip.ack_before_processing(&write),
        Some(ModelMsg::WriteDone(acks + 1))
    );
    h.chip.host_message(0, write, &mut h.air);
    let out = h.chip.take_host_out();
    assert!(
        !out.iter().any(|m| matches!(m, ModelMsg::WriteDone(_))),
        "acknowledged twice: {out:?}"
    );
    // Any other message gets no early acknowledgement.
    assert_eq!(h.chip.ack_before_processing(&HostMsg::CardReset), None);
}

/// The length register changes with the RX queue, in the same message: each batch carries
/// the values 0x000/0x001 take once the host has read it (the stale value with the consumed
/// toggle, as the vendor's toggle logic expects, bes2600_sdio.c:841-904, or 0 with
/// `--clear-length-reg`; 0x000 bit 0 set, "nothing pending"). No `SET_REG` of 0x000/0x001 follows
/// a batch, so a host that reads 0x001 right after a batch never sees an older batch's value.
#[test]
fn the_length_register_moves_with_the_rx_queue() {
    for sticky in [true, false] {
        let mut cfg = config(8);
        cfg.sticky_length_reg = sticky;
        let mut h = Host::new(cfg);
        h.bring_up();
        let join = Join {
            mode: 1,
            channel: 6,
            bssid: AP,
            flags: JOIN_FLAG_FORCE,
            ssid: Ssid::new(b"test").unwrap(),
            beacon_interval: 100,
            ..Join::default()
        };
        h.command(&join, 0);
        h.set_regs.clear();
        // Three frames arrive while the host does not read: three batches queued.
        for i in 0..3u8 {
            h.air_rx(2437, data_from_ap(CHIP_MAC, &[i; 100]));
        }
        assert_eq!(h.rxq.len(), 3);
        for (head, idle, _) in &h.rxq {
            let expected = if sticky { head[1] } else { 0 };
            assert_eq!(*idle, [1, expected]);
        }
        // Right after each batch, 0x001 shows the next batch (the other toggle) or, after
        // the last, the value for "nothing new".
        let mut last = None;
        while let Some((lr, _)) = h.read_raw_batch() {
            let now = LengthReg::from_byte(h.read_reg(reg::RX_LEN));
            if h.rxq.is_empty() {
                if sticky {
                    assert_eq!(now, lr, "the stale value of the batch just read");
                    assert_eq!(now.toggle, !h.toggles.expected_length_toggle());
                } else {
                    assert!(now.is_empty());
                }
                assert_eq!(h.read_reg(reg::CTRL), 1);
            } else {
                assert_eq!(now.toggle, h.toggles.expected_length_toggle());
            }
            last = Some(lr);
        }
        assert!(last.is_some());
        assert!(
            !h.set_regs
                .iter()
                .any(|(r, _)| *r == reg::CTRL || *r == reg::RX_LEN),
            "{:?}",
            h.set_regs
        );
        assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
    }
}

/// The 0x3B14-byte DPD blob is read in block mode: 30 blocks of 512 with the exact length in
/// the address field (bes2600_sdio.c:183-206, bes_fw.c:893). The padding is no violation;
/// an address field that is not the blob's length is.
#[test]
fn dpd_blob_read_in_whole_blocks() {
    let mut cfg = config(8);
    cfg.calibration = Calibration::Auto;
    for field in [DPD_LEN, 30 * 512] {
        let mut h = Host::new(cfg.clone());
        h.boot_image(&firmware_file(0x0020_0000, 2000, 3));
        h.advance(150);
        assert_eq!(
            u16::from_le_bytes([h.read_reg(0), h.read_reg(1)]) as usize,
            DPD_LEN
        );
        let padded = h.cmd53_read(field as u32, 30 * 512).unwrap();
        assert_eq!(padded.len(), 30 * 512);
        assert!(check_dpd(&padded[..DPD_LEN]).unwrap() >= 7);
        assert!(padded[DPD_LEN..].iter().all(|&b| b == 0));
        assert_eq!(h.chip.phase(), Phase::Rom);
        let expected = u64::from(field != DPD_LEN);
        assert_eq!(
            h.chip.stats.violations_of(violation::RX_READ),
            expected,
            "{}",
            h.chip.stats.render()
        );
        assert_eq!(h.violations(), expected);
    }
}
