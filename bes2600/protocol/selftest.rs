// SPDX-License-Identifier: GPL-2.0

//! Self-tests of the protocol core that need only `core`: the kernel module runs them as
//! KUnit cases, the host crate from one `#[test]`. [`CASES`] lists them; each returns
//! `Err` with a short reason on failure. Buffers stay small (≤ 2 KiB per case) to suit a
//! kernel stack.

use super::boot_frame::{
    self,
    BootReply,
    BootRequest,
    Downloader, //
};
use super::codec::List;
use super::crc32::crc32;
use super::error::{
    Error,
    FlowError, //
};
use super::flow::{
    FlowControl,
    Received,
    TxKind, //
};
use super::mib::{
    self,
    Mib,
    SetMib, //
};
use super::msg::config::{
    Configuration,
    StartupIndication, //
};
use super::msg::event::{
    Event,
    Exception,
    SuspendResume, //
};
use super::msg::join::{
    Join, JoinConfirm, MapLink, PowerLevels, Reset, SetBssParams, Start, SwitchChannel,
};
use super::msg::key::{
    AddKey,
    Key,
    RemoveKey,
    WepKey,
    ADD_KEY_LEN, //
};
use super::msg::mcu::{
    McuCommand,
    McuCommandConfirm, //
};
use super::msg::pm::{
    SetPm,
    SetPmIndication, //
};
use super::msg::queue::{
    EdcaAc,
    SetEdcaParams,
    SetTxQueueParams, //
};
use super::msg::rx::{
    RxEncryption,
    RxFlags,
    RxIndication,
    FRAME_OFFSET, //
};
use super::msg::scan::{
    ScanChannel,
    ScanComplete,
    StartScan, //
};
use super::msg::tx::{
    MultiTxConfirm,
    PacketId,
    TxConfirm,
    TxFlags,
    TxRequest, //
};
use super::msg::{
    self,
    DeviceMessage,
    GenericConfirm,
    Message,
    Ssid,
    Status, //
};
use super::sdio_framing::{
    Cmd53, DataAddress, LengthReg, RxBatch, RxBatchBuilder, RxPoll, Slot, Toggles, TxBatchBuilder,
    TxBatchView, TxOptions,
};
use super::wsm_header::{
    self,
    id,
    Channel,
    Header,
    McuLabel,
    MsgClass,
    MsgId,
    Seq, //
};

/// Result of one self-test case.
pub type CaseResult = Result<(), &'static str>;

/// A named self-test case.
pub type Case = (&'static str, fn() -> CaseResult);

/// Every case: (name, function).
pub const CASES: &[Case] = &[
    ("wsm_header", wsm_header),
    ("wsm_sequence_channels", wsm_sequence_channels),
    ("startup_and_configuration", startup_and_configuration),
    ("mib_messages", mib_messages),
    ("join_family", join_family),
    ("keys", keys),
    ("scan", scan),
    ("tx_and_confirms", tx_and_confirms),
    ("rx_indication", rx_indication),
    ("indications", indications),
    ("queue_params", queue_params),
    ("mcu_channel", mcu_channel),
    ("sdio_registers", sdio_registers),
    ("rx_batch", rx_batch),
    ("tx_batch", tx_batch),
    ("boot_frames", boot_frames),
    ("crc32", crc32_check),
    ("flow_control", flow_control),
];

fn ensure(cond: bool, why: &'static str) -> CaseResult {
    if cond {
        Ok(())
    } else {
        Err(why)
    }
}

fn ok<T>(r: Result<T, Error>, why: &'static str) -> Result<T, &'static str> {
    r.map_err(|_| why)
}

fn head(buf: &[u8], n: usize) -> Result<&[u8], &'static str> {
    buf.get(..n).ok_or("length out of range")
}

/// Encodes `m`, decodes it back and compares.
fn round_trip<'a, M>(m: &M, if_id: u8, buf: &'a mut [u8]) -> CaseResult
where
    M: Message<'a> + PartialEq,
{
    let n = ok(msg::encode(m, if_id, buf), "encode")?;
    let bytes: &'a [u8] = buf.get(..n).ok_or("length")?;
    let (h, back) = ok(msg::decode::<M>(bytes), "decode")?;
    ensure(usize::from(h.len) == n, "header length")?;
    ensure(h.id.if_id() == if_id, "interface id")?;
    ensure(h.id.base() == M::ID, "base id")?;
    ensure(back == *m, "round trip mismatch")
}

