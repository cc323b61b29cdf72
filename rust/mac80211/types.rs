// SPDX-License-Identifier: GPL-2.0

//! The objects mac80211 passes to the driver's callbacks: interfaces, stations, keys, scan
//! requests, channels and the parameters of single operations.
//!
//! They are only ever seen by reference, and the references live no longer than the callback
//! (or the [`Hw::iterate_active_interfaces`](super::Hw::iterate_active_interfaces) closure) that
//! received them. mac80211 changes most of their fields only under the wiphy lock, which it
//! holds while calling the callbacks that sleep; fields are read with volatile reads because
//! other contexts (the transmit path, the BH's iteration) may look at them meanwhile.

use core::ptr;

use kernel::types::Opaque;

use super::bindings;

/// Reads `$field` of the C struct behind `$ptr` once (`READ_ONCE()`).
macro_rules! read_once {
    ($ptr:expr, $($field:tt)+) => {
        // SAFETY: The callers pass a pointer that is valid for the lifetime of the reference it
        // came from; the field is plain data.
        unsafe { ptr::read_volatile(&raw const (*$ptr).$($field)+) }
    };
}

/// A frequency band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    /// 2.4 GHz.
    Ghz2,
    /// 5 GHz.
    Ghz5,
}

impl Band {
    /// The band of `enum nl80211_band` value `raw`, if it is one of ours.
    pub fn from_raw(raw: u32) -> Option<Self> {
        match raw {
            bindings::nl80211_band_NL80211_BAND_2GHZ => Some(Self::Ghz2),
            bindings::nl80211_band_NL80211_BAND_5GHZ => Some(Self::Ghz5),
            _ => None,
        }
    }

    /// The `enum nl80211_band` value.
    pub fn raw(self) -> u32 {
        match self {
            Self::Ghz2 => bindings::nl80211_band_NL80211_BAND_2GHZ,
            Self::Ghz5 => bindings::nl80211_band_NL80211_BAND_5GHZ,
        }
    }

    /// The index of the band in per-band arrays.
    pub(super) fn index(self) -> usize {
        self.raw() as usize
    }
}

/// A channel (`struct ieee80211_channel`) of one of the hw's bands.
///
/// The channels are the registration's band tables, so they live as long as the hw.
#[repr(transparent)]
pub struct Channel(Opaque<bindings::ieee80211_channel>);

impl Channel {
    /// # Safety
    ///
    /// `ptr` is a valid channel for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *const bindings::ieee80211_channel) -> &'a Self {
        // SAFETY: `Channel` is a transparent wrapper of the C struct; valid per the caller.
        unsafe { &*ptr.cast() }
    }

    fn raw(&self) -> *const bindings::ieee80211_channel {
        self.0.get()
    }

    /// The centre frequency in MHz.
    pub fn center_freq(&self) -> u32 {
        read_once!(self.raw(), center_freq)
    }

    /// The band.
    pub fn band(&self) -> Option<Band> {
        Band::from_raw(read_once!(self.raw(), band))
    }

    /// The driver's value for the channel, from its band table.
    pub fn hw_value(&self) -> u16 {
        read_once!(self.raw(), hw_value)
    }

    /// The current flags (`IEEE80211_CHAN_*`), as regulatory rules left them.
    pub fn flags(&self) -> u32 {
        read_once!(self.raw(), flags)
    }

    /// No transmission may be initiated on the channel (passive scanning only).
    pub fn no_ir(&self) -> bool {
        self.flags() & bindings::ieee80211_channel_flags_IEEE80211_CHAN_NO_IR != 0
    }

    /// Radar detection is required on the channel.
    pub fn radar(&self) -> bool {
        self.flags() & bindings::ieee80211_channel_flags_IEEE80211_CHAN_RADAR != 0
    }

    /// The channel is disabled.
    pub fn disabled(&self) -> bool {
        self.flags() & bindings::ieee80211_channel_flags_IEEE80211_CHAN_DISABLED != 0
    }

    /// The maximum transmit power in dBm.
    pub fn max_power(&self) -> i32 {
        read_once!(self.raw(), max_power)
    }
}

/// A channel width (`enum nl80211_chan_width`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChanWidth {
    /// 20 MHz without HT.
    NoHt20,
    /// 20 MHz HT.
    Ht20,
    /// 40 MHz.
    W40,
    /// 80 MHz.
    W80,
    /// Something else (raw value).
    Other(u32),
}

impl ChanWidth {
    fn from_raw(raw: u32) -> Self {
        match raw {
            bindings::nl80211_chan_width_NL80211_CHAN_WIDTH_20_NOHT => Self::NoHt20,
            bindings::nl80211_chan_width_NL80211_CHAN_WIDTH_20 => Self::Ht20,
            bindings::nl80211_chan_width_NL80211_CHAN_WIDTH_40 => Self::W40,
            bindings::nl80211_chan_width_NL80211_CHAN_WIDTH_80 => Self::W80,
            other => Self::Other(other),
        }
    }
}

