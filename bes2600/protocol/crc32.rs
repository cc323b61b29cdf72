// SPDX-License-Identifier: GPL-2.0

//! CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial value 0xFFFFFFFF, final XOR
//! 0xFFFFFFFF — the zlib `crc32`), used for the firmware image (boot frame 0xB3), the DPD
//! calibration blob and the factory calibration blob (docs/chip-protocol.md, "Image files").
//!
//! Table driven; the table is computed at compile time.

/// The reflected IEEE polynomial.
pub const POLYNOMIAL: u32 = 0xEDB8_8320;

#[expect(
    clippy::indexing_slicing,
    reason = "compile-time loop over a fixed 256-entry table"
)]
const fn make_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                POLYNOMIAL ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

/// The byte-wise lookup table.
pub static TABLE: [u32; 256] = make_table();

/// An incremental CRC-32 computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crc32 {
    state: u32,
}

impl Crc32 {
    /// A fresh computation.
    pub const fn new() -> Self {
        Self { state: 0xFFFF_FFFF }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        let mut c = self.state;
        for &b in data {
            // The index is masked to 0..=255, inside the 256-entry table.
            let idx = usize::from((c as u8) ^ b);
            c = TABLE.get(idx).copied().unwrap_or(0) ^ (c >> 8);
        }
        self.state = c;
    }

    /// The CRC of everything fed so far.
    pub const fn finish(&self) -> u32 {
        self.state ^ 0xFFFF_FFFF
    }
}

impl Default for Crc32 {
    fn default() -> Self {
        Self::new()
    }
}

/// The CRC-32 of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = Crc32::new();
    c.update(data);
    c.finish()
}
