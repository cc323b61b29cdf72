// SPDX-License-Identifier: GPL-2.0

//! Rate tables → TX rate policies, the policy cache, its MIB upload (accepted by the chip
//! model) and the TX status mapping.

mod common;

use bes2600_engine::protocol::mib::{self, Mib, SetMib, TxRatePolicies, TxRatePolicy};
use bes2600_engine::protocol::msg::{self, Status, WriteMibConfirm};
use bes2600_engine::rate_policy::{
    bitrates, build_policy, fill_status, ht_tx_parameters, legacy_index, lowest_rate, max_tx_rate,
    retry_limits, total_tries, wsm_rate_index, Band, PolicyCache, PolicyConfig, PolicyError,
    RateError, RateFlags, RateTable, TxRate, BITRATES_2GHZ, BITRATES_5GHZ, POLICY_FLAGS,
};
use common::*;
use proptest::prelude::*;

/// Tries per WSM rate index of a policy.
fn tries(counts: [u32; 3]) -> Vec<(u8, u8)> {
    let p = TxRatePolicy {
        rate_counts: counts,
        ..TxRatePolicy::default()
    };
    (0..24u8)
        .filter_map(|r| match p.tries(usize::from(r)) {
            Some(0) | None => None,
            Some(t) => Some((r, t)),
        })
        .collect()
}

fn no_fallback() -> PolicyConfig {
    PolicyConfig {
        mcs_fallback: false,
        ..PolicyConfig::default()
    }
}

fn table(rates: &[TxRate]) -> RateTable {
    RateTable::from_rates(rates)
}

#[test]
fn band_tables_map_to_wsm_indices() {
    let wsm: Vec<u8> = BITRATES_2GHZ.iter().map(|b| b.wsm).collect();
    assert_eq!(wsm, [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13]);
    let wsm: Vec<u8> = BITRATES_5GHZ.iter().map(|b| b.wsm).collect();
    assert_eq!(wsm, [6, 7, 8, 9, 10, 11, 12, 13]);
    assert_eq!(BITRATES_2GHZ[2].rate_100kbps, 55);
    assert_eq!(legacy_index(Band::Ghz2, 6), Some(4));
    assert_eq!(legacy_index(Band::Ghz5, 6), Some(0));
    assert_eq!(legacy_index(Band::Ghz5, 3), None);
    assert_eq!(legacy_index(Band::Ghz2, 4), None, "PBCC is unused");
    assert_eq!(wsm_rate_index(Band::Ghz2, &TxRate::mcs(7, 1)), Ok(21));
    assert_eq!(
        wsm_rate_index(Band::Ghz2, &TxRate::mcs(8, 1)),
        Err(RateError::BadMcs(8))
    );
    assert_eq!(
        wsm_rate_index(Band::Ghz5, &TxRate::legacy(8, 1)),
        Err(RateError::BadLegacyIndex {
            band: Band::Ghz5,
            idx: 8
        })
    );
    let vht = TxRate {
        idx: 0,
        count: 1,
        flags: RateFlags(RateFlags::VHT_MCS),
    };
    assert_eq!(wsm_rate_index(Band::Ghz5, &vht), Err(RateError::Vht));
}

#[test]
fn bitrate_tables_agree_with_the_station_band_tables() {
    for band in [Band::Ghz2, Band::Ghz5] {
        let wsm: Vec<u8> = bitrates(band).iter().map(|b| b.wsm).collect();
        assert_eq!(wsm, band.legacy_rates());
    }
    assert_eq!((lowest_rate(Band::Ghz2), lowest_rate(Band::Ghz5)), (0, 6));
}

#[test]
fn legacy_table_becomes_a_policy() {
    // 54, 48, 24 Mbps ×3, 1 Mbps ×4 on 2.4 GHz.
    let t = table(&[
        TxRate::legacy(11, 3),
        TxRate::legacy(10, 3),
        TxRate::legacy(8, 3),
        TxRate::legacy(0, 4),
    ]);
    let p = build_policy(&t, Band::Ghz2, &PolicyConfig::default()).unwrap();
    assert_eq!(tries(p.rate_counts), [(0, 4), (10, 3), (12, 3), (13, 3)]);
    assert_eq!(p.max_tx_rate, 13);
    assert_eq!(p.rates, t);
    // The nibble layout of the MIB (docs/chip-protocol.md, "Rate policies"): rate r at word r/8,
    // bits (r%8)*4.
    assert_eq!(p.rate_counts, [0x0000_0004, 0x0033_0300, 0]);
}

