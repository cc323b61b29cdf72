// SPDX-License-Identifier: GPL-2.0

//! Hardware scan (docs/chip-protocol.md, "Scan", "Scanning"): mac80211's request becomes same-band
//! batches of WSM 0x0007 scans ([`crate::engine::scan_plan`]), each with the probe-request
//! template of its band (MIB 0x1002 type 0). The beacons and probe responses the firmware
//! hears arrive as ordinary received frames ([`super::rx`]), which is how mac80211 learns the
//! BSSs; the 0x0806 indication ends a batch.
//!
//! The op only checks and copies the request ([`ScanJob`]) and returns: the scan runs on the
//! device's scan thread ([`start_worker`]), so mac80211's wiphy lock is free while the radio
//! listens, and `iw link`, station dumps and the supplicants' other requests are answered
//! during a scan. A join cancels a running scan and waits for its end (the firmware refuses
//! to join while scanning); so do `stop` and the BH before it has mac80211 restart the
//! hardware after a chip restart. A batch that does not end within its watchdog is stopped
//! with 0x0008.

use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    time::Delta, //
};

use super::{
    sta::IF_ID,
    Bes2600Ops, //
};
use crate::bh::{
    stats::Shown,
    Shared, //
};
use crate::engine::{
    rate_policy::Band,
    scan_plan::{
        ScanChannelReq,
        ScanParams,
        ScanPlan, //
    },
};
use crate::kernel_ext::{
    kthread::{
        Thread,
        WakerSlot, //
    },
    mac80211::{
        Band as HwBand,
        Hw,
        HwHandle,
        ScanRequest,
        Vif, //
    },
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

/// The probe-request template of `band`: header, the wildcard SSID element (the firmware
/// puts each scanned SSID in) and mac80211's elements for the band.
fn template_frame(sa: &[u8; 6], req: &ScanRequest, band: HwBand) -> Result<KVec<u8>> {
    let band_ies = req.ies_for(band);
    let common = req.common_ies();
    let mut frame = KVec::with_capacity(24 + 2 + band_ies.len() + common.len(), GFP_KERNEL)?;
    frame.extend_from_slice(&probe_header(sa), GFP_KERNEL)?;
    frame.extend_from_slice(&[0, 0], GFP_KERNEL)?;
    frame.extend_from_slice(band_ies, GFP_KERNEL)?;
    frame.extend_from_slice(common, GFP_KERNEL)?;
    Ok(frame)
}

/// Uploads `frame` as the probe-request template, sent at the lowest rate of `band`.
fn upload_template(shared: &Shared, frame: &[u8], band: Band) -> Result {
    let rate = match band {
        Band::Ghz5 => crate::engine::rate_policy::wsm_rate::OFDM_6,
        Band::Ghz2 => crate::engine::rate_policy::wsm_rate::DSSS_1,
    };
    let c = shared.send(
        &SetMib(TemplateFrame {
            frame_type: template::PROBE_REQUEST,
            rate,
            frame,
        }),
        IF_ID,
    )?;
    if c.decode::<WriteMibConfirm>()?.status.is_success() {
        Ok(())
    } else {
        Err(EIO)
    }
}

/// A scan mac80211 asked for, copied out of its request: the request itself is only
/// borrowed for the op's duration.
pub(crate) struct ScanJob {
    params: ScanParams,
    channels: KVec<ScanChannelReq>,
    ssids: KVec<KVec<u8>>,
    /// The probe-request templates of the 2.4 GHz and the 5 GHz band, for the bands the
    /// request has channels on.
    template_2ghz: Option<KVec<u8>>,
    template_5ghz: Option<KVec<u8>>,
}

impl ScanJob {
    /// Checks and copies mac80211's request.
    fn from_request(vif: &Vif, req: &ScanRequest) -> Result<Self> {
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
            let mut owned = KVec::with_capacity(s.len(), GFP_KERNEL)?;
            owned.extend_from_slice(s, GFP_KERNEL)?;
            ssids.push(owned, GFP_KERNEL)?;
        }
        let params = ScanParams {
            if_id: IF_ID,
            joined: vif.cfg().assoc(),
            ..ScanParams::default()
        };
        let sa = vif.addr();
        let has = |band| channels.iter().any(|c| c.band == band);
        let template_2ghz = if has(Band::Ghz2) {
            Some(template_frame(&sa, req, HwBand::Ghz2)?)
        } else {
            None
        };
        let template_5ghz = if has(Band::Ghz5) {
            Some(template_frame(&sa, req, HwBand::Ghz5)?)
        } else {
            None
        };
        let job = Self {
            params,
            channels,
            ssids,
            template_2ghz,
            template_5ghz,
        };
        // Refused now, while mac80211 can still be told.
        job.plan()?;
        Ok(job)
    }

    /// The job's batches.
    fn plan(&self) -> Result<ScanPlan<'_>> {
        let mut ssids = KVec::with_capacity(self.ssids.len(), GFP_KERNEL)?;
        for s in &self.ssids {
            ssids.push(&s[..], GFP_KERNEL)?;
        }
        // The plan copies the SSIDs; it borrows only the channels.
        ScanPlan::new(self.params, &self.channels, &ssids).map_err(|e| {
            pr_warn!("scan request refused: {}\n", Shown(e));
            EINVAL
        })
    }

    /// The probe-request template of `band`, if the request scans it.
    fn template(&self, band: Band) -> Option<&[u8]> {
        match band {
            Band::Ghz2 => self.template_2ghz.as_deref(),
            Band::Ghz5 => self.template_5ghz.as_deref(),
        }
    }

    /// Runs the scan to its end, cancellation or first failure; whether it was aborted.
    fn run(&self, shared: &Shared) -> bool {
        let Ok(mut plan) = self.plan() else {
            return true;
        };
        let mut template_band = None;
        while let Some(batch) = plan.next_batch() {
            if shared.scan_cancelled() {
                return true;
            }
            if template_band != Some(batch.band) {
                let Some(frame) = self.template(batch.band) else {
                    return true;
                };
                // A failed command is the link going down: recovery reports it.
                if upload_template(shared, frame, batch.band).is_err() {
                    return true;
                }
                template_band = Some(batch.band);
            }
            let started = shared
                .send(&batch.request, IF_ID)
                .and_then(|c| Ok(c.decode::<StartScanConfirm>()?.status.is_success()));
            match started {
                Ok(true) => {}
                Ok(false) => {
                    pr_warn!("the firmware refused a scan batch\n");
                    return true;
                }
                Err(_) => return true,
            }
            let watchdog = Delta::from_millis(i64::from(batch.watchdog_ms()));
            if shared.wait_scan_done(watchdog).is_none() {
                if !shared.scan_cancelled() {
                    pr_warn!("a scan batch did not end in time; stopping it\n");
                }
                if let Ok(c) = shared.send(&StopScan::default(), IF_ID) {
                    let _ = c.decode::<StopScanConfirm>();
                }
                return true;
            }
        }
        false
    }
}

