// SPDX-License-Identifier: GPL-2.0

//! Test driver for the emulated BES2600: binds to the chip's WLAN function through the
//! project's SDIO abstraction and boots the chip with the driver's own firmware boot
//! (`bes2600/fwio`), the way the BH thread does: a kernel thread runs `boot_to_firmware`, and
//! waits between a request and its reply until this driver's interrupt handler (which reads
//! register 0x001, acknowledging the chip, and wakes the thread) or a timeout.
//!
//! Probe requests the firmware files (a missing one fails the probe), then the thread boots
//! twice in the same binding: once from a cold chip (calibration image, DPD data read and
//! cached, WiFi image), then, after a card reset, with the cached DPD data instead of the
//! calibration image. Each boot logs one `sdio-boot: boot N done: …` line.
//!
//! Built only with `BES2600_TEST_MODULES=y`; the qemu test bench (tests/qemu/testbench.sh)
//! loads it next to the virtual SDIO host and the chip model, which checks every frame.

use kernel::{
    device::{
        Core,
        Device, //
    },
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Relaxed, //
        },
    },
    time::Delta,
};

#[path = "../../rust/kernel_ext.rs"]
pub mod kernel_ext;

/// The driver's sources this test driver reuses, at their real paths.
#[path = "../../bes2600"]
pub mod driver_sources {
    pub mod protocol;

    /// The driver's firmware boot.
    pub mod fwio;
}
pub use driver_sources::protocol;

use driver_sources::fwio::{
    boot_to_firmware,
    DpdCache,
    DpdSource,
    FirmwareFiles, //
};
use kernel_ext::{
    kthread::{
        Context,
        Thread,
        WaitResult,
        Waker, //
    },
    sdio::{
        self,
        CardReset,
        FunctionRef, //
    },
};
use protocol::{
    sdio_framing::{
        reg,
        BLOCK_SIZE, //
    },
    sdio_ids::{
        DEVICE_BES2600,
        VENDOR_BESTECHNIC, //
    },
};

crate::sdio_device_table!(
    SDIO_TABLE,
    <BootTest as sdio::Driver>::IdInfo,
    [(sdio::DeviceId::new(VENDOR_BESTECHNIC, DEVICE_BES2600), ())]
);

/// The test driver.
struct BootTest;

/// What the driver keeps for a bound function.
struct Bound {
    /// Wakes the boot thread; the interrupt handler's only job after the acknowledgement.
    waker: Waker,
    /// Interrupts handled.
    irqs: Atomic<u32>,
    /// The boot thread; dropping it (at unbind) stops it.
    _thread: Thread<()>,
}

#[vtable]
impl sdio::Driver for BootTest {
    type IdInfo = ();
    type Data<'bound> = Bound;

    const ID_TABLE: sdio::IdTable<Self::IdInfo> = &SDIO_TABLE;

    fn probe<'bound>(
        func: &'bound sdio::Function<Core<'_>>,
        _id_info: &'bound Self::IdInfo,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        start(func)
    }

    fn unbind<'bound>(func: &'bound sdio::Function<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        dev_info!(
            func.as_ref(),
            "sdio-boot: unbound after {} interrupts\n",
            this.irqs.load(Relaxed)
        );
    }

    fn interrupt(host: &sdio::Host<'_>, this: Pin<&Self::Data<'_>>) {
        // Acknowledge at the source: reading 0x001 deasserts the level interrupt
        // (docs/interrupt-contract.md). During the boot the byte means nothing to the BH, which
        // reads the reply length itself; a failed read still wakes it.
        let _ = host.read_u8(reg::RX_LEN);
        this.irqs.fetch_add(1, Relaxed);
        this.waker.wake();
    }
}

/// Requests the firmware files, enables the function and starts the boot thread.
fn start(func: &sdio::Function<Core<'_>>) -> Result<Bound> {
    let dev: &Device = func.as_ref();
    // A missing file fails here, with the boot code's own message.
    let files = FirmwareFiles::request(dev)?;
    func.claim_host().enable_function()?;
    let func = FunctionRef::new(func)?;
    let dev: ARef<Device> = dev.into();
    let thread = Thread::spawn(fmt!("bes2600-boot"), move |ctx| {
        run(ctx, &func, &files, &dev);
        // Stay until unbind, so that the binding outlives the boots.
        while ctx.wait() != WaitResult::Stop {}
    })?;
    Ok(Bound {
        waker: thread.waker(),
        irqs: Atomic::new(0),
        _thread: thread,
    })
}

/// The two boots, with a card reset between them.
fn run(ctx: &Context<'_>, func: &FunctionRef, files: &FirmwareFiles, dev: &Device) {
    let mut dpd = DpdCache::new();
    let mut wait = |timeout: Delta| ctx.wait_timeout(timeout) == WaitResult::Woken;
    for n in 1..=2 {
        if n > 1 {
            if let Err(err) = reset(func) {
                dev_err!(dev, "sdio-boot: card reset failed: {:?}\n", err);
                return;
            }
        }
        match boot_to_firmware(func, files, &mut dpd, &mut wait, dev) {
            Ok(report) => {
                let expected = if n == 1 {
                    DpdSource::Calibrated
                } else {
                    DpdSource::Cached
                };
                if report.dpd != expected {
                    dev_err!(
                        dev,
                        "sdio-boot: boot {} used DPD {:?}, expected {:?}\n",
                        n,
                        report.dpd,
                        expected
                    );
                    return;
                }
                dev_info!(dev, "sdio-boot: boot {} done: {}\n", n, report);
            }
            Err(err) => {
                dev_err!(dev, "sdio-boot: boot {} failed: {:?}\n", n, err);
                return;
            }
        }
    }
}

/// Resets the card as the driver's recovery does: power cycle and new initialisation, then the
/// function enabled again with the chip's block size.
fn reset(func: &FunctionRef) -> Result {
    let host = func.claim_host()?;
    if host.reset_card()? == CardReset::Rescan {
        return Err(ENODEV);
    }
    host.enable_function()?;
    host.set_block_size(BLOCK_SIZE as u32)
}

module_sdio_driver! {
    type: BootTest,
    name: "bes2600_boot_test",
    authors: ["The bes2600 driver authors"],
    description: "BES2600 firmware boot test driver (emulated chip only)",
    license: "GPL",
    firmware: [
        "bes2600/best2002_fw_boot_sdio.bin",
        "bes2600/best2002_fw_sdio.bin",
    ],
}
