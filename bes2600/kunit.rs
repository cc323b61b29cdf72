// SPDX-License-Identifier: GPL-2.0

//! KUnit suites of the driver. With `CONFIG_KUNIT=y` they run when the module is loaded and
//! report in KTAP through the kernel log; otherwise they are compiled out.

use kernel::prelude::*;

#[kunit_tests(bes2600_sdio)]
mod sdio_ids {
    use crate::kernel_ext::sdio::DeviceId;
    use crate::sdio::{
        DEVICE_BES2600,
        VENDOR_BESTECHNIC, //
    };

    /// The id table entry is the chip's WLAN function (chip-bus-firmware-bh.md §1.1).
    #[test]
    fn id_table_entry_is_the_wlan_function() {
        let id = DeviceId::new(VENDOR_BESTECHNIC, DEVICE_BES2600);
        assert_eq!(id.vendor(), 0xbe57);
        assert_eq!(id.device(), 0x2002);
    }
}
