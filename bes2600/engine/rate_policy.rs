// SPDX-License-Identifier: GPL-2.0

//! Rates: the band tables, mac80211 rate tables → WSM TX rate-retry policies, the cache of
//! the chip's 8 policies, and TX status back to mac80211 (docs/chip-protocol.md, "Rate policies",
//! "Rates and bands", "Rate tables from mac80211", "TX status").
//!
//! mac80211 gives up to four rates per frame ([`RateTable`]), each a bitrate index into
//! the band's table (or an HT MCS) and a try count. The chip instead takes a *policy*: a
//! try count per WSM rate index (24 nibbles, MIB 0x1016), walked from the highest rate not
//! above the request's maximum rate downward (docs/chip-protocol.md, "Rate policies": open;
//! the chip model walks it that way). [`build_policy`] turns a table into such a policy:
//!
//! * entries after the first unused one (`idx < 0`) are ignored;
//! * consecutive entries with the same rate are merged, and the table is cut at the first
//!   rate *higher* than its predecessor, as the chip can only walk downwards. Rates are
//!   compared as WSM indices (the vendor compares mac80211 indices, which mixes up MCS and
//!   legacy numbering);
//! * the total is capped at the short retry limit, keeping at least one try per rate;
//! * (BES) after an MCS first rate, a fallback of 1 try at 1 Mbps (2.4 GHz) or 6 Mbps
//!   (5 GHz) is added, +2 tries when the MCS is below 3, +2 more for MCS 0 or a sampling
//!   table (first rate tried once, second rate MCS 0) — [`PolicyConfig::mcs_fallback`];
//! * every nibble saturates at 15.
//!
//! Not done: the cw1200 hack that injects intermediate OFDM rates between a high legacy
//! rate and 1–2 Mbps (it only matters for legacy-only peers and makes the status mapping
//! guesswork), and the vendor's `BES2600_TX_MORE_RETRY` table rewrite. The TX status of a
//! frame is distributed over the *rewritten* table ([`BuiltPolicy::rates`]) by
//! [`fill_status`].
//!
//! [`PolicyCache`] holds the 8 policies with use counts: identical policies share an
//! entry, a new one takes the least recently released free entry and must be uploaded
//! ([`PolicyCache::encode_upload`], then [`PolicyCache::upload_done`] with its token); a
//! full cache is [`CacheFull`] and the caller stops the mac80211 queues until a frame's
//! [`PolicyCache::release`] frees an entry (docs/chip-protocol.md, "Rate tables from mac80211").

use core::fmt;

use crate::protocol::{
    codec::Writer,
    error::Error,
    mib::{
        Mib,
        TxRatePolicies,
        TxRatePolicy,
        POLICY_COUNT_INITIAL_TRANSMIT,
        POLICY_RATES,
        POLICY_TERMINATE_WHEN_FINISHED,
        TX_RATE_POLICIES, //
    },
    msg::tx::{
        HT_TX_GREENFIELD,
        HT_TX_MIXED,
        HT_TX_NON_HT, //
    },
};

/// The band type shared with [`super::station`].
pub use super::station::Band;

/// The band's legacy bitrate table, in mac80211 bitrate-index order (the WSM indices are
/// those of [`Band::legacy_rates`]).
pub const fn bitrates(band: Band) -> &'static [Bitrate] {
    match band {
        Band::Ghz2 => &BITRATES_2GHZ,
        Band::Ghz5 => BITRATES_5GHZ,
    }
}

/// The lowest mandatory rate of a band as a WSM index: 1 Mbps on 2.4 GHz, 6 Mbps on
/// 5 GHz.
pub const fn lowest_rate(band: Band) -> u8 {
    match band {
        Band::Ghz2 => wsm_rate::DSSS_1,
        Band::Ghz5 => wsm_rate::OFDM_6,
    }
}

/// WSM rate indices (docs/chip-protocol.md, "Rates and bands").
pub mod wsm_rate {
    /// 1 Mbps DSSS.
    pub const DSSS_1: u8 = 0;
    /// 2 Mbps DSSS.
    pub const DSSS_2: u8 = 1;
    /// 5.5 Mbps CCK.
    pub const CCK_5_5: u8 = 2;
    /// 11 Mbps CCK.
    pub const CCK_11: u8 = 3;
    /// 6 Mbps OFDM, the first OFDM index (22 and 33 Mbps PBCC at 4 and 5 are unused).
    pub const OFDM_6: u8 = 6;
    /// 54 Mbps OFDM, the last OFDM index.
    pub const OFDM_54: u8 = 13;
    /// HT MCS 0; MCS n is `MCS_0 + n`.
    pub const MCS_0: u8 = 14;
    /// HT MCS 7, the highest index (one spatial stream).
    pub const MCS_7: u8 = 21;
}

