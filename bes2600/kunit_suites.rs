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

    /// The id table entry is the chip's WLAN function (docs/chip-protocol.md, "SDIO identity").
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

/// The kernel-thread abstraction (`rust/kthread.rs`): spawn, wake, wait, stop and join.
#[kunit_tests(bes2600_kthread)]
mod kthread {
    // A failed KUnit assertion ends the test thread without running destructors: each case
    // stops (or drops) its thread before it asserts anything.

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
            Delta,
            Instant,
            Monotonic, //
        },
    };

    use crate::kernel_ext::kthread::{
        Thread,
        WaitResult,
        WakerSlot, //
    };

    /// A completion shared by the test and its thread.
    fn completion() -> Result<Arc<Completion>> {
        Arc::pin_init(Completion::new(), GFP_KERNEL)
    }

    /// Milliseconds since `start`.
    fn ms_since(start: Instant<Monotonic>) -> i64 {
        start.elapsed().as_millis()
    }

    #[test]
    fn stop_returns_the_closure_value() -> Result {
        // A thread that waits until it is stopped.
        let thread = Thread::spawn(fmt!("bes2600-kt-a"), |ctx| {
            let mut waits = 0u32;
            while ctx.wait() != WaitResult::Stop {
                waits += 1;
            }
            1000 + waits
        })?;
        fsleep(Delta::from_millis(10));
        let waker = thread.waker();
        assert_eq!(thread.stop(), Some(1000));
        // A waker outlives its thread; waking an exited thread does nothing.
        waker.wake();

        // Stopped right after the spawn: the closure still runs (a stop that reached the new
        // kthread before its function would skip the closure). Many times, to hit the window.
        let mut ran = 0;
        for i in 0..100u32 {
            let thread = Thread::spawn(fmt!("bes2600-kt-b{i}"), move |_ctx| i)?;
            if thread.stop() == Some(i) {
                ran += 1;
            }
        }
        assert_eq!(ran, 100);

        // The closure returned long before the stop: its value is kept.
        let thread = Thread::spawn(fmt!("bes2600-kt-c"), |_ctx| 9u32)?;
        fsleep(Delta::from_millis(20));
        assert_eq!(thread.stop(), Some(9));
        Ok(())
    }

    #[test]
    fn wake_before_wait_is_not_lost() -> Result {
        let go = completion()?;
        let done = completion()?;
        let (go2, done2) = (go.clone(), done.clone());
        let thread = Thread::spawn(fmt!("bes2600-kt-wake"), move |ctx| {
            // Running, not waiting, when the wake arrives.
            go2.wait_for_completion();
            let result = ctx.wait_timeout(Delta::from_secs(5));
            done2.complete_all();
            result
        })?;
        thread.wake();
        go.complete_all();
        done.wait_for_completion();
        assert_eq!(thread.stop(), Some(WaitResult::Woken));
        Ok(())
    }

    #[test]
    fn many_wakes_coalesce() -> Result {
        let go = completion()?;
        let done = completion()?;
        let (go2, done2) = (go.clone(), done.clone());
        let thread = Thread::spawn(fmt!("bes2600-kt-many"), move |ctx| {
            go2.wait_for_completion();
            let first = ctx.wait_timeout(Delta::from_secs(5));
            let second = ctx.wait_timeout(Delta::from_millis(50));
            done2.complete_all();
            (first, second)
        })?;
        let waker = thread.waker();
        for i in 0..1000 {
            if i % 2 == 0 {
                thread.wake();
            } else {
                waker.wake();
            }
        }
        go.complete_all();
        done.wait_for_completion();
        assert_eq!(
            thread.stop(),
            Some((WaitResult::Woken, WaitResult::Timeout))
        );
        Ok(())
    }

    #[test]
    fn stop_wakes_a_waiting_thread() -> Result {
        let entered = completion()?;
        let entered2 = entered.clone();
        let thread = Thread::spawn(fmt!("bes2600-kt-stop"), move |ctx| {
            entered2.complete_all();
            ctx.wait_timeout(Delta::from_secs(10))
        })?;
        entered.wait_for_completion();
        // Let it fall asleep in the wait.
        fsleep(Delta::from_millis(20));
        let start = Instant::<Monotonic>::now();
        assert_eq!(thread.stop(), Some(WaitResult::Stop));
        assert!(ms_since(start) < 5000);
        Ok(())
    }

    /// Sets bit 1 of its counter when dropped.
    struct DropFlag(Arc<Atomic<u32>>);

    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.fetch_add(2, Relaxed);
        }
    }

    #[test]
    fn drop_joins_the_thread() -> Result {
        let state = Arc::new(Atomic::new(0u32), GFP_KERNEL)?;
        let owned = DropFlag(state.clone());
        let thread = Thread::spawn(fmt!("bes2600-kt-drop"), move |ctx| {
            let flag = owned;
            while ctx.wait() != WaitResult::Stop {}
            if ctx.should_stop() {
                flag.0.fetch_add(1, Relaxed);
            }
        })?;
        fsleep(Delta::from_millis(10));
        let before = state.load(Relaxed);
        drop(thread);
        let after = state.load(Relaxed);
        assert_eq!(before, 0);
        // The thread saw the stop request and its closure (with what it owned) is gone.
        assert_eq!(after, 3);
        Ok(())
    }

    #[test]
    fn wait_times_out() -> Result {
        let done = completion()?;
        let done2 = done.clone();
        let thread = Thread::spawn(fmt!("bes2600-kt-time"), move |ctx| {
            let start = Instant::<Monotonic>::now();
            let result = ctx.wait_timeout(Delta::from_millis(50));
            let ms = ms_since(start);
            let zero = ctx.wait_timeout(Delta::ZERO);
            done2.complete_all();
            (result, ms, zero)
        })?;
        done.wait_for_completion();
        let outcome = thread.stop();
        assert!(outcome.is_some());
        if let Some((result, ms, zero)) = outcome {
            assert_eq!(result, WaitResult::Timeout);
            // At most a jiffy early (the current jiffy counts as a whole one).
            assert!(ms >= 40);
            assert!(ms < 5000);
            assert_eq!(zero, WaitResult::Timeout);
        }
        Ok(())
    }

    /// A slot a `static` handler could reach.
    static SLOT: WakerSlot = WakerSlot::new();

    #[test]
    fn waker_slot_reaches_the_thread() -> Result {
        let go = completion()?;
        let done = completion()?;
        let (go2, done2) = (go.clone(), done.clone());
        let thread = Thread::spawn(fmt!("bes2600-kt-slot"), move |ctx| {
            go2.wait_for_completion();
            let first = ctx.wait_timeout(Delta::from_secs(5));
            let second = ctx.wait_timeout(Delta::from_millis(50));
            done2.complete_all();
            (first, second)
        })?;
        // Empty: nothing happens.
        SLOT.wake();
        SLOT.set(Some(thread.waker()));
        SLOT.wake();
        SLOT.set(None);
        SLOT.wake();
        go.complete_all();
        done.wait_for_completion();
        assert_eq!(
            thread.stop(),
            Some((WaitResult::Woken, WaitResult::Timeout))
        );
        Ok(())
    }
}