/// WSM header: length, id word with interface and sequence bits, split and stamp
/// (docs/chip-protocol.md, "WSM framing").
pub fn wsm_header() -> CaseResult {
    // docs/chip-protocol.md, "WSM framing": u16 length, u16 id; interface in bits 6-9, sequence in
    // 13-15.
    let id = MsgId::new(id::WRITE_MIB, 1).with_seq(ok(
        Seq::new(5).ok_or(Error::BadLength { len: 5, limit: 7 }),
        "seq",
    )?);
    ensure(id.raw() == 0xA046, "id word")?;
    let h = Header { len: 0x0010, id };
    ensure(h.to_bytes() == [0x10, 0x00, 0x46, 0xA0], "header bytes")?;
    let mut buf = [0u8; 16];
    ok(h.write(&mut buf), "write")?;
    let (h2, payload, whole) = ok(wsm_header::split(&buf), "split")?;
    ensure(
        h2 == h && payload.len() == 12 && whole.len() == 16,
        "split values",
    )?;
    ensure(
        wsm_header::split(&buf[..8]).is_err(),
        "overlong length accepted",
    )?;
    ensure(
        wsm_header::split(&[2, 0, 0, 0]).is_err(),
        "short length accepted",
    )?;
    ok(wsm_header::stamp_seq(&mut buf, Seq::from_bits(2)), "stamp")?;
    ensure(buf[3] == 0x40, "stamped seq")?;
    ensure(
        id.class() == MsgClass::Request && id.base() == 0x0006 && id.if_id() == 1,
        "accessors",
    )
}

/// Sequence channels and message classes (docs/chip-protocol.md, "Sequence numbers", "Pitfalls
/// in the vendor driver").
pub fn wsm_sequence_channels() -> CaseResult {
    // docs/chip-protocol.md, "Sequence numbers": 0x0Cxx use channel 1, everything else channel 0.
    ensure(
        MsgId::from_raw(0x0C27).channel() == Channel::Mcu,
        "mcu channel",
    )?;
    ensure(
        MsgId::from_raw(0x0804).channel() == Channel::Lmac,
        "lmac channel",
    )?;
    // Interface field 4 sets bit 8; classification uses the stripped id (docs/chip-protocol.md,
    // "Pitfalls in the vendor driver").
    ensure(
        MsgId::new(0x0404, 4).channel() == Channel::Lmac,
        "stripped classification",
    )?;
    ensure(
        MsgId::new(0x0404, 4).class() == MsgClass::Confirm,
        "class with if 4",
    )?;
    ensure(Seq::from_bits(7).next() == Seq::ZERO, "seq wraps mod 8")?;
    ensure(
        MsgId::from_raw(0x0C30).class() == MsgClass::Mcu,
        "mcu class",
    )
}

fn sample_startup() -> StartupIndication {
    let mut label = [0u8; 128];
    label[..4].copy_from_slice(b"BES2");
    StartupIndication {
        num_inp_ch_bufs: 4,
        size_inp_ch_buf: 1632,
        hardware_id: 1,
        hardware_sub_id: 2,
        status: 0,
        firmware_cap: 3,
        firmware_type: 2,
        firmware_api_ver: 4,
        firmware_build: 5,
        firmware_version: 6,
        label,
    }
}

/// Startup indication and configuration request (docs/chip-protocol.md,
/// "Startup and configuration").
pub fn startup_and_configuration() -> CaseResult {
    let mut buf = [0u8; 256];
    let s = sample_startup();
    let n = ok(msg::encode(&s, 0, &mut buf), "encode startup")?;
    // "Startup and configuration": 20 bytes of u16 fields then a 128-byte label: 152 bytes total.
    ensure(
        n == 152 && buf[..6] == [152, 0, 0x01, 0x08, 4, 0],
        "startup golden",
    )?;
    ensure(
        msg::decode::<StartupIndication>(head(&buf, n - 1)?).is_err(),
        "short startup accepted",
    )?;
    ok(s.validate(), "validate")?;
    ensure(s.label_bytes() == b"BES2", "label")?;
    round_trip(&s, 0, &mut buf)?;
    let sdd = [0xFE, 0x00, 0xC1, 0x00];
    let c = Configuration::new([1, 2, 3, 4, 5, 6], &sdd);
    let n = ok(msg::encode(&c, 1, &mut buf), "encode configuration")?;
    // Block length = SDD + 12 at P+12.
    ensure(
        n == 4 + 24 + 4 && buf[16] == 16 && buf[18] == 1 && buf[26] == 5,
        "configuration golden",
    )?;
    round_trip(&c, 1, &mut buf)
}

