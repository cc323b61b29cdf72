// SPDX-License-Identifier: GPL-2.0

//! Boot ROM: downloads, CRC check, bad frames, calibration, activation handshake.

mod common;

use bes2600_chip_model::boot_rom::status;
use bes2600_chip_model::chip::{Calibration, Phase};
use bes2600_chip_model::stats::violation;
use bes2600_chip_model::transport::{HostMsg, ModelMsg};
use bes2600_protocol::boot_frame::{check_dpd, BootRequest, FirmwareImage, DPD_ADDR, DPD_LEN};
use bes2600_protocol::crc32::crc32;
use bes2600_protocol::sdio_framing::{reg, Doorbell, SlaveStatus};
use common::*;

#[test]
fn registers_at_reset() {
    let h = Host::new(config(8));
    assert_eq!(h.read_reg(reg::BOOT_BUF_COUNT), 1);
    assert_eq!(
        u16::from_le_bytes([
            h.read_reg(reg::BOOT_MAX_LEN),
            h.read_reg(reg::BOOT_MAX_LEN + 1)
        ]),
        2048
    );
    assert_eq!(h.read_reg(reg::SLAVE_STATUS), 0);
    assert_eq!(h.chip.phase(), Phase::Rom);
}

#[test]
fn good_image_runs_and_wifi_starts() {
    let mut h = Host::new(config(8));
    // The vendor's two register pokes first: INFO + DATA, no END.
    let mut buf = vec![0u8; 600];
    for (i, req) in bes2600_protocol::boot_frame::register_write_frames(
        0x4010_0000,
        &0x0080_2006u32.to_le_bytes(),
    )
    .iter()
    .enumerate()
    {
        let n = req.encode(i as u8, &mut buf).unwrap();
        let r = h.boot_exchange(buf[..n].to_vec(), false);
        assert_eq!((r.seq, r.status), (i as u8, status::OK));
    }
    let file = firmware_file(0x0020_0000, 5000, 7);
    h.boot_image(&file);
    assert_eq!(h.chip.phase(), Phase::Loaded);
    assert!(h.read_reg(reg::SLAVE_STATUS) & SlaveStatus::MCU_READY != 0);
    let ind = h.activate();
    assert_eq!(ind.num_inp_ch_bufs, 8);
    assert_eq!(ind.status, 0);
    assert!(ind.firmware_type <= 4);
    assert_eq!(h.chip.phase(), Phase::Active);
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
    assert_eq!(h.chip.stats.get("boot_downloads"), 1);
}

#[test]
fn bad_crc_is_rejected_and_run_refused() {
    let mut h = Host::new(config(8));
    let payload: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
    let mut buf = vec![0u8; 4096];
    let mut exchange = |h: &mut Host, seq: u8, req: BootRequest<'_>| {
        let n = req.encode(seq, &mut buf).unwrap();
        h.boot_exchange(buf[..n].to_vec(), false)
    };
    assert_eq!(
        exchange(
            &mut h,
            0,
            BootRequest::Info {
                total_len: 1000,
                addr: 0x100
            }
        )
        .status,
        0
    );
    assert_eq!(
        exchange(
            &mut h,
            1,
            BootRequest::Data {
                addr: 0x100,
                data: &payload
            }
        )
        .status,
        0
    );
    let r = exchange(
        &mut h,
        2,
        BootRequest::End {
            crc: crc32(&payload) ^ 1,
        },
    );
    assert_eq!((r.seq, r.status), (2, status::BAD_CRC));
    assert_eq!(h.chip.stats.violations_of(violation::BOOT_CRC), 1);
    let r = exchange(&mut h, 3, BootRequest::Run { addr: 0x100 });
    assert_eq!(r.status, status::BAD_RUN);
    assert_eq!(h.chip.phase(), Phase::Rom);
    // END before all bytes arrived.
    assert_eq!(
        exchange(
            &mut h,
            4,
            BootRequest::Info {
                total_len: 1000,
                addr: 0x100
            }
        )
        .status,
        0
    );
    assert_eq!(
        exchange(
            &mut h,
            5,
            BootRequest::Data {
                addr: 0x100,
                data: &payload[..500]
            }
        )
        .status,
        0
    );
    assert_eq!(
        exchange(
            &mut h,
            6,
            BootRequest::End {
                crc: crc32(&payload)
            }
        )
        .status,
        status::BAD_CRC
    );
    assert_eq!(h.chip.stats.violations_of(violation::BOOT_CRC), 2);
}

