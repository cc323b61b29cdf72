// SPDX-License-Identifier: GPL-2.0

//! A host for the tests: the virtual SDIO host's register and RX-queue semantics
//! (ABI.md) in front of the chip, plus a minimal driver built from `bes2600-protocol`
//! (downloader, toggles, flow control, TX batch builder, RX batch parser), all talking
//! through the in-process [`FakeTransport`] and a [`FakeAir`].

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};

use bes2600_chip_model::air::{AirRx, FakeAir};
use bes2600_chip_model::chip::{Calibration, Chip, ChipConfig};
use bes2600_chip_model::firmware::FwConfig;
use bes2600_chip_model::runtime::pump;
use bes2600_chip_model::transport::{FakeTransport, HostMsg, ModelMsg};
use bes2600_protocol::boot_frame::{BootReply, Downloader, FirmwareImage};
use bes2600_protocol::flow::FlowControl;
use bes2600_protocol::msg::config::StartupIndication;
use bes2600_protocol::msg::{self, Message};
use bes2600_protocol::sdio_framing::{
    reg, Doorbell, LengthReg, RxBatch, RxPoll, Toggles, TxBatchBuilder, TxOptions,
};
use bes2600_protocol::wsm_header::{self, Header};

/// The chip's MAC in tests.
pub const CHIP_MAC: [u8; 6] = [0x02, 0xBE, 0x57, 0x26, 0x00, 0x01];
/// The AP's BSSID in tests.
pub const AP: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x00];

/// A chip config for tests: calibration off unless asked, small capacity.
pub fn config(buffers: u16) -> ChipConfig {
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
pub fn firmware_file(load: u32, size: usize, salt: u8) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0x1000_0001u32.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&0x2000_8000u32.to_le_bytes());
    f.extend_from_slice(&load.to_le_bytes());
    f.extend((0..size).map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt)));
    f.extend_from_slice(&load.to_le_bytes());
    f
}

pub struct Host {
    pub chip: Chip,
    pub t: FakeTransport,
    pub air: FakeAir,
    pub now: u64,
    pub regs: HashMap<u32, u8>,
    /// RX items: registers 0x000/0x001 while the head, the same once consumed, the data.
    pub rxq: VecDeque<([u8; 2], [u8; 2], Vec<u8>)>,
    /// FAULT / TIMING / IRQ / CARD_PRESENT messages the chip sent.
    pub control: Vec<ModelMsg>,
    /// The `WRITE_DONE` numbers the chip sent, in order.
    pub write_acks: Vec<u32>,
    /// Every `SET_REG` the chip sent, in order.
    pub set_regs: Vec<(u32, u8)>,
    pub toggles: Toggles,
    pub flow: FlowControl,
    pub flow_errors: Vec<bes2600_protocol::error::Error>,
}

impl Host {
    pub fn new(cfg: ChipConfig) -> Self {
        let mut h = Self {
            chip: Chip::new(cfg),
            t: FakeTransport::default(),
            air: FakeAir::default(),
            now: 0,
            regs: HashMap::new(),
            rxq: VecDeque::new(),
            control: Vec::new(),
            write_acks: Vec::new(),
            set_regs: Vec::new(),
            toggles: Toggles::new(),
            flow: FlowControl::new(),
            flow_errors: Vec::new(),
        };
        h.pump();
        h
    }

    pub fn pump(&mut self) {
        pump(&mut self.chip, &mut self.t, &mut self.air, self.now).unwrap();
        for m in self.t.take() {
            match m {
                ModelMsg::SetReg { reg, value } => {
                    self.regs.insert(reg, value);
                    self.set_regs.push((reg, value));
                }
                ModelMsg::RxQueue {
                    reg0,
                    reg1,
                    idle0,
                    idle1,
                    data,
                } => self.rxq.push_back(([reg0, reg1], [idle0, idle1], data)),
                ModelMsg::WriteDone(n) => self.write_acks.push(n),
                other => self.control.push(other),
            }
        }
    }

    pub fn violations(&self) -> u64 {
        self.chip.stats.violations()
    }

    pub fn advance(&mut self, ms: u64) {
        // Step in 1 ms so timers fire at their time.
        for _ in 0..ms {
            self.now += 1000;
            self.chip.tick(self.now, &mut self.air);
            self.pump();
        }
    }

    pub fn read_reg(&self, r: u32) -> u8 {
        if r <= 1 {
            if let Some((head, _, _)) = self.rxq.front() {
                return head[r as usize];
            }
        }
        self.regs.get(&r).copied().unwrap_or(0)
    }

