// SPDX-License-Identifier: GPL-2.0

//! The bits of IEEE 802.11 framing the emulated chip needs: header fields, element
//! lists, channel/frequency and rate mappings, and the few frames the firmware builds
//! itself (probe requests, null data).

/// Frame type: management.
pub const TYPE_MGMT: u8 = 0;
/// Frame type: control.
pub const TYPE_CTRL: u8 = 1;
/// Frame type: data.
pub const TYPE_DATA: u8 = 2;

/// Management subtype: probe request.
pub const ST_PROBE_REQ: u8 = 4;
/// Management subtype: probe response.
pub const ST_PROBE_RESP: u8 = 5;
/// Management subtype: beacon.
pub const ST_BEACON: u8 = 8;
/// Data subtype: null function (no data).
pub const ST_NULLFUNC: u8 = 4;

/// Element id: SSID.
pub const EID_SSID: u8 = 0;
/// Element id: supported rates.
pub const EID_RATES: u8 = 1;
/// Element id: DS parameter set (current channel).
pub const EID_DS_PARAMS: u8 = 3;
/// Element id: TIM.
pub const EID_TIM: u8 = 5;

/// The broadcast address.
pub const BROADCAST: [u8; 6] = [0xFF; 6];

/// A MAC address.
pub type Mac = [u8; 6];

/// Formats a MAC address.
pub fn fmt_mac(m: &Mac) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

/// Parses `aa:bb:cc:dd:ee:ff`.
pub fn parse_mac(s: &str) -> Option<Mac> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    let mut m = [0u8; 6];
    for (o, p) in m.iter_mut().zip(parts) {
        *o = u8::from_str_radix(p, 16).ok()?;
    }
    Some(m)
}

/// Whether an address is a group (multicast or broadcast) address.
pub fn is_group(a: &Mac) -> bool {
    a[0] & 1 != 0
}

fn mac_at(b: &[u8], at: usize) -> Option<Mac> {
    b.get(at..at + 6).and_then(|s| s.try_into().ok())
}

/// A read-only view of an 802.11 frame (at least the 10 bytes up to addr1).
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// The whole frame (no FCS).
    pub data: &'a [u8],
}

impl<'a> Frame<'a> {
    /// A view, if the frame holds at least frame control, duration and addr1.
    pub fn new(data: &'a [u8]) -> Option<Self> {
        if data.len() < 10 {
            None
        } else {
            Some(Self { data })
        }
    }

    fn fc0(&self) -> u8 {
        self.data.first().copied().unwrap_or(0)
    }

    fn fc1(&self) -> u8 {
        self.data.get(1).copied().unwrap_or(0)
    }

    /// Frame type.
    pub fn ftype(&self) -> u8 {
        (self.fc0() >> 2) & 3
    }

    /// Frame subtype.
    pub fn subtype(&self) -> u8 {
        self.fc0() >> 4
    }

    /// Whether this is a management frame of subtype `st`.
    pub fn is_mgmt(&self, st: u8) -> bool {
        self.ftype() == TYPE_MGMT && self.subtype() == st
    }

    /// Beacon.
    pub fn is_beacon(&self) -> bool {
        self.is_mgmt(ST_BEACON)
    }

    /// Probe response.
    pub fn is_probe_resp(&self) -> bool {
        self.is_mgmt(ST_PROBE_RESP)
    }

    /// Probe request.
    pub fn is_probe_req(&self) -> bool {
        self.is_mgmt(ST_PROBE_REQ)
    }

    /// Data frame (any subtype).
    pub fn is_data(&self) -> bool {
        self.ftype() == TYPE_DATA
    }

    /// Null-data frame (QoS or not): no payload, sent for its power-management bit.
    pub fn is_null_data(&self) -> bool {
        self.ftype() == TYPE_DATA && matches!(self.subtype(), ST_NULLFUNC | ST_QOS_NULLFUNC)
    }

    /// QoS data frame.
    pub fn is_qos_data(&self) -> bool {
        self.is_data() && self.fc0() & 0x80 != 0
    }

    /// Protected bit.
    pub fn protected(&self) -> bool {
        self.fc1() & 0x40 != 0
    }

    /// ToDS bit.
    pub fn to_ds(&self) -> bool {
        self.fc1() & 1 != 0
    }

