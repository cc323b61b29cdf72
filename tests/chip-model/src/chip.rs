// SPDX-License-Identifier: GPL-2.0

//! The chip as the SDIO bus sees it: function-1 registers, the doorbell handshake, the
//! boot ROM, and once the WiFi firmware runs the CMD53 batch framing with its toggle
//! bits, sequence numbers and input-buffer accounting (docs/chip-protocol.md, "The SDIO
//! bus", "Boot", "Power").
//!
//! [`Chip`] is sans-IO: the event loop feeds it [`HostMsg`]s, air frames and the time,
//! and collects [`ModelMsg`]s for the virtual SDIO host.
//!
//! # Phases
//!
//! * **ROM**: after a card reset. Registers 0x108 (buffer count) and 0x109–0x10A
//!   (largest boot message) are set; every CMD53 write is a boot frame answered with a
//!   reply item whose registers 0x000/0x001 hold its length (u16), queued before the write
//!   is acknowledged (`WRITE_DONE`), so the reply is announced when the host's write returns.
//! * **Calibrating**: the image RUN was the calibration image: ~100 ms later status bit 1
//!   (DPD_READY) is set and the 0x3B14-byte DPD blob is queued; once the host has read it
//!   the ROM takes downloads again.
//! * **Loaded**: the WiFi image runs (status bit 0, MCU_READY). The host activates WiFi
//!   with the doorbell (0x121 then 0x120 with HOST_INT | WIFI_ACTIVE).
//! * **Active**: status bit 2 (WIFI_READY); toggles and sequence numbers start at 0 and
//!   the startup indication is the first RX batch.
//! * **Crashed**: injected fault; nothing is answered until a card reset.
//!
//! # MCU sleep
//!
//! While WiFi is active the MCU counts as asleep from the MCU_DEACTIVE doorbell on, as long as
//! the firmware's operational power mode (MIB 0x1006) is quiescent, until MCU_ACTIVE. Asleep it
//! takes no TX batch: the vendor only takes data frames from its queues while its power state
//! machine holds the device awake ("LOCKED"), and a command first wakes the device
//! synchronously (MCU_ACTIVE handshake, then MIB 0x1006 active) before it is queued
//! (bes_pwr.c; the handshake in bes2600_sdio.c:1421-1714); the only bus traffic while asleep is
//! the RX the chip announces itself and the state machine's own transitions. A CMD53 write to
//! a sleeping MCU is the violation `tx_while_asleep` and is not processed. Register accesses
//! (CMD52) stay allowed: they reach the SDIO function, not the MCU.
//!
//! Which image a RUN starts: the one whose CRC matches `--wifi-fw` / `--cal-fw` when
//! given; otherwise, with calibration enabled, the first image run after a card reset
//! is the calibration image unless DPD data was downloaded to 0x2008C000 first — exactly
//! the vendor's order (calibration image → DPD read → WiFi image, or cached DPD → WiFi
//! image; docs/chip-protocol.md, "The boot flow").
//!
//! # Buffer accounting
//!
//! `in_flight` counts host→device WSM messages whose confirm has not yet been put into
//! the host's RX queue. A TX batch that would take it above the capacity announced in the
//! startup indication is a violation (the chip has nowhere to put the message).

use std::collections::VecDeque;

use bes2600_protocol::boot_frame::{DPD_LEN, DPD_VERSION_OFFSET};
use bes2600_protocol::crc32::crc32;
use bes2600_protocol::sdio_framing::{
    reg, Doorbell, LengthReg, RxBatchBuilder, SlaveStatus, TxBatchView,
};
use bes2600_protocol::wsm_header::{self, MsgClass, MsgId, Seq};

use crate::air::{Air, AirRx};
use crate::boot_rom::{BootEvent, BootRom};
use crate::faults::{FaultKind, FaultSpec, Faults};
use crate::firmware::{Firmware, FwConfig, OutMsg};
use crate::ieee80211::Mac;
use crate::stats::{log, violation, Stats};
use crate::transport::{bad_access, fault, HostMsg, ModelMsg};

/// Register 0x000 while WiFi runs and no RX batch waits: bit 0 set, "nothing pending"
/// (docs/chip-protocol.md, "Registers"; `bes2600_sdio_read_ctrl()` bes2600_sdio.c:703-711).
const RUNTIME_CTRL_IDLE: u8 = 1;

/// How RUN frames are told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calibration {
    /// The first image run after a reset without downloaded DPD data is the
    /// calibration image.
    Auto,
    /// Every image is the WiFi firmware.
    Off,
}

