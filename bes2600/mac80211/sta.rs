// SPDX-License-Identifier: GPL-2.0

//! The station interface in the chip: join before authentication, BSS parameters at
//! association, unjoin at disconnection, EDCA and keys (docs/chip-protocol.md, "Join, reset
//! and BSS parameters", "Keys", "A station's connection, message by message").
//!
//! mac80211 tells the driver about a new BSS by changing the BSSID before it sends the first
//! authentication frame; the chip only transmits on a channel once it joined it, so the join
//! happens there (the vendor joins when it sees the authentication frame in its TX path, which
//! holds the data path meanwhile; here nothing waits). A BSSID of zero ends the connection.
//!
//! What the station does (joined, associated) is the sleep policy's input: the BH lets the
//! chip sleep only while nothing of it is going on ([`publish`]; docs/bh.md, "Chip wake and
//! sleep").

use core::fmt;

use kernel::prelude::*;

use super::HwData;
use crate::bh::SCAN_END_WAIT;
use crate::engine::power::Activity;
use crate::engine::station::{
    self,
    bss_params,
    default_edca,
    edca_ac,
    join_request,
    pm_request,
    wsm_key,
    Band,
    JoinTarget,
    KeyRequest,
    KeyTable,
    StationError, //
};
use crate::kernel_ext::mac80211::{
    bss_changed,
    Band as HwBand,
    ChanWidth,
    KeyConf,
    KeyFlags,
    SetKeyCmd,
    Sta,
    TxQueueParams,
    Vif, //
};
use crate::protocol::{
    mib,
    msg::{
        join::{
            JoinConfirm,
            Reset, //
        },
        key::{
            AddKey,
            RemoveKey, //
        },
        pm::{
            SetPm,
            PM_ACTIVE, //
        },
        queue::{
            EdcaAc,
            SetEdcaParams, //
        },
        AddKeyConfirm, RemoveKeyConfirm, ResetConfirm, SetBssParamsConfirm, SetEdcaParamsConfirm,
        SetPmConfirm, Status,
    },
};

/// The one interface the chip's station runs on (docs/chip-protocol.md, "Interfaces and
/// addresses": the first address is interface 0).
pub(super) const IF_ID: u8 = 0;

/// What the driver knows of the station interface.
pub(crate) struct StaState {
    /// The station interface's address, while one exists.
    vif: Option<[u8; 6]>,
    /// The BSS the chip is joined to, and its band.
    joined: Option<([u8; 6], Band)>,
    /// Associated (BSS parameters sent).
    associated: bool,
    /// The firmware's key table.
    keys: KeyTable,
    /// EDCA parameters as last sent, mac80211 AC order.
    edca: [EdcaAc; 4],
    /// The TX power limit the chip took last, in dBm.
    tx_power: Option<i32>,
    /// The power-save mode mac80211 asks for.
    ps_wanted: SetPm,
    /// The power-save mode the chip runs for this association (none before one).
    ps_sent: Option<SetPm>,
}

impl StaState {
    /// No interface, nothing joined.
    pub(crate) fn new() -> Self {
        Self {
            vif: None,
            joined: None,
            associated: false,
            keys: KeyTable::default(),
            edca: default_edca(),
            tx_power: None,
            ps_wanted: pm_request(false, 0),
            ps_sent: None,
        }
    }
}

/// Tells the BH what the station does now (the sleep policy's input).
fn publish(data: &HwData, st: &StaState) {
    data.shared
        .set_activity(Activity::JOINED, st.joined.is_some());
    data.shared
        .set_activity(Activity::ASSOCIATED, st.associated);
    let dozing = st.ps_sent.is_some_and(|pm| pm.mode != PM_ACTIVE);
    data.shared.set_activity(Activity::POWER_SAVE, dozing);
}

/// A command's confirm status as a result: anything but success is `EIO`, after a line in the
/// log naming the command.
fn check(what: &str, status: Status) -> Result {
    if status.is_success() {
        Ok(())
    } else {
        pr_warn!("{} failed: firmware status {}\n", what, status.0);
        Err(EIO)
    }
}

/// Logs a configuration step that failed, unless it failed because the link is down
/// (`ENETDOWN`): the chip then boots again before it runs, without what the step would have
/// changed, and a resume or restart has mac80211 replay its configuration.
fn warn_unless_down(what: fmt::Arguments<'_>, r: Result) {
    match r {
        Err(e) if e != ENETDOWN => pr_warn!("{}: {:?}\n", what, e),
        _ => {}
    }
}

