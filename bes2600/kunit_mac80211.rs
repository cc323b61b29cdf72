// SPDX-License-Identifier: GPL-2.0

//! KUnit suite of the socket-buffer and mac80211 abstractions (`rust/skb.rs`,
//! `rust/mac80211.rs`): buffer bounds, queues, and a hw registered with both bands, brought up
//! and down, and unregistered.

use kernel::prelude::*;

#[kunit_tests(bes2600_mac80211)]
mod tests {
    use core::sync::atomic::{
        AtomicU32,
        Ordering, //
    };

    use kernel::{
        c_str,
        device,
        faux,
        prelude::*,
        time::{
            delay::fsleep,
            Delta, //
        }, //
    };

    use crate::kernel_ext::{
        mac80211::{
            Band,
            BandConfig,
            ChannelDef,
            ChannelFlags,
            ExtFeature,
            HtCap,
            Hw,
            HwConfig,
            HwFlag,
            Ops,
            RateDef,
            Registration,
            RxBatch,
            RxFlags,
            RxStatus,
            TxControl,
            TxInfo,
            TxRate,
            TxRateFlags,
            TxStatus,
            Vif,
            WLAN_CIPHER_SUITE_CCMP,
            WLAN_CIPHER_SUITE_TKIP, //
        },
        skb::{
            LockedSkbQueue,
            SkBuff,
            SkbQueue, //
        },
    };

