// SPDX-License-Identifier: GPL-2.0

//! What a driver tells mac80211 about its hardware: [`HwConfig`] and the band tables.

use kernel::{
    prelude::*,
    types::Opaque, //
};

use super::{
    bindings,
    Band, //
};

/// A cipher suite selector (`WLAN_CIPHER_SUITE_*`): OUI and type in one number.
pub type CipherSuite = u32;

/// WEP with a 40-bit key.
pub const WLAN_CIPHER_SUITE_WEP40: CipherSuite = bindings::BES2600_WLAN_CIPHER_SUITE_WEP40;
/// TKIP.
pub const WLAN_CIPHER_SUITE_TKIP: CipherSuite = bindings::BES2600_WLAN_CIPHER_SUITE_TKIP;
/// CCMP-128 (AES).
pub const WLAN_CIPHER_SUITE_CCMP: CipherSuite = bindings::BES2600_WLAN_CIPHER_SUITE_CCMP;
/// WEP with a 104-bit key.
pub const WLAN_CIPHER_SUITE_WEP104: CipherSuite = bindings::BES2600_WLAN_CIPHER_SUITE_WEP104;
/// BIP-CMAC-128 (management frame protection).
pub const WLAN_CIPHER_SUITE_AES_CMAC: CipherSuite = bindings::BES2600_WLAN_CIPHER_SUITE_AES_CMAC;
/// GCMP-128.
pub const WLAN_CIPHER_SUITE_GCMP: CipherSuite = bindings::BES2600_WLAN_CIPHER_SUITE_GCMP;
/// GCMP-256.
pub const WLAN_CIPHER_SUITE_GCMP_256: CipherSuite = bindings::BES2600_WLAN_CIPHER_SUITE_GCMP_256;
/// CCMP-256.
pub const WLAN_CIPHER_SUITE_CCMP_256: CipherSuite = bindings::BES2600_WLAN_CIPHER_SUITE_CCMP_256;
/// BIP-GMAC-128.
pub const WLAN_CIPHER_SUITE_BIP_GMAC_128: CipherSuite =
    bindings::BES2600_WLAN_CIPHER_SUITE_BIP_GMAC_128;
/// BIP-GMAC-256.
pub const WLAN_CIPHER_SUITE_BIP_GMAC_256: CipherSuite =
    bindings::BES2600_WLAN_CIPHER_SUITE_BIP_GMAC_256;
/// BIP-CMAC-256.
pub const WLAN_CIPHER_SUITE_BIP_CMAC_256: CipherSuite =
    bindings::BES2600_WLAN_CIPHER_SUITE_BIP_CMAC_256;
/// SMS4 (WAPI).
pub const WLAN_CIPHER_SUITE_SMS4: CipherSuite = bindings::BES2600_WLAN_CIPHER_SUITE_SMS4;

/// A hardware capability flag (`enum ieee80211_hw_flags`, set with `ieee80211_hw_set()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum HwFlag {
    /// Signal strengths are reported in dBm.
    SignalDbm = bindings::ieee80211_hw_flags_IEEE80211_HW_SIGNAL_DBM,
    /// The device reports whether each frame was acknowledged.
    ReportsTxAckStatus = bindings::ieee80211_hw_flags_IEEE80211_HW_REPORTS_TX_ACK_STATUS,
    /// The device monitors the connection itself: mac80211 then sends no probes and relies on
    /// the driver's [`Hw::beacon_loss`](super::Hw::beacon_loss) and
    /// [`Hw::connection_loss`](super::Hw::connection_loss).
    ConnectionMonitor = bindings::ieee80211_hw_flags_IEEE80211_HW_CONNECTION_MONITOR,
    /// Management frame protection (802.11w) in hardware.
    MfpCapable = bindings::ieee80211_hw_flags_IEEE80211_HW_MFP_CAPABLE,
    /// A-MPDU aggregation.
    AmpduAggregation = bindings::ieee80211_hw_flags_IEEE80211_HW_AMPDU_AGGREGATION,
    /// The device sets up transmit aggregation sessions itself.
    TxAmpduSetupInHw = bindings::ieee80211_hw_flags_IEEE80211_HW_TX_AMPDU_SETUP_IN_HW,
    /// Power save.
    SupportsPs = bindings::ieee80211_hw_flags_IEEE80211_HW_SUPPORTS_PS,
    /// Dynamic power save in the device.
    SupportsDynamicPs = bindings::ieee80211_hw_flags_IEEE80211_HW_SUPPORTS_DYNAMIC_PS,
    /// The device needs the DTIM period before association.
    NeedDtimBeforeAssoc = bindings::ieee80211_hw_flags_IEEE80211_HW_NEED_DTIM_BEFORE_ASSOC,
    /// The TSF synchronisation data mac80211 keeps comes from beacons only.
    TimingBeaconOnly = bindings::ieee80211_hw_flags_IEEE80211_HW_TIMING_BEACON_ONLY,
    /// No station interface is created at registration.
    NoAutoVif = bindings::ieee80211_hw_flags_IEEE80211_HW_NO_AUTO_VIF,
    /// A hardware scan covers all bands in one request.
    SingleScanOnAllBands = bindings::ieee80211_hw_flags_IEEE80211_HW_SINGLE_SCAN_ON_ALL_BANDS,
    /// Received frames still carry their FCS.
    RxIncludesFcs = bindings::ieee80211_hw_flags_IEEE80211_HW_RX_INCLUDES_FCS,
    /// The device can handle A-MSDUs inside A-MPDUs.
    SupportsAmsduInAmpdu = bindings::ieee80211_hw_flags_IEEE80211_HW_SUPPORTS_AMSDU_IN_AMPDU,
    /// The device buffers broadcast/multicast frames for PS stations (AP mode).
    HostBroadcastPsBuffering =
        bindings::ieee80211_hw_flags_IEEE80211_HW_HOST_BROADCAST_PS_BUFFERING,
    /// mac80211 should not try to send NDP frames for PS (uses PS-Poll).
    PsNullfuncStack = bindings::ieee80211_hw_flags_IEEE80211_HW_PS_NULLFUNC_STACK,
}

