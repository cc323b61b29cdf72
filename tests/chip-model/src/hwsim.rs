// SPDX-License-Identifier: GPL-2.0

//! Generic-netlink messages of the mac80211_hwsim "wmediumd" interface, encoded and
//! decoded without a socket (the socket is [`crate::netlink`]).
//!
//! Numbers from `drivers/net/wireless/virtual/mac80211_hwsim.h` (Linux 7.3): the family
//! is "MAC80211_HWSIM"; a medium registers with `HWSIM_CMD_REGISTER`, then receives every
//! frame a radio transmits as `HWSIM_CMD_FRAME` (transmitter = the radio's
//! `addresses[1]`, the frame, flags, the TX rate table, a cookie and the frequency),
//! delivers frames to radios with `HWSIM_CMD_FRAME` (receiver, frame, RX rate index,
//! signal, frequency) and reports each transmission's outcome with
//! `HWSIM_CMD_TX_INFO_FRAME` (transmitter, flags with `HWSIM_TX_STAT_ACK`, signal, rate
//! table, cookie).

use std::collections::BTreeMap;

/// Netlink message type: error / ack.
pub const NLMSG_ERROR: u16 = 2;
/// Netlink message type: end of a dump.
pub const NLMSG_DONE: u16 = 3;
/// Request flag.
pub const NLM_F_REQUEST: u16 = 1;
/// Ask for an acknowledgement.
pub const NLM_F_ACK: u16 = 4;
/// Dump request.
pub const NLM_F_DUMP: u16 = 0x300;
/// The generic-netlink controller family.
pub const GENL_ID_CTRL: u16 = 0x10;
/// Controller command: get family.
pub const CTRL_CMD_GETFAMILY: u8 = 3;
/// Controller attribute: family id (u16).
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
/// Controller attribute: family name (string).
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// The hwsim family name.
pub const FAMILY_NAME: &str = "MAC80211_HWSIM";

/// hwsim commands.
pub mod cmd {
    /// Register as the medium.
    pub const REGISTER: u8 = 1;
    /// A frame, in both directions.
    pub const FRAME: u8 = 2;
    /// TX status report.
    pub const TX_INFO_FRAME: u8 = 3;
    /// Radio information (dump).
    pub const GET_RADIO: u8 = 6;
}

/// hwsim attributes.
pub mod attr {
    /// Receiving radio address.
    pub const ADDR_RECEIVER: u16 = 1;
    /// Transmitting radio address.
    pub const ADDR_TRANSMITTER: u16 = 2;
    /// The frame.
    pub const FRAME: u16 = 3;
    /// Flags (`HWSIM_TX_*`).
    pub const FLAGS: u16 = 4;
    /// RX rate index.
    pub const RX_RATE: u16 = 5;
    /// Signal in dBm.
    pub const SIGNAL: u16 = 6;
    /// Rate table: 4 × (s8 index, u8 count).
    pub const TX_INFO: u16 = 7;
    /// Cookie (u64).
    pub const COOKIE: u16 = 8;
    /// Radio id (u32).
    pub const RADIO_ID: u16 = 10;
    /// Radio name.
    pub const RADIO_NAME: u16 = 17;
    /// Frequency in MHz (u32).
    pub const FREQ: u16 = 19;
    /// Padding for 64-bit attributes.
    pub const PAD: u16 = 20;
    /// Rate flags: 4 × (s8 index, u16 flags).
    pub const TX_INFO_FLAGS: u16 = 21;
}

/// TX flag: the sender wants a TX status.
pub const TX_CTL_REQ_TX_STATUS: u32 = 1 << 0;
/// TX flag: no ack expected.
pub const TX_CTL_NO_ACK: u32 = 1 << 1;
/// TX flag: acknowledged.
pub const TX_STAT_ACK: u32 = 1 << 2;

/// Rate flag: HT MCS.
pub const RC_MCS: u16 = 1 << 3;

/// Number of entries of the rate table.
pub const TX_MAX_RATES: usize = 4;