    /// Buffer bounds: what would panic in C is an error here.
    #[test]
    fn skb_bounds() -> Result {
        let mut skb = SkBuff::alloc(100, 32)?;
        assert_eq!(skb.len(), 0);
        assert!(skb.is_empty());
        assert_eq!(skb.headroom(), 32);
        assert!(skb.tailroom() >= 100);

        skb.put(10)?
            .copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(skb.len(), 10);
        assert_eq!(skb.data(), &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

        skb.push(4)?.copy_from_slice(&[0xa, 0xb, 0xc, 0xd]);
        assert_eq!(skb.len(), 14);
        assert_eq!(skb.headroom(), 28);
        assert_eq!(&skb.data()[..5], &[0xa, 0xb, 0xc, 0xd, 1]);

        // Past the head room or the tail room: an error, and the buffer is unchanged.
        let headroom = skb.headroom();
        assert_eq!(skb.push(headroom + 1).err(), Some(ENOSPC));
        let tailroom = skb.tailroom();
        assert_eq!(skb.put(tailroom + 1).err(), Some(ENOSPC));
        assert_eq!(skb.len(), 14);

        skb.pull(4)?;
        assert_eq!(skb.data()[0], 1);
        assert_eq!(skb.pull(11).err(), Some(EINVAL));
        assert_eq!(skb.len(), 10);

        skb.trim(3);
        assert_eq!(skb.data(), &[1, 2, 3]);
        skb.trim(20);
        assert_eq!(skb.len(), 3);

        skb.data_mut()[0] = 42;
        skb.expand_head(200)?;
        assert!(skb.headroom() >= 200);
        assert_eq!(skb.data(), &[42, 2, 3]);

        // A buffer made here carries no transmit information.
        let info = TxInfo::of(&skb);
        assert_eq!(info.flags.0, 0);
        Ok(())
    }

    /// A buffer with its first byte set to `tag`.
    fn tagged(tag: u8) -> Result<SkBuff> {
        let mut skb = SkBuff::alloc(16, 0)?;
        skb.put(1)?[0] = tag;
        Ok(skb)
    }

    /// The unlocked queue keeps order and frees what is left when dropped.
    #[test]
    fn skb_queue_order_and_drop() -> Result {
        let mut queue = SkbQueue::new();
        assert!(queue.is_empty());
        assert!(queue.pop_front().is_none());
        for tag in 1..=3 {
            queue.push_back(tagged(tag)?);
        }
        assert_eq!(queue.len(), 3);
        for tag in 1..=3 {
            let skb = queue.pop_front().ok_or(EINVAL)?;
            assert_eq!(skb.data(), &[tag]);
        }
        assert!(queue.pop_front().is_none());
        assert!(queue.is_empty());

        // Push after empty, then drop with buffers queued: kmemleak would see a leak.
        queue.push_back(tagged(4)?);
        queue.push_back(tagged(5)?);
        assert_eq!(queue.pop_front().ok_or(EINVAL)?.data(), &[4]);
        queue.push_back(tagged(6)?);
        assert_eq!(queue.len(), 2);
        drop(queue);
        Ok(())
    }

    /// The locked queue keeps order, purges, and frees what is left when dropped.
    #[test]
    fn locked_skb_queue() -> Result {
        let queue = KBox::pin_init(LockedSkbQueue::new(), GFP_KERNEL)?;
        assert!(queue.is_empty());
        for tag in 1..=3 {
            queue.push_back(tagged(tag)?);
        }
        assert_eq!(queue.len(), 3);
        assert_eq!(queue.pop_front().ok_or(EINVAL)?.data(), &[1]);
        queue.purge();
        assert!(queue.pop_front().is_none());
        queue.push_back(tagged(7)?);
        drop(queue);
        Ok(())
    }

    /// Counts the calls of each op.
    #[derive(Default)]
    struct Calls {
        start: AtomicU32,
        stop: AtomicU32,
        add_interface: AtomicU32,
        remove_interface: AtomicU32,
        config: AtomicU32,
        configure_filter: AtomicU32,
        bss_info_changed: AtomicU32,
        tx: AtomicU32,
        station_vifs: AtomicU32,
    }

    struct TestDriver;

    #[vtable]
    impl Ops for TestDriver {
        type Data = Calls;

        fn tx(hw: &Hw<Self>, _control: &TxControl<'_>, skb: SkBuff) {
            hw.data().tx.fetch_add(1, Ordering::Relaxed);
            hw.free_tx_skb(skb);
        }

        fn start(hw: &Hw<Self>) -> Result {
            hw.data().start.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }

        fn stop(hw: &Hw<Self>, _suspend: bool) {
            hw.data().stop.fetch_add(1, Ordering::Relaxed);
        }

        fn add_interface(hw: &Hw<Self>, vif: &Vif) -> Result {
            if vif.is_station() {
                hw.data().station_vifs.fetch_add(1, Ordering::Relaxed);
            }
            hw.data().add_interface.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }

        fn remove_interface(hw: &Hw<Self>, _vif: &Vif) {
            hw.data().remove_interface.fetch_add(1, Ordering::Relaxed);
        }

        fn config(hw: &Hw<Self>, _changed: u32) -> Result {
            hw.data().config.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }

        fn configure_filter(hw: &Hw<Self>, _changed: u32, total: &mut u32, _multicast: u64) {
            hw.data().configure_filter.fetch_add(1, Ordering::Relaxed);
            *total = 0;
        }

        fn bss_info_changed(hw: &Hw<Self>, _vif: &Vif, _changed: u64) {
            hw.data().bss_info_changed.fetch_add(1, Ordering::Relaxed);
        }
    }

    const CHANNELS_2GHZ: [ChannelDef; 13] = {
        let mut table = [ChannelDef {
            center_freq: 0,
            hw_value: 0,
            max_power: 20,
            flags: ChannelFlags::NONE,
        }; 13];
        let mut i = 0;
        while i < table.len() {
            table[i].center_freq = 2412 + 5 * i as u16;
            table[i].hw_value = i as u16 + 1;
            i += 1;
        }
        table
    };

    const CHANNELS_5GHZ: [ChannelDef; 4] = [
        ChannelDef {
            center_freq: 5180,
            hw_value: 36,
            max_power: 20,
            flags: ChannelFlags::NONE,
        },
        ChannelDef {
            center_freq: 5200,
            hw_value: 40,
            max_power: 20,
            flags: ChannelFlags::NONE,
        },
        ChannelDef {
            center_freq: 5260,
            hw_value: 52,
            max_power: 20,
            flags: ChannelFlags::RADAR,
        },
        ChannelDef {
            center_freq: 5745,
            hw_value: 149,
            max_power: 20,
            flags: ChannelFlags::NONE,
        },
    ];

    const fn rate(bitrate: u16, hw_value: u16, short_preamble: bool) -> RateDef {
        RateDef {
            bitrate,
            hw_value,
            short_preamble,
        }
    }

    const RATES_2GHZ: [RateDef; 12] = [
        rate(10, 0, false),
        rate(20, 1, true),
        rate(55, 2, true),
        rate(110, 3, true),
        rate(60, 6, false),
        rate(90, 7, false),
        rate(120, 8, false),
        rate(180, 9, false),
        rate(240, 10, false),
        rate(360, 11, false),
        rate(480, 12, false),
        rate(540, 13, false),
    ];

    const HT_CAP: HtCap = HtCap {
        // Short guard interval at 20 MHz.
        cap: 0x0020,
        // 64 KiB A-MPDUs, 4 µs spacing.
        ampdu_factor: 3,
        ampdu_density: 5,
        rx_mask: [0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        rx_highest: 0,
        tx_params: 0,
    };

    /// A hw with both bands registers, calls its ops when its interface goes up and down,
    /// accepts received frames, and unregisters cleanly when dropped.
    #[test]
    fn registration_with_both_bands() -> Result {
        let faux = faux::Registration::new(c_str!("bes2600-kunit-mac80211"), None)?;
        let fdev: &faux::Device<device::Bound> = faux.as_ref();
        let parent: &device::Device<device::Bound> = fdev.as_ref();

        let hw_flags = [
            HwFlag::SignalDbm,
            HwFlag::ReportsTxAckStatus,
            HwFlag::MfpCapable,
            HwFlag::AmpduAggregation,
            HwFlag::SupportsPs,
        ];
        let ciphers = [WLAN_CIPHER_SUITE_TKIP, WLAN_CIPHER_SUITE_CCMP];
        let cfg = HwConfig {
            perm_addr: [0x02, 0xbe, 0x57, 0x26, 0x00, 0x01],
            band_2ghz: Some(BandConfig {
                channels: &CHANNELS_2GHZ,
                bitrates: &RATES_2GHZ,
                ht_cap: Some(HT_CAP),
            }),
            band_5ghz: Some(BandConfig {
                channels: &CHANNELS_5GHZ,
                bitrates: &RATES_2GHZ[4..],
                ht_cap: Some(HT_CAP),
            }),
            extra_tx_headroom: 16,
            max_scan_ssids: 2,
            max_scan_ie_len: 512,
            hw_flags: &hw_flags,
            cipher_suites: &ciphers,
            ext_features: &[ExtFeature::CAN_REPLACE_PTK0],
            ..HwConfig::default()
        };

        let reg = Registration::<TestDriver>::new(parent, Calls::default(), &cfg)?;
        let hw = reg.hw();
        let calls = hw.data();
        assert_eq!(calls.start.load(Ordering::Relaxed), 0);

        hw.set_first_interface_up(true)?;
        assert_eq!(calls.start.load(Ordering::Relaxed), 1);
        assert_eq!(calls.add_interface.load(Ordering::Relaxed), 1);
        assert_eq!(calls.station_vifs.load(Ordering::Relaxed), 1);
        // For a station interface mac80211 programs the filter from its `reconfig_filter`
        // wiphy work, which opening the netdev queues (`ndo_set_rx_mode`): it runs soon after,
        // not before `set_first_interface_up` returns. Wait for it, bounded.
        let mut waited_ms = 0;
        while calls.configure_filter.load(Ordering::Relaxed) == 0 && waited_ms < 2000 {
            fsleep(Delta::from_millis(10));
            waited_ms += 10;
        }
        assert!(calls.configure_filter.load(Ordering::Relaxed) > 0);

        // The interface is active: an iteration finds it, with the hw's address.
        let mut found = 0;
        hw.iterate_active_interfaces(|vif| {
            if vif.addr() == cfg.perm_addr && vif.is_station() && !vif.cfg().assoc() {
                found += 1;
            }
        });
        assert_eq!(found, 1);

        // A received frame (a null-data frame from nobody) goes to mac80211, which drops it.
        let frame: [u8; 24] = [
            0x48, 0x01, 0, 0, 0x02, 0xbe, 0x57, 0x26, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0,
            2, 0x10, 0,
        ];
        let status = RxStatus::new(2412, Band::Ghz2)
            .signal(-50)
            .legacy_rate(0)
            .flags(RxFlags::NONE);
        let mut skb = SkBuff::alloc(frame.len(), 0)?;
        skb.put(frame.len())?.copy_from_slice(&frame);
        hw.rx(skb, &status);
        let mut batch = RxBatch::new();
        for _ in 0..3 {
            let mut skb = SkBuff::alloc(frame.len(), 0)?;
            skb.put(frame.len())?.copy_from_slice(&frame);
            batch.push(skb, &status);
        }
        assert_eq!(batch.len(), 3);
        hw.rx_list(&mut batch);
        assert!(batch.is_empty());

        // The channel mac80211 starts on: the first channel of the first band.
        let conf = hw.conf();
        assert_eq!(conf.chandef.center_freq, 2412);
        assert_eq!(conf.chandef.band, Some(Band::Ghz2));
        assert_eq!(conf.chandef.hw_value, 1);

        // A transmit status for a frame mac80211 never sent: it finds no station or
        // pending status for it and frees it.
        let mut skb = SkBuff::alloc(frame.len(), 0)?;
        skb.put(frame.len())?.copy_from_slice(&frame);
        let mut tx_status = TxStatus::default();
        tx_status.rates[0] = TxRate {
            idx: 0,
            count: 2,
            flags: TxRateFlags::NONE,
        };
        tx_status.ack_signal = Some(-40);
        hw.tx_status(skb, &tx_status);

        hw.set_first_interface_up(false)?;
        assert_eq!(calls.remove_interface.load(Ordering::Relaxed), 1);
        assert_eq!(calls.stop.load(Ordering::Relaxed), 1);

        // Up again and left up: dropping the registration closes it.
        hw.set_first_interface_up(true)?;
        assert_eq!(calls.start.load(Ordering::Relaxed), 2);
        drop(reg);
        drop(faux);
        Ok(())
    }
}