/// The SDIO glue of the BH (`bes2600/bh/bus.rs`, `bes2600/bus_sdio.rs`): the errno mapping of
/// the engine's bus, the hand-over of the control byte the interrupt handler read, the derived
/// MAC address.
#[kunit_tests(bes2600_bh_glue)]
mod bh_glue {
    use kernel::prelude::*;

    use crate::bh::bus::{
        bus_error,
        FirstRead,
        Latch, //
    };
    use crate::bh::stats::valid_mac;
    use crate::bus_sdio::derive_mac;
    use crate::engine::bus::BusError;
    use crate::protocol::sdio_framing::reg;

    /// Every error the SDIO core returns maps to the engine's kind (docs/chip-protocol.md,
    /// "The data port": R5 ERROR, FUNCTION_NUMBER and OUT_OF_RANGE are -EIO, -EINVAL, -ERANGE).
    #[test]
    fn errno_mapping() {
        assert_eq!(bus_error(EIO), BusError::Io);
        assert_eq!(bus_error(ETIMEDOUT), BusError::Timeout);
        assert_eq!(bus_error(EILSEQ), BusError::Crc);
        assert_eq!(bus_error(ENOMEDIUM), BusError::NoDevice);
        assert_eq!(bus_error(ENODEV), BusError::NoDevice);
        assert_eq!(bus_error(EINVAL), BusError::Invalid);
        assert_eq!(bus_error(ERANGE), BusError::Invalid);
        // Anything else is a failed transfer.
        assert_eq!(bus_error(EPROTO), BusError::Io);
        assert_eq!(bus_error(ENOMEM), BusError::Io);
    }

