// SPDX-License-Identifier: GPL-2.0

//! RX batch parser, then everything the bottom half does with each message: dispatch
//! decode and flow-control accounting. Input: byte 0 = announced length in 512-byte units
//! (low 7 bits, as register 0x001), byte 1 = flow-control capacity, rest = the buffer.

#![no_main]

use bes2600_protocol::flow::FlowControl;
use bes2600_protocol::msg::config::StartupIndication;
use bes2600_protocol::msg::{
    decode_device_message,
    DeviceMessage, //
};
use bes2600_protocol::sdio_framing::{
    LengthReg,
    RxBatch, //
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&ctrl, rest)) = data.split_first() else {
        return;
    };
    let Some((&cap, buf)) = rest.split_first() else {
        return;
    };
    let reg = LengthReg::from_byte(ctrl);
    // Announce either the register's length or, when it is 0, the whole buffer, so short
    // inputs still exercise the message walk.
    let announced = if reg.is_empty() {
        buf.len() & !3
    } else {
        reg.len()
    };
    let Ok(batch) = RxBatch::parse(buf, announced) else {
        return;
    };
    let mut flow = FlowControl::new();
    let mut label = [0u8; 128];
    label[0] = b'f';
    let _ = flow.start(&StartupIndication {
        num_inp_ch_bufs: u16::from(cap),
        size_inp_ch_buf: 1632,
        hardware_id: 0,
        hardware_sub_id: 0,
        status: 0,
        firmware_cap: 0,
        firmware_type: 2,
        firmware_api_ver: 0,
        firmware_build: 0,
        firmware_version: 0,
        label,
    });
    for _ in 0..u16::from(cap) / 2 {
        let _ = flow.admit_data(0);
    }
    for msg in batch.iter() {
        assert!(msg.len() >= 4 && msg.len() <= announced);
        if let Ok((_, DeviceMessage::MultiTxConfirm(mc))) = decode_device_message(msg) {
            assert!(mc.iter().count() == mc.count());
        }
        let before = flow.in_use();
        if flow.on_receive(msg).is_err() {
            assert_eq!(
                flow.in_use(),
                before,
                "a rejected message must not change the state"
            );
        }
        assert!(flow.in_use() <= flow.capacity());
    }
});