/// One netlink message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NlMsg {
    /// Message type (family id, or `NLMSG_*`).
    pub ty: u16,
    /// Flags.
    pub flags: u16,
    /// Sequence number.
    pub seq: u32,
    /// Sender port id.
    pub pid: u32,
    /// Everything after the 16-byte header.
    pub payload: Vec<u8>,
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Builds attributes.
#[derive(Debug, Default)]
pub struct AttrWriter {
    buf: Vec<u8>,
}

impl AttrWriter {
    /// Appends an attribute with raw data.
    pub fn put(&mut self, ty: u16, data: &[u8]) -> &mut Self {
        let len = 4 + data.len();
        self.buf.extend_from_slice(&(len as u16).to_le_bytes());
        self.buf.extend_from_slice(&ty.to_le_bytes());
        self.buf.extend_from_slice(data);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    /// Appends a u32 attribute.
    pub fn u32(&mut self, ty: u16, v: u32) -> &mut Self {
        self.put(ty, &v.to_le_bytes())
    }

    /// Appends a u64 attribute (the kernel's 64-bit attributes need no pad attribute on
    /// x86-64 and arm64: `nla_put_u64_64bit` only pads on architectures that need
    /// alignment; readers accept both).
    pub fn u64(&mut self, ty: u16, v: u64) -> &mut Self {
        self.put(ty, &v.to_le_bytes())
    }

    /// The attribute bytes.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

/// Encodes a generic-netlink message.
pub fn genl_message(
    family: u16,
    flags: u16,
    seq: u32,
    cmd: u8,
    version: u8,
    attrs: &[u8],
) -> Vec<u8> {
    let len = 16 + 4 + attrs.len();
    let mut v = Vec::with_capacity(len);
    v.extend_from_slice(&(len as u32).to_le_bytes());
    v.extend_from_slice(&family.to_le_bytes());
    v.extend_from_slice(&flags.to_le_bytes());
    v.extend_from_slice(&seq.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.push(cmd);
    v.push(version);
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(attrs);
    v
}

/// Splits a receive buffer into netlink messages.
pub fn parse_messages(buf: &[u8]) -> Vec<NlMsg> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + 16 <= buf.len() {
        let h = &buf[off..off + 16];
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if len < 16 || off + len > buf.len() {
            break;
        }
        out.push(NlMsg {
            ty: u16::from_le_bytes([h[4], h[5]]),
            flags: u16::from_le_bytes([h[6], h[7]]),
            seq: u32::from_le_bytes([h[8], h[9], h[10], h[11]]),
            pid: u32::from_le_bytes([h[12], h[13], h[14], h[15]]),
            payload: buf[off + 16..off + len].to_vec(),
        });
        off += align4(len);
    }
    out
}

/// Parses attributes (the first occurrence of each type wins).
pub fn parse_attrs(mut b: &[u8]) -> BTreeMap<u16, Vec<u8>> {
    let mut m = BTreeMap::new();
    while b.len() >= 4 {
        let len = usize::from(u16::from_le_bytes([b[0], b[1]]));
        let ty = u16::from_le_bytes([b[2], b[3]]) & 0x3FFF;
        if len < 4 || len > b.len() {
            break;
        }
        m.entry(ty).or_insert_with(|| b[4..len].to_vec());
        b = b.get(align4(len)..).unwrap_or(&[]);
    }
    m
}

/// A generic-netlink payload: command and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenlMsg {
    /// Command.
    pub cmd: u8,
    /// Attributes.
    pub attrs: BTreeMap<u16, Vec<u8>>,
}

/// Decodes the payload of a generic-netlink message.
pub fn parse_genl(payload: &[u8]) -> Option<GenlMsg> {
    let cmd = *payload.first()?;
    Some(GenlMsg {
        cmd,
        attrs: parse_attrs(payload.get(4..)?),
    })
}

/// The error code of an `NLMSG_ERROR` payload (0 = ack).
pub fn error_code(payload: &[u8]) -> Option<i32> {
    Some(i32::from_le_bytes(payload.get(..4)?.try_into().ok()?))
}

/// A controller request for the id of family `name`.
pub fn get_family(seq: u32, name: &str) -> Vec<u8> {
    let mut n = name.as_bytes().to_vec();
    n.push(0);
    let attrs = AttrWriter::default()
        .put(CTRL_ATTR_FAMILY_NAME, &n)
        .finish();
    genl_message(
        GENL_ID_CTRL,
        NLM_F_REQUEST,
        seq,
        CTRL_CMD_GETFAMILY,
        1,
        &attrs,
    )
}

/// The family id in a controller reply.
pub fn family_id(msg: &NlMsg) -> Option<u16> {
    if msg.ty != GENL_ID_CTRL {
        return None;
    }
    let g = parse_genl(&msg.payload)?;
    let v = g.attrs.get(&CTRL_ATTR_FAMILY_ID)?;
    Some(u16::from_le_bytes(v.get(..2)?.try_into().ok()?))
}

/// `HWSIM_CMD_REGISTER`.
pub fn register(family: u16, seq: u32) -> Vec<u8> {
    genl_message(
        family,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
        cmd::REGISTER,
        1,
        &[],
    )
}

/// `HWSIM_CMD_GET_RADIO` dump.
pub fn get_radios(family: u16, seq: u32) -> Vec<u8> {
    genl_message(
        family,
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
        cmd::GET_RADIO,
        1,
        &[],
    )
}

/// One entry of a rate table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TxRate {
    /// Rate index (−1: unused).
    pub idx: i8,
    /// Tries.
    pub count: u8,
}