    /// FromDS bit.
    pub fn from_ds(&self) -> bool {
        self.fc1() & 2 != 0
    }

    /// Receiver address.
    pub fn addr1(&self) -> Mac {
        mac_at(self.data, 4).unwrap_or([0; 6])
    }

    /// Transmitter address (absent in some control frames).
    pub fn addr2(&self) -> Option<Mac> {
        mac_at(self.data, 10)
    }

    /// Third address.
    pub fn addr3(&self) -> Option<Mac> {
        mac_at(self.data, 16)
    }

    /// The BSSID for management and data frames.
    pub fn bssid(&self) -> Option<Mac> {
        match self.ftype() {
            TYPE_MGMT => self.addr3(),
            TYPE_DATA => match (self.to_ds(), self.from_ds()) {
                (false, false) => self.addr3(),
                (true, false) => Some(self.addr1()),
                (false, true) => self.addr2(),
                (true, true) => None,
            },
            _ => None,
        }
    }

    /// MAC header length (24, 30 with addr4, +2 with QoS, +4 with HT control); control
    /// frames report their fixed sizes.
    pub fn hdr_len(&self) -> usize {
        match self.ftype() {
            TYPE_CTRL => {
                if matches!(self.subtype(), 0xC | 0xD) {
                    10
                } else {
                    16
                }
            }
            TYPE_MGMT => {
                if self.fc1() & 0x80 != 0 {
                    28
                } else {
                    24
                }
            }
            _ => {
                let mut l = 24;
                if self.to_ds() && self.from_ds() {
                    l += 6;
                }
                if self.is_qos_data() {
                    l += 2;
                    if self.fc1() & 0x80 != 0 {
                        l += 4;
                    }
                }
                l
            }
        }
    }

    /// The element list of beacons, probe responses and probe requests.
    pub fn ies(&self) -> &'a [u8] {
        let off = match (self.ftype(), self.subtype()) {
            (TYPE_MGMT, ST_BEACON) | (TYPE_MGMT, ST_PROBE_RESP) => 24 + 12,
            (TYPE_MGMT, ST_PROBE_REQ) => 24,
            _ => return &[],
        };
        self.data.get(off..).unwrap_or(&[])
    }

    /// Beacon interval (beacons and probe responses).
    pub fn beacon_interval(&self) -> Option<u16> {
        if self.is_beacon() || self.is_probe_resp() {
            let b = self.data.get(32..34)?;
            Some(u16::from_le_bytes([b[0], b[1]]))
        } else {
            None
        }
    }
}

/// Iterates over (id, body) of an element list; stops at a truncated element.
pub fn elements(ies: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut rest = ies;
    std::iter::from_fn(move || {
        let id = *rest.first()?;
        let len = usize::from(*rest.get(1)?);
        let body = rest.get(2..2 + len)?;
        rest = rest.get(2 + len..).unwrap_or(&[]);
        Some((id, body))
    })
}

/// The SSID element body of an element list.
pub fn find_ie(ies: &[u8], id: u8) -> Option<&[u8]> {
    elements(ies).find(|(i, _)| *i == id).map(|(_, b)| b)
}

/// Channel number of a centre frequency in MHz.
pub fn freq_to_channel(freq: u32) -> Option<u16> {
    match freq {
        2484 => Some(14),
        2412..=2472 => Some(((freq - 2407) / 5) as u16),
        5000..=5900 => Some(((freq - 5000) / 5) as u16),
        4910..=4980 => Some(((freq - 4000) / 5) as u16),
        _ => None,
    }
}

/// Centre frequency in MHz of a channel number on a band (0 = 2.4 GHz, 1 = 5 GHz).
pub fn channel_to_freq(band: u8, ch: u16) -> u32 {
    let ch = u32::from(ch);
    if band == 0 {
        if ch == 14 {
            2484
        } else {
            2407 + 5 * ch
        }
    } else {
        5000 + 5 * ch
    }
}

/// Band of a frequency (0 = 2.4 GHz, 1 = 5 GHz).
pub fn band_of(freq: u32) -> u8 {
    if freq < 3000 {
        0
    } else {
        1
    }
}