/// The hand-over of scans from mac80211's op to the device's scan thread.
#[pin_data]
pub(crate) struct ScanWorker {
    /// The scan the thread is to run next.
    #[pin]
    job: Mutex<Option<ScanJob>>,
    /// Wakes the scan thread.
    waker: WakerSlot,
}

impl ScanWorker {
    /// No scan, no thread yet.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            job <- new_mutex!(None, "bes2600::mac80211::scan::ScanWorker::job"),
            waker: WakerSlot::new(),
        })
    }
}

/// mac80211's `hw_scan`: checks and copies the request and hands it to the scan thread, which
/// reports the end with [`Hw::scan_completed`].
pub(super) fn start(hw: &Hw<Bes2600Ops>, vif: &Vif, req: &ScanRequest) -> Result {
    let data = hw.data();
    let job = ScanJob::from_request(vif, req)?;
    let mut slot = data.scan.job.lock();
    // Once the device is going, the scan thread may be gone and nothing would end the scan.
    // Checked under the slot's lock: the device is closed before the thread is stopped, and
    // the thread looks at the slot once more before it exits.
    if data.shared.is_gone() {
        return Err(ENODEV);
    }
    // mac80211 is about to replay the configuration (restart work queued): its restart warns
    // about a scan running then, so the caller tries again once the replay has begun.
    if slot.is_some() || data.shared.replay_pending() {
        return Err(EBUSY);
    }
    // The scan keeps the chip awake from here to `scan_end`, which the thread reaches on
    // every way out.
    data.shared.scan_begin();
    *slot = Some(job);
    drop(slot);
    data.scan.waker.wake();
    Ok(())
}

/// Starts the device's scan thread: it runs the jobs [`start`] hands it, each to its end, and
/// reports them completed. When the returned thread is stopped, it still ends a job it was
/// handed (aborted at once on a closed channel), so the device must be closed first and the
/// hw still registered.
pub(crate) fn start_worker(
    worker: Arc<ScanWorker>,
    shared: Arc<Shared>,
    hw: Arc<HwHandle<Bes2600Ops>>,
) -> Result<Thread<()>> {
    let w = worker.clone();
    let thread = Thread::spawn(fmt!("bes2600-scan"), move |ctx| loop {
        let job = w.job.lock().take();
        if let Some(job) = job {
            let aborted = job.run(&shared);
            drop(job);
            // The next scan is not handed over until this one is reported and ended, so its
            // `scan_begin` cannot be undone by this one's `scan_end`.
            let _slot = w.job.lock();
            if let Some(hw) = hw.access() {
                hw.scan_completed(aborted);
            }
            // After the completion: whoever waits for the scan's end finds it reported.
            shared.scan_end();
            continue;
        }
        if ctx.should_stop() {
            break;
        }
        let _ = ctx.wait();
    })?;
    worker.waker.set(Some(thread.waker()));
    Ok(thread)
}

/// Asks a running scan to stop after its current batch.
pub(super) fn cancel(data: &super::HwData) {
    data.shared.scan_cancel();
}