/// Highest HT MCS the chip sends or receives (one spatial stream).
pub const MAX_MCS: u8 = 7;

/// One legacy bitrate of a band table: what the driver registers with mac80211
/// (`hw_value` = the WSM index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bitrate {
    /// Rate in units of 100 kbit/s (mac80211's `bitrate`).
    pub rate_100kbps: u16,
    /// WSM rate index.
    pub wsm: u8,
    /// Whether a short preamble may be used (CCK rates above 1 Mbps).
    pub short_preamble: bool,
}

const fn br(rate_100kbps: u16, wsm: u8, short_preamble: bool) -> Bitrate {
    Bitrate {
        rate_100kbps,
        wsm,
        short_preamble,
    }
}

/// The 2.4 GHz bitrate table: 4 DSSS/CCK rates, then the 8 OFDM rates.
pub const BITRATES_2GHZ: [Bitrate; 12] = [
    br(10, 0, false),
    br(20, 1, true),
    br(55, 2, true),
    br(110, 3, true),
    br(60, 6, false),
    br(90, 7, false),
    br(120, 8, false),
    br(180, 9, false),
    br(240, 10, false),
    br(360, 11, false),
    br(480, 12, false),
    br(540, 13, false),
];

/// The 5 GHz bitrate table: the 8 OFDM rates, the last 8 of the 2.4 GHz table.
pub const BITRATES_5GHZ: &[Bitrate] = BITRATES_2GHZ.split_at(4).1;

/// The mac80211 bitrate index of a legacy WSM rate index in `band` (the inverse of the
/// band table); `None` for MCS, PBCC and rates the band does not have.
pub fn legacy_index(band: Band, wsm: u8) -> Option<u8> {
    bitrates(band)
        .iter()
        .position(|b| b.wsm == wsm)
        .and_then(|i| u8::try_from(i).ok())
}

/// mac80211's per-rate flags (`enum mac80211_rate_control_flags`, same bit values, so the
/// kernel side passes `ieee80211_tx_rate::flags` through).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct RateFlags(pub u16);

impl RateFlags {
    /// RTS/CTS before the frame.
    pub const USE_RTS_CTS: u16 = 1 << 0;
    /// CTS-to-self before the frame.
    pub const USE_CTS_PROTECT: u16 = 1 << 1;
    /// Short preamble.
    pub const USE_SHORT_PREAMBLE: u16 = 1 << 2;
    /// `idx` is an HT MCS.
    pub const MCS: u16 = 1 << 3;
    /// HT greenfield.
    pub const GREEN_FIELD: u16 = 1 << 4;
    /// 40 MHz.
    pub const WIDTH_40: u16 = 1 << 5;
    /// Duplicate data in both 20 MHz halves.
    pub const DUP_DATA: u16 = 1 << 6;
    /// Short guard interval.
    pub const SHORT_GI: u16 = 1 << 7;
    /// `idx` is a VHT MCS/NSS (not supported by the chip).
    pub const VHT_MCS: u16 = 1 << 8;
    /// 80 MHz (not supported).
    pub const WIDTH_80: u16 = 1 << 9;
    /// 160 MHz (not supported).
    pub const WIDTH_160: u16 = 1 << 10;

    /// Whether `bit` (one of the constants) is set.
    pub const fn has(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
}

/// One entry of a mac80211 rate table (`struct ieee80211_tx_rate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TxRate {
    /// Bitrate index into the band table, or the MCS with [`RateFlags::MCS`]; negative:
    /// unused (and so is every later entry).
    pub idx: i8,
    /// Tries at this rate.
    pub count: u8,
    /// Flags.
    pub flags: RateFlags,
}

impl TxRate {
    /// An unused entry (`idx` −1).
    pub const UNUSED: TxRate = TxRate {
        idx: -1,
        count: 0,
        flags: RateFlags(0),
    };

    /// A legacy rate: bitrate index `idx` of the band table, `count` tries.
    pub const fn legacy(idx: i8, count: u8) -> TxRate {
        TxRate {
            idx,
            count,
            flags: RateFlags(0),
        }
    }