/// `ifup`: the firmware already runs (the BH booted it at probe); start from a clean station.
pub(super) fn start(data: &HwData) -> Result {
    // A replay the BH asked for begins with `start`: scans are accepted again.
    data.shared.replay_started();
    data.shared.set_interface_up(false);
    let mut st = data.sta.lock();
    *st = StaState::new();
    publish(data, &st);
    Ok(())
}

/// `ifdown`: the chip keeps running; frames still queued are dropped.
pub(super) fn stop(data: &HwData) {
    // mac80211 cancelled a scan of the interface before; the device is quiet once it ended.
    if !data.shared.scan_cancel_and_wait(SCAN_END_WAIT) {
        pr_warn!("a scan did not end before stop\n");
    }
    data.shared.flush_tx(true);
    data.shared.set_interface_up(false);
    let mut st = data.sta.lock();
    st.vif = None;
    publish(data, &st);
}

/// One station interface; no other type (the chip's AP and P2P modes are not supported).
pub(super) fn add_interface(data: &HwData, vif: &Vif) -> Result {
    if !vif.is_station() || vif.p2p() {
        return Err(EOPNOTSUPP);
    }
    let mut st = data.sta.lock();
    if st.vif.is_some() {
        return Err(EBUSY);
    }
    st.vif = Some(vif.addr());
    data.shared.set_interface_up(true);
    st.edca = default_edca();
    let edca = SetEdcaParams { ac: st.edca };
    // While the chip boots after a resume (or restarts), the interface is accepted and the
    // BH has mac80211 replay it once the link is up.
    let Some(c) = data.shared.send_or_defer(&edca, IF_ID)? else {
        return Ok(());
    };
    check(
        "default EDCA parameters",
        c.decode::<SetEdcaParamsConfirm>()?.status,
    )
}

/// The interface goes: unjoin if joined.
pub(super) fn remove_interface(data: &HwData, _vif: &Vif) {
    // The frames still on their way go out, or their confirms arrive, before the reset ends
    // the association (bounded; at once while the link is down): a frame the firmware held
    // across the reset could lose its confirm.
    data.shared.flush_tx(false);
    let mut st = data.sta.lock();
    if st.joined.is_some() {
        let _ = unjoin(data, &mut st);
    }
    st.vif = None;
    data.shared.set_interface_up(false);
    publish(data, &st);
}

/// Leaves the BSS: 0x000A reset of the interface ("Join, reset and BSS parameters"); keys are gone
/// with it.
fn unjoin(data: &HwData, st: &mut StaState) -> Result {
    st.joined = None;
    st.associated = false;
    st.ps_sent = None;
    st.keys.clear();
    let c = data.shared.send(
        &Reset {
            reset_statistics: true,
        },
        IF_ID,
    )?;
    check("unjoin", c.decode::<ResetConfirm>()?.status)
}

/// The band of a mac80211 channel.
fn band(b: Option<HwBand>) -> Result<Band> {
    match b {
        Some(HwBand::Ghz2) => Ok(Band::Ghz2),
        Some(HwBand::Ghz5) => Ok(Band::Ghz5),
        None => Err(EINVAL),
    }
}

/// An error of the station conversions as an errno (the caller logs it).
fn errno(e: StationError) -> Error {
    match e {
        StationError::UnsupportedCipher(_) => EOPNOTSUPP,
        StationError::KeyTableFull => ENOSPC,
        _ => EINVAL,
    }
}

/// The BSS changed: join a new BSSID, leave on a zero one, send the BSS parameters at
/// association.
pub(super) fn bss_info_changed(data: &HwData, vif: &Vif, changed: u64) {
    let conf = vif.bss_conf();
    let mut st = data.sta.lock();
    if changed & bss_changed::BSSID != 0 {
        let bssid = conf.bssid().unwrap_or([0; 6]);
        if bssid == [0; 6] {
            if st.joined.is_some() {
                warn_unless_down(format_args!("unjoin"), unjoin(data, &mut st));
            }
        } else if st.joined.map(|(b, _)| b) != Some(bssid) {
            if st.joined.is_some() {
                let _ = unjoin(data, &mut st);
            }
            let joined = join(data, &mut st, vif, bssid);
            warn_unless_down(format_args!("join {:?}", bssid), joined);
        }
    }
    if changed & (bss_changed::TXPOWER | bss_changed::BSSID) != 0 {
        // Again after a join: the chip is told the limit for the channel it joined.
        match set_tx_power(data, conf.txpower()) {
            Ok(Some(dbm)) => st.tx_power = Some(dbm),
            Ok(None) => {}
            Err(e) => pr_warn!("TX power: {:?}\n", e),
        }
    }
    if changed & bss_changed::ASSOC != 0 {
        let assoc = vif.cfg().assoc();
        if assoc && !st.associated {
            if let Err(e) = associate(data, &mut st, vif) {
                pr_warn!("BSS parameters: {:?}\n", e);
            }
        } else if !assoc {
            st.associated = false;
            st.ps_sent = None;
        }
    }
    if changed & bss_changed::PS != 0 {
        // mac80211 allows power save once the connection is authorized and the user (or
        // cfg80211's default) wants it; with SUPPORTS_DYNAMIC_PS it leaves the timeout to us.
        st.ps_wanted = pm_request(vif.cfg().ps(), FAST_PS_IDLE_MS);
        apply_power_save(data, &mut st);
    }
    publish(data, &st);
}

