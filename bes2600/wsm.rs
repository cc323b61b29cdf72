// SPDX-License-Identifier: GPL-2.0

//! The WSM command channel: one command at a time from process context, through the BH.
//!
//! A caller encodes a typed request ([`Request`], on top of [`crate::protocol::msg`]), puts it into
//! the ONE command slot ([`Channel`]), wakes the BH and sleeps until the BH has sent it and
//! received its confirm (docs/chip-protocol.md, "Commands and confirms"). The slot is a short mutex
//! around a small state machine; only one command is ever outstanding, and a second caller waits
//! for the slot to become free.
//!
//! ```text
//!   caller                         slot                              BH thread
//!   send() ──▶ Idle ─▶ Queued{ticket, msg} ──wake──▶ fetch(): InBh{ticket} ─▶ pass: command
//!                                                                       sent, confirm read
//!   wakes  ◀── Done{ticket, confirm or error} ◀────────────── complete()  (Events::command_done)
//!   takes it ─▶ Idle
//! ```
//!
//! Every waiter is completed: by its confirm, by [`Channel::fail_all`] when the BH starts a
//! recovery (the engine's timeout, an exception indication or a protocol violation), by
//! [`Channel::close`] at unbind, or by its own deadline (it then withdraws its command; a confirm
//! that arrives later is dropped by its ticket). A caller never waits for a link that is down:
//! [`Channel::send_raw`] fails at once with `ENETDOWN` while the firmware is not up.

use kernel::{
    new_condvar, new_mutex,
    prelude::*,
    sync::{
        CondVar,
        CondVarTimeoutResult,
        Mutex, //
    },
    time::{
        msecs_to_jiffies,
        Delta,
        Instant,
        Monotonic, //
    },
};

use crate::engine::cmd::DEFAULT_TIMEOUT_US;
use crate::protocol::{
    mib::{
        Mib,
        ReadMib,
        ReadMibConfirm,
        SetMib,
        WriteMib, //
    },
    msg::{
        self,
        config::{
            Configuration,
            ConfigurationConfirm, //
        },
        join::{
            Join,
            JoinConfirm,
            Reset,
            SetBssParams, //
        },
        key::{
            AddKey,
            RemoveKey, //
        },
        pm::SetPm,
        queue::{
            SetEdcaParams,
            SetTxQueueParams, //
        },
        scan::{
            StartScan,
            StopScan, //
        },
        AddKeyConfirm,
        Message,
        RemoveKeyConfirm,
        ResetConfirm,
        SetBssParamsConfirm,
        SetEdcaParamsConfirm,
        SetPmConfirm,
        SetTxQueueParamsConfirm,
        StartScanConfirm,
        StopScanConfirm,
        WriteMibConfirm, //
    },
    sdio_framing::MAX_SLOT,
};

/// How long a caller waits in all: the engine's command timeout (after which the BH fails the
/// command itself and starts recovery) plus a margin for the slot and the BH's pass.
const SEND_TIMEOUT: Delta = Delta::from_micros(DEFAULT_TIMEOUT_US as i64 + 2_000_000);

/// A host→device WSM request and the confirm that answers it.
pub(crate) trait Request<'a>: Message<'a> {
    /// The confirm type (its id is the request id | 0x0400).
    type Confirm<'c>: Message<'c>;
}

impl Request<'_> for ReadMib {
    type Confirm<'c> = ReadMibConfirm<'c>;
}

impl<'a> Request<'a> for WriteMib<'a> {
    type Confirm<'c> = WriteMibConfirm;
}

impl<'a, M: Mib<'a>> Request<'a> for SetMib<M> {
    type Confirm<'c> = WriteMibConfirm;
}

impl<'a> Request<'a> for Configuration<'a> {
    type Confirm<'c> = ConfigurationConfirm;
}

/// `Request` for messages without a lifetime: `request → confirm` pairs.
macro_rules! requests {
    ($($req:ty => $confirm:ty),* $(,)?) => {
        $(
            impl Request<'_> for $req {
                type Confirm<'c> = $confirm;
            }
        )*
    };
}