/// A channel definition (`struct cfg80211_chan_def`), copied out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChanDef {
    /// The control channel's centre frequency in MHz, 0 if there is none.
    pub center_freq: u32,
    /// The control channel's band.
    pub band: Option<Band>,
    /// The control channel's value from the band table.
    pub hw_value: u16,
    /// The width.
    pub width: ChanWidth,
    /// The centre frequency of the whole channel in MHz.
    pub center_freq1: u32,
    /// The centre frequency of the second segment (80+80 MHz only).
    pub center_freq2: u32,
}

impl ChanDef {
    /// Copies `def`.
    ///
    /// # Safety
    ///
    /// `def` is valid for reads, and its `chan` is null or one of the hw's channels.
    pub(super) unsafe fn read(def: *const bindings::cfg80211_chan_def) -> Self {
        let chan = read_once!(def, chan);
        // SAFETY: Per the safety requirements the channel is null or in the hw's band tables,
        // which live as long as the hw.
        let chan = (!chan.is_null()).then(|| unsafe { Channel::from_raw(chan) });
        Self {
            center_freq: chan.map_or(0, Channel::center_freq),
            band: chan.and_then(Channel::band),
            hw_value: chan.map_or(0, Channel::hw_value),
            width: ChanWidth::from_raw(read_once!(def, width)),
            center_freq1: read_once!(def, center_freq1),
            center_freq2: read_once!(def, center_freq2),
        }
    }
}

/// The device configuration mac80211 asks for (`struct ieee80211_conf`), copied out.
#[derive(Clone, Copy, Debug)]
pub struct Conf {
    /// The flags (`IEEE80211_CONF_*`).
    pub flags: u32,
    /// The transmit power limit in dBm.
    pub power_level: i32,
    /// The dynamic power-save timeout in ms.
    pub dynamic_ps_timeout: i32,
    /// The listen interval in beacon intervals.
    pub listen_interval: u16,
    /// The DTIM period to wake up for in power save.
    pub ps_dtim_period: u8,
    /// The retry limit for frames longer than the RTS threshold.
    pub long_frame_max_tx_count: u8,
    /// The retry limit for other frames.
    pub short_frame_max_tx_count: u8,
    /// The channel.
    pub chandef: ChanDef,
}

impl Conf {
    /// Copies `conf`.
    ///
    /// # Safety
    ///
    /// `conf` is the `conf` of a valid hw.
    pub(super) unsafe fn read(conf: *const bindings::ieee80211_conf) -> Self {
        Self {
            flags: read_once!(conf, flags),
            power_level: read_once!(conf, power_level),
            dynamic_ps_timeout: read_once!(conf, dynamic_ps_timeout),
            listen_interval: read_once!(conf, listen_interval),
            ps_dtim_period: read_once!(conf, ps_dtim_period),
            long_frame_max_tx_count: read_once!(conf, long_frame_max_tx_count),
            short_frame_max_tx_count: read_once!(conf, short_frame_max_tx_count),
            // SAFETY: The hw's channel definition points into its band tables, or is null.
            chandef: unsafe { ChanDef::read(&raw const (*conf).chandef) },
        }
    }

    /// The device is idle (no interface needs the channel).
    pub fn idle(&self) -> bool {
        self.flags & bindings::ieee80211_conf_flags_IEEE80211_CONF_IDLE != 0
    }

    /// Power save is enabled.
    pub fn ps(&self) -> bool {
        self.flags & bindings::ieee80211_conf_flags_IEEE80211_CONF_PS != 0
    }
}

/// What changed in a [`Conf`] (`enum ieee80211_conf_changed`), for [`Ops::config`](super::Ops::config).
pub mod conf_changed {
    use super::bindings;

    /// The listen interval.
    pub const LISTEN_INTERVAL: u32 =
        bindings::ieee80211_conf_changed_IEEE80211_CONF_CHANGE_LISTEN_INTERVAL;
    /// Monitor mode.
    pub const MONITOR: u32 = bindings::ieee80211_conf_changed_IEEE80211_CONF_CHANGE_MONITOR;
    /// Power save.
    pub const PS: u32 = bindings::ieee80211_conf_changed_IEEE80211_CONF_CHANGE_PS;
    /// The transmit power.
    pub const POWER: u32 = bindings::ieee80211_conf_changed_IEEE80211_CONF_CHANGE_POWER;
    /// The channel.
    pub const CHANNEL: u32 = bindings::ieee80211_conf_changed_IEEE80211_CONF_CHANGE_CHANNEL;
    /// The retry limits.
    pub const RETRY_LIMITS: u32 =
        bindings::ieee80211_conf_changed_IEEE80211_CONF_CHANGE_RETRY_LIMITS;
    /// Idle.
    pub const IDLE: u32 = bindings::ieee80211_conf_changed_IEEE80211_CONF_CHANGE_IDLE;
}