/// A frame a radio transmitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RadioFrame {
    /// The radio (its `addresses[1]`).
    pub transmitter: [u8; 6],
    /// The frame.
    pub frame: Vec<u8>,
    /// `HWSIM_TX_*` flags.
    pub flags: u32,
    /// Rate table.
    pub rates: [TxRate; TX_MAX_RATES],
    /// Rate flags (per entry), when sent.
    pub rate_flags: [u16; TX_MAX_RATES],
    /// Cookie to echo.
    pub cookie: u64,
    /// Frequency, when sent.
    pub freq: Option<u32>,
}

fn mac_attr(a: &BTreeMap<u16, Vec<u8>>, ty: u16) -> Option<[u8; 6]> {
    a.get(&ty)?.get(..6)?.try_into().ok()
}

fn u32_attr(a: &BTreeMap<u16, Vec<u8>>, ty: u16) -> Option<u32> {
    Some(u32::from_le_bytes(a.get(&ty)?.get(..4)?.try_into().ok()?))
}

impl RadioFrame {
    /// Decodes an `HWSIM_CMD_FRAME` from the kernel.
    pub fn decode(g: &GenlMsg) -> Option<Self> {
        if g.cmd != cmd::FRAME {
            return None;
        }
        let a = &g.attrs;
        let mut rates = [TxRate { idx: -1, count: 0 }; TX_MAX_RATES];
        if let Some(t) = a.get(&attr::TX_INFO) {
            for (r, c) in rates.iter_mut().zip(t.chunks_exact(2)) {
                *r = TxRate {
                    idx: c[0] as i8,
                    count: c[1],
                };
            }
        }
        let mut rate_flags = [0u16; TX_MAX_RATES];
        if let Some(t) = a.get(&attr::TX_INFO_FLAGS) {
            for (r, c) in rate_flags.iter_mut().zip(t.chunks_exact(3)) {
                *r = u16::from_le_bytes([c[1], c[2]]);
            }
        }
        Some(Self {
            transmitter: mac_attr(a, attr::ADDR_TRANSMITTER)?,
            frame: a.get(&attr::FRAME)?.clone(),
            flags: u32_attr(a, attr::FLAGS).unwrap_or(0),
            rates,
            rate_flags,
            cookie: u64::from_le_bytes(a.get(&attr::COOKIE)?.get(..8)?.try_into().ok()?),
            freq: u32_attr(a, attr::FREQ),
        })
    }