requests! {
    Join => JoinConfirm,
    Reset => ResetConfirm,
    SetBssParams => SetBssParamsConfirm,
    StartScan => StartScanConfirm,
    StopScan => StopScanConfirm,
    AddKey => AddKeyConfirm,
    RemoveKey => RemoveKeyConfirm,
    SetEdcaParams => SetEdcaParamsConfirm,
    SetTxQueueParams => SetTxQueueParamsConfirm,
    SetPm => SetPmConfirm,
}

/// Encodes `req` for interface `if_id` into a buffer of exactly its length.
pub(crate) fn encode<'a, R: Request<'a>>(req: &R, if_id: u8) -> Result<KVec<u8>> {
    let mut buf = KVec::from_elem(0u8, MAX_SLOT, GFP_KERNEL)?;
    let len = msg::encode(req, if_id, &mut buf).map_err(|_| EINVAL)?;
    buf.truncate(len);
    Ok(buf)
}

/// A received confirm, checked to decode as the confirm of the request that was sent.
pub(crate) struct Confirm(KVec<u8>);

impl Confirm {
    /// Decodes the confirm as `C`.
    pub(crate) fn decode<'c, C: Message<'c>>(&'c self) -> Result<C> {
        msg::decode::<C>(&self.0)
            .map(|(_, c)| c)
            .map_err(|_| EPROTO)
    }
}

/// Sends `req` on interface `if_id` through `chan` and returns its confirm.
///
/// Sleeps; process context only (never from the BH thread itself, which runs its own
/// commands directly).
pub(crate) fn send<'a, R: Request<'a>>(
    chan: &Channel,
    wake: &dyn Fn(),
    req: &R,
    if_id: u8,
) -> Result<Confirm> {
    let bytes = chan.send_raw(encode(req, if_id)?, wake)?;
    msg::decode::<R::Confirm<'_>>(&bytes).map_err(|_| EPROTO)?;
    Ok(Confirm(bytes))
}

/// Writes `data` to MIB `mib_id` of interface `if_id` (typed MIBs: [`send`] a
/// [`SetMib`]); a non-zero firmware status is `EINVAL`, as the vendor driver reports it.
pub(crate) fn write_mib(
    chan: &Channel,
    wake: &dyn Fn(),
    mib_id: u16,
    data: &[u8],
    if_id: u8,
) -> Result {
    let c = send(chan, wake, &WriteMib { mib_id, data }, if_id)?;
    let confirm: WriteMibConfirm = c.decode()?;
    if confirm.status.is_success() {
        Ok(())
    } else {
        Err(EINVAL)
    }
}

/// Reads MIB `mib_id` of interface `if_id` into `out` and returns its length; a non-zero
/// firmware status is `EINVAL`, a confirm for another MIB `EPROTO`, data longer than `out`
/// `EOVERFLOW`.
pub(crate) fn read_mib(
    chan: &Channel,
    wake: &dyn Fn(),
    mib_id: u16,
    if_id: u8,
    out: &mut [u8],
) -> Result<usize> {
    let c = send(chan, wake, &ReadMib { mib_id }, if_id)?;
    let confirm: ReadMibConfirm<'_> = c.decode()?;
    if !confirm.status.is_success() {
        return Err(EINVAL);
    }
    if confirm.mib_id != mib_id {
        return Err(EPROTO);
    }
    out.get_mut(..confirm.data.len())
        .ok_or(EOVERFLOW)?
        .copy_from_slice(confirm.data);
    Ok(confirm.data.len())
}

/// Where the slot is.
enum SlotState {
    /// Free for the next caller.
    Idle,
    /// A caller put its command in; the BH has not fetched it yet.
    Queued {
        /// The caller's ticket.
        ticket: u64,
        /// The encoded request.
        msg: KVec<u8>,
    },
    /// The BH holds the command (queued for the bus, on the bus, or awaiting its confirm).
    InBh {
        /// The caller's ticket.
        ticket: u64,
    },
    /// The command is finished; its caller takes the result.
    Done {
        /// The caller's ticket.
        ticket: u64,
        /// The confirm, or why there is none.
        result: Result<KVec<u8>>,
    },
}

impl SlotState {
    /// The ticket of the command in the slot.
    fn ticket(&self) -> Option<u64> {
        match self {
            SlotState::Idle => None,
            SlotState::Queued { ticket, .. }
            | SlotState::InBh { ticket }
            | SlotState::Done { ticket, .. } => Some(*ticket),
        }
    }
}

