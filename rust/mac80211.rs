// SPDX-License-Identifier: GPL-2.0

//! mac80211 drivers: a SoftMAC device registered with the kernel's 802.11 stack.
//!
//! C header: [`include/net/mac80211.h`](srctree/include/net/mac80211.h).
//!
//! A driver implements [`Ops`] and registers its hardware with [`Registration::new`]. mac80211
//! then calls the [`Ops`] methods (its `struct ieee80211_ops`), each with the [`Hw`], from which
//! [`Hw::data`] reaches the driver's state. The driver reports back through [`Hw`]: received
//! frames ([`Hw::rx`], [`Hw::rx_list`]), transmit status ([`Hw::tx_status`]), queue flow control,
//! scan completion and connection events.
//!
//! The abstraction fixes a few choices for the driver:
//! - queued transmission goes through mac80211's own intermediate queues
//!   (`wake_tx_queue` is `ieee80211_handle_wake_tx_queue()`), so frames arrive in [`Ops::tx`];
//! - channel contexts are emulated by mac80211 (`ieee80211_emulate_*_chanctx()`), so the
//!   channel arrives through [`Ops::config`] with [`conf_changed::CHANNEL`];
//! - frames are received and their status reported from process context only, serialised by
//!   a mutex of the abstraction, because mac80211 forbids running its receive and transmit
//!   status paths concurrently for one hw;
//! - interfaces are never handed out beyond a callback: events about an interface that come
//!   from the device (beacon loss, ...) are delivered by finding it with
//!   [`Hw::iterate_active_interfaces`].
//!
//! # Lifetime
//!
//! The [`Registration`] owns the hw, the driver's data and the band tables. Dropping it
//! unregisters the hw (closing its interfaces, which calls [`Ops::remove_interface`] and
//! [`Ops::stop`]) and frees it; that must happen in process context, and at the latest when
//! the parent device is unbound: a driver keeps the registration in its device data, so the
//! driver core drops it at unbind. Unregistering calls [`Ops::stop`], so the registration must
//! not be dropped by a thread that `stop` waits for.
//!
//! It is not a device-managed resource (`Devres`), unlike the test bench's MMC host: reaching
//! it would then take a `&Device<Bound>` or an RCU guard, and the driver's bottom-half thread,
//! which reports every received frame, has neither. Memory safety does not depend on the
//! binding: the wiphy holds a reference to the parent device, and the ops only reach what the
//! registration owns.

use core::{
    marker::PhantomData,
    ptr::{
        self,
        NonNull, //
    },
};

use kernel::{
    device,
    error::{
        from_result,
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    ffi::{
        c_int,
        c_uint,
        c_void, //
    },
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    types::Opaque,
};

use super::{
    bindings,
    skb::SkBuff, //
};

/// `contains` and `|` for a flag set, a tuple struct around the C flags' integer.
macro_rules! flag_set {
    ($t:ty) => {
        impl $t {
            /// Whether every flag of `other` is set.
            pub fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }
        }

        impl core::ops::BitOr for $t {
            type Output = Self;

            fn bitor(self, rhs: Self) -> Self {
                Self(self.0 | rhs.0)
            }
        }
    };
}

mod config;
mod frame;
mod handle;
mod types;

pub use config::*;
pub use frame::*;
pub use handle::{
    HwGuard,
    HwHandle, //
};
pub use types::*;