/// Read/write MIB messages and typed MIBs (docs/chip-protocol.md, "MIBs", "Rate policies").
pub fn mib_messages() -> CaseResult {
    let mut buf = [0u8; 512];
    // docs/chip-protocol.md, "MIBs": write MIB = u16 id, u16 length, data.
    let n = ok(
        msg::encode(&SetMib(mib::OperationalPowerMode(0x12)), 0, &mut buf),
        "encode",
    )?;
    ensure(
        *head(&buf, n)? == [12, 0, 0x06, 0, 0x06, 0x10, 4, 0, 0x12, 0, 0, 0],
        "power mode golden",
    )?;
    round_trip(&SetMib(mib::UseMultiTxConfirm(1)), 1, &mut buf)?;
    let mut table = mib::BeaconFilterTable::default();
    ok(
        table.entries.push(mib::BeaconFilterEntry {
            ie_id: 221,
            action: mib::BEACON_FILTER_CHANGED,
            oui: [0x50, 0x6F, 0x9A],
            match_data: [9, 0, 0],
        }),
        "push",
    )?;
    round_trip(&SetMib(table), 0, &mut buf)?;
    let mut p = mib::TxRatePolicy {
        index: 1,
        short_retry: 7,
        long_retry: 7,
        flags: 0x0C,
        ..Default::default()
    };
    ok(p.set_tries(14, 3), "tries")?;
    ensure(
        p.rate_counts[1] == 0x0300_0000 && p.tries(14) == Some(3),
        "policy nibble",
    )?;
    round_trip(
        &SetMib(mib::TxRatePolicies {
            policies: ok(List::from_slice(&[p]), "list")?,
        }),
        0,
        &mut buf,
    )?;
    round_trip(
        &SetMib(mib::TemplateFrame {
            frame_type: mib::template::PROBE_REQUEST,
            rate: 0,
            frame: &[0x40, 0, 0, 0],
        }),
        0,
        &mut buf,
    )?;
    round_trip(
        &SetMib(mib::BlockAckPolicy {
            tx_tids: 0xB1,
            rx_tids: 0xB1,
        }),
        0,
        &mut buf,
    )?;
    round_trip(
        &SetMib(mib::DisableBssidFilter { disable: true }),
        0,
        &mut buf,
    )?;
    round_trip(&mib::ReadMib { mib_id: 0x100C }, 0, &mut buf)?;
    let data = [1, 2, 3, 4, 5, 6];
    round_trip(
        &mib::ReadMibConfirm {
            status: Status::SUCCESS,
            mib_id: 0,
            data: &data,
        },
        0,
        &mut buf,
    )?;
    let s = ok(mib::StationId::decode(&data), "station id")?;
    ensure(s.0 == data, "station id value")
}

/// Join, join confirm, reset, BSS parameters, start, map link, switch channel
/// (docs/chip-protocol.md, "Join, reset and BSS parameters").
pub fn join_family() -> CaseResult {
    let mut buf = [0u8; 128];
    let j = Join {
        mode: 1,
        band: 0,
        channel: 6,
        bssid: [1, 2, 3, 4, 5, 6],
        preamble: 1,
        probe_for_join: 1,
        dtim_period: 1,
        ssid: ok(Ssid::new(b"ap"), "ssid")?,
        beacon_interval: 100,
        basic_rates: 7,
        ..Default::default()
    };
    let n = ok(msg::encode(&j, 0, &mut buf), "encode join")?;
    // "Join, reset and BSS parameters": 60-byte payload, 64-byte message.
    ensure(n == 64, "join length")?;
    round_trip(&j, 0, &mut buf)?;
    round_trip(
        &JoinConfirm {
            status: Status::SUCCESS,
            power: Some(PowerLevels { min: 10, max: 200 }),
        },
        0,
        &mut buf,
    )?;
    let b = SetBssParams {
        beacon_lost_count: 50,
        aid: 1,
        operational_rates: 0xFFF,
        mcs_rates: SetBssParams::mcs_word(0xFF),
        ..Default::default()
    };
    ensure(b.mcs_rates == 0x003F_C000, "mcs word")?;
    let n = ok(msg::encode(&b, 0, &mut buf), "encode bss")?;
    ensure(n == 16, "bss params length")?;
    round_trip(&b, 0, &mut buf)?;
    round_trip(
        &Reset {
            reset_statistics: true,
        },
        0,
        &mut buf,
    )?;
    ensure(buf[4] == 0, "reset statistics encodes 0")?;
    round_trip(
        &Start {
            mode: 0,
            channel: 1,
            beacon_interval: 100,
            dtim_period: 2,
            ssid: ok(Ssid::new(b"x"), "ssid")?,
            ..Default::default()
        },
        0,
        &mut buf,
    )?;
    round_trip(
        &MapLink {
            mac: [1, 1, 1, 1, 1, 1],
            unmap: false,
            link_id: 3,
        },
        0,
        &mut buf,
    )?;
    let sc = SwitchChannel::bandwidth(1, 11);
    ensure(sc.mode == 0x90, "switch channel mode")?;
    round_trip(&sc, 0, &mut buf)
}