/// What changed in the BSS configuration (`enum ieee80211_bss_change`), for
/// [`Ops::bss_info_changed`](super::Ops::bss_info_changed).
pub mod bss_changed {
    use super::bindings;

    /// Association status ([`VifCfg::assoc`](super::VifCfg::assoc), aid).
    pub const ASSOC: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_ASSOC as u64;
    /// CTS protection.
    pub const ERP_CTS_PROT: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_ERP_CTS_PROT as u64;
    /// Short preamble.
    pub const ERP_PREAMBLE: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_ERP_PREAMBLE as u64;
    /// Short slot time.
    pub const ERP_SLOT: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_ERP_SLOT as u64;
    /// HT operation mode.
    pub const HT: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_HT as u64;
    /// Basic rates.
    pub const BASIC_RATES: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_BASIC_RATES as u64;
    /// Beacon interval.
    pub const BEACON_INT: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_BEACON_INT as u64;
    /// BSSID.
    pub const BSSID: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_BSSID as u64;
    /// Connection quality monitor settings.
    pub const CQM: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_CQM as u64;
    /// ARP filter addresses.
    pub const ARP_FILTER: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_ARP_FILTER as u64;
    /// QoS.
    pub const QOS: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_QOS as u64;
    /// Idle.
    pub const IDLE: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_IDLE as u64;
    /// Power save.
    pub const PS: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_PS as u64;
    /// Transmit power.
    pub const TXPOWER: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_TXPOWER as u64;
    /// Beacon information (DTIM period, ...).
    pub const BEACON_INFO: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_BEACON_INFO as u64;
    /// Bandwidth.
    pub const BANDWIDTH: u64 = bindings::ieee80211_bss_change_BSS_CHANGED_BANDWIDTH as u64;
}

/// Receive filter flags (`enum ieee80211_filter_flags`), for
/// [`Ops::configure_filter`](super::Ops::configure_filter).
pub mod filter {
    use super::bindings;

    /// All multicast frames.
    pub const ALLMULTI: u32 = bindings::ieee80211_filter_flags_FIF_ALLMULTI;
    /// Frames with a bad FCS.
    pub const FCSFAIL: u32 = bindings::ieee80211_filter_flags_FIF_FCSFAIL;
    /// Frames with a PLCP CRC error.
    pub const PLCPFAIL: u32 = bindings::ieee80211_filter_flags_FIF_PLCPFAIL;
    /// Beacons of other BSSes.
    pub const BCN_PRBRESP_PROMISC: u32 = bindings::ieee80211_filter_flags_FIF_BCN_PRBRESP_PROMISC;
    /// Control frames.
    pub const CONTROL: u32 = bindings::ieee80211_filter_flags_FIF_CONTROL;
    /// Frames of other BSSes.
    pub const OTHER_BSS: u32 = bindings::ieee80211_filter_flags_FIF_OTHER_BSS;
    /// PS-Poll frames.
    pub const PSPOLL: u32 = bindings::ieee80211_filter_flags_FIF_PSPOLL;
    /// Probe requests.
    pub const PROBE_REQ: u32 = bindings::ieee80211_filter_flags_FIF_PROBE_REQ;
}

/// A virtual interface (`struct ieee80211_vif`).
#[repr(transparent)]
pub struct Vif(Opaque<bindings::ieee80211_vif>);

impl Vif {
    /// # Safety
    ///
    /// `ptr` is a valid interface for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut bindings::ieee80211_vif) -> &'a Self {
        // SAFETY: `Vif` is a transparent wrapper of the C struct; valid per the caller.
        unsafe { &*ptr.cast() }
    }

    /// The raw interface.
    pub(super) fn as_raw(&self) -> *mut bindings::ieee80211_vif {
        self.0.get()
    }

    /// The interface's MAC address.
    pub fn addr(&self) -> [u8; 6] {
        read_once!(self.as_raw(), addr)
    }

    /// The interface type (`enum nl80211_iftype`).
    pub fn iftype(&self) -> u32 {
        read_once!(self.as_raw(), type_)
    }

    /// Whether this is a station (managed) interface, P2P client included.
    pub fn is_station(&self) -> bool {
        matches!(
            self.iftype(),
            bindings::nl80211_iftype_NL80211_IFTYPE_STATION
                | bindings::nl80211_iftype_NL80211_IFTYPE_P2P_CLIENT
        )
    }

    /// Whether this is a P2P interface.
    pub fn p2p(&self) -> bool {
        read_once!(self.as_raw(), p2p)
    }

    /// The BSS configuration of the (only) link.
    pub fn bss_conf(&self) -> &BssConf {
        // SAFETY: `bss_conf` is embedded in the interface and lives as long as it.
        unsafe { &*(&raw const (*self.as_raw()).bss_conf).cast::<BssConf>() }
    }

    /// The interface-wide configuration.
    pub fn cfg(&self) -> &VifCfg {
        // SAFETY: `cfg` is embedded in the interface and lives as long as it.
        unsafe { &*(&raw const (*self.as_raw()).cfg).cast::<VifCfg>() }
    }
}

