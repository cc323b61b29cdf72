// SPDX-License-Identifier: GPL-2.0

//! SDIO bus glue: binds to the BES2600's WLAN function and owns it while bound.
//!
//! Probe enables function 1 with 512-byte blocks, requests the firmware files, builds the
//! state shared with the BH ([`bh::Shared`]), creates the debugfs directory and starts the BH
//! thread, which boots the chip in the background. The interrupt handler does what
//! docs/interrupt-contract.md says and nothing else. Unbind closes the command channel (every
//! waiter fails with `ENODEV`), stops the BH thread, removes debugfs and disables the function.
//! A system suspend parks the BH off the bus before the card loses power; resume lets it boot
//! the chip again (docs/bh.md, "System suspend and resume").
//!
//! What the platform may describe, and what is used of it:
//!
//! - the MAC address: `local-mac-address` or `mac-address` of the function's firmware node;
//!   else one derived from the card's identity ([`derive_mac`]). It is chosen here, at probe,
//!   because mac80211 needs it before the chip is up; the BH programs it into the chip at every
//!   boot (0x0009), as the vendor driver does with its device-tree or random address. The 7.3 kernel crate has no `of_get_mac_address()` (which
//!   would also read an nvmem cell) and no access to the parent (card) device's node, which
//!   is where the PineTab2's device tree puts the chip (`reg = <0>`); a node for function 1
//!   (`reg = <1>`) is read, the card's is not.
//! - the wake-up and power GPIOs (`wakeup-gpios`, `reset-gpios`, `powerup-gpios`) and
//!   regulators are not used: the 7.3 kernel crate has no GPIO consumer API, the PineTab2
//!   wires no power GPIO, and the polarity of its wake line is unknown
//!   (docs/chip-protocol.md, "Wake line and sleep"). The chip is never put to sleep
//!   (docs/bh.md, "Chip wake and sleep").

use kernel::{
    device::{
        Core,
        Device, //
    },
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    time::Delta,
};

use crate::bh::{
    self,
    stats::{
        valid_mac,
        MacSource, //
    },
    FirmwareFiles,
    Shared, //
    SleepHold,
};
use crate::debugfs::Debugfs;
use crate::kernel_ext::{
    kthread::Thread,
    mac80211::Registration,
    pm::{
        SleepListener,
        SleepNotifier, //
    },
    sdio::{
        self,
        FunctionRef, //
    },
};
use crate::mac80211::{
    self,
    Bes2600Ops, //
};
use crate::protocol::{
    crc32::crc32,
    sdio_framing::{
        reg,
        BLOCK_SIZE, //
    },
    sdio_ids::{
        DEVICE_BES2600,
        VENDOR_BESTECHNIC,
        WLAN_FUNCTION, //
    },
};

crate::sdio_device_table!(
    SDIO_TABLE,
    <Bes2600Sdio as sdio::Driver>::IdInfo,
    [(sdio::DeviceId::new(VENDOR_BESTECHNIC, DEVICE_BES2600), ())]
);

/// The SDIO driver of the BES2600.
pub(crate) struct Bes2600Sdio;

/// How long a system suspend waits for the BH to get off the bus. A boot in progress ends
/// first, which in the worst case (the calibration's wait for the DPD data, the activation
/// doorbells, the 10 s for the startup indication, the configuration) takes over 30 s; the
/// BH answers within a pass otherwise.
const SUSPEND_WAIT: Delta = Delta::from_secs(45);

/// What runs while the function is bound; stopped at unbind.
struct Running {
    /// Parks the BH for a system sleep and lets it boot the chip afterwards (unregistered
    /// when dropped, first: a sleep in progress then finds the BH still running).
    sleep: Pin<KBox<SleepNotifier<Shared>>>,
    /// The BH thread (stopped and joined when dropped).
    thread: Thread<()>,
    /// The scan thread (stopped and joined when dropped).
    scan_thread: Thread<()>,
    /// The hardware registered with mac80211 (unregistered when dropped).
    hw: Registration<Bes2600Ops>,
    /// The debugfs directory.
    _debugfs: Option<Debugfs>,
}

/// What the driver keeps for a bound WLAN function.
#[pin_data]
pub(crate) struct BoundFunction {
    /// Function number, for the log line at unbind.
    number: u32,
    /// What the interrupt handler and process context share with the BH.
    shared: Arc<Shared>,
    /// The BH thread and debugfs, until unbind.
    #[pin]
    running: Mutex<Option<Running>>,
}

