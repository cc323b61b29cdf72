// SPDX-License-Identifier: GPL-2.0

//! Golden byte vectors written by hand from the chip's formats as `docs/chip-protocol.md`
//! describes them (and `docs/chip-protocol.md`, "Sources", says where they were read).
//! Each test names the message or format it checks. Every vector is checked in both directions:
//! the encoder must produce exactly these bytes and the decoder must give the value back.

use bes2600_protocol::boot_frame::{
    self,
    BootReply,
    BootRequest,
    FirmwareImage, //
};
use bes2600_protocol::crc32::crc32;
use bes2600_protocol::mib::{
    self,
    SetMib, //
};
use bes2600_protocol::msg::config::{
    Configuration,
    ConfigurationConfirm,
    StartupIndication, //
};
use bes2600_protocol::msg::event::{
    Event,
    SuspendResume, //
};
use bes2600_protocol::msg::join::{
    Join, JoinConfirm, MapLink, PowerLevels, Reset, SetBssParams, Start, SwitchChannel,
};
use bes2600_protocol::msg::key::{
    AddKey,
    Key,
    RemoveKey, //
};
use bes2600_protocol::msg::mcu::{
    BtRequest,
    BtState,
    McuCommand, //
};
use bes2600_protocol::msg::misc::{
    Epta,
    UpdateIe, //
};
use bes2600_protocol::msg::pm::{
    SetPm,
    SetPmIndication, //
};
use bes2600_protocol::msg::queue::{
    EdcaAc,
    SetEdcaParams,
    SetTxQueueParams, //
};
use bes2600_protocol::msg::rx::{
    RxEncryption,
    RxFlags,
    RxIndication, //
};
use bes2600_protocol::msg::scan::{
    ScanChannel,
    ScanComplete,
    StartScan, //
};
use bes2600_protocol::msg::tx::{
    MultiTxConfirm,
    PacketId,
    TxConfirm,
    TxFlags,
    TxRequest, //
};
use bes2600_protocol::msg::{
    self,
    Message,
    Ssid,
    Status, //
};
use bes2600_protocol::sdio_framing::{
    self, Cmd53, DataAddress, LengthReg, RxBatch, Slot, TxBatchBuilder, TxOptions,
};
use bes2600_protocol::sdio_ids;
use bes2600_protocol::wsm_header::{
    self,
    Header,
    MsgId,
    Seq, //
};

/// Checks encode(value) == bytes and decode(bytes) == value.
fn golden<'a, M>(value: &M, if_id: u8, bytes: &'a [u8])
where
    M: Message<'a> + PartialEq + core::fmt::Debug,
{
    let mut buf = vec![0u8; bytes.len() + 64];
    let n = msg::encode(value, if_id, &mut buf).expect("encode");
    assert_eq!(&buf[..n], bytes, "encoded bytes");
    let (h, back) = msg::decode::<M>(bytes).expect("decode");
    assert_eq!(usize::from(h.len), bytes.len());
    assert_eq!(h.id.if_id(), if_id);
    assert_eq!(&back, value);
}

fn le16(v: u16) -> [u8; 2] {
    v.to_le_bytes()
}

fn le32(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}

#[test]
fn wsm_1_1_header_layout_length_id_interface_sequence() {
    // len 0x18, id 0x0404 | if 1 << 6 | seq 3 << 13 = 0x6444.
    let bytes = [0x18, 0x00, 0x44, 0x64];
    let h = Header::parse(&bytes).unwrap();
    assert_eq!(h.len, 0x18);
    assert_eq!(h.id.base(), 0x0404);
    assert_eq!(h.id.if_id(), 1);
    assert_eq!(h.id.seq().value(), 3);
    assert_eq!(h.id.number(), 4);
    let id = MsgId::new(0x0404, 1).with_seq(Seq::new(3).unwrap());
    assert_eq!(Header { len: 0x18, id }.to_bytes(), bytes);
    assert_eq!(wsm_header::ID_MASK, 0x0C3F);
}

#[test]
fn wsm_1_2_sequence_channel_selection() {
    assert_eq!(MsgId::from_raw(0x0C27).channel(), wsm_header::Channel::Mcu);
    assert_eq!(MsgId::from_raw(0x2C30).channel(), wsm_header::Channel::Mcu);
    for id in [0x0004u16, 0x0404, 0x041E, 0x0801, 0x0804] {
        assert_eq!(MsgId::from_raw(id).channel(), wsm_header::Channel::Lmac);
    }
}

#[test]
fn wsm_1_3_mcu_header_label_at_offset_8() {
    // 0x0C30 indication: len 16, id, reserved, label 0xF0, BT state 0x44 (link 4, audio 1).
    let mut bytes = Vec::new();
    bytes.extend(le16(16));
    bytes.extend(le16(0x0C30));
    bytes.extend(le32(0));
    bytes.extend(le32(0xF0));
    bytes.extend(le32(0x44));
    let v = BtRequest::indication(0x44, &[]);
    golden(&v, 0, &bytes);
    let s = BtState(v.header.cmd_type);
    assert_eq!((s.link(), s.audio()), (4, 1));
}

fn startup_bytes() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(le16(152));
    b.extend(le16(0x0801));
    for v in [30u16, 1632, 0x2002, 1, 0, 0x0100, 2, 0x0300, 1234, 5] {
        b.extend(le16(v));
    }
    let mut label = [0u8; 128];
    label[..12].copy_from_slice(b"WSM_BES2600 ");
    b.extend(label);
    b
}