#[test]
fn duplicates_merge_and_a_rising_rate_cuts_the_table() {
    let t = table(&[
        TxRate::mcs(7, 2),
        TxRate::mcs(7, 3),
        TxRate::mcs(5, 2),
        TxRate::mcs(6, 2),
    ]);
    let p = build_policy(&t, Band::Ghz5, &no_fallback()).unwrap();
    assert_eq!(tries(p.rate_counts), [(19, 2), (21, 5)]);
    assert_eq!(p.rates, table(&[TxRate::mcs(7, 5), TxRate::mcs(5, 2)]));
    // Entries after the first unused one are ignored.
    let t = RateTable([
        TxRate::legacy(3, 2),
        TxRate::UNUSED,
        TxRate::legacy(0, 2),
        TxRate::UNUSED,
    ]);
    let p = build_policy(&t, Band::Ghz2, &no_fallback()).unwrap();
    assert_eq!(tries(p.rate_counts), [(3, 2)]);
}

#[test]
fn total_is_capped_at_the_short_retry_limit() {
    let cfg = PolicyConfig {
        short_retry: 7,
        ..no_fallback()
    };
    let t = table(&[
        TxRate::legacy(7, 10),
        TxRate::legacy(6, 10),
        TxRate::legacy(5, 10),
        TxRate::legacy(4, 10),
    ]);
    let p = build_policy(&t, Band::Ghz5, &cfg).unwrap();
    // First rates take what is left, keeping one try for each later rate.
    assert_eq!(
        p.rates,
        table(&[
            TxRate::legacy(7, 4),
            TxRate::legacy(6, 1),
            TxRate::legacy(5, 1),
            TxRate::legacy(4, 1),
        ])
    );
    // Nibbles saturate at 15.
    let t = table(&[TxRate::legacy(7, 20)]);
    let p = build_policy(&t, Band::Ghz5, &PolicyConfig::default()).unwrap();
    assert_eq!(tries(p.rate_counts), [(13, 15)]);
}

#[test]
fn mcs_tables_get_the_bes_fallback() {
    let fb = |t: &[TxRate], band| {
        let p = build_policy(&table(t), band, &PolicyConfig::default()).unwrap();
        tries(p.rate_counts)
    };
    // MCS 5: one try at 1 Mbps.
    assert_eq!(fb(&[TxRate::mcs(5, 2)], Band::Ghz2), [(0, 1), (19, 2)]);
    // MCS 2: +2; on 5 GHz at 6 Mbps.
    assert_eq!(fb(&[TxRate::mcs(2, 2)], Band::Ghz5), [(6, 3), (16, 2)]);
    // MCS 0: +2 +2.
    assert_eq!(fb(&[TxRate::mcs(0, 2)], Band::Ghz2), [(0, 5), (14, 2)]);
    // Sampling: first rate once, then MCS 0.
    assert_eq!(
        fb(&[TxRate::mcs(6, 1), TxRate::mcs(0, 3)], Band::Ghz2),
        [(0, 3), (14, 3), (20, 1)]
    );
    // Legacy tables get none.
    assert_eq!(fb(&[TxRate::legacy(4, 2)], Band::Ghz2), [(6, 2)]);
}

#[test]
fn unusable_tables_are_errors() {
    let cfg = PolicyConfig::default();
    assert_eq!(
        build_policy(&RateTable([TxRate::UNUSED; 4]), Band::Ghz2, &cfg),
        Err(RateError::NoRate)
    );
    assert_eq!(
        build_policy(&table(&[TxRate::legacy(12, 1)]), Band::Ghz2, &cfg),
        Err(RateError::BadLegacyIndex {
            band: Band::Ghz2,
            idx: 12
        })
    );
    assert_eq!(
        max_tx_rate(&RateTable([TxRate::UNUSED; 4]), Band::Ghz2),
        Err(RateError::NoRate)
    );
    assert_eq!(
        max_tx_rate(&table(&[TxRate::legacy(4, 1)]), Band::Ghz2),
        Ok(6)
    );
}