impl BoundFunction {
    /// Closes the command channel, stops the BH, removes debugfs (in this order: a debugfs
    /// write waiting for a confirm returns once the channel is closed, and debugfs waits for
    /// it).
    ///
    /// The BH stops before mac80211 lets go of the hardware: the ops mac80211 calls while it
    /// unregisters (stop, remove_interface) then fail at once on the closed channel instead of
    /// waiting for a chip that is going away, and the BH's handle is revoked by then.
    fn stop(&self) {
        self.shared.close();
        let running = self.running.lock().take();
        if let Some(r) = running {
            drop(r.sleep);
            drop(r.thread);
            // Ends a scan it was handed (its commands fail on the closed channel) and reports
            // it while the hw is still registered.
            drop(r.scan_thread);
            self.shared.set_hw(None);
            drop(r.hw);
        }
    }
}

#[vtable]
impl sdio::Driver for Bes2600Sdio {
    type IdInfo = ();
    type Data<'bound> = BoundFunction;

    const ID_TABLE: sdio::IdTable<Self::IdInfo> = &SDIO_TABLE;

    fn probe<'bound>(
        func: &'bound sdio::Function<Core<'_>>,
        _id_info: &'bound Self::IdInfo,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        pin_init::pin_init_scope(move || {
            let number = func.number();
            // The SDIO core probes each function separately; only function 1 carries WLAN.
            if number != u32::from(WLAN_FUNCTION) {
                return Err(ENODEV);
            }
            claim_function(func)?;
            let started = start(func).inspect_err(|_| {
                // Whatever failed has said why; leave the function as probe found it.
                let _ = func.claim_host().disable_function();
            })?;
            Ok(try_pin_init!(BoundFunction {
                number,
                shared: started.0,
                running <- new_mutex!(Some(started.1), "bes2600::bus_sdio::running"),
            }? Error))
        })
    }

    fn unbind<'bound>(func: &'bound sdio::Function<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        this.stop();
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

    /// The card is powered off after this returns. The BH has been off the bus since the
    /// system sleep started ([`SleepListener::sleep_prepare`]); this only makes sure of it
    /// (docs/bh.md, "System suspend and resume").
    fn suspend<'bound>(
        func: &'bound sdio::Function<Core<'_>>,
        this: Pin<&Self::Data<'bound>>,
    ) -> Result {
        this.shared
            .suspend(SleepHold::Device, SUSPEND_WAIT)
            .inspect_err(|e| {
                dev_err!(
                    func.as_ref(),
                    "the BH did not stop for the suspend ({:?}); suspend aborted\n",
                    e
                );
            })
    }

    /// The chip lost its power and with it the firmware. The BH boots it again once the
    /// system runs ([`SleepListener::sleep_finished`]), not here: user space is still frozen,
    /// and with it the emulated chip of the test bench. Here the function is enabled again,
    /// as at probe, so that the interrupt handler can read its register as soon as the
    /// interrupt is claimed again (the boot ROM may raise it); and the suspend callback's own
    /// hold is let go, which alone kept the BH parked in a sleep without a notifier bracket
    /// (a kexec jump, Xen).
    fn resume<'bound>(
        func: &'bound sdio::Function<Core<'_>>,
        this: Pin<&Self::Data<'bound>>,
    ) -> Result {
        // A failure is logged; the BH's boot resets the card and enables the function anyway.
        let _ = claim_function(func);
        this.shared.resume(SleepHold::Device);
        Ok(())
    }

    /// Reads register 0x001 once (which deasserts the chip's level interrupt), hands the byte
    /// to the BH and wakes it (docs/interrupt-contract.md). Nothing else: the BH owns the
    /// meaning of the byte.
    fn interrupt(host: &sdio::Host<'_>, this: Pin<&Self::Data<'_>>) {
        this.shared.interrupt(host.read_u8(reg::RX_LEN));
    }
}

/// The BH's side of a system sleep: off the bus from the start of the transition, before any
/// task is frozen, until its end, when every task runs again (docs/bh.md, "System suspend
/// and resume").
///
/// Parking before mac80211's own suspend skips the commands it would send to a chip that is
/// about to lose power anyway (removing keys, leaving the BSS). Booting only after the end
/// keeps the boot out of the window in which user space is frozen: the real chip would not
/// mind, but the test bench's chip is a user-space process.
impl SleepListener for Shared {
    fn sleep_prepare(&self) -> Result {
        self.suspend(SleepHold::Transition, SUSPEND_WAIT)
            .inspect_err(|e| pr_err!("the BH did not stop for the system sleep ({:?})\n", e))
    }

