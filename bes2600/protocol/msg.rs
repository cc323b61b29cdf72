// SPDX-License-Identifier: GPL-2.0

//! Typed WSM messages: one type per message, encoders and decoders for both directions.
//!
//! Every message type implements [`Message`]: its base id, a payload encoder and a payload
//! decoder. [`encode`] adds the WSM header (length, id with interface bits, sequence 0 —
//! the bottom half stamps the sequence number with [`super::wsm_header::stamp_seq`] just before
//! sending); [`decode`] checks the header and the id and decodes the payload. These, with
//! [`Status`] and [`MacAddr`], are defined in [`super::wsm_message`], below both this module
//! and [`super::mib`] (whose read and write requests are messages too), and re-exported here.
//!
//! Decoders of device→host messages accept trailing bytes after the fields they know (the
//! firmware has grown fields over time, e.g. the RX indication); decoders never read past
//! the WSM length. Non-zero firmware status codes are *not* errors at this layer: they are
//! returned in a [`Status`] for the caller to judge.
//!
//! [`decode_device_message`] dispatches any device→host message (what the driver receives),
//! [`decode_host_message`] any host→device message (what the emulated chip receives).

pub mod config;
pub mod event;
pub mod join;
pub mod key;
pub mod mcu;
pub mod misc;
pub mod pm;
pub mod queue;
pub mod rx;
pub mod scan;
pub mod tx;

use super::codec::{
    Reader,
    Writer, //
};
use super::error::Error;
use super::mib::{
    ReadMib,
    ReadMibConfirm,
    WriteMib, //
};
use super::wsm_header::{
    self,
    id,
    Header,
    McuHeader,
    MsgClass, //
};
pub use super::wsm_message::{
    decode,
    encode,
    MacAddr,
    Message,
    Status, //
};

/// A confirm carrying only a status word: the answer to most requests.
///
/// `ID` is the confirm id (e.g. `0x0407`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GenericConfirm<const ID: u16> {
    /// Firmware status.
    pub status: Status,
}

impl<'a, const ID: u16> Message<'a> for GenericConfirm<ID> {
    const ID: u16 = ID;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u32(self.status.0)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        Ok(Self {
            status: Status(Reader::new(payload).u32()?),
        })
    }
}

/// Confirm of 0x0006 write MIB.
pub type WriteMibConfirm = GenericConfirm<{ id::WRITE_MIB_CONFIRM }>;
/// Confirm of 0x0007 start scan.
pub type StartScanConfirm = GenericConfirm<{ id::START_SCAN_CONFIRM }>;
/// Confirm of 0x0008 stop scan.
pub type StopScanConfirm = GenericConfirm<{ id::STOP_SCAN_CONFIRM }>;
/// Confirm of 0x000A reset.
pub type ResetConfirm = GenericConfirm<{ id::RESET_CONFIRM }>;
/// Confirm of 0x000C add key.
pub type AddKeyConfirm = GenericConfirm<{ id::ADD_KEY_CONFIRM }>;
/// Confirm of 0x000D remove key.
pub type RemoveKeyConfirm = GenericConfirm<{ id::REMOVE_KEY_CONFIRM }>;
/// Confirm of 0x0010 set PM.
pub type SetPmConfirm = GenericConfirm<{ id::SET_PM_CONFIRM }>;
/// Confirm of 0x0011 set BSS params.
pub type SetBssParamsConfirm = GenericConfirm<{ id::SET_BSS_PARAMS_CONFIRM }>;
/// Confirm of 0x0012 set TX queue params.
pub type SetTxQueueParamsConfirm = GenericConfirm<{ id::SET_TX_QUEUE_PARAMS_CONFIRM }>;
/// Confirm of 0x0013 set EDCA params.
pub type SetEdcaParamsConfirm = GenericConfirm<{ id::SET_EDCA_PARAMS_CONFIRM }>;
/// Confirm of 0x0016 switch channel.
pub type SwitchChannelConfirm = GenericConfirm<{ id::SWITCH_CHANNEL_CONFIRM }>;
/// Confirm of 0x0017 start.
pub type StartConfirm = GenericConfirm<{ id::START_CONFIRM }>;
/// Confirm of 0x001B update IE.
pub type UpdateIeConfirm = GenericConfirm<{ id::UPDATE_IE_CONFIRM }>;
/// Confirm of 0x001C map link.
pub type MapLinkConfirm = GenericConfirm<{ id::MAP_LINK_CONFIRM }>;
/// Confirm of 0x0024 sleep control.
pub type SleepCtrlConfirm = GenericConfirm<{ id::SLEEP_CTRL_CONFIRM }>;
/// Confirm of 0x0029 EPTA.
pub type EptaConfirm = GenericConfirm<{ id::EPTA_CONFIRM }>;

/// An SSID: up to 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ssid {
    len: u8,
    bytes: [u8; 32],
}

impl Ssid {
    /// Largest SSID length.
    pub const MAX_LEN: usize = 32;

