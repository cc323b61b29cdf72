// SPDX-License-Identifier: GPL-2.0

//! The WiFi firmware: the WSM side of the chip once the WiFi subsystem is active.
//!
//! It receives host→device WSM messages one at a time ([`Firmware::handle_message`]),
//! checks their sequence numbers, decodes them with the protocol crate and answers with
//! confirms and indications ([`OutMsg`]); frames go over the air through [`Air`] and come
//! back through [`Firmware::on_air`]; timers (scan dwell, join timeout, beacon loss, AP
//! beacons, delayed confirms) run in [`Firmware::tick`].
//!
//! Buffer accounting is the bus layer's ([`crate::chip`]): every host→device message holds
//! one input buffer until the [`OutMsg`] that carries its confirm (or that records its
//! consumption, [`OutMsg::releases`]) has been handed to the host.
//!
//! Interfaces: ids 0..=2 as in the vendor driver (2 is the "generic"/P2P-device interface). The MAC
//! address of interface 0 comes from its configuration request (or the chip's own address); the
//! vendor sends the same address in the configuration of interface 1 and derives the others itself
//! (`main.c` address derivation, docs/chip-protocol.md, "Interfaces and addresses"): `addr[1]` =
//! base with the last byte + 1 belongs to interface 2, and `addr[2]` = `addr[1]` with byte 4 XOR
//! 0x80 to interface 1. The firmware is assumed to derive them the same way — the vendor's 0x0017
//! comment says the firmware flips bit 7 of byte 4 itself — so a configuration repeating interface
//! 0's address gets the derived one [inferred, not documented].

mod datapath;
mod power_save;
mod scan;

use std::collections::{BTreeMap, HashMap};

use bes2600_protocol::mib::{self, AnyMib, ReadMibConfirm};
use bes2600_protocol::msg::config::{
    ConfigurationConfirm, ConfigurationInfo, PowerRange, StartupIndication, LABEL_LEN,
};
use bes2600_protocol::msg::event::{Event, Exception, EXCEPTION_FILE_LEN, EXCEPTION_REGS};
use bes2600_protocol::msg::join::{PowerLevels, SwitchChannelIndication};
use bes2600_protocol::msg::key::{AddKey, Key, MAX_ENTRY_INDEX};
use bes2600_protocol::msg::mcu::McuCommandConfirm;
use bes2600_protocol::msg::tx::TxConfirm;
use bes2600_protocol::msg::{self, GenericConfirm, HostMessage, Message, Status};
use bes2600_protocol::wsm_header::{self, id, Channel, Header, MsgClass, MsgId, Seq};

use crate::air::{Air, AirRx};
use crate::faults::{FaultKind, Faults};
use crate::ieee80211::{self, fmt_mac, Mac};
use crate::stats::{log, violation, Stats};

pub use scan::ScanState;

/// Configuration of the emulated firmware.
#[derive(Debug, Clone)]
pub struct FwConfig {
    /// Input buffers announced in the startup indication (the flow-control capacity).
    pub input_buffers: u16,
    /// Size of one input buffer.
    pub buffer_size: u16,
    /// The chip's own MAC address.
    pub mac: Mac,
    /// Firmware label.
    pub label: String,
    /// Report decrypted frames with encryption code 7 (IV and MIC stripped) instead of 3
    /// (decrypted in place, IV and MIC left in the frame).
    pub rx_stripped: bool,
    /// How long a join waits for the BSS before failing, in ms.
    pub join_timeout_ms: u64,
}

impl Default for FwConfig {
    fn default() -> Self {
        Self {
            input_buffers: 16,
            buffer_size: 1632,
            mac: [0x02, 0xBE, 0x57, 0x26, 0x00, 0x01],
            label: "BES2600 emulated firmware (bes2600-chip-model)".into(),
            rx_stripped: false,
            join_timeout_ms: 1000,
        }
    }
}

/// A device→host message produced by the firmware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutMsg {
    /// The WSM message with sequence bits 0 (the bus layer stamps them). Empty when a
    /// confirm was dropped by fault injection: nothing is sent, the buffers are freed.
    pub bytes: Vec<u8>,
    /// Input buffers this message frees once handed to the host.
    pub releases: u16,
}