#[test]
fn ht_parameters_follow_the_first_rate() {
    assert_eq!(ht_tx_parameters(&table(&[TxRate::mcs(3, 1)]), false), 1);
    assert_eq!(ht_tx_parameters(&table(&[TxRate::mcs(3, 1)]), true), 2);
    assert_eq!(ht_tx_parameters(&table(&[TxRate::legacy(3, 1)]), true), 0);
}

#[test]
fn cache_shares_identical_policies_and_fills_up() {
    let mut c = PolicyCache::new(PolicyConfig::default());
    let a = table(&[TxRate::legacy(11, 3), TxRate::legacy(0, 2)]);
    let u1 = c.get_or_insert(&a, Band::Ghz2).unwrap();
    assert!(u1.upload_needed);
    assert!(!c.is_uploaded(u1.index), "a frame with it has to wait");
    let u2 = c.get_or_insert(&a, Band::Ghz2).unwrap();
    assert_eq!(u2.index, u1.index);
    assert!(u2.upload_needed, "not uploaded yet");
    let (_, token) = c.pending_policies();
    c.upload_done(&token);
    assert!(c.is_uploaded(u1.index));
    assert!(!c.is_uploaded(8), "no such entry");
    let u3 = c.get_or_insert(&a, Band::Ghz2).unwrap();
    assert!(!u3.upload_needed);
    assert_eq!(c.uses(u1.index), 3);
    // Seven more distinct policies fill the cache.
    let mut held = vec![u1.index];
    for i in 0..7 {
        let u = c
            .get_or_insert(&table(&[TxRate::legacy(i, 1)]), Band::Ghz2)
            .unwrap();
        assert!(u.upload_needed);
        assert!(!held.contains(&u.index));
        held.push(u.index);
    }
    assert!(c.is_full());
    let e = c.get_or_insert(&table(&[TxRate::legacy(8, 1)]), Band::Ghz2);
    assert!(matches!(e, Err(PolicyError::Full(_))));
    // A known policy is still found.
    assert_eq!(c.get_or_insert(&a, Band::Ghz2).unwrap().index, u1.index);
    // Releasing the last use of one entry makes room; that entry is replaced.
    let victim = held[3];
    c.release(victim).unwrap();
    assert!(!c.is_full());
    let u = c
        .get_or_insert(&table(&[TxRate::legacy(8, 1)]), Band::Ghz2)
        .unwrap();
    assert_eq!(u.index, victim);
    assert!(u.upload_needed);
    // Releases of unused or unknown entries are errors.
    assert_eq!(c.release(9), Err(PolicyError::NotInUse(9)));
    for _ in 0..4 {
        c.release(u1.index).unwrap();
    }
    assert_eq!(c.release(u1.index), Err(PolicyError::NotInUse(u1.index)));
}

#[test]
fn released_policies_are_reused_before_being_replaced() {
    let mut c = PolicyCache::new(PolicyConfig::default());
    let a = table(&[TxRate::legacy(11, 3)]);
    let i = c.get_or_insert(&a, Band::Ghz2).unwrap().index;
    c.upload_done(&c.pending_policies().1);
    c.release(i).unwrap();
    let u = c.get_or_insert(&a, Band::Ghz2).unwrap();
    assert_eq!(u.index, i);
    assert!(!u.upload_needed, "still on the chip");
    // After a chip restart everything is uploaded again.
    c.chip_reset();
    assert!(c.upload_pending());
    assert!(!c.is_uploaded(i), "the restarted chip forgot it");
    assert_eq!(c.pending_policies().0.policies.len(), 1);
}