    fn sleep_finished(&self) {
        self.resume(SleepHold::Transition);
    }
}

/// Enables the WLAN function with 512-byte blocks, the unit of the chip's framing.
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
    host.set_block_size(BLOCK_SIZE as u32).inspect_err(|err| {
        dev_err!(
            func.as_ref(),
            "block size {} refused (max {}): {:?}\n",
            BLOCK_SIZE,
            func.max_block_size(),
            err
        );
        let _ = host.disable_function();
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

/// The firmware files, the shared state, debugfs, the BH thread (which boots the chip in the
/// background) and the mac80211 hardware (the BH is stopped again if that fails).
fn start(func: &sdio::Function<Core<'_>>) -> Result<(Arc<Shared>, Running)> {
    let dev: &Device = func.as_ref();
    let files = FirmwareFiles::request(dev)?;
    let shared = Arc::pin_init(Shared::new(), GFP_KERNEL)?;
    let debugfs = Debugfs::new(dev, shared.clone())
        .inspect_err(|e| dev_warn!(dev, "no debugfs directory: {:?}\n", e))
        .ok();
    let mac = match node_mac(dev) {
        Some(m) => (m, MacSource::Firmware),
        None => (
            derive_mac(dev.name().to_bytes(), func.vendor(), func.device_id()),
            MacSource::Derived,
        ),
    };
    let params = bh::Params {
        func: FunctionRef::new(func)?,
        files,
        mac,
    };
    let thread = bh::start(params, shared.clone())?;
    let hw = match mac80211::register(func.as_ref(), shared.clone(), mac.0) {
        Ok(hw) => hw,
        Err(e) => {
            dev_err!(dev, "registering with mac80211 failed: {:?}\n", e);
            shared.close();
            drop(thread);
            return Err(e);
        }
    };
    let scan_thread =
        match mac80211::scan::start_worker(hw.data().scan.clone(), shared.clone(), hw.handle()) {
            Ok(t) => t,
            Err(e) => {
                dev_err!(dev, "starting the scan thread failed: {:?}\n", e);
                shared.close();
                drop(thread);
                drop(hw);
                return Err(e);
            }
        };
    let sleep = match KBox::pin_init(SleepNotifier::register(shared.clone()), GFP_KERNEL) {
        Ok(n) => n,
        Err(e) => {
            dev_err!(dev, "registering for system sleep failed: {:?}\n", e);
            shared.close();
            drop(scan_thread);
            drop(thread);
            drop(hw);
            return Err(e);
        }
    };
    Ok((
        shared,
        Running {
            sleep,
            thread,
            scan_thread,
            hw,
            _debugfs: debugfs,
        },
    ))
}

/// The MAC address of the function's firmware node (device tree or ACPI/software node), if
/// it has a valid one.
fn node_mac(dev: &Device) -> Option<[u8; 6]> {
    let node = dev.fwnode()?;
    [c"local-mac-address", c"mac-address"]
        .into_iter()
        .filter_map(|name| node.property_read::<[u8; 6]>(name).optional())
        .find(valid_mac)
}

/// A MAC address that stays the same across boots of one machine: locally administered,
/// unicast, derived from the SDIO function's device name (the host's index, fixed by the
/// device tree's `mmc` alias on a board with a soldered card, and the card's address) and its
/// vendor and device ids. Used only when neither the platform nor the chip provides one.
/// Two identical boards give the same address; the chip's or the platform's is preferred.
pub(crate) fn derive_mac(name: &[u8], vendor: u16, device: u16) -> [u8; 6] {
    let [h0, h1, h2, h3] = crc32(name).to_le_bytes();
    let [v0, v1] = vendor.to_le_bytes();
    let [d0, d1] = device.to_le_bytes();
    let [g0, g1, g2, g3] = crc32(&[h0, h1, h2, h3, v0, v1, d0, d1]).to_le_bytes();
    // Bit 1 of the first byte: locally administered; bit 0 clear: unicast.
    [(g0 & 0xfc) | 0x02, g1, g2, g3, h0, h1]
}