#[test]
fn wsm_3_2_startup_indication_20_bytes_and_128_byte_label() {
    let bytes = startup_bytes();
    let mut label = [0u8; 128];
    label[..12].copy_from_slice(b"WSM_BES2600 ");
    let v = StartupIndication {
        num_inp_ch_bufs: 30,
        size_inp_ch_buf: 1632,
        hardware_id: 0x2002,
        hardware_sub_id: 1,
        status: 0,
        firmware_cap: 0x0100,
        firmware_type: 2,
        firmware_api_ver: 0x0300,
        firmware_build: 1234,
        firmware_version: 5,
        label,
    };
    golden(&v, 0, &bytes);
    // "All of it must be present": one byte short is a parse error.
    let mut short = bytes.clone();
    short.pop();
    short[0] = 151;
    assert!(msg::decode::<StartupIndication>(&short).is_err());
    // Firmware type 5 and non-zero status are rejected by validation.
    assert!(StartupIndication {
        firmware_type: 5,
        ..v
    }
    .validate()
    .is_err());
    assert!(StartupIndication { status: 1, ..v }.validate().is_err());
}

#[test]
fn wsm_3_2_configuration_request_dpd_block() {
    let sdd = [0x01, 0x02, 0xAA, 0xBB, 0xFE, 0x00];
    let mut b = Vec::new();
    b.extend(le16(4 + 12 + 12 + 6));
    b.extend(le16(0x0009 | (1 << 6)));
    b.extend(le32(0));
    b.extend(le32(0));
    b.extend(le32(0));
    b.extend(le16(6 + 12)); // SDD size + 12
    b.extend(le16(1)); // version
    b.extend([0xDE, 0xAD, 0xBE, 0xEF, 0x12, 0x34]);
    b.extend(le16(5)); // flags
    b.extend(sdd);
    golden(
        &Configuration::new([0xDE, 0xAD, 0xBE, 0xEF, 0x12, 0x34], &sdd),
        1,
        &b,
    );
}

#[test]
fn wsm_3_2_configuration_confirm_signalling_fields() {
    let mut b = Vec::new();
    b.extend(le16(44));
    b.extend(le16(0x0409));
    b.extend(le32(0));
    b.extend([1, 2, 3, 4, 5, 6]);
    b.extend([3, 0]);
    b.extend(le32(0x003F_FFFF));
    for v in [10i32, 200, 5, 20, 180, 5] {
        b.extend(v.to_le_bytes());
    }
    let (_, c) = msg::decode::<ConfigurationConfirm>(&b).unwrap();
    let info = c.info.unwrap();
    assert_eq!(info.station_id, [1, 2, 3, 4, 5, 6]);
    assert_eq!(info.bands, 3);
    assert_eq!(info.rate_mask, 0x003F_FFFF);
    assert_eq!((info.power[1].min, info.power[1].max), (20, 180));
    golden(&c, 0, &b);
    // Status-only form (RF-test firmware).
    golden(
        &ConfigurationConfirm {
            status: Status::SUCCESS,
            info: None,
        },
        0,
        &[8, 0, 0x09, 0x04, 0, 0, 0, 0],
    );
}

#[test]
fn wsm_3_3_read_mib_request_and_confirm() {
    golden(
        &mib::ReadMib { mib_id: 0x100C },
        0,
        &[8, 0, 5, 0, 0x0C, 0x10, 0, 0],
    );
    let data = [1u8, 0, 0, 0, 2, 0, 0, 0];
    let mut b = Vec::new();
    b.extend(le16(20));
    b.extend(le16(0x0405));
    b.extend(le32(0));
    b.extend(le16(0x100C));
    b.extend(le16(8));
    b.extend(data);
    golden(
        &mib::ReadMibConfirm {
            status: Status::SUCCESS,
            mib_id: 0x100C,
            data: &data,
        },
        0,
        &b,
    );
    // A length field beyond the message is an error.
    let mut bad = b.clone();
    bad[10] = 9;
    assert!(msg::decode::<mib::ReadMibConfirm<'_>>(&bad).is_err());
}

/// Write-MIB bytes: header, mib id, length, data.
fn write_mib(mib_id: u16, data: &[u8], if_id: u8) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(le16((8 + data.len()) as u16));
    b.extend(le16(0x0006 | (u16::from(if_id) << 6)));
    b.extend(le16(mib_id));
    b.extend(le16(data.len() as u16));
    b.extend(data);
    b
}

#[test]
fn wsm_3_3_mib_operational_power_mode_0x1006() {
    // bes_pwr: 0x12 on sleep (quiescent | no More-Data), 0x10 on wake.
    golden(
        &SetMib(mib::OperationalPowerMode(0x12)),
        0,
        &write_mib(0x1006, &[0x12, 0, 0, 0], 0),
    );
    golden(
        &SetMib(mib::OperationalPowerMode(0x10)),
        0,
        &write_mib(0x1006, &[0x10, 0, 0, 0], 0),
    );
}

#[test]
fn wsm_3_3_mib_station_id_mac_address_0x0000() {
    let mac = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
    golden(&SetMib(mib::StationId(mac)), 0, &write_mib(0x0000, &mac, 0));
}