/// The BSS (link) configuration of an interface (`struct ieee80211_bss_conf`).
#[repr(transparent)]
pub struct BssConf(Opaque<bindings::ieee80211_bss_conf>);

impl BssConf {
    fn raw(&self) -> *const bindings::ieee80211_bss_conf {
        self.0.get()
    }

    /// The BSSID, if one is set.
    pub fn bssid(&self) -> Option<[u8; 6]> {
        let bssid = read_once!(self.raw(), bssid);
        if bssid.is_null() {
            return None;
        }
        // SAFETY: A non-null `bssid` points to 6 bytes inside the interface (the link's
        // address fields), which live as long as the interface.
        Some(unsafe { ptr::read_volatile(bssid.cast::<[u8; 6]>()) })
    }

    /// The beacon interval in TU.
    pub fn beacon_int(&self) -> u16 {
        read_once!(self.raw(), beacon_int)
    }

    /// The DTIM period (0 until known).
    pub fn dtim_period(&self) -> u8 {
        read_once!(self.raw(), dtim_period)
    }

    /// Use CTS protection.
    pub fn use_cts_prot(&self) -> bool {
        read_once!(self.raw(), use_cts_prot)
    }

    /// Use short preambles.
    pub fn use_short_preamble(&self) -> bool {
        read_once!(self.raw(), use_short_preamble)
    }

    /// Use the short slot time.
    pub fn use_short_slot(&self) -> bool {
        read_once!(self.raw(), use_short_slot)
    }

    /// The basic rates, as a bitmap of indices into the current band's bitrates.
    pub fn basic_rates(&self) -> u32 {
        read_once!(self.raw(), basic_rates)
    }

    /// The HT operation mode field.
    pub fn ht_operation_mode(&self) -> u16 {
        read_once!(self.raw(), ht_operation_mode)
    }

    /// The operating channel of the BSS.
    pub fn chandef(&self) -> ChanDef {
        // SAFETY: The channel definition is embedded in the BSS configuration; its channel is
        // null or one of the hw's.
        unsafe { ChanDef::read(&raw const (*self.raw()).chanreq.oper) }
    }

    /// The connection quality monitor's RSSI threshold in dBm (0: disabled).
    pub fn cqm_rssi_thold(&self) -> i32 {
        read_once!(self.raw(), cqm_rssi_thold)
    }

    /// The connection quality monitor's RSSI hysteresis in dB.
    pub fn cqm_rssi_hyst(&self) -> u32 {
        read_once!(self.raw(), cqm_rssi_hyst)
    }

    /// The transmit power in dBm (`i32::MIN`: not configured).
    pub fn txpower(&self) -> i32 {
        read_once!(self.raw(), txpower)
    }

    /// The BSS uses QoS (WMM).
    pub fn qos(&self) -> bool {
        read_once!(self.raw(), qos)
    }
}

/// The interface-wide configuration (`struct ieee80211_vif_cfg`).
#[repr(transparent)]
pub struct VifCfg(Opaque<bindings::ieee80211_vif_cfg>);

impl VifCfg {
    fn raw(&self) -> *const bindings::ieee80211_vif_cfg {
        self.0.get()
    }

    /// The interface is associated.
    pub fn assoc(&self) -> bool {
        read_once!(self.raw(), assoc)
    }

    /// The association id.
    pub fn aid(&self) -> u16 {
        read_once!(self.raw(), aid)
    }

    /// Power save is enabled for the interface.
    pub fn ps(&self) -> bool {
        read_once!(self.raw(), ps)
    }

    /// The interface is idle.
    pub fn idle(&self) -> bool {
        read_once!(self.raw(), idle)
    }

    /// The number of IPv4 addresses of the interface (may exceed the 4 kept).
    pub fn arp_addr_cnt(&self) -> usize {
        usize::try_from(read_once!(self.raw(), arp_addr_cnt)).unwrap_or(0)
    }

    /// The IPv4 addresses kept (up to 4), in network byte order as stored.
    pub fn arp_addrs(&self) -> ([u32; 4], usize) {
        let list = read_once!(self.raw(), arp_addr_list);
        (list, self.arp_addr_cnt().min(list.len()))
    }

    /// The SSID of the BSS (station mode: once associated).
    pub fn ssid(&self) -> ([u8; 32], usize) {
        let ssid = read_once!(self.raw(), ssid);
        let len = read_once!(self.raw(), ssid_len).min(ssid.len());
        (ssid, len)
    }
}