    /// An HT rate: MCS `mcs`, `count` tries.
    pub const fn mcs(mcs: i8, count: u8) -> TxRate {
        TxRate {
            idx: mcs,
            count,
            flags: RateFlags(RateFlags::MCS),
        }
    }

    /// Whether the entry is used.
    pub const fn is_used(&self) -> bool {
        self.idx >= 0
    }
}

/// Entries of a mac80211 rate table (`IEEE80211_TX_MAX_RATES`).
pub const MAX_RATES: usize = 4;

/// A mac80211 rate table: up to [`MAX_RATES`] entries, the unused ones with `idx` −1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateTable(pub [TxRate; MAX_RATES]);

impl RateTable {
    /// A table with the given leading entries (at most [`MAX_RATES`]; extra ones are
    /// ignored) and the rest unused.
    pub fn from_rates(rates: &[TxRate]) -> RateTable {
        let mut t = [TxRate::UNUSED; MAX_RATES];
        for (dst, src) in t.iter_mut().zip(rates) {
            *dst = *src;
        }
        RateTable(t)
    }

    /// The used entries (up to the first unused one).
    pub fn used(&self) -> impl Iterator<Item = &TxRate> + '_ {
        self.0.iter().take_while(|r| r.is_used())
    }
}

/// Why a rate table cannot be turned into a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateError {
    /// The first entry is unused: mac80211 chose no rate.
    NoRate,
    /// A legacy index outside the band's table.
    BadLegacyIndex {
        /// The band.
        band: Band,
        /// The index.
        idx: i8,
    },
    /// An MCS the chip does not have (above [`MAX_MCS`]).
    BadMcs(i8),
    /// A VHT rate (the chip has no VHT).
    Vht,
}

impl fmt::Display for RateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateError::NoRate => write!(f, "rate table without a first rate"),
            RateError::BadLegacyIndex { band, idx } => {
                write!(f, "legacy rate index {idx} outside the {band:?} table")
            }
            RateError::BadMcs(m) => write!(f, "MCS {m} not supported"),
            RateError::Vht => write!(f, "VHT rate not supported"),
        }
    }
}

/// The WSM rate index of one used mac80211 rate in `band`.
pub fn wsm_rate_index(band: Band, rate: &TxRate) -> Result<u8, RateError> {
    if rate.flags.has(RateFlags::VHT_MCS) {
        return Err(RateError::Vht);
    }
    if rate.flags.has(RateFlags::MCS) {
        return match u8::try_from(rate.idx) {
            Ok(m) if m <= MAX_MCS => Ok(wsm_rate::MCS_0 + m),
            _ => Err(RateError::BadMcs(rate.idx)),
        };
    }
    usize::try_from(rate.idx)
        .ok()
        .and_then(|i| bitrates(band).get(i))
        .map(|b| b.wsm)
        .ok_or(RateError::BadLegacyIndex {
            band,
            idx: rate.idx,
        })
}

/// The "max TX rate" byte of the TX request: the WSM index of the table's first rate.
pub fn max_tx_rate(table: &RateTable, band: Band) -> Result<u8, RateError> {
    let first = table.used().next().ok_or(RateError::NoRate)?;
    wsm_rate_index(band, first)
}

/// The HT TX parameters word of the TX request: mixed format (or greenfield when the
/// association allows it) when the first rate is an MCS, else non-HT.
pub fn ht_tx_parameters(table: &RateTable, greenfield: bool) -> u32 {
    match table.used().next() {
        Some(r) if r.flags.has(RateFlags::MCS) => {
            if greenfield {
                HT_TX_GREENFIELD
            } else {
                HT_TX_MIXED
            }
        }
        _ => HT_TX_NON_HT,
    }
}

/// How policies are built and uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyConfig {
    /// Short retry limit: the cap on a policy's total tries and the policy's short retry
    /// count (the vendor's 31).
    pub short_retry: u8,
    /// Long retry count of the policy (the vendor's 31).
    pub long_retry: u8,
    /// Add the BES fallback tries at the band's lowest rate after an MCS table.
    pub mcs_fallback: bool,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            short_retry: 31,
            long_retry: 31,
            mcs_fallback: true,
        }
    }
}

/// Highest retry limit a policy carries: mac80211's limits are capped there, as the vendor
/// caps the short one (docs/chip-protocol.md, "Rate policies").
pub const MAX_RETRY_LIMIT: u8 = 15;