#[test]
fn upload_encodes_only_changed_policies() {
    let mut c = PolicyCache::new(PolicyConfig::default());
    let a = c
        .get_or_insert(&table(&[TxRate::legacy(11, 3)]), Band::Ghz2)
        .unwrap();
    let mut buf = [0u8; 256];
    let (n, token) = c.encode_upload(&mut buf).unwrap();
    assert_eq!(n, 4 + 20);
    let decoded = TxRatePolicies::decode(&buf[..n]).unwrap();
    let p = decoded.policies.as_slice()[0];
    assert_eq!(p.index, a.index);
    assert_eq!(
        (p.short_retry, p.long_retry, p.flags),
        (31, 31, POLICY_FLAGS)
    );
    assert_eq!(POLICY_FLAGS, 0x0C);
    assert_eq!(p.tries(13), Some(3));
    c.upload_done(&token);
    assert!(!c.upload_pending());
    let (n, token) = c.encode_upload(&mut buf).unwrap();
    assert_eq!(n, 4, "nothing to upload: an empty list");
    assert!(token.is_empty());
    c.get_or_insert(&table(&[TxRate::legacy(10, 3)]), Band::Ghz2)
        .unwrap();
    let (n, token) = c.encode_upload(&mut buf).unwrap();
    assert_eq!(TxRatePolicies::decode(&buf[..n]).unwrap().policies.len(), 1);
    // A policy added while the upload is under way is not marked uploaded by it.
    let late = c
        .get_or_insert(&table(&[TxRate::legacy(9, 3)]), Band::Ghz2)
        .unwrap();
    c.upload_done(&token);
    assert!(c.upload_pending());
    let (p, _) = c.pending_policies();
    assert_eq!(p.policies.len(), 1);
    assert_eq!(p.policies.as_slice()[0].index, late.index);
    assert!(
        c.encode_upload(&mut [0u8; 10]).is_err(),
        "too small a buffer"
    );
}

/// The upload is a MIB write the chip model accepts.
#[test]
fn chip_model_accepts_the_upload() {
    let mut h = Harness::up(8);
    let mut c = PolicyCache::new(PolicyConfig::default());
    for i in 0..8 {
        c.get_or_insert(
            &table(&[TxRate::mcs(7 - i, 2), TxRate::legacy(0, 2)]),
            Band::Ghz2,
        )
        .unwrap();
    }
    let (policies, token) = c.pending_policies();
    assert_eq!(policies.policies.len(), 8);
    let conf = h.round_trip(&SetMib(policies), 0).unwrap();
    let (_, w) = msg::decode::<WriteMibConfirm>(&conf).unwrap();
    assert_eq!(w.status, Status::SUCCESS);
    c.upload_done(&token);
    assert!(!c.upload_pending());
    assert_eq!(h.bus.violations(), 0);
    let _ = mib::id::TX_RATE_RETRY_POLICY;
}

#[test]
fn status_distributes_the_tries_over_the_table() {
    let t = table(&[
        TxRate::mcs(7, 2),
        TxRate::mcs(5, 2),
        TxRate::mcs(3, 2),
        TxRate::legacy(0, 2),
    ]);
    // Acked at the first try.
    assert_eq!(
        fill_status(&t, 0, true),
        RateTable([
            TxRate::mcs(7, 1),
            TxRate::UNUSED,
            TxRate::UNUSED,
            TxRate::UNUSED
        ])
    );
    // Acked at the 4th try: 2 at MCS 7, 2 at MCS 5.
    assert_eq!(
        fill_status(&t, 3, true),
        RateTable([
            TxRate::mcs(7, 2),
            TxRate::mcs(5, 2),
            TxRate::UNUSED,
            TxRate::UNUSED
        ])
    );
    // Failed after 5 transmissions: 6 tries reported.
    assert_eq!(
        fill_status(&t, 5, false),
        RateTable([
            TxRate::mcs(7, 2),
            TxRate::mcs(5, 2),
            TxRate::mcs(3, 2),
            TxRate::UNUSED
        ])
    );
    // Failed without a transmission (lifetime): no tries.
    assert_eq!(
        fill_status(&t, 0, false),
        RateTable([
            TxRate::mcs(7, 0),
            TxRate::UNUSED,
            TxRate::UNUSED,
            TxRate::UNUSED
        ])
    );
    // More tries than the table (the fallback rate): the table as is.
    assert_eq!(fill_status(&t, 14, false), t);
    assert_eq!(total_tries(3, true), 4);
    assert_eq!(total_tries(3, false), 4);
    assert_eq!(total_tries(0, false), 0);
}