    pub fn cmd52(&mut self, r: u32, v: u8) {
        self.t.push(&HostMsg::Cmd52Write { reg: r, value: v });
        self.pump();
    }

    pub fn cmd53_write(&mut self, addr: u32, mut data: Vec<u8>) {
        let block = data.len() > 512;
        let blocks = if block { data.len().div_ceil(512) } else { 0 };
        if block {
            data.resize(blocks * 512, 0);
        }
        self.t.push(&HostMsg::Cmd53Write {
            addr,
            block_mode: block,
            blocks: blocks as u16,
            data,
        });
        self.pump();
    }

    pub fn cmd53_read(&mut self, addr: u32, len: usize) -> Option<Vec<u8>> {
        let (_, idle, data) = self.rxq.pop_front()?;
        // The read sets the item's idle values of 0x000/0x001 (ABI.md `RX_QUEUE`).
        self.regs.insert(0, idle[0]);
        self.regs.insert(1, idle[1]);
        self.t.push(&HostMsg::RxConsumed {
            addr,
            bytes: len as u32,
        });
        self.pump();
        let mut d = data;
        d.resize(len, 0);
        Some(d)
    }

    /// One boot request/reply exchange; returns the reply.
    pub fn boot_exchange(&mut self, frame: Vec<u8>, toggle: bool) -> BootReply {
        let len = frame.len() as u32;
        self.cmd53_write(len | (u32::from(toggle) << 16), frame);
        let r = u16::from_le_bytes([self.read_reg(0), self.read_reg(1)]) as usize;
        assert!(r > 0, "no boot reply announced");
        let d = self.cmd53_read(r as u32, r).expect("reply queued");
        BootReply::parse(&d).unwrap()
    }

    /// Downloads a payload with the protocol crate's downloader.
    pub fn download(
        &mut self,
        payload: &[u8],
        addr: u32,
        run: bool,
    ) -> Result<(), bes2600_protocol::error::Error> {
        let mut dl = Downloader::new(payload, addr, run);
        let mut buf = vec![0u8; 70000];
        loop {
            let m = u16::from_le_bytes([
                self.read_reg(reg::BOOT_MAX_LEN),
                self.read_reg(reg::BOOT_MAX_LEN + 1),
            ]);
            let Some((seq, req)) = dl.next_request(m)? else {
                return Ok(());
            };
            let n = req.encode(seq, &mut buf)?;
            let reply = self.boot_exchange(buf[..n].to_vec(), false);
            let mut rb = [0u8; 8];
            reply.encode(&mut rb)?;
            dl.on_reply(&rb)?;
        }
    }

    pub fn boot_image(&mut self, file: &[u8]) {
        let img = FirmwareImage::parse(file).unwrap();
        self.download(img.payload, img.load_addr(), true).unwrap();
    }

    /// Rings the doorbell with `bits`.
    pub fn doorbell(&mut self, bits: u16) {
        for (r, v) in Doorbell::ring(bits).writes() {
            self.cmd52(r, v);
        }
    }

    /// WIFI_ACTIVE handshake; then reads the startup indication.
    pub fn activate(&mut self) -> StartupIndication {
        self.doorbell(Doorbell::WIFI_ACTIVE);
        assert!(self.read_reg(reg::SLAVE_STATUS) & 0x04 != 0, "WIFI_READY");
        self.toggles.reset();
        self.flow.reset();
        let msgs = self.poll_rx();
        let (_, ind) = msg::decode::<StartupIndication>(&msgs[0]).unwrap();
        self.flow.start(&ind).unwrap();
        ind
    }

    /// Boots a WiFi image with calibration off and activates WiFi.
    pub fn bring_up(&mut self) -> StartupIndication {
        self.boot_image(&firmware_file(0x0020_0000, 3000, 1));
        self.activate()
    }

    /// Reads every announced RX batch; returns the messages, feeding them to flow control
    /// (errors are collected in `flow_errors`).
    pub fn poll_rx(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for _ in 0..64 {
            let r1 = LengthReg::from_byte(self.read_reg(reg::RX_LEN));
            match self.toggles.accept_length(r1) {
                RxPoll::Batch(len) => {
                    let t = self.toggles.take_rx();
                    let data = self
                        .cmd53_read(len as u32 | (u32::from(t) << 16), len)
                        .expect("batch queued");
                    let batch = RxBatch::parse(&data, len).expect("valid RX batch");
                    for m in batch.iter() {
                        if let Err(e) = self.flow.on_receive(m) {
                            self.flow_errors.push(e);
                        }
                        out.push(m.to_vec());
                    }
                }
                RxPoll::Stale | RxPoll::Empty => break,
            }
        }
        out
    }