/// The HT capabilities of a station (`struct ieee80211_sta_ht_cap`), copied out.
#[derive(Clone, Copy, Debug, Default)]
pub struct StaHtCap {
    /// The station supports HT.
    pub ht_supported: bool,
    /// The HT capability info field.
    pub cap: u16,
    /// The maximum A-MPDU length exponent.
    pub ampdu_factor: u8,
    /// The minimum A-MPDU spacing.
    pub ampdu_density: u8,
    /// The MCS receive bitmask.
    pub rx_mask: [u8; 10],
}

/// A station (`struct ieee80211_sta`), for example the AP a station interface is associated to.
#[repr(transparent)]
pub struct Sta(Opaque<bindings::ieee80211_sta>);

impl Sta {
    /// # Safety
    ///
    /// `ptr` is a valid station for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut bindings::ieee80211_sta) -> &'a Self {
        // SAFETY: `Sta` is a transparent wrapper of the C struct; valid per the caller.
        unsafe { &*ptr.cast() }
    }

    fn raw(&self) -> *const bindings::ieee80211_sta {
        self.0.get()
    }

    /// The station's MAC address.
    pub fn addr(&self) -> [u8; 6] {
        read_once!(self.raw(), addr)
    }

    /// The association id.
    pub fn aid(&self) -> u16 {
        read_once!(self.raw(), aid)
    }

    /// The supported rates on `band`, as a bitmap of indices into its bitrates.
    pub fn supp_rates(&self, band: super::Band) -> u32 {
        read_once!(self.raw(), deflink.supp_rates[band.index()])
    }

    /// The HT capabilities.
    pub fn ht_cap(&self) -> StaHtCap {
        let cap = read_once!(self.raw(), deflink.ht_cap);
        StaHtCap {
            ht_supported: cap.ht_supported,
            cap: cap.cap,
            ampdu_factor: cap.ampdu_factor,
            ampdu_density: cap.ampdu_density,
            rx_mask: cap.mcs.rx_mask,
        }
    }

    /// Management frame protection is in use with the station.
    pub fn mfp(&self) -> bool {
        read_once!(self.raw(), mfp)
    }

    /// The station supports WMM.
    pub fn wme(&self) -> bool {
        read_once!(self.raw(), wme)
    }

    /// The U-APSD-enabled access categories (`IEEE80211_WMM_IE_STA_QOSINFO_AC_*` bits).
    pub fn uapsd_queues(&self) -> u8 {
        read_once!(self.raw(), uapsd_queues)
    }

    /// The maximum service period length.
    pub fn max_sp(&self) -> u8 {
        read_once!(self.raw(), max_sp)
    }
}

/// A key operation, for [`Ops::set_key`](super::Ops::set_key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetKeyCmd {
    /// Install the key.
    Set,
    /// Remove the key.
    Disable,
}

/// Key flags (`enum ieee80211_key_flags`), as a set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyFlags(pub u16);

impl KeyFlags {
    /// mac80211 generates the IV of management frames.
    pub const GENERATE_IV_MGMT: Self =
        Self(bindings::ieee80211_key_flags_IEEE80211_KEY_FLAG_GENERATE_IV_MGMT as u16);
    /// mac80211 generates the IV.
    pub const GENERATE_IV: Self =
        Self(bindings::ieee80211_key_flags_IEEE80211_KEY_FLAG_GENERATE_IV as u16);
    /// mac80211 generates the TKIP Michael MIC.
    pub const GENERATE_MMIC: Self =
        Self(bindings::ieee80211_key_flags_IEEE80211_KEY_FLAG_GENERATE_MMIC as u16);
    /// The key is pairwise (set by mac80211).
    pub const PAIRWISE: Self =
        Self(bindings::ieee80211_key_flags_IEEE80211_KEY_FLAG_PAIRWISE as u16);
    /// mac80211 encrypts management frames in software.
    pub const SW_MGMT_TX: Self =
        Self(bindings::ieee80211_key_flags_IEEE80211_KEY_FLAG_SW_MGMT_TX as u16);
    /// mac80211 leaves room for the IV in the frame.
    pub const PUT_IV_SPACE: Self =
        Self(bindings::ieee80211_key_flags_IEEE80211_KEY_FLAG_PUT_IV_SPACE as u16);
    /// The hardware decrypts received management frames too.
    pub const RX_MGMT: Self = Self(bindings::ieee80211_key_flags_IEEE80211_KEY_FLAG_RX_MGMT as u16);
    /// mac80211 reserves tail room for the MIC/ICV.
    pub const RESERVE_TAILROOM: Self =
        Self(bindings::ieee80211_key_flags_IEEE80211_KEY_FLAG_RESERVE_TAILROOM as u16);
    /// mac80211 leaves room for the MIC in the frame.
    pub const PUT_MIC_SPACE: Self =
        Self(bindings::ieee80211_key_flags_IEEE80211_KEY_FLAG_PUT_MIC_SPACE as u16);
}

flag_set!(KeyFlags);

/// A key (`struct ieee80211_key_conf`).
#[repr(transparent)]
pub struct KeyConf(Opaque<bindings::ieee80211_key_conf>);