/// Add key for every key type, remove key (docs/chip-protocol.md, "Keys").
pub fn keys() -> CaseResult {
    let mut buf = [0u8; 64];
    let all = [
        Key::WepDefault {
            key_id: 1,
            key: ok(WepKey::new(&[1; 5]), "wep")?,
        },
        Key::WepPairwise {
            peer: [2; 6],
            key: ok(WepKey::new(&[3; 13]), "wep")?,
        },
        Key::TkipGroup {
            tk: [4; 16],
            rx_mic: [5; 8],
            key_id: 2,
            rx_seq: [0; 8],
        },
        Key::TkipPairwise {
            peer: [6; 6],
            tk: [7; 16],
            rx_mic: [8; 8],
            tx_mic: [9; 8],
        },
        Key::AesGroup {
            key: [10; 16],
            key_id: 1,
            rx_seq: [0; 8],
        },
        Key::AesPairwise {
            peer: [11; 6],
            key: [12; 16],
        },
        Key::WapiGroup {
            key: [13; 16],
            mic: [14; 16],
            key_id: 0,
        },
        Key::WapiPairwise {
            peer: [15; 6],
            key_id: 1,
            key: [16; 16],
            mic: [17; 16],
        },
        Key::Igtk {
            key: [18; 16],
            key_id: 4,
            ipn: [0; 8],
        },
    ];
    for (i, k) in all.iter().enumerate() {
        let a = AddKey {
            entry_index: i as u8,
            key: *k,
        };
        let n = ok(msg::encode(&a, 0, &mut buf), "encode key")?;
        // docs/chip-protocol.md, "Keys": 44-byte payload.
        ensure(n == 4 + ADD_KEY_LEN, "key length")?;
        ensure(buf[4] == k.key_type() && buf[5] == i as u8, "key header")?;
        round_trip(&a, 0, &mut buf)?;
    }
    // AES pairwise: MAC at P+4, key at P+12.
    ensure(buf[8..14] == [0; 6] || buf[4] == 8, "layout sanity")?;
    round_trip(&RemoveKey { entry_index: 3 }, 0, &mut buf)
}

/// Start scan, stop scan, scan complete (docs/chip-protocol.md, "Scan").
pub fn scan() -> CaseResult {
    let mut buf = [0u8; 256];
    let mut s = StartScan {
        band: 0,
        scan_type: 0,
        max_tx_rate: 0,
        probes_per_ssid: 2,
        probe_delay: 100,
        ..Default::default()
    };
    for ch in [1u16, 6, 11] {
        ok(
            s.channels.push(ScanChannel {
                number: ch,
                min_time: 100,
                max_time: 100,
                tx_power: 0,
            }),
            "push channel",
        )?;
    }
    ok(s.ssids.push(ok(Ssid::new(b""), "ssid")?), "push ssid")?;
    let n = ok(msg::encode(&s, 0, &mut buf), "encode scan")?;
    // docs/chip-protocol.md, "Scan": 12 fixed bytes, 16 per channel, 36 per SSID.
    ensure(n == 4 + 12 + 3 * 16 + 36, "scan length")?;
    ensure(
        buf[13] == 3 && buf[14] == 1 && buf[15] == 100,
        "scan counts",
    )?;
    round_trip(&s, 0, &mut buf)?;
    round_trip(
        &ScanComplete {
            status: Status::SUCCESS,
            psm: 0,
            num_channels: 3,
        },
        0,
        &mut buf,
    )?;
    round_trip(&msg::scan::StopScan::default(), 0, &mut buf)
}

/// TX request header, TX confirm, multi-TX confirm (docs/chip-protocol.md, "TX request", "TX
/// confirm").
pub fn tx_and_confirms() -> CaseResult {
    let mut buf = [0u8; 128];
    let frame = [0x08, 0x02, 0, 0, 1, 2, 3, 4];
    let t = TxRequest {
        packet_id: PacketId::new(5, 1, 2, 1, 0, 0),
        max_tx_rate: 13,
        queue: msg::tx::queue::VOICE,
        link_id: 2,
        flags: TxFlags::with_policy(3),
        ht_tx_parameters: msg::tx::HT_TX_MIXED,
        frame: &frame,
        ..Default::default()
    };
    let n = ok(msg::encode(&t, 1, &mut buf), "encode tx")?;
    // "TX request": 24-byte header, queue byte = link << 2 | queue, flags b4-6 policy.
    ensure(
        n == 32 && buf[2] == 0x44 && buf[9] == (2 << 2) | 3 && buf[11] == 0x30,
        "tx golden",
    )?;
    let hdr = ok(t.header_bytes(1), "header bytes")?;
    ensure(hdr[..] == buf[..24], "header_bytes matches")?;
    round_trip(&t, 1, &mut buf)?;
    let shifted = TxRequest {
        flags: TxFlags(TxFlags::TWO_BYTE_SHIFT),
        ..t
    };
    let n = ok(msg::encode(&shifted, 0, &mut buf), "encode shifted")?;
    ensure(n == 34, "two byte shift")?;
    round_trip(&shifted, 0, &mut buf)?;
    let c = TxConfirm {
        packet_id: PacketId(0x0012_0305),
        status: Status::SUCCESS,
        tx_rate: 13,
        ack_failures: 1,
        flags: TxConfirm::FLAG_AGGREGATED,
        media_delay: 10,
        queue_delay: 20,
    };
    let n = ok(msg::encode(&c, 0, &mut buf), "encode confirm")?;
    ensure(n == 24, "tx confirm length")?;
    round_trip(&c, 0, &mut buf)?;
    let n = ok(
        MultiTxConfirm::encode_records(&[c, c, c], 0, &mut buf),
        "multi",
    )?;
    ensure(n == 4 + 4 + 60, "multi length")?;
    let (_, m) = ok(
        msg::decode::<MultiTxConfirm<'_>>(head(&buf, n)?),
        "decode multi",
    )?;
    ensure(m.count() == 3 && m.iter().all(|x| x == c), "multi records")?;
    // Count larger than the records present must fail.
    buf[4] = 4;
    ensure(
        msg::decode::<MultiTxConfirm<'_>>(head(&buf, n)?).is_err(),
        "multi overcount",
    )?;
    buf[4] = 0;
    ensure(
        msg::decode::<MultiTxConfirm<'_>>(head(&buf, n)?).is_err(),
        "multi zero count",
    )?;
    round_trip(
        &GenericConfirm::<{ id::ADD_KEY_CONFIRM }> { status: Status(2) },
        0,
        &mut buf,
    )
}

