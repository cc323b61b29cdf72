// SPDX-License-Identifier: GPL-2.0

//! The fake host for the engine tests.
//!
//! [`ModelBus`] implements [`Bus`] over the chip model's in-process [`Chip`] with the
//! register, RX-queue, interrupt and fault semantics of the virtual SDIO host
//! (`tests/vsdio/ABI.md`): reads of 0x000/0x001 return the head RX item's values (else the
//! idle register file), reading 0x001 acknowledges the interrupt, a CMD53 read consumes the
//! head item and sets its idle values of 0x000/0x001 (zero-filled and reported as
//! `BAD_ACCESS` when longer than the item rounded up to the block size), a CMD53 write
//! returns once the chip processed it (as the host holds it for `WRITE_DONE`), a failed
//! command has no effect, `FAULT` messages fail the next CMD53s / CMD52s or raise an
//! interrupt storm.
//!
//! [`Harness`] is a minimal kernel shell around [`Bh`]: the firmware download (the model's
//! boot ROM, via the protocol crate's downloader, out of the engine's scope), the WiFi
//! activation, a service loop calling passes while they report more work or the card
//! interrupt is asserted, event-driven time, and the recovery actions.
//!
//! [`ScriptBus`] is a scripted chip for hostile inputs the model cannot produce.

#![allow(dead_code)]

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use bes2600_chip_model::air::FakeAir;
use bes2600_chip_model::chip::{Calibration, Chip, ChipConfig};
use bes2600_chip_model::faults;
use bes2600_chip_model::firmware::FwConfig;
use bes2600_chip_model::runtime::pump;
use bes2600_chip_model::transport::{bad_access, fault, FakeTransport, HostMsg, ModelMsg};
use bes2600_engine::bus::{self, transfer_len, Bus, BusError, Clock};
use bes2600_engine::pass::{Bh, Config, Events, Fatal, PassReport, TxSource};
use bes2600_engine::protocol::boot_frame::{BootReply, Downloader, FirmwareImage};
use bes2600_engine::protocol::error::Error;
use bes2600_engine::protocol::msg::config::StartupIndication;
use bes2600_engine::protocol::msg::tx::{PacketId, TxRequest};
use bes2600_engine::protocol::msg::{self, Message};
use bes2600_engine::protocol::sdio_framing::{
    reg, Cmd53, DataAddress, Doorbell, SlaveStatus, TxBatchView, MAX_RX_BATCH, MAX_TX_BATCH,
};
use bes2600_engine::protocol::wsm_header::{Header, MsgClass};
use bes2600_engine::recovery::{Action, Actions, Input, Policy, Recovery};

/// The chip's MAC in tests.
pub const CHIP_MAC: [u8; 6] = [0x02, 0xBE, 0x57, 0x26, 0x00, 0x01];
/// An access point's address.
pub const AP: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x00];

/// A chip configuration for tests: no calibration image, `buffers` input buffers.
pub fn chip_config(buffers: u16) -> ChipConfig {
    ChipConfig {
        fw: FwConfig {
            input_buffers: buffers,
            mac: CHIP_MAC,
            ..FwConfig::default()
        },
        calibration: Calibration::Off,
        ..ChipConfig::default()
    }
}

/// A firmware file: 16-byte header, payload, 4-byte load-address trailer.
pub fn firmware_file(load: u32, size: usize) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0x1000_0001u32.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&0x2000_8000u32.to_le_bytes());
    f.extend_from_slice(&load.to_le_bytes());
    f.extend((0..size).map(|i| (i as u8).wrapping_mul(31).wrapping_add(7)));
    f.extend_from_slice(&load.to_le_bytes());
    f
}