    /// An SSID from its bytes (at most 32).
    pub fn new(ssid: &[u8]) -> Result<Self, Error> {
        let mut bytes = [0u8; 32];
        bytes
            .get_mut(..ssid.len())
            .ok_or(Error::TooMany {
                field: "ssid",
                count: ssid.len(),
                max: Self::MAX_LEN,
            })?
            .copy_from_slice(ssid);
        Ok(Self {
            len: ssid.len() as u8,
            bytes,
        })
    }

    /// An SSID from a wire length and the 32-byte wire field (bytes after `len` are kept
    /// as received).
    pub fn from_wire(len: u32, bytes: [u8; 32]) -> Result<Self, Error> {
        if len > 32 {
            return Err(Error::InvalidField {
                field: "ssid length",
                value: len,
            });
        }
        Ok(Self {
            len: len as u8,
            bytes,
        })
    }

    /// The SSID bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Length in bytes.
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the SSID is empty (broadcast).
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The raw 32-byte wire field.
    pub const fn wire_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

/// Any device→host message (what the driver's bottom half receives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceMessage<'a> {
    /// 0x0800 firmware exception.
    Exception(event::Exception),
    /// 0x0801 startup indication.
    Startup(config::StartupIndication),
    /// 0x0804 receive indication.
    Rx(rx::RxIndication<'a>),
    /// 0x0805 event.
    Event(event::Event),
    /// 0x0806 scan complete.
    ScanComplete(scan::ScanComplete),
    /// 0x0809 PM mode changed.
    SetPm(pm::SetPmIndication),
    /// 0x080A channel switch done.
    SwitchChannelDone(join::SwitchChannelIndication),
    /// 0x080C suspend/resume TX.
    SuspendResume(event::SuspendResume),
    /// 0x0404 TX confirm.
    TxConfirm(tx::TxConfirm),
    /// 0x041E multi-TX confirm.
    MultiTxConfirm(tx::MultiTxConfirm<'a>),
    /// 0x0405 read MIB confirm.
    ReadMibConfirm(ReadMibConfirm<'a>),
    /// 0x0409 configuration confirm.
    ConfigurationConfirm(config::ConfigurationConfirm),
    /// 0x040B join confirm.
    JoinConfirm(join::JoinConfirm),
    /// Any other 0x04xx confirm: only the status word is defined.
    Confirm {
        /// Base id of the confirm.
        id: u16,
        /// Firmware status.
        status: Status,
    },
    /// A 0x0Cxx MCU-channel message (confirm or indication by its label).
    Mcu {
        /// Base id.
        id: u16,
        /// The MCU header.
        header: McuHeader,
        /// Bytes after the 16-byte MCU header.
        payload: &'a [u8],
    },
    /// An indication the driver ignores (0x0808, 0x080B, 0x080F) or an unknown id.
    Other {
        /// Base id.
        id: u16,
        /// Payload bytes.
        payload: &'a [u8],
    },
}

/// Decodes any device→host message at the start of `buf`.
pub fn decode_device_message(buf: &[u8]) -> Result<(Header, DeviceMessage<'_>), Error> {
    let (h, payload, _) = wsm_header::split(buf)?;
    let base = h.id.base();
    let m = match base {
        id::EXCEPTION => DeviceMessage::Exception(Message::decode_payload(payload)?),
        id::STARTUP => DeviceMessage::Startup(Message::decode_payload(payload)?),
        id::RX => DeviceMessage::Rx(Message::decode_payload(payload)?),
        id::EVENT => DeviceMessage::Event(Message::decode_payload(payload)?),
        id::SCAN_COMPLETE => DeviceMessage::ScanComplete(Message::decode_payload(payload)?),
        id::SET_PM_INDICATION => DeviceMessage::SetPm(Message::decode_payload(payload)?),
        id::SWITCH_CHANNEL_INDICATION => {
            DeviceMessage::SwitchChannelDone(Message::decode_payload(payload)?)
        }
        id::SUSPEND_RESUME => DeviceMessage::SuspendResume(Message::decode_payload(payload)?),
        id::TX_CONFIRM => DeviceMessage::TxConfirm(Message::decode_payload(payload)?),
        id::MULTI_TX_CONFIRM => DeviceMessage::MultiTxConfirm(Message::decode_payload(payload)?),
        id::READ_MIB_CONFIRM => DeviceMessage::ReadMibConfirm(Message::decode_payload(payload)?),
        id::CONFIGURATION_CONFIRM => {
            DeviceMessage::ConfigurationConfirm(Message::decode_payload(payload)?)
        }
        id::JOIN_CONFIRM => DeviceMessage::JoinConfirm(Message::decode_payload(payload)?),
        _ => match h.id.class() {
            MsgClass::Confirm => DeviceMessage::Confirm {
                id: base,
                status: Status(Reader::new(payload).u32()?),
            },
            MsgClass::Mcu => {
                let mut r = Reader::new(payload);
                let header = McuHeader::read(&mut r)?;
                DeviceMessage::Mcu {
                    id: base,
                    header,
                    payload: r.rest(),
                }
            }
            _ => DeviceMessage::Other { id: base, payload },
        },
    };
    Ok((h, m))
}

/// Any host→device message (what the emulated chip receives).
#[expect(
    clippy::large_enum_variant,
    reason = "decoded on the emulated chip's side, where a scan request on the stack is fine"
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostMessage<'a> {
    /// 0x0004 TX request.
    Tx(tx::TxRequest<'a>),
    /// 0x0005 read MIB.
    ReadMib(ReadMib),
    /// 0x0006 write MIB.
    WriteMib(WriteMib<'a>),
    /// 0x0007 start scan.
    StartScan(scan::StartScan),
    /// 0x0008 stop scan.
    StopScan,
    /// 0x0009 configuration.
    Configuration(config::Configuration<'a>),
    /// 0x000A reset.
    Reset(join::Reset),
    /// 0x000B join.
    Join(join::Join),
    /// 0x000C add key.
    AddKey(key::AddKey),
    /// 0x000D remove key.
    RemoveKey(key::RemoveKey),
    /// 0x0010 set PM.
    SetPm(pm::SetPm),
    /// 0x0011 set BSS params.
    SetBssParams(join::SetBssParams),
    /// 0x0012 set TX queue params.
    SetTxQueueParams(queue::SetTxQueueParams),
    /// 0x0013 set EDCA params.
    SetEdcaParams(queue::SetEdcaParams),
    /// 0x0016 switch channel.
    SwitchChannel(join::SwitchChannel),
    /// 0x0017 start.
    Start(join::Start),
    /// 0x001B update IE.
    UpdateIe(misc::UpdateIe<'a>),
    /// 0x001C map link.
    MapLink(join::MapLink),
    /// 0x0024 sleep control.
    SleepCtrl(misc::SleepCtrl),
    /// 0x0029 EPTA parameters.
    Epta(misc::Epta),
    /// 0x0C27 driver→MCU command.
    McuCommand(mcu::McuCommand<'a>),
    /// Anything else.
    Other {
        /// Base id.
        id: u16,
        /// Payload bytes.
        payload: &'a [u8],
    },
}

/// Decodes any host→device message at the start of `buf`.
pub fn decode_host_message(buf: &[u8]) -> Result<(Header, HostMessage<'_>), Error> {
    let (h, payload, _) = wsm_header::split(buf)?;
    let base = h.id.base();
    let m = match base {
        id::TX => HostMessage::Tx(Message::decode_payload(payload)?),
        id::READ_MIB => HostMessage::ReadMib(Message::decode_payload(payload)?),
        id::WRITE_MIB => HostMessage::WriteMib(Message::decode_payload(payload)?),
        id::START_SCAN => HostMessage::StartScan(Message::decode_payload(payload)?),
        id::STOP_SCAN => HostMessage::StopScan,
        id::CONFIGURATION => HostMessage::Configuration(Message::decode_payload(payload)?),
        id::RESET => HostMessage::Reset(Message::decode_payload(payload)?),
        id::JOIN => HostMessage::Join(Message::decode_payload(payload)?),
        id::ADD_KEY => HostMessage::AddKey(Message::decode_payload(payload)?),
        id::REMOVE_KEY => HostMessage::RemoveKey(Message::decode_payload(payload)?),
        id::SET_PM => HostMessage::SetPm(Message::decode_payload(payload)?),
        id::SET_BSS_PARAMS => HostMessage::SetBssParams(Message::decode_payload(payload)?),
        id::SET_TX_QUEUE_PARAMS => HostMessage::SetTxQueueParams(Message::decode_payload(payload)?),
        id::SET_EDCA_PARAMS => HostMessage::SetEdcaParams(Message::decode_payload(payload)?),
        id::SWITCH_CHANNEL => HostMessage::SwitchChannel(Message::decode_payload(payload)?),
        id::START => HostMessage::Start(Message::decode_payload(payload)?),
        id::UPDATE_IE => HostMessage::UpdateIe(Message::decode_payload(payload)?),
        id::MAP_LINK => HostMessage::MapLink(Message::decode_payload(payload)?),
        id::SLEEP_CTRL => HostMessage::SleepCtrl(Message::decode_payload(payload)?),
        id::EPTA => HostMessage::Epta(Message::decode_payload(payload)?),
        id::MCU_COMMAND => HostMessage::McuCommand(Message::decode_payload(payload)?),
        _ => HostMessage::Other { id: base, payload },
    };
    Ok((h, m))
}

/// Messages without payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Empty<const ID: u16>;

impl<'a, const ID: u16> Message<'a> for Empty<ID> {
    const ID: u16 = ID;

    fn encode_payload(&self, _w: &mut Writer<'_>) -> Result<(), Error> {
        Ok(())
    }

    fn decode_payload(_payload: &'a [u8]) -> Result<Self, Error> {
        Ok(Self)
    }
}