/// The short and long retry limits mac80211 configured (`iw phy … set retry`), as policies
/// carry them: between 1 and [`MAX_RETRY_LIMIT`].
pub fn retry_limits(short: u8, long: u8) -> (u8, u8) {
    (
        short.clamp(1, MAX_RETRY_LIMIT),
        long.clamp(1, MAX_RETRY_LIMIT),
    )
}

/// The policy flags the vendor sends: stop when the table is exhausted, and the first
/// transmission counts as part of the table (0x0C).
pub const POLICY_FLAGS: u8 = POLICY_TERMINATE_WHEN_FINISHED | POLICY_COUNT_INITIAL_TRANSMIT;

/// A rate table turned into a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltPolicy {
    /// Try count per WSM rate index, in the MIB's nibble layout.
    pub rate_counts: [u32; 3],
    /// The rewritten table (merged, cut, capped): what [`fill_status`] distributes the
    /// tries over. Keep it with the frame (or rebuild it from the original table).
    pub rates: RateTable,
    /// The "max TX rate" byte of the request (WSM index of the first rate).
    pub max_tx_rate: u8,
}

fn add_tries(counts: &mut [u32; 3], wsm: u8, tries: u8) {
    let r = usize::from(wsm);
    if r >= POLICY_RATES {
        return;
    }
    let shift = (r % 8) * 4;
    if let Some(word) = counts.get_mut(r / 8) {
        let old = (*word >> shift) & 0xF;
        let new = old.saturating_add(u32::from(tries)).min(0xF);
        *word = (*word & !(0xF << shift)) | (new << shift);
    }
}

/// Builds the policy of a rate table (module documentation for the rules).
pub fn build_policy(
    table: &RateTable,
    band: Band,
    cfg: &PolicyConfig,
) -> Result<BuiltPolicy, RateError> {
    // Merge and cut, comparing WSM indices.
    let mut out = [TxRate::UNUSED; MAX_RATES];
    let mut wsm = [0u8; MAX_RATES];
    let mut n = 0usize;
    for rate in table.used() {
        let w = wsm_rate_index(band, rate)?;
        if let Some(p) = n.checked_sub(1) {
            let pw = wsm.get(p).copied().unwrap_or(0);
            if w == pw {
                if let Some(e) = out.get_mut(p) {
                    e.count = e.count.saturating_add(rate.count);
                }
                continue;
            }
            if w > pw {
                // The chip walks its table downwards only.
                break;
            }
        }
        if let (Some(o), Some(ow)) = (out.get_mut(n), wsm.get_mut(n)) {
            *o = *rate;
            *ow = w;
            n += 1;
        }
    }
    if n == 0 {
        return Err(RateError::NoRate);
    }
    // Cap the total at the short retry limit, keeping one try per rate.
    let limit = usize::from(cfg.short_retry).max(n);
    let total: usize = out.iter().take(n).map(|r| usize::from(r.count)).sum();
    if total > limit {
        let mut left = limit;
        for (i, r) in out.iter_mut().take(n).enumerate() {
            let after = n - i - 1;
            let max_here = left.saturating_sub(after);
            if usize::from(r.count) > max_here {
                r.count = u8::try_from(max_here).unwrap_or(u8::MAX);
            }
            left = left.saturating_sub(usize::from(r.count));
        }
    }
    let mut rate_counts = [0u32; 3];
    for (r, w) in out.iter().zip(wsm.iter()).take(n) {
        add_tries(&mut rate_counts, *w, r.count.min(15));
    }
    let first = out.first().copied().unwrap_or(TxRate::UNUSED);
    if cfg.mcs_fallback && first.flags.has(RateFlags::MCS) {
        let second = out.get(1).copied().unwrap_or(TxRate::UNUSED);
        let mut tries = 1u8;
        if first.idx < 3 {
            tries += 2;
        }
        let sampling = first.count == 1 && second.is_used() && second.idx == 0;
        if first.idx == 0 || sampling {
            tries += 2;
        }
        add_tries(&mut rate_counts, lowest_rate(band), tries);
    }
    Ok(BuiltPolicy {
        rate_counts,
        rates: RateTable(out),
        max_tx_rate: wsm.first().copied().unwrap_or(0),
    })
}

/// The cache has no free entry: stop the mac80211 queues until one is released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheFull;

impl fmt::Display for CacheFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "all {TX_RATE_POLICIES} TX rate policies in use")
    }
}

/// Why [`PolicyCache::get_or_insert`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyError {
    /// The rate table is unusable.
    Rate(RateError),
    /// Every entry is in use.
    Full(CacheFull),
    /// [`PolicyCache::release`] of an index above 7 or of an entry not in use.
    NotInUse(u8),
}

