// SPDX-License-Identifier: GPL-2.0

//! What the emulated chip parses: TX batches (address field from bytes 0–1), host
//! messages in each slot, MIB writes, boot-ROM requests.

#![no_main]

use bes2600_protocol::boot_frame::BootRequest;
use bes2600_protocol::mib::AnyMib;
use bes2600_protocol::msg::{
    decode_host_message,
    HostMessage, //
};
use bes2600_protocol::sdio_framing::TxBatchView;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let addr = u16::from_le_bytes([data[0], data[1]]);
    let body = &data[2..];
    let _ = BootRequest::decode(body);
    if let Ok((_, HostMessage::WriteMib(w))) = decode_host_message(body) {
        let _ = AnyMib::decode(w.mib_id, w.data);
    }
    if let Ok(view) = TxBatchView::parse(body, addr) {
        for slot in view.iter() {
            if let Ok((_, HostMessage::WriteMib(w))) = decode_host_message(slot.message) {
                let _ = AnyMib::decode(w.mib_id, w.data);
            }
        }
    }
});
