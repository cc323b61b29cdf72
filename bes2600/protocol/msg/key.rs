// SPDX-License-Identifier: GPL-2.0

//! Keys: 0x000C add key and 0x000D remove key (docs/chip-protocol.md, "Keys").
//!
//! The add-key payload is always 44 bytes: u8 type, u8 entry index, u16 0, then a
//! 40-byte zero-padded union whose layout depends on the type.

use super::super::codec::{
    Reader,
    Writer, //
};
use super::super::error::Error;
use super::super::wsm_header::id;
use super::{
    MacAddr,
    Message, //
};

/// Size of the key union.
pub const KEY_UNION_LEN: usize = 40;

/// Size of the add-key payload.
pub const ADD_KEY_LEN: usize = 4 + KEY_UNION_LEN;

/// Largest key entry index the vendor driver allocates.
pub const MAX_ENTRY_INDEX: u8 = 10;

/// A WEP key of up to 16 bytes (5 or 13 in practice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WepKey {
    len: u8,
    data: [u8; 16],
}

impl WepKey {
    /// A key from its bytes (at most 16).
    pub fn new(key: &[u8]) -> Result<Self, Error> {
        let mut data = [0u8; 16];
        data.get_mut(..key.len())
            .ok_or(Error::TooMany {
                field: "wep key",
                count: key.len(),
                max: 16,
            })?
            .copy_from_slice(key);
        Ok(Self {
            len: key.len() as u8,
            data,
        })
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.data.get(..usize::from(self.len)).unwrap_or(&[])
    }

    fn from_wire(len: u8, data: [u8; 16]) -> Result<Self, Error> {
        if len > 16 {
            return Err(Error::InvalidField {
                field: "wep key length",
                value: u32::from(len),
            });
        }
        Ok(Self { len, data })
    }
}

/// Key material by type. The numeric wire type is given with each variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Type 0: WEP default (group) key.
    WepDefault {
        /// Key id 0..=3.
        key_id: u8,
        /// The key.
        key: WepKey,
    },
    /// Type 1: WEP pairwise key.
    WepPairwise {
        /// Peer MAC address.
        peer: MacAddr,
        /// The key.
        key: WepKey,
    },
    /// Type 2: TKIP group key.
    TkipGroup {
        /// Temporal key.
        tk: [u8; 16],
        /// RX MIC key.
        rx_mic: [u8; 8],
        /// Key id.
        key_id: u8,
        /// RX sequence counter.
        rx_seq: [u8; 8],
    },
    /// Type 3: TKIP pairwise key.
    TkipPairwise {
        /// Peer MAC address.
        peer: MacAddr,
        /// Temporal key.
        tk: [u8; 16],
        /// RX MIC key.
        rx_mic: [u8; 8],
        /// TX MIC key.
        tx_mic: [u8; 8],
    },
    /// Type 4: AES-CCMP group key.
    AesGroup {
        /// Key.
        key: [u8; 16],
        /// Key id.
        key_id: u8,
        /// RX sequence counter.
        rx_seq: [u8; 8],
    },
    /// Type 5: AES-CCMP pairwise key.
    AesPairwise {
        /// Peer MAC address.
        peer: MacAddr,
        /// Key.
        key: [u8; 16],
    },
    /// Type 6: WAPI group key.
    WapiGroup {
        /// Key.
        key: [u8; 16],
        /// MIC key.
        mic: [u8; 16],
        /// Key id.
        key_id: u8,
    },
    /// Type 7: WAPI pairwise key.
    WapiPairwise {
        /// Peer MAC address.
        peer: MacAddr,
        /// Key id.
        key_id: u8,
        /// Key.
        key: [u8; 16],
        /// MIC key.
        mic: [u8; 16],
    },
    /// Type 8: IGTK (BIP-CMAC-128).
    Igtk {
        /// Key.
        key: [u8; 16],
        /// Key id.
        key_id: u8,
        /// IPN (6 significant bytes).
        ipn: [u8; 8],
    },
}

impl Key {
    /// The wire key type.
    pub const fn key_type(&self) -> u8 {
        match self {
            Key::WepDefault { .. } => 0,
            Key::WepPairwise { .. } => 1,
            Key::TkipGroup { .. } => 2,
            Key::TkipPairwise { .. } => 3,
            Key::AesGroup { .. } => 4,
            Key::AesPairwise { .. } => 5,
            Key::WapiGroup { .. } => 6,
            Key::WapiPairwise { .. } => 7,
            Key::Igtk { .. } => 8,
        }
    }