impl From<RateError> for PolicyError {
    fn from(e: RateError) -> Self {
        PolicyError::Rate(e)
    }
}

impl From<CacheFull> for PolicyError {
    fn from(e: CacheFull) -> Self {
        PolicyError::Full(e)
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::Rate(e) => e.fmt(f),
            PolicyError::Full(e) => e.fmt(f),
            PolicyError::NotInUse(i) => write!(f, "TX rate policy {i} is not in use"),
        }
    }
}

/// What [`PolicyCache::get_or_insert`] hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyUse {
    /// Policy index 0..=7, for the TX request's flags ([`TxFlags::with_policy`]).
    ///
    /// [`TxFlags::with_policy`]: crate::protocol::msg::tx::TxFlags::with_policy
    pub index: u8,
    /// The entry is new or changed: upload the cache ([`PolicyCache::encode_upload`])
    /// before the frame is sent.
    pub upload_needed: bool,
    /// The policy as built (its rewritten table for [`fill_status`], the max rate).
    pub policy: BuiltPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Entry {
    /// Whether the entry holds a policy at all.
    valid: bool,
    rate_counts: [u32; 3],
    uses: u32,
    uploaded: bool,
    /// When the entry was last released (for choosing the oldest free entry).
    released_at: u64,
    /// Changes whenever the entry gets new content, so an upload token only marks the
    /// content it carried.
    version: u64,
}

/// Which policy contents an upload carried ([`PolicyCache::pending_policies`]); hand it
/// to [`PolicyCache::upload_done`] when the chip confirmed the write, so entries changed
/// in the meantime are uploaded again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UploadToken {
    versions: [Option<u64>; TX_RATE_POLICIES],
}

impl UploadToken {
    /// Whether the upload carries no policy.
    pub fn is_empty(&self) -> bool {
        self.versions.iter().all(Option::is_none)
    }
}

/// The 8 TX rate policies of the chip, with use counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyCache {
    cfg: PolicyConfig,
    entries: [Entry; TX_RATE_POLICIES],
    clock: u64,
}

