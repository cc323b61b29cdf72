// SPDX-License-Identifier: GPL-2.0

//! Flow control and sequence numbers: the state the bottom half owns
//! (docs/chip-protocol.md, "Flow control", "Sequence numbers").
//!
//! * **Capacity** is `numInpChBufs` from the 0x0801 startup indication; until it arrives
//!   nothing may be sent.
//! * Every host→device message, command or data, occupies one device input buffer until
//!   it is confirmed.
//! * **One buffer is reserved for commands**: data frames may occupy at most
//!   capacity − 1 buffers; a command may take the last one.
//! * **Only one command** may be outstanding (awaiting its confirm).
//! * **Releases**: every 0x04xx confirm frees one buffer — including 0x0404 TX confirm;
//!   0x041E multi-TX confirm frees its record count C (one in the vendor's BH, C − 1 in
//!   its handler); a 0x0Cxx message with handle label 0x0F frees one; indications
//!   (0x08xx, 0x0Cxx label 0xF0) free none.
//! * **Confirm matching**: a 0x04xx confirm other than TX/multi-TX must answer the
//!   outstanding command (`confirm == request | 0x0400`); a 0x0Cxx confirm must carry the
//!   id of the outstanding 0x0Cxx command (the vendor does not check this one).
//! * **Sequence numbers**: two channels (LMAC, MCU), 3 bits each, per direction. TX: the
//!   current value is stamped into each message, then incremented. RX: every message
//!   except 0x0800 (exception) must carry exactly the expected value, which then becomes
//!   received + 1; there is no resynchronisation window, not even for the first message
//!   after start.
//!
//! Every operation checks before it changes anything: an `Err` leaves the state as it
//! was. Counters never wrap or underflow; the only modular arithmetic is the 3-bit
//! sequence number, which is modular by definition.

use core::cell::Cell;
use core::marker::PhantomData;

use super::codec::Reader;
use super::error::{
    Error,
    FlowError, //
};
use super::msg::config::StartupIndication;
use super::msg::tx::{
    MultiTxConfirm,
    TxConfirm, //
};
use super::msg::Message;
use super::wsm_header::{
    self,
    id,
    Channel,
    McuHeader,
    McuLabel,
    MsgClass,
    MsgId,
    Seq,
    MAX_VIFS, //
};

/// What [`FlowControl::admit`] decided about a host→device message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxKind {
    /// A command (any request but 0x0004); it now is the outstanding command.
    Command,
    /// A data frame (0x0004) of interface `if_id`.
    Data {
        /// Interface id from the id word.
        if_id: u8,
    },
}

/// The result of admitting a host→device message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    /// Sequence number stamped into the message.
    pub seq: Seq,
    /// Its sequence channel.
    pub channel: Channel,
    /// Command or data.
    pub kind: TxKind,
}

/// What a received message meant for flow control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// 0x0800 firmware exception: not sequence checked, no state changed. The firmware
    /// is dead; recovery is the caller's business.
    Exception,
    /// An indication (0x08xx or 0x0Cxx with label 0xF0): no buffer released.
    Indication {
        /// Base id.
        id: u16,
    },
    /// The confirm of the outstanding command: one buffer released, the command slot is
    /// free again.
    CommandConfirm {
        /// Base id of the confirm.
        id: u16,
        /// The release crossed the data threshold: data TX may resume.
        wake_tx: bool,
        /// No buffer is in use any more (flush waiters may proceed).
        idle: bool,
    },
    /// A TX confirm (0x0404) or multi-TX confirm (0x041E): `count` buffers released.
    TxConfirm {
        /// Frames confirmed.
        count: u16,
        /// The release crossed the data threshold: data TX may resume.
        wake_tx: bool,
        /// No buffer is in use any more.
        idle: bool,
    },
}