impl KeyConf {
    /// # Safety
    ///
    /// `ptr` is a valid key for `'a`, and if the reference is mutable, only the driver writes
    /// the fields this type sets (`flags`, `hw_key_idx`) meanwhile.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut bindings::ieee80211_key_conf) -> &'a mut Self {
        // SAFETY: `KeyConf` is a transparent wrapper of the C struct; valid per the caller.
        unsafe { &mut *ptr.cast() }
    }

    /// # Safety
    ///
    /// `ptr` is a valid key for `'a`.
    pub(super) unsafe fn from_raw_ref<'a>(ptr: *mut bindings::ieee80211_key_conf) -> &'a Self {
        // SAFETY: `KeyConf` is a transparent wrapper of the C struct; valid per the caller.
        unsafe { &*ptr.cast() }
    }

    fn raw(&self) -> *mut bindings::ieee80211_key_conf {
        self.0.get()
    }

    /// The cipher suite (`WLAN_CIPHER_SUITE_*`).
    pub fn cipher(&self) -> u32 {
        read_once!(self.raw(), cipher)
    }

    /// The key index (0..3 for data keys, 4..5 for management, 6..7 for beacon protection).
    pub fn keyidx(&self) -> u8 {
        // Never negative for a key mac80211 hands to a driver.
        read_once!(self.raw(), keyidx) as u8
    }

    /// The key material.
    pub fn key(&self) -> &[u8] {
        let len = usize::from(read_once!(self.raw(), keylen));
        // SAFETY: `key` is a flexible array of `keylen` bytes allocated with the key, which
        // never change while the key exists.
        unsafe { core::slice::from_raw_parts((&raw const (*self.raw()).key).cast::<u8>(), len) }
    }

    /// The flags.
    pub fn flags(&self) -> KeyFlags {
        KeyFlags(read_once!(self.raw(), flags))
    }

    /// Sets the flags the driver asks of mac80211 (`PAIRWISE` and the other flags mac80211
    /// set are kept).
    pub fn set_flags(&mut self, flags: KeyFlags) {
        let keep = self.flags().0 & KeyFlags::PAIRWISE.0;
        // SAFETY: The key is valid and the driver alone writes its flags during `set_key`.
        unsafe { ptr::write_volatile(&raw mut (*self.raw()).flags, keep | flags.0) };
    }

    /// The key is pairwise.
    pub fn is_pairwise(&self) -> bool {
        self.flags().contains(KeyFlags::PAIRWISE)
    }

    /// The driver's index of the key in the hardware.
    pub fn hw_key_idx(&self) -> u8 {
        read_once!(self.raw(), hw_key_idx)
    }

    /// Sets the driver's index of the key in the hardware.
    pub fn set_hw_key_idx(&mut self, idx: u8) {
        // SAFETY: As in `set_flags`.
        unsafe { ptr::write_volatile(&raw mut (*self.raw()).hw_key_idx, idx) };
    }

    /// The length of the IV the cipher puts in front of the payload.
    pub fn iv_len(&self) -> u8 {
        read_once!(self.raw(), iv_len)
    }

    /// The length of the ICV the cipher appends.
    pub fn icv_len(&self) -> u8 {
        read_once!(self.raw(), icv_len)
    }
}

/// The EDCA parameters of one access category (`struct ieee80211_tx_queue_params`).
#[repr(transparent)]
pub struct TxQueueParams(Opaque<bindings::ieee80211_tx_queue_params>);

impl TxQueueParams {
    /// # Safety
    ///
    /// `ptr` is valid for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *const bindings::ieee80211_tx_queue_params) -> &'a Self {
        // SAFETY: Transparent wrapper; valid per the caller.
        unsafe { &*ptr.cast() }
    }

    fn raw(&self) -> *const bindings::ieee80211_tx_queue_params {
        self.0.get()
    }

    /// The arbitration inter-frame space number.
    pub fn aifs(&self) -> u8 {
        read_once!(self.raw(), aifs)
    }

    /// The minimum contention window.
    pub fn cw_min(&self) -> u16 {
        read_once!(self.raw(), cw_min)
    }

    /// The maximum contention window.
    pub fn cw_max(&self) -> u16 {
        read_once!(self.raw(), cw_max)
    }

    /// The TXOP limit in units of 32 µs.
    pub fn txop(&self) -> u16 {
        read_once!(self.raw(), txop)
    }

    /// U-APSD is enabled for the access category.
    pub fn uapsd(&self) -> bool {
        read_once!(self.raw(), uapsd)
    }

    /// Admission control is mandatory.
    pub fn acm(&self) -> bool {
        read_once!(self.raw(), acm)
    }
}