/// The callbacks of a mac80211 driver (`struct ieee80211_ops`).
///
/// Methods without a default are the ones mac80211 requires. An optional method the driver
/// does not implement leaves its C pointer NULL, and mac80211 does without it (software scan
/// without [`hw_scan`](Ops::hw_scan), software crypto without [`set_key`](Ops::set_key), ...).
///
/// Callbacks that may sleep run in process context with the wiphy lock held; [`tx`](Ops::tx)
/// runs in atomic context (bottom halves disabled) and must only queue the frame. None of them
/// may call [`Hw::rx`], [`Hw::rx_list`] or [`Hw::tx_status`], which take a mutex that the
/// receive path can hold while it calls back into the driver.
#[vtable]
pub trait Ops: Sized + Send + Sync + 'static {
    /// The driver's state, reached with [`Hw::data`].
    type Data: Send + Sync;

    /// Sends `skb`. Atomic context: queue it and return.
    ///
    /// Every frame must end in [`Hw::tx_status`] or [`Hw::free_tx_skb`] (dropping the
    /// [`SkBuff`] frees it too, but mac80211 then never learns its fate).
    fn tx(hw: &Hw<Self>, control: &TxControl<'_>, skb: SkBuff);

    /// The first interface comes up: start the device.
    fn start(hw: &Hw<Self>) -> Result;

    /// The last interface went down (or the system suspends, `suspend`): stop the device.
    fn stop(hw: &Hw<Self>, suspend: bool);

    /// An interface is added (brought up).
    fn add_interface(hw: &Hw<Self>, vif: &Vif) -> Result;

    /// An interface is removed (brought down).
    fn remove_interface(hw: &Hw<Self>, vif: &Vif);

    /// The device configuration changed ([`Hw::conf`]); `changed` is a set of
    /// [`conf_changed`] bits. The channel changes here too (emulated channel contexts).
    fn config(hw: &Hw<Self>, changed: u32) -> Result;

    /// Sets the receive filter: `changed` says which [`filter`] flags mac80211 changed,
    /// `total` holds the flags wanted, and the driver clears the ones it does not support.
    fn configure_filter(hw: &Hw<Self>, changed: u32, total: &mut u32, multicast: u64);

    /// The BSS configuration of `vif` changed ([`Vif::bss_conf`], [`Vif::cfg`]); `changed` is
    /// a set of [`bss_changed`] bits.
    fn bss_info_changed(hw: &Hw<Self>, vif: &Vif, changed: u64) {
        let _ = (hw, vif, changed);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Starts a hardware scan; the driver calls [`Hw::scan_completed`] when it ends.
    fn hw_scan(hw: &Hw<Self>, vif: &Vif, req: &ScanRequest) -> Result {
        let _ = (hw, vif, req);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Cancels the running hardware scan; [`Hw::scan_completed`] must still follow.
    fn cancel_hw_scan(hw: &Hw<Self>, vif: &Vif) {
        let _ = (hw, vif);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Installs or removes a key. Failing with `EOPNOTSUPP` makes mac80211 do that key in
    /// software.
    fn set_key(
        hw: &Hw<Self>,
        cmd: SetKeyCmd,
        vif: &Vif,
        sta: Option<&Sta>,
        key: &mut KeyConf,
    ) -> Result {
        let _ = (hw, cmd, vif, sta, key);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// A station was added (station mode: the AP, at association).
    fn sta_add(hw: &Hw<Self>, vif: &Vif, sta: &Sta) -> Result {
        let _ = (hw, vif, sta);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// A station is removed.
    fn sta_remove(hw: &Hw<Self>, vif: &Vif, sta: &Sta) -> Result {
        let _ = (hw, vif, sta);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Sets the EDCA parameters of access category `ac` (0: voice .. 3: background).
    fn conf_tx(hw: &Hw<Self>, vif: &Vif, link_id: u32, ac: u16, params: &TxQueueParams) -> Result {
        let _ = (hw, vif, link_id, ac, params);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Sends (or, with `drop`, drops) every queued frame of the `queues` bitmap before
    /// returning. `vif` is `None` when all interfaces are meant.
    fn flush(hw: &Hw<Self>, vif: Option<&Vif>, queues: u32, drop: bool) {
        let _ = (hw, vif, queues, drop);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// An A-MPDU session action.
    fn ampdu_action(hw: &Hw<Self>, vif: &Vif, params: &AmpduParams) -> Result<AmpduResponse> {
        let _ = (hw, vif, params);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Fills in low-level statistics.
    fn get_stats(hw: &Hw<Self>, stats: &mut LowLevelStats) -> Result {
        let _ = (hw, stats);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Sets the RTS threshold in bytes (`u32::MAX`: off).
    fn set_rts_threshold(hw: &Hw<Self>, value: u32) -> Result {
        let _ = (hw, value);
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The TX power limit of `vif` in dBm, as the device applies it (what `iw dev … info`
    /// shows).
    fn get_txpower(hw: &Hw<Self>, vif: &Vif) -> Result<i32> {
        let _ = (hw, vif);
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// What a registration keeps behind the hw's private area.
#[pin_data]
struct Inner<T: Ops> {
    /// Serialises the receive and transmit-status paths, which mac80211 forbids to run
    /// concurrently for one hw.
    #[pin]
    status_lock: Mutex<()>,
    #[pin]
    data: T::Data,
}

/// A registered mac80211 hardware (`struct ieee80211_hw`) of driver `T`.
///
/// Only ever seen by reference: from a callback, or from [`Registration::hw`].
///
/// # Invariants
///
/// The hw was allocated with `T`'s ops by a [`Registration`] that is not dropped yet; its
/// private area holds a pointer to that registration's [`Inner`], valid as long as the hw.
#[repr(transparent)]
pub struct Hw<T: Ops>(Opaque<bindings::ieee80211_hw>, PhantomData<T>);

// SAFETY: Every method of `&Hw` is safe to call from any thread: the mac80211 functions they use
// may run concurrently (they lock internally), except receive and transmit status, which the
// abstraction serialises itself; and `data()` gives `&T::Data` with `T::Data: Sync`.
unsafe impl<T: Ops> Sync for Hw<T> {}

impl<T: Ops> Hw<T> {
    /// # Safety
    ///
    /// `ptr` is a hw allocated by a [`Registration<T>`] that stays alive for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::ieee80211_hw) -> &'a Self {
        // SAFETY: `Hw` is a transparent wrapper of the C struct; valid per the caller.
        unsafe { &*ptr.cast() }
    }

    fn as_raw(&self) -> *mut bindings::ieee80211_hw {
        self.0.get()
    }

    fn inner(&self) -> &Inner<T> {
        // SAFETY: By the type invariant the private area holds a pointer to the `Inner` of the
        // live registration, which outlives `self`.
        unsafe { &*(*self.as_raw()).priv_.cast::<*const Inner<T>>().read() }
    }

    /// The driver's state.
    pub fn data(&self) -> &T::Data {
        &self.inner().data
    }

    /// The current device configuration (channel, power, power save, retry limits).
    ///
    /// mac80211 changes it only under the wiphy lock and then calls [`Ops::config`], so it is
    /// consistent inside callbacks; read from elsewhere it may be mid-update.
    pub fn conf(&self) -> Conf {
        // SAFETY: The hw is valid (type invariant); `conf` is embedded in it.
        unsafe { Conf::read(&raw const (*self.as_raw()).conf) }
    }

    /// Hands a received frame with its status to mac80211 (`ieee80211_rx_ni()`).
    ///
    /// Process context only, and never from within an [`Ops`] callback.
    pub fn rx(&self, mut skb: SkBuff, status: &RxStatus) {
        status.write_to(&mut skb);
        let _guard = self.inner().status_lock.lock();
        // SAFETY: The hw is registered; mac80211 takes over `skb`, whose control buffer holds
        // its receive status. The lock keeps receive and transmit status from running
        // concurrently, as mac80211 requires; we are in process context (the mutex ensures
        // it), as `ieee80211_rx_ni()` requires.
        unsafe { bindings::bes2600_helper_ieee80211_rx_ni(self.as_raw(), skb.into_raw()) };
    }

    /// Hands the frames of `batch` to mac80211 in one go, and empties it.
    ///
    /// Process context only, and never from within an [`Ops`] callback.
    pub fn rx_list(&self, batch: &mut RxBatch) {
        if batch.is_empty() {
            return;
        }
        let _guard = self.inner().status_lock.lock();
        let chain = batch.frames.take_chain();
        // SAFETY: As in `rx`; the chain's frames, linked through `next`, are ours and each
        // carries its receive status (`RxBatch::push`). The helper unlinks each before
        // handing it over.
        unsafe { bindings::bes2600_helper_ieee80211_rx_chain(self.as_raw(), chain) };
    }

    /// Reports the transmit status of a frame mac80211 gave to [`Ops::tx`] and returns it.
    ///
    /// Process context only, and never from within an [`Ops`] callback.
    pub fn tx_status(&self, skb: SkBuff, status: &TxStatus) {
        let raw_status = status.to_raw();
        let _guard = self.inner().status_lock.lock();
        // SAFETY: The hw is registered and mac80211 takes over `skb`. The helper rewrites the
        // status part of its control buffer, which the driver owns since `tx`. Serialised
        // with receive by the lock.
        unsafe {
            bindings::bes2600_helper_ieee80211_tx_status(self.as_raw(), skb.into_raw(), &raw_status)
        };
    }

    /// Drops a frame mac80211 gave to [`Ops::tx`] without sending it (`ieee80211_free_txskb()`),
    /// so that mac80211 reports it as lost. Any context.
    pub fn free_tx_skb(&self, skb: SkBuff) {
        // SAFETY: The hw is registered and mac80211 takes over `skb`.
        unsafe { bindings::ieee80211_free_txskb(self.as_raw(), skb.into_raw()) };
    }

    /// Stops mac80211 from handing frames of hardware queue `queue` to [`Ops::tx`].
    /// Any context.
    pub fn stop_queue(&self, queue: u16) {
        // SAFETY: The hw is registered; mac80211 ignores (with a warning) a queue number out
        // of range.
        unsafe { bindings::ieee80211_stop_queue(self.as_raw(), c_int::from(queue)) };
    }

    /// Lets mac80211 hand frames of hardware queue `queue` to [`Ops::tx`] again. Any context.
    pub fn wake_queue(&self, queue: u16) {
        // SAFETY: As in `stop_queue`.
        unsafe { bindings::ieee80211_wake_queue(self.as_raw(), c_int::from(queue)) };
    }

    /// Stops every queue. Any context.
    pub fn stop_queues(&self) {
        // SAFETY: The hw is registered.
        unsafe { bindings::ieee80211_stop_queues(self.as_raw()) };
    }

    /// Wakes every queue. Any context.
    pub fn wake_queues(&self) {
        // SAFETY: The hw is registered.
        unsafe { bindings::ieee80211_wake_queues(self.as_raw()) };
    }

    /// Ends the hardware scan that [`Ops::hw_scan`] started. Any context.
    pub fn scan_completed(&self, aborted: bool) {
        // SAFETY: The hw is registered; mac80211 ignores a completion without a scan.
        unsafe { bindings::bes2600_helper_ieee80211_scan_completed(self.as_raw(), aborted) };
    }

    /// Tells mac80211 that the device lost its state (its firmware was restarted): mac80211
    /// stops its queues and reconfigures everything through the ops, starting with
    /// [`Ops::start`] (`ieee80211_restart_hw()`, which only queues that work). Any context.
    pub fn restart_hw(&self) {
        // SAFETY: The hw is registered; mac80211 queues its restart work and returns.
        unsafe { bindings::ieee80211_restart_hw(self.as_raw()) };
    }

    /// Calls `f` with every active interface, under RCU: `f` must not sleep. Any context.
    ///
    /// This is how events of the device reach the interface they concern.
    pub fn iterate_active_interfaces<F: FnMut(&Vif)>(&self, mut f: F) {
        /// # Safety
        ///
        /// `data` is the `&mut F` passed below, and `vif` an active interface.
        unsafe extern "C" fn iterate<F: FnMut(&Vif)>(
            data: *mut c_void,
            _mac: *mut u8,
            vif: *mut bindings::ieee80211_vif,
        ) {
            // SAFETY: `data` is the closure, borrowed mutably for the whole iteration, and
            // mac80211 calls the iterator once at a time.
            let f = unsafe { &mut *data.cast::<F>() };
            // SAFETY: mac80211 passes an active interface, which stays valid under the RCU read
            // lock it holds during the call.
            f(unsafe { Vif::from_raw(vif) });
        }
        // SAFETY: The hw is registered; `f` outlives the call, which does not keep `data`.
        unsafe {
            bindings::ieee80211_iterate_active_interfaces_atomic(
                self.as_raw(),
                bindings::ieee80211_interface_iteration_flags_IEEE80211_IFACE_ITER_NORMAL,
                Some(iterate::<F>),
                ptr::from_mut(&mut f).cast(),
            )
        };
    }

    /// Tells mac80211 that station interface `vif` lost its beacons (mac80211 then probes
    /// the AP). For devices that monitor the connection ([`HwFlag::ConnectionMonitor`]) or
    /// filter beacons. Any context.
    ///
    /// Fails with `EINVAL` for an interface that is not a station.
    pub fn beacon_loss(&self, vif: &Vif) -> Result {
        if !vif.is_station() {
            return Err(EINVAL);
        }
        // SAFETY: `vif` is a valid station interface of this hw (a reference from a callback
        // or an iteration); mac80211 only queues work.
        unsafe { bindings::ieee80211_beacon_loss(vif.as_raw()) };
        Ok(())
    }

    /// Tells mac80211 that station interface `vif` lost its connection (mac80211 then
    /// disconnects). Any context.
    ///
    /// Fails with `EINVAL` for an interface that is not a station.
    pub fn connection_loss(&self, vif: &Vif) -> Result {
        if !vif.is_station() {
            return Err(EINVAL);
        }
        // SAFETY: As in `beacon_loss`.
        unsafe { bindings::ieee80211_connection_loss(vif.as_raw()) };
        Ok(())
    }

    /// Asks mac80211 to drop the association of station interface `vif` once the hardware
    /// restart in progress has replayed its state (`ieee80211_hw_restart_disconnect`): its
    /// keys are marked unusable at once, and user space sees a disconnection, then connects
    /// anew. For a device that cannot carry the keys' transmit packet numbers over a
    /// restart.
    ///
    /// Call it from [`Ops::add_interface`]: mac80211 only hands that op an interface that is
    /// still associated while it replays its state after [`Hw::restart_hw`], which is when
    /// this request is valid (at any other time mac80211 warns and ignores it). Fails with
    /// `EINVAL`, doing nothing, for an interface that is not an associated station.
    pub fn restart_disconnect(&self, vif: &Vif) -> Result {
        if !vif.is_station() || !vif.cfg().assoc() {
            return Err(EINVAL);
        }
        // SAFETY: `vif` is a valid station interface of this hw, handed to the
        // `add_interface` callback, which mac80211 calls with the wiphy lock held.
        unsafe { bindings::ieee80211_hw_restart_disconnect(vif.as_raw()) };
        Ok(())
    }

    /// Reports that the signal of the AP of station interface `vif` crossed the connection
    /// quality threshold: below it (`low`) or above. Any context.
    ///
    /// Fails with `EINVAL` for an interface that is not a station.
    pub fn cqm_rssi_notify(&self, vif: &Vif, low: bool, rssi_dbm: i32) -> Result {
        if !vif.is_station() {
            return Err(EINVAL);
        }
        let event = if low {
            bindings::nl80211_cqm_rssi_threshold_event_NL80211_CQM_RSSI_THRESHOLD_EVENT_LOW
        } else {
            bindings::nl80211_cqm_rssi_threshold_event_NL80211_CQM_RSSI_THRESHOLD_EVENT_HIGH
        };
        // SAFETY: As in `beacon_loss`; `GFP_ATOMIC` because any context may call this.
        unsafe {
            bindings::ieee80211_cqm_rssi_notify(
                vif.as_raw(),
                event,
                rssi_dbm,
                kernel::bindings::GFP_ATOMIC,
            )
        };
        Ok(())
    }

    /// For tests: brings the hw's first network interface up or down (`dev_open()`,
    /// `dev_close()` under RTNL), as `ip link set up` would. Process context, never from a
    /// callback. Fails with `ENODEV` if the hw has no network interface.
    #[cfg(CONFIG_KUNIT)]
    pub fn set_first_interface_up(&self, up: bool) -> Result {
        // SAFETY: The hw is registered; the helper takes RTNL itself.
        to_result(unsafe {
            bindings::bes2600_helper_ieee80211_first_netdev_set_up(self.as_raw(), up)
        })
    }
}

/// A registered mac80211 hw of driver `T`, with the driver's data and the band tables.
///
/// Dropping it unregisters the hw and frees it, then drops the data; see the module's
/// documentation for when that must happen.
///
/// # Invariants
///
/// `hw` was allocated with `T`'s ops and registered; its private area points to `inner`,
/// which stays pinned until after the hw is freed, as do the band tables, cipher suites and
/// addresses the wiphy points to.
pub struct Registration<T: Ops> {
    hw: NonNull<bindings::ieee80211_hw>,
    inner: Pin<KBox<Inner<T>>>,
    /// Revoked after unregistering, before the hw is freed.
    handle: Arc<HwHandle<T>>,
    _bands: KVec<BandTables>,
    _cipher_suites: KVec<u32>,
    _addresses: KVec<bindings::mac_address>,
}

// SAFETY: The registration may be dropped from any thread in process context (the
// documented rule); it owns `T::Data: Send`, and the rest is plain memory.
unsafe impl<T: Ops> Send for Registration<T> {}

// SAFETY: `&Registration` only gives `&Hw<T>`, which is `Sync`.
unsafe impl<T: Ops> Sync for Registration<T> {}

impl<T: Ops> Registration<T> {
    /// Allocates a hw with `T`'s ops below `parent`, configures it from `cfg`, stores `data`
    /// (a `T::Data` by value, or any initialiser of one) and registers it. Process context;
    /// may sleep.
    ///
    /// mac80211 may call the ops (from other threads) as soon as the hw is registered, even
    /// before this returns.
    pub fn new<E>(
        parent: &device::Device<device::Bound>,
        data: impl PinInit<T::Data, E>,
        cfg: &HwConfig<'_>,
    ) -> Result<Self>
    where
        Error: From<E>,
    {
        let inner = KBox::try_pin_init(
            try_pin_init!(Inner::<T> {
                status_lock <- new_mutex!((), "bes2600::mac80211::Hw::status_lock"),
                data <- data,
            }? Error),
            GFP_KERNEL,
        )?;

        let mut bands = KVec::with_capacity(2, GFP_KERNEL)?;
        let mut band_ptrs = [ptr::null_mut(); 2];
        for (i, (band, bcfg)) in [(Band::Ghz2, cfg.band_2ghz), (Band::Ghz5, cfg.band_5ghz)]
            .into_iter()
            .enumerate()
        {
            if let Some(bcfg) = bcfg {
                let tables = BandTables::new(band, &bcfg)?;
                band_ptrs[i] = tables.as_raw();
                bands.push(tables, GFP_KERNEL)?;
            }
        }
        if bands.is_empty() {
            return Err(EINVAL);
        }

        let mut cipher_suites = KVec::with_capacity(cfg.cipher_suites.len(), GFP_KERNEL)?;
        cipher_suites.extend_from_slice(cfg.cipher_suites, GFP_KERNEL)?;
        let mut addresses = KVec::new();
        if !cfg.extra_addresses.is_empty() {
            // cfg80211 wants the permanent address first when a list is given.
            addresses.push(
                bindings::mac_address {
                    addr: cfg.perm_addr,
                },
                GFP_KERNEL,
            )?;
            for addr in cfg.extra_addresses {
                addresses.push(bindings::mac_address { addr: *addr }, GFP_KERNEL)?;
            }
        }
        let mut hw_flags = KVec::with_capacity(cfg.hw_flags.len(), GFP_KERNEL)?;
        for flag in cfg.hw_flags {
            hw_flags.push(*flag as u32, GFP_KERNEL)?;
        }
        let mut ext_features = KVec::with_capacity(cfg.ext_features.len(), GFP_KERNEL)?;
        for feature in cfg.ext_features {
            ext_features.push(feature.0, GFP_KERNEL)?;
        }

        let raw_cfg = bindings::bes2600_hw_config {
            perm_addr: cfg.perm_addr.as_ptr(),
            addresses: addresses.as_mut_ptr(),
            n_addresses: u16::try_from(addresses.len()).map_err(|_| EINVAL)?,
            // A `device::Device` is a transparent wrapper of `struct device`.
            parent: ptr::from_ref(parent).cast_mut().cast(),
            band_2ghz: band_ptrs[0],
            band_5ghz: band_ptrs[1],
            queues: cfg.queues,
            max_rates: cfg.max_rates,
            max_rate_tries: cfg.max_rate_tries,
            extra_tx_headroom: cfg.extra_tx_headroom,
            max_scan_ssids: cfg.max_scan_ssids,
            max_scan_ie_len: cfg.max_scan_ie_len,
            interface_modes: cfg.interface_modes.0,
            hw_flags: hw_flags.as_ptr(),
            n_hw_flags: c_uint::try_from(hw_flags.len()).map_err(|_| EINVAL)?,
            cipher_suites: cipher_suites.as_ptr(),
            n_cipher_suites: c_int::try_from(cipher_suites.len()).map_err(|_| EINVAL)?,
            wiphy_flags: cfg.wiphy_flags.0,
            ext_features: ext_features.as_ptr(),
            n_ext_features: c_uint::try_from(ext_features.len()).map_err(|_| EINVAL)?,
            regulatory_flags: cfg.regulatory_flags.0,
        };

        // SAFETY: The ops table is a `'static` constant for `T` with every op mac80211
        // requires; the private area gets room for one pointer; a NULL name picks `phy%d`.
        let hw = unsafe {
            bindings::ieee80211_alloc_hw_nm(
                core::mem::size_of::<*const Inner<T>>(),
                &Adapter::<T>::OPS,
                ptr::null(),
            )
        };
        let hw = NonNull::new(hw).ok_or(ENOMEM)?;

        // SAFETY: `hw` was just allocated with a private area of one pointer, which nobody
        // reads before it is registered. The configuration points into `band_ptrs`' tables,
        // `cipher_suites` and `addresses`, which move into the registration below without
        // their buffers moving; the rest is copied. `parent` is a bound device; the wiphy
        // takes a reference to it when registered.
        let configured = to_result(unsafe {
            (*hw.as_ptr())
                .priv_
                .cast::<*const Inner<T>>()
                .write(ptr::from_ref(&*inner));
            bindings::bes2600_helper_ieee80211_hw_configure(hw.as_ptr(), &raw_cfg)
        });
        // SAFETY: The hw is allocated, configured, and its private area points to `inner`.
        let registered = configured
            .and_then(|()| to_result(unsafe { bindings::ieee80211_register_hw(hw.as_ptr()) }));
        if let Err(err) = registered {
            // SAFETY: The hw is not registered, so no op runs; nothing refers to it.
            unsafe { bindings::ieee80211_free_hw(hw.as_ptr()) };
            return Err(err);
        }

        // SAFETY: The registration revokes the handle in `drop` before it frees the hw.
        let handle = Arc::try_pin_init(unsafe { HwHandle::<T>::new(hw) }, GFP_KERNEL);
        let handle = match handle {
            Ok(h) => h,
            Err(e) => {
                // SAFETY: Registered above and not handed out; unregistering waits for the
                // ops in progress, then nothing refers to the hw.
                unsafe {
                    bindings::ieee80211_unregister_hw(hw.as_ptr());
                    bindings::ieee80211_free_hw(hw.as_ptr());
                }
                return Err(e);
            }
        };

        // INVARIANT: Registered with `T`'s ops, pointing to `inner`; the tables move into the
        // registration.
        Ok(Self {
            hw,
            inner,
            handle,
            _bands: bands,
            _cipher_suites: cipher_suites,
            _addresses: addresses,
        })
    }

    /// The registered hw.
    pub fn hw(&self) -> &Hw<T> {
        // SAFETY: The hw is registered by `self`, which outlives the returned reference.
        unsafe { Hw::from_raw(self.hw.as_ptr()) }
    }

    /// The driver's state.
    pub fn data(&self) -> &T::Data {
        &self.inner.data
    }

    /// A handle on the hw for a thread of the driver's own, revoked when the registration
    /// is dropped (see [`HwHandle`]).
    pub fn handle(&self) -> Arc<HwHandle<T>> {
        self.handle.clone()
    }
}

impl<T: Ops> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: The hw is registered (type invariant). `ieee80211_unregister_hw()` closes
        // every interface (calling `remove_interface` and `stop`), unregisters the wiphy so no
        // request reaches the driver any more, and waits for mac80211's work; after it returns
        // mac80211 calls no op of this hw. No `&Hw` from `self.hw()` is alive (we have `&mut
        // self`), and callbacks' references end with the callbacks.
        unsafe { bindings::ieee80211_unregister_hw(self.hw.as_ptr()) };
        // Waits for a holder of the handle; no access through it succeeds afterwards.
        self.handle.revoke();
        // SAFETY: Unregistered above, and the handle no longer gives access: nothing refers to
        // the hw any more. The data, band tables and the rest are dropped after this function.
        unsafe { bindings::ieee80211_free_hw(self.hw.as_ptr()) };
    }
}

/// The glue between [`Ops`] and `struct ieee80211_ops`.
struct Adapter<T: Ops>(PhantomData<T>);

impl<T: Ops> Adapter<T> {
    /// The ops table of `T`; being a constant, `&OPS` is promoted to a `'static`.
    const OPS: bindings::ieee80211_ops = bindings::ieee80211_ops {
        tx: Some(Self::tx),
        start: Some(Self::start),
        stop: Some(Self::stop),
        add_interface: Some(Self::add_interface),
        remove_interface: Some(Self::remove_interface),
        config: Some(Self::config),
        configure_filter: Some(Self::configure_filter),
        bss_info_changed: if T::HAS_BSS_INFO_CHANGED {
            Some(Self::bss_info_changed)
        } else {
            None
        },
        hw_scan: if T::HAS_HW_SCAN {
            Some(Self::hw_scan)
        } else {
            None
        },
        cancel_hw_scan: if T::HAS_CANCEL_HW_SCAN {
            Some(Self::cancel_hw_scan)
        } else {
            None
        },
        set_key: if T::HAS_SET_KEY {
            Some(Self::set_key)
        } else {
            None
        },
        sta_add: if T::HAS_STA_ADD {
            Some(Self::sta_add)
        } else {
            None
        },
        sta_remove: if T::HAS_STA_REMOVE {
            Some(Self::sta_remove)
        } else {
            None
        },
        conf_tx: if T::HAS_CONF_TX {
            Some(Self::conf_tx)
        } else {
            None
        },
        flush: if T::HAS_FLUSH {
            Some(Self::flush)
        } else {
            None
        },
        ampdu_action: if T::HAS_AMPDU_ACTION {
            Some(Self::ampdu_action)
        } else {
            None
        },
        get_stats: if T::HAS_GET_STATS {
            Some(Self::get_stats)
        } else {
            None
        },
        set_rts_threshold: if T::HAS_SET_RTS_THRESHOLD {
            Some(Self::set_rts_threshold)
        } else {
            None
        },
        get_txpower: if T::HAS_GET_TXPOWER {
            Some(Self::get_txpower)
        } else {
            None
        },
        wake_tx_queue: Some(bindings::ieee80211_handle_wake_tx_queue),
        add_chanctx: Some(bindings::ieee80211_emulate_add_chanctx),
        remove_chanctx: Some(bindings::ieee80211_emulate_remove_chanctx),
        change_chanctx: Some(bindings::ieee80211_emulate_change_chanctx),
        switch_vif_chanctx: Some(bindings::ieee80211_emulate_switch_vif_chanctx),
        // SAFETY: An all-zero `struct ieee80211_ops` is valid: every other op is NULL.
        ..unsafe { core::mem::MaybeUninit::<bindings::ieee80211_ops>::zeroed().assume_init() }
    };

    /// # Safety
    ///
    /// Called by mac80211 as the `tx` op of a hw of `T`, with a frame it hands over.
    unsafe extern "C" fn tx(
        hw: *mut bindings::ieee80211_hw,
        control: *mut bindings::ieee80211_tx_control,
        skb: *mut bindings::sk_buff,
    ) {
        // SAFETY: mac80211 calls ops only for a registered hw, allocated by a live
        // `Registration<T>` (the registration unregisters it before it goes away).
        let hw = unsafe { Hw::<T>::from_raw(hw) };
        // SAFETY: mac80211 hands the frame over to the driver, on no list.
        let skb = match unsafe { SkBuff::from_raw(skb) } {
            Ok(skb) => skb,
            Err(raw) => {
                // SAFETY: The frame is still ours and mac80211's to account for.
                unsafe { bindings::ieee80211_free_txskb(hw.as_raw(), raw) };
                return;
            }
        };
        let mut vif = ptr::null_mut();
        let mut key = ptr::null_mut();
        // SAFETY: The frame's control buffer holds the transmit information mac80211 filled in.
        unsafe {
            bindings::bes2600_helper_ieee80211_tx_control_ptrs(skb.as_raw(), &mut vif, &mut key)
        };
        // SAFETY: `control` is valid during the call; its station (if any), the frame's
        // interface and key are valid during the call (mac80211 holds the RCU read lock).
        let control = unsafe {
            let sta = (*control).sta;
            TxControl {
                sta: (!sta.is_null()).then(|| Sta::from_raw(sta)),
                vif: (!vif.is_null()).then(|| Vif::from_raw(vif)),
                hw_key: (!key.is_null()).then(|| KeyConf::from_raw_ref(key)),
                info: TxInfo::of(&skb),
            }
        };
        T::tx(hw, &control, skb);
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `start` op of a hw of `T`.
    unsafe extern "C" fn start(hw: *mut bindings::ieee80211_hw) -> c_int {
        // SAFETY: As in `tx`.
        let hw = unsafe { Hw::<T>::from_raw(hw) };
        from_result(|| T::start(hw).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `stop` op of a hw of `T`.
    unsafe extern "C" fn stop(hw: *mut bindings::ieee80211_hw, suspend: bool) {
        // SAFETY: As in `tx`.
        let hw = unsafe { Hw::<T>::from_raw(hw) };
        T::stop(hw, suspend);
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `add_interface` op of a hw of `T`, with a valid interface.
    unsafe extern "C" fn add_interface(
        hw: *mut bindings::ieee80211_hw,
        vif: *mut bindings::ieee80211_vif,
    ) -> c_int {
        // SAFETY: As in `tx`; the interface is valid during the call.
        let (hw, vif) = unsafe { (Hw::<T>::from_raw(hw), Vif::from_raw(vif)) };
        from_result(|| T::add_interface(hw, vif).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `remove_interface` op of a hw of `T`, with a valid interface.
    unsafe extern "C" fn remove_interface(
        hw: *mut bindings::ieee80211_hw,
        vif: *mut bindings::ieee80211_vif,
    ) {
        // SAFETY: As in `add_interface`.
        let (hw, vif) = unsafe { (Hw::<T>::from_raw(hw), Vif::from_raw(vif)) };
        T::remove_interface(hw, vif);
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `config` op of a hw of `T`.
    unsafe extern "C" fn config(
        hw: *mut bindings::ieee80211_hw,
        _radio_idx: c_int,
        changed: u32,
    ) -> c_int {
        // SAFETY: As in `tx`.
        let hw = unsafe { Hw::<T>::from_raw(hw) };
        from_result(|| T::config(hw, changed).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `configure_filter` op of a hw of `T`, with a valid
    /// `total_flags`.
    unsafe extern "C" fn configure_filter(
        hw: *mut bindings::ieee80211_hw,
        changed_flags: c_uint,
        total_flags: *mut c_uint,
        multicast: u64,
    ) {
        // SAFETY: As in `tx`; `total_flags` is valid and ours during the call.
        let (hw, total) = unsafe { (Hw::<T>::from_raw(hw), &mut *total_flags) };
        T::configure_filter(hw, changed_flags, total, multicast);
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `bss_info_changed` op of a hw of `T`, with a valid interface.
    unsafe extern "C" fn bss_info_changed(
        hw: *mut bindings::ieee80211_hw,
        vif: *mut bindings::ieee80211_vif,
        _info: *mut bindings::ieee80211_bss_conf,
        changed: u64,
    ) {
        // SAFETY: As in `add_interface`. Without MLO `info` is `&vif->bss_conf`, which
        // `Vif::bss_conf` gives.
        let (hw, vif) = unsafe { (Hw::<T>::from_raw(hw), Vif::from_raw(vif)) };
        T::bss_info_changed(hw, vif, changed);
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `hw_scan` op of a hw of `T`, with a valid interface and
    /// request.
    unsafe extern "C" fn hw_scan(
        hw: *mut bindings::ieee80211_hw,
        vif: *mut bindings::ieee80211_vif,
        req: *mut bindings::ieee80211_scan_request,
    ) -> c_int {
        // SAFETY: As in `add_interface`; the request is valid during the call (and until the
        // scan completes), and its channels are the hw's.
        let (hw, vif, req) = unsafe {
            (
                Hw::<T>::from_raw(hw),
                Vif::from_raw(vif),
                ScanRequest::from_raw(req),
            )
        };
        from_result(|| T::hw_scan(hw, vif, req).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `cancel_hw_scan` op of a hw of `T`, with a valid interface.
    unsafe extern "C" fn cancel_hw_scan(
        hw: *mut bindings::ieee80211_hw,
        vif: *mut bindings::ieee80211_vif,
    ) {
        // SAFETY: As in `add_interface`.
        let (hw, vif) = unsafe { (Hw::<T>::from_raw(hw), Vif::from_raw(vif)) };
        T::cancel_hw_scan(hw, vif);
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `set_key` op of a hw of `T`, with a valid interface and key
    /// and a valid or NULL station.
    unsafe extern "C" fn set_key(
        hw: *mut bindings::ieee80211_hw,
        cmd: bindings::set_key_cmd,
        vif: *mut bindings::ieee80211_vif,
        sta: *mut bindings::ieee80211_sta,
        key: *mut bindings::ieee80211_key_conf,
    ) -> c_int {
        let cmd = match cmd {
            bindings::set_key_cmd_SET_KEY => SetKeyCmd::Set,
            bindings::set_key_cmd_DISABLE_KEY => SetKeyCmd::Disable,
            _ => return EINVAL.to_errno(),
        };
        // SAFETY: As in `add_interface`; the station (if any) and the key are valid during the
        // call, and mac80211 lets the driver alone write the key's flags and hardware index
        // meanwhile.
        let (hw, vif, sta, key) = unsafe {
            (
                Hw::<T>::from_raw(hw),
                Vif::from_raw(vif),
                (!sta.is_null()).then(|| Sta::from_raw(sta)),
                KeyConf::from_raw(key),
            )
        };
        from_result(|| T::set_key(hw, cmd, vif, sta, key).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `sta_add` op of a hw of `T`, with a valid interface and
    /// station.
    unsafe extern "C" fn sta_add(
        hw: *mut bindings::ieee80211_hw,
        vif: *mut bindings::ieee80211_vif,
        sta: *mut bindings::ieee80211_sta,
    ) -> c_int {
        // SAFETY: As in `add_interface`; the station is valid during the call.
        let (hw, vif, sta) = unsafe {
            (
                Hw::<T>::from_raw(hw),
                Vif::from_raw(vif),
                Sta::from_raw(sta),
            )
        };
        from_result(|| T::sta_add(hw, vif, sta).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `sta_remove` op of a hw of `T`, with a valid interface and
    /// station.
    unsafe extern "C" fn sta_remove(
        hw: *mut bindings::ieee80211_hw,
        vif: *mut bindings::ieee80211_vif,
        sta: *mut bindings::ieee80211_sta,
    ) -> c_int {
        // SAFETY: As in `sta_add`.
        let (hw, vif, sta) = unsafe {
            (
                Hw::<T>::from_raw(hw),
                Vif::from_raw(vif),
                Sta::from_raw(sta),
            )
        };
        from_result(|| T::sta_remove(hw, vif, sta).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `conf_tx` op of a hw of `T`, with a valid interface and
    /// parameters.
    unsafe extern "C" fn conf_tx(
        hw: *mut bindings::ieee80211_hw,
        vif: *mut bindings::ieee80211_vif,
        link_id: c_uint,
        ac: u16,
        params: *const bindings::ieee80211_tx_queue_params,
    ) -> c_int {
        // SAFETY: As in `add_interface`; the parameters are valid during the call.
        let (hw, vif, params) = unsafe {
            (
                Hw::<T>::from_raw(hw),
                Vif::from_raw(vif),
                TxQueueParams::from_raw(params),
            )
        };
        from_result(|| T::conf_tx(hw, vif, link_id, ac, params).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `flush` op of a hw of `T`, with a valid or NULL interface.
    unsafe extern "C" fn flush(
        hw: *mut bindings::ieee80211_hw,
        vif: *mut bindings::ieee80211_vif,
        queues: u32,
        drop: bool,
    ) {
        // SAFETY: As in `add_interface`, the interface being optional.
        let (hw, vif) = unsafe {
            (
                Hw::<T>::from_raw(hw),
                (!vif.is_null()).then(|| Vif::from_raw(vif)),
            )
        };
        T::flush(hw, vif, queues, drop);
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `ampdu_action` op of a hw of `T`, with a valid interface and
    /// parameters.
    unsafe extern "C" fn ampdu_action(
        hw: *mut bindings::ieee80211_hw,
        vif: *mut bindings::ieee80211_vif,
        params: *mut bindings::ieee80211_ampdu_params,
    ) -> c_int {
        // SAFETY: As in `add_interface`; the parameters and their station are valid during
        // the call.
        let (hw, vif, params) = unsafe {
            (
                Hw::<T>::from_raw(hw),
                Vif::from_raw(vif),
                AmpduParams::from_raw(params),
            )
        };
        from_result(|| T::ampdu_action(hw, vif, params).map(AmpduResponse::to_raw))
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `get_stats` op of a hw of `T`, with valid statistics.
    unsafe extern "C" fn get_stats(
        hw: *mut bindings::ieee80211_hw,
        stats: *mut bindings::ieee80211_low_level_stats,
    ) -> c_int {
        // SAFETY: As in `tx`; the statistics are ours to fill during the call.
        let (hw, stats) = unsafe { (Hw::<T>::from_raw(hw), LowLevelStats::from_raw(stats)) };
        from_result(|| T::get_stats(hw, stats).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `set_rts_threshold` op of a hw of `T`.
    unsafe extern "C" fn set_rts_threshold(
        hw: *mut bindings::ieee80211_hw,
        _radio_idx: c_int,
        value: u32,
    ) -> c_int {
        // SAFETY: As in `tx`.
        let hw = unsafe { Hw::<T>::from_raw(hw) };
        from_result(|| T::set_rts_threshold(hw, value).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by mac80211 as the `get_txpower` op of a hw of `T`, with a valid interface and
    /// `dbm` writable.
    unsafe extern "C" fn get_txpower(
        hw: *mut bindings::ieee80211_hw,
        vif: *mut bindings::ieee80211_vif,
        _link_id: c_uint,
        dbm: *mut c_int,
    ) -> c_int {
        // SAFETY: As in `add_interface`.
        let (hw, vif) = unsafe { (Hw::<T>::from_raw(hw), Vif::from_raw(vif)) };
        from_result(|| {
            let level = T::get_txpower(hw, vif)?;
            // SAFETY: mac80211 passes a pointer to its own `int` for the answer, valid for
            // writes during the call.
            unsafe { dbm.write(level) };
            Ok(0)
        })
    }
}
