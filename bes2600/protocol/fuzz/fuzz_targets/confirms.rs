// SPDX-License-Identifier: GPL-2.0

//! Every confirm decoder. Byte 0 selects the decoder (low 4 bits) and whether the rest is
//! a raw message (bit 7) or a payload to put behind a valid header with the decoder's id.

#![no_main]

use bes2600_protocol::boot_frame::BootReply;
use bes2600_protocol::mib::ReadMibConfirm;
use bes2600_protocol::msg::config::ConfigurationConfirm;
use bes2600_protocol::msg::join::{
    JoinConfirm,
    SwitchChannelIndication, //
};
use bes2600_protocol::msg::mcu::McuCommandConfirm;
use bes2600_protocol::msg::pm::SetPmIndication;
use bes2600_protocol::msg::scan::ScanComplete;
use bes2600_protocol::msg::tx::{
    MultiTxConfirm,
    TxConfirm, //
};
use bes2600_protocol::msg::{
    decode, decode_device_message, Message, StartScanConfirm, WriteMibConfirm,
};
use bes2600_protocol::wsm_header::{
    Header,
    MsgId, //
};
use libfuzzer_sys::fuzz_target;

fn framed<'b>(raw: bool, id: u16, rest: &'b [u8], buf: &'b mut [u8; 2048]) -> Option<&'b [u8]> {
    if raw {
        return Some(rest);
    }
    let len = (rest.len() + 4).min(buf.len());
    Header {
        len: len as u16,
        id: MsgId::new(id, 0),
    }
    .write(buf)
    .ok()?;
    buf[4..len].copy_from_slice(&rest[..len - 4]);
    Some(&buf[..len])
}

fn run<'a, M: Message<'a>>(msg: &'a [u8]) -> Option<M> {
    decode::<M>(msg).ok().map(|(_, m)| m)
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let raw = sel & 0x80 != 0;
    let mut buf = [0u8; 2048];
    let ids = [
        0x0404u16, 0x041E, 0x0405, 0x0409, 0x040B, 0x0406, 0x0407, 0x0C27, 0x0806, 0x0809, 0x080A,
    ];
    let which = usize::from(sel & 0x0F);
    if which == 15 {
        // Boot ROM reply.
        if let Ok(r) = BootReply::parse(rest) {
            let _ = r.check(rest.get(8).copied().unwrap_or(0));
        }
        return;
    }
    let id = ids[which % ids.len()];
    let Some(msg) = framed(raw, id, rest, &mut buf) else {
        return;
    };
    let _ = decode_device_message(msg);
    match which % ids.len() {
        0 => {
            let _ = run::<TxConfirm>(msg).map(|c| (c.requeue(), c.ack_type(), c.packet_id.if_id()));
        }
        1 => {
            if let Some(m) = run::<MultiTxConfirm<'_>>(msg) {
                assert!(m.count() >= 1);
                assert_eq!(m.iter().count(), m.count());
            }
        }
        2 => {
            if let Some(c) = run::<ReadMibConfirm<'_>>(msg) {
                let _ = bes2600_protocol::mib::AnyMib::decode(c.mib_id, c.data);
            }
        }
        3 => {
            let _ = run::<ConfigurationConfirm>(msg);
        }
        4 => {
            let _ = run::<JoinConfirm>(msg);
        }
        5 => {
            let _ = run::<WriteMibConfirm>(msg);
        }
        6 => {
            let _ = run::<StartScanConfirm>(msg);
        }
        7 => {
            let _ = run::<McuCommandConfirm<'_>>(msg).map(|c| c.status());
        }
        8 => {
            let _ = run::<ScanComplete>(msg);
        }
        9 => {
            let _ = run::<SetPmIndication>(msg);
        }
        _ => {
            let _ = run::<SwitchChannelIndication>(msg);
        }
    }
});