/// An A-MPDU session action (`enum ieee80211_ampdu_mlme_action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmpduAction {
    /// Start a receive session.
    RxStart,
    /// Stop a receive session.
    RxStop,
    /// Start a transmit session.
    TxStart,
    /// Stop a transmit session, continuing to send queued frames.
    TxStopCont,
    /// Stop a transmit session, dropping queued frames.
    TxStopFlush,
    /// As `TxStopFlush`, but mac80211 continues the session teardown itself.
    TxStopFlushCont,
    /// The transmit session is operational.
    TxOperational,
}

/// What the driver answers to an A-MPDU action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmpduResponse {
    /// Done (or, for `TxStart`, the driver calls `ieee80211_start_tx_ba_cb_irqsafe` later).
    Done,
    /// `TxStart` only: the session can start at once (`IEEE80211_AMPDU_TX_START_IMMEDIATE`).
    TxStartImmediate,
    /// `TxStart` only: send the ADDBA request later (`IEEE80211_AMPDU_TX_START_DELAY_ADDBA`).
    TxStartDelayAddba,
}

impl AmpduResponse {
    pub(super) fn to_raw(self) -> i32 {
        match self {
            Self::Done => 0,
            Self::TxStartImmediate => bindings::IEEE80211_AMPDU_TX_START_IMMEDIATE as i32,
            Self::TxStartDelayAddba => bindings::IEEE80211_AMPDU_TX_START_DELAY_ADDBA as i32,
        }
    }
}

/// The parameters of an A-MPDU action (`struct ieee80211_ampdu_params`).
#[repr(transparent)]
pub struct AmpduParams(Opaque<bindings::ieee80211_ampdu_params>);

impl AmpduParams {
    /// # Safety
    ///
    /// `ptr` is valid for `'a`, with a valid station.
    pub(super) unsafe fn from_raw<'a>(ptr: *const bindings::ieee80211_ampdu_params) -> &'a Self {
        // SAFETY: Transparent wrapper; valid per the caller.
        unsafe { &*ptr.cast() }
    }

    fn raw(&self) -> *const bindings::ieee80211_ampdu_params {
        self.0.get()
    }

    /// The action, if it is one this abstraction knows.
    pub fn action(&self) -> Option<AmpduAction> {
        Some(match read_once!(self.raw(), action) {
            bindings::ieee80211_ampdu_mlme_action_IEEE80211_AMPDU_RX_START => AmpduAction::RxStart,
            bindings::ieee80211_ampdu_mlme_action_IEEE80211_AMPDU_RX_STOP => AmpduAction::RxStop,
            bindings::ieee80211_ampdu_mlme_action_IEEE80211_AMPDU_TX_START => AmpduAction::TxStart,
            bindings::ieee80211_ampdu_mlme_action_IEEE80211_AMPDU_TX_STOP_CONT => {
                AmpduAction::TxStopCont
            }
            bindings::ieee80211_ampdu_mlme_action_IEEE80211_AMPDU_TX_STOP_FLUSH => {
                AmpduAction::TxStopFlush
            }
            bindings::ieee80211_ampdu_mlme_action_IEEE80211_AMPDU_TX_STOP_FLUSH_CONT => {
                AmpduAction::TxStopFlushCont
            }
            bindings::ieee80211_ampdu_mlme_action_IEEE80211_AMPDU_TX_OPERATIONAL => {
                AmpduAction::TxOperational
            }
            _ => return None,
        })
    }

    /// The peer station.
    pub fn sta(&self) -> &Sta {
        let sta = read_once!(self.raw(), sta);
        // SAFETY: mac80211 always passes a valid station, which outlives the call (and so
        // this reference, which borrows `self`).
        unsafe { Sta::from_raw(sta) }
    }

    /// The traffic identifier.
    pub fn tid(&self) -> u16 {
        read_once!(self.raw(), tid)
    }

    /// The starting sequence number.
    pub fn ssn(&self) -> u16 {
        read_once!(self.raw(), ssn)
    }

    /// The reorder buffer size.
    pub fn buf_size(&self) -> u16 {
        read_once!(self.raw(), buf_size)
    }

    /// A-MSDUs are allowed inside the A-MPDUs.
    pub fn amsdu(&self) -> bool {
        read_once!(self.raw(), amsdu)
    }

    /// The session timeout in TU (0: none).
    pub fn timeout(&self) -> u16 {
        read_once!(self.raw(), timeout)
    }
}

/// Low-level statistics the driver reports (`struct ieee80211_low_level_stats`).
#[repr(transparent)]
pub struct LowLevelStats(Opaque<bindings::ieee80211_low_level_stats>);

