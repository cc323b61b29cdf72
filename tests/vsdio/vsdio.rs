// SPDX-License-Identifier: GPL-2.0

//! `bes2600_vsdio`: a virtual SDIO host controller for testing the bes2600 driver without the
//! chip.
//!
//! It registers an MMC host with the real MMC core and presents one SDIO card with the
//! BES2600's ids (vendor 0xbe57, device 0x2002, one function), so the core enumerates it and the
//! driver probes through the normal SDIO bus. The card answers every command from kernel state;
//! a chip model in userspace plays the firmware through `/dev/bes2600-vsdio`
//! (`tests/vsdio/ABI.md`). Counters are in `/sys/kernel/debug/bes2600_vsdio/stats`.
//!
//! - [`sdio_spec`]: the SDIO specification's constants, argument decoding and CIS.
//! - [`abi`]: the messages exchanged with the model.
//! - [`card`]: the emulated card.
//! - [`host`]: the MMC host operations, interrupts and the bus timing model.
//! - [`chardev`]: the model's device.

#[path = "../../rust/kernel_ext.rs"]
pub mod kernel_ext;

mod abi;
mod card;
mod chardev;
mod host;
mod ring;
mod sdio_spec;

mod bench_kunit;
mod bench_timing_kunit;
mod irq_contract_kunit;

use kernel::{
    debugfs,
    prelude::*,
    sync::Arc, //
};

use crate::host::{
    Instance,
    Shared, //
};
use crate::kernel_ext::miscdev;

module! {
    type: VsdioModule,
    name: "bes2600_vsdio",
    authors: ["The bes2600 driver authors"],
    description: "Virtual SDIO host presenting an emulated BES2600 card (test bench)",
    license: "GPL",
}

/// The module: the card's host, the model's device and the debugfs counters.
///
/// Fields drop in order: the counters and the device go before the host they refer to.
struct VsdioModule {
    _stats: Pin<KBox<debugfs::File<Arc<Shared>>>>,
    _debugfs: debugfs::Dir,
    _model: Pin<KBox<miscdev::Registration<chardev::ModelDevice>>>,
    _instance: Arc<Instance>,
}

/// Writes the counters, one `name value` per line.
fn write_stats(shared: &Arc<Shared>, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
    let stats = shared.stats();
    for (name, value) in stats.entries() {
        writeln!(f, "{name} {value}")?;
    }
    Ok(())
}

impl kernel::Module for VsdioModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let instance = Instance::new(c"bes2600_vsdio", card::BES2600)?;
        let model = KBox::pin_init(
            miscdev::Registration::<chardev::ModelDevice>::register(
                c"bes2600-vsdio",
                instance.clone(),
            ),
            GFP_KERNEL,
        )?;
        let dir = debugfs::Dir::new(c"bes2600_vsdio");
        let stats = KBox::pin_init(
            dir.read_callback_file(c"stats", instance.shared.clone(), &write_stats),
            GFP_KERNEL,
        )?;
        Ok(Self {
            _stats: stats,
            _debugfs: dir,
            _model: model,
            _instance: instance,
        })
    }
}