    /// The latch holds the byte the handler read last, once.
    #[test]
    fn latch_keeps_the_last_byte_once() {
        let latch = Latch::new();
        assert_eq!(latch.take(), None);
        latch.publish(0x81);
        latch.publish(0x02);
        assert_eq!(latch.take(), Some(0x02));
        assert_eq!(latch.take(), None);
        // 0 is a byte too (the handler read "nothing pending").
        latch.publish(0);
        assert_eq!(latch.take(), Some(0));
        latch.publish(0x85);
        latch.clear();
        assert_eq!(latch.take(), None);
    }

    /// Only the pass's first read of register 0x001 is answered by the latched byte; every
    /// other read goes to the bus.
    #[test]
    fn latched_byte_answers_the_first_length_read_only() {
        let latch = Latch::new();
        latch.publish(0x83);
        let mut pass = FirstRead::new();
        // Other registers never take it.
        assert_eq!(pass.answer(reg::SLAVE_STATUS, &latch), None);
        assert_eq!(pass.answer(reg::CTRL, &latch), None);
        assert_eq!(pass.answer(reg::RX_LEN, &latch), Some(0x83));
        assert_eq!(pass.used, 1);
        // A byte latched meanwhile waits for the next pass.
        latch.publish(0x04);
        assert_eq!(pass.answer(reg::RX_LEN, &latch), None);
        let mut next = FirstRead::new();
        assert_eq!(next.answer(reg::RX_LEN, &latch), Some(0x04));
        // Nothing latched: the first read goes to the bus, and so do the later ones.
        let mut empty = FirstRead::new();
        assert_eq!(empty.answer(reg::RX_LEN, &latch), None);
        latch.publish(0x05);
        assert_eq!(empty.answer(reg::RX_LEN, &latch), None);
        assert_eq!(empty.used, 0);
    }

    /// The fallback MAC address is stable, locally administered and unicast, and differs
    /// between cards.
    #[test]
    fn derived_mac_is_stable_local_unicast() {
        let a = derive_mac(b"mmc0:0001:1", 0xbe57, 0x2002);
        assert_eq!(a, derive_mac(b"mmc0:0001:1", 0xbe57, 0x2002));
        assert_eq!(a[0] & 0x03, 0x02);
        assert!(valid_mac(&a));
        assert_ne!(a, derive_mac(b"mmc1:0001:1", 0xbe57, 0x2002));
        assert!(!valid_mac(&[0; 6]));
        assert!(!valid_mac(&[0x01, 0, 0, 0, 0, 1]));
    }
}

/// The command channel (`bes2600/wsm.rs`) against a kernel thread playing the BH.
#[kunit_tests(bes2600_wsm)]
mod wsm_channel {
    use kernel::{
        prelude::*,
        sync::Arc, //
    };