impl PolicyCache {
    /// An empty cache.
    pub fn new(cfg: PolicyConfig) -> Self {
        Self {
            cfg,
            entries: [Entry::default(); TX_RATE_POLICIES],
            clock: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PolicyConfig {
        &self.cfg
    }

    /// Finds or creates the policy of `table` and takes a use of it.
    pub fn get_or_insert(
        &mut self,
        table: &RateTable,
        band: Band,
    ) -> Result<PolicyUse, PolicyError> {
        let policy = build_policy(table, band, &self.cfg)?;
        let found = self
            .entries
            .iter()
            .position(|e| e.valid && e.rate_counts == policy.rate_counts);
        let (index, upload_needed) = match found {
            Some(i) => (i, self.entries.get(i).is_some_and(|e| !e.uploaded)),
            None => {
                // The free entry released longest ago (never-used entries first).
                let i = self
                    .entries
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.uses == 0)
                    .min_by_key(|(_, e)| (e.valid, e.released_at))
                    .map(|(i, _)| i)
                    .ok_or(CacheFull)?;
                self.clock += 1;
                let version = self.clock;
                if let Some(e) = self.entries.get_mut(i) {
                    *e = Entry {
                        valid: true,
                        rate_counts: policy.rate_counts,
                        uses: 0,
                        uploaded: false,
                        released_at: 0,
                        version,
                    };
                }
                (i, true)
            }
        };
        let e = self.entries.get_mut(index).ok_or(CacheFull)?;
        e.uses = e.uses.saturating_add(1);
        Ok(PolicyUse {
            index: u8::try_from(index).unwrap_or(0),
            upload_needed,
            policy,
        })
    }

    /// Gives back one use of policy `index` (the frame that used it is done).
    pub fn release(&mut self, index: u8) -> Result<(), PolicyError> {
        self.clock += 1;
        let clock = self.clock;
        match self.entries.get_mut(usize::from(index)) {
            Some(e) if e.valid && e.uses > 0 => {
                e.uses -= 1;
                if e.uses == 0 {
                    e.released_at = clock;
                }
                Ok(())
            }
            _ => Err(PolicyError::NotInUse(index)),
        }
    }

    /// Whether every entry is in use (the mac80211 queues must stay stopped).
    pub fn is_full(&self) -> bool {
        self.entries.iter().all(|e| e.uses > 0)
    }

    /// Uses of policy `index` (0 for an unknown index).
    pub fn uses(&self, index: u8) -> u32 {
        self.entries.get(usize::from(index)).map_or(0, |e| e.uses)
    }

    /// Whether policy `index` holds a policy the chip has (a frame that uses it may be
    /// sent); `false` for an unknown index.
    pub fn is_uploaded(&self, index: u8) -> bool {
        self.entries
            .get(usize::from(index))
            .is_some_and(|e| e.valid && e.uploaded)
    }

    /// Whether some policy still has to be uploaded.
    pub fn upload_pending(&self) -> bool {
        self.entries.iter().any(|e| e.valid && !e.uploaded)
    }

    /// The MIB 0x1016 content for every policy not uploaded yet, and the token that
    /// marks them uploaded ([`Self::upload_done`]).
    pub fn pending_policies(&self) -> (TxRatePolicies, UploadToken) {
        let mut out = TxRatePolicies::default();
        let mut token = UploadToken::default();
        for ((i, e), v) in self
            .entries
            .iter()
            .enumerate()
            .zip(token.versions.iter_mut())
        {
            if e.valid && !e.uploaded {
                // At most 8 entries, the list's capacity.
                let _ = out.policies.push(TxRatePolicy {
                    index: u8::try_from(i).unwrap_or(0),
                    short_retry: self.cfg.short_retry,
                    long_retry: self.cfg.long_retry,
                    flags: POLICY_FLAGS,
                    rate_recovery: 0,
                    rate_counts: e.rate_counts,
                });
                *v = Some(e.version);
            }
        }
        (out, token)
    }

    /// Writes the MIB 0x1016 data (without the MIB id/length) of every policy not
    /// uploaded yet into `out`; returns its length and the token for
    /// [`Self::upload_done`].
    pub fn encode_upload(&self, out: &mut [u8]) -> Result<(usize, UploadToken), Error> {
        let (policies, token) = self.pending_policies();
        let mut w = Writer::new(out);
        policies.encode(&mut w)?;
        Ok((w.position(), token))
    }

    /// The chip accepted the upload `token` came with: those contents are on the chip.
    pub fn upload_done(&mut self, token: &UploadToken) {
        for (e, v) in self.entries.iter_mut().zip(token.versions.iter()) {
            if e.valid && *v == Some(e.version) {
                e.uploaded = true;
            }
        }
    }

    /// New retry limits (see [`retry_limits`]): tables are capped at the new short limit from
    /// now on, and every policy goes to the chip again with the new limits (an upload under
    /// way carries the old ones, so it does not count for them). Whether anything changed.
    pub fn set_retry_limits(&mut self, short: u8, long: u8) -> bool {
        if (self.cfg.short_retry, self.cfg.long_retry) == (short, long) {
            return false;
        }
        self.cfg.short_retry = short;
        self.cfg.long_retry = long;
        for e in self.entries.iter_mut().filter(|e| e.valid) {
            self.clock += 1;
            e.version = self.clock;
            e.uploaded = false;
        }
        true
    }

    /// The chip restarted and forgot its policies: upload every valid one again.
    pub fn chip_reset(&mut self) {
        for e in self.entries.iter_mut() {
            e.uploaded = false;
        }
    }

    /// Forgets everything (all frames were dropped).
    pub fn clear(&mut self) {
        *self = Self::new(self.cfg);
    }
}

/// Total tries of a frame as mac80211 wants them (docs/chip-protocol.md, "TX status"): acked → ack
/// failures + 1; not acked → ack failures, + 1 if non-zero.
pub fn total_tries(ack_failures: u8, acked: bool) -> u8 {
    if acked || ack_failures != 0 {
        ack_failures.saturating_add(1)
    } else {
        0
    }
}

/// The TX status rate table: the tries of a confirm distributed over the (rewritten)
/// table in order; the entry where they run out gets the remainder and the later entries
/// are marked unused (`idx` −1). Tries beyond the table (the BES fallback rate) are not
/// reported, as the vendor does.
pub fn fill_status(table: &RateTable, ack_failures: u8, acked: bool) -> RateTable {
    let mut left = total_tries(ack_failures, acked);
    let mut out = table.0;
    let mut done = false;
    for r in out.iter_mut() {
        if done || !r.is_used() {
            *r = TxRate::UNUSED;
            done = true;
            continue;
        }
        if r.count >= left {
            r.count = left;
            done = true;
        } else {
            left -= r.count;
        }
    }
    RateTable(out)
}