#[test]
fn wsm_3_3_mib_beacon_filter_table_0x1004_and_control_0x1005() {
    // STA: one vendor IE entry with OUI 50:6F:9A.
    let mut t = mib::BeaconFilterTable::default();
    t.entries
        .push(mib::BeaconFilterEntry {
            ie_id: 221,
            action: 0x07,
            oui: [0x50, 0x6F, 0x9A],
            match_data: [0, 0, 0],
        })
        .unwrap();
    golden(
        &SetMib(t),
        0,
        &write_mib(0x1004, &[1, 0, 0, 0, 221, 7, 0x50, 0x6F, 0x9A, 0, 0, 0], 0),
    );
    golden(
        &SetMib(mib::BeaconFilterControl {
            flags: mib::BEACON_FILTER_ENABLE
                | mib::BEACON_FILTER_AUTO_ERP
                | mib::BEACON_FILTER_AUTO_HT,
            beacon_count: 1,
        }),
        0,
        &write_mib(0x1005, &[7, 0, 0, 0, 1, 0, 0, 0], 0),
    );
    // More than 10 entries is refused.
    let mut data = vec![11, 0, 0, 0];
    data.extend([0u8; 88]);
    assert!(mib::AnyMib::decode(0x1004, &data).is_err());
}

#[test]
fn wsm_3_3_mib_arp_filter_0x1001_ipv4_network_order() {
    golden(
        &SetMib(mib::ArpIpAddressTable {
            enable: 3,
            ipv4: [192, 168, 1, 2],
        }),
        0,
        &write_mib(0x1001, &[3, 0, 0, 0, 192, 168, 1, 2], 0),
    );
}

