// SPDX-License-Identifier: GPL-2.0

//! Firmware: startup, configuration, MIBs, scan, join, TX confirms and buffer
//! accounting, RX framing, CCMP, power save, the MCU channel.

mod common;

use bes2600_chip_model::ccmp;
use bes2600_chip_model::ieee80211::{self, Frame};
use bes2600_chip_model::stats::violation;
use bes2600_protocol::mib::{self, ReadMib, ReadMibConfirm, SetMib, UseMultiTxConfirm};
use bes2600_protocol::msg::config::{Configuration, ConfigurationConfirm};
use bes2600_protocol::msg::event::{event_id, Event};
use bes2600_protocol::msg::join::{Join, JoinConfirm};
use bes2600_protocol::msg::key::{AddKey, Key};
use bes2600_protocol::msg::mcu::{McuCommand, McuCommandConfirm};
use bes2600_protocol::msg::pm::{SetPm, SetPmIndication};
use bes2600_protocol::msg::rx::{RxEncryption, RxFlags, RxIndication};
use bes2600_protocol::msg::scan::{ScanChannel, ScanComplete, StartScan};
use bes2600_protocol::msg::tx::{MultiTxConfirm, PacketId, TxConfirm, TxFlags, TxRequest};
use bes2600_protocol::msg::{self, Ssid, Status};
use bes2600_protocol::sdio_framing::{reg, LengthReg, RxBatch};
use bes2600_protocol::wsm_header::{id, Header, MsgId, Seq};
use common::*;