/// 0x000B join on the channel mac80211 chose for the BSS.
fn join(data: &HwData, st: &mut StaState, vif: &Vif, bssid: [u8; 6]) -> Result {
    let conf = vif.bss_conf();
    let chan = conf.chandef();
    let b = band(chan.band)?;
    let req = join_request(&JoinTarget {
        bssid,
        band: b,
        channel: chan.hw_value,
        beacon_interval: conf.beacon_int(),
        dtim_period: conf.dtim_period(),
        short_preamble: conf.use_short_preamble(),
        basic_rates: conf.basic_rates(),
        ssid: &[],
    })
    .map_err(errno)?;
    // The firmware refuses to join while it scans: a connection matters more than a scan
    // (often a supplicant's background scan), which ends aborted.
    if !data.shared.scan_cancel_and_wait(SCAN_END_WAIT) {
        pr_warn!("joining while a scan still runs\n");
    }
    // Awake from the join on, through authentication and association (`publish` clears it
    // again if the join fails).
    data.shared.set_activity(Activity::JOINED, true);
    let c = data.shared.send(&req, IF_ID)?;
    check("join", c.decode::<JoinConfirm>()?.status)?;
    st.joined = Some((bssid, b));
    Ok(())
}

/// 0x0011 BSS parameters once associated: the AID and the rates ("A station's connection,
/// message by message").
fn associate(data: &HwData, st: &mut StaState, vif: &Vif) -> Result {
    let Some((_, b)) = st.joined else {
        return Err(ENOTCONN);
    };
    let conf = vif.bss_conf();
    let all_rates = (1u32 << b.legacy_rates().len()) - 1;
    let mcs = match conf.chandef().width {
        ChanWidth::NoHt20 => 0,
        _ => 0xff,
    };
    let p = bss_params(b, vif.cfg().aid(), all_rates, mcs).map_err(errno)?;
    let c = data.shared.send(&p, IF_ID)?;
    check("BSS parameters", c.decode::<SetBssParamsConfirm>()?.status)?;
    st.associated = true;
    // Power save needs the AP (it buffers for a dozing station): from the association on.
    // mac80211 allows it only once the connection is authorized, so this first request is
    // usually "active"; BSS_CHANGED_PS follows.
    apply_power_save(data, st);
    Ok(())
}

/// How long the chip stays awake after the last frame in power save, in ms: mac80211's own
/// default for dynamic power save (the vendor driver uses 8 ms, which saves more and costs
/// every burst a wake-up through the AP).
const FAST_PS_IDLE_MS: i32 = 100;

/// 0x0010 set PM with the mode mac80211 asks for, while associated and unless the chip runs
/// it already. The firmware tells the AP itself (a null-data frame) and then runs the doze and
/// wake cycle: mac80211 sends no null frames of its own for a driver without
/// `PS_NULLFUNC_STACK`. A failure is logged (nobody above could act on it), except while the
/// chip restarts: mac80211 replays the state once it is back.
fn apply_power_save(data: &HwData, st: &mut StaState) {
    if !st.associated || st.ps_sent == Some(st.ps_wanted) {
        return;
    }
    let sent = data
        .shared
        .send(&st.ps_wanted, IF_ID)
        .and_then(|c| check("power save", c.decode::<SetPmConfirm>()?.status));
    if sent.is_ok() {
        st.ps_sent = Some(st.ps_wanted);
    }
    warn_unless_down(format_args!("power save"), sent);
}

/// 0x0013 with one AC changed (mac80211 sets them one at a time).
pub(super) fn conf_tx(data: &HwData, ac: u16, p: &TxQueueParams) -> Result {
    let mut st = data.sta.lock();
    let slot = st.edca.get_mut(usize::from(ac)).ok_or(EINVAL)?;
    *slot = edca_ac(p.aifs(), p.cw_min(), p.cw_max(), p.txop());
    let edca = SetEdcaParams { ac: st.edca };
    let c = data.shared.send(&edca, IF_ID)?;
    check(
        "EDCA parameters",
        c.decode::<SetEdcaParamsConfirm>()?.status,
    )
}