/// A joined BSS (station mode).
#[derive(Debug, Clone)]
pub(crate) struct Bss {
    pub(crate) bssid: Mac,
    pub(crate) band: u8,
    pub(crate) channel: u16,
    pub(crate) beacon_interval: u32,
    pub(crate) beacon_lost_count: u8,
    pub(crate) last_beacon_us: u64,
    pub(crate) lost: bool,
    pub(crate) last_beacon_ies: Option<Vec<u8>>,
    /// The association id from 0x0011 BSS parameters (0 before).
    pub(crate) aid: u16,
}

/// A started BSS (AP / GO mode).
#[derive(Debug, Clone)]
pub(crate) struct ApBss {
    pub(crate) band: u8,
    pub(crate) channel: u16,
    pub(crate) beacon_interval: u32,
    pub(crate) next_beacon_us: u64,
}

/// What an interface is doing.
#[derive(Debug, Clone)]
pub(crate) enum VifMode {
    Idle,
    Joining {
        join: msg::join::Join,
        deadline_us: u64,
    },
    Sta(Bss),
    Ap(ApBss),
    Listen {
        band: u8,
        channel: u16,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Vif {
    pub(crate) mode: VifMode,
    pub(crate) configured_mac: Option<Mac>,
    pub(crate) multi_tx: bool,
    pub(crate) rx_filter: u32,
    pub(crate) beacon_filter: bool,
    /// 802.11 power save as a station, with the mode of the last 0x0010 set PM
    /// (firmware/power_save.rs).
    pub(crate) ps: power_save::PsState,
    pub(crate) links: BTreeMap<u8, Mac>,
}

impl Default for Vif {
    fn default() -> Self {
        Self {
            mode: VifMode::Idle,
            configured_mac: None,
            multi_tx: false,
            rx_filter: 0,
            beacon_filter: false,
            ps: power_save::PsState::default(),
            links: BTreeMap::new(),
        }
    }
}

/// An installed key.
#[derive(Debug, Clone)]
pub(crate) struct KeyEntry {
    pub(crate) key: Key,
    pub(crate) tx_pn: u64,
}

/// Counter indices of MIB 0x100C.
pub(crate) mod ctr {
    pub(crate) const TX_PACKETS: usize = 2;
    pub(crate) const RX_PACKETS: usize = 3;
    pub(crate) const RX_DECRYPT_FAIL: usize = 5;
    pub(crate) const RX_NO_KEY: usize = 7;
    pub(crate) const TX_MULTICAST: usize = 8;
    pub(crate) const TX_SUCCESS: usize = 9;
    pub(crate) const TX_FAIL: usize = 10;
    pub(crate) const TX_RETRIED: usize = 11;
    pub(crate) const ACK_FAIL: usize = 16;
    pub(crate) const RX_MULTICAST: usize = 17;
    pub(crate) const RX_SUCCESS: usize = 18;
}

/// The firmware state.
#[derive(Debug)]
pub struct Firmware {
    pub(crate) cfg: FwConfig,
    pub(crate) vifs: [Vif; 3],
    pub(crate) keys: BTreeMap<u8, KeyEntry>,
    pub(crate) mibs: HashMap<(u8, u16), Vec<u8>>,
    /// TX rate policies by index (MIB 0x1016 uploads only changed entries).
    pub(crate) policies: [Option<mib::TxRatePolicy>; 8],
    /// Template frames by (interface, frame type): (rate, frame).
    pub(crate) templates: HashMap<(u8, u8), (u8, Vec<u8>)>,
    /// Current band and channel of the radio.
    pub(crate) chan: Option<(u8, u16)>,
    pub(crate) scan: Option<ScanState>,
    pub(crate) counters: [u32; mib::COUNTERS],
    pub(crate) seq_ctrl: u16,
    /// MIB 0x1006, the operational power mode (b0-3: 0 active, 1 doze, 2 quiescent); the
    /// firmware starts active.
    power_mode: u32,
    in_seq: [Seq; 2],
    out: Vec<OutMsg>,
    delayed: Vec<(u64, OutMsg)>,
    /// TX confirms of the current TX batch waiting to be merged into multi-TX confirms.
    pending_multi: Vec<(u8, TxConfirm)>,
}

/// Encodes a message into a fresh vector.
pub(crate) fn encode<'a, M: Message<'a>>(m: &M, if_id: u8) -> Vec<u8> {
    let mut buf = vec![0u8; 8192];
    match msg::encode(m, if_id, &mut buf) {
        Ok(n) => {
            buf.truncate(n);
            buf
        }
        Err(e) => {
            log::warn(&format!(
                "internal: cannot encode message {:#06x}: {e}",
                M::ID
            ));
            Vec::new()
        }
    }
}

/// A bare confirm (header and status word) for any request id.
fn raw_confirm(request: MsgId, status: Status) -> Vec<u8> {
    let mut v = Header {
        len: 8,
        id: MsgId::from_raw(request.confirm_base() | (request.raw() & wsm_header::IF_MASK)),
    }
    .to_bytes()
    .to_vec();
    v.extend_from_slice(&status.0.to_le_bytes());
    v
}

impl Firmware {
    /// A firmware that just started (the startup indication is queued).
    pub fn new(cfg: FwConfig) -> Self {
        let mut fw = Self {
            cfg,
            vifs: Default::default(),
            keys: BTreeMap::new(),
            mibs: HashMap::new(),
            templates: HashMap::new(),
            policies: [None; 8],
            chan: None,
            scan: None,
            counters: [0; mib::COUNTERS],
            seq_ctrl: 0,
            power_mode: 0,
            in_seq: [Seq::ZERO; 2],
            out: Vec::new(),
            delayed: Vec::new(),
            pending_multi: Vec::new(),
        };
        let mut label = [0u8; LABEL_LEN];
        for (d, s) in label
            .iter_mut()
            .zip(fw.cfg.label.bytes().take(LABEL_LEN - 1))
        {
            *d = s;
        }
        let ind = StartupIndication {
            num_inp_ch_bufs: fw.cfg.input_buffers,
            size_inp_ch_buf: fw.cfg.buffer_size,
            hardware_id: 0x2002,
            hardware_sub_id: 0,
            status: 0,
            firmware_cap: 0,
            // 1 = WFM, the normal firmware type of the cw1200 family.
            firmware_type: 1,
            firmware_api_ver: 1,
            firmware_build: 1,
            firmware_version: 1,
            label,
        };
        fw.push(encode(&ind, 0), 0);
        fw
    }

    /// MIB 0x1006 as last written.
    pub fn power_mode(&self) -> u32 {
        self.power_mode
    }

    /// Whether the power mode is quiescent (MIB 0x1006 bits 0-3 = 2).
    pub fn is_quiescent(&self) -> bool {
        self.power_mode & 0xF == 2
    }

    /// The exception indication a crashing firmware sends.
    pub fn exception_message() -> Vec<u8> {
        let mut file = [0u8; EXCEPTION_FILE_LEN];
        for (d, s) in file.iter_mut().zip(b"chip-model/injected-crash.c".iter()) {
            *d = *s;
        }
        let mut regs = [0u32; EXCEPTION_REGS];
        regs[1] = 42;
        encode(
            &Exception {
                reason: 4,
                regs,
                file,
            },
            0,
        )
    }

    fn push(&mut self, bytes: Vec<u8>, releases: u16) {
        self.out.push(OutMsg { bytes, releases });
    }

    /// Emits a confirm that frees one buffer (or `releases`), subject to the confirm
    /// faults.
    pub(crate) fn confirm(
        &mut self,
        now: u64,
        bytes: Vec<u8>,
        releases: u16,
        is_tx: bool,
        faults: &mut Faults,
        stats: &mut Stats,
    ) {
        let m = OutMsg { bytes, releases };
        match faults.hit(now, |k| match k {
            FaultKind::DropConfirm(c) | FaultKind::DelayConfirm(c, _) => c.covers(is_tx),
            _ => false,
        }) {
            Some(FaultKind::DropConfirm(_)) => {
                log::info("fault: dropping a confirm");
                stats.inc("fault.drop-confirm");
                self.out.push(OutMsg {
                    bytes: Vec::new(),
                    releases,
                });
            }
            Some(FaultKind::DelayConfirm(_, ms)) => {
                log::info(&format!("fault: delaying a confirm by {ms} ms"));
                stats.inc("fault.delay-confirm");
                self.delayed.push((now + ms * 1000, m));
            }
            _ => self.out.push(m),
        }
    }

    /// Emits an indication (frees nothing).
    pub(crate) fn indicate(&mut self, bytes: Vec<u8>) {
        self.push(bytes, 0);
    }

    /// Takes the messages produced so far.
    pub fn take_out(&mut self) -> Vec<OutMsg> {
        std::mem::take(&mut self.out)
    }

    /// The MAC address of interface `if_id`.
    pub fn mac(&self, if_id: u8) -> Mac {
        let base = self
            .vifs
            .first()
            .and_then(|v| v.configured_mac)
            .unwrap_or(self.cfg.mac);
        let configured = self
            .vifs
            .get(usize::from(if_id))
            .and_then(|v| v.configured_mac);
        match (if_id, configured) {
            (0, _) => base,
            (_, Some(m)) if m != base => m,
            (2, _) => {
                let mut m = base;
                m[5] = m[5].wrapping_add(1);
                m
            }
            _ => {
                let mut m = base;
                m[5] = m[5].wrapping_add(1);
                m[4] ^= 0x80;
                m
            }
        }
    }

    /// The BSSIDs the station interfaces are joined to.
    pub fn joined_bssids(&self) -> Vec<Mac> {
        self.vifs
            .iter()
            .filter_map(|v| match &v.mode {
                VifMode::Sta(b) => Some(b.bssid),
                VifMode::Joining { join, .. } => Some(join.bssid),
                _ => None,
            })
            .collect()
    }

    /// The centre frequency the radio is tuned to.
    pub fn freq(&self) -> Option<u32> {
        self.chan
            .map(|(band, ch)| ieee80211::channel_to_freq(band, ch))
    }

    pub(crate) fn set_channel(&mut self, band: u8, ch: u16) {
        if self.chan != Some((band, ch)) {
            log::debug(&format!("radio tuned to channel {ch} (band {band})"));
        }
        self.chan = Some((band, ch));
    }

    /// Called before the messages of one TX batch.
    pub fn begin_batch(&mut self) {
        self.pending_multi.clear();
    }

    /// Called after the messages of one TX batch: merges TX confirms of interfaces with
    /// multi-TX confirm enabled into one 0x041E per interface.
    pub fn end_batch(&mut self, now: u64, faults: &mut Faults, stats: &mut Stats) {
        let pending = std::mem::take(&mut self.pending_multi);
        for if_id in 0..3u8 {
            let recs: Vec<TxConfirm> = pending
                .iter()
                .filter(|(i, _)| *i == if_id)
                .map(|(_, c)| *c)
                .collect();
            if recs.is_empty() {
                continue;
            }
            let mut buf = vec![0u8; 8 + recs.len() * msg::tx::TX_CONFIRM_LEN];
            match msg::tx::MultiTxConfirm::encode_records(&recs, if_id, &mut buf) {
                Ok(n) => {
                    buf.truncate(n);
                    stats.inc("multi_tx_confirms");
                    self.confirm(now, buf, recs.len() as u16, true, faults, stats);
                }
                Err(e) => log::warn(&format!("internal: multi-TX confirm: {e}")),
            }
        }
    }

    /// Handles one host→device WSM message (exactly its WSM length).
    pub fn handle_message(
        &mut self,
        now: u64,
        raw: &[u8],
        air: &mut dyn Air,
        faults: &mut Faults,
        stats: &mut Stats,
    ) {
        let Ok((h, _, _)) = wsm_header::split(raw) else {
            stats.violation(violation::MALFORMED, "WSM message with a bad header");
            self.push(Vec::new(), 1);
            return;
        };
        stats.inc("wsm_requests");
        // Sequence check per channel (docs/chip-protocol.md, "Sequence numbers"); resynchronise
        // after a mismatch so one error is counted once.
        let ch = h.id.channel();
        let expected = self.in_seq[ch.index()];
        if h.id.seq() != expected {
            stats.violation(
                violation::SEQUENCE,
                &format!(
                    "message {:#06x} on {:?} channel has sequence {}, expected {}",
                    h.id.base(),
                    ch,
                    h.id.seq().value(),
                    expected.value()
                ),
            );
        }
        self.in_seq[ch.index()] = h.id.seq().next();
        if h.id.reserved_bit() {
            log::debug(&format!("message {:#06x} has id bit 12 set", h.id.raw()));
        }
        let if_id = h.id.if_id();
        let class = h.id.class();
        if class != MsgClass::Request && !(class == MsgClass::Mcu && ch == Channel::Mcu) {
            stats.violation(
                violation::MALFORMED,
                &format!("host sent a non-request id {:#06x}", h.id.raw()),
            );
            self.push(Vec::new(), 1);
            return;
        }
        if usize::from(if_id) >= self.vifs.len() && class != MsgClass::Mcu {
            stats.violation(
                violation::MALFORMED,
                &format!("message {:#06x} for interface {if_id}", h.id.base()),
            );
            self.confirm(
                now,
                raw_confirm(h.id, Status::INVALID_PARAMETER),
                1,
                false,
                faults,
                stats,
            );
            return;
        }
        let decoded = match msg::decode_host_message(raw) {
            Ok((_, m)) => m,
            Err(e) => {
                stats.violation(
                    violation::MALFORMED,
                    &format!("cannot decode request {:#06x}: {e}", h.id.base()),
                );
                self.confirm(
                    now,
                    raw_confirm(h.id, Status::INVALID_PARAMETER),
                    1,
                    false,
                    faults,
                    stats,
                );
                return;
            }
        };
        log::trace(&format!("request {:#06x} if {if_id}", h.id.base()));
        let ok = Status::SUCCESS;
        match decoded {
            HostMessage::Tx(req) => self.tx_request(now, if_id, &req, air, faults, stats),
            HostMessage::ReadMib(r) => {
                let data = self.read_mib(if_id, r.mib_id);
                let m = match &data {
                    Some(d) => ReadMibConfirm {
                        status: ok,
                        mib_id: r.mib_id,
                        data: d,
                    },
                    None => ReadMibConfirm {
                        status: Status::INVALID_PARAMETER,
                        mib_id: r.mib_id,
                        data: &[],
                    },
                };
                self.confirm(now, encode(&m, if_id), 1, false, faults, stats);
            }
            HostMessage::WriteMib(w) => {
                let st = self.write_mib(if_id, w.mib_id, w.data, stats);
                self.confirm(
                    now,
                    encode(&msg::WriteMibConfirm { status: st }, if_id),
                    1,
                    false,
                    faults,
                    stats,
                );
            }
            HostMessage::StartScan(s) => self.start_scan(now, if_id, &s, air, faults, stats),
            HostMessage::StopScan => {
                self.confirm(
                    now,
                    encode(&msg::StopScanConfirm { status: ok }, if_id),
                    1,
                    false,
                    faults,
                    stats,
                );
                if self.scan.is_some() {
                    self.finish_scan(now, air, true);
                }
            }
            HostMessage::Configuration(c) => {
                if let Some(v) = self.vifs.get_mut(usize::from(if_id)) {
                    v.configured_mac = Some(c.station_id);
                }
                log::info(&format!(
                    "configuration of interface {if_id}: station {} (uses {})",
                    fmt_mac(&c.station_id),
                    fmt_mac(&self.mac(if_id))
                ));
                let conf = ConfigurationConfirm {
                    status: ok,
                    info: Some(ConfigurationInfo {
                        station_id: self.mac(if_id),
                        bands: 3,
                        rate_mask: 0x003F_FFCF,
                        power: [PowerRange {
                            min: 0,
                            max: 200,
                            step: 10,
                        }; 2],
                    }),
                };
                self.confirm(now, encode(&conf, if_id), 1, false, faults, stats);
            }
            HostMessage::Reset(r) => {
                self.reset_vif(now, if_id, faults, stats);
                if r.reset_statistics {
                    self.counters = [0; mib::COUNTERS];
                }
                self.confirm(
                    now,
                    encode(&msg::ResetConfirm { status: ok }, if_id),
                    1,
                    false,
                    faults,
                    stats,
                );
            }
            HostMessage::Join(j) => self.join(now, if_id, j, air, faults, stats),
            HostMessage::AddKey(k) => {
                let st = self.add_key(&k);
                self.confirm(
                    now,
                    encode(&msg::AddKeyConfirm { status: st }, if_id),
                    1,
                    false,
                    faults,
                    stats,
                );
            }
            HostMessage::RemoveKey(k) => {
                self.keys.remove(&k.entry_index);
                self.confirm(
                    now,
                    encode(&msg::RemoveKeyConfirm { status: ok }, if_id),
                    1,
                    false,
                    faults,
                    stats,
                );
            }
            HostMessage::SetPm(p) => {
                self.confirm(
                    now,
                    encode(&msg::SetPmConfirm { status: ok }, if_id),
                    1,
                    false,
                    faults,
                    stats,
                );
                power_save::set_pm(self, now, if_id, p.mode, p.fast_psm_idle_period, air, stats);
            }
            HostMessage::SetBssParams(p) => {
                if let Some(Vif {
                    mode: VifMode::Sta(b),
                    ..
                }) = self.vifs.get_mut(usize::from(if_id))
                {
                    if p.beacon_lost_count != 0 {
                        b.beacon_lost_count = p.beacon_lost_count;
                    }
                    b.aid = p.aid & 0x3FFF;
                }
                self.confirm(
                    now,
                    encode(&msg::SetBssParamsConfirm { status: ok }, if_id),
                    1,
                    false,
                    faults,
                    stats,
                );
            }
            HostMessage::SetTxQueueParams(_) => self.confirm(
                now,
                encode(&msg::SetTxQueueParamsConfirm { status: ok }, if_id),
                1,
                false,
                faults,
                stats,
            ),
            HostMessage::SetEdcaParams(_) => self.confirm(
                now,
                encode(&msg::SetEdcaParamsConfirm { status: ok }, if_id),
                1,
                false,
                faults,
                stats,
            ),
            HostMessage::SwitchChannel(s) => {
                self.confirm(
                    now,
                    encode(&msg::SwitchChannelConfirm { status: ok }, if_id),
                    1,
                    false,
                    faults,
                    stats,
                );
                let band = if s.channel > 14 { 1 } else { 0 };
                self.set_channel(band, s.channel);
                self.indicate(encode(&SwitchChannelIndication { status: ok }, if_id));
            }
            HostMessage::Start(s) => {
                let st = self.start(now, if_id, &s);
                self.confirm(
                    now,
                    encode(&msg::StartConfirm { status: st }, if_id),
                    1,
                    false,
                    faults,
                    stats,
                );
            }
            HostMessage::UpdateIe(_) => self.confirm(
                now,
                encode(&msg::UpdateIeConfirm { status: ok }, if_id),
                1,
                false,
                faults,
                stats,
            ),
            HostMessage::MapLink(m) => {
                if let Some(v) = self.vifs.get_mut(usize::from(if_id)) {
                    if m.unmap {
                        v.links.remove(&m.link_id);
                    } else {
                        v.links.insert(m.link_id, m.mac);
                    }
                }
                self.confirm(
                    now,
                    encode(&msg::MapLinkConfirm { status: ok }, if_id),
                    1,
                    false,
                    faults,
                    stats,
                );
            }
            HostMessage::SleepCtrl(_) => self.confirm(
                now,
                encode(&msg::SleepCtrlConfirm { status: ok }, if_id),
                1,
                false,
                faults,
                stats,
            ),
            HostMessage::Epta(_) => self.confirm(
                now,
                encode(&msg::EptaConfirm { status: ok }, if_id),
                1,
                false,
                faults,
                stats,
            ),
            HostMessage::McuCommand(c) => {
                let sub = match c {
                    msg::mcu::McuCommand::WifiStatus(_) => msg::mcu::SUB_WIFI_STATUS,
                    msg::mcu::McuCommand::ChannelInfo { .. } => msg::mcu::SUB_CHANNEL_INFO,
                    msg::mcu::McuCommand::CpuUsage => msg::mcu::SUB_CPU_USAGE,
                    msg::mcu::McuCommand::Other { sub_type, .. } => sub_type,
                };
                let status = 0u32.to_le_bytes();
                let payload: &[u8] = if matches!(
                    sub,
                    msg::mcu::SUB_CALI_TXT_TO_FLASH | msg::mcu::SUB_CALI_TO_EFUSE
                ) {
                    &status
                } else {
                    &[]
                };
                let m = McuCommandConfirm::confirm(sub, payload);
                self.confirm(now, encode(&m, 0), 1, false, faults, stats);
            }
            HostMessage::Other { id: base, .. } => {
                stats.violation(
                    violation::MALFORMED,
                    &format!("unknown request id {base:#06x}"),
                );
                self.confirm(
                    now,
                    raw_confirm(h.id, Status::INVALID_PARAMETER),
                    1,
                    false,
                    faults,
                    stats,
                );
            }
        }
    }

    fn read_mib(&self, if_id: u8, mib_id: u16) -> Option<Vec<u8>> {
        match mib_id {
            mib::id::STATION_ID => Some(self.mac(if_id).to_vec()),
            mib::id::COUNTERS_TABLE => {
                Some(self.counters.iter().flat_map(|c| c.to_le_bytes()).collect())
            }
            _ => self
                .mibs
                .get(&(if_id, mib_id))
                .or_else(|| self.mibs.get(&(0, mib_id)))
                .cloned(),
        }
    }

    fn write_mib(&mut self, if_id: u8, mib_id: u16, data: &[u8], stats: &mut Stats) -> Status {
        let m = match AnyMib::decode(mib_id, data) {
            Ok(m) => m,
            Err(e) => {
                stats.violation(
                    violation::MALFORMED,
                    &format!(
                        "write of MIB {mib_id:#06x} with bad data ({} bytes): {e}",
                        data.len()
                    ),
                );
                return Status::INVALID_PARAMETER;
            }
        };
        let v = &mut self.vifs[usize::from(if_id)];
        match m {
            AnyMib::UseMultiTxConfirm(x) => {
                v.multi_tx = x.0 != 0;
                log::debug(&format!(
                    "multi-TX confirm on interface {if_id}: {}",
                    v.multi_tx
                ));
            }
            AnyMib::RxFilter(x) => v.rx_filter = x.0,
            // Hardware-wide, whichever interface carries it (the vendor writes it on the
            // interface at hand when it locks or unlocks the device, bes_pwr.c).
            AnyMib::OperationalPowerMode(x) => {
                log::debug(&format!("operational power mode {:#x}", x.0));
                self.power_mode = x.0;
            }
            AnyMib::BeaconFilterControl(x) => {
                v.beacon_filter = x.flags & mib::BEACON_FILTER_ENABLE != 0
            }
            AnyMib::CurrentTxPower(x) => {
                log::info(&format!(
                    "TX power limit {}.{} dBm",
                    x.0 / 10,
                    (x.0 % 10).abs()
                ));
            }
            AnyMib::TxRatePolicies(p) => {
                stats.inc("tx_policy_uploads");
                if let Some(first) = p.policies.iter().next() {
                    log::info(&format!(
                        "{} TX rate policies uploaded: short retry {}, long retry {}",
                        p.policies.len(),
                        first.short_retry,
                        first.long_retry
                    ));
                }
                for pol in p.policies.iter() {
                    if let Some(slot) = self.policies.get_mut(usize::from(pol.index & 7)) {
                        *slot = Some(*pol);
                    }
                }
            }
            AnyMib::TemplateFrame(t) => {
                if t.frame.is_empty() {
                    self.templates.remove(&(if_id, t.frame_type));
                } else {
                    self.templates
                        .insert((if_id, t.frame_type), (t.rate, t.frame.to_vec()));
                }
            }
            AnyMib::StationId(_) => {
                stats.violation(
                    violation::MALFORMED,
                    "write of the read-only station id MIB",
                );
                return Status::ACCESS_DENIED;
            }
            _ => {}
        }
        self.mibs.insert((if_id, mib_id), data.to_vec());
        Status::SUCCESS
    }

    /// A stored template frame of `frame_type` for `if_id` (falling back to interface 0):
    /// (rate, frame).
    pub(crate) fn template(&self, if_id: u8, frame_type: u8) -> Option<(u8, Vec<u8>)> {
        self.templates
            .get(&(if_id, frame_type))
            .or_else(|| self.templates.get(&(0, frame_type)))
            .cloned()
    }

    fn add_key(&mut self, k: &AddKey) -> Status {
        if k.entry_index > MAX_ENTRY_INDEX {
            return Status::INVALID_PARAMETER;
        }
        log::info(&format!(
            "key {} installed (type {})",
            k.entry_index,
            k.key.key_type()
        ));
        self.keys.insert(
            k.entry_index,
            KeyEntry {
                key: k.key,
                tx_pn: 0,
            },
        );
        Status::SUCCESS
    }

    fn reset_vif(&mut self, now: u64, if_id: u8, faults: &mut Faults, stats: &mut Stats) {
        let Some(v) = self.vifs.get_mut(usize::from(if_id)) else {
            return;
        };
        let old = std::mem::replace(&mut v.mode, VifMode::Idle);
        v.links.clear();
        // [model] Power save belongs to the BSS left: a reset interface is active. The vendor
        // driver sends set PM again after each association.
        v.ps = power_save::PsState::default();
        if let VifMode::Joining { .. } = old {
            // The join's confirm is still owed: fail it so its buffer is freed.
            let c = msg::join::JoinConfirm {
                status: Status::FAILURE,
                power: None,
            };
            self.confirm(now, encode(&c, if_id), 1, false, faults, stats);
        }
        log::info(&format!("interface {if_id} reset"));
    }

    fn start(&mut self, now: u64, if_id: u8, s: &msg::join::Start) -> Status {
        let Some(v) = self.vifs.get_mut(usize::from(if_id)) else {
            return Status::INVALID_PARAMETER;
        };
        match s.mode & 0x0F {
            msg::join::START_MODE_AP | msg::join::START_MODE_P2P_GO => {
                v.mode = VifMode::Ap(ApBss {
                    band: s.band,
                    channel: s.channel,
                    beacon_interval: s.beacon_interval.max(1),
                    next_beacon_us: now,
                });
                log::info(&format!(
                    "interface {if_id} started a BSS on channel {} ({:?})",
                    s.channel,
                    String::from_utf8_lossy(s.ssid.as_bytes())
                ));
            }
            _ => {
                v.mode = VifMode::Listen {
                    band: s.band,
                    channel: s.channel,
                };
            }
        }
        self.set_channel(s.band, s.channel);
        Status::SUCCESS
    }

    /// Handles a frame heard on the air; returns whether the chip acknowledges it.
    pub fn on_air(
        &mut self,
        now: u64,
        rx: &AirRx,
        air: &mut dyn Air,
        faults: &mut Faults,
        stats: &mut Stats,
    ) -> bool {
        datapath::receive(self, now, rx, air, faults, stats)
    }

    /// Runs timers.
    pub fn tick(&mut self, now: u64, air: &mut dyn Air, faults: &mut Faults, stats: &mut Stats) {
        let mut due = Vec::new();
        self.delayed.retain(|(t, m)| {
            if *t <= now {
                due.push(m.clone());
                false
            } else {
                true
            }
        });
        self.out.extend(due);
        scan::tick(self, now, air, faults, stats);
        datapath::tick(self, now, air, faults, stats);
        power_save::tick(self, now, air, stats);
    }

    /// The next time [`Self::tick`] has work.
    pub fn next_deadline(&self) -> Option<u64> {
        let mut d: Vec<u64> = self.delayed.iter().map(|(t, _)| *t).collect();
        d.extend(scan::next_deadline(self));
        d.extend(datapath::next_deadline(self));
        d.extend(power_save::next_deadline(self));
        d.into_iter().min()
    }

    /// Emits an event indication on `if_id`.
    pub(crate) fn event(&mut self, if_id: u8, event_id: u32, data: u32) {
        self.indicate(encode(&Event { id: event_id, data }, if_id));
    }

    /// Join power levels reported on success.
    pub(crate) const JOIN_POWER: PowerLevels = PowerLevels { min: 0, max: 200 };

    /// A generic success confirm of `base` (test helper).
    pub fn generic_ok<const ID: u16>(if_id: u8) -> Vec<u8> {
        encode(
            &GenericConfirm::<ID> {
                status: Status::SUCCESS,
            },
            if_id,
        )
    }

    /// Base id helper for logs.
    pub fn base_of(raw: &[u8]) -> u16 {
        Header::parse(raw).map(|h| h.id.base()).unwrap_or(0)
    }

    /// Whether the id is a TX confirm.
    pub fn is_tx_confirm(base: u16) -> bool {
        base == id::TX_CONFIRM || base == id::MULTI_TX_CONFIRM
    }
}