#[test]
fn wsm_3_3_mib_address_filters_0x1030_0x1032_0x0004() {
    let mut f = mib::MacAddrFilter {
        action: mib::FILTER_OUT,
        ..Default::default()
    };
    f.entries
        .push(mib::MacAddrFilterEntry {
            filter_mode: mib::FILTER_OUT,
            address_mode: mib::ADDR_MODE_A1,
            mac: [0xFF; 6],
        })
        .unwrap();
    golden(
        &SetMib(f),
        0,
        &write_mib(
            0x1030,
            &[1, 1, 0, 0, 1, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
            0,
        ),
    );
    let mut v6 = mib::Ipv6AddrFilter {
        action: mib::FILTER_IN,
        ..Default::default()
    };
    v6.entries
        .push(mib::Ipv6FilterEntry {
            filter_mode: mib::FILTER_IN,
            address_mode: 2,
            ipv6: [0x20; 16],
        })
        .unwrap();
    let mut d = vec![1, 2, 0, 0, 2, 2, 0, 0];
    d.extend([0x20; 16]);
    golden(&SetMib(v6), 0, &write_mib(0x1032, &d, 0));
    // Group address table: always 8 slots (56 bytes of data).
    let mut g = mib::GroupAddressTable {
        enable: 1,
        ..Default::default()
    };
    g.addresses.push([0x01, 0, 0x5E, 0, 0, 1]).unwrap();
    let mut d = vec![1, 0, 0, 0, 1, 0, 0, 0, 0x01, 0, 0x5E, 0, 0, 1];
    d.extend([0u8; 42]);
    golden(&SetMib(g), 0, &write_mib(0x0004, &d, 0));
}

#[test]
fn wsm_3_3_mib_rts_threshold_0x0007_and_multi_tx_confirm_0x1024() {
    golden(
        &SetMib(mib::RtsThreshold(2437)),
        0,
        &write_mib(0x0007, &le32(2437), 0),
    );
    // Sent for interfaces 0 and 1 right after startup.
    golden(
        &SetMib(mib::UseMultiTxConfirm(1)),
        1,
        &write_mib(0x1024, &[1, 0, 0, 0], 1),
    );
}

#[test]
fn wsm_3_9_mib_tx_rate_retry_policy_0x1016() {
    // One policy: index 2, retries 7/7, flags 0x0C, 3 tries at rate 13 (54M), 2 at rate 3.
    let mut p = mib::TxRatePolicy {
        index: 2,
        short_retry: 7,
        long_retry: 7,
        flags: 0x0C,
        rate_recovery: 0,
        rate_counts: [0; 3],
    };
    p.set_tries(13, 3).unwrap();
    p.set_tries(3, 2).unwrap();
    let mut d = vec![1, 0, 0, 0, 2, 7, 7, 0x0C, 0, 0, 0, 0];
    d.extend(le32(0x0000_2000)); // rate 3 → word 0 nibble 3
    d.extend(le32(0x0030_0000)); // rate 13 → word 1 nibble 5
    d.extend(le32(0));
    let v = mib::TxRatePolicies {
        policies: bes2600_protocol::codec::List::from_slice(&[p]).unwrap(),
    };
    golden(&SetMib(v), 0, &write_mib(0x1016, &d, 0));
}

#[test]
fn wsm_3_11_mib_template_frame_0x1002() {
    let frame = [0x40, 0x00, 0x00, 0x00, 0xFF, 0xFF];
    golden(
        &SetMib(mib::TemplateFrame {
            frame_type: mib::template::PROBE_REQUEST,
            rate: 0,
            frame: &frame,
        }),
        0,
        &write_mib(0x1002, &[0, 0, 6, 0, 0x40, 0, 0, 0, 0xFF, 0xFF], 0),
    );
}

#[test]
fn wsm_3_3_mib_bssid_filter_association_block_ack_keepalive() {
    golden(
        &SetMib(mib::DisableBssidFilter { disable: true }),
        0,
        &write_mib(0x1026, &[1, 0, 0, 0], 0),
    );
    golden(
        &SetMib(mib::AssociationMode {
            flags: 0x1F,
            preamble: 1,
            greenfield: 0,
            mpdu_start_spacing: 5,
            basic_rates: 0x7,
        }),
        0,
        &write_mib(0x1010, &[0x1F, 1, 0, 5, 7, 0, 0, 0], 0),
    );
    golden(
        &SetMib(mib::BlockAckPolicy {
            tx_tids: 0xB1,
            rx_tids: 0xB1,
        }),
        0,
        &write_mib(0x100E, &[0xB1, 0, 0xB1, 0], 0),
    );
    golden(
        &SetMib(mib::KeepAlivePeriod(15)),
        0,
        &write_mib(0x1025, &[15, 0, 0, 0], 0),
    );
    golden(
        &SetMib(mib::BeaconWakeupPeriod {
            beacon_periods: 1,
            listen_interval: 3,
        }),
        0,
        &write_mib(0x1007, &[1, 0, 3, 0], 0),
    );
    golden(
        &SetMib(mib::RcpiRssiThreshold {
            mode: 0x0D,
            lower: 0,
            upper: 0,
            average_count: 16,
        }),
        0,
        &write_mib(0x1009, &[0x0D, 0, 0, 16], 0),
    );
    golden(
        &SetMib(mib::TxRxOptParam {
            rts_retry_limit: 2,
            protect_mode: 5,
            rts_duration: 3000,
        }),
        0,
        &write_mib(0x1044, &[2, 5, 0xB8, 0x0B], 0),
    );
    golden(
        &SetMib(mib::Inactivity { min: 9, max: 1 }),
        0,
        &write_mib(0x1035, &[9, 1, 0, 0], 0),
    );
    golden(
        &SetMib(mib::CurrentTxPower(200)),
        0,
        &write_mib(0x0006, &le32(200), 0),
    );
}

#[test]
fn wsm_3_4_join_request_64_bytes() {
    let mut b = Vec::new();
    b.extend(le16(64));
    b.extend(le16(0x000B));
    b.extend([1, 0]); // BSS, 2.4 GHz
    b.extend(le16(6));
    b.extend([0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
    b.extend(le16(0)); // ATIM
    b.extend([1, 1, 1, 0]); // preamble short, probe, DTIM 1, flags
    b.extend(le32(4));
    let mut ssid = [0u8; 32];
    ssid[..4].copy_from_slice(b"test");
    b.extend(ssid);
    b.extend(le32(100));
    b.extend(le32(0x7));
    let v = Join {
        mode: 1,
        band: 0,
        channel: 6,
        bssid: [0x00, 0x11, 0x22, 0x33, 0x44, 0x55],
        atim_window: 0,
        preamble: 1,
        probe_for_join: 1,
        dtim_period: 1,
        flags: 0,
        ssid: Ssid::new(b"test").unwrap(),
        beacon_interval: 100,
        basic_rates: 7,
    };
    golden(&v, 0, &b);
    golden(
        &JoinConfirm {
            status: Status::SUCCESS,
            power: Some(PowerLevels { min: 0, max: 200 }),
        },
        0,
        &[16, 0, 0x0B, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 200, 0, 0, 0],
    );
    // Unjoin = 0x000A reset with u32 0 (reset statistics).
    golden(
        &Reset {
            reset_statistics: true,
        },
        0,
        &[8, 0, 0x0A, 0, 0, 0, 0, 0],
    );
}

#[test]
fn wsm_3_4_set_bss_params_12_byte_payload_with_mcs_word() {
    let mut b = Vec::new();
    b.extend(le16(16));
    b.extend(le16(0x0011));
    b.extend([0, 50]);
    b.extend(le16(1));
    b.extend(le32(0x0000_3FCF));
    b.extend(le32(0xFF << 14));
    golden(
        &SetBssParams {
            flags: 0,
            beacon_lost_count: 50,
            aid: 1,
            operational_rates: 0x3FCF,
            mcs_rates: SetBssParams::mcs_word(0xFF),
        },
        0,
        &b,
    );
}

#[test]
fn wsm_3_5_add_key_all_types_44_byte_payload() {
    fn key_bytes(ty: u8, idx: u8, union: &[u8]) -> Vec<u8> {
        let mut b = vec![48, 0, 0x0C, 0, ty, idx, 0, 0];
        b.extend(union);
        b.resize(48, 0);
        b
    }
    let mac = [1, 2, 3, 4, 5, 6];
    // Type 5 AES pairwise: MAC, 2 B 0, 16 B key.
    let mut u = mac.to_vec();
    u.extend([0, 0]);
    u.extend([0xAB; 16]);
    golden(
        &AddKey {
            entry_index: 1,
            key: Key::AesPairwise {
                peer: mac,
                key: [0xAB; 16],
            },
        },
        0,
        &key_bytes(5, 1, &u),
    );
    // Type 4 AES group: key, key id, 3 B 0, RSC.
    let mut u = vec![0xCD; 16];
    u.extend([2, 0, 0, 0]);
    u.extend([0; 8]);
    golden(
        &AddKey {
            entry_index: 2,
            key: Key::AesGroup {
                key: [0xCD; 16],
                key_id: 2,
                rx_seq: [0; 8],
            },
        },
        0,
        &key_bytes(4, 2, &u),
    );
    // Type 3 TKIP pairwise: MAC, 2 B 0, TK, RX MIC, TX MIC.
    let mut u = mac.to_vec();
    u.extend([0, 0]);
    u.extend([1; 16]);
    u.extend([2; 8]);
    u.extend([3; 8]);
    golden(
        &AddKey {
            entry_index: 0,
            key: Key::TkipPairwise {
                peer: mac,
                tk: [1; 16],
                rx_mic: [2; 8],
                tx_mic: [3; 8],
            },
        },
        0,
        &key_bytes(3, 0, &u),
    );
    // Type 2 TKIP group: TK, RX MIC, key id, 3 B 0, RSC.
    let mut u = vec![4; 16];
    u.extend([5; 8]);
    u.extend([1, 0, 0, 0]);
    u.extend([0; 8]);
    golden(
        &AddKey {
            entry_index: 3,
            key: Key::TkipGroup {
                tk: [4; 16],
                rx_mic: [5; 8],
                key_id: 1,
                rx_seq: [0; 8],
            },
        },
        0,
        &key_bytes(2, 3, &u),
    );
    // Type 0 WEP default: key id, length, 2 B 0, key.
    let mut u = vec![1, 5, 0, 0];
    u.extend([9; 5]);
    golden(
        &AddKey {
            entry_index: 4,
            key: Key::WepDefault {
                key_id: 1,
                key: bes2600_protocol::msg::key::WepKey::new(&[9; 5]).unwrap(),
            },
        },
        0,
        &key_bytes(0, 4, &u),
    );
    // Type 1 WEP pairwise: MAC, 0, length, key.
    let mut u = mac.to_vec();
    u.extend([0, 13]);
    u.extend([7; 13]);
    golden(
        &AddKey {
            entry_index: 5,
            key: Key::WepPairwise {
                peer: mac,
                key: bes2600_protocol::msg::key::WepKey::new(&[7; 13]).unwrap(),
            },
        },
        0,
        &key_bytes(1, 5, &u),
    );
    // Type 8 IGTK: key, key id, 3 B 0, IPN.
    let mut u = vec![6; 16];
    u.extend([4, 0, 0, 0]);
    u.extend([0; 8]);
    golden(
        &AddKey {
            entry_index: 6,
            key: Key::Igtk {
                key: [6; 16],
                key_id: 4,
                ipn: [0; 8],
            },
        },
        0,
        &key_bytes(8, 6, &u),
    );
    // Type 6/7 WAPI.
    let mut u = vec![1; 16];
    u.extend([2; 16]);
    u.extend([3, 0, 0, 0]);
    golden(
        &AddKey {
            entry_index: 7,
            key: Key::WapiGroup {
                key: [1; 16],
                mic: [2; 16],
                key_id: 3,
            },
        },
        0,
        &key_bytes(6, 7, &u),
    );
    let mut u = mac.to_vec();
    u.extend([1, 0]);
    u.extend([4; 16]);
    u.extend([5; 16]);
    golden(
        &AddKey {
            entry_index: 8,
            key: Key::WapiPairwise {
                peer: mac,
                key_id: 1,
                key: [4; 16],
                mic: [5; 16],
            },
        },
        0,
        &key_bytes(7, 8, &u),
    );
    // Remove key: index, 3 B 0. Unknown key type 9 is rejected.
    golden(
        &RemoveKey { entry_index: 3 },
        0,
        &[8, 0, 0x0D, 0, 3, 0, 0, 0],
    );
    assert!(msg::decode::<AddKey>(&key_bytes(9, 0, &[])).is_err());
}

#[test]
fn wsm_3_6_start_scan_and_scan_complete() {
    let mut b = Vec::new();
    b.extend(le16(4 + 12 + 16 + 36));
    b.extend(le16(0x0007));
    b.extend([0, 0, 0x10, 0]); // 2.4 GHz, foreground, MAC instance 1, 1 Mbps
    b.extend(le32(0));
    b.extend([2, 1, 1, 100]); // probes, channels, SSIDs, probe delay
    b.extend(le16(11));
    b.extend(le16(0));
    b.extend(le32(30));
    b.extend(le32(120));
    b.extend(le32(0));
    b.extend(le32(3));
    let mut ssid = [0u8; 32];
    ssid[..3].copy_from_slice(b"abc");
    b.extend(ssid);
    let mut v = StartScan {
        band: 0,
        scan_type: 0,
        flags: 0x10,
        max_tx_rate: 0,
        auto_scan_interval: 0,
        probes_per_ssid: 2,
        probe_delay: 100,
        ..Default::default()
    };
    v.channels
        .push(ScanChannel {
            number: 11,
            min_time: 30,
            max_time: 120,
            tx_power: 0,
        })
        .unwrap();
    v.ssids.push(Ssid::new(b"abc").unwrap()).unwrap();
    golden(&v, 0, &b);
    // 49 channels is refused.
    let mut too_many = b.clone();
    too_many[13] = 49;
    assert!(msg::decode::<StartScan>(&too_many).is_err());
    golden(
        &ScanComplete {
            status: Status::SUCCESS,
            psm: 0,
            num_channels: 1,
        },
        0,
        &[10, 0, 0x06, 0x08, 0, 0, 0, 0, 0, 1],
    );
}

#[test]
fn wsm_3_7_tx_request_24_byte_header() {
    let frame = [0x08, 0x01, 0x00, 0x00];
    let mut b = Vec::new();
    b.extend(le16(28));
    b.extend(le16(0x0004 | (1 << 6)));
    b.extend(le32(0x0110_0205)); // packet id
    b.extend([13, 3, 0, 0x20]); // rate 54M, link 0 << 2 | VO, more 0, policy 2
    b.extend(le32(0));
    b.extend(le32(0));
    b.extend(le32(1)); // HT mixed
    b.extend(frame);
    let v = TxRequest {
        packet_id: PacketId(0x0110_0205),
        max_tx_rate: 13,
        queue: 3,
        link_id: 0,
        more: 0,
        flags: TxFlags::with_policy(2),
        reserved: 0,
        expire_time: 0,
        ht_tx_parameters: 1,
        frame: &frame,
    };
    golden(&v, 1, &b);
    assert_eq!(v.header_bytes(1).unwrap()[..], b[..24]);
    assert_eq!(v.packet_id.if_id(), 1);
    assert_eq!(v.packet_id.queue(), 0);
}

#[test]
fn wsm_3_8_tx_confirm_and_multi_tx_confirm() {
    let mut rec = Vec::new();
    rec.extend(le32(0x0010_0007));
    rec.extend(le32(0));
    rec.extend([13, 1]);
    rec.extend(le16(0b1101)); // aggregated, block ack
    rec.extend(le32(100));
    rec.extend(le32(200));
    let c = TxConfirm {
        packet_id: PacketId(0x0010_0007),
        status: Status::SUCCESS,
        tx_rate: 13,
        ack_failures: 1,
        flags: 0b1101,
        media_delay: 100,
        queue_delay: 200,
    };
    let mut b = vec![24, 0, 0x04, 0x04];
    b.extend(&rec);
    golden(&c, 0, &b);
    assert!(c.aggregated());
    assert_eq!(c.ack_type(), bes2600_protocol::msg::tx::AckType::BlockAck);
    let mut m = vec![48, 0, 0x1E, 0x04, 2, 0, 0, 0];
    m.extend(&rec);
    m.extend(&rec);
    let (_, mc) = msg::decode::<MultiTxConfirm<'_>>(&m).unwrap();
    assert_eq!(mc.count(), 2);
    assert_eq!(mc.iter().collect::<Vec<_>>(), vec![c, c]);
    let mut out = [0u8; 64];
    let n = MultiTxConfirm::encode_records(&[c, c], 0, &mut out).unwrap();
    assert_eq!(&out[..n], &m[..]);
}

#[test]
fn wsm_3_10_rx_indication_frame_at_offset_32_encryption_7_link_bits() {
    let frame = [0x88, 0x42, 0, 0, 1, 2];
    let mut b = Vec::new();
    b.extend(le16(38));
    b.extend(le16(0x0804 | (2 << 6)));
    b.extend(le32(0));
    b.extend(le16(36));
    b.extend([14, 120]);
    b.extend(le32(7 | (1 << 14) | (5 << 25)));
    b.extend([0xEE; 16]);
    b.extend(frame);
    assert_eq!(b.len(), 32 + frame.len());
    let (h, r) = msg::decode::<RxIndication<'_>>(&b).unwrap();
    assert_eq!(h.id.if_id(), 2);
    assert_eq!(r.flags.encryption(), RxEncryption::DecryptedStripped);
    assert_eq!(r.flags.link_id(), 5);
    assert!(r.flags.has(RxFlags::HT));
    assert_eq!(r.frame, &frame[..]);
    assert_eq!(r.channel, 36);
    golden(&r, 2, &b);
}

#[test]
fn wsm_3_12_set_pm_and_pm_indication() {
    golden(
        &SetPm {
            mode: 0x81,
            fast_psm_idle_period: 16,
            ap_psm_change_period: 0,
            min_auto_ps_poll_period: 0,
        },
        0,
        &[8, 0, 0x10, 0, 0x81, 16, 0, 0],
    );
    golden(
        &SetPmIndication {
            status: Status::SUCCESS,
            psm: 1,
        },
        0,
        &[9, 0, 0x09, 0x08, 0, 0, 0, 0, 1],
    );
}

#[test]
fn wsm_3_13_switch_channel_mode_byte() {
    // HT40+ (3) on channel 6: 0x80 | 3 << 4.
    golden(
        &SwitchChannel::bandwidth(3, 6),
        0,
        &[8, 0, 0x16, 0, 0xB0, 0, 6, 0],
    );
}

#[test]
fn wsm_3_14_start_52_byte_payload() {
    let mut b = Vec::new();
    b.extend(le16(56));
    b.extend(le16(0x0017 | (1 << 6)));
    b.extend([0x10, 0]); // mini AP, MAC instance 1, 2.4 GHz
    b.extend(le16(1));
    b.extend(le32(0xFFFF_FFFF));
    b.extend(le32(100));
    b.extend([2, 0, 100, 3]);
    let mut ssid = [0u8; 32];
    ssid[..3].copy_from_slice(b"bes");
    b.extend(ssid);
    b.extend(le32(0x3));
    golden(
        &Start {
            mode: 0x10,
            band: 0,
            channel: 1,
            ct_window: 0xFFFF_FFFF,
            beacon_interval: 100,
            dtim_period: 2,
            preamble: 0,
            probe_delay: 100,
            ssid: Ssid::new(b"bes").unwrap(),
            basic_rates: 3,
        },
        1,
        &b,
    );
}

#[test]
fn wsm_3_15_map_link() {
    golden(
        &MapLink {
            mac: [1, 2, 3, 4, 5, 6],
            unmap: true,
            link_id: 14,
        },
        0,
        &[12, 0, 0x1C, 0, 1, 2, 3, 4, 5, 6, 1, 14],
    );
}

#[test]
fn wsm_3_16_event_and_suspend_resume() {
    golden(
        &Event { id: 1, data: 0 },
        0,
        &[12, 0, 0x05, 0x08, 1, 0, 0, 0, 0, 0, 0, 0],
    );
    let s = SuspendResume { flags: 0b1001 };
    golden(&s, 0, &[8, 0, 0x0C, 0x08, 9, 0, 0, 0]);
    assert!(!s.stop() && s.multicast() && s.queue() == 0);
}

#[test]
fn wsm_3_17_epta_mcu_command_update_ie() {
    let mut b = vec![16, 0, 0x29, 0];
    b.extend(le32(20_000));
    b.extend(le32(80_000));
    b.extend(le32(3));
    golden(
        &Epta {
            wlan_duration: 20_000,
            bt_duration: 80_000,
            mode: 3,
        },
        0,
        &b,
    );
    golden(
        &McuCommand::WifiStatus(5),
        0,
        &[12, 0, 0x27, 0x0C, 3, 0, 0, 0, 5, 0, 0, 0],
    );
    golden(
        &McuCommand::ChannelInfo {
            channel: 6,
            channel_type: 1,
        },
        0,
        &[14, 0, 0x27, 0x0C, 1, 0, 0, 0, 6, 0, 0, 0, 1, 0],
    );
    golden(
        &UpdateIe {
            what: 1,
            count: 1,
            ies: &[5, 4, 0, 1, 0, 0],
        },
        0,
        &[14, 0, 0x1B, 0, 1, 0, 1, 0, 5, 4, 0, 1, 0, 0],
    );
}

#[test]
fn wsm_5_6_edca_default_parameters_wire_order() {
    // Defaults: VO aifs 2 cw 3/7 txop 1504; VI 2, 7/15, 3008; BE 3, 15/1023, 0; BK 7, 15/1023, 0.
    let ac = |aifs, cw_min, cw_max, txop| EdcaAc {
        cw_min,
        cw_max,
        aifs,
        txop_limit: txop,
        max_receive_lifetime: 200,
    };
    let v = SetEdcaParams {
        ac: [
            ac(2, 3, 7, 1504),
            ac(2, 7, 15, 3008),
            ac(3, 15, 1023, 0),
            ac(7, 15, 1023, 0),
        ],
    };
    let mut b = vec![48, 0, 0x13, 0];
    for cw in [15u16, 15, 7, 3] {
        b.extend(le16(cw));
    }
    for cw in [1023u16, 1023, 15, 7] {
        b.extend(le16(cw));
    }
    b.extend([7, 3, 2, 2]);
    for t in [0u16, 0, 3008, 1504] {
        b.extend(le16(t));
    }
    for _ in 0..4 {
        b.extend(le32(200));
    }
    golden(&v, 0, &b);
    golden(
        &SetTxQueueParams {
            queue_id: 3,
            ack_policy: 0,
            max_transmit_lifetime: 0,
            allowed_medium_time: 0,
        },
        0,
        &[16, 0, 0x12, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
}

#[test]
fn bus_1_1_sdio_ids_and_wlan_function() {
    assert_eq!(sdio_ids::VENDOR_BESTECHNIC, 0xBE57);
    assert_eq!(sdio_ids::DEVICE_BES2600, 0x2002);
    assert_eq!(sdio_ids::WLAN_FUNCTION, 1);
    // Every data transfer addresses the WLAN function: bits 30..28 of the CMD53 argument.
    let c = Cmd53::data(
        false,
        DataAddress {
            len: 512,
            toggle: false,
        },
        512,
        false,
    )
    .unwrap();
    assert_eq!(c.function, sdio_ids::WLAN_FUNCTION);
    assert_eq!((c.to_arg().unwrap() >> 28) & 7, 1);
}

#[test]
fn bus_2_1_registers_length_status_doorbell() {
    let r = LengthReg::from_byte(0xFF);
    assert!(r.toggle);
    assert_eq!(r.len(), 127 * 512);
    assert_eq!(sdio_framing::reg::SLAVE_STATUS, 0x10C);
    let s = sdio_framing::SlaveStatus(0b0000_0101);
    assert!(s.has(sdio_framing::SlaveStatus::MCU_READY | sdio_framing::SlaveStatus::WIFI_READY));
    assert!(!s.has(sdio_framing::SlaveStatus::DPD_READY));
    // BT_ACTIVE is bit 8: high byte 0x01, low byte 0x01 (ring), high written first.
    let d = sdio_framing::Doorbell::ring(sdio_framing::Doorbell::BT_ACTIVE);
    assert_eq!(d.writes(), [(0x121, 0x01), (0x120, 0x01)]);
    let d = sdio_framing::Doorbell::ring(sdio_framing::Doorbell::WIFI_DEBUG);
    assert_eq!(d.writes(), [(0x121, 0x00), (0x120, 0x41)]);
    assert_eq!(sdio_framing::boot_ready_len(0x08, 0x00), 8);
    // A length counts when two reads in a row agree: a read torn between the chip's two
    // byte writes (old low byte 0x00, new high byte 0x3B) is not taken for 0x3B00.
    let mut reads = sdio_framing::BootLengthReads::new();
    assert_eq!(reads.observe(0x00, 0x00), None);
    assert_eq!(reads.observe(0x00, 0x3B), None);
    assert_eq!(reads.observe(0x14, 0x3B), None);
    assert_eq!(reads.observe(0x14, 0x3B), Some(0x3B14));
    let mut reads = sdio_framing::BootLengthReads::new();
    assert_eq!(reads.observe(0x08, 0x00), None);
    assert_eq!(reads.observe(0x00, 0x00), None);
    assert_eq!(reads.observe(0x00, 0x00), None, "0 is never a length");
    assert_eq!(reads.observe(0x08, 0x00), None);
    assert_eq!(reads.observe(0x08, 0x00), Some(8));
    let w = sdio_framing::ApWakeupConfig {
        valid: true,
        wake_type: 0,
        gpio_mode: 2,
    };
    assert_eq!(w.to_byte(), 0x82);
}

#[test]
fn bus_2_2_cmd53_address_field_carries_length_and_toggle() {
    // Block-mode write of a 2-slot 512 batch, toggle 1: address 0x1_0400, 2 blocks.
    let c = Cmd53::data(
        true,
        DataAddress {
            len: 1024,
            toggle: true,
        },
        1024,
        true,
    )
    .unwrap();
    let arg = c.to_arg().unwrap();
    assert_eq!(
        arg,
        0x8000_0000 | 0x1000_0000 | 0x0800_0000 | 0x0400_0000 | (0x1_0400 << 9) | 2
    );
    assert_eq!(Cmd53::from_arg(arg), c);
    // 1632-slot batch of 3: T = 4896, code 3 → 0x1323, ⌈4896/512⌉ = 10 blocks.
    let mut buf = vec![0u8; sdio_framing::MAX_TX_BATCH];
    let mut b = TxBatchBuilder::new(&mut buf, TxOptions::default());
    let mut m = vec![0u8; 1600];
    m[..2].copy_from_slice(&1600u16.to_le_bytes());
    m[2..4].copy_from_slice(&0x0004u16.to_le_bytes());
    for _ in 0..3 {
        b.push(&m, 0).unwrap();
    }
    let t = b.finish().unwrap();
    assert_eq!(t.slot, Slot::S1632);
    assert_eq!(t.address_len(), 4896 | 3);
    assert_eq!(t.blocks(), 10);
    assert_eq!(t.cmd53(false).unwrap().count, 10);
}

#[test]
fn bus_3_3_rx_batch_layout() {
    // Two messages (10 and 8 bytes) then a zero terminator in one 512-byte unit.
    let mut buf = vec![0u8; 512];
    buf[..4].copy_from_slice(&[10, 0, 0x05, 0x08]);
    buf[12..16].copy_from_slice(&[8, 0, 0x06, 0x24]);
    let b = RxBatch::parse(&buf, 512).unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(b.get(0).unwrap().len(), 10);
    assert_eq!(b.get(1).unwrap().len(), 8);
    assert_eq!(b.consumed(), 20);
    // First message may exceed 1632 bytes, later ones may not.
    let mut big = vec![0u8; 4096];
    big[..4].copy_from_slice(&[0x00, 0x08, 0x04, 0x08]); // 2048 bytes
    assert_eq!(RxBatch::parse(&big, 4096).unwrap().len(), 1);
    big[2048..2052].copy_from_slice(&[0x00, 0x07, 0x04, 0x08]); // 1792 bytes
    assert!(RxBatch::parse(&big, 4096).is_err());
}

#[test]
fn bus_4_2_tx_slot_codes() {
    assert_eq!(Slot::for_len(512).unwrap().code(), 0);
    assert_eq!(Slot::for_len(513).unwrap().size(), 1024);
    assert_eq!(Slot::for_len(1536).unwrap().code(), 2);
    assert_eq!(Slot::for_len(1537).unwrap().size(), 1632);
    assert!(Slot::for_len(1633).is_none());
    assert_eq!(sdio_framing::MAX_TX_BATCH % 512, 0);
}

#[test]
fn bus_6_3_boot_frames() {
    let mut out = vec![0u8; 1024];
    let n = BootRequest::Data {
        addr: 0x2008_0000,
        data: &[1, 2, 3],
    }
    .encode(7, &mut out)
    .unwrap();
    assert_eq!(n, 512);
    assert_eq!(
        &out[..11],
        &[0xB2, 7, 7, 0, 0x00, 0x00, 0x08, 0x20, 1, 2, 3]
    );
    assert!(out[11..512].iter().all(|&b| b == 0));
    let n = BootRequest::End { crc: 0xCBF4_3926 }
        .encode(8, &mut out)
        .unwrap();
    assert_eq!(n, 512);
    assert_eq!(&out[..8], &[0xB3, 8, 4, 0, 0x26, 0x39, 0xF4, 0xCB]);
    BootRequest::Run { addr: 0x2000_0000 }
        .encode(9, &mut out)
        .unwrap();
    assert_eq!(&out[..8], &[0xB4, 9, 4, 0, 0, 0, 0, 0x20]);
    let r = BootReply::parse(&[0xB0, 9, 4, 0, 0, 0, 0, 0]).unwrap();
    r.check(9).unwrap();
    assert!(BootReply::parse(&[0xB0, 9, 5, 0, 0, 0, 0, 0])
        .unwrap()
        .check(9)
        .is_err());
    assert!(BootReply::parse(&[0xB1, 9, 4, 0, 0, 0, 0, 0])
        .unwrap()
        .check(9)
        .is_err());
    // Chunking: M = 512 → 504 data bytes per DATA frame.
    assert_eq!(boot_frame::data_chunk_len(512).unwrap(), 504);
}

#[test]
fn bus_6_2_image_header_trailer_and_crc() {
    let mut file = Vec::new();
    for w in [0x2000_0101u32, 0, 0x2003_0000, 0] {
        file.extend(le32(w));
    }
    file.extend(b"payload Jan 01 2024");
    file.extend(le32(0x2000_0000));
    let img = FirmwareImage::parse(&file).unwrap();
    assert_eq!(img.load_addr(), 0x2000_0000); // header address 0 → trailer wins
    assert_eq!(img.payload.len(), file.len() - 4);
    assert_eq!(img.crc(), crc32(&file[..file.len() - 4]));
    assert!(FirmwareImage::parse(&file[..19]).is_err());
}

#[test]
fn bus_6_2_crc32_is_zlib_crc32() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(
        crc32(b"The quick brown fox jumps over the lazy dog"),
        0x414F_A339
    );
}