/// The mac80211 legacy rate index on `band` of a WSM rate index (HT rates map to the
/// highest legacy rate, which is all hwsim's RX path can express).
pub fn wsm_rate_to_legacy_idx(band: u8, wsm: u8) -> u32 {
    if band == 0 {
        match wsm {
            0..=3 => u32::from(wsm),
            6..=13 => u32::from(wsm) - 2,
            _ => 11,
        }
    } else {
        match wsm {
            6..=13 => u32::from(wsm) - 6,
            _ => 7,
        }
    }
}

/// The WSM rate index of the OFDM rate with the modulation of HT MCS `mcs` (0–7: BPSK 1/2 is
/// 6 Mbit/s, … 64-QAM 5/6 is 54 Mbit/s).
pub fn mcs_to_legacy_wsm_rate(mcs: i8) -> u8 {
    const OFDM: [u8; 8] = [6, 8, 9, 10, 11, 12, 13, 13];
    OFDM[mcs.clamp(0, 7) as usize]
}

/// The WSM rate index of a mac80211 legacy rate index on `band` (or of an HT MCS).
pub fn legacy_idx_to_wsm_rate(band: u8, idx: i32, mcs: bool) -> u8 {
    if mcs {
        return 14 + (idx.clamp(0, 7) as u8);
    }
    let idx = idx.max(0) as u8;
    if band == 0 {
        match idx {
            0..=3 => idx,
            4..=11 => idx + 2,
            _ => 13,
        }
    } else {
        (idx.min(7)) + 6
    }
}

/// Writes the sequence-control field (sequence number `seq`, fragment 0).
pub fn set_seq(frame: &mut [u8], seq: u16) {
    if let Some(sc) = frame.get_mut(22..24) {
        sc.copy_from_slice(&((seq & 0x0FFF) << 4).to_le_bytes());
    }
}

/// A probe request from `sa` to `da` (broadcast or a BSSID) for `ssid` (empty: wildcard).
pub fn probe_request(sa: &Mac, da: &Mac, ssid: &[u8]) -> Vec<u8> {
    let mut f = vec![ST_PROBE_REQ << 4, 0, 0, 0];
    f.extend_from_slice(da);
    f.extend_from_slice(sa);
    f.extend_from_slice(da);
    f.extend_from_slice(&[0, 0]);
    f.push(EID_SSID);
    f.push(ssid.len() as u8);
    f.extend_from_slice(ssid);
    // 1, 2, 5.5, 11 (basic), 6, 9, 12, 18 Mb/s.
    f.extend_from_slice(&[EID_RATES, 8, 0x82, 0x84, 0x8B, 0x96, 0x0C, 0x12, 0x18, 0x24]);
    f
}

/// Replaces (or inserts) the SSID element of a probe-request template.
pub fn probe_request_with_ssid(template: &[u8], ssid: &[u8], da: Option<&Mac>) -> Vec<u8> {
    let mut f = template.get(..24).unwrap_or(template).to_vec();
    if let Some(da) = da {
        if let Some(a1) = f.get_mut(4..10) {
            a1.copy_from_slice(da);
        }
        if let Some(a3) = f.get_mut(16..22) {
            a3.copy_from_slice(da);
        }
    }
    f.push(EID_SSID);
    f.push(ssid.len() as u8);
    f.extend_from_slice(ssid);
    for (id, body) in elements(template.get(24..).unwrap_or(&[])) {
        if id != EID_SSID {
            f.push(id);
            f.push(body.len() as u8);
            f.extend_from_slice(body);
        }
    }
    f
}

/// A null-data frame from `sa` to the AP `bssid` with the power-management bit `pm`.
pub fn null_data(sa: &Mac, bssid: &Mac, pm: bool) -> Vec<u8> {
    let mut f = vec![
        (ST_NULLFUNC << 4) | (TYPE_DATA << 2),
        0x01 | if pm { 0x10 } else { 0 },
    ];
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(bssid);
    f.extend_from_slice(sa);
    f.extend_from_slice(bssid);
    f.extend_from_slice(&[0, 0]);
    f
}

/// Sets or clears the power-management bit of a frame.
pub fn set_pm_bit(frame: &mut [u8], pm: bool) {
    if let Some(b) = frame.get_mut(1) {
        if pm {
            *b |= 0x10;
        } else {
            *b &= !0x10;
        }
    }
}

