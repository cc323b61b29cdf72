// SPDX-License-Identifier: GPL-2.0

//! Test driver for the emulated BES2600: binds to the chip's WLAN function through the
//! project's SDIO abstraction, reads and writes its registers, and downloads a synthetic
//! image through the boot ROM with the driver's own boot code (`bes2600/fwio/boot_rom.rs`).
//!
//! Built only with `BES2600_TEST_MODULES=y`; the `sdio-boot` qemu scenario loads it next to
//! the virtual SDIO host and the chip model, which checks every frame and the image's CRC.

use kernel::{
    device::Core,
    prelude::*, //
};

#[path = "../../rust/kernel_ext.rs"]
pub mod kernel_ext;

/// The driver's sources this test driver reuses, at their real paths.
#[path = "../../bes2600"]
pub mod driver_sources {
    pub mod protocol;

    /// The driver's SDIO boot code.
    #[path = "fwio/boot_rom.rs"]
    pub mod boot;
}
pub use driver_sources::protocol;

use driver_sources::boot::BootRom;
use kernel_ext::sdio;
use protocol::{
    boot_frame::Downloader,
    sdio_framing::{
        reg,
        Doorbell, //
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

/// Size of the synthetic image: several DATA frames at any boot-ROM message limit.
const IMAGE_LEN: usize = 40 * 1024 + 123;
/// Where the synthetic image is loaded and run.
const IMAGE_ADDR: u32 = 0x2000_0000;

/// The test driver.
struct BootTest;

impl sdio::Driver for BootTest {
    type IdInfo = ();
    type Data<'bound> = ();

    const ID_TABLE: sdio::IdTable<Self::IdInfo> = &SDIO_TABLE;

    fn probe<'bound>(
        func: &'bound sdio::Function<Core<'_>>,
        _id_info: &'bound Self::IdInfo,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        run(func).inspect_err(|err| dev_err!(func.as_ref(), "sdio-boot test failed: {:?}\n", err))
    }
}

/// A reproducible pseudo-random image (xorshift32), so the chip model's CRC check is real.
fn synthetic_image() -> Result<KVec<u8>> {
    let mut image = KVec::with_capacity(IMAGE_LEN, GFP_KERNEL)?;
    let mut x: u32 = 0x2545_f491;
    for _ in 0..IMAGE_LEN {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        image.push(x.to_le_bytes()[0], GFP_KERNEL)?;
    }
    Ok(image)
}

fn run(func: &sdio::Function<Core<'_>>) -> Result {
    {
        let host = func.claim_host();
        host.enable_function()?;
        let status = host.read_u8(reg::SLAVE_STATUS)?;
        dev_info!(
            func.as_ref(),
            "sdio-boot: status register {:#04x}\n",
            status
        );
        // A doorbell the boot ROM ignores still reaches the chip: high byte first, then the
        // low byte that rings it (chip-bus-firmware-bh.md §2.1).
        for (addr, value) in Doorbell::ring(Doorbell::WIFI_DEBUG).writes() {
            host.write_u8(addr, value)?;
        }
    }

    let image = synthetic_image()?;
    let mut rom = BootRom::new(func)?;
    dev_info!(
        func.as_ref(),
        "sdio-boot: boot ROM message limit {}\n",
        rom.max_message_len()?
    );
    let mut download = Downloader::new(&image, IMAGE_ADDR, true);
    let done = rom.download(&mut download)?;
    dev_info!(
        func.as_ref(),
        "sdio-boot: download complete: {} bytes, crc {:08x}, {} requests\n",
        done.bytes,
        done.crc,
        done.requests
    );
    Ok(())
}

module_sdio_driver! {
    type: BootTest,
    name: "bes2600_boot_test",
    authors: ["The bes2600 driver authors"],
    description: "BES2600 SDIO boot-ROM test driver (emulated chip only)",
    license: "GPL",
}