/// A wiphy feature flag (`enum wiphy_flags`), as a set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WiphyFlags(pub u32);

impl WiphyFlags {
    /// No flags.
    pub const NONE: Self = Self(0);
    /// Power save is on by default.
    pub const PS_ON_BY_DEFAULT: Self = Self(bindings::wiphy_flags_WIPHY_FLAG_PS_ON_BY_DEFAULT);
    /// The device supports uAPSD as AP.
    pub const AP_UAPSD: Self = Self(bindings::wiphy_flags_WIPHY_FLAG_AP_UAPSD);
    /// The device supports TDLS.
    pub const SUPPORTS_TDLS: Self = Self(bindings::wiphy_flags_WIPHY_FLAG_SUPPORTS_TDLS);
}

flag_set!(WiphyFlags);

/// An extended feature (`enum nl80211_ext_feature_index`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtFeature(pub u32);

impl ExtFeature {
    /// The device can replace an in-use pairwise key (PTK0 rekey) without leaking frames.
    pub const CAN_REPLACE_PTK0: Self =
        Self(bindings::nl80211_ext_feature_index_NL80211_EXT_FEATURE_CAN_REPLACE_PTK0);
    /// The device reports the signal of acknowledgements.
    pub const ACK_SIGNAL_SUPPORT: Self =
        Self(bindings::nl80211_ext_feature_index_NL80211_EXT_FEATURE_ACK_SIGNAL_SUPPORT);
    /// The device sets the scan start time.
    pub const SCAN_START_TIME: Self =
        Self(bindings::nl80211_ext_feature_index_NL80211_EXT_FEATURE_SCAN_START_TIME);
}

/// Regulatory flags of the wiphy (`enum ieee80211_regulatory_flags`), as a set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegulatoryFlags(pub u32);

impl RegulatoryFlags {
    /// No flags.
    pub const NONE: Self = Self(0);
    /// Channel flags set by the driver are the superset later hints may only restrict.
    pub const STRICT_REG: Self = Self(bindings::ieee80211_regulatory_flags_REGULATORY_STRICT_REG);
    /// Beacon hints may not lift passive-scan restrictions.
    pub const DISABLE_BEACON_HINTS: Self =
        Self(bindings::ieee80211_regulatory_flags_REGULATORY_DISABLE_BEACON_HINTS);
    /// Country information elements are ignored.
    pub const COUNTRY_IE_IGNORE: Self =
        Self(bindings::ieee80211_regulatory_flags_REGULATORY_COUNTRY_IE_IGNORE);
}

flag_set!(RegulatoryFlags);

/// Interface types the device supports, as a bit set of `BIT(NL80211_IFTYPE_*)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterfaceModes(pub u16);