/// Whether commands can be sent.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Link {
    /// The firmware is not up (booting, recovering, dead).
    Down,
    /// The firmware is up.
    Up,
    /// The device is gone (unbind).
    Gone,
}

/// The slot and the link state, under one lock.
struct Slot {
    state: SlotState,
    next_ticket: u64,
    link: Link,
    /// While the link is down: the BH is going to bring it up again (a restart or the boot
    /// after a resume is due), so configuration may wait for it.
    returning: bool,
    /// Configuration was deferred while the link was down and returning
    /// ([`Channel::defer_if_returning`]): mac80211 must replay it once the link is up.
    deferred: bool,
}

/// The ONE command slot between process context and the BH.
#[pin_data]
pub(crate) struct Channel {
    #[pin]
    inner: Mutex<Slot>,
    /// Signalled on every change of the slot or the link.
    #[pin]
    changed: CondVar,
}

impl Channel {
    /// An idle slot with the link down.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- new_mutex!(Slot {
                state: SlotState::Idle,
                next_ticket: 1,
                link: Link::Down,
                returning: false,
                deferred: false,
            }),
            changed <- new_condvar!("bes2600::wsm::Channel::changed"),
        })
    }

    /// Puts the encoded request `msg` into the slot, calls `wake` (which wakes the BH), and
    /// waits for the confirm.
    ///
    /// Fails with `ENETDOWN` while the firmware is not up, `ENODEV` once the device is gone,
    /// `EINTR` on a signal, `ETIMEDOUT` after [`SEND_TIMEOUT`], or with the error the BH
    /// completed the command with (`ETIMEDOUT` for a confirm that never came, `ECONNRESET`
    /// when the chip is restarted meanwhile).
    pub(crate) fn send_raw(&self, msg: KVec<u8>, wake: &dyn Fn()) -> Result<KVec<u8>> {
        let start = Instant::<Monotonic>::now();
        let mut slot = self.inner.lock();
        // Wait for the slot.
        loop {
            match slot.link {
                Link::Gone => return Err(ENODEV),
                Link::Down => return Err(ENETDOWN),
                Link::Up => {}
            }
            if matches!(slot.state, SlotState::Idle) {
                break;
            }
            match self
                .changed
                .wait_interruptible_timeout(&mut slot, left(start)?)
            {
                CondVarTimeoutResult::Signal { .. } => return Err(EINTR),
                CondVarTimeoutResult::Timeout => return Err(ETIMEDOUT),
                CondVarTimeoutResult::Woken { .. } => {}
            }
        }
        let ticket = slot.next_ticket;
        slot.next_ticket = ticket.wrapping_add(1);
        slot.state = SlotState::Queued { ticket, msg };
        wake();
        // Wait for the result.
        loop {
            if let SlotState::Done { ticket: t, .. } = slot.state {
                if t == ticket {
                    let done = core::mem::replace(&mut slot.state, SlotState::Idle);
                    self.changed.notify_all();
                    return match done {
                        SlotState::Done { result, .. } => result,
                        _ => Err(EINVAL),
                    };
                }
            }
            if slot.state.ticket() != Some(ticket) {
                // Not ours any more; cannot happen (only the caller frees a finished slot).
                return Err(EINVAL);
            }
            let left = match left(start) {
                Ok(j) => j,
                Err(e) => {
                    self.withdraw(&mut slot);
                    return Err(e);
                }
            };
            match self.changed.wait_interruptible_timeout(&mut slot, left) {
                CondVarTimeoutResult::Signal { .. } => {
                    self.withdraw(&mut slot);
                    return Err(EINTR);
                }
                CondVarTimeoutResult::Timeout | CondVarTimeoutResult::Woken { .. } => {}
            }
        }
    }

    /// The caller gives up on its unfinished command: the slot is free again; the BH drops the
    /// command if it has not sent it, or its confirm when it comes.
    fn withdraw(&self, slot: &mut Slot) {
        slot.state = SlotState::Idle;
        self.changed.notify_all();
    }

    /// BH: takes the queued command out of the slot, with its ticket.
    pub(crate) fn fetch(&self) -> Option<(u64, KVec<u8>)> {
        let mut slot = self.inner.lock();
        if !matches!(slot.state, SlotState::Queued { .. }) {
            return None;
        }
        let ticket = slot.state.ticket()?;
        match core::mem::replace(&mut slot.state, SlotState::InBh { ticket }) {
            SlotState::Queued { ticket, msg } => Some((ticket, msg)),
            _ => None,
        }
    }

    /// BH: whether the caller of `ticket` still waits (it may have given up).
    pub(crate) fn wanted(&self, ticket: u64) -> bool {
        matches!(self.inner.lock().state, SlotState::InBh { ticket: t } if t == ticket)
    }

    /// BH: finishes the command of `ticket` with `result` and wakes its caller. A caller that
    /// gave up is not there any more; the result is dropped.
    pub(crate) fn complete(&self, ticket: u64, result: Result<KVec<u8>>) {
        let mut slot = self.inner.lock();
        if matches!(slot.state, SlotState::InBh { ticket: t } if t == ticket) {
            slot.state = SlotState::Done { ticket, result };
            self.changed.notify_all();
        }
    }

    /// BH: the firmware is up. Returns whether configuration was deferred while it was down
    /// ([`Self::defer_if_returning`]), which the BH then has mac80211 replay.
    pub(crate) fn set_up(&self) -> bool {
        let mut slot = self.inner.lock();
        if slot.link == Link::Gone {
            return false;
        }
        slot.link = Link::Up;
        slot.returning = false;
        self.changed.notify_all();
        core::mem::take(&mut slot.deferred)
    }

    /// BH: the firmware is down; what is in the slot fails with `ECONNRESET`. `returning`:
    /// the BH is going to bring it up again (see [`Self::defer_if_returning`]).
    pub(crate) fn set_down(&self, returning: bool) {
        let mut slot = self.inner.lock();
        if slot.link == Link::Gone {
            return;
        }
        slot.link = Link::Down;
        slot.returning = returning;
        Self::fail(&mut slot, ECONNRESET);
        self.changed.notify_all();
    }

    /// Whether configuration was deferred and awaits the link ([`Self::defer_if_returning`]).
    pub(crate) fn has_deferred(&self) -> bool {
        self.inner.lock().deferred
    }

    /// A caller whose command found the link down (`ENETDOWN`) asks whether it may treat its
    /// configuration as done: yes while the BH is going to bring the link up again, which
    /// then has mac80211 replay the whole configuration. mac80211's resume reconfigures the
    /// device while the chip is still booting, and takes a failed `add_interface` as a dead
    /// device. `false` if the link is up again (the caller retries) or will not return.
    pub(crate) fn defer_if_returning(&self) -> bool {
        let mut slot = self.inner.lock();
        if slot.link == Link::Down && slot.returning {
            slot.deferred = true;
            return true;
        }
        false
    }

    /// Whether the firmware is up (commands are accepted).
    pub(crate) fn is_up(&self) -> bool {
        self.inner.lock().link == Link::Up
    }

    /// Whether the device is gone ([`Self::close`]).
    pub(crate) fn is_gone(&self) -> bool {
        self.inner.lock().link == Link::Gone
    }

    /// The device is gone: fails what is in the slot with `ENODEV` and every later caller too.
    pub(crate) fn close(&self) {
        let mut slot = self.inner.lock();
        slot.link = Link::Gone;
        Self::fail(&mut slot, ENODEV);
        self.changed.notify_all();
    }

    fn fail(slot: &mut Slot, err: Error) {
        if let SlotState::Queued { ticket, .. } | SlotState::InBh { ticket } = slot.state {
            slot.state = SlotState::Done {
                ticket,
                result: Err(err),
            };
        }
    }
}

/// The jiffies left of [`SEND_TIMEOUT`] since `start`; `ETIMEDOUT` when none are.
fn left(start: Instant<Monotonic>) -> Result<kernel::time::Jiffies> {
    let left = SEND_TIMEOUT.as_millis() - start.elapsed().as_millis();
    if left <= 0 {
        return Err(ETIMEDOUT);
    }
    Ok(msecs_to_jiffies(u32::try_from(left).unwrap_or(u32::MAX)))
}
