// SPDX-License-Identifier: GPL-2.0

//! What the emulated chip sees of the wireless medium: it transmits [`AirTx`] frames
//! through an [`Air`] and is handed [`AirRx`] frames. The real medium is
//! [`crate::medium::Medium`] (mac80211_hwsim radios); tests use [`FakeAir`].

/// A frame the chip transmits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AirTx {
    /// Centre frequency in MHz.
    pub freq: u32,
    /// The 802.11 frame without FCS.
    pub frame: Vec<u8>,
    /// WSM rate index it was sent at.
    pub rate: u8,
}

/// A frame the chip may receive (whether it does depends on its channel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AirRx {
    /// Centre frequency in MHz.
    pub freq: u32,
    /// The 802.11 frame without FCS.
    pub frame: Vec<u8>,
    /// Signal in dBm.
    pub signal: i32,
    /// WSM rate index.
    pub rate: u8,
}

/// The medium as seen by the chip's transmitter.
pub trait Air {
    /// Sends a frame; returns whether a unicast frame was acknowledged by its receiver
    /// (group-addressed frames return `true`).
    fn transmit(&mut self, now_us: u64, tx: AirTx) -> bool;
}

/// A medium for tests: records what the chip sent and acknowledges unicast frames whose
/// receiver address is in `ack_addrs` (or every unicast frame when `ack_all`).
#[derive(Debug, Default)]
pub struct FakeAir {
    /// Transmitted frames, in order.
    pub sent: Vec<AirTx>,
    /// Receivers that acknowledge.
    pub ack_addrs: Vec<[u8; 6]>,
    /// Acknowledge every unicast frame.
    pub ack_all: bool,
}

impl Air for FakeAir {
    fn transmit(&mut self, _now_us: u64, tx: AirTx) -> bool {
        let a1: [u8; 6] = tx
            .frame
            .get(4..10)
            .and_then(|s| s.try_into().ok())
            .unwrap_or([0; 6]);
        let acked = a1[0] & 1 != 0 || self.ack_all || self.ack_addrs.contains(&a1);
        self.sent.push(tx);
        acked
    }
}