/// Device buffer accounting and sequence numbers.
///
/// This value is the single source of truth for what the chip's flow control depends
/// on, and the bottom-half thread owns it **by value**: it is neither `Clone` nor `Copy`
/// (a copy would be a second, diverging truth), and it is `Send` but deliberately not
/// `Sync` — the `PhantomData<Cell<()>>` marker removes `Sync` — so no `&FlowControl` can
/// be shared with another thread: IRQ handlers, mac80211 callbacks, timers and stop/reset
/// paths cannot read or write it concurrently and must ask the bottom half instead. That
/// turns "the BH is the only writer of the counters" (the vendor driver's races,
/// docs/architecture.md, "The ownership rule") into a compile-time fact.
///
/// ```
/// fn owned_by_a_thread<T: Send>() {}
/// owned_by_a_thread::<bes2600_protocol::flow::FlowControl>();
/// ```
///
/// ```compile_fail
/// fn shared<T: Sync>() {}
/// shared::<bes2600_protocol::flow::FlowControl>();
/// ```
#[derive(Debug)]
pub struct FlowControl {
    capacity: u16,
    used: u16,
    used_vif: [u16; MAX_VIFS],
    tx_seq: PerChannel<Seq>,
    rx_seq: PerChannel<Seq>,
    pending: PerChannel<u16>,
    command: Option<MsgId>,
    _not_sync: PhantomData<Cell<()>>,
}

/// One value per sequence channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PerChannel<T: Copy> {
    lmac: T,
    mcu: T,
}

impl<T: Copy> PerChannel<T> {
    const fn both(v: T) -> Self {
        Self { lmac: v, mcu: v }
    }

    const fn get(&self, ch: Channel) -> T {
        match ch {
            Channel::Lmac => self.lmac,
            Channel::Mcu => self.mcu,
        }
    }

    fn set(&mut self, ch: Channel, v: T) {
        match ch {
            Channel::Lmac => self.lmac = v,
            Channel::Mcu => self.mcu = v,
        }
    }
}

impl Default for FlowControl {
    fn default() -> Self {
        Self::new()
    }
}

impl FlowControl {
    /// The state after probe or WiFi stop: capacity unknown, counters and sequence
    /// numbers zero.
    pub const fn new() -> Self {
        Self {
            capacity: 0,
            used: 0,
            used_vif: [0; MAX_VIFS],
            tx_seq: PerChannel::both(Seq::ZERO),
            rx_seq: PerChannel::both(Seq::ZERO),
            pending: PerChannel::both(0),
            command: None,
            _not_sync: PhantomData,
        }
    }