impl LowLevelStats {
    /// # Safety
    ///
    /// `ptr` is valid for writes for `'a` and nothing else accesses it meanwhile.
    pub(super) unsafe fn from_raw<'a>(
        ptr: *mut bindings::ieee80211_low_level_stats,
    ) -> &'a mut Self {
        // SAFETY: Transparent wrapper; valid per the caller.
        unsafe { &mut *ptr.cast() }
    }

    fn raw(&mut self) -> *mut bindings::ieee80211_low_level_stats {
        self.0.get()
    }

    /// Sets `dot11ACKFailureCount`.
    pub fn set_ack_failure_count(&mut self, n: u32) {
        // SAFETY: Valid and exclusively ours (`from_raw`).
        unsafe { (*self.raw()).dot11ACKFailureCount = n };
    }

    /// Sets `dot11RTSFailureCount`.
    pub fn set_rts_failure_count(&mut self, n: u32) {
        // SAFETY: As above.
        unsafe { (*self.raw()).dot11RTSFailureCount = n };
    }

    /// Sets `dot11FCSErrorCount`.
    pub fn set_fcs_error_count(&mut self, n: u32) {
        // SAFETY: As above.
        unsafe { (*self.raw()).dot11FCSErrorCount = n };
    }

    /// Sets `dot11RTSSuccessCount`.
    pub fn set_rts_success_count(&mut self, n: u32) {
        // SAFETY: As above.
        unsafe { (*self.raw()).dot11RTSSuccessCount = n };
    }
}

/// A hardware scan request (`struct ieee80211_scan_request`), valid during
/// [`Ops::hw_scan`](super::Ops::hw_scan): copy what the scan needs.
#[repr(transparent)]
pub struct ScanRequest(Opaque<bindings::ieee80211_scan_request>);

impl ScanRequest {
    /// # Safety
    ///
    /// `ptr` is a valid request for `'a` whose channels are the hw's.
    pub(super) unsafe fn from_raw<'a>(ptr: *const bindings::ieee80211_scan_request) -> &'a Self {
        // SAFETY: Transparent wrapper; valid per the caller.
        unsafe { &*ptr.cast() }
    }

    fn raw(&self) -> *const bindings::ieee80211_scan_request {
        self.0.get()
    }

    /// The channels to scan, in order.
    pub fn channels(&self) -> impl Iterator<Item = &Channel> + '_ {
        let n = read_once!(self.raw(), req.n_channels) as usize;
        // SAFETY: `channels` is a flexible array of `n_channels` pointers allocated with the
        // request.
        let base = unsafe {
            (&raw const (*self.raw()).req.channels).cast::<*mut bindings::ieee80211_channel>()
        };
        (0..n).map(move |i| {
            // SAFETY: `i < n_channels`; each entry is one of the hw's channels, which outlive
            // the request.
            unsafe { Channel::from_raw(*base.add(i)) }
        })
    }

    /// The number of channels to scan.
    pub fn n_channels(&self) -> usize {
        read_once!(self.raw(), req.n_channels) as usize
    }

    /// The SSIDs to probe for (active scan); empty for a passive scan. A zero-length SSID is
    /// the wildcard.
    pub fn ssids(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let n = usize::try_from(read_once!(self.raw(), req.n_ssids)).unwrap_or(0);
        let base = read_once!(self.raw(), req.ssids);
        (0..n).map(move |i| {
            // SAFETY: `ssids` is an array of `n_ssids` entries owned by the request.
            let ssid = unsafe { &*base.add(i) };
            let len = usize::from(ssid.ssid_len).min(ssid.ssid.len());
            &ssid.ssid[..len]
        })
    }

    /// The information elements to add to probe requests on `band`.
    pub fn ies_for(&self, band: Band) -> &[u8] {
        let ptr = read_once!(self.raw(), ies.ies[band.index()]);
        let len = read_once!(self.raw(), ies.len[band.index()]);
        // SAFETY: mac80211 built `len` bytes at `ptr` (or null and 0) for the request.
        unsafe { bytes(ptr, len) }
    }

    /// The information elements to add to probe requests on every band.
    pub fn common_ies(&self) -> &[u8] {
        let ptr = read_once!(self.raw(), ies.common_ies);
        let len = read_once!(self.raw(), ies.common_ie_len);
        // SAFETY: As in `ies_for`.
        unsafe { bytes(ptr, len) }
    }

    /// The scan flags (`enum nl80211_scan_flags`).
    pub fn flags(&self) -> u32 {
        read_once!(self.raw(), req.flags)
    }

    /// The source address to use for probe requests (with randomisation, already applied
    /// by mac80211 where requested).
    pub fn mac_addr(&self) -> [u8; 6] {
        read_once!(self.raw(), req.mac_addr)
    }

    /// Do not use CCK rates for probe requests.
    pub fn no_cck(&self) -> bool {
        read_once!(self.raw(), req.no_cck)
    }

    /// The dwell time per channel in TU (0: the driver chooses).
    pub fn duration(&self) -> u16 {
        read_once!(self.raw(), req.duration)
    }
}

/// `len` bytes at `ptr` as a slice; empty for a null pointer.
///
/// # Safety
///
/// A non-null `ptr` is valid for `len` bytes of reads for `'a`, which nothing writes.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: Per the safety requirements.
    unsafe { core::slice::from_raw_parts(ptr, len) }
}
