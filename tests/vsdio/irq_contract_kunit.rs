// SPDX-License-Identifier: GPL-2.0

//! The interrupt contract (`docs/interrupt-contract.md`), checked through the real SDIO core.
//!
//! The card interrupt is a level: it stays asserted until F1 register 0x001 is read. The SDIO
//! core re-arms the host's interrupt as soon as a function's handler returns
//! (`sdio_run_irqs()` calls `ack_sdio_irq`), so a handler that only wakes the bottom half gets
//! called again and again until the bottom half has read 0x001. The contract: the handler reads
//! 0x001 itself (the host is already claimed for it), which deasserts the line, hands the byte
//! to the bottom half and wakes it. Then every RX batch costs one interrupt, one handler call
//! and one wake-up.
//!
//! A second virtual host with a card no driver binds to plays the chip; a kernel thread
//! ([`Thread`]) plays the bottom half: it owns the function, claims its interrupt, and per
//! wake-up reads one batch with CMD53.

use kernel::prelude::*;

/// Runs with `CONFIG_KUNIT=y` when the module loads.
#[kunit_tests(bes2600_vsdio_irq)]
mod irq_contract {
    use kernel::{
        prelude::*,
        sync::{
            atomic::{
                Atomic,
                Relaxed, //
            },
            Arc,
            Completion, //
        },
        time::{
            delay::fsleep,
            Delta, //
        },
    };

    use crate::abi::ModelRequest;
    use crate::card::Identity;
    use crate::host::Instance;
    use crate::kernel_ext::{
        kthread::{
            Context,
            Thread,
            WaitResult,
            WakerSlot, //
        },
        mmc_host::{
            CardHost,
            CardIrqHandler, //
        },
        sdio::{
            Cmd53Size,
            IoBuffer, //
        },
    };

    /// A card with a device id no driver matches.
    const TEST_CARD: Identity = Identity {
        vendor: 0xbe57,
        device: 0x2f01,
    };

    /// F1 register whose read returns the pending RX length and deasserts the interrupt.
    const REG_RX_CTRL: u32 = 0x001;
    /// Bytes of one RX batch in these tests: one 512-byte block.
    const BATCH: usize = 512;

    /// The bottom half's waker, for the `static` interrupt handlers.
    static BH: WakerSlot = WakerSlot::new();
    /// Handler calls.
    static HANDLER_CALLS: Atomic<u32> = Atomic::new(0);
    /// The byte the acknowledging handler read from 0x001, with bit 8 set; 0 when consumed.
    static LATCHED: Atomic<u32> = Atomic::new(0);
    /// Batches the bottom half has read so far.
    static BATCHES: Atomic<u32> = Atomic::new(0);

    /// The contract's handler: acknowledge at the source, hand the length over, wake the BH.
    struct AckHandler;

    impl CardIrqHandler for AckHandler {
        fn handle(host: &CardHost<'_>) {
            HANDLER_CALLS.fetch_add(1, Relaxed);
            // On a failed read the line stays up and the core calls us again.
            if let Ok(ctrl) = host.read_u8(REG_RX_CTRL) {
                // Published before the wake, whose full ordering makes it visible to the BH.
                LATCHED.store(0x100 | u32::from(ctrl), Relaxed);
            }
            BH.wake();
        }
    }

    /// The handler the contract rules out: it only wakes the BH.
    struct WakeOnlyHandler;

    impl CardIrqHandler for WakeOnlyHandler {
        fn handle(_host: &CardHost<'_>) {
            HANDLER_CALLS.fetch_add(1, Relaxed);
            BH.wake();
        }
    }

