// SPDX-License-Identifier: GPL-2.0

//! Round trips for every message and MIB: encode, decode with the typed decoder, and
//! decode again through the direction's dispatcher (`decode_host_message` for requests,
//! `decode_device_message` for confirms and indications).

use bes2600_protocol::codec::List;
use bes2600_protocol::mib::{
    self,
    AnyMib,
    Mib,
    SetMib,
    WriteMib, //
};
use bes2600_protocol::msg::config::{
    Configuration, ConfigurationConfirm, ConfigurationInfo, PowerRange, StartupIndication,
};
use bes2600_protocol::msg::event::{
    Event,
    Exception,
    SuspendResume, //
};
use bes2600_protocol::msg::join::{
    Join, JoinConfirm, MapLink, PowerLevels, Reset, SetBssParams, Start, SwitchChannel,
    SwitchChannelIndication,
};
use bes2600_protocol::msg::key::{
    AddKey,
    Key,
    RemoveKey,
    WepKey, //
};
use bes2600_protocol::msg::mcu::{
    BtRequest,
    BtWakeup,
    McuCommand,
    McuCommandConfirm, //
};
use bes2600_protocol::msg::misc::{
    Epta,
    SleepCtrl,
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
    RxFlags,
    RxIndication, //
};
use bes2600_protocol::msg::scan::{
    ScanChannel,
    ScanComplete,
    StartScan,
    StopScan, //
};
use bes2600_protocol::msg::tx::{
    MultiTxConfirm,
    PacketId,
    TxConfirm,
    TxFlags,
    TxRequest, //
};
use bes2600_protocol::msg::*;
use bes2600_protocol::wsm_header::id;

fn enc<'a, M: Message<'a>>(m: &M, if_id: u8) -> Vec<u8> {
    let mut buf = vec![0u8; 4096];
    let n = encode(m, if_id, &mut buf).expect("encode");
    buf.truncate(n);
    buf
}

/// Typed round trip; returns the bytes for further checks.
fn rt<M>(m: M, if_id: u8) -> Vec<u8>
where
    M: for<'a> Message<'a> + PartialEq + core::fmt::Debug,
{
    let bytes = enc(&m, if_id);
    let (h, back) = decode::<M>(&bytes).expect("decode");
    assert_eq!(back, m);
    assert_eq!(usize::from(h.len), bytes.len());
    assert_eq!(h.id.if_id(), if_id);
    bytes
}

fn host(bytes: &[u8]) -> HostMessage<'_> {
    decode_host_message(bytes).expect("host dispatch").1
}

fn device(bytes: &[u8]) -> DeviceMessage<'_> {
    decode_device_message(bytes).expect("device dispatch").1
}

fn startup() -> StartupIndication {
    StartupIndication {
        num_inp_ch_bufs: 12,
        size_inp_ch_buf: 1632,
        hardware_id: 7,
        hardware_sub_id: 8,
        status: 0,
        firmware_cap: 9,
        firmware_type: 1,
        firmware_api_ver: 10,
        firmware_build: 11,
        firmware_version: 12,
        label: [b'x'; 128],
    }
}