impl InterfaceModes {
    /// Station (managed) mode.
    pub const STATION: Self = Self(bindings::BES2600_NL80211_IFTYPE_STATION_BIT as u16);
    /// Access point mode.
    pub const AP: Self = Self(bindings::BES2600_NL80211_IFTYPE_AP_BIT as u16);
    /// P2P client.
    pub const P2P_CLIENT: Self = Self(bindings::BES2600_NL80211_IFTYPE_P2P_CLIENT_BIT as u16);
    /// P2P group owner.
    pub const P2P_GO: Self = Self(bindings::BES2600_NL80211_IFTYPE_P2P_GO_BIT as u16);
}

impl Default for InterfaceModes {
    fn default() -> Self {
        Self::STATION
    }
}

flag_set!(InterfaceModes);

/// Flags of a channel (`enum ieee80211_channel_flags`), as a set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelFlags(pub u32);

impl ChannelFlags {
    /// No flags.
    pub const NONE: Self = Self(0);
    /// The channel is disabled.
    pub const DISABLED: Self = Self(bindings::ieee80211_channel_flags_IEEE80211_CHAN_DISABLED);
    /// No transmission may be initiated (passive scan only, no beaconing).
    pub const NO_IR: Self = Self(bindings::ieee80211_channel_flags_IEEE80211_CHAN_NO_IR);
    /// Radar detection is required.
    pub const RADAR: Self = Self(bindings::ieee80211_channel_flags_IEEE80211_CHAN_RADAR);
    /// No HT40 with the secondary channel above.
    pub const NO_HT40PLUS: Self =
        Self(bindings::ieee80211_channel_flags_IEEE80211_CHAN_NO_HT40PLUS);
    /// No HT40 with the secondary channel below.
    pub const NO_HT40MINUS: Self =
        Self(bindings::ieee80211_channel_flags_IEEE80211_CHAN_NO_HT40MINUS);
}

flag_set!(ChannelFlags);

/// One channel of a band table.
#[derive(Clone, Copy, Debug)]
pub struct ChannelDef {
    /// The centre frequency in MHz.
    pub center_freq: u16,
    /// The driver's own value for the channel (the channel number, typically).
    pub hw_value: u16,
    /// The maximum transmit power in dBm.
    pub max_power: i32,
    /// Restrictions of the channel.
    pub flags: ChannelFlags,
}

/// One bitrate of a band table.
#[derive(Clone, Copy, Debug)]
pub struct RateDef {
    /// The rate in units of 100 kbit/s.
    pub bitrate: u16,
    /// The driver's own value for the rate.
    pub hw_value: u16,
    /// The rate may also be sent with a short preamble (then with `hw_value` too).
    pub short_preamble: bool,
}

/// The HT (802.11n) capabilities of a band.
#[derive(Clone, Copy, Debug, Default)]
pub struct HtCap {
    /// The HT capability info field (`IEEE80211_HT_CAP_*`).
    pub cap: u16,
    /// The maximum A-MPDU length exponent.
    pub ampdu_factor: u8,
    /// The minimum A-MPDU spacing.
    pub ampdu_density: u8,
    /// The MCS receive bitmask.
    pub rx_mask: [u8; 10],
    /// The highest receive rate in Mbit/s, 0 if not given.
    pub rx_highest: u16,
    /// The MCS transmit parameters (`IEEE80211_HT_MCS_TX_*`).
    pub tx_params: u8,
}

/// A band the device supports.
#[derive(Clone, Copy, Debug)]
pub struct BandConfig<'a> {
    /// The channels.
    pub channels: &'a [ChannelDef],
    /// The bitrates, in the order rate indices refer to.
    pub bitrates: &'a [RateDef],
    /// The HT capabilities, if the device does HT on this band.
    pub ht_cap: Option<HtCap>,
}

/// Everything the driver sets in its `ieee80211_hw` before registering it.
#[derive(Clone, Copy, Debug)]
pub struct HwConfig<'a> {
    /// The permanent MAC address.
    pub perm_addr: [u8; 6],
    /// More addresses the device may use for further interfaces (the first being
    /// `perm_addr` is implied).
    pub extra_addresses: &'a [[u8; 6]],
    /// The 2.4 GHz band, if supported.
    pub band_2ghz: Option<BandConfig<'a>>,
    /// The 5 GHz band, if supported.
    pub band_5ghz: Option<BandConfig<'a>>,
    /// The number of hardware transmit queues (4: one per access category).
    pub queues: u16,
    /// The number of rate entries mac80211 fills in per frame (up to 4).
    pub max_rates: u8,
    /// The maximum tries per rate entry.
    pub max_rate_tries: u8,
    /// Bytes of head room the driver needs in transmitted frames.
    pub extra_tx_headroom: u32,
    /// The maximum SSIDs of one hardware scan.
    pub max_scan_ssids: u8,
    /// The maximum length of extra information elements in a hardware scan.
    pub max_scan_ie_len: u16,
    /// The interface types supported.
    pub interface_modes: InterfaceModes,
    /// Hardware capability flags.
    pub hw_flags: &'a [HwFlag],
    /// Supported cipher suites; empty leaves mac80211's default list.
    pub cipher_suites: &'a [CipherSuite],
    /// Wiphy flags added to mac80211's defaults.
    pub wiphy_flags: WiphyFlags,
    /// Extended features.
    pub ext_features: &'a [ExtFeature],
    /// Regulatory flags.
    pub regulatory_flags: RegulatoryFlags,
}