/// RX indication in the BES layout (docs/chip-protocol.md, "RX indication").
pub fn rx_indication() -> CaseResult {
    let mut buf = [0u8; 64];
    let frame = [0x88, 0x02, 0, 0];
    let r = RxIndication {
        status: Status::SUCCESS,
        channel: 6,
        rx_rate: 14,
        rcpi: 100,
        flags: RxFlags(RxFlags::HT).with(7, 3),
        ext: [0; 16],
        frame: &frame,
    };
    let n = ok(msg::encode(&r, 2, &mut buf), "encode rx")?;
    // docs/chip-protocol.md, "RX indication": frame at absolute offset 32, link id in flags b25-28.
    ensure(
        n == FRAME_OFFSET + 4 && buf[FRAME_OFFSET] == 0x88,
        "frame offset",
    )?;
    ensure(buf[12] == 0x07 && buf[15] == 0x06, "flags bytes")?;
    let (h, back) = ok(msg::decode::<RxIndication<'_>>(head(&buf, n)?), "decode rx")?;
    ensure(h.id.if_id() == 2, "rx interface")?;
    ensure(
        back.flags.encryption() == RxEncryption::DecryptedStripped,
        "encryption 7",
    )?;
    ensure(
        back.flags.link_id() == 3 && back.frame == frame,
        "link id / frame",
    )?;
    ensure(msg::rx::rcpi_to_dbm(100) == -60, "rcpi")?;
    ensure(
        msg::decode::<RxIndication<'_>>(&buf[..31]).is_err(),
        "short rx accepted",
    )
}

/// Event, PM indication, suspend/resume, exception, set PM (docs/chip-protocol.md,
/// "Power-save messages", "Events and indications").
pub fn indications() -> CaseResult {
    let mut buf = [0u8; 160];
    round_trip(&Event { id: 1, data: 0 }, 0, &mut buf)?;
    round_trip(
        &SetPmIndication {
            status: Status::SUCCESS,
            psm: 1,
        },
        0,
        &mut buf,
    )?;
    let s = SuspendResume { flags: 0b1101 };
    ensure(
        !s.stop() && s.queue() == 2 && s.multicast(),
        "suspend resume bits",
    )?;
    round_trip(&s, 0, &mut buf)?;
    let mut e = Exception {
        reason: 4,
        regs: [0; 18],
        file: [0; 48],
    };
    e.file[..3].copy_from_slice(b"a.c");
    round_trip(&e, 0, &mut buf)?;
    ensure(e.is_assert() && e.file_name() == b"a.c", "exception")?;
    round_trip(
        &SetPm {
            mode: 0x81,
            fast_psm_idle_period: 16,
            ..Default::default()
        },
        0,
        &mut buf,
    )
}

/// EDCA and TX queue parameters (docs/chip-protocol.md, "Queues and EDCA").
pub fn queue_params() -> CaseResult {
    let mut buf = [0u8; 64];
    let mut e = SetEdcaParams::default();
    for (i, a) in e.ac.iter_mut().enumerate() {
        *a = EdcaAc {
            cw_min: i as u16 + 1,
            cw_max: 10,
            aifs: 2,
            txop_limit: 0,
            max_receive_lifetime: 200,
        };
    }
    let n = ok(msg::encode(&e, 0, &mut buf), "encode edca")?;
    // 44-byte payload, arrays in order BK, BE, VI, VO (mac80211 index 3, 2, 1, 0).
    ensure(
        n == 48 && buf[4] == 4 && buf[6] == 3 && buf[10] == 1,
        "edca order",
    )?;
    round_trip(&e, 0, &mut buf)?;
    round_trip(
        &SetTxQueueParams {
            queue_id: 3,
            ack_policy: 0,
            max_transmit_lifetime: 0,
            allowed_medium_time: 0,
        },
        0,
        &mut buf,
    )
}

/// MCU-channel command and confirm (docs/chip-protocol.md, "MCU-channel messages").
pub fn mcu_channel() -> CaseResult {
    let mut buf = [0u8; 64];
    let c = McuCommand::WifiStatus(msg::mcu::WIFI_STATUS_CONNECTED);
    let n = ok(msg::encode(&c, 0, &mut buf), "encode mcu")?;
    // Host→MCU: 4-byte header, u32 sub-type, no interface bits.
    ensure(
        *head(&buf, n)? == [12, 0, 0x27, 0x0C, 3, 0, 0, 0, 5, 0, 0, 0],
        "mcu golden",
    )?;
    ensure(
        msg::encode(&c, 1, &mut buf).is_err(),
        "mcu with interface accepted",
    )?;
    round_trip(&c, 0, &mut buf)?;
    let status = [0u8; 4];
    let conf = McuCommandConfirm::confirm(0, &status);
    let n = ok(msg::encode(&conf, 0, &mut buf), "encode mcu confirm")?;
    // Device→host: 16-byte MCU header with label 0x0F at offset 8.
    ensure(n == 20 && buf[8] == 0x0F, "mcu confirm golden")?;
    let (_, m) = ok(msg::decode_device_message(head(&buf, n)?), "decode device")?;
    match m {
        DeviceMessage::Mcu {
            id,
            header,
            payload,
        } => ensure(
            id == 0x0C27 && header.label == McuLabel::Confirm && payload.len() == 4,
            "mcu decode",
        ),
        _ => Err("mcu dispatch"),
    }
}

/// Length register, toggles, CMD53 argument, doorbell (docs/chip-protocol.md, "Registers",
/// "The data port", "Toggles").
pub fn sdio_registers() -> CaseResult {
    // docs/chip-protocol.md, "Registers": 0x001 bit 7 toggle, bits 6..0 units of 512.
    let r = LengthReg::from_byte(0x83);
    ensure(
        r.toggle && r.units == 3 && r.len() == 1536 && r.to_byte() == 0x83,
        "length reg",
    )?;
    let mut t = Toggles::new();
    ensure(
        t.accept_length(LengthReg::from_byte(0x01)) == RxPoll::Batch(512),
        "fresh",
    )?;
    ensure(
        t.accept_length(LengthReg::from_byte(0x01)) == RxPoll::Stale,
        "stale",
    )?;
    ensure(
        t.accept_length(LengthReg::from_byte(0x81)) == RxPoll::Batch(512),
        "toggled",
    )?;
    ensure(
        t.accept_length(LengthReg::from_byte(0x80)) == RxPoll::Empty,
        "empty",
    )?;
    ensure(!t.take_tx() && t.take_tx(), "tx toggle")?;
    t.undo_tx();
    ensure(t.take_tx(), "tx undo")?;
    // docs/chip-protocol.md, "The data port": address = length | toggle << 16 in CMD53 bits 25..9.
    let c = ok(
        Cmd53::data(
            false,
            DataAddress {
                len: 512,
                toggle: true,
            },
            512,
            false,
        ),
        "cmd53",
    )?;
    let arg = ok(c.to_arg(), "arg")?;
    ensure(
        arg == 0x1000_0000 | 0x0400_0000 | (0x1_0200 << 9),
        "cmd53 byte-mode arg",
    )?;
    ensure(Cmd53::from_arg(arg) == c, "cmd53 decode")?;
    let d = super::sdio_framing::Doorbell::ring(super::sdio_framing::Doorbell::WIFI_ACTIVE);
    ensure(d.writes() == [(0x121, 0), (0x120, 0x21)], "doorbell order")
}

fn wsm_message(buf: &mut [u8], len: usize, base: u16) -> Result<(), &'static str> {
    let h = Header {
        len: len as u16,
        id: MsgId::new(base, 0),
    };
    ok(h.write(buf), "header")
}

