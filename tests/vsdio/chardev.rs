// SPDX-License-Identifier: GPL-2.0

//! `/dev/bes2600-vsdio`: the chip model's end (ABI.md). One opener at a time; `read()` returns
//! one whole message, blocking unless `O_NONBLOCK`; `write()` takes one whole message; `poll()`
//! reports readable when a message is queued.

use kernel::{
    fs::{
        file::flags::O_NONBLOCK,
        File, //
    },
    prelude::*,
    sync::{
        poll::PollTable,
        Arc,
        ArcBorrow, //
    },
    uaccess::{
        UserSliceReader,
        UserSliceWriter, //
    },
};

use crate::abi::{
    self,
    Header,
    HEADER_LEN, //
};
use crate::host::Instance;
use crate::kernel_ext::miscdev::{
    poll_mask,
    FileOps, //
};

/// The file operations of the model's device.
pub(crate) struct ModelDevice;

#[vtable]
impl FileOps for ModelDevice {
    type Shared = Arc<Instance>;
    type Open = Arc<Instance>;

    fn open(shared: &Arc<Instance>, _file: &File) -> Result<Arc<Instance>> {
        shared.shared.card.lock().open_model()?;
        Ok(shared.clone())
    }

    fn release(open: Arc<Instance>, _file: &File) {
        open.close_model();
    }

    fn read(open: ArcBorrow<'_, Instance>, file: &File, mut buf: UserSliceWriter) -> Result<usize> {
        let nonblock = file.flags() & O_NONBLOCK != 0;
        let shared = &open.shared;
        let msg = {
            let mut card = shared.card.lock();
            loop {
                match card.next_message_len() {
                    Some(len) if len > buf.len() => return Err(EINVAL),
                    Some(_) => break card.pop_message(),
                    None if nonblock => return Err(EAGAIN),
                    None => {
                        if shared.to_model.wait_interruptible(&mut card) {
                            return Err(ERESTARTSYS);
                        }
                    }
                }
            }
        };
        let Some(msg) = msg else {
            return Err(EAGAIN);
        };
        buf.write_slice(&msg.header().encode())?;
        buf.write_slice(&msg.payload)?;
        Ok(msg.wire_len())
    }

    fn write(
        open: ArcBorrow<'_, Instance>,
        _file: &File,
        mut buf: UserSliceReader,
    ) -> Result<usize> {
        let total = buf.len();
        if !(HEADER_LEN..=abi::MAX_MESSAGE).contains(&total) {
            return Err(EINVAL);
        }
        let mut raw = [0u8; HEADER_LEN];
        buf.read_slice(&mut raw)?;
        let header = Header::decode(&raw);
        let req = abi::parse(&header, total)?;
        let mut payload = KVVec::from_elem(0u8, total - HEADER_LEN, GFP_KERNEL)?;
        buf.read_slice(&mut payload)?;
        open.apply(req, payload)?;
        Ok(total)
    }

    fn poll(open: ArcBorrow<'_, Instance>, file: &File, table: PollTable<'_>) -> u32 {
        let shared = &open.shared;
        table.register_wait(file, &shared.to_model);
        let mut mask = poll_mask::OUT;
        if shared.card.lock().next_message_len().is_some() {
            mask |= poll_mask::IN;
        }
        mask
    }
}