fn rate() -> impl Strategy<Value = TxRate> {
    prop_oneof![
        (-1i8..14, 0u8..20).prop_map(|(i, c)| TxRate::legacy(i, c)),
        (-1i8..10, 0u8..20).prop_map(|(i, c)| TxRate::mcs(i, c)),
        any::<(i8, u8, u16)>().prop_map(|(idx, count, f)| TxRate {
            idx,
            count,
            flags: RateFlags(f)
        }),
    ]
}

proptest! {
    /// Any table builds a policy or a typed error; a built policy never exceeds the
    /// retry limit by more than the fallback, walks downwards, and its status mapping
    /// never reports more tries than happened.
    #[test]
    fn any_table_is_safe(
        rates in prop::array::uniform4(rate()),
        band in prop_oneof![Just(Band::Ghz2), Just(Band::Ghz5)],
        short_retry in 0u8..40,
        af in any::<u8>(),
        acked in any::<bool>(),
    ) {
        let t = RateTable(rates);
        let cfg = PolicyConfig { short_retry, ..PolicyConfig::default() };
        if let Ok(p) = build_policy(&t, band, &cfg) {
            let used: Vec<&TxRate> = p.rates.used().collect();
            prop_assert!(!used.is_empty());
            let wsm: Vec<u8> = used.iter().map(|r| wsm_rate_index(band, r).unwrap()).collect();
            prop_assert!(wsm.windows(2).all(|w| w[0] > w[1]), "strictly downwards: {:?}", wsm);
            let total: usize = used.iter().map(|r| usize::from(r.count)).sum();
            prop_assert!(total <= usize::from(short_retry).max(used.len()));
            prop_assert_eq!(p.max_tx_rate, wsm[0]);
            let s = fill_status(&p.rates, af, acked);
            let reported: usize = s.used().map(|r| usize::from(r.count)).sum();
            prop_assert!(reported <= usize::from(total_tries(af, acked)));
        }
        let mut c = PolicyCache::new(cfg);
        for _ in 0..3 {
            match c.get_or_insert(&t, band) {
                Ok(u) => prop_assert!(u.index < 8),
                Err(PolicyError::Rate(_)) => {}
                Err(e) => prop_assert!(false, "{:?}", e),
            }
        }
    }
}

#[test]
fn retry_limits_reach_every_policy() {
    assert_eq!(retry_limits(7, 4), (7, 4), "mac80211's defaults");
    assert_eq!(retry_limits(0, 255), (1, 15));
    let mut c = PolicyCache::new(PolicyConfig::default());
    let a = table(&[TxRate::legacy(11, 10), TxRate::legacy(0, 10)]);
    let u = c.get_or_insert(&a, Band::Ghz2).unwrap();
    let (_, before) = c.pending_policies();
    // The limits change while the first upload is on its way: it does not count for them.
    assert!(c.set_retry_limits(7, 4));
    assert!(!c.set_retry_limits(7, 4), "unchanged");
    c.upload_done(&before);
    assert!(!c.is_uploaded(u.index));
    let (p, token) = c.pending_policies();
    let p = p.policies.as_slice()[0];
    assert_eq!((p.index, p.short_retry, p.long_retry), (u.index, 7, 4));
    c.upload_done(&token);
    assert!(c.is_uploaded(u.index));
    // New tables are capped at the new short limit.
    let b = c
        .get_or_insert(
            &table(&[TxRate::legacy(10, 10), TxRate::legacy(0, 10)]),
            Band::Ghz2,
        )
        .unwrap();
    let tries: u32 = b.policy.rates.used().map(|r| u32::from(r.count)).sum();
    assert_eq!(tries, 7);
    // A cleared cache keeps the limits.
    c.clear();
    assert_eq!(c.config().short_retry, 7);
}
