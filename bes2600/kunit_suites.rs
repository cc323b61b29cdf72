// SPDX-License-Identifier: GPL-2.0

//! KUnit suites of the driver. With `CONFIG_KUNIT=y` they run when the module is loaded and
//! report in KTAP through the kernel log; otherwise they are compiled out.

use kernel::prelude::*;

#[kunit_tests(bes2600_sdio)]
mod sdio_ids {
    use crate::kernel_ext::sdio::DeviceId;
    use crate::protocol::sdio_ids::{
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

/// The protocol core's self-tests (`protocol::selftest`), one KUnit case each: the same checks
/// the host runs, here compiled by the kernel's rustc for the kernel's target.
#[kunit_tests(bes2600_protocol)]
mod protocol_selftest {
    use crate::protocol::selftest;
    use kernel::prelude::*;

    /// Fails the case with the self-test's reason.
    fn check(result: selftest::CaseResult) {
        if let Err(why) = result {
            pr_err!("protocol self-test failed: {}\n", why);
        }
        assert!(result.is_ok());
    }

    /// Every self-test of the protocol core has a KUnit case below.
    #[test]
    fn every_case_is_run() {
        assert_eq!(selftest::CASES.len(), 18);
    }

    #[test]
    fn wsm_header() {
        check(selftest::wsm_header());
    }

    #[test]
    fn wsm_sequence_channels() {
        check(selftest::wsm_sequence_channels());
    }

    #[test]
    fn startup_and_configuration() {
        check(selftest::startup_and_configuration());
    }

    #[test]
    fn mib_messages() {
        check(selftest::mib_messages());
    }

    #[test]
    fn join_family() {
        check(selftest::join_family());
    }

    #[test]
    fn keys() {
        check(selftest::keys());
    }

    #[test]
    fn scan() {
        check(selftest::scan());
    }

    #[test]
    fn tx_and_confirms() {
        check(selftest::tx_and_confirms());
    }

    #[test]
    fn rx_indication() {
        check(selftest::rx_indication());
    }

    #[test]
    fn indications() {
        check(selftest::indications());
    }

    #[test]
    fn queue_params() {
        check(selftest::queue_params());
    }

    #[test]
    fn mcu_channel() {
        check(selftest::mcu_channel());
    }

    #[test]
    fn sdio_registers() {
        check(selftest::sdio_registers());
    }

    #[test]
    fn rx_batch() {
        check(selftest::rx_batch());
    }

    #[test]
    fn tx_batch() {
        check(selftest::tx_batch());
    }

    #[test]
    fn boot_frames() {
        check(selftest::boot_frames());
    }

    #[test]
    fn crc32_check() {
        check(selftest::crc32_check());
    }

    #[test]
    fn flow_control() {
        check(selftest::flow_control());
    }
}