impl Default for HwConfig<'_> {
    fn default() -> Self {
        Self {
            perm_addr: [0; 6],
            extra_addresses: &[],
            band_2ghz: None,
            band_5ghz: None,
            queues: 4,
            max_rates: 4,
            max_rate_tries: 7,
            extra_tx_headroom: 0,
            max_scan_ssids: 1,
            max_scan_ie_len: 0,
            interface_modes: InterfaceModes::STATION,
            hw_flags: &[],
            cipher_suites: &[],
            wiphy_flags: WiphyFlags::NONE,
            ext_features: &[],
            regulatory_flags: RegulatoryFlags::NONE,
        }
    }
}

/// The C tables of one band, owned by a registration for as long as its hw exists.
///
/// mac80211 and cfg80211 keep pointers to the band, its channels and its rates, and the
/// regulatory code writes into the channels: every element is in an [`Opaque`] and Rust never
/// reads or writes them again after building them.
pub(super) struct BandTables {
    band: KBox<Opaque<bindings::ieee80211_supported_band>>,
    _channels: KVec<Opaque<bindings::ieee80211_channel>>,
    _rates: KVec<Opaque<bindings::ieee80211_rate>>,
}

impl BandTables {
    /// Builds the C tables of `cfg` for `band`.
    pub(super) fn new(band: Band, cfg: &BandConfig<'_>) -> Result<Self> {
        if cfg.channels.is_empty() || cfg.bitrates.is_empty() {
            return Err(EINVAL);
        }
        let n_channels = i32::try_from(cfg.channels.len()).map_err(|_| EINVAL)?;
        let n_bitrates = i32::try_from(cfg.bitrates.len()).map_err(|_| EINVAL)?;

        let mut channels = KVec::with_capacity(cfg.channels.len(), GFP_KERNEL)?;
        for c in cfg.channels {
            let chan = bindings::ieee80211_channel {
                band: band.raw(),
                center_freq: u32::from(c.center_freq),
                hw_value: c.hw_value,
                flags: c.flags.0,
                max_power: c.max_power,
                ..Default::default()
            };
            channels.push(Opaque::new(chan), GFP_KERNEL)?;
        }
        let mut rates = KVec::with_capacity(cfg.bitrates.len(), GFP_KERNEL)?;
        for r in cfg.bitrates {
            let flags = if r.short_preamble {
                bindings::ieee80211_rate_flags_IEEE80211_RATE_SHORT_PREAMBLE
            } else {
                0
            };
            let rate = bindings::ieee80211_rate {
                flags,
                bitrate: r.bitrate,
                hw_value: r.hw_value,
                hw_value_short: r.hw_value,
            };
            rates.push(Opaque::new(rate), GFP_KERNEL)?;
        }

        let mut sband = bindings::ieee80211_supported_band {
            // `Opaque<T>` has the layout of `T`, so the vector's buffer is an array of `T`; the
            // buffer does not move when the vector does.
            channels: channels.as_mut_ptr().cast(),
            bitrates: rates.as_mut_ptr().cast(),
            band: band.raw(),
            n_channels,
            n_bitrates,
            ..Default::default()
        };
        if let Some(ht) = cfg.ht_cap {
            sband.ht_cap = bindings::ieee80211_sta_ht_cap {
                cap: ht.cap,
                ht_supported: true,
                ampdu_factor: ht.ampdu_factor,
                ampdu_density: ht.ampdu_density,
                mcs: bindings::ieee80211_mcs_info {
                    rx_mask: ht.rx_mask,
                    rx_highest: ht.rx_highest.to_le(),
                    tx_params: ht.tx_params,
                    reserved: [0; 3],
                },
            };
        }
        Ok(Self {
            band: KBox::new(Opaque::new(sband), GFP_KERNEL)?,
            _channels: channels,
            _rates: rates,
        })
    }

    /// The band as `wiphy->bands[]` takes it.
    pub(super) fn as_raw(&self) -> *mut bindings::ieee80211_supported_band {
        self.band.get()
    }
}