    /// Reads the raw head RX item as announced (no parsing).
    pub fn read_raw_batch(&mut self) -> Option<(LengthReg, Vec<u8>)> {
        let r1 = LengthReg::from_byte(self.read_reg(reg::RX_LEN));
        match self.toggles.accept_length(r1) {
            RxPoll::Batch(len) => {
                let t = self.toggles.take_rx();
                let d = self.cmd53_read(len as u32 | (u32::from(t) << 16), len)?;
                Some((r1, d))
            }
            _ => None,
        }
    }

    /// Admits (stamps) and sends messages as one TX batch.
    pub fn send(&mut self, msgs: Vec<Vec<u8>>) {
        let mut stamped = Vec::new();
        for mut m in msgs {
            self.flow.admit(&mut m).expect("flow control admits");
            stamped.push(m);
        }
        self.send_raw(stamped, None);
    }

    /// Sends messages as they are, with the right toggle unless `toggle` overrides it.
    pub fn send_raw(&mut self, msgs: Vec<Vec<u8>>, toggle: Option<bool>) {
        let mut buf = vec![0u8; bes2600_protocol::sdio_framing::MAX_TX_BATCH];
        let mut b = TxBatchBuilder::new(&mut buf, TxOptions::default());
        for m in &msgs {
            b.push(m, self.now as u32).expect("fits the batch");
        }
        let batch = b.finish().unwrap();
        let t = self.toggles.take_tx();
        let t = toggle.unwrap_or(t);
        let addr = batch.address(t).to_field();
        let data = buf[..batch.transfer_len()].to_vec();
        self.t.push(&HostMsg::Cmd53Write {
            addr,
            block_mode: true,
            blocks: batch.blocks() as u16,
            data,
        });
        self.pump();
    }

    /// Sends one command and returns the messages that came back.
    pub fn command<'a, M: Message<'a>>(&mut self, m: &M, if_id: u8) -> Vec<Vec<u8>> {
        let mut buf = vec![0u8; 4096];
        let n = msg::encode(m, if_id, &mut buf).unwrap();
        self.send(vec![buf[..n].to_vec()]);
        self.poll_rx()
    }

    /// Delivers a frame over the air on `freq`.
    pub fn air_rx(&mut self, freq: u32, frame: Vec<u8>) -> bool {
        let ack = self.chip.air_rx(
            self.now,
            &AirRx {
                freq,
                frame,
                signal: -40,
                rate: 6,
            },
            &mut self.air,
        );
        self.pump();
        ack
    }
}

/// Base id of a message.
pub fn base(m: &[u8]) -> u16 {
    Header::parse(m).unwrap().id.base()
}

/// Finds the first message with base id `id`.
pub fn find(msgs: &[Vec<u8>], id: u16) -> Option<&Vec<u8>> {
    msgs.iter().find(|m| base(m) == id)
}

/// Sequence number of a message.
pub fn seq(m: &[u8]) -> u8 {
    Header::parse(m).unwrap().id.seq().value()
}

/// A beacon from `bssid` with SSID `ssid` on channel `ch`.
pub fn beacon(bssid: [u8; 6], ssid: &[u8], ch: u8) -> Vec<u8> {
    let mut f = vec![0x80, 0, 0, 0];
    f.extend_from_slice(&[0xFF; 6]);
    f.extend_from_slice(&bssid);
    f.extend_from_slice(&bssid);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&[0; 8]); // timestamp
    f.extend_from_slice(&100u16.to_le_bytes());
    f.extend_from_slice(&0x0401u16.to_le_bytes());
    f.push(0);
    f.push(ssid.len() as u8);
    f.extend_from_slice(ssid);
    f.extend_from_slice(&[1, 1, 0x82, 3, 1, ch]);
    f
}

/// A data frame from the AP to `da` with `body`.
pub fn data_from_ap(da: [u8; 6], body: &[u8]) -> Vec<u8> {
    let mut f = vec![0x08, 0x02, 0, 0];
    f.extend_from_slice(&da);
    f.extend_from_slice(&AP);
    f.extend_from_slice(&AP);
    f.extend_from_slice(&[0x10, 0]);
    f.extend_from_slice(body);
    f
}

/// Checks that `wsm_header::split` accepts the message (a sanity helper).
pub fn valid(m: &[u8]) -> bool {
    wsm_header::split(m).is_ok()
}