    fn write_union(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        match self {
            Key::WepDefault { key_id, key } => {
                w.u8(*key_id)?;
                w.u8(key.len)?;
                w.u16(0)?;
                w.bytes(&key.data)
            }
            Key::WepPairwise { peer, key } => {
                w.bytes(peer)?;
                w.u8(0)?;
                w.u8(key.len)?;
                w.bytes(&key.data)
            }
            Key::TkipGroup {
                tk,
                rx_mic,
                key_id,
                rx_seq,
            } => {
                w.bytes(tk)?;
                w.bytes(rx_mic)?;
                w.u8(*key_id)?;
                w.zeros(3)?;
                w.bytes(rx_seq)
            }
            Key::TkipPairwise {
                peer,
                tk,
                rx_mic,
                tx_mic,
            } => {
                w.bytes(peer)?;
                w.zeros(2)?;
                w.bytes(tk)?;
                w.bytes(rx_mic)?;
                w.bytes(tx_mic)
            }
            Key::AesGroup {
                key,
                key_id,
                rx_seq,
            } => {
                w.bytes(key)?;
                w.u8(*key_id)?;
                w.zeros(3)?;
                w.bytes(rx_seq)
            }
            Key::AesPairwise { peer, key } => {
                w.bytes(peer)?;
                w.zeros(2)?;
                w.bytes(key)
            }
            Key::WapiGroup { key, mic, key_id } => {
                w.bytes(key)?;
                w.bytes(mic)?;
                w.u8(*key_id)?;
                w.zeros(3)
            }
            Key::WapiPairwise {
                peer,
                key_id,
                key,
                mic,
            } => {
                w.bytes(peer)?;
                w.u8(*key_id)?;
                w.u8(0)?;
                w.bytes(key)?;
                w.bytes(mic)
            }
            Key::Igtk { key, key_id, ipn } => {
                w.bytes(key)?;
                w.u8(*key_id)?;
                w.zeros(3)?;
                w.bytes(ipn)
            }
        }
    }

    fn read_union(key_type: u8, r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(match key_type {
            0 => {
                let key_id = r.u8()?;
                let len = r.u8()?;
                r.skip(2)?;
                Key::WepDefault {
                    key_id,
                    key: WepKey::from_wire(len, r.array()?)?,
                }
            }
            1 => {
                let peer = r.array()?;
                r.skip(1)?;
                let len = r.u8()?;
                Key::WepPairwise {
                    peer,
                    key: WepKey::from_wire(len, r.array()?)?,
                }
            }
            2 => {
                let tk = r.array()?;
                let rx_mic = r.array()?;
                let key_id = r.u8()?;
                r.skip(3)?;
                Key::TkipGroup {
                    tk,
                    rx_mic,
                    key_id,
                    rx_seq: r.array()?,
                }
            }
            3 => {
                let peer = r.array()?;
                r.skip(2)?;
                Key::TkipPairwise {
                    peer,
                    tk: r.array()?,
                    rx_mic: r.array()?,
                    tx_mic: r.array()?,
                }
            }
            4 => {
                let key = r.array()?;
                let key_id = r.u8()?;
                r.skip(3)?;
                Key::AesGroup {
                    key,
                    key_id,
                    rx_seq: r.array()?,
                }
            }
            5 => {
                let peer = r.array()?;
                r.skip(2)?;
                Key::AesPairwise {
                    peer,
                    key: r.array()?,
                }
            }
            6 => {
                let key = r.array()?;
                let mic = r.array()?;
                let key_id = r.u8()?;
                Key::WapiGroup { key, mic, key_id }
            }
            7 => {
                let peer = r.array()?;
                let key_id = r.u8()?;
                r.skip(1)?;
                Key::WapiPairwise {
                    peer,
                    key_id,
                    key: r.array()?,
                    mic: r.array()?,
                }
            }
            8 => {
                let key = r.array()?;
                let key_id = r.u8()?;
                r.skip(3)?;
                Key::Igtk {
                    key,
                    key_id,
                    ipn: r.array()?,
                }
            }
            other => {
                return Err(Error::InvalidField {
                    field: "key type",
                    value: u32::from(other),
                })
            }
        })
    }
}

/// 0x000C add key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddKey {
    /// Key table entry (0..=10 as allocated by the vendor driver).
    pub entry_index: u8,
    /// Key material.
    pub key: Key,
}

impl<'a> Message<'a> for AddKey {
    const ID: u16 = id::ADD_KEY;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.key.key_type())?;
        w.u8(self.entry_index)?;
        w.u16(0)?;
        let start = w.position();
        self.key.write_union(w)?;
        let used = w.position().saturating_sub(start);
        w.zeros(KEY_UNION_LEN.saturating_sub(used))
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        let key_type = r.u8()?;
        let entry_index = r.u8()?;
        r.skip(2)?;
        // The union is always 40 bytes; decode it from its own window.
        let mut u = Reader::new(r.bytes(KEY_UNION_LEN)?);
        Ok(Self {
            entry_index,
            key: Key::read_union(key_type, &mut u)?,
        })
    }
}

/// 0x000D remove key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RemoveKey {
    /// Key table entry.
    pub entry_index: u8,
}

impl<'a> Message<'a> for RemoveKey {
    const ID: u16 = id::REMOVE_KEY;

    fn encode_payload(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.entry_index)?;
        w.zeros(3)
    }

    fn decode_payload(payload: &'a [u8]) -> Result<Self, Error> {
        Ok(Self {
            entry_index: Reader::new(payload).u8()?,
        })
    }
}
