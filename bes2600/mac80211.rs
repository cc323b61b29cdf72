// SPDX-License-Identifier: GPL-2.0

//! The mac80211 side of the driver: the hardware registered at probe and its
//! `ieee80211_ops`, in station mode.
//!
//! Every op but `tx` runs in process context with mac80211's wiphy mutex held, and may
//! sleep: a WSM command goes through the one command slot ([`crate::wsm`]) and waits for its
//! confirm. `tx` may run in softirq context: it only hands the frame to the BH ([`tx`]). The
//! BH itself delivers what comes back up — received frames ([`rx`]), TX status ([`tx`]) and
//! the end of a scan ([`scan`]) — from its own thread, through the revocable handle the
//! registration gives it, so nothing runs between the chip and mac80211 but the BH.
//!
//! - [`bands`]: the channels, bitrates and HT capabilities the wiphy announces.
//! - [`sta`]: join and unjoin, association, EDCA, keys: the station's state in the chip.
//! - [`scan`]: hardware scan.
//! - [`tx`] and [`rx`]: the data path's conversions between mac80211 and WSM.

mod bands;
pub(crate) mod rx;
pub(crate) mod scan;
mod sta;
pub(crate) mod tx;

use kernel::{
    device::{
        Bound,
        Device, //
    },
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
};

use crate::bh::Shared;
use crate::engine::rate_policy::Band;
use crate::kernel_ext::{
    mac80211::{
        self as mac,
        AmpduAction,
        AmpduParams,
        AmpduResponse,
        Hw,
        HwConfig,
        HwFlag,
        InterfaceModes,
        KeyConf,
        LowLevelStats,
        Registration,
        ScanRequest,
        SetKeyCmd,
        Sta,
        TxControl,
        TxQueueParams,
        Vif, //
    },
    skb::SkBuff,
};

/// The ops table the driver registers.
pub(crate) struct Bes2600Ops;

/// What mac80211's callbacks reach through the hardware: the hand-over to the BH and the
/// station's state.
#[pin_data]
pub(crate) struct HwData {
    /// The BH's hand-over points (command slot, TX inbox).
    pub(crate) shared: Arc<Shared>,
    /// The station interface and what the chip knows of it.
    #[pin]
    sta: Mutex<sta::StaState>,
    /// The hand-over of scans to the scan thread.
    pub(crate) scan: Arc<scan::ScanWorker>,
}

/// Registers the hardware of a bound function with mac80211, with `mac` as its address, and
/// gives the BH its handle. Dropping the registration unregisters it (and revokes the BH's
/// handle first).
pub(crate) fn register(
    dev: &Device<Bound>,
    shared: Arc<Shared>,
    mac: [u8; 6],
) -> Result<Registration<Bes2600Ops>> {
    let (ch2, ch5) = (bands::channels(Band::Ghz2)?, bands::channels(Band::Ghz5)?);
    let (br2, br5) = (bands::bitrates(Band::Ghz2)?, bands::bitrates(Band::Ghz5)?);
    let shared_for_data = shared.clone();
    let cfg = HwConfig {
        perm_addr: mac,
        band_2ghz: Some(bands::band(&ch2, &br2)),
        band_5ghz: Some(bands::band(&ch5, &br5)),
        queues: 4,
        max_rates: 4,
        max_rate_tries: 15,
        extra_tx_headroom: tx::HEADROOM,
        max_scan_ssids: crate::protocol::msg::scan::MAX_SSIDS as u8,
        max_scan_ie_len: scan::MAX_IE_LEN,
        interface_modes: InterfaceModes::STATION,
        hw_flags: &[
            HwFlag::SignalDbm,
            HwFlag::SupportsPs,
            HwFlag::SupportsDynamicPs,
            HwFlag::ReportsTxAckStatus,
            HwFlag::MfpCapable,
            HwFlag::AmpduAggregation,
            HwFlag::TxAmpduSetupInHw,
        ],
        ..HwConfig::default()
    };
    let scan_worker = Arc::pin_init(scan::ScanWorker::new(), GFP_KERNEL)?;
    let data = pin_init!(HwData {
        shared: shared_for_data,
        sta <- new_mutex!(sta::StaState::new(), "bes2600::mac80211::sta"),
        scan: scan_worker,
    });
    let reg = Registration::<Bes2600Ops>::new(dev, data, &cfg)?;
    dev_info!(
        dev,
        "registered with mac80211 as {}\n",
        crate::bh::stats::MacFmt(&mac)
    );
    shared.set_hw(Some(reg.handle()));
    Ok(reg)
}

#[vtable]
impl mac::Ops for Bes2600Ops {
    type Data = HwData;