/// RX batch building and parsing, malformed batches (docs/chip-protocol.md, "RX batches").
pub fn rx_batch() -> CaseResult {
    let mut m1 = [0xAAu8; 10];
    wsm_message(&mut m1, 10, id::EVENT)?;
    let mut m2 = [0xBBu8; 24];
    wsm_message(&mut m2, 24, id::TX_CONFIRM)?;
    let mut buf = [0xFFu8; 1024];
    let mut b = RxBatchBuilder::new(&mut buf);
    ok(b.push(&m1), "push1")?;
    ok(b.push(&m2), "push2")?;
    let (reg, len) = ok(b.finish(false), "finish")?;
    ensure(len == 512 && reg.units == 1, "batch length")?;
    // docs/chip-protocol.md, "RX batches": 4-aligned messages, zero length terminates.
    ensure(buf[10] == 0 && buf[11] == 0 && buf[12] == 24, "alignment")?;
    let batch = ok(RxBatch::parse(&buf, len), "parse")?;
    ensure(batch.len() == 2, "count")?;
    ensure(
        batch.get(0) == Some(&m1[..]) && batch.get(1) == Some(&m2[..]),
        "messages",
    )?;
    // Announced length larger than the buffer.
    ensure(
        RxBatch::parse(&buf[..256], 512).is_err(),
        "overlong announce",
    )?;
    // A message running past the batch end.
    buf[12] = 0xFD;
    buf[13] = 0x01;
    ensure(
        matches!(RxBatch::parse(&buf, len), Err(Error::MessageOverrun { .. })),
        "overrun",
    )?;
    // Length 2 is invalid.
    buf[12] = 2;
    buf[13] = 0;
    ensure(RxBatch::parse(&buf, len).is_err(), "short message")
}