/// Highest TX power limit given to the chip, in dBm: the vendor's own setting while it joins
/// (docs/chip-protocol.md, "MIBs").
const MAX_TX_POWER_DBM: i32 = 30;

/// mac80211's TX power level before it worked one out (`IEEE80211_UNSET_POWER_LEVEL`).
const UNSET_POWER_LEVEL: i32 = i32::MIN;

/// MIB 0x0006 (current TX power level, 0.1 dBm): the limit mac80211 worked out from the
/// regulatory rules, the user's `iw … set txpower` and the AP (`bss_conf.txpower`). The vendor
/// always writes 20 dBm; here the user's limit counts. Nothing is written while mac80211 has
/// no level yet, nor while the chip restarts: mac80211 replays the configuration once the
/// restart is done. The level the chip took, in dBm, if one was written.
fn set_tx_power(data: &HwData, dbm: i32) -> Result<Option<i32>> {
    if dbm == UNSET_POWER_LEVEL {
        return Ok(None);
    }
    let dbm = dbm.clamp(0, MAX_TX_POWER_DBM);
    let level = dbm * 10;
    match data
        .shared
        .write_mib(mib::id::CURRENT_TX_POWER_LEVEL, &level.to_le_bytes(), IF_ID)
    {
        Ok(()) => Ok(Some(dbm)),
        Err(e) if e == ENETDOWN => Ok(None),
        Err(e) => Err(e),
    }
}

/// mac80211's `get_txpower`: the limit the chip took last (`iw dev … info`); mac80211 would
/// otherwise report a level it no longer keeps up to date for a driver that emulates channel
/// contexts.
pub(super) fn tx_power(data: &HwData) -> Result<i32> {
    data.sta.lock().tx_power.ok_or(EINVAL)
}

/// MIB 0x0007 (dot11RtsThreshold), as the vendor writes it.
pub(super) fn set_rts_threshold(data: &HwData, value: u32) -> Result {
    data.shared
        .write_mib(mib::id::RTS_THRESHOLD, &value.to_le_bytes(), IF_ID)
}

/// Installs or removes a key in the firmware's table ("Keys", "Hardware crypto"). A cipher the chip
/// does not do is `EOPNOTSUPP`, which makes mac80211 do it in software.
pub(super) fn set_key(
    data: &HwData,
    cmd: SetKeyCmd,
    vif: &Vif,
    sta: Option<&Sta>,
    key: &mut KeyConf,
) -> Result {
    let mut st = data.sta.lock();
    match cmd {
        SetKeyCmd::Set => {
            // Protected management frames' group key (BIP): mac80211 checks and adds the MMIE
            // itself; the chip's IGTK slot is not used.
            if key.cipher() == station::cipher::AES_CMAC {
                return Err(EOPNOTSUPP);
            }
            let peer = match sta {
                Some(s) => s.addr(),
                None => vif.bss_conf().bssid().unwrap_or([0; 6]),
            };
            let (wsm, _layout) = wsm_key(&KeyRequest {
                cipher: key.cipher(),
                key_id: key.keyidx(),
                key: key.key(),
                pairwise: key.is_pairwise(),
                peer,
            })
            .map_err(errno)?;
            let entry = st.keys.alloc().map_err(errno)?;
            let sent = data.shared.send(
                &AddKey {
                    entry_index: entry,
                    key: wsm,
                },
                IF_ID,
            );
            let status = sent.and_then(|c| Ok(c.decode::<AddKeyConfirm>()?.status));
            if let Err(e) = status.and_then(|s| check("add key", s)) {
                let _ = st.keys.free(entry);
                return Err(e);
            }
            key.set_hw_key_idx(entry);
            // The firmware writes the IV and the ICV/MIC: mac80211 leaves room for them.
            key.set_flags(KeyFlags::PUT_IV_SPACE | KeyFlags::RESERVE_TAILROOM);
            Ok(())
        }
        SetKeyCmd::Disable => {
            let entry = key.hw_key_idx();
            // A key the firmware lost with an unjoin or a restart is gone already.
            if st.keys.free(entry).is_err() {
                return Ok(());
            }
            let c = match data.shared.send(&RemoveKey { entry_index: entry }, IF_ID) {
                // The link is down: the chip boots again before it runs, without its keys
                // (a restart, a system sleep, which removes the keys while the BH is parked).
                Err(e) if e == ENETDOWN => return Ok(()),
                r => r?,
            };
            check("remove key", c.decode::<RemoveKeyConfirm>()?.status)
        }
    }
}