    /// Encodes it the way the kernel does (for tests).
    pub fn encode(&self, family: u16) -> Vec<u8> {
        let mut w = AttrWriter::default();
        w.put(attr::ADDR_TRANSMITTER, &self.transmitter)
            .put(attr::FRAME, &self.frame)
            .u32(attr::FLAGS, self.flags);
        if let Some(f) = self.freq {
            w.u32(attr::FREQ, f);
        }
        let t: Vec<u8> = self
            .rates
            .iter()
            .flat_map(|r| [r.idx as u8, r.count])
            .collect();
        w.put(attr::TX_INFO, &t);
        let tf: Vec<u8> = self
            .rates
            .iter()
            .zip(self.rate_flags)
            .flat_map(|(r, f)| {
                let fb = f.to_le_bytes();
                [r.idx as u8, fb[0], fb[1]]
            })
            .collect();
        w.put(attr::TX_INFO_FLAGS, &tf);
        w.u64(attr::COOKIE, self.cookie);
        genl_message(family, 0, 0, cmd::FRAME, 1, &w.finish())
    }
}

/// `HWSIM_CMD_FRAME` delivering a frame to a radio.
pub fn frame_to_radio(
    family: u16,
    seq: u32,
    receiver: &[u8; 6],
    frame: &[u8],
    rate_idx: u32,
    signal: i32,
    freq: u32,
) -> Vec<u8> {
    let attrs = AttrWriter::default()
        .put(attr::ADDR_RECEIVER, receiver)
        .put(attr::FRAME, frame)
        .u32(attr::RX_RATE, rate_idx)
        .u32(attr::SIGNAL, signal as u32)
        .u32(attr::FREQ, freq)
        .finish();
    genl_message(family, NLM_F_REQUEST, seq, cmd::FRAME, 1, &attrs)
}

/// `HWSIM_CMD_TX_INFO_FRAME` reporting a transmission's outcome.
pub fn tx_info(
    family: u16,
    seq: u32,
    transmitter: &[u8; 6],
    flags: u32,
    signal: i32,
    rates: &[TxRate; TX_MAX_RATES],
    cookie: u64,
) -> Vec<u8> {
    let t: Vec<u8> = rates.iter().flat_map(|r| [r.idx as u8, r.count]).collect();
    let attrs = AttrWriter::default()
        .put(attr::ADDR_TRANSMITTER, transmitter)
        .u32(attr::FLAGS, flags)
        .u32(attr::SIGNAL, signal as u32)
        .put(attr::TX_INFO, &t)
        .u64(attr::COOKIE, cookie)
        .finish();
    genl_message(family, NLM_F_REQUEST, seq, cmd::TX_INFO_FRAME, 1, &attrs)
}

/// The radio id of a `HWSIM_CMD_GET_RADIO` reply.
pub fn radio_id(g: &GenlMsg) -> Option<u32> {
    if g.cmd != cmd::GET_RADIO {
        return None;
    }
    u32_attr(&g.attrs, attr::RADIO_ID)
}