#[test]
fn startup_and_configuration_family() {
    let b = rt(startup(), 0);
    assert_eq!(device(&b), DeviceMessage::Startup(startup()));

    let sdd = [1u8, 2, 3, 4, 5, 6, 7];
    let c = Configuration {
        max_transmit_msdu_lifetime: 1,
        max_receive_lifetime: 2,
        rts_threshold: 3,
        block_version: 1,
        station_id: [9; 6],
        block_flags: 5,
        sdd: &sdd,
    };
    let b = enc(&c, 1);
    assert_eq!(decode::<Configuration<'_>>(&b).unwrap().1, c);
    assert_eq!(host(&b), HostMessage::Configuration(c));

    let cc = ConfigurationConfirm {
        status: Status::SUCCESS,
        info: Some(ConfigurationInfo {
            station_id: [1; 6],
            bands: 3,
            rate_mask: 0xFFF,
            power: [
                PowerRange {
                    min: -10,
                    max: 200,
                    step: 5,
                },
                PowerRange {
                    min: 0,
                    max: 180,
                    step: 5,
                },
            ],
        }),
    };
    let b = rt(cc, 0);
    assert_eq!(device(&b), DeviceMessage::ConfigurationConfirm(cc));
}

#[test]
fn mib_access_family() {
    let b = rt(mib::ReadMib { mib_id: 0x100C }, 0);
    assert_eq!(
        host(&b),
        HostMessage::ReadMib(mib::ReadMib { mib_id: 0x100C })
    );

    let data = [5u8; 88];
    let rc = mib::ReadMibConfirm {
        status: Status::SUCCESS,
        mib_id: 0x100C,
        data: &data,
    };
    let b = enc(&rc, 0);
    assert_eq!(decode::<mib::ReadMibConfirm<'_>>(&b).unwrap().1, rc);
    assert_eq!(device(&b), DeviceMessage::ReadMibConfirm(rc));
    let counters = mib::CountersTable::decode(rc.data).unwrap();
    assert_eq!(
        counters.counters[mib::CountersTable::TX_SUCCESS],
        0x0505_0505
    );

    let wm = WriteMib {
        mib_id: 0x1003,
        data: &[3, 0, 0, 0],
    };
    let b = enc(&wm, 0);
    assert_eq!(host(&b), HostMessage::WriteMib(wm));
    assert_eq!(wm.typed::<mib::RxFilter>().unwrap(), mib::RxFilter(3));
    assert!(wm.typed::<mib::SlotTime>().is_err());

    let b = rt(WriteMibConfirm { status: Status(2) }, 0);
    assert_eq!(
        device(&b),
        DeviceMessage::Confirm {
            id: 0x0406,
            status: Status(2)
        }
    );
}

/// Round trip of a typed MIB through `SetMib`, the raw `WriteMib` view and `AnyMib`.
fn mib_rt<M>(m: M) -> AnyMib<'static>
where
    M: for<'a> Mib<'a> + PartialEq + core::fmt::Debug + Copy,
{
    let bytes = rt(SetMib(m), 0);
    let (_, raw) = decode::<WriteMib<'_>>(&bytes).unwrap();
    assert_eq!(raw.mib_id, M::ID);
    assert_eq!(raw.typed::<M>().unwrap(), m);
    let leaked: &'static [u8] = Box::leak(raw.data.to_vec().into_boxed_slice());
    let any = AnyMib::decode(M::ID, leaked).unwrap();
    assert!(
        !matches!(any, AnyMib::Other { .. }),
        "AnyMib knows {:#06x}",
        M::ID
    );
    any
}

#[test]
fn every_mib_round_trips() {
    assert_eq!(
        mib_rt(mib::StationId([1, 2, 3, 4, 5, 6])),
        AnyMib::StationId(mib::StationId([1, 2, 3, 4, 5, 6]))
    );
    mib_rt(mib::SlotTime(9));
    let mut g = mib::GroupAddressTable {
        enable: 1,
        ..Default::default()
    };
    g.addresses.push([1, 0, 0x5E, 0, 0, 0xFB]).unwrap();
    g.addresses.push([0x33, 0x33, 0, 0, 0, 1]).unwrap();
    mib_rt(g);
    mib_rt(mib::WepDefaultKeyId(2));
    mib_rt(mib::CurrentTxPower(-5));
    mib_rt(mib::RtsThreshold(512));
    mib_rt(mib::NonErpProtection(1));
    mib_rt(mib::ArpIpAddressTable {
        enable: 2,
        ipv4: [10, 0, 0, 1],
    });
    {
        let frame = [0x80u8, 0, 0, 0, 1, 2, 3];
        let t = mib::TemplateFrame {
            frame_type: mib::template::BEACON,
            rate: 0xFF,
            frame: &frame,
        };
        let b = enc(&SetMib(t), 0);
        let (_, raw) = decode::<WriteMib<'_>>(&b).unwrap();
        assert_eq!(raw.typed::<mib::TemplateFrame<'_>>().unwrap(), t);
        assert_eq!(
            AnyMib::decode(raw.mib_id, raw.data).unwrap(),
            AnyMib::TemplateFrame(t)
        );
    }
    mib_rt(mib::RxFilter(0x1A));
    let mut t = mib::BeaconFilterTable::default();
    for i in 0..10 {
        t.entries
            .push(mib::BeaconFilterEntry {
                ie_id: i,
                action: 7,
                oui: [i; 3],
                match_data: [1, 2, 3],
            })
            .unwrap();
    }
    assert!(t.entries.push(mib::BeaconFilterEntry::default()).is_err());
    mib_rt(t);
    mib_rt(mib::BeaconFilterControl {
        flags: 1,
        beacon_count: 1,
    });
    mib_rt(mib::OperationalPowerMode(0x12));
    mib_rt(mib::BeaconWakeupPeriod {
        beacon_periods: 3,
        listen_interval: 9,
    });
    mib_rt(mib::RcpiRssiThreshold {
        mode: 1,
        lower: 2,
        upper: 3,
        average_count: 8,
    });
    let mut c = mib::CountersTable::default();
    for (i, v) in c.counters.iter_mut().enumerate() {
        *v = i as u32 * 1000;
    }
    mib_rt(c);
    mib_rt(mib::BlockAckPolicy {
        tx_tids: 0x3F,
        rx_tids: 0x3F,
    });
    mib_rt(mib::AssociationMode {
        flags: 0x1F,
        preamble: 2,
        greenfield: 1,
        mpdu_start_spacing: 7,
        basic_rates: 0x150,
    });
    mib_rt(mib::UapsdInfo {
        flags: 0xF,
        ..Default::default()
    });
    let mut pols = mib::TxRatePolicies::default();
    for i in 0..8u8 {
        let mut p = mib::TxRatePolicy {
            index: i,
            short_retry: 15,
            long_retry: 15,
            flags: 0x0C,
            ..Default::default()
        };
        p.set_tries(usize::from(i) + 14, 2).unwrap();
        p.set_tries(0, 1).unwrap();
        pols.policies.push(p).unwrap();
    }
    mib_rt(pols);
    mib_rt(mib::P2pPsModeInfo {
        opp_ps_ct_window: 0x80 | 10,
        count: 1,
        dtim_count: 0,
        duration: 100,
        interval: 200,
        start_time: 300,
    });
    let mut e = mib::EtherTypeFilter {
        ext_flags: 1,
        ..Default::default()
    };
    for (a, t) in [(2, 0x888E), (2, 0x88B4), (1, 0xFFFF)] {
        e.entries
            .push(mib::EtherTypeFilterEntry {
                action: a,
                ether_type: t,
            })
            .unwrap();
    }
    mib_rt(e);
    let mut u = mib::UdpPortFilter::default();
    for p in [67u16, 1900, 5353] {
        u.entries
            .push(mib::UdpPortFilterEntry {
                action: 1,
                port_type: 0,
                port: p,
            })
            .unwrap();
    }
    mib_rt(u);
    mib_rt(mib::ProtectedMgmtPolicy(6));
    mib_rt(mib::HtProtection(2));
    mib_rt(mib::UseMultiTxConfirm(1));
    mib_rt(mib::KeepAlivePeriod(15));
    mib_rt(mib::DisableBssidFilter { disable: false });
    let mut f = mib::MacAddrFilter::default();
    f.entries.push(mib::MacAddrFilterEntry::default()).unwrap();
    mib_rt(f);
    let mut v6 = mib::Ipv6AddrFilter::default();
    v6.entries.push(mib::Ipv6FilterEntry::default()).unwrap();
    mib_rt(v6);
    mib_rt(mib::Inactivity { min: 9, max: 1 });
    mib_rt(mib::TxShortGi(1));
    mib_rt(mib::TxRxOptParam {
        rts_retry_limit: 1,
        protect_mode: 0,
        rts_duration: 2002,
    });
    mib_rt(mib::PowerTable(2));
    assert!(matches!(
        AnyMib::decode(0x7777, &[1]).unwrap(),
        AnyMib::Other { mib_id: 0x7777, .. }
    ));
}

#[test]
fn join_family() {
    let j = Join {
        mode: 1,
        band: 1,
        channel: 36,
        bssid: [2; 6],
        atim_window: 0,
        preamble: 0,
        probe_for_join: 1,
        dtim_period: 3,
        flags: 0x12,
        ssid: Ssid::new(&[b'z'; 32]).unwrap(),
        beacon_interval: 100,
        basic_rates: 0x40,
    };
    let b = rt(j, 1);
    assert_eq!(host(&b), HostMessage::Join(j));
    assert!(Ssid::new(&[0; 33]).is_err());

    let jc = JoinConfirm {
        status: Status::SUCCESS,
        power: Some(PowerLevels { min: 10, max: 20 }),
    };
    let b = rt(jc, 0);
    assert_eq!(device(&b), DeviceMessage::JoinConfirm(jc));
    // A failed join may carry only the status.
    rt(
        JoinConfirm {
            status: Status::FAILURE,
            power: None,
        },
        0,
    );

    for r in [
        Reset {
            reset_statistics: true,
        },
        Reset {
            reset_statistics: false,
        },
    ] {
        let b = rt(r, 2);
        assert_eq!(host(&b), HostMessage::Reset(r));
    }
    let bss = SetBssParams {
        flags: 1,
        beacon_lost_count: 50,
        aid: 2007,
        operational_rates: 0xFFF,
        mcs_rates: SetBssParams::mcs_word(0x0F),
    };
    assert_eq!(host(&rt(bss, 0)), HostMessage::SetBssParams(bss));
    let st = Start {
        mode: 0x52,
        band: 0,
        channel: 11,
        ct_window: 0,
        beacon_interval: 102,
        dtim_period: 1,
        preamble: 1,
        probe_delay: 100,
        ssid: Ssid::new(b"DIRECT-xy").unwrap(),
        basic_rates: 0x150,
    };
    assert_eq!(host(&rt(st, 2)), HostMessage::Start(st));
    let ml = MapLink {
        mac: [3; 6],
        unmap: false,
        link_id: 1,
    };
    assert_eq!(host(&rt(ml, 0)), HostMessage::MapLink(ml));
    let sc = SwitchChannel {
        mode: 0x81,
        switch_count: 2,
        channel: 149,
    };
    assert_eq!(host(&rt(sc, 0)), HostMessage::SwitchChannel(sc));
    assert_eq!(sc.channel_type(), 0);
    let si = SwitchChannelIndication {
        status: Status::SUCCESS,
    };
    assert_eq!(device(&rt(si, 0)), DeviceMessage::SwitchChannelDone(si));
    for cid in [
        id::START_CONFIRM,
        id::SWITCH_CHANNEL_CONFIRM,
        id::MAP_LINK_CONFIRM,
        id::RESET_CONFIRM,
        id::SET_BSS_PARAMS_CONFIRM,
    ] {
        let bytes = vec![8, 0, cid as u8, (cid >> 8) as u8, 0, 0, 0, 0];
        assert_eq!(
            device(&bytes),
            DeviceMessage::Confirm {
                id: cid,
                status: Status::SUCCESS
            }
        );
    }
}

#[test]
fn key_family() {
    let keys = [
        Key::WepDefault {
            key_id: 3,
            key: WepKey::new(&[1; 13]).unwrap(),
        },
        Key::WepPairwise {
            peer: [1; 6],
            key: WepKey::new(&[2; 5]).unwrap(),
        },
        Key::TkipGroup {
            tk: [3; 16],
            rx_mic: [4; 8],
            key_id: 1,
            rx_seq: [5; 8],
        },
        Key::TkipPairwise {
            peer: [6; 6],
            tk: [7; 16],
            rx_mic: [8; 8],
            tx_mic: [9; 8],
        },
        Key::AesGroup {
            key: [10; 16],
            key_id: 2,
            rx_seq: [11; 8],
        },
        Key::AesPairwise {
            peer: [12; 6],
            key: [13; 16],
        },
        Key::WapiGroup {
            key: [14; 16],
            mic: [15; 16],
            key_id: 1,
        },
        Key::WapiPairwise {
            peer: [16; 6],
            key_id: 0,
            key: [17; 16],
            mic: [18; 16],
        },
        Key::Igtk {
            key: [19; 16],
            key_id: 5,
            ipn: [20; 8],
        },
    ];
    for (i, k) in keys.into_iter().enumerate() {
        let a = AddKey {
            entry_index: i as u8,
            key: k,
        };
        let b = rt(a, 0);
        assert_eq!(b.len(), 48);
        assert_eq!(host(&b), HostMessage::AddKey(a));
    }
    assert!(WepKey::new(&[0; 17]).is_err());
    let r = RemoveKey { entry_index: 10 };
    assert_eq!(host(&rt(r, 0)), HostMessage::RemoveKey(r));
    rt(
        AddKeyConfirm {
            status: Status::SUCCESS,
        },
        0,
    );
    rt(
        RemoveKeyConfirm {
            status: Status::SUCCESS,
        },
        0,
    );
}

#[test]
fn scan_family() {
    let mut s = StartScan {
        band: 1,
        scan_type: 1,
        flags: 1,
        max_tx_rate: 6,
        auto_scan_interval: 0,
        probes_per_ssid: 2,
        probe_delay: 100,
        ..Default::default()
    };
    for ch in 0..48u16 {
        s.channels
            .push(ScanChannel {
                number: 36 + ch,
                min_time: 50,
                max_time: 110,
                tx_power: 0,
            })
            .unwrap();
    }
    s.ssids.push(Ssid::new(b"a").unwrap()).unwrap();
    s.ssids.push(Ssid::new(b"bb").unwrap()).unwrap();
    let b = rt(s, 0);
    assert_eq!(b.len(), 4 + 12 + 48 * 16 + 2 * 36);
    assert_eq!(host(&b), HostMessage::StartScan(s));
    assert!(encode(&StartScan { band: 2, ..s }, 0, &mut [0u8; 2048]).is_err());
    assert_eq!(host(&rt(StopScan::default(), 0)), HostMessage::StopScan);
    let c = ScanComplete {
        status: Status::SUCCESS,
        psm: 1,
        num_channels: 48,
    };
    assert_eq!(device(&rt(c, 0)), DeviceMessage::ScanComplete(c));
    rt(
        StartScanConfirm {
            status: Status::SUCCESS,
        },
        0,
    );
    rt(
        StopScanConfirm {
            status: Status::SUCCESS,
        },
        0,
    );
}

#[test]
fn tx_family() {
    let frame = vec![0xAB; 1500];
    let t = TxRequest {
        packet_id: PacketId::new(1, 2, 3, 2, 5, 6),
        max_tx_rate: 21,
        queue: 2,
        link_id: 14,
        more: 0,
        flags: TxFlags(TxFlags::TWO_BYTE_SHIFT | (7 << 4) | 1),
        reserved: 0,
        expire_time: 1000,
        ht_tx_parameters: 2,
        frame: &frame,
    };
    let b = enc(&t, 2);
    assert_eq!(b.len(), 24 + 2 + 1500);
    assert_eq!(decode::<TxRequest<'_>>(&b).unwrap().1, t);
    assert_eq!(host(&b), HostMessage::Tx(t));
    assert_eq!(t.flags.policy(), 7);
    let p = t.packet_id;
    assert_eq!(
        (
            p.item(),
            p.item_generation(),
            p.queue(),
            p.if_id(),
            p.link_id(),
            p.queue_generation()
        ),
        (1, 2, 3, 2, 5, 6)
    );
    assert!(encode(&TxRequest { queue: 4, ..t }, 0, &mut [0u8; 2048]).is_err());

    let c = TxConfirm {
        packet_id: p,
        status: Status::REQUEUE,
        tx_rate: 0,
        ack_failures: 15,
        flags: TxConfirm::FLAG_REQUEUE,
        media_delay: 0,
        queue_delay: 0,
    };
    assert_eq!(device(&rt(c, 0)), DeviceMessage::TxConfirm(c));
    assert!(c.requeue());

    let recs: Vec<TxConfirm> = (0..16)
        .map(|i| TxConfirm {
            packet_id: PacketId(i),
            ..c
        })
        .collect();
    let mut buf = [0u8; 512];
    let n = MultiTxConfirm::encode_records(&recs, 0, &mut buf).unwrap();
    let (_, m) = decode::<MultiTxConfirm<'_>>(&buf[..n]).unwrap();
    assert_eq!(m.iter().collect::<Vec<_>>(), recs);
    let again = enc(&m, 0);
    assert_eq!(&again[..], &buf[..n]);
    match device(&buf[..n]) {
        DeviceMessage::MultiTxConfirm(mm) => assert_eq!(mm.count(), 16),
        other => panic!("{other:?}"),
    }
    assert!(MultiTxConfirm::encode_records(&[], 0, &mut buf).is_err());
    assert!(MultiTxConfirm::from_record_bytes(&[0; 21]).is_err());
}

#[test]
fn rx_family() {
    let frame = vec![0x80; 300];
    let r = RxIndication {
        status: Status::MIC_FAILURE,
        channel: 149,
        rx_rate: 11,
        rcpi: 0,
        flags: RxFlags(RxFlags::BEACON | RxFlags::MATCHING_BSSID).with(3, 15),
        ext: [7; 16],
        frame: &frame,
    };
    let b = enc(&r, 0);
    assert_eq!(decode::<RxIndication<'_>>(&b).unwrap().1, r);
    assert_eq!(device(&b), DeviceMessage::Rx(r));
    assert_eq!(r.flags.link_id(), 15);
    // A zero-length frame is still a valid indication.
    let empty = RxIndication { frame: &[], ..r };
    assert_eq!(enc(&empty, 0).len(), 32);
}

#[test]
fn indication_family() {
    for e in [
        Event { id: 1, data: 0 },
        Event { id: 4, data: 0x50 },
        Event { id: 9, data: 0b110 },
    ] {
        assert_eq!(device(&rt(e, 1)), DeviceMessage::Event(e));
    }
    let s = SuspendResume { flags: 0b0111 };
    assert_eq!(device(&rt(s, 0)), DeviceMessage::SuspendResume(s));
    let x = Exception {
        reason: 2,
        regs: core::array::from_fn(|i| i as u32),
        file: [0; 48],
    };
    assert_eq!(device(&rt(x, 0)), DeviceMessage::Exception(x));
    let p = SetPmIndication {
        status: Status::SUCCESS,
        psm: 0x81,
    };
    assert_eq!(device(&rt(p, 0)), DeviceMessage::SetPm(p));
    // Indications the driver ignores are passed through.
    assert_eq!(
        device(&[6, 0, 0x08, 0x08, 1, 2]),
        DeviceMessage::Other {
            id: 0x0808,
            payload: &[1, 2]
        }
    );
}

#[test]
fn pm_queue_misc_family() {
    let p = SetPm {
        mode: 1,
        fast_psm_idle_period: 0,
        ap_psm_change_period: 4,
        min_auto_ps_poll_period: 2,
    };
    assert_eq!(host(&rt(p, 0)), HostMessage::SetPm(p));
    rt(
        SetPmConfirm {
            status: Status::SUCCESS,
        },
        0,
    );
    let q = SetTxQueueParams {
        queue_id: 1,
        ack_policy: 2,
        max_transmit_lifetime: 3,
        allowed_medium_time: 4,
    };
    assert_eq!(host(&rt(q, 0)), HostMessage::SetTxQueueParams(q));
    let e = SetEdcaParams {
        ac: core::array::from_fn(|i| EdcaAc {
            cw_min: i as u16,
            cw_max: 100 + i as u16,
            aifs: i as u8,
            txop_limit: 32 * i as u16,
            max_receive_lifetime: 7,
        }),
    };
    assert_eq!(host(&rt(e, 0)), HostMessage::SetEdcaParams(e));
    let ies = [221u8, 3, 1, 2, 3];
    let u = UpdateIe {
        what: 3,
        count: 1,
        ies: &ies,
    };
    let b = enc(&u, 0);
    assert_eq!(host(&b), HostMessage::UpdateIe(u));
    let ep = Epta {
        wlan_duration: 50_000,
        bt_duration: 52_400,
        mode: 0,
    };
    assert_eq!(host(&rt(ep, 0)), HostMessage::Epta(ep));
    let sl = SleepCtrl { disable: 1 };
    assert_eq!(host(&rt(sl, 0)), HostMessage::SleepCtrl(sl));
    rt(
        EptaConfirm {
            status: Status::SUCCESS,
        },
        0,
    );
    rt(
        SleepCtrlConfirm {
            status: Status::SUCCESS,
        },
        0,
    );
    rt(
        UpdateIeConfirm {
            status: Status::SUCCESS,
        },
        0,
    );
    rt(
        SetEdcaParamsConfirm {
            status: Status::SUCCESS,
        },
        0,
    );
    rt(
        SetTxQueueParamsConfirm {
            status: Status::SUCCESS,
        },
        0,
    );
}

#[test]
fn mcu_family() {
    for c in [
        McuCommand::WifiStatus(0),
        McuCommand::ChannelInfo {
            channel: 3,
            channel_type: 2,
        },
        McuCommand::CpuUsage,
    ] {
        let b = enc(&c, 0);
        assert_eq!(decode::<McuCommand<'_>>(&b).unwrap().1, c);
        assert_eq!(host(&b), HostMessage::McuCommand(c));
    }
    let args = [1u8, 2, 3];
    let o = McuCommand::Other {
        sub_type: 0,
        args: &args,
    };
    let b = enc(&o, 0);
    assert_eq!(host(&b), HostMessage::McuCommand(o));
    let st = 7u32.to_le_bytes();
    let conf = McuCommandConfirm::confirm(0, &st);
    let b = enc(&conf, 0);
    assert_eq!(
        decode::<McuCommandConfirm<'_>>(&b).unwrap().1.status(),
        Some(7)
    );
    let bt = BtRequest::indication(0x1_0004, &[]);
    let b = enc(&bt, 0);
    match device(&b) {
        DeviceMessage::Mcu { id, header, .. } => {
            assert_eq!(id, 0x0C30);
            assert_eq!(header.cmd_type, 0x1_0004);
        }
        other => panic!("{other:?}"),
    }
    let w = BtWakeup::indication(0, &[]);
    assert_eq!(decode::<BtWakeup<'_>>(&enc(&w, 0)).unwrap().1, w);
    // Short MCU message (no room for the label) is an error, not a panic.
    assert!(decode_device_message(&[8, 0, 0x27, 0x0C, 0, 0, 0, 0]).is_err());
}

#[test]
fn wrong_id_and_bad_lengths_are_typed_errors() {
    let b = enc(&Event { id: 1, data: 2 }, 0);
    assert!(matches!(
        decode::<ScanComplete>(&b),
        Err(bes2600_protocol::error::Error::UnexpectedId {
            expected: 0x0806,
            found: 0x0805
        })
    ));
    // Header length beyond the buffer.
    let mut bad = b.clone();
    bad[0] = 200;
    assert!(decode_device_message(&bad).is_err());
    // Header length below 4.
    assert!(decode_device_message(&[3, 0, 5, 8]).is_err());
    // A device message decoded from a longer buffer stops at its length.
    let mut longer = b.clone();
    longer.extend([0xFF; 16]);
    assert_eq!(
        device(&longer),
        DeviceMessage::Event(Event { id: 1, data: 2 })
    );
    let _ = List::<u8, 2>::from_slice(&[1, 2, 3]).unwrap_err();
}