    /// Back to the [`Self::new`] state (WiFi stop, firmware restart).
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Takes the capacity from the startup indication (which [`Self::on_receive`] has
    /// already sequence-checked). Fails if the indication is invalid or the firmware was
    /// already started.
    pub fn start(&mut self, ind: &StartupIndication) -> Result<(), Error> {
        if self.capacity != 0 {
            return Err(FlowError::AlreadyStarted.into());
        }
        ind.validate()?;
        self.capacity = ind.num_inp_ch_bufs;
        Ok(())
    }

    /// Whether the startup indication was processed.
    pub const fn is_started(&self) -> bool {
        self.capacity != 0
    }

    /// Device input buffers (0 before start).
    pub const fn capacity(&self) -> u16 {
        self.capacity
    }

    /// Buffers in use.
    pub const fn in_use(&self) -> u16 {
        self.used
    }

    /// Data frames in flight for interface `if_id`.
    pub fn in_use_by(&self, if_id: u8) -> Option<u16> {
        self.used_vif.get(usize::from(if_id)).copied()
    }

    /// Messages awaiting a confirm on a channel (drives the per-channel watchdogs).
    pub const fn pending(&self, ch: Channel) -> u16 {
        self.pending.get(ch)
    }

    /// Base id of the outstanding command, if any.
    pub fn outstanding_command(&self) -> Option<u16> {
        self.command.map(|c| c.base())
    }

    /// The next TX sequence number of a channel.
    pub const fn next_tx_seq(&self, ch: Channel) -> Seq {
        self.tx_seq.get(ch)
    }

    /// The RX sequence number expected next on a channel.
    pub const fn expected_rx_seq(&self, ch: Channel) -> Seq {
        self.rx_seq.get(ch)
    }

    /// Whether a command could be admitted now.
    pub const fn can_send_command(&self) -> bool {
        self.capacity != 0 && self.used < self.capacity && self.command.is_none()
    }

    /// Data frames that could be admitted now (capacity − 1 − in use).
    pub const fn data_budget(&self) -> u16 {
        self.capacity.saturating_sub(1).saturating_sub(self.used)
    }

    /// Whether no buffer is in use.
    pub const fn is_idle(&self) -> bool {
        self.used == 0
    }

    /// Admits a command with id `id`: takes a buffer and the command slot and returns
    /// the sequence number to stamp.
    pub fn admit_command(&mut self, id: MsgId) -> Result<Seq, Error> {
        match id.class() {
            MsgClass::Request | MsgClass::Mcu => {}
            _ => return Err(FlowError::NotARequest { id: id.base() }.into()),
        }
        if self.capacity == 0 {
            return Err(FlowError::NotStarted.into());
        }
        if self.command.is_some() {
            return Err(FlowError::CommandPending.into());
        }
        if self.used >= self.capacity {
            return Err(FlowError::NoBuffer.into());
        }
        let ch = id.channel();
        let pending = self
            .pending
            .get(ch)
            .checked_add(1)
            .ok_or(FlowError::NoBuffer)?;
        let seq = self.tx_seq.get(ch);
        self.used += 1;
        self.pending.set(ch, pending);
        self.tx_seq.set(ch, seq.next());
        self.command = Some(MsgId::from_raw(id.raw() & !wsm_header::SEQ_MASK));
        Ok(seq)
    }

    /// Admits a data frame of interface `if_id`: takes a buffer unless that would touch
    /// the one reserved for commands, and returns the sequence number to stamp.
    pub fn admit_data(&mut self, if_id: u8) -> Result<Seq, Error> {
        let vif = usize::from(if_id);
        let used_vif = *self
            .used_vif
            .get(vif)
            .ok_or(FlowError::BadInterface { if_id })?;
        if self.capacity == 0 {
            return Err(FlowError::NotStarted.into());
        }
        if self.data_budget() == 0 {
            return Err(FlowError::DataLimit.into());
        }
        let ch = Channel::Lmac;
        let pending = self
            .pending
            .get(ch)
            .checked_add(1)
            .ok_or(FlowError::NoBuffer)?;
        let used_vif = used_vif.checked_add(1).ok_or(FlowError::NoBuffer)?;
        let seq = self.tx_seq.get(ch);
        self.used += 1;
        if let Some(v) = self.used_vif.get_mut(vif) {
            *v = used_vif;
        }
        self.pending.set(ch, pending);
        self.tx_seq.set(ch, seq.next());
        Ok(seq)
    }

    /// Admits the message at the start of `msg` (0x0004 is data, any other request a
    /// command) and stamps its sequence number into it.
    pub fn admit(&mut self, msg: &mut [u8]) -> Result<Admitted, Error> {
        let (h, _, _) = wsm_header::split(msg)?;
        let kind = if h.id.base() == id::TX {
            TxKind::Data {
                if_id: h.id.if_id(),
            }
        } else {
            TxKind::Command
        };
        let seq = match kind {
            TxKind::Data { if_id } => self.admit_data(if_id)?,
            TxKind::Command => self.admit_command(h.id)?,
        };
        // Cannot fail: the header was parsed from the same bytes above.
        wsm_header::stamp_seq(msg, seq)?;
        Ok(Admitted {
            seq,
            channel: h.id.channel(),
            kind,
        })
    }

    /// Forgets the outstanding command after its caller gave up waiting. Its buffer stays
    /// in use (the firmware still holds it); a late confirm will be rejected as
    /// unexpected. Returns the forgotten base id.
    pub fn abandon_command(&mut self) -> Option<u16> {
        self.command.take().map(|c| c.base())
    }

    /// Accepts the next RX sequence number of a channel as `next` (wfx-style
    /// resynchronisation after a reported [`Error::Sequence`], if the caller chooses to
    /// tolerate it).
    pub fn resync_rx(&mut self, ch: Channel, next: Seq) {
        self.rx_seq.set(ch, next);
    }

    /// Processes one received message (exactly as split from an RX batch): checks its
    /// sequence number, releases buffers for confirms and matches command confirms.
    pub fn on_receive(&mut self, msg: &[u8]) -> Result<Received, Error> {
        let (h, payload, _) = wsm_header::split(msg)?;
        let base = h.id.base();
        if base == id::EXCEPTION {
            return Ok(Received::Exception);
        }
        let ch = h.id.channel();
        let expected = self.rx_seq.get(ch);
        if h.id.seq() != expected {
            return Err(Error::Sequence {
                channel: ch,
                expected: expected.value(),
                found: h.id.seq().value(),
            });
        }

        enum Release {
            None,
            Command,
            Tx,
        }
        let mut vif = self.used_vif;
        let mut release: u16 = 1;
        let what = match h.id.class() {
            MsgClass::Indication => Release::None,
            MsgClass::Request => {
                return Err(Error::InvalidField {
                    field: "device message class",
                    value: u32::from(base),
                })
            }
            MsgClass::Mcu => match McuHeader::read(&mut Reader::new(payload))?.label {
                McuLabel::Indication => Release::None,
                McuLabel::Confirm => Release::Command,
                McuLabel::Other(v) => {
                    return Err(Error::InvalidField {
                        field: "mcu handle label",
                        value: v,
                    })
                }
            },
            MsgClass::Confirm => match base {
                id::TX_CONFIRM => {
                    let c = TxConfirm::decode_payload(payload)?;
                    Self::release_vif(&mut vif, &c)?;
                    Release::Tx
                }
                id::MULTI_TX_CONFIRM => {
                    let m = MultiTxConfirm::decode_payload(payload)?;
                    release = u16::try_from(m.count()).map_err(|_| FlowError::Underflow {
                        in_use: self.used,
                        release: u16::MAX,
                    })?;
                    for c in m.iter() {
                        Self::release_vif(&mut vif, &c)?;
                    }
                    Release::Tx
                }
                _ => Release::Command,
            },
        };

        let result = match what {
            Release::None => {
                self.rx_seq.set(ch, expected.next());
                return Ok(Received::Indication { id: base });
            }
            Release::Command => {
                let want = self.command.map(|c| c.confirm_base());
                if want != Some(base) {
                    return Err(FlowError::UnexpectedConfirm {
                        confirm: base,
                        pending: self.command.map(|c| c.base()),
                    }
                    .into());
                }
                Received::CommandConfirm {
                    id: base,
                    wake_tx: false,
                    idle: false,
                }
            }
            Release::Tx => Received::TxConfirm {
                count: release,
                wake_tx: false,
                idle: false,
            },
        };

        let used = self.used.checked_sub(release).ok_or(FlowError::Underflow {
            in_use: self.used,
            release,
        })?;
        let pending = self
            .pending
            .get(ch)
            .checked_sub(release)
            .ok_or(FlowError::Underflow {
                in_use: self.pending.get(ch),
                release,
            })?;
        let wake_tx = self.used >= self.capacity.saturating_sub(1);
        let idle = used == 0;

        // Commit.
        self.rx_seq.set(ch, expected.next());
        self.used = used;
        self.pending.set(ch, pending);
        self.used_vif = vif;
        Ok(match result {
            Received::CommandConfirm { id, .. } => {
                self.command = None;
                Received::CommandConfirm { id, wake_tx, idle }
            }
            Received::TxConfirm { count, .. } => Received::TxConfirm {
                count,
                wake_tx,
                idle,
            },
            other => other,
        })
    }

    fn release_vif(vif: &mut [u16; MAX_VIFS], c: &TxConfirm) -> Result<(), Error> {
        let if_id = c.packet_id.if_id();
        let slot = vif
            .get_mut(usize::from(if_id))
            .ok_or(FlowError::BadInterface { if_id })?;
        *slot = slot
            .checked_sub(1)
            .ok_or(FlowError::VifUnderflow { if_id })?;
        Ok(())
    }
}