/// The `addresses[1]` hwsim gives radio `id` when it was created without a permanent
/// address (`mac80211_hwsim_new_radio()`: 02:00:00:hi:lo:00 with 0x40 set in byte 0).
pub fn default_radio_addr(id: u32) -> [u8; 6] {
    [0x42, 0, 0, (id >> 8) as u8, id as u8, 0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_message_layout() {
        let m = frame_to_radio(
            0x1F,
            7,
            &[0x42, 0, 0, 0, 1, 0],
            &[0x80, 0, 1, 2, 3],
            3,
            -40,
            2437,
        );
        // nlmsghdr
        assert_eq!(
            u32::from_le_bytes(m[0..4].try_into().unwrap()) as usize,
            m.len()
        );
        assert_eq!(&m[4..6], &0x1Fu16.to_le_bytes());
        assert_eq!(&m[6..8], &NLM_F_REQUEST.to_le_bytes());
        assert_eq!(&m[8..12], &7u32.to_le_bytes());
        // genlmsghdr
        assert_eq!(&m[16..20], &[cmd::FRAME, 1, 0, 0]);
        // first attribute: receiver, 4 + 6 bytes padded to 12
        assert_eq!(&m[20..24], &[10, 0, 1, 0]);
        assert_eq!(&m[24..30], &[0x42, 0, 0, 0, 1, 0]);
        assert_eq!(&m[30..32], &[0, 0]);
        // second: the 5-byte frame, padded to 12
        assert_eq!(&m[32..36], &[9, 0, 3, 0]);
        let msgs = parse_messages(&m);
        assert_eq!(msgs.len(), 1);
        let g = parse_genl(&msgs[0].payload).unwrap();
        assert_eq!(g.attrs[&attr::SIGNAL], (-40i32).to_le_bytes());
        assert_eq!(g.attrs[&attr::FREQ], 2437u32.to_le_bytes());
        assert_eq!(g.attrs[&attr::RX_RATE], 3u32.to_le_bytes());
    }

    #[test]
    fn radio_frame_round_trip() {
        let f = RadioFrame {
            transmitter: [0x42, 0, 0, 0, 0, 0],
            frame: vec![
                0x80, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 0, 0,
            ],
            flags: TX_CTL_REQ_TX_STATUS,
            rates: [
                TxRate { idx: 0, count: 1 },
                TxRate { idx: -1, count: 0 },
                TxRate { idx: -1, count: 0 },
                TxRate { idx: -1, count: 0 },
            ],
            rate_flags: [0; 4],
            cookie: 0x1122_3344_5566_7788,
            freq: Some(2412),
        };
        let bytes = f.encode(0x20);
        let msgs = parse_messages(&bytes);
        assert_eq!(msgs[0].ty, 0x20);
        let g = parse_genl(&msgs[0].payload).unwrap();
        assert_eq!(RadioFrame::decode(&g), Some(f));
    }

    #[test]
    fn tx_info_and_control() {
        let rates = [
            TxRate { idx: 2, count: 1 },
            TxRate { idx: -1, count: 0 },
            TxRate::default(),
            TxRate::default(),
        ];
        let m = tx_info(
            0x20,
            1,
            &[0x42, 0, 0, 0, 0, 0],
            TX_STAT_ACK,
            -30,
            &rates,
            99,
        );
        let g = parse_genl(&parse_messages(&m)[0].payload).unwrap();
        assert_eq!(g.cmd, cmd::TX_INFO_FRAME);
        assert_eq!(g.attrs[&attr::FLAGS], TX_STAT_ACK.to_le_bytes());
        assert_eq!(g.attrs[&attr::TX_INFO], vec![2, 1, 0xFF, 0, 0, 0, 0, 0]);
        assert_eq!(g.attrs[&attr::COOKIE], 99u64.to_le_bytes());
        let q = get_family(5, FAMILY_NAME);
        let g = parse_genl(&parse_messages(&q)[0].payload).unwrap();
        assert_eq!(g.cmd, CTRL_CMD_GETFAMILY);
        assert_eq!(g.attrs[&CTRL_ATTR_FAMILY_NAME], b"MAC80211_HWSIM\0");
        // A controller reply carrying the id.
        let reply_attrs = AttrWriter::default()
            .put(CTRL_ATTR_FAMILY_ID, &0x23u16.to_le_bytes())
            .finish();
        let reply = genl_message(GENL_ID_CTRL, 0, 5, 1, 2, &reply_attrs);
        assert_eq!(family_id(&parse_messages(&reply)[0]), Some(0x23));
        assert_eq!(default_radio_addr(1), [0x42, 0, 0, 0, 1, 0]);
        let radio = genl_message(
            0x23,
            2,
            0,
            cmd::GET_RADIO,
            1,
            &AttrWriter::default().u32(attr::RADIO_ID, 4).finish(),
        );
        assert_eq!(
            radio_id(&parse_genl(&parse_messages(&radio)[0].payload).unwrap()),
            Some(4)
        );
    }
}