    fn tx(hw: &Hw<Self>, control: &TxControl<'_>, skb: SkBuff) {
        // The key is only known to be valid during this call: what the BH needs of it (the
        // room for the ICV/MIC the firmware appends) is read now.
        let tail = control.hw_key().map(|k| k.icv_len()).unwrap_or(0);
        if let Err(skb) = hw.data().shared.queue_tx(skb, tail) {
            hw.free_tx_skb(skb);
        }
    }

    fn start(hw: &Hw<Self>) -> Result {
        sta::start(hw.data())
    }

    fn stop(hw: &Hw<Self>, _suspend: bool) {
        sta::stop(hw.data());
    }

    fn add_interface(hw: &Hw<Self>, vif: &Vif) -> Result {
        sta::add_interface(hw.data(), vif)?;
        // Still associated: mac80211 is replaying the interface after a chip restart. The
        // firmware came back with its transmit packet numbers at zero and there is no way to
        // give it the old ones, so the AP would drop every protected frame as a replay: the
        // association ends, and the supplicant connects again with fresh keys.
        if vif.cfg().assoc() {
            let _ = hw.restart_disconnect(vif);
        }
        Ok(())
    }

    fn remove_interface(hw: &Hw<Self>, vif: &Vif) {
        sta::remove_interface(hw.data(), vif);
    }

    fn config(hw: &Hw<Self>, changed: u32) -> Result {
        // The channel is the join's (sta.rs). Power save is the interface's (BSS_CHANGED_PS):
        // the firmware runs the doze and wake cycle (SUPPORTS_DYNAMIC_PS).
        let conf = hw.conf();
        if changed & mac::conf_changed::RETRY_LIMITS != 0 {
            hw.data()
                .shared
                .set_retry_limits(conf.short_frame_max_tx_count, conf.long_frame_max_tx_count);
        }
        // The TX power comes with the BSS configuration (sta.rs): mac80211 no longer sets
        // `power_level` for a driver that emulates channel contexts.
        Ok(())
    }

    fn bss_info_changed(hw: &Hw<Self>, vif: &Vif, changed: u64) {
        sta::bss_info_changed(hw.data(), vif, changed);
    }

    fn configure_filter(_hw: &Hw<Self>, _changed: u32, total: &mut u32, _multicast: u64) {
        // The chip passes every frame of the joined BSS up and filters nothing on request.
        *total = 0;
    }

    fn hw_scan(hw: &Hw<Self>, vif: &Vif, req: &ScanRequest) -> Result {
        scan::start(hw, vif, req)
    }

    fn cancel_hw_scan(hw: &Hw<Self>, _vif: &Vif) {
        scan::cancel(hw.data());
    }

    fn set_key(
        hw: &Hw<Self>,
        cmd: SetKeyCmd,
        vif: &Vif,
        sta: Option<&Sta>,
        key: &mut KeyConf,
    ) -> Result {
        sta::set_key(hw.data(), cmd, vif, sta, key)
    }

    fn sta_add(_hw: &Hw<Self>, _vif: &Vif, _sta: &Sta) -> Result {
        Ok(())
    }

    fn sta_remove(_hw: &Hw<Self>, _vif: &Vif, _sta: &Sta) -> Result {
        Ok(())
    }

    fn conf_tx(
        hw: &Hw<Self>,
        _vif: &Vif,
        _link_id: u32,
        ac: u16,
        params: &TxQueueParams,
    ) -> Result {
        sta::conf_tx(hw.data(), ac, params)
    }

    fn flush(hw: &Hw<Self>, _vif: Option<&Vif>, _queues: u32, drop: bool) {
        hw.data().shared.flush_tx(drop);
    }

    fn ampdu_action(_hw: &Hw<Self>, _vif: &Vif, params: &AmpduParams) -> Result<AmpduResponse> {
        // The firmware aggregates on its own and answers ADDBA itself; mac80211 reorders
        // received aggregates (docs/chip-protocol.md, "Block ack").
        match params.action() {
            Some(AmpduAction::RxStart | AmpduAction::RxStop) => Ok(AmpduResponse::Done),
            _ => Err(EOPNOTSUPP),
        }
    }

    fn get_stats(hw: &Hw<Self>, stats: &mut LowLevelStats) -> Result {
        // Frames the firmware confirmed as not acknowledged, from the BH's data-path counters
        // (the chip's RTS and FCS counters are not read).
        let tx = hw.data().shared.with_stats(|s| s.tx);
        let failed = tx.confirmed.saturating_sub(tx.acked);
        stats.set_ack_failure_count(u32::try_from(failed).unwrap_or(u32::MAX));
        Ok(())
    }

    fn set_rts_threshold(hw: &Hw<Self>, value: u32) -> Result {
        sta::set_rts_threshold(hw.data(), value)
    }

    fn get_txpower(hw: &Hw<Self>, _vif: &Vif) -> Result<i32> {
        sta::tx_power(hw.data())
    }
}