#[test]
fn bad_frames_are_rejected() {
    let mut h = Host::new(config(8));
    // Unknown frame type.
    let mut f = vec![0u8; 512];
    f[0] = 0xB7;
    f[1] = 9;
    f[2] = 4;
    let r = h.boot_exchange(f, false);
    assert_eq!((r.seq, r.status), (9, status::BAD_FRAME));
    // DATA without INFO.
    let mut buf = vec![0u8; 512];
    let n = BootRequest::Data {
        addr: 0,
        data: &[1, 2, 3, 4],
    }
    .encode(1, &mut buf)
    .unwrap();
    assert_eq!(
        h.boot_exchange(buf[..n].to_vec(), false).status,
        status::OUT_OF_SEQUENCE
    );
    // INFO with a length field that does not match its type.
    let mut f = vec![0u8; 512];
    f[0] = 0xB1;
    f[2] = 4;
    assert_eq!(h.boot_exchange(f, false).status, status::BAD_FRAME);
    // DATA outside the announced area.
    let n = BootRequest::Info {
        total_len: 16,
        addr: 0x1000,
    }
    .encode(2, &mut buf)
    .unwrap();
    assert_eq!(h.boot_exchange(buf[..n].to_vec(), false).status, 0);
    let n = BootRequest::Data {
        addr: 0x1008,
        data: &[0; 16],
    }
    .encode(3, &mut buf)
    .unwrap();
    assert_eq!(
        h.boot_exchange(buf[..n].to_vec(), false).status,
        status::OUT_OF_SEQUENCE
    );
    // A boot transfer with the toggle bit.
    let n = BootRequest::Info {
        total_len: 16,
        addr: 0x1000,
    }
    .encode(4, &mut buf)
    .unwrap();
    assert_eq!(h.boot_exchange(buf[..n].to_vec(), true).status, 0);
    assert_eq!(h.chip.stats.violations_of(violation::TOGGLE), 1);
    assert_eq!(h.chip.stats.violations_of(violation::MALFORMED), 3);
    assert_eq!(h.chip.stats.violations_of(violation::WRONG_STATE), 1);
    // WIFI_ACTIVE before any firmware runs.
    h.doorbell(Doorbell::WIFI_ACTIVE);
    assert_eq!(h.read_reg(reg::SLAVE_STATUS) & SlaveStatus::WIFI_READY, 0);
    assert_eq!(h.chip.stats.violations_of(violation::WRONG_STATE), 2);
    // A doorbell without its ring bit.
    h.cmd52(reg::HOST_INT_HIGH, 0);
    h.cmd52(reg::HOST_INT_LOW, 0x20);
    assert_eq!(h.chip.stats.violations_of(violation::REGISTER), 1);
}

#[test]
fn calibration_then_wifi_image() {
    let mut cfg = config(8);
    cfg.calibration = Calibration::Auto;
    let mut h = Host::new(cfg);
    h.boot_image(&firmware_file(0x0020_0000, 2000, 3));
    assert_eq!(h.chip.phase(), Phase::Calibrating);
    h.advance(150);
    assert!(h.read_reg(reg::SLAVE_STATUS) & SlaveStatus::DPD_READY != 0);
    let len = u16::from_le_bytes([h.read_reg(0), h.read_reg(1)]) as usize;
    assert_eq!(len, DPD_LEN);
    let dpd = h.cmd53_read(len as u32, len).unwrap();
    assert!(check_dpd(&dpd).unwrap() >= 7);
    assert_eq!(h.chip.phase(), Phase::Rom);
    h.boot_image(&firmware_file(0x0020_0000, 3000, 4));
    assert_eq!(h.chip.phase(), Phase::Loaded);
    h.activate();
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());

    // After a card reset with the DPD data downloaded first, the first image is WiFi.
    h.t.push(&HostMsg::CardReset);
    h.pump();
    assert_eq!(h.chip.phase(), Phase::Rom);
    h.download(&dpd, DPD_ADDR, false).unwrap();
    h.boot_image(&firmware_file(0x0020_0000, 3000, 4));
    assert_eq!(h.chip.phase(), Phase::Loaded);
}

#[test]
fn images_recognised_by_crc() {
    let cal = firmware_file(0x0020_0000, 2000, 3);
    let wifi = firmware_file(0x0020_0000, 3000, 4);
    let mut cfg = config(8);
    cfg.calibration = Calibration::Auto;
    cfg.wifi_crc = Some(FirmwareImage::parse(&wifi).unwrap().crc());
    cfg.cal_crc = Some(FirmwareImage::parse(&cal).unwrap().crc());
    let mut h = Host::new(cfg);
    // Known WiFi image goes straight to Loaded even though no DPD was written.
    h.boot_image(&wifi);
    assert_eq!(h.chip.phase(), Phase::Loaded);
}

#[test]
fn doorbell_handshakes() {
    let mut h = Host::new(config(8));
    h.boot_image(&firmware_file(0x0020_0000, 100, 1));
    h.doorbell(Doorbell::MCU_ACTIVE);
    assert!(h.read_reg(reg::SLAVE_STATUS) & SlaveStatus::MCU_WAKEUP_READY != 0);
    h.doorbell(Doorbell::BT_ACTIVE);
    assert!(h.read_reg(reg::SLAVE_STATUS) & SlaveStatus::BT_READY != 0);
    h.doorbell(Doorbell::MCU_DEACTIVE);
    assert_eq!(
        h.read_reg(reg::SLAVE_STATUS) & SlaveStatus::MCU_WAKEUP_READY,
        0
    );
    h.activate();
    h.doorbell(Doorbell::WIFI_DEACTIVE);
    assert_eq!(h.read_reg(reg::SLAVE_STATUS) & SlaveStatus::WIFI_READY, 0);
    assert_eq!(h.chip.phase(), Phase::Loaded);
    // Re-activation starts the firmware again with sequence 0.
    let ind = h.activate();
    assert_eq!(ind.num_inp_ch_bufs, 8);
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
    // Card reset goes back to the ROM with its registers.
    h.t.push(&HostMsg::CardReset);
    h.pump();
    assert_eq!(h.chip.phase(), Phase::Rom);
    assert_eq!(h.read_reg(reg::SLAVE_STATUS), 0);
    assert!(!h
        .control
        .iter()
        .any(|m| matches!(m, ModelMsg::Fault { .. })));
}