/// TX batch building, slot sizes, trailer, MCU isolation (docs/chip-protocol.md, "TX
/// batches and slots").
pub fn tx_batch() -> CaseResult {
    let mut m = [0x11u8; 100];
    wsm_message(&mut m, 100, id::WRITE_MIB)?;
    let mut big = [0x22u8; 600];
    wsm_message(&mut big, 600, id::TX)?;
    let mut buf = [0xEEu8; 1024];
    let mut b = TxBatchBuilder::new(&mut buf, TxOptions::default());
    ok(b.push(&m, 0x1234_5678), "push")?;
    ok(b.push(&m, 0x1234_5678), "push2")?;
    ensure(
        matches!(b.push(&big, 0), Err(Error::SlotMismatch { .. })),
        "slot mismatch",
    )?;
    let done = ok(b.finish(), "finish")?;
    // docs/chip-protocol.md, "TX batches and slots": 2 × 512 slots, address = 1024 | code 0.
    ensure(
        done.len == 1024 && done.address_len() == 1024 && done.slot == Slot::S512,
        "batch",
    )?;
    ensure(
        buf[100..104] == [0x78, 0x56, 0x34, 0x12] && buf[104] == 0,
        "trailer and zeroed tail",
    )?;
    let view = ok(TxBatchView::parse(&buf, done.address_len()), "view")?;
    ensure(view.len() == 2, "view count")?;
    let s = view.get(1).ok_or("slot 1")?;
    ensure(
        s.message == &m[..] && s.trailer == Some(0x1234_5678),
        "view slot",
    )?;
    // A 509-byte message needs a 1024-byte slot because of the trailer.
    let b = TxBatchBuilder::new(&mut buf, TxOptions::default());
    ensure(
        ok(b.slot_for(509), "slot")? == Slot::S1024,
        "trailer slot size",
    )?;
    ensure(ok(b.slot_for(1628), "slot")? == Slot::S1632, "1632 slot")?;
    ensure(b.slot_for(1629).is_err(), "oversize accepted")?;
    // MCU messages travel alone.
    let mut mcu = [0u8; 12];
    wsm_message(&mut mcu, 12, id::MCU_COMMAND)?;
    let mut b = TxBatchBuilder::new(&mut buf, TxOptions::default());
    ok(b.push(&mcu, 0), "mcu push")?;
    ensure(
        matches!(b.push(&m, 0), Err(Error::McuMessageNotAlone)),
        "mcu alone",
    )
}

/// Boot-ROM frames and a complete download (docs/chip-protocol.md, "Boot-ROM frames",
/// "Downloading an image").
pub fn boot_frames() -> CaseResult {
    let mut out = [0u8; 600];
    let n = ok(
        BootRequest::Info {
            total_len: 40,
            addr: 0x2000_0000,
        }
        .encode(0, &mut out),
        "encode info",
    )?;
    // docs/chip-protocol.md, "Boot-ROM frames": type, seq, u16 len, payload; padded to 512.
    ensure(
        n == 512 && out[..12] == [0xB1, 0, 8, 0, 40, 0, 0, 0, 0, 0, 0, 0x20],
        "info golden",
    )?;
    let image = [0x5Au8; 40];
    let mut d = Downloader::new(&image, 0x2000_0000, true);
    let mut reply = [0u8; 8];
    let mut frames = 0;
    while let Some((seq, req)) = ok(d.next_request(16), "next")? {
        let n = ok(req.encode(seq, &mut out), "encode")?;
        let (s2, back) = ok(BootRequest::decode(head(&out, n)?), "decode")?;
        ensure(s2 == seq && back == req, "boot round trip")?;
        if let BootRequest::Data { data, .. } = req {
            ensure(data.len() <= 8, "chunk size")?;
        }
        ok(BootReply::ok(seq).encode(&mut reply), "reply")?;
        ok(d.on_reply(&reply), "on_reply")?;
        frames += 1;
    }
    // INFO + 5 DATA (8 bytes each) + END + RUN.
    ensure(frames == 8 && d.is_done(), "frame count")?;
    let bad = BootReply {
        status: 1,
        ..BootReply::ok(0)
    };
    ensure(
        bad.check(0).is_err() && BootReply::ok(1).check(0).is_err(),
        "reply check",
    )?;
    ensure(
        boot_frame::data_chunk_len(8).is_err() && boot_frame::data_chunk_len(14).is_err(),
        "chunk limits",
    )
}

/// CRC-32 check value (docs/chip-protocol.md, "Image files").
pub fn crc32_check() -> CaseResult {
    ensure(crc32(b"123456789") == 0xCBF4_3926, "check value")?;
    ensure(crc32(b"") == 0, "empty")
}