    /// What the bottom half saw.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Counts {
        /// Wake-ups ([`WaitResult::Woken`]).
        wakes: u32,
        /// Batches read.
        batches: u32,
        /// Wake-ups that found no new batch.
        empty: u32,
        /// Batches whose first byte was not their sequence number.
        bad_data: u32,
    }

    /// One batch's bytes: `seq`, then a counting pattern.
    fn batch_payload(seq: u8) -> Result<KVVec<u8>> {
        let mut data = KVVec::with_capacity(BATCH, GFP_KERNEL)?;
        for i in 0..BATCH {
            data.push((i as u8).wrapping_add(seq), GFP_KERNEL)?;
        }
        Ok(data)
    }

    /// The control byte of batch `seq`: toggle bit 7, length 1 (x 512 bytes).
    fn ctrl_byte(seq: u32) -> u8 {
        (((seq & 1) as u8) << 7) | 1
    }

    /// The bottom half: claims the interrupt with `H`, then per wake-up reads the control byte
    /// (from the handler if `latched`, else from the card) and the batch it announces.
    fn bottom_half<H: CardIrqHandler>(
        ctx: &Context<'_>,
        instance: &Instance,
        ready: &Completion,
        latched: bool,
    ) -> Result<Counts> {
        let func = instance.card_function(1).ok_or(ENODEV)?;
        BH.set(Some(ctx.waker()));
        {
            let host = func.claim_host()?;
            host.enable_function()?;
            host.set_block_size(0)?;
            host.claim_irq::<H>()?;
        }
        ready.complete_all();

        let mut counts = Counts::default();
        let mut buf = IoBuffer::new(BATCH, GFP_KERNEL)?;
        let mut next_toggle = 0u8;
        loop {
            match ctx.wait_timeout(Delta::from_secs(5)) {
                WaitResult::Stop => break,
                WaitResult::Timeout => continue,
                WaitResult::Woken => counts.wakes += 1,
            }
            let host = func.claim_host()?;
            let ctrl = if latched {
                match LATCHED.xchg(0, Relaxed) {
                    0 => None,
                    v => Some(v as u8),
                }
            } else {
                host.read_u8(REG_RX_CTRL).ok()
            };
            let Some(ctrl) = ctrl else {
                counts.empty += 1;
                continue;
            };
            let blocks = u32::from(ctrl & 0x7f);
            if blocks == 0 || ctrl >> 7 != next_toggle {
                counts.empty += 1;
                continue;
            }
            next_toggle ^= 1;
            // As the driver does, the address field carries the length.
            let len = blocks * BATCH as u32;
            host.read_cmd53(len, true, Cmd53Size::Blocks(blocks), &mut buf)?;
            if buf[0] != counts.batches as u8 {
                counts.bad_data += 1;
            }
            counts.batches += 1;
            BATCHES.store(counts.batches, Relaxed);
        }
        // Releases the interrupt before the waker goes.
        drop(func);
        Ok(counts)
    }

    /// Polls `cond` every 5 ms for up to 5 s.
    fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
        for _ in 0..1000 {
            if cond() {
                return true;
            }
            fsleep(Delta::from_millis(5));
        }
        cond()
    }

    /// A host with the test card (its faux parent named `name`), enumerated, and a bottom half
    /// with handler `H` whose interrupt is claimed.
    fn start<H: CardIrqHandler>(
        name: &'static CStr,
        latched: bool,
    ) -> Result<(Arc<Instance>, Thread<Result<Counts>>)> {
        HANDLER_CALLS.store(0, Relaxed);
        LATCHED.store(0, Relaxed);
        BATCHES.store(0, Relaxed);
        let instance = Instance::new(name, TEST_CARD)?;
        if !wait_until(|| instance.card_function(1).is_some()) {
            return Err(ETIMEDOUT);
        }
        let ready = Arc::pin_init(Completion::new(), GFP_KERNEL)?;
        let (inst, rdy) = (instance.clone(), ready.clone());
        let bh = Thread::spawn(fmt!("bes2600-irq-bh"), move |ctx| {
            let counts = bottom_half::<H>(ctx, &inst, &rdy, latched);
            // Also on a setup failure, so the test does not wait forever.
            rdy.complete_all();
            BH.set(None);
            counts
        })?;
        ready.wait_for_completion();
        Ok((instance, bh))
    }

    /// Queues `n` one-block batches at once, as the chip model does through the chardev.
    fn queue_burst(instance: &Instance, n: u32) -> Result {
        for seq in 0..n {
            instance.apply(
                ModelRequest::RxQueue {
                    reg0: 0,
                    reg1: ctrl_byte(seq),
                    idle0: 0,
                    idle1: 0,
                },
                batch_payload(seq as u8)?,
            )?;
        }
        Ok(())
    }

    /// Interrupts the host has signalled to the core so far.
    fn irqs_raised(instance: &Instance) -> u64 {
        instance.shared.card.lock().stats().irqs_raised
    }

    // A failed KUnit assertion ends the test thread without running destructors, so the tests
    // stop the thread and drop the host before they assert anything.

    #[test]
    fn one_wake_per_batch() -> Result {
        const N: u32 = 32;
        let (instance, bh) = start::<AckHandler>(c"bes2600_vsdio_irq1", true)?;
        let irqs_before = irqs_raised(&instance);

        let queued_ok = queue_burst(&instance, N);
        let all_read = wait_until(|| BATCHES.load(Relaxed) >= N);
        // Time for a storm to show if the line were still up.
        fsleep(Delta::from_millis(50));

        let calls = HANDLER_CALLS.load(Relaxed);
        let irqs = irqs_raised(&instance) - irqs_before;
        let (line, queued) = {
            let card = instance.shared.card.lock();
            (card.irq_line(), card.rx_len())
        };
        let counts = bh.stop();
        drop(instance);
        pr_info!(
            "irq contract: {N} batches, {calls} handler calls, {irqs} interrupts, {counts:?}\n"
        );

        assert!(queued_ok.is_ok());
        assert!(all_read);
        assert_eq!(
            counts,
            Some(Ok(Counts {
                wakes: N,
                batches: N,
                empty: 0,
                bad_data: 0,
            }))
        );
        assert_eq!(calls, N);
        assert_eq!(irqs, u64::from(N));
        assert!(!line);
        assert_eq!(queued, 0);
        Ok(())
    }

    #[test]
    fn wake_only_handler_refires() -> Result {
        let (instance, bh) = start::<WakeOnlyHandler>(c"bes2600_vsdio_irq2", false)?;
        let irqs_before = irqs_raised(&instance);

        let queued_ok = queue_burst(&instance, 1);
        let read = wait_until(|| BATCHES.load(Relaxed) >= 1);
        fsleep(Delta::from_millis(50));
        let calls = HANDLER_CALLS.load(Relaxed);
        // Once the BH has read 0x001 the line is down and the re-firing ends.
        fsleep(Delta::from_millis(50));
        let calls_later = HANDLER_CALLS.load(Relaxed);
        let irqs = irqs_raised(&instance) - irqs_before;
        let counts = bh.stop();
        drop(instance);
        pr_info!("irq contract, wake-only handler: 1 batch, {calls} handler calls, {irqs} interrupts, {counts:?}\n");

        assert!(queued_ok.is_ok());
        assert!(read);
        assert!(matches!(counts, Some(Ok(Counts { batches: 1, .. }))));
        // The core acknowledged the first call with the line still up (the BH cannot have
        // read 0x001 while the core held the host for the handler): it fired again.
        assert!(calls >= 2);
        assert_eq!(calls_later, calls);
        assert_eq!(irqs, u64::from(calls));
        Ok(())
    }
}
