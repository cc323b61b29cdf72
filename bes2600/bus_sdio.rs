// SPDX-License-Identifier: GPL-2.0

//! SDIO bus glue: binds to the BES2600's WLAN function and owns it while bound.

use kernel::{
    device::Core,
    prelude::*, //
};

use crate::kernel_ext::sdio;
use crate::protocol::sdio_ids::{
    DEVICE_BES2600,
    VENDOR_BESTECHNIC,
    WLAN_FUNCTION, //
};

crate::sdio_device_table!(
    SDIO_TABLE,
    <Bes2600Sdio as sdio::Driver>::IdInfo,
    [(sdio::DeviceId::new(VENDOR_BESTECHNIC, DEVICE_BES2600), ())]
);

/// The SDIO driver of the BES2600.
pub(crate) struct Bes2600Sdio;

/// What the driver keeps for a bound WLAN function.
///
/// For now only proof that probe ran: firmware download, the BH thread and the mac80211
/// registration are added by the issues that build them.
pub(crate) struct BoundFunction {
    /// Function number, for the log line at unbind.
    number: u32,
}

impl sdio::Driver for Bes2600Sdio {
    type IdInfo = ();
    type Data<'bound> = BoundFunction;

    const ID_TABLE: sdio::IdTable<Self::IdInfo> = &SDIO_TABLE;

    fn probe<'bound>(
        func: &'bound sdio::Function<Core<'_>>,
        _id_info: &'bound Self::IdInfo,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        let number = func.number();
        // The SDIO core probes each function separately; only the WLAN function is ours.
        let result = if number == u32::from(WLAN_FUNCTION) {
            claim_function(func)
        } else {
            // Only function 1 carries WLAN; leave any other to other drivers.
            Err(ENODEV)
        };
        result.map(|()| BoundFunction { number })
    }

    fn unbind<'bound>(func: &'bound sdio::Function<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        let host = func.claim_host();
        if let Err(err) = host.disable_function() {
            dev_warn!(
                func.as_ref(),
                "disabling function {} failed: {:?}\n",
                this.number,
                err
            );
        }
        dev_info!(func.as_ref(), "unbound\n");
    }
}

/// Enables the WLAN function, leaving the block size at the SDIO core's default.
///
/// The chip's framing assumes 512-byte blocks; the core default is min(512, card, host).
fn claim_function(func: &sdio::Function<Core<'_>>) -> Result {
    let host = func.claim_host();
    host.enable_function().inspect_err(|err| {
        dev_err!(
            func.as_ref(),
            "enabling function {} failed: {:?}\n",
            func.number(),
            err
        );
    })?;
    dev_info!(
        func.as_ref(),
        "BES2600 {:04x}:{:04x} function {} claimed, block size {} (max {})\n",
        func.vendor(),
        func.device_id(),
        func.number(),
        host.block_size(),
        func.max_block_size()
    );
    Ok(())
}