/// Chip configuration.
#[derive(Debug, Clone)]
pub struct ChipConfig {
    /// Firmware settings.
    pub fw: FwConfig,
    /// Register 0x108: boot buffer count.
    pub boot_buf_count: u8,
    /// Registers 0x109–0x10A: largest boot message.
    pub boot_max_len: u16,
    /// How images are recognised.
    pub calibration: Calibration,
    /// CRC-32 of the WiFi image payload, when known.
    pub wifi_crc: Option<u32>,
    /// CRC-32 of the calibration image payload, when known.
    pub cal_crc: Option<u32>,
    /// RX items the chip keeps queued at the host at most.
    pub rx_queue_depth: usize,
    /// Largest RX batch in bytes.
    pub rx_batch_max: usize,
    /// Leave the last announced value in register 0x001 after the host read the batch
    /// (the value is then stale, and only its toggle tells; vendor `rx_remain_ctrl_cnt`).
    pub sticky_length_reg: bool,
}

impl Default for ChipConfig {
    fn default() -> Self {
        Self {
            fw: FwConfig::default(),
            boot_buf_count: 1,
            boot_max_len: 2048,
            calibration: Calibration::Auto,
            wifi_crc: None,
            cal_crc: None,
            rx_queue_depth: 4,
            rx_batch_max: bes2600_protocol::sdio_framing::RX_BUFFER_LEN,
            sticky_length_reg: true,
        }
    }
}

/// Where the chip is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Boot ROM.
    Rom,
    /// The calibration image runs.
    Calibrating,
    /// The WiFi image runs, WiFi not activated.
    Loaded,
    /// WiFi active.
    Active,
    /// Crashed (fault injection).
    Crashed,
}

#[derive(Debug, Clone, Copy)]
struct Queued {
    len: usize,
    boot: bool,
    faulty: bool,
}

/// The emulated chip.
#[derive(Debug)]
pub struct Chip {
    cfg: ChipConfig,
    phase: Phase,
    boot: BootRom,
    fw: Option<Firmware>,
    status: u8,
    doorbell_high: u8,
    /// MCU_DEACTIVE was rung and no MCU_ACTIVE since (see "MCU sleep").
    mcu_deactivated: bool,
    tx_toggle: bool,
    rx_toggle: bool,
    len_toggle: bool,
    out_seq: [Seq; 2],
    pending: VecDeque<OutMsg>,
    queued: VecDeque<Queued>,
    in_flight: u32,
    host_out: Vec<ModelMsg>,
    cal_done: bool,
    dpd_due: Option<u64>,
    writes_read: u32,
    /// The write being handled was acknowledged before it was processed
    /// ([`Chip::ack_before_processing`]).
    acked_early: bool,
    bad_access_grace: u32,
    /// The hostile mode's PRNG state (xorshift64*), seeded when the fault is armed.
    hostile_rng: u64,
    /// Until when violations are excused after a hostile mutation (µs; a card reset ends
    /// it earlier).
    excuse_until: Option<u64>,
    /// Counters and violations.
    pub stats: Stats,
    /// Armed chip faults.
    pub faults: Faults,
}