fn encode<'a, M: msg::Message<'a>>(m: &M, if_id: u8) -> Vec<u8> {
    let mut buf = vec![0u8; 4096];
    let n = msg::encode(m, if_id, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn tx_frame(if_id: u8, item: u8, frame: &[u8]) -> Vec<u8> {
    encode(
        &TxRequest {
            packet_id: PacketId::new(item, 0, 2, if_id, 0, 0),
            max_tx_rate: 13,
            flags: TxFlags::with_policy(0),
            frame,
            ..TxRequest::default()
        },
        if_id,
    )
}

fn data_to_ap(body: &[u8], protected: bool) -> Vec<u8> {
    let mut f = vec![0x08, 0x01 | if protected { 0x40 } else { 0 }, 0, 0];
    f.extend_from_slice(&AP);
    f.extend_from_slice(&CHIP_MAC);
    f.extend_from_slice(&AP);
    f.extend_from_slice(&[0x20, 0]);
    if protected {
        f.extend_from_slice(&[0; 8]);
    }
    f.extend_from_slice(body);
    if protected {
        f.extend_from_slice(&[0; 8]);
    }
    f
}

fn join_force(h: &mut Host, channel: u16) {
    let j = Join {
        mode: 1,
        band: 0,
        channel,
        bssid: AP,
        probe_for_join: 0,
        dtim_period: 1,
        flags: bes2600_protocol::msg::join::JOIN_FLAG_FORCE,
        ssid: Ssid::new(b"test").unwrap(),
        beacon_interval: 100,
        basic_rates: 7,
        ..Join::default()
    };
    let r = h.command(&j, 0);
    let (_, c) = msg::decode::<JoinConfirm>(&r[0]).unwrap();
    assert!(c.status.is_success());
}

#[test]
fn startup_configuration_and_mibs() {
    let mut h = Host::new(config(8));
    let ind = h.bring_up();
    assert_eq!(ind.size_inp_ch_buf, 1632);
    // Multi-TX confirm on, as the vendor does for if 0 and 1.
    for if_id in 0..2 {
        let r = h.command(&SetMib(UseMultiTxConfirm(1)), if_id);
        assert_eq!(base(&r[0]), id::WRITE_MIB_CONFIRM);
        assert_eq!(Header::parse(&r[0]).unwrap().id.if_id(), if_id);
    }
    // Configuration for if 0 and 1 with the same address: if 1 gets the derived one.
    let sdd = [0xFEu8, 0, 0xC1, 0];
    let mut macs = Vec::new();
    for if_id in 0..2 {
        let r = h.command(&Configuration::new(CHIP_MAC, &sdd), if_id);
        let (_, c) = msg::decode::<ConfigurationConfirm>(&r[0]).unwrap();
        assert!(c.status.is_success());
        macs.push(c.info.unwrap().station_id);
    }
    assert_eq!(macs[0], CHIP_MAC);
    assert_eq!(macs[1], [0x02, 0xBE, 0x57, 0x26, 0x80, 0x02]);
    // Read back the station id and the counters.
    let r = h.command(
        &ReadMib {
            mib_id: mib::id::STATION_ID,
        },
        0,
    );
    let (_, c) = msg::decode::<ReadMibConfirm<'_>>(&r[0]).unwrap();
    assert_eq!(c.data, CHIP_MAC);
    let r = h.command(
        &ReadMib {
            mib_id: mib::id::COUNTERS_TABLE,
        },
        0,
    );
    let (_, c) = msg::decode::<ReadMibConfirm<'_>>(&r[0]).unwrap();
    assert_eq!(c.data.len(), 22 * 4);
    // A written MIB reads back; an unknown one fails with a status.
    h.command(&SetMib(mib::RtsThreshold(2347)), 0);
    let r = h.command(
        &ReadMib {
            mib_id: mib::id::RTS_THRESHOLD,
        },
        0,
    );
    let (_, c) = msg::decode::<ReadMibConfirm<'_>>(&r[0]).unwrap();
    assert_eq!(c.data, 2347u32.to_le_bytes());
    let r = h.command(&ReadMib { mib_id: 0x1F00 }, 0);
    let (_, c) = msg::decode::<ReadMibConfirm<'_>>(&r[0]).unwrap();
    assert_eq!(c.status, Status::INVALID_PARAMETER);
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
    assert!(h.flow_errors.is_empty(), "{:?}", h.flow_errors);
    // A MIB with truncated data is a malformed request.
    let bad = encode(
        &mib::WriteMib {
            mib_id: mib::id::RTS_THRESHOLD,
            data: &[1],
        },
        0,
    );
    h.send(vec![bad]);
    let r = h.poll_rx();
    let (_, c) = msg::decode::<msg::WriteMibConfirm>(&r[0]).unwrap();
    assert_eq!(c.status, Status::INVALID_PARAMETER);
    assert_eq!(h.chip.stats.violations_of(violation::MALFORMED), 1);
    assert!(h.flow.is_idle());
}

#[test]
fn scan_reports_beacons_and_completes() {
    let mut h = Host::new(config(8));
    h.bring_up();
    let template = ieee80211::probe_request(&CHIP_MAC, &ieee80211::BROADCAST, b"");
    h.command(
        &SetMib(mib::TemplateFrame {
            frame_type: mib::template::PROBE_REQUEST,
            rate: 0,
            frame: &template,
        }),
        0,
    );
    let mut scan = StartScan {
        band: 0,
        scan_type: 0,
        max_tx_rate: 0,
        probes_per_ssid: 2,
        probe_delay: 100,
        ..StartScan::default()
    };
    for ch in [1u16, 6, 11] {
        scan.channels
            .push(ScanChannel {
                number: ch,
                min_time: 100,
                max_time: 100,
                tx_power: 0,
            })
            .unwrap();
    }
    scan.ssids.push(Ssid::new(b"test").unwrap()).unwrap();
    let r = h.command(&scan, 0);
    assert_eq!(base(&r[0]), id::START_SCAN_CONFIRM);
    // Probe requests on channel 1 with the SSID.
    let probes: Vec<_> = h.air.sent.iter().filter(|t| t.freq == 2412).collect();
    assert_eq!(probes.len(), 2);
    let f = Frame::new(&probes[0].frame).unwrap();
    assert!(f.is_probe_req());
    assert_eq!(ieee80211::find_ie(f.ies(), 0), Some(&b"test"[..]));
    // Move to channel 6, where the AP beacons.
    h.advance(101);
    assert_eq!(h.chip.firmware().unwrap().freq(), Some(2437));
    assert!(
        !h.air_rx(2412, beacon(AP, b"test", 1)),
        "off-channel frames are not heard"
    );
    h.air_rx(2437, beacon(AP, b"test", 6));
    let r = h.poll_rx();
    let (hd, ind) = msg::decode::<RxIndication<'_>>(&r[0]).unwrap();
    assert_eq!(hd.id.if_id(), 2, "scan results come on interface 2");
    assert!(ind.flags.has(RxFlags::BEACON));
    assert_eq!(ind.channel, 6);
    assert!(ind.rcpi > 0);
    assert_eq!(Frame::new(ind.frame).unwrap().addr3(), Some(AP));
    h.advance(200);
    let r = h.poll_rx();
    let (_, done) = msg::decode::<ScanComplete>(&r[0]).unwrap();
    assert_eq!(done.num_channels, 3);
    assert_eq!(h.air.sent.len(), 6);
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
    assert!(h.flow_errors.is_empty(), "{:?}", h.flow_errors);
}

#[test]
fn join_waits_for_the_bss() {
    let mut h = Host::new(config(8));
    h.bring_up();
    let j = Join {
        mode: 1,
        band: 0,
        channel: 6,
        bssid: AP,
        probe_for_join: 1,
        dtim_period: 1,
        ssid: Ssid::new(b"test").unwrap(),
        beacon_interval: 100,
        basic_rates: 7,
        ..Join::default()
    };
    let mut buf = vec![0u8; 200];
    let n = msg::encode(&j, 0, &mut buf).unwrap();
    h.send(vec![buf[..n].to_vec()]);
    assert!(h.poll_rx().is_empty(), "no confirm before the BSS is heard");
    let probe = Frame::new(&h.air.sent.last().unwrap().frame)
        .unwrap()
        .addr1();
    assert_eq!(probe, AP, "directed probe request");
    h.air_rx(2437, beacon(AP, b"test", 6));
    let r = h.poll_rx();
    let (_, c) = msg::decode::<JoinConfirm>(&find(&r, id::JOIN_CONFIRM).unwrap()[..]).unwrap();
    assert!(c.status.is_success());
    // A join to a BSS nobody hears fails after the timeout.
    let mut j2 = j;
    j2.bssid = [2, 9, 9, 9, 9, 9];
    let n = msg::encode(&j2, 0, &mut buf).unwrap();
    h.send(vec![buf[..n].to_vec()]);
    h.advance(1001);
    let r = h.poll_rx();
    let (_, c) = msg::decode::<JoinConfirm>(&r[0]).unwrap();
    assert_eq!(c.status, Status::FAILURE);
    assert_eq!(h.violations(), 0);
    assert!(h.flow.is_idle());
}

#[test]
fn tx_confirms_and_buffer_accounting() {
    let mut h = Host::new(config(4));
    h.bring_up();
    join_force(&mut h, 6);
    h.air.ack_addrs.push(AP);
    // Plain TX confirms.
    h.send(vec![tx_frame(0, 1, &data_to_ap(b"hello", false))]);
    let r = h.poll_rx();
    let (_, c) = msg::decode::<TxConfirm>(&r[0]).unwrap();
    assert_eq!(c.status, Status::SUCCESS);
    assert_eq!(c.packet_id, PacketId::new(1, 0, 2, 0, 0, 0));
    assert_eq!(c.ack_failures, 0);
    assert_eq!(h.air.sent.last().unwrap().freq, 2437);
    // Multi-TX confirm: three frames, one confirm, three buffers.
    h.command(&SetMib(UseMultiTxConfirm(1)), 0);
    let frames: Vec<_> = (0..3)
        .map(|i| tx_frame(0, 10 + i, &data_to_ap(b"x", false)))
        .collect();
    h.send(frames);
    assert_eq!(h.flow.in_use(), 3);
    let r = h.poll_rx();
    let (_, m) = msg::decode::<MultiTxConfirm<'_>>(&r[0]).unwrap();
    assert_eq!(m.count(), 3);
    assert!(h.flow.is_idle());
    // Unacknowledged frames: retry limit exceeded, tries counted.
    h.air.ack_addrs.clear();
    h.send(vec![tx_frame(0, 20, &data_to_ap(b"lost", false))]);
    let r = h.poll_rx();
    let (_, m) = msg::decode::<MultiTxConfirm<'_>>(&r[0]).unwrap();
    let c = m.iter().next().unwrap();
    assert_eq!(c.status, Status::RETRY_EXCEEDED);
    assert!(c.ack_failures > 0);
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
    assert!(h.flow_errors.is_empty(), "{:?}", h.flow_errors);
    assert_eq!(h.chip.in_flight(), 0);

    // Five messages at once with four input buffers: a violation.
    let frames: Vec<_> = (0..5)
        .enumerate()
        .map(|(i, _)| {
            let mut m = tx_frame(0, 30 + i as u8, &data_to_ap(b"x", false));
            let seq = h
                .flow
                .next_tx_seq(bes2600_protocol::wsm_header::Channel::Lmac);
            let s = Seq::new((seq.value() + i as u8) % 8).unwrap();
            bes2600_protocol::wsm_header::stamp_seq(&mut m, s).unwrap();
            m
        })
        .collect();
    h.send_raw(frames, None);
    assert_eq!(h.chip.stats.violations_of(violation::BUFFER_OVERFLOW), 1);
    assert_eq!(h.chip.stats.violations_of(violation::SEQUENCE), 0);
}

#[test]
fn sequence_and_toggle_violations() {
    let mut h = Host::new(config(8));
    h.bring_up();
    // Wrong sequence number: 5 where 0 is expected.
    let mut m = encode(
        &ReadMib {
            mib_id: mib::id::STATION_ID,
        },
        0,
    );
    bes2600_protocol::wsm_header::stamp_seq(&mut m, Seq::new(5).unwrap()).unwrap();
    h.send_raw(vec![m], None);
    assert_eq!(h.chip.stats.violations_of(violation::SEQUENCE), 1);
    // The chip resynchronised on 6: the next message in order is fine.
    let mut m = encode(
        &ReadMib {
            mib_id: mib::id::STATION_ID,
        },
        0,
    );
    bes2600_protocol::wsm_header::stamp_seq(&mut m, Seq::new(6).unwrap()).unwrap();
    h.send_raw(vec![m], None);
    assert_eq!(h.chip.stats.violations_of(violation::SEQUENCE), 1);
    // Wrong toggle.
    let mut m = encode(
        &ReadMib {
            mib_id: mib::id::STATION_ID,
        },
        0,
    );
    bes2600_protocol::wsm_header::stamp_seq(&mut m, Seq::new(7).unwrap()).unwrap();
    let expected = h.toggles.take_tx();
    h.send_raw(vec![m], Some(!expected));
    assert_eq!(h.chip.stats.violations_of(violation::TOGGLE), 1);
    // A malformed batch: address length not a multiple of the slot.
    h.t.push(&bes2600_chip_model::transport::HostMsg::Cmd53Write {
        addr: 100,
        block_mode: false,
        blocks: 0,
        data: vec![0; 512],
    });
    h.pump();
    assert_eq!(h.chip.stats.violations_of(violation::MALFORMED), 1);
    // An MCU command on its own channel is confirmed on the MCU channel.
    let mut h = Host::new(config(8));
    h.bring_up();
    let r = h.command(&McuCommand::WifiStatus(5), 0);
    let (hd, c) = msg::decode::<McuCommandConfirm<'_>>(&r[0]).unwrap();
    assert_eq!(c.header.cmd_type, 3);
    assert_eq!(hd.id.channel(), bes2600_protocol::wsm_header::Channel::Mcu);
    assert_eq!(hd.id.seq(), Seq::ZERO);
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
    assert!(h.flow_errors.is_empty(), "{:?}", h.flow_errors);
}

#[test]
fn rx_batches_framing_and_stale_length_register() {
    let mut h = Host::new(config(8));
    h.bring_up();
    join_force(&mut h, 6);
    // Six frames arrive while the host does not read: 4 items queued (depth 4), the
    // rest waits and is batched together.
    let batches_before = h.chip.stats.get("rx_batches");
    for i in 0..6u8 {
        h.air_rx(2437, data_from_ap(CHIP_MAC, &[i; 100]));
    }
    assert_eq!(h.rxq.len(), 4);
    let first = LengthReg::from_byte(h.read_reg(reg::RX_LEN));
    assert!(!first.toggle);
    assert_eq!(first.units, 1);
    let msgs = h.poll_rx();
    assert_eq!(msgs.len(), 6);
    assert_eq!(
        h.chip.stats.get("rx_batches") - batches_before,
        5,
        "the last two share a batch"
    );
    for (i, m) in msgs.iter().enumerate() {
        let (hd, ind) = msg::decode::<RxIndication<'_>>(m).unwrap();
        assert_eq!(hd.id.if_id(), 0);
        assert_eq!(ind.frame.last(), Some(&(i as u8)));
        assert!(ind.flags.has(RxFlags::ADDRESS1));
    }
    // After the last batch, register 0x001 still shows the old value (stale toggle).
    let stale = LengthReg::from_byte(h.read_reg(reg::RX_LEN));
    assert!(!stale.is_empty());
    assert_eq!(stale.toggle, !h.toggles.expected_length_toggle());
    // A big frame makes a multi-unit batch parsed by the protocol crate.
    h.air_rx(2437, data_from_ap(CHIP_MAC, &[7; 1500]));
    let (lr, data) = h.read_raw_batch().unwrap();
    assert_eq!(lr.units, 4);
    let b = RxBatch::parse(&data, lr.len()).unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
    // A read of the wrong length is a violation.
    h.air_rx(2437, data_from_ap(CHIP_MAC, &[1; 10]));
    let lr = LengthReg::from_byte(h.read_reg(reg::RX_LEN));
    let _ = h.toggles.accept_length(lr);
    let t = h.toggles.take_rx();
    h.cmd53_read(256 | (u32::from(t) << 16), 256);
    assert_eq!(h.chip.stats.violations_of(violation::RX_READ), 2);
}

#[test]
fn ccmp_round_trip_through_the_firmware() {
    let mut h = Host::new(config(8));
    h.bring_up();
    join_force(&mut h, 6);
    h.air.ack_addrs.push(AP);
    let tk = [0x11u8; 16];
    let gtk = [0x22u8; 16];
    for (i, key) in [
        Key::AesPairwise { peer: AP, key: tk },
        Key::AesGroup {
            key: gtk,
            key_id: 1,
            rx_seq: [0; 8],
        },
    ]
    .into_iter()
    .enumerate()
    {
        let r = h.command(
            &AddKey {
                entry_index: i as u8,
                key,
            },
            0,
        );
        assert_eq!(base(&r[0]), id::ADD_KEY_CONFIRM);
    }
    // TX: the firmware fills IV and MIC; the AP can decrypt it.
    let body = b"\xaa\xaa\x03\x00\x00\x00\x08\x00payload";
    h.send(vec![tx_frame(0, 1, &data_to_ap(body, true))]);
    h.poll_rx();
    let sent = h.air.sent.last().unwrap().frame.clone();
    let (plain, pn, kid) = ccmp::decrypt(&tk, &sent, 24).unwrap();
    assert_eq!(plain, body);
    assert_eq!((pn, kid), (1, 0));
    h.send(vec![tx_frame(0, 2, &data_to_ap(body, true))]);
    let (_, pn2, _) = ccmp::decrypt(&tk, &h.air.sent.last().unwrap().frame, 24).unwrap();
    assert_eq!(pn2, 2, "packet numbers increase");
    h.poll_rx();
    // RX unicast: the AP encrypts with the pairwise key.
    let mut f = data_from_ap(CHIP_MAC, &[0; 8]);
    f.truncate(24);
    f[1] |= 0x40;
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(body);
    f.extend_from_slice(&[0; 8]);
    let mut enc = f.clone();
    ccmp::encrypt_in_place(&tk, &mut enc, 24, 77, 0).unwrap();
    h.air_rx(2437, enc.clone());
    let r = h.poll_rx();
    let (_, ind) = msg::decode::<RxIndication<'_>>(&r[0]).unwrap();
    assert_eq!(ind.status, Status::SUCCESS);
    assert_eq!(ind.flags.encryption(), RxEncryption::Aes);
    assert_eq!(
        &ind.frame[32..32 + body.len()],
        body,
        "decrypted in place, IV kept"
    );
    // RX group frame with the group key (key id 1).
    let mut g = f.clone();
    g[4..10].copy_from_slice(&ieee80211::BROADCAST);
    let mut genc = g.clone();
    ccmp::encrypt_in_place(&gtk, &mut genc, 24, 5, 1).unwrap();
    h.air_rx(2437, genc);
    let r = h.poll_rx();
    let (_, ind) = msg::decode::<RxIndication<'_>>(&r[0]).unwrap();
    assert_eq!(ind.status, Status::SUCCESS);
    assert!(ind.flags.has(RxFlags::GROUP_KEY));
    assert_eq!(ind.flags.key_index(), 1);
    // A corrupted MIC: decryption failure.
    let mut bad = enc;
    *bad.last_mut().unwrap() ^= 0xFF;
    h.air_rx(2437, bad);
    let r = h.poll_rx();
    let (_, ind) = msg::decode::<RxIndication<'_>>(&r[0]).unwrap();
    assert_eq!(ind.status, Status::DECRYPT_FAILURE);
    // Without keys: no key found.
    h.command(&bes2600_protocol::msg::key::RemoveKey { entry_index: 0 }, 0);
    let mut enc = f;
    ccmp::encrypt_in_place(&tk, &mut enc, 24, 78, 0).unwrap();
    h.air_rx(2437, enc);
    let r = h.poll_rx();
    let (_, ind) = msg::decode::<RxIndication<'_>>(&r[0]).unwrap();
    assert_eq!(ind.status, Status::NO_KEY_FOUND);
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
}

#[test]
fn stripped_rx_reporting() {
    let mut cfg = config(8);
    cfg.fw.rx_stripped = true;
    let mut h = Host::new(cfg);
    h.bring_up();
    join_force(&mut h, 6);
    let tk = [0x33u8; 16];
    h.command(
        &AddKey {
            entry_index: 0,
            key: Key::AesPairwise { peer: AP, key: tk },
        },
        0,
    );
    let mut f = data_from_ap(CHIP_MAC, &[]);
    f[1] |= 0x40;
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(b"abc");
    f.extend_from_slice(&[0; 8]);
    ccmp::encrypt_in_place(&tk, &mut f, 24, 1, 0).unwrap();
    h.air_rx(2437, f);
    let r = h.poll_rx();
    let (_, ind) = msg::decode::<RxIndication<'_>>(&r[0]).unwrap();
    assert_eq!(ind.flags.encryption(), RxEncryption::DecryptedStripped);
    assert_eq!(&ind.frame[24..], b"abc");
}

#[test]
fn power_save_and_bss_loss() {
    let mut h = Host::new(config(8));
    h.bring_up();
    join_force(&mut h, 6);
    // Beacon-lost count 10, 100 TU interval: lost after ~1 s without beacons.
    h.command(
        &bes2600_protocol::msg::join::SetBssParams {
            beacon_lost_count: 10,
            aid: 1,
            operational_rates: 0xFFF,
            ..Default::default()
        },
        0,
    );
    let r = h.command(
        &SetPm {
            mode: bes2600_protocol::msg::pm::PM_PS,
            ..SetPm::default()
        },
        0,
    );
    assert_eq!(base(&r[0]), id::SET_PM_CONFIRM);
    let (_, ind) =
        msg::decode::<SetPmIndication>(&find(&r, id::SET_PM_INDICATION).unwrap()[..]).unwrap();
    assert_eq!(ind.psm, 1);
    let null = Frame::new(&h.air.sent.last().unwrap().frame).unwrap();
    assert!(null.is_data());
    assert!(null.data[1] & 0x10 != 0, "PM bit set");
    h.air_rx(2437, beacon(AP, b"test", 6));
    h.poll_rx();
    h.advance(1100);
    let r = h.poll_rx();
    let (_, ev) = msg::decode::<Event>(&r[0]).unwrap();
    assert_eq!(ev.id, event_id::BSS_LOST);
    h.air_rx(2437, beacon(AP, b"test", 6));
    let r = h.poll_rx();
    let (_, ev) = msg::decode::<Event>(&r[0]).unwrap();
    assert_eq!(ev.id, event_id::BSS_REGAINED);
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
}

/// A beacon of the AP whose TIM has the bit of association id 1 set, or none.
fn beacon_with_tim(aid1: bool) -> Vec<u8> {
    let mut b = beacon(AP, b"test", 6);
    b.extend_from_slice(&[ieee80211::EID_TIM, 4, 0, 1, 0, if aid1 { 0b10 } else { 0 }]);
    b
}

/// Associated as AID 1 on channel 6, then set PM `mode` with idle period `idle` (500 µs).
fn associated_in_power_save(mode: u8, idle: u8) -> Host {
    let mut h = Host::new(config(8));
    h.bring_up();
    join_force(&mut h, 6);
    h.command(
        &bes2600_protocol::msg::join::SetBssParams {
            aid: 1 | 0xC000,
            operational_rates: 0xFFF,
            ..Default::default()
        },
        0,
    );
    h.command(
        &SetPm {
            mode,
            fast_psm_idle_period: idle,
            ..SetPm::default()
        },
        0,
    );
    let null = Frame::new(&h.air.sent.last().unwrap().frame).unwrap();
    assert!(
        null.is_data() && null.data[1] & 0x10 != 0,
        "dozing: PM bit set"
    );
    h.poll_rx();
    h
}

/// The last frame the chip sent on the air: (frame control byte 0, PM bit).
fn last_sent(h: &Host) -> (u8, bool) {
    let f = &h.air.sent.last().unwrap().frame;
    (f[0], f[1] & 0x10 != 0)
}

#[test]
fn fast_power_save_wakes_for_the_tim_and_dozes_when_idle() {
    // 0x81, 20 × 500 µs: the AP's TIM wakes the chip, which dozes 10 ms after the last frame.
    let mut h = associated_in_power_save(0x81, 20);
    let sent = h.air.sent.len();
    h.air_rx(2437, beacon_with_tim(false));
    assert_eq!(h.air.sent.len(), sent, "no TIM bit: the chip stays asleep");
    h.air_rx(2437, beacon_with_tim(true));
    assert_eq!(
        last_sent(&h),
        (0x48, false),
        "woken: null-data without the PM bit"
    );
    assert_eq!(h.chip.stats.get("ps_tim_wakeups"), 1);
    // Traffic keeps it awake; a frame from the host goes out without the PM bit.
    h.advance(8);
    h.air_rx(2437, data_from_ap(CHIP_MAC, b"x"));
    h.advance(8);
    assert_eq!(h.chip.stats.get("ps_dozes"), 0);
    h.send(vec![tx_frame(0, 1, &data_to_ap(b"y", false))]);
    assert_eq!(last_sent(&h), (0x08, false));
    h.advance(11);
    assert_eq!(
        last_sent(&h),
        (0x48, true),
        "idle for the period: dozing again"
    );
    assert_eq!(h.chip.stats.get("ps_dozes"), 1);
    // A frame from the host wakes a dozing chip too.
    h.send(vec![tx_frame(0, 2, &data_to_ap(b"z", false))]);
    assert_eq!(last_sent(&h), (0x08, false));
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
}

#[test]
fn power_save_before_the_association_is_a_violation() {
    let mut h = Host::new(config(8));
    h.bring_up();
    join_force(&mut h, 6);
    h.command(
        &SetPm {
            mode: 0x81,
            ..SetPm::default()
        },
        0,
    );
    assert_eq!(h.violations(), 1);
}

#[test]
fn host_null_data_keeps_its_power_management_bit() {
    // mac80211 probes the AP with null-data frames of its own: the chip sends the bit the host
    // chose and follows it.
    let mut h = associated_in_power_save(0x81, 20);
    let mut null = ieee80211::null_data(&CHIP_MAC, &AP, false);
    h.send(vec![tx_frame(0, 1, &null)]);
    assert_eq!(last_sent(&h), (0x48, false));
    null[1] |= 0x10;
    h.send(vec![tx_frame(0, 2, &null)]);
    assert_eq!(last_sent(&h), (0x48, true));
    h.advance(20);
    assert_eq!(
        h.chip.stats.get("ps_dozes"),
        0,
        "already dozing: no null-data of its own"
    );
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
}

#[test]
fn legacy_power_save_polls_for_buffered_frames() {
    let mut h = associated_in_power_save(0x01, 0);
    h.air_rx(2437, beacon_with_tim(true));
    let poll = h.air.sent.last().unwrap().frame.clone();
    assert_eq!(&poll[..4], &[0xA4, 0x10, 1, 0xC0], "PS-Poll for AID 1");
    assert_eq!(&poll[4..10], &AP);
    // The AP has more: another poll; the last frame: none.
    let mut more = data_from_ap(CHIP_MAC, b"1");
    more[1] |= 0x20;
    h.air_rx(2437, more);
    assert_eq!(h.chip.stats.get("ps_polls"), 2);
    h.air_rx(2437, data_from_ap(CHIP_MAC, b"2"));
    assert_eq!(h.chip.stats.get("ps_polls"), 2);
    // Everything the chip sends says it dozes.
    h.send(vec![tx_frame(0, 1, &data_to_ap(b"y", false))]);
    assert_eq!(last_sent(&h), (0x08, true));
    // Active again: the AP is told, and frames go without the bit.
    h.command(&SetPm::default(), 0);
    assert_eq!(last_sent(&h), (0x48, false));
    h.send(vec![tx_frame(0, 2, &data_to_ap(b"z", false))]);
    assert_eq!(last_sent(&h), (0x08, false));
    assert_eq!(h.violations(), 0, "{}", h.chip.stats.render());
}

#[test]
fn unknown_request_and_wrong_interface() {
    let mut h = Host::new(config(8));
    h.bring_up();
    let raw = Header {
        len: 8,
        id: MsgId::new(0x003E, 0),
    }
    .to_bytes();
    let mut m = raw.to_vec();
    m.extend_from_slice(&[0; 4]);
    h.send(vec![m]);
    let r = h.poll_rx();
    assert_eq!(base(&r[0]), 0x043E);
    assert_eq!(h.chip.stats.violations_of(violation::MALFORMED), 1);
    let m = encode(&ReadMib { mib_id: 0 }, 5);
    h.send(vec![m]);
    let r = h.poll_rx();
    assert_eq!(base(&r[0]), id::READ_MIB_CONFIRM);
    assert_eq!(h.chip.stats.violations_of(violation::MALFORMED), 2);
    assert!(h.flow.is_idle());
}