    use crate::kernel_ext::kthread::{
        Thread,
        WaitResult, //
    };
    use crate::wsm::Channel;

    /// A one-byte message.
    fn msg(b: u8) -> Result<KVec<u8>> {
        let mut v = KVec::new();
        v.push(b, GFP_KERNEL)?;
        Ok(v)
    }

    /// The BH of these tests: per wake-up, fetches the slot's command and answers it with its
    /// byte + 1, or (`reset`) takes the link down instead. Returns the commands it saw.
    fn bh(chan: Arc<Channel>, reset: bool) -> Result<Thread<u32>> {
        Thread::spawn(fmt!("bes2600-wsm-bh"), move |ctx| {
            let mut seen = 0;
            while ctx.wait() != WaitResult::Stop {
                let Some((ticket, m)) = chan.fetch() else {
                    continue;
                };
                seen += 1;
                if reset {
                    chan.set_down(true);
                    continue;
                }
                let answer = m.first().map_or(0, |b| b.wrapping_add(1));
                chan.complete(ticket, msg(answer));
            }
            seen
        })
    }

    #[test]
    fn commands_complete_and_fail() -> Result {
        let chan = Arc::pin_init(Channel::new(), GFP_KERNEL)?;
        // The link is down until the BH says it is up.
        let down = chan.send_raw(msg(1)?, &|| ());
        // Nothing was deferred at probe: the first boot is not a return.
        let deferred_at_probe = chan.defer_if_returning();
        let replay = chan.set_up();
        let thread = bh(chan.clone(), false)?;
        let wake = || thread.wake();
        let first = chan.send_raw(msg(1)?, &wake);
        let second = chan.send_raw(msg(41)?, &wake);
        // Unbind: every later caller fails at once, and the link cannot come up again.
        chan.close();
        chan.set_up();
        let gone = chan.send_raw(msg(3)?, &wake);
        let seen = thread.stop();

        assert_eq!(down.err(), Some(ENETDOWN));
        assert!(!deferred_at_probe);
        assert!(!replay);
        assert_eq!(first.ok().as_deref(), Some(&[2u8][..]));
        assert_eq!(second.ok().as_deref(), Some(&[42u8][..]));
        assert_eq!(gone.err(), Some(ENODEV));
        assert_eq!(seen, Some(2));
        Ok(())
    }

    #[test]
    fn recovery_fails_the_waiter() -> Result {
        let chan = Arc::pin_init(Channel::new(), GFP_KERNEL)?;
        chan.set_up();
        let thread = bh(chan.clone(), true)?;
        let r = chan.send_raw(msg(7)?, &|| thread.wake());
        // The slot is free again afterwards, and the link is down.
        let after = chan.send_raw(msg(8)?, &|| thread.wake());
        let seen = thread.stop();
        assert_eq!(r.err(), Some(ECONNRESET));
        assert_eq!(after.err(), Some(ENETDOWN));
        assert_eq!(seen, Some(1));
        Ok(())
    }

    #[test]
    fn configuration_waits_for_a_returning_link() -> Result {
        let chan = Arc::pin_init(Channel::new(), GFP_KERNEL)?;
        chan.set_up();
        // A restart or resume is due: a caller may defer, and the link's return says so once.
        chan.set_down(true);
        let deferred = chan.defer_if_returning();
        let pending = chan.has_deferred();
        let replay = chan.set_up();
        chan.set_down(true);
        let replay_again = chan.set_up();
        // Recovery gave up: nothing will replay, so nothing may be deferred.
        chan.set_down(false);
        let deferred_when_dead = chan.defer_if_returning();
        // Up again: the caller retries instead of deferring.
        chan.set_up();
        let deferred_when_up = chan.defer_if_returning();
        assert!(deferred && pending && replay);
        // A replay is asked for once.
        assert!(!replay_again);
        assert!(!deferred_when_dead);
        assert!(!deferred_when_up);
        Ok(())
    }
}
