// SPDX-License-Identifier: GPL-2.0

//! 0x0804 RX indication decoder. Byte 0 bit 0 selects the raw input as the whole message;
//! otherwise a valid header is put in front of the remaining bytes so the payload decoder
//! is reached every time.

#![no_main]

use bes2600_protocol::msg::rx::{
    RxIndication,
    FRAME_OFFSET, //
};
use bes2600_protocol::msg::{
    decode,
    encode, //
};
use bes2600_protocol::wsm_header::{
    id,
    Header,
    MsgId, //
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut buf = [0u8; 4096];
    let msg: &[u8] = if mode & 1 == 1 {
        rest
    } else {
        let len = (rest.len() + 4).min(buf.len());
        let h = Header {
            len: len as u16,
            id: MsgId::new(id::RX, mode >> 4),
        };
        if h.write(&mut buf).is_err() {
            return;
        }
        buf[4..len].copy_from_slice(&rest[..len - 4]);
        &buf[..len]
    };
    if let Ok((h, r)) = decode::<RxIndication<'_>>(msg) {
        assert_eq!(r.frame.len() + FRAME_OFFSET, usize::from(h.len));
        let _ = (r.flags.encryption(), r.flags.link_id(), r.flags.key_index());
        // Re-encoding gives back the same bytes.
        let mut out = [0u8; 4096];
        let n = encode(&r, h.id.if_id(), &mut out).expect("re-encode");
        assert_eq!(&out[4..n], &msg[4..usize::from(h.len)]);
    }
});