/// Flow control: capacity, reserved buffer, confirms, sequence numbers (docs/chip-protocol.md,
/// "Flow control", "Sequence numbers").
pub fn flow_control() -> CaseResult {
    let mut f = FlowControl::new();
    let mut cmd = [0u8; 8];
    ok(
        msg::encode(&SetMib(mib::UseMultiTxConfirm(1)), 0, &mut [0u8; 16]),
        "enc",
    )?;
    wsm_message(&mut cmd, 8, id::WRITE_MIB)?;
    ensure(f.admit(&mut cmd).is_err(), "admitted before start")?;
    // Startup indication: seq 0 on channel 0, no release.
    let mut buf = [0u8; 160];
    let n = ok(msg::encode(&sample_startup(), 0, &mut buf), "startup")?;
    ensure(
        ok(f.on_receive(head(&buf, n)?), "rx startup")? == Received::Indication { id: 0x0801 },
        "startup ind",
    )?;
    ok(f.start(&sample_startup()), "start")?;
    // Command takes a buffer and the command slot.
    let a = ok(f.admit(&mut cmd), "admit cmd")?;
    ensure(
        a.kind == TxKind::Command && a.seq == Seq::ZERO && f.in_use() == 1,
        "command admitted",
    )?;
    ensure(
        f.admit_command(MsgId::new(id::JOIN, 0)) == Err(Error::Flow(FlowError::CommandPending)),
        "second command",
    )?;
    // Data: capacity 4, 1 used by the command → 2 data frames, the 4th buffer is reserved.
    ok(f.admit_data(0), "data1")?;
    ok(f.admit_data(1), "data2")?;
    ensure(
        f.admit_data(0) == Err(Error::Flow(FlowError::DataLimit)),
        "reserved buffer",
    )?;
    // Confirm with the wrong sequence number.
    let mut c = [0u8; 8];
    wsm_message(&mut c, 8, id::WRITE_MIB_CONFIRM)?;
    ensure(
        matches!(f.on_receive(&c), Err(Error::Sequence { .. })),
        "seq checked",
    )?;
    ok(wsm_header::stamp_seq(&mut c, Seq::from_bits(1)), "stamp")?;
    ensure(
        ok(f.on_receive(&c), "confirm")?
            == Received::CommandConfirm {
                id: 0x0406,
                wake_tx: true,
                idle: false,
            },
        "command confirm",
    )?;
    ensure(
        f.outstanding_command().is_none() && f.in_use() == 2,
        "after confirm",
    )?;
    // Multi-TX confirm for both data frames (interfaces from the packet ids).
    let recs = [
        TxConfirm {
            packet_id: PacketId::new(0, 0, 0, 0, 0, 0),
            ..Default::default()
        },
        TxConfirm {
            packet_id: PacketId::new(1, 0, 0, 1, 0, 0),
            ..Default::default()
        },
    ];
    let n = ok(MultiTxConfirm::encode_records(&recs, 0, &mut buf), "multi")?;
    ok(wsm_header::stamp_seq(&mut buf, Seq::from_bits(2)), "stamp")?;
    ensure(
        ok(f.on_receive(head(&buf, n)?), "multi rx")?
            == Received::TxConfirm {
                count: 2,
                wake_tx: false,
                idle: true,
            },
        "multi release",
    )?;
    ensure(
        f.pending(Channel::Lmac) == 0 && f.in_use_by(1) == Some(0),
        "counters",
    )?;
    // A further confirm would underflow: rejected, state untouched.
    let n = ok(
        MultiTxConfirm::encode_records(&recs[..1], 0, &mut buf),
        "multi",
    )?;
    ok(wsm_header::stamp_seq(&mut buf, Seq::from_bits(3)), "stamp")?;
    ensure(f.on_receive(head(&buf, n)?).is_err(), "underflow")?;
    ensure(
        f.expected_rx_seq(Channel::Lmac) == Seq::from_bits(3),
        "state untouched",
    )?;
    // MCU channel: own sequence space.
    let mut mcu = [0u8; 12];
    wsm_message(&mut mcu, 12, id::MCU_COMMAND)?;
    let a = ok(f.admit(&mut mcu), "admit mcu")?;
    ensure(a.channel == Channel::Mcu && a.seq == Seq::ZERO, "mcu seq")?;
    let n = ok(
        msg::encode(&McuCommandConfirm::confirm(3, &[]), 0, &mut buf),
        "mcu confirm",
    )?;
    ensure(
        matches!(
            ok(f.on_receive(head(&buf, n)?), "mcu rx")?,
            Received::CommandConfirm { .. }
        ),
        "mcu confirm",
    )?;
    ensure(f.is_idle(), "idle")?;
    // Exceptions bypass the sequence check.
    let mut ex = [0u8; 8];
    wsm_message(&mut ex, 8, id::EXCEPTION)?;
    ok(wsm_header::stamp_seq(&mut ex, Seq::from_bits(6)), "stamp")?;
    ensure(
        ok(f.on_receive(&ex), "exception")? == Received::Exception,
        "exception",
    )?;
    f.reset();
    ensure(
        !f.is_started() && f.next_tx_seq(Channel::Lmac) == Seq::ZERO,
        "reset",
    )
}