/// Encodes a message with interface `if_id`.
pub fn encode<'a, M: Message<'a>>(m: &M, if_id: u8) -> Vec<u8> {
    let mut buf = vec![0u8; 4096];
    let n = msg::encode(m, if_id, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// A 0x0004 data frame of interface `if_id` carrying an 802.11 data frame with `body`
/// payload bytes; its WSM length is 48 + `body`.
pub fn data_frame(item: u8, if_id: u8, body: usize) -> Vec<u8> {
    let mut f = vec![0x08, 0x01, 0, 0];
    f.extend_from_slice(&AP);
    f.extend_from_slice(&CHIP_MAC);
    f.extend_from_slice(&AP);
    f.extend_from_slice(&[0, 0]);
    f.extend(std::iter::repeat_n(0xA5, body));
    encode(
        &TxRequest {
            packet_id: PacketId::new(item, 0, 0, if_id, 0, 0),
            max_tx_rate: 6,
            frame: &f,
            ..TxRequest::default()
        },
        if_id,
    )
}

/// Base id of a message.
pub fn base(m: &[u8]) -> u16 {
    Header::parse(m).unwrap().id.base()
}

/// A clock the tests move.
#[derive(Debug, Clone, Default)]
pub struct TestClock(pub Rc<Cell<u64>>);

impl Clock for TestClock {
    fn now_us(&self) -> u64 {
        self.0.get()
    }
}

/// One TX batch as the chip received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Messages in the batch.
    pub count: usize,
    /// Slot size.
    pub slot: usize,
    /// Whether it holds an MCU-channel message.
    pub mcu: bool,
    /// Base ids of its messages.
    pub ids: Vec<u16>,
    /// Input buffers the chip had in use after it.
    pub chip_in_flight: u32,
}

/// The chip model behind the virtual SDIO host's semantics.
pub struct ModelBus {
    pub chip: Chip,
    t: FakeTransport,
    pub air: FakeAir,
    now: Rc<Cell<u64>>,
    regs: HashMap<u32, u8>,
    /// RX items: 0x000/0x001 while the head, the same once consumed, the data.
    rxq: VecDeque<([u8; 2], [u8; 2], Vec<u8>)>,
    irq: bool,
    storm: u32,
    cmd53_fail: u32,
    cmd52_fail: u32,
    rx_buf: Vec<u8>,
    tx_buf: Vec<u8>,
    /// TX batches delivered after WiFi activation (boot frames are not logged).
    pub written: Vec<Written>,
    /// Whether writes are logged as TX batches.
    pub log_batches: bool,
    /// Largest number of input buffers the chip had in use.
    pub max_chip_in_flight: u32,
    /// Failed transfers served.
    pub failed_transfers: u32,
}

impl ModelBus {
    /// A bus in front of a chip in its boot-ROM state.
    pub fn new(cfg: ChipConfig, now: Rc<Cell<u64>>, rx_capacity: usize) -> Self {
        let mut b = Self {
            chip: Chip::new(cfg),
            t: FakeTransport::default(),
            air: FakeAir::default(),
            now,
            regs: HashMap::new(),
            rxq: VecDeque::new(),
            irq: false,
            storm: 0,
            cmd53_fail: 0,
            cmd52_fail: 0,
            rx_buf: vec![0; rx_capacity],
            tx_buf: vec![0; MAX_TX_BATCH],
            written: Vec::new(),
            log_batches: false,
            max_chip_in_flight: 0,
            failed_transfers: 0,
        };
        b.pump();
        b
    }

    fn now(&self) -> u64 {
        self.now.get()
    }

    /// Delivers host messages to the chip and takes its answers.
    pub fn pump(&mut self) {
        let now = self.now();
        pump(&mut self.chip, &mut self.t, &mut self.air, now).unwrap();
        for m in self.t.take() {
            match m {
                ModelMsg::SetReg { reg, value } => {
                    self.regs.insert(reg, value);
                }
                ModelMsg::RxQueue {
                    reg0,
                    reg1,
                    idle0,
                    idle1,
                    data,
                } => {
                    if self.rxq.is_empty() {
                        self.irq = true;
                    }
                    self.rxq.push_back(([reg0, reg1], [idle0, idle1], data));
                }
                ModelMsg::Irq(on) => self.irq = on,
                ModelMsg::Fault { code, count } => match code {
                    fault::CMD53_EIO => self.cmd53_fail = count,
                    fault::CMD52_TIMEOUT => self.cmd52_fail = count,
                    fault::IRQ_STORM => self.storm = count,
                    _ => {}
                },
                // Writes are delivered synchronously: each has been processed when `pump`
                // returns.
                ModelMsg::Timing { .. } | ModelMsg::CardPresent(_) | ModelMsg::WriteDone(_) => {}
            }
        }
    }

    /// Runs the chip's timers at the current time.
    pub fn tick(&mut self) {
        let now = self.now();
        self.chip.tick(now, &mut self.air);
        self.pump();
    }

    /// Injects a chip-model fault (`--fault` syntax).
    pub fn inject(&mut self, spec: &str) {
        let s = faults::parse(spec).unwrap();
        let now = self.now();
        self.chip.inject(now, &s);
        self.pump();
    }

    /// Disarms every chip fault and cancels pending bus faults (the control FIFO's
    /// `clear`, and `FAULT` with count 0).
    pub fn clear_faults(&mut self) {
        self.chip.faults.clear();
        self.cmd53_fail = 0;
        self.cmd52_fail = 0;
        self.storm = 0;
    }

    /// Whether the card interrupt is asserted (or a storm interrupt is due).
    pub fn irq_pending(&self) -> bool {
        self.irq || self.storm > 0
    }

    /// The MMC core services one interrupt.
    pub fn ack_storm(&mut self) {
        self.storm = self.storm.saturating_sub(1);
    }

    /// The host (re)initialises the card: back to the boot ROM (ABI.md "CARD_RESET").
    pub fn card_reset(&mut self) {
        self.rxq.clear();
        self.irq = false;
        self.storm = 0;
        self.regs.clear();
        self.t.push(&HostMsg::CardReset);
        self.pump();
    }

    /// Violations the chip counted.
    pub fn violations(&self) -> u64 {
        self.chip.stats.violations()
    }

    /// Items in the RX queue.
    pub fn rx_queued(&self) -> usize {
        self.rxq.len()
    }

    fn reg_value(&self, r: u32) -> u8 {
        if r <= 1 {
            if let Some((head, _, _)) = self.rxq.front() {
                return head[r as usize];
            }
        }
        self.regs.get(&r).copied().unwrap_or(0)
    }
}

impl Bus for ModelBus {
    fn read_reg(&mut self, r: u32) -> Result<u8, BusError> {
        if self.cmd52_fail > 0 {
            self.cmd52_fail -= 1;
            self.failed_transfers += 1;
            return Err(BusError::Timeout);
        }
        let v = self.reg_value(r);
        if r == reg::RX_LEN {
            self.irq = false;
        }
        Ok(v)
    }

    fn write_reg(&mut self, r: u32, value: u8) -> Result<(), BusError> {
        if self.cmd52_fail > 0 {
            self.cmd52_fail -= 1;
            self.failed_transfers += 1;
            return Err(BusError::Timeout);
        }
        self.regs.insert(r, value);
        self.t.push(&HostMsg::Cmd52Write { reg: r, value });
        self.pump();
        Ok(())
    }

    fn rx_capacity(&self) -> usize {
        self.rx_buf.len()
    }

    fn read_data(&mut self, cmd: Cmd53) -> Result<&[u8], BusError> {
        assert!(!cmd.write && cmd.function == 1 && cmd.increment);
        if self.cmd53_fail > 0 {
            self.cmd53_fail -= 1;
            self.failed_transfers += 1;
            return Err(BusError::Io);
        }
        let n = transfer_len(&cmd);
        if n > self.rx_buf.len() {
            return Err(BusError::Invalid);
        }
        let buf = &mut self.rx_buf[..n];
        buf.fill(0);
        match self.rxq.pop_front() {
            Some((_, idle, data)) => {
                let k = data.len().min(n);
                buf[..k].copy_from_slice(&data[..k]);
                self.regs.insert(0, idle[0]);
                self.regs.insert(1, idle[1]);
                self.t.push(&HostMsg::RxConsumed {
                    addr: cmd.address,
                    bytes: n as u32,
                });
                // Block mode may round the item up to whole blocks; the address field
                // carries the length.
                let limit = if cmd.block_mode {
                    let blksz = n / usize::from(cmd.count.max(1));
                    data.len().div_ceil(blksz.max(1)) * blksz
                } else {
                    data.len()
                };
                if n > limit || (cmd.address & 0xFFFF) as usize > data.len() {
                    self.t.push(&HostMsg::BadAccess {
                        addr: cmd.address,
                        code: bad_access::READ_TOO_LONG,
                    });
                }
                if !self.rxq.is_empty() {
                    self.irq = true;
                }
            }
            None => self.t.push(&HostMsg::BadAccess {
                addr: cmd.address,
                code: bad_access::READ_EMPTY,
            }),
        }
        self.pump();
        Ok(&self.rx_buf[..n])
    }

    fn tx_buffer(&mut self) -> &mut [u8] {
        &mut self.tx_buf
    }

    fn write_data(&mut self, cmd: Cmd53) -> Result<(), BusError> {
        assert!(cmd.write && cmd.function == 1 && cmd.increment);
        if self.cmd53_fail > 0 {
            self.cmd53_fail -= 1;
            self.failed_transfers += 1;
            return Err(BusError::Io);
        }
        let n = transfer_len(&cmd);
        let data = self.tx_buf.get(..n).ok_or(BusError::Invalid)?.to_vec();
        let mut logged = None;
        if self.log_batches {
            let view = TxBatchView::parse(&data, cmd.address as u16).expect("a valid TX batch");
            let ids: Vec<u16> = view.iter().map(|s| base(s.message)).collect();
            let mcu = view
                .iter()
                .any(|s| Header::parse(s.message).unwrap().id.class() == MsgClass::Mcu);
            logged = Some(Written {
                count: view.len(),
                slot: view.slot().size(),
                mcu,
                ids,
                chip_in_flight: 0,
            });
        }
        self.t.push(&HostMsg::Cmd53Write {
            addr: cmd.address,
            block_mode: cmd.block_mode,
            blocks: if cmd.block_mode { cmd.count } else { 0 },
            data,
        });
        self.pump();
        let in_flight = self.chip.in_flight();
        self.max_chip_in_flight = self.max_chip_in_flight.max(in_flight);
        if let Some(mut w) = logged {
            w.chip_in_flight = in_flight;
            self.written.push(w);
        }
        Ok(())
    }
}

/// A command slot: at most one submitted command.
#[derive(Debug, Default)]
pub struct Slot {
    pub pending: Option<Vec<u8>>,
    pub rejected: Vec<Error>,
    pub taken: u32,
}

impl TxSource for Slot {
    fn peek(&mut self) -> Option<&[u8]> {
        self.pending.as_deref()
    }

    fn taken(&mut self) {
        self.pending = None;
        self.taken += 1;
    }

    fn rejected(&mut self, error: Error) {
        self.pending = None;
        self.rejected.push(error);
    }
}

/// A data queue.
#[derive(Debug, Default)]
pub struct Queue {
    pub frames: VecDeque<Vec<u8>>,
    pub rejected: Vec<Error>,
    pub taken: u32,
}

impl TxSource for Queue {
    fn peek(&mut self) -> Option<&[u8]> {
        self.frames.front().map(|f| f.as_slice())
    }

    fn taken(&mut self) {
        self.frames.pop_front();
        self.taken += 1;
    }

    fn rejected(&mut self, error: Error) {
        self.frames.pop_front();
        self.rejected.push(error);
    }
}

/// Records everything the pass hands upwards.
#[derive(Debug, Default)]
pub struct Recorder {
    pub up: Vec<StartupIndication>,
    pub confirms: Vec<Vec<u8>>,
    pub tx_confirms: Vec<Vec<u8>>,
    pub indications: Vec<Vec<u8>>,
    pub exceptions: Vec<Vec<u8>>,
}

impl Events for Recorder {
    fn firmware_up(&mut self, ind: &StartupIndication) {
        self.up.push(*ind);
    }

    fn command_done(&mut self, confirm: &[u8]) {
        self.confirms.push(confirm.to_vec());
    }

    fn tx_confirm(&mut self, confirm: &[u8]) {
        self.tx_confirms.push(confirm.to_vec());
    }

    fn indication(&mut self, m: &[u8]) {
        self.indications.push(m.to_vec());
    }

    fn exception(&mut self, m: &[u8]) {
        self.exceptions.push(m.to_vec());
    }
}

/// Retries a bus operation the way a shell's boot code would (the boot is not the
/// engine's business; an injected `bus-error` / `cmd52-timeout` may hit it).
fn retry<T>(mut op: impl FnMut() -> Result<T, BusError>) -> Result<T, String> {
    let mut last = BusError::Io;
    for _ in 0..256 {
        match op() {
            Ok(v) => return Ok(v),
            Err(e) => last = e,
        }
    }
    Err(format!("bus keeps failing: {last}"))
}

/// Downloads and runs a WiFi image through the boot ROM, then activates WiFi
/// (docs/chip-protocol.md, "Downloading an image", "Subsystem handshake"). The engine takes over
/// from there.
pub fn boot(bus: &mut ModelBus) -> Result<(), String> {
    let file = firmware_file(0x0020_0000, 3000);
    let img = FirmwareImage::parse(&file).map_err(|e| e.to_string())?;
    let mut dl = Downloader::new(img.payload, img.load_addr(), true);
    let mut frame = vec![0u8; 70000];
    loop {
        let m = retry(|| {
            let lo = bus.read_reg(reg::BOOT_MAX_LEN)?;
            let hi = bus.read_reg(reg::BOOT_MAX_LEN + 1)?;
            Ok(u16::from_le_bytes([lo, hi]))
        })?;
        let Some((seq, req)) = dl.next_request(m).map_err(|e| e.to_string())? else {
            break;
        };
        let n = req.encode(seq, &mut frame).map_err(|e| e.to_string())?;
        let cmd = Cmd53::data(
            true,
            DataAddress {
                len: n as u16,
                toggle: false,
            },
            n,
            false,
        )
        .map_err(|e| e.to_string())?;
        let t = transfer_len(&cmd);
        {
            let tx = bus.tx_buffer();
            tx[..t].fill(0);
            tx[..n].copy_from_slice(&frame[..n]);
        }
        retry(|| bus.write_data(cmd))?;
        let r = retry(|| {
            let lo = bus.read_reg(reg::CTRL)?;
            let hi = bus.read_reg(reg::RX_LEN)?;
            Ok(usize::from(u16::from_le_bytes([lo, hi])))
        })?;
        if r == 0 {
            return Err("no boot reply".into());
        }
        let cmd = Cmd53::data(
            false,
            DataAddress {
                len: r as u16,
                toggle: false,
            },
            r,
            false,
        )
        .map_err(|e| e.to_string())?;
        let reply = retry(|| bus.read_data(cmd).map(|d| d[..r].to_vec()))?;
        BootReply::parse(&reply).map_err(|e| e.to_string())?;
        dl.on_reply(&reply).map_err(|e| e.to_string())?;
    }
    retry(|| bus::ring(bus, Doorbell::WIFI_ACTIVE))?;
    let status = retry(|| bus.read_reg(reg::SLAVE_STATUS))?;
    if status & SlaveStatus::WIFI_READY == 0 {
        return Err(format!("WIFI_READY not set: status {status:#04x}"));
    }
    Ok(())
}

/// A minimal kernel shell around the engine.
pub struct Harness {
    pub bus: ModelBus,
    pub clock: TestClock,
    pub bh: Bh,
    pub cmds: Slot,
    pub data: Queue,
    pub ev: Recorder,
    pub recovery: Recovery,
    /// Every fatal outcome, in order.
    pub fatals: Vec<Fatal>,
    /// Every recovery action carried out, in order.
    pub actions: Vec<Action>,
    /// Passes run.
    pub passes: u32,
    /// Largest number of buffers the engine had in use.
    pub max_in_use: u16,
    /// Run recovery automatically on a fatal outcome.
    pub auto_recover: bool,
    /// Configuration restores carried out.
    pub restores: u32,
}

impl Harness {
    /// A harness whose chip has `buffers` input buffers, booted and with the firmware up.
    pub fn up(buffers: u16) -> Self {
        Self::with(chip_config(buffers), Config::default(), Policy::default())
    }

    /// A harness with explicit configurations, booted and with the firmware up.
    pub fn with(chip: ChipConfig, cfg: Config, policy: Policy) -> Self {
        let mut h = Self::new(chip, cfg, policy, MAX_RX_BATCH);
        h.first_boot();
        h
    }

    /// A harness with the chip in its boot-ROM state.
    pub fn new(chip: ChipConfig, cfg: Config, policy: Policy, rx_capacity: usize) -> Self {
        let clock = TestClock::default();
        Self {
            bus: ModelBus::new(chip, clock.0.clone(), rx_capacity),
            bh: Bh::new(cfg),
            cmds: Slot::default(),
            data: Queue::default(),
            ev: Recorder::default(),
            recovery: Recovery::new(policy, 0),
            clock,
            fatals: Vec::new(),
            actions: Vec::new(),
            passes: 0,
            max_in_use: 0,
            auto_recover: false,
            restores: 0,
        }
    }

    /// Boots the chip and runs passes until the startup indication was accepted.
    pub fn first_boot(&mut self) {
        boot(&mut self.bus).unwrap();
        assert!(self.run().is_none(), "no fatal outcome while starting");
        assert!(self.bh.is_started(), "the startup indication was accepted");
        let a = self.recovery.on_input(Input::BootOk, self.now());
        self.act(a);
        self.bus.log_batches = true;
    }

    pub fn now(&self) -> u64 {
        self.clock.0.get()
    }

    /// One pass.
    pub fn pass(&mut self) -> PassReport {
        self.passes += 1;
        let r = self.bh.pass(
            &mut self.bus,
            &self.clock,
            &mut self.cmds,
            &mut self.data,
            &mut self.ev,
        );
        self.max_in_use = self.max_in_use.max(self.bh.flow().in_use());
        assert!(
            self.bh.flow().in_use() <= self.bh.flow().capacity(),
            "the engine never uses more buffers than the chip has"
        );
        r
    }

    /// Runs passes while there is work (the report says more, or the interrupt is
    /// asserted). Returns the fatal outcome, if one ended it.
    pub fn run(&mut self) -> Option<Fatal> {
        if let Some(f) = self.bh.failure() {
            return Some(f);
        }
        for _ in 0..100_000 {
            let r = self.pass();
            if let Some(f) = r.fatal {
                self.fatals.push(f);
                if self.auto_recover {
                    self.recover_from(f);
                }
                return Some(f);
            }
            if !r.more && !self.bus.irq_pending() {
                return None;
            }
            if !r.more {
                self.bus.ack_storm();
            }
        }
        panic!("the BH never went idle");
    }

    /// Submits a command and runs until it is confirmed; returns the confirm.
    pub fn command(&mut self, m: Vec<u8>) -> Result<Vec<u8>, Fatal> {
        let before = self.ev.confirms.len();
        assert!(self.cmds.pending.is_none());
        self.cmds.pending = Some(m);
        if let Some(f) = self.run() {
            return Err(f);
        }
        assert!(self.cmds.pending.is_none(), "the command was sent");
        assert_eq!(self.ev.confirms.len(), before + 1, "one confirm arrived");
        Ok(self.ev.confirms.last().unwrap().clone())
    }

    /// Encodes `m` and runs it as a command.
    pub fn round_trip<'a, M: Message<'a>>(&mut self, m: &M, if_id: u8) -> Result<Vec<u8>, Fatal> {
        self.command(encode(m, if_id))
    }

    /// Moves the clock to `until`, stepping from deadline to deadline (chip timers, the
    /// engine's timeouts, recovery backoff) and servicing the BH at each.
    pub fn advance_to(&mut self, until: u64) -> Option<Fatal> {
        let mut first = None;
        for _ in 0..1_000_000 {
            let now = self.now();
            let next = [
                self.bus.chip.next_deadline(),
                self.bh.next_deadline(),
                self.recovery.next_deadline(),
                Some(until),
            ]
            .into_iter()
            .flatten()
            .filter(|&t| t > now)
            .min()
            .unwrap_or(until)
            .min(until);
            self.clock.0.set(next.max(now));
            self.bus.tick();
            if self.auto_recover {
                let a = self.recovery.poll(self.now());
                self.act(a);
            }
            if let Some(f) = self.run() {
                first.get_or_insert(f);
                if !self.auto_recover {
                    return first;
                }
            }
            if self.now() >= until {
                return first;
            }
        }
        panic!("time stopped");
    }

    /// Advances the clock by `ms`.
    pub fn advance(&mut self, ms: u64) -> Option<Fatal> {
        let t = self.now() + ms * 1000;
        self.advance_to(t)
    }

    /// Feeds a fatal outcome to the recovery machine and carries out its actions.
    pub fn recover_from(&mut self, f: Fatal) {
        let a = self.recovery.on_input(Input::from(f), self.now());
        self.act(a);
    }

    /// Carries out recovery actions.
    pub fn act(&mut self, a: Actions) {
        for action in a.iter() {
            self.actions.push(action);
            match action {
                Action::StopTraffic => {
                    // The shell fails what is in flight; the queued frames stay queued.
                    self.cmds.pending = None;
                }
                Action::ResetChip => {
                    self.bus.card_reset();
                    self.bh.reset();
                }
                Action::DownloadFirmware => {
                    self.bus.log_batches = false;
                    let ok = boot(&mut self.bus).is_ok() && self.run_until_started();
                    self.bus.log_batches = true;
                    let input = if ok { Input::BootOk } else { Input::BootFailed };
                    let next = self.recovery.on_input(input, self.now());
                    self.act(next);
                }
                Action::RestoreConfig => self.restores += 1,
                Action::NotifyUp | Action::NotifyDead => {}
            }
        }
    }

    /// Runs passes until the startup indication is accepted (boot ok) or the pass fails.
    fn run_until_started(&mut self) -> bool {
        for _ in 0..64 {
            let r = self.pass();
            if r.fatal.is_some() {
                return false;
            }
            if self.bh.is_started() {
                return true;
            }
            if !r.more && !self.bus.irq_pending() {
                return false;
            }
        }
        false
    }
}

/// One scripted RX item.
#[derive(Debug, Clone)]
pub struct Item {
    pub reg1: u8,
    pub data: Vec<u8>,
}

/// A chip whose register 0x001 and RX batches are scripted, for inputs the model never
/// produces.
pub struct ScriptBus {
    pub items: VecDeque<Item>,
    /// Register 0x001 while no item is queued.
    pub idle_reg1: u8,
    /// Register 0x000.
    pub ctrl: u8,
    pub reads: Vec<Cmd53>,
    pub writes: Vec<(Cmd53, Vec<u8>)>,
    rx_buf: Vec<u8>,
    tx_buf: Vec<u8>,
}

impl ScriptBus {
    pub fn new(rx_capacity: usize) -> Self {
        Self {
            items: VecDeque::new(),
            idle_reg1: 0,
            ctrl: 1,
            reads: Vec::new(),
            writes: Vec::new(),
            rx_buf: vec![0; rx_capacity],
            tx_buf: vec![0; MAX_TX_BATCH],
        }
    }
}

impl Bus for ScriptBus {
    fn read_reg(&mut self, r: u32) -> Result<u8, BusError> {
        Ok(match r {
            reg::RX_LEN => self.items.front().map_or(self.idle_reg1, |i| i.reg1),
            reg::CTRL => self.ctrl,
            _ => 0,
        })
    }

    fn write_reg(&mut self, _r: u32, _value: u8) -> Result<(), BusError> {
        Ok(())
    }

    fn rx_capacity(&self) -> usize {
        self.rx_buf.len()
    }

    fn read_data(&mut self, cmd: Cmd53) -> Result<&[u8], BusError> {
        self.reads.push(cmd);
        let n = transfer_len(&cmd);
        let buf = self.rx_buf.get_mut(..n).ok_or(BusError::Invalid)?;
        buf.fill(0);
        if let Some(item) = self.items.pop_front() {
            self.idle_reg1 = item.reg1;
            let k = item.data.len().min(n);
            buf[..k].copy_from_slice(&item.data[..k]);
        }
        Ok(&self.rx_buf[..n])
    }

    fn tx_buffer(&mut self) -> &mut [u8] {
        &mut self.tx_buf
    }

    fn write_data(&mut self, cmd: Cmd53) -> Result<(), BusError> {
        let n = transfer_len(&cmd);
        self.writes.push((cmd, self.tx_buf[..n].to_vec()));
        Ok(())
    }
}