/// Data subtype of a QoS null-data frame.
pub const ST_QOS_NULLFUNC: u8 = 12;

/// Control subtype of a PS-Poll.
pub const ST_PS_POLL: u8 = 10;

/// A PS-Poll from `ta` to the AP `bssid`: its Duration/ID field carries the association id
/// with the two top bits set, and the power-management bit is set (IEEE 802.11 §9.3.1.5).
pub fn ps_poll(aid: u16, bssid: &Mac, ta: &Mac) -> Vec<u8> {
    let mut f = vec![(ST_PS_POLL << 4) | (TYPE_CTRL << 2), 0x10];
    f.extend_from_slice(&(aid | 0xC000).to_le_bytes());
    f.extend_from_slice(bssid);
    f.extend_from_slice(ta);
    f
}

/// Whether a frame's More Data bit is set: the AP holds more frames for a dozing station.
pub fn more_data(frame: &[u8]) -> bool {
    frame.get(1).is_some_and(|b| b & 0x20 != 0)
}

/// Whether the TIM element of a beacon's `ies` has the bit of association id `aid` set: the
/// AP buffers unicast frames for that station (IEEE 802.11 §9.4.2.5). A missing or short TIM
/// has no bit set.
pub fn tim_has_aid(ies: &[u8], aid: u16) -> bool {
    let Some(tim) = find_ie(ies, EID_TIM) else {
        return false;
    };
    // DTIM count, DTIM period, bitmap control, then the partial virtual bitmap, which starts
    // at octet N1 = bitmap control with bit 0 cleared.
    let (Some(&control), Some(bitmap)) = (tim.get(2), tim.get(3..)) else {
        return false;
    };
    let n1 = usize::from(control & 0xFE);
    let octet = usize::from(aid / 8);
    octet
        .checked_sub(n1)
        .and_then(|i| bitmap.get(i))
        .is_some_and(|b| b & (1 << (aid % 8)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_and_rates() {
        assert_eq!(freq_to_channel(2412), Some(1));
        assert_eq!(freq_to_channel(2484), Some(14));
        assert_eq!(freq_to_channel(5180), Some(36));
        assert_eq!(channel_to_freq(0, 6), 2437);
        assert_eq!(channel_to_freq(1, 36), 5180);
        for wsm in [0u8, 3, 6, 13] {
            let idx = wsm_rate_to_legacy_idx(0, wsm);
            assert_eq!(legacy_idx_to_wsm_rate(0, idx as i32, false), wsm);
        }
        assert_eq!(wsm_rate_to_legacy_idx(1, 6), 0);
        assert_eq!(legacy_idx_to_wsm_rate(0, 3, true), 17);
    }

    #[test]
    fn tim_bits() {
        // AID 1 in a bitmap starting at octet 0; AID 17 in one starting at octet 2.
        let ies = [EID_TIM, 4, 0, 1, 0, 0b0000_0010];
        assert!(tim_has_aid(&ies, 1));
        assert!(!tim_has_aid(&ies, 2));
        assert!(!tim_has_aid(&ies, 9));
        let ies = [EID_TIM, 4, 0, 1, 2, 0b0000_0010];
        assert!(tim_has_aid(&ies, 17));
        assert!(!tim_has_aid(&ies, 1));
        assert!(!tim_has_aid(&[EID_TIM, 2, 0, 1], 1));
        assert!(!tim_has_aid(&[], 1));
        let p = ps_poll(5, &[1; 6], &[2; 6]);
        assert_eq!(p.len(), 16);
        assert_eq!(&p[..4], &[0xA4, 0x10, 5, 0xC0]);
    }

    #[test]
    fn probe_request_ssid_rewrite() {
        let t = probe_request(&[2, 0, 0, 0, 0, 1], &BROADCAST, b"");
        let f = probe_request_with_ssid(&t, b"test", None);
        let fr = Frame::new(&f).unwrap();
        assert!(fr.is_probe_req());
        assert_eq!(find_ie(fr.ies(), EID_SSID), Some(&b"test"[..]));
        assert!(find_ie(fr.ies(), EID_RATES).is_some());
        assert_eq!(fr.hdr_len(), 24);
    }
}
