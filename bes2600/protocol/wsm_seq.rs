// SPDX-License-Identifier: GPL-2.0

//! WSM sequence numbering: the two sequence channels and the 3-bit sequence number
//! (docs/chip-protocol.md, "Sequence numbers").
//!
//! Bits 13–15 of every WSM id word carry a sequence number, counted separately per
//! direction on two channels: channel 0 ("LMAC") for classic WSM messages and channel 1
//! ("MCU") for 0x0Cxx messages. The id word itself is in [`super::wsm_header`], which
//! re-exports these types; they live here, in a module without dependencies, because the
//! error type names a channel and the header code returns errors.

/// A sequence-number channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Channel 0: classic WSM messages (0x00xx, 0x04xx, 0x08xx).
    Lmac = 0,
    /// Channel 1: BES MCU-channel messages (0x0Cxx).
    Mcu = 1,
}

impl Channel {
    /// Index into per-channel arrays.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// A 3-bit WSM sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seq(u8);

impl Seq {
    /// Sequence number 0, the value after reset.
    pub const ZERO: Seq = Seq(0);

    /// A sequence number from 0..=7.
    pub const fn new(v: u8) -> Option<Seq> {
        if v < 8 {
            Some(Seq(v))
        } else {
            None
        }
    }

    /// The low three bits of `v` as a sequence number.
    pub const fn from_bits(v: u8) -> Seq {
        Seq(v & 7)
    }

    /// The value 0..=7.
    pub const fn value(self) -> u8 {
        self.0
    }

    /// The next sequence number (7 is followed by 0: the field is defined modulo 8).
    pub const fn next(self) -> Seq {
        Seq((self.0 + 1) & 7)
    }
}