impl Chip {
    /// A chip in its boot-ROM state; its register writes are queued for the host.
    pub fn new(cfg: ChipConfig) -> Self {
        let mut c = Self {
            cfg,
            phase: Phase::Rom,
            boot: BootRom::new(),
            fw: None,
            status: 0,
            doorbell_high: 0,
            mcu_deactivated: false,
            tx_toggle: false,
            rx_toggle: false,
            len_toggle: false,
            out_seq: [Seq::ZERO; 2],
            pending: VecDeque::new(),
            queued: VecDeque::new(),
            in_flight: 0,
            host_out: Vec::new(),
            cal_done: false,
            dpd_due: None,
            writes_read: 0,
            acked_early: false,
            bad_access_grace: 0,
            hostile_rng: 1,
            excuse_until: None,
            stats: Stats::default(),
            faults: Faults::default(),
        };
        c.reset();
        c
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The firmware, while WiFi is active.
    pub fn firmware(&self) -> Option<&Firmware> {
        self.fw.as_ref()
    }

    /// Status register 0x10C.
    pub fn status(&self) -> u8 {
        self.status
    }

    /// Whether the MCU sleeps: WiFi active, MCU_DEACTIVE rung and not MCU_ACTIVE since, the
    /// power mode (MIB 0x1006) quiescent.
    pub fn mcu_asleep(&self) -> bool {
        self.phase == Phase::Active
            && self.mcu_deactivated
            && self.fw.as_ref().is_some_and(|f| f.is_quiescent())
    }

    /// Messages waiting for a free slot in the host's RX queue.
    pub fn pending_messages(&self) -> usize {
        self.pending.len()
    }

    /// Host→device messages holding an input buffer.
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// The BSSIDs the firmware is joined to.
    pub fn joined_bssids(&self) -> Vec<Mac> {
        self.fw
            .as_ref()
            .map(|f| f.joined_bssids())
            .unwrap_or_default()
    }

    /// Takes the messages for the host.
    pub fn take_host_out(&mut self) -> Vec<ModelMsg> {
        std::mem::take(&mut self.host_out)
    }

    fn set_reg(&mut self, r: u32, value: u8) {
        self.host_out.push(ModelMsg::SetReg { reg: r, value });
    }

    fn set_status(&mut self, s: u8) {
        if s != self.status {
            log::debug(&format!("status register {:#04x} -> {s:#04x}", self.status));
        }
        self.status = s;
        self.set_reg(reg::SLAVE_STATUS, s);
    }

    fn reset(&mut self) {
        self.phase = Phase::Rom;
        self.boot = BootRom::new();
        self.fw = None;
        self.doorbell_high = 0;
        self.mcu_deactivated = false;
        self.pending.clear();
        self.queued.clear();
        self.in_flight = 0;
        self.cal_done = false;
        self.dpd_due = None;
        self.reset_link();
        self.set_reg(reg::CTRL, 0);
        self.set_reg(reg::RX_LEN, 0);
        self.set_reg(reg::BOOT_BUF_COUNT, self.cfg.boot_buf_count);
        let [lo, hi] = self.cfg.boot_max_len.to_le_bytes();
        self.set_reg(reg::BOOT_MAX_LEN, lo);
        self.set_reg(reg::BOOT_MAX_LEN + 1, hi);
        self.set_status(0);
    }

    fn reset_link(&mut self) {
        self.tx_toggle = false;
        self.rx_toggle = false;
        self.len_toggle = false;
        self.out_seq = [Seq::ZERO; 2];
    }

    /// The acknowledgement of a CMD53 write that the running WiFi firmware takes, for the
    /// caller to send before it hands the write to [`Chip::host_message`] (which then sends none).
    ///
    /// Once the firmware runs, the chip's SDIO slave takes a TX batch into the firmware's input
    /// buffers and completes the transfer; the firmware works on the messages afterwards, and
    /// its answers (confirms, the frames on the air) come later with an interrupt: the vendor's
    /// TX work writes a batch and then queues its RX work to poll for the confirms
    /// (bes2600_sdio.c:977-1040), unlike the boot ROM's reply, which bes_slave_tx_ready()
    /// (bes_fw.c:68-104) expects at once (docs/chip-protocol.md, "TX batches and slots"). Only
    /// the boot ROM has its reply ready when the write completes (see `host_message`).
    /// Acknowledging first lets the host build its next batch while the model processes this
    /// one, as with the chip.
    pub fn ack_before_processing(&mut self, msg: &HostMsg) -> Option<ModelMsg> {
        if !matches!(msg, HostMsg::Cmd53Write { .. }) || self.phase != Phase::Active {
            return None;
        }
        self.writes_read = self.writes_read.wrapping_add(1);
        self.acked_early = true;
        Some(ModelMsg::WriteDone(self.writes_read))
    }

    /// Handles one message from the host.
    pub fn host_message(&mut self, now: u64, msg: HostMsg, air: &mut dyn Air) {
        let write = matches!(msg, HostMsg::Cmd53Write { .. });
        match msg {
            HostMsg::Cmd53Write {
                addr,
                block_mode,
                blocks,
                data,
            } => {
                self.stats.inc("cmd53_writes");
                self.stats.add("bytes_written", data.len() as u64);
                if block_mode && usize::from(blocks) * 512 != data.len() {
                    log::debug(&format!(
                        "CMD53 write of {} bytes in {blocks} blocks",
                        data.len()
                    ));
                }
                self.cmd53_write(now, addr, &data, air);
            }
            HostMsg::Cmd52Write { reg: r, value } => self.cmd52_write(now, r, value),
            HostMsg::RxConsumed { addr, bytes } => self.rx_consumed(addr, bytes),
            HostMsg::BadAccess { addr, code } => {
                if code == bad_access::READ_TOO_LONG && self.bad_access_grace > 0 {
                    self.bad_access_grace -= 1;
                    log::debug("expected over-long read of a corrupted RX length");
                    return;
                }
                let what = match code {
                    bad_access::READ_EMPTY => "CMD53 read with nothing queued",
                    bad_access::READ_TOO_LONG => "CMD53 read longer than the queued item",
                    bad_access::UNMAPPED_REGISTER => "CMD52 to an unmapped register",
                    bad_access::FUNCTION_DISABLED => "access to a disabled function",
                    _ => "unknown bad access",
                };
                self.stats.violation(
                    violation::BAD_ACCESS,
                    &format!("{what} (address {addr:#x}, code {code})"),
                );
            }
            HostMsg::CardReset => {
                log::info("card reset: back to the boot ROM");
                self.stats.inc("card_resets");
                self.faults
                    .remove(|k| matches!(k, FaultKind::Crash { .. } | FaultKind::NoWake));
                self.end_excuse();
                self.reset();
            }
            HostMsg::FuncEnable(on) => {
                log::info(&format!(
                    "function 1 {}",
                    if on { "enabled" } else { "disabled" }
                ));
            }
        }
        self.flush(now);
        if write && !std::mem::take(&mut self.acked_early) {
            // The chip takes a CMD53 write within microseconds, and its boot ROM has the reply
            // ready as fast: bes_slave_tx_ready() (bes_fw.c:68-104) reads the reply length
            // 0x000/0x001 only a handful of times once the write's interrupt came
            // (docs/chip-protocol.md, "Downloading an image"). The acknowledgement follows what
            // this write queued, and the virtual host completes the write only then (ABI.md
            // "Timing"). A crashed firmware answers nothing, but the SDIO function still takes the
            // data.
            self.writes_read = self.writes_read.wrapping_add(1);
            self.host_out.push(ModelMsg::WriteDone(self.writes_read));
        }
    }

    fn cmd53_write(&mut self, now: u64, addr: u32, data: &[u8], air: &mut dyn Air) {
        let toggle = addr & 0x1_0000 != 0;
        let field_len = (addr & 0xFFFF) as usize;
        match self.phase {
            Phase::Rom => {
                if toggle {
                    self.stats
                        .violation(violation::TOGGLE, "boot transfer with the toggle bit set");
                }
                let (reply, ev) = self.boot.handle(field_len, data, &mut self.stats);
                let mut b = [0u8; 8];
                let _ = reply.encode(&mut b);
                self.queue_boot_item(b.to_vec());
                if let BootEvent::Run(img) = ev {
                    self.run_image(now, img.addr, &img.data);
                }
            }
            Phase::Calibrating | Phase::Loaded => {
                self.stats.violation(
                    violation::WRONG_STATE,
                    &format!("CMD53 write of {} bytes while {:?}", data.len(), self.phase),
                );
            }
            Phase::Crashed => self.stats.inc("ignored_while_crashed"),
            Phase::Active if self.mcu_asleep() => {
                // Not processed: the toggle stays, nothing reaches the firmware.
                self.stats.violation(
                    violation::TX_WHILE_ASLEEP,
                    &format!(
                        "CMD53 write of {} bytes while the MCU sleeps (MCU_DEACTIVE, power mode \
                         {:#x})",
                        data.len(),
                        self.fw.as_ref().map_or(0, |f| f.power_mode())
                    ),
                );
            }
            Phase::Active => self.tx_batch(now, toggle, field_len as u16, data, air),
        }
    }

    fn run_image(&mut self, now: u64, addr: u32, data: &[u8]) {
        let crc = crc32(data);
        let is_cal = if self.cfg.wifi_crc == Some(crc) {
            false
        } else if self.cfg.cal_crc == Some(crc) {
            true
        } else {
            self.cfg.calibration == Calibration::Auto && !self.boot.dpd_written && !self.cal_done
        };
        if is_cal {
            log::info(&format!(
                "boot: RUN {addr:#010x}: calibration image ({} bytes, crc {crc:#010x})",
                data.len()
            ));
            self.phase = Phase::Calibrating;
            self.cal_done = true;
            self.dpd_due = Some(now + 100_000);
            self.stats.inc("calibration_runs");
        } else {
            log::info(&format!(
                "boot: RUN {addr:#010x}: WiFi firmware ({} bytes, crc {crc:#010x})",
                data.len()
            ));
            self.phase = Phase::Loaded;
            self.stats.inc("firmware_runs");
        }
        self.set_status(self.status | SlaveStatus::MCU_READY);
    }

    fn dpd_blob() -> Vec<u8> {
        let mut b: Vec<u8> = (0..DPD_LEN).map(|i| (i * 7 + 3) as u8).collect();
        if let Some(v) = b.get_mut(DPD_VERSION_OFFSET..DPD_VERSION_OFFSET + 4) {
            v.copy_from_slice(&7u32.to_le_bytes());
        }
        let crc = crc32(b.get(4..).unwrap_or(&[]));
        if let Some(c) = b.get_mut(..4) {
            c.copy_from_slice(&crc.to_le_bytes());
        }
        b
    }

    fn cmd52_write(&mut self, now: u64, r: u32, value: u8) {
        self.stats.inc("cmd52_writes");
        match r {
            reg::HOST_INT_HIGH => self.doorbell_high = value,
            reg::HOST_INT_LOW => {
                self.doorbell(now, Doorbell::from_bytes(value, self.doorbell_high))
            }
            reg::AP_WAKEUP => log::debug(&format!("AP wake-up configuration {value:#04x}")),
            _ => self.stats.violation(
                violation::REGISTER,
                &format!("CMD52 write of {value:#04x} to register {r:#05x}"),
            ),
        }
    }

    fn doorbell(&mut self, now: u64, db: Doorbell) {
        let bits = db.0;
        if bits & Doorbell::HOST_INT == 0 {
            self.stats.violation(
                violation::REGISTER,
                &format!("doorbell {bits:#06x} without its ring bit"),
            );
            return;
        }
        log::debug(&format!("doorbell {bits:#06x}"));
        self.stats.inc("doorbells");
        if self.phase == Phase::Crashed {
            return;
        }
        let mut s = self.status;
        let has = |b: u16| bits & b != 0;
        if has(Doorbell::MCU_ACTIVE) {
            if self.faults.is_active(now, |k| *k == FaultKind::NoWake) {
                log::info("fault: MCU_ACTIVE ignored, the MCU stays asleep");
                self.stats.inc("fault.no-wake");
            } else {
                if self.mcu_asleep() {
                    self.stats.inc("mcu_wakes");
                }
                self.mcu_deactivated = false;
                s |= SlaveStatus::MCU_WAKEUP_READY;
            }
        }
        if has(Doorbell::MCU_DEACTIVE) {
            self.mcu_deactivated = true;
            if self.mcu_asleep() {
                self.stats.inc("mcu_sleeps");
            }
            s &= !SlaveStatus::MCU_WAKEUP_READY;
        }
        if has(Doorbell::BT_ACTIVE) {
            s |= SlaveStatus::BT_READY;
        }
        if has(Doorbell::BT_DEACTIVE) {
            s &= !SlaveStatus::BT_READY;
        }
        if has(Doorbell::BT_WAKEUP) {
            s |= SlaveStatus::BT_WAKE_READY;
        }
        if has(Doorbell::BT_SLEEP) {
            s &= !SlaveStatus::BT_WAKE_READY;
        }
        if has(Doorbell::WIFI_DEBUG) {
            log::info("host asked for a firmware debug dump");
            self.stats.inc("debug_dumps");
        }
        if has(Doorbell::SYSTEM_CLOSE) {
            log::info("host asked for system close");
        }
        self.set_status(s);
        if has(Doorbell::WIFI_DEACTIVE) {
            self.deactivate_wifi();
        }
        if has(Doorbell::WIFI_ACTIVE) {
            self.activate_wifi(now);
        }
    }

    fn activate_wifi(&mut self, _now: u64) {
        match self.phase {
            Phase::Loaded => {
                log::info("WiFi activated: firmware starts");
                self.phase = Phase::Active;
                // The firmware starts awake (vendor: bes2600_pwr_start() holds the device
                // awake once WiFi runs, bes_pwr.c).
                self.mcu_deactivated = false;
                self.reset_link();
                self.pending.clear();
                self.in_flight = 0;
                self.set_reg(reg::CTRL, RUNTIME_CTRL_IDLE);
                self.set_reg(reg::RX_LEN, 0);
                let mut fw = Firmware::new(self.cfg.fw.clone());
                self.pending.extend(fw.take_out());
                self.fw = Some(fw);
                self.set_status(self.status | SlaveStatus::WIFI_READY);
                self.stats.inc("wifi_activations");
            }
            Phase::Active => {
                log::debug("WIFI_ACTIVE while active: ignored");
            }
            Phase::Crashed => {}
            Phase::Rom | Phase::Calibrating => self.stats.violation(
                violation::WRONG_STATE,
                "WIFI_ACTIVE before the WiFi firmware runs",
            ),
        }
    }

    fn deactivate_wifi(&mut self) {
        if self.phase == Phase::Active {
            log::info("WiFi deactivated");
            self.phase = Phase::Loaded;
            self.fw = None;
            self.pending.clear();
            self.in_flight = 0;
            self.reset_link();
            self.set_status(self.status & !SlaveStatus::WIFI_READY);
        }
    }

    fn tx_batch(&mut self, now: u64, toggle: bool, field_len: u16, data: &[u8], air: &mut dyn Air) {
        if toggle != self.tx_toggle {
            self.stats.violation(
                violation::TOGGLE,
                &format!(
                    "CMD53 write toggle {}, expected {}",
                    u8::from(toggle),
                    u8::from(self.tx_toggle)
                ),
            );
        }
        self.tx_toggle = !toggle;
        let view = match TxBatchView::parse(data, field_len) {
            Ok(v) => v,
            Err(e) => {
                self.stats.violation(
                    violation::MALFORMED,
                    &format!(
                        "TX batch (address length {field_len:#06x}, {} bytes): {e}",
                        data.len()
                    ),
                );
                return;
            }
        };
        let n = view.len() as u32;
        self.stats.inc("tx_batches");
        self.stats.add("tx_messages", u64::from(n));
        let cap = u32::from(self.cfg.fw.input_buffers);
        if self.in_flight + n > cap {
            self.stats.violation(
                violation::BUFFER_OVERFLOW,
                &format!(
                    "{n} messages sent with {} of {cap} input buffers in use",
                    self.in_flight
                ),
            );
        }
        self.in_flight += n;
        if n > 1
            && view.iter().any(|s| {
                wsm_header::Header::parse(s.message).is_ok_and(|h| h.id.class() == MsgClass::Mcu)
            })
        {
            self.stats.violation(
                violation::MALFORMED,
                "an MCU-channel (0x0Cxx) message shares its TX batch",
            );
        }
        let Some(fw) = self.fw.as_mut() else {
            return;
        };
        fw.begin_batch();
        for slot in view.iter() {
            fw.handle_message(now, slot.message, air, &mut self.faults, &mut self.stats);
        }
        fw.end_batch(now, &mut self.faults, &mut self.stats);
        self.pending.extend(fw.take_out());
    }

    fn rx_consumed(&mut self, addr: u32, bytes: u32) {
        self.stats.inc("cmd53_reads");
        self.stats.add("bytes_read", u64::from(bytes));
        let Some(item) = self.queued.pop_front() else {
            log::warn("RX_CONSUMED with no item queued");
            return;
        };
        let toggle = addr & 0x1_0000 != 0;
        if item.boot {
            if toggle {
                self.stats
                    .violation(violation::TOGGLE, "boot reply read with the toggle bit set");
            }
        } else {
            if toggle != self.rx_toggle {
                self.stats.violation(
                    violation::TOGGLE,
                    &format!(
                        "CMD53 read toggle {}, expected {}",
                        u8::from(toggle),
                        u8::from(self.rx_toggle)
                    ),
                );
            }
            self.rx_toggle = !toggle;
        }
        if !item.faulty {
            let field = (addr & 0xFFFF) as usize;
            if field != item.len {
                self.stats.violation(
                    violation::RX_READ,
                    &format!(
                        "CMD53 read length field {field}, item is {} bytes",
                        item.len
                    ),
                );
            }
            // More bytes than the item is fine: a block-mode read moves whole blocks, the
            // length is in the address field (the 0x3B14-byte DPD blob is read as 30 blocks
            // of 512, bes2600_sdio.c:183-206, bes_fw.c:893); the virtual host reports a
            // read beyond the item rounded up to the block size (`BAD_ACCESS`).
            if (bytes as usize) < item.len {
                self.stats.violation(
                    violation::RX_READ,
                    &format!("short read: {bytes} of {} bytes", item.len),
                );
            }
        }
        if self.phase == Phase::Calibrating && item.len == DPD_LEN && self.queued.is_empty() {
            log::info("DPD data read: the ROM takes downloads again");
            self.phase = Phase::Rom;
            self.boot = BootRom::new();
            self.set_status(self.status & !(SlaveStatus::DPD_READY | SlaveStatus::MCU_READY));
        }
    }

    /// Queues an RX item with the values of 0x000/0x001 while it is the head (`head`) and
    /// once the host has read it (`idle`), in one message: the registers change together
    /// with the queue, never after it. `item` is what the read of it is checked against.
    fn queue_item(&mut self, head: [u8; 2], idle: [u8; 2], data: Vec<u8>, item: Queued) {
        self.host_out.push(ModelMsg::RxQueue {
            reg0: head[0],
            reg1: head[1],
            idle0: idle[0],
            idle1: idle[1],
            data,
        });
        self.queued.push_back(item);
    }

    /// Queues a boot-ROM item (reply or DPD data): 0x000/0x001 announce its length (u16) while it
    /// waits (docs/chip-protocol.md, "Registers"; bes_fw.c:82) and read 0 again once the host has
    /// read it.
    fn queue_boot_item(&mut self, data: Vec<u8>) {
        let len = data.len();
        let head = (len as u16).to_le_bytes();
        let item = Queued {
            len,
            boot: true,
            faulty: false,
        };
        self.queue_item(head, [0, 0], data, item);
    }

    /// Packs pending messages into RX batches while the host's queue has room.
    fn flush(&mut self, now: u64) {
        if !matches!(self.phase, Phase::Active | Phase::Crashed) {
            return;
        }
        while self.queued.len() < self.cfg.rx_queue_depth.max(1) {
            // Dropped confirms free their buffers without being sent.
            while self.pending.front().is_some_and(|m| m.bytes.is_empty()) {
                if let Some(m) = self.pending.pop_front() {
                    self.in_flight = self.in_flight.saturating_sub(u32::from(m.releases));
                }
            }
            if self.pending.is_empty() {
                return;
            }
            let mut buf = vec![0u8; self.cfg.rx_batch_max.max(512) + 512];
            let limit = self.cfg.rx_batch_max.max(512);
            let mut releases = 0u32;
            let mut count = 0usize;
            let (lenreg, total) = {
                let mut b = RxBatchBuilder::new(buf.get_mut(..limit).unwrap_or(&mut []));
                while let Some(m) = self.pending.front() {
                    let m_releases = m.releases;
                    if m.bytes.is_empty() {
                        releases += u32::from(m_releases);
                        self.pending.pop_front();
                        continue;
                    }
                    let mut bytes = m.bytes.clone();
                    let Ok(h) = wsm_header::Header::parse(&bytes) else {
                        self.pending.pop_front();
                        continue;
                    };
                    let ch = h.id.channel().index();
                    let mut seq = self.out_seq[ch];
                    if let Some(FaultKind::CorruptRxId(id)) = self
                        .faults
                        .hit(now, |k| matches!(k, FaultKind::CorruptRxId(_)))
                    {
                        log::info(&format!(
                            "fault: message id {:#06x} -> {id:#06x}",
                            h.id.base()
                        ));
                        self.stats.inc("fault.corrupt-rx-id");
                        let _ = wsm_header::Header {
                            len: h.len,
                            id: MsgId::from_raw(id),
                        }
                        .write(&mut bytes);
                    }
                    if self
                        .faults
                        .hit(now, |k| *k == FaultKind::WrongSeq)
                        .is_some()
                    {
                        log::info("fault: wrong sequence number");
                        self.stats.inc("fault.wrong-seq");
                        seq = Seq::from_bits(seq.value().wrapping_add(3));
                    }
                    let _ = wsm_header::stamp_seq(&mut bytes, seq);
                    match b.push(&bytes) {
                        Ok(()) => {
                            self.out_seq[ch] = self.out_seq[ch].next();
                            releases += u32::from(m_releases);
                            count += 1;
                            self.pending.pop_front();
                        }
                        Err(e) => {
                            if count == 0 {
                                log::warn(&format!(
                                    "internal: message of {} bytes does not fit an RX batch: {e}",
                                    bytes.len()
                                ));
                                self.pending.pop_front();
                                releases += u32::from(m_releases);
                                continue;
                            }
                            break;
                        }
                    }
                }
                if count == 0 {
                    self.in_flight = self.in_flight.saturating_sub(releases);
                    return;
                }
                match b.finish(self.len_toggle) {
                    Ok(r) => r,
                    Err(e) => {
                        log::warn(&format!("internal: RX batch: {e}"));
                        return;
                    }
                }
            };
            buf.truncate(total);
            let mut announce = lenreg;
            let mut faulty = false;
            if let Some(FaultKind::CorruptRxLen { reg: in_reg }) = self
                .faults
                .hit(now, |k| matches!(k, FaultKind::CorruptRxLen { .. }))
            {
                faulty = true;
                self.stats.inc("fault.corrupt-rx-len");
                if in_reg {
                    announce.units = announce.units.saturating_add(1).min(127);
                    self.bad_access_grace += 1;
                    log::info("fault: length register announces one unit too many");
                } else {
                    let bad = (total as u16).saturating_add(4);
                    if let Some(l) = buf.get_mut(..2) {
                        l.copy_from_slice(&bad.to_le_bytes());
                    }
                    log::info("fault: first message length overruns the batch");
                }
            }
            if let Some(FaultKind::Hostile { permille, .. }) = self
                .faults
                .hit(now, |k| matches!(k, FaultKind::Hostile { .. }))
            {
                if self.hostile_next() % 1000 < u64::from(permille) {
                    self.hostile_mutation(now, &mut buf, &mut announce);
                    faulty = true;
                }
            }
            self.len_toggle = !self.len_toggle;
            self.in_flight = self.in_flight.saturating_sub(releases);
            self.stats.inc("rx_batches");
            self.stats.add("rx_messages", count as u64);
            // Register 0x001 describes the batch that is ready now (docs/chip-protocol.md,
            // "Registers", "RX: when to read"). Once the host has read it, the value stays (stale:
            // its toggle is the one the host just consumed, vendor `rx_remain_ctrl_cnt`,
            // bes2600_sdio.c:841-904) or is cleared (`--clear-length-reg`); 0x000 bit 0 then says
            // "nothing pending" (bes2600_sdio.c:703-711). The vendor's RX loop re-reads 0x001 right
            // after each batch, so that value must be in place the moment the batch is consumed: it
            // travels with the batch, not in a later SET_REG.
            let reg1 = announce.to_byte();
            let idle = if self.cfg.sticky_length_reg { reg1 } else { 0 };
            let item = Queued {
                len: announce.len(),
                boot: false,
                faulty,
            };
            self.queue_item([0, reg1], [RUNTIME_CTRL_IDLE, idle], buf, item);
        }
    }

    /// Handles a frame on the air; returns whether the chip acknowledges it.
    pub fn air_rx(&mut self, now: u64, rx: &AirRx, air: &mut dyn Air) -> bool {
        if self.phase != Phase::Active {
            return false;
        }
        let Some(fw) = self.fw.as_mut() else {
            return false;
        };
        let ack = fw.on_air(now, rx, air, &mut self.faults, &mut self.stats);
        self.pending.extend(fw.take_out());
        self.flush(now);
        ack
    }

    /// Runs timers.
    pub fn tick(&mut self, now: u64, air: &mut dyn Air) {
        if self.excuse_until.is_some_and(|t| now >= t) {
            self.end_excuse();
        }
        if let Some(t) = self.dpd_due {
            if now >= t && self.phase == Phase::Calibrating {
                self.dpd_due = None;
                log::info("calibration done: DPD data ready");
                self.set_status(self.status | SlaveStatus::DPD_READY);
                self.queue_boot_item(Self::dpd_blob());
            }
        }
        if self.phase == Phase::Active {
            if let Some(fw) = self.fw.as_mut() {
                fw.tick(now, air, &mut self.faults, &mut self.stats);
                self.pending.extend(fw.take_out());
            }
        }
        self.flush(now);
    }

    /// The next time [`Self::tick`] has work.
    pub fn next_deadline(&self) -> Option<u64> {
        let fw = if self.phase == Phase::Active {
            self.fw.as_ref().and_then(|f| f.next_deadline())
        } else {
            None
        };
        [fw, self.dpd_due, self.faults.next_expiry()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Applies a chip fault now.
    pub fn inject(&mut self, now: u64, spec: &FaultSpec) {
        log::info(&format!("fault injected: {}", spec.kind.name()));
        self.stats.inc("faults_injected");
        let count = spec.count.unwrap_or(1);
        match spec.kind {
            FaultKind::IrqStorm => self.host_out.push(ModelMsg::Fault {
                code: fault::IRQ_STORM,
                count,
            }),
            FaultKind::BusError => self.host_out.push(ModelMsg::Fault {
                code: fault::CMD53_EIO,
                count,
            }),
            FaultKind::Cmd52Timeout => self.host_out.push(ModelMsg::Fault {
                code: fault::CMD52_TIMEOUT,
                count,
            }),
            FaultKind::Crash { exception } => self.crash(now, exception),
            FaultKind::Hostile { seed, .. } => {
                // xorshift needs a non-zero state; mixing the seed keeps small seeds apart.
                self.hostile_rng = (seed ^ 0x9E37_79B9_7F4A_7C15).max(1);
                self.faults.arm(spec, now);
            }
            _ => self.faults.arm(spec, now),
        }
    }

    /// The hostile mode's next pseudo-random number (xorshift64*).
    fn hostile_next(&mut self) -> u64 {
        let mut x = self.hostile_rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.hostile_rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Mutates one RX batch (`buf`, announced by `announce`) the way a chip gone wrong
    /// could: one field or a few bytes, chosen by the seeded PRNG. Until the host resets
    /// the card (or 5 s pass) what it does about the batch is not held against it.
    fn hostile_mutation(&mut self, now: u64, buf: &mut [u8], announce: &mut LengthReg) {
        let total = buf.len().max(1);
        let what = match self.hostile_next() % 6 {
            0 => {
                let v = self.hostile_next() as u16;
                if let Some(l) = buf.get_mut(..2) {
                    l.copy_from_slice(&v.to_le_bytes());
                }
                "hostile.length"
            }
            1 => {
                let v = self.hostile_next() as u16;
                if let Some(l) = buf.get_mut(2..4) {
                    l.copy_from_slice(&v.to_le_bytes());
                }
                "hostile.id"
            }
            2 => {
                let seq = Seq::from_bits(self.hostile_next() as u8);
                let _ = wsm_header::stamp_seq(buf, seq);
                "hostile.sequence"
            }
            3 => {
                // Counts, flags, statuses, lengths inside the messages: random bytes.
                let n = 1 + self.hostile_next() % 4;
                for _ in 0..n {
                    let i = (self.hostile_next() as usize) % total;
                    let x = (self.hostile_next() as u8) | 1;
                    if let Some(b) = buf.get_mut(i) {
                        *b ^= x;
                    }
                }
                "hostile.bytes"
            }
            4 => {
                let cut = (self.hostile_next() as usize) % total;
                if let Some(tail) = buf.get_mut(cut..) {
                    tail.fill(0);
                }
                "hostile.truncated"
            }
            _ => {
                let more = 1 + (self.hostile_next() % 3) as u8;
                announce.units = announce.units.saturating_add(more).min(127);
                self.bad_access_grace += 1;
                "hostile.oversize"
            }
        };
        log::info(&format!("fault: hostile mutation ({what})"));
        self.stats.inc("hostile.mutations");
        self.stats.inc(what);
        self.stats.excuse = true;
        self.excuse_until = Some(now + 5_000_000);
    }

    /// Violations count again.
    fn end_excuse(&mut self) {
        self.stats.excuse = false;
        self.excuse_until = None;
    }

    fn crash(&mut self, now: u64, exception: bool) {
        self.pending.clear();
        if exception && self.phase == Phase::Active {
            self.pending.push_back(OutMsg {
                bytes: Firmware::exception_message(),
                releases: 0,
            });
        }
        self.phase = Phase::Crashed;
        self.fw = None;
        log::info("firmware crashed");
        self.flush(now);
    }
}
