// SPDX-License-Identifier: GPL-2.0

//! Hardware scan (docs/chip-protocol.md, "Scan", "Scanning"): mac80211's request becomes same-band
//! batches of WSM 0x0007 scans ([`crate::engine::scan_plan`]), each with the probe-request
//! template of its band (MIB 0x1002 type 0). The beacons and probe responses the firmware
//! hears arrive as ordinary received frames ([`super::rx`]), which is how mac80211 learns the
//! BSSs; the 0x0806 indication ends a batch.
//!
//! The op runs the whole scan before it returns, with mac80211's wiphy mutex held (so a join
//! can never overlap a scan, which the firmware refuses). A batch that does not end within
//! its watchdog is stopped with 0x0008.

use kernel::{
    prelude::*,
    time::Delta, //
};

use super::{
    sta::IF_ID,
    Bes2600Ops, //
};
use crate::bh::stats::Shown;
use crate::engine::{
    rate_policy::Band,
    scan_plan::{
        ScanChannelReq,
        ScanParams,
        ScanPlan, //
    },
};
use crate::kernel_ext::mac80211::{
    Band as HwBand,
    Hw,
    ScanRequest,
    Vif, //
};
use crate::protocol::{
    mib::{
        template,
        SetMib,
        TemplateFrame, //
    },
    msg::{
        scan::StopScan,
        StartScanConfirm,
        StopScanConfirm,
        WriteMibConfirm, //
    },
};

/// The longest information elements mac80211 may add to a probe request: the template and
/// its header must fit one WSM message.
pub(super) const MAX_IE_LEN: u16 = 1024;

/// The 802.11 header of a broadcast probe request from `sa`, without sequence number (the
/// firmware numbers its frames).
fn probe_header(sa: &[u8; 6]) -> [u8; 24] {
    let mut h = [0u8; 24];
    // Frame control: management, subtype 4 (probe request).
    h[0] = 0x40;
    h[4..10].copy_from_slice(&[0xff; 6]);
    h[10..16].copy_from_slice(sa);
    h[16..22].copy_from_slice(&[0xff; 6]);
    h
}

/// Uploads the probe-request template of `band`: header, the wildcard SSID element (the
/// firmware puts each scanned SSID in) and mac80211's elements for the band.
fn upload_template(hw: &Hw<Bes2600Ops>, sa: &[u8; 6], req: &ScanRequest, band: HwBand) -> Result {
    let band_ies = req.ies_for(band);
    let common = req.common_ies();
    let mut frame = KVec::with_capacity(24 + 2 + band_ies.len() + common.len(), GFP_KERNEL)?;
    frame.extend_from_slice(&probe_header(sa), GFP_KERNEL)?;
    frame.extend_from_slice(&[0, 0], GFP_KERNEL)?;
    frame.extend_from_slice(band_ies, GFP_KERNEL)?;
    frame.extend_from_slice(common, GFP_KERNEL)?;
    let rate = match band {
        HwBand::Ghz5 => crate::engine::rate_policy::wsm_rate::OFDM_6,
        _ => crate::engine::rate_policy::wsm_rate::DSSS_1,
    };
    let c = hw.data().shared.send(
        &SetMib(TemplateFrame {
            frame_type: template::PROBE_REQUEST,
            rate,
            frame: &frame,
        }),
        IF_ID,
    )?;
    if c.decode::<WriteMibConfirm>()?.status.is_success() {
        Ok(())
    } else {
        Err(EIO)
    }
}

/// Runs mac80211's scan request to the end and reports it completed.
pub(super) fn run(hw: &Hw<Bes2600Ops>, vif: &Vif, req: &ScanRequest) -> Result {
    let data = hw.data();
    let mut channels = KVec::new();
    for c in req.channels() {
        let band = match c.band() {
            Some(HwBand::Ghz2) => Band::Ghz2,
            Some(HwBand::Ghz5) => Band::Ghz5,
            None => continue,
        };
        channels.push(
            ScanChannelReq {
                band,
                number: c.hw_value(),
                no_ir: c.no_ir(),
                radar: c.radar(),
            },
            GFP_KERNEL,
        )?;
    }
    let mut ssids = KVec::new();
    for s in req.ssids() {
        ssids.push(s, GFP_KERNEL)?;
    }
    let joined = vif.cfg().assoc();
    let params = ScanParams {
        if_id: IF_ID,
        joined,
        ..ScanParams::default()
    };
    let mut plan = ScanPlan::new(params, &channels, &ssids).map_err(|e| {
        pr_warn!("bes2600: scan request refused: {}\n", Shown(e));
        EINVAL
    })?;
    let sa = vif.addr();
    // The scan keeps the chip awake from here to `scan_end`, which every way out reaches.
    data.shared.scan_begin();
    let result = (|| -> Result<bool> {
        let mut aborted = false;
        let mut template_band = None;
        while let Some(batch) = plan.next_batch() {
            if data.shared.scan_cancelled() {
                aborted = true;
                break;
            }
            let band = match batch.band {
                Band::Ghz2 => HwBand::Ghz2,
                Band::Ghz5 => HwBand::Ghz5,
            };
            if template_band != Some(band) {
                upload_template(hw, &sa, req, band)?;
                template_band = Some(band);
            }
            let c = data.shared.send(&batch.request, IF_ID)?;
            if !c.decode::<StartScanConfirm>()?.status.is_success() {
                pr_warn!("bes2600: the firmware refused a scan batch\n");
                aborted = true;
                break;
            }
            let watchdog = Delta::from_millis(i64::from(batch.watchdog_ms()));
            if data.shared.wait_scan_done(watchdog).is_none() {
                pr_warn!("bes2600: a scan batch did not end in time; stopping it\n");
                if let Ok(c) = data.shared.send(&StopScan::default(), IF_ID) {
                    let _ = c.decode::<StopScanConfirm>();
                }
                aborted = true;
                break;
            }
        }
        Ok(aborted)
    })();
    data.shared.scan_end();
    hw.scan_completed(result?);
    Ok(())
}

/// Asks a running scan to stop after its current batch.
pub(super) fn cancel(data: &super::HwData) {
    data.shared.scan_cancel();
}
