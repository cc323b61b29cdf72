// SPDX-License-Identifier: GPL-2.0

//! The command channel's pure part (docs/chip-protocol.md, "Commands and confirms",
//! "Timeouts").
//!
//! Only one WSM command may be outstanding. Its life:
//!
//! 1. a process-context caller submits it into the shell's command slot and wakes the BH
//!    (the slot is read by the pass through [`super::pass::TxSource`]);
//! 2. the next pass that finds a free buffer puts it first into a TX batch, stamps its
//!    sequence number and records it here ([`CommandChannel::sent`]);
//! 3. the confirm with the matching id completes it ([`CommandChannel::confirm`]): for a
//!    classic request `request | 0x0400`, for an MCU-channel (0x0Cxx) request the same id
//!    with the confirm label. The confirm's own sequence number is checked by flow control
//!    on its channel. A confirm that matches nothing outstanding is a chip violation;
//! 4. or the clock passes its deadline ([`CommandChannel::expired`]): the caller gets a
//!    timeout and the BH reports a "needs recovery" outcome.
//!
//! [`crate::protocol::flow::FlowControl`] tracks the same command for buffer accounting;
//! this type adds the timing and the identity of what was sent, and the pass cross-checks
//! the two.

use core::fmt;

use crate::protocol::wsm_header::{
    MsgClass,
    MsgId,
    Seq, //
};

/// Default time a command may wait for its confirm: the vendor's per-wait
/// `WSM_CMD_TIMEOUT` of 6 s (docs/chip-protocol.md, "Timeouts").
pub const DEFAULT_TIMEOUT_US: u64 = 6_000_000;

/// The command that was sent and awaits its confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outstanding {
    /// Its id word as sent (interface and sequence bits included).
    pub id: MsgId,
    /// When it was written to the bus.
    pub sent_at_us: u64,
    /// When it times out.
    pub deadline_us: u64,
}

impl Outstanding {
    /// Base id of the request (number and class bits).
    pub const fn base(&self) -> u16 {
        self.id.base()
    }

    /// The sequence number it was sent with.
    pub const fn seq(&self) -> Seq {
        self.id.seq()
    }

    /// Base id of the confirm that answers it.
    pub const fn confirm_base(&self) -> u16 {
        self.id.confirm_base()
    }
}

/// Why the command channel refused an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdError {
    /// A command is already outstanding.
    Busy {
        /// Base id of the outstanding command.
        pending: u16,
    },
    /// The id is not a host→device request (0x00xx or 0x0Cxx), or is a data frame (0x0004),
    /// which never travels as a command.
    NotACommand {
        /// Base id.
        id: u16,
    },
    /// A confirm that answers no outstanding command.
    Unexpected {
        /// Base id of the confirm.
        confirm: u16,
        /// Base id of the outstanding command, if any.
        pending: Option<u16>,
    },
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CmdError::Busy { pending } => write!(f, "command {pending:#06x} still outstanding"),
            CmdError::NotACommand { id } => write!(f, "id {id:#06x} is not a command"),
            CmdError::Unexpected {
                confirm,
                pending: Some(p),
            } => write!(f, "confirm {confirm:#06x} while {p:#06x} is outstanding"),
            CmdError::Unexpected {
                confirm,
                pending: None,
            } => write!(f, "confirm {confirm:#06x} with no command outstanding"),
        }
    }
}

/// The single outstanding command and its deadline.
///
/// Owned by the BH together with the flow-control state; like it, never shared.
#[derive(Debug)]
pub struct CommandChannel {
    /// The command awaiting its confirm.
    outstanding: Option<Outstanding>,
    /// Time from sending to giving up.
    timeout_us: u64,
}

impl Default for CommandChannel {
    fn default() -> Self {
        Self::new(DEFAULT_TIMEOUT_US)
    }
}

impl CommandChannel {
    /// An idle channel whose commands time out `timeout_us` after they were sent.
    pub const fn new(timeout_us: u64) -> Self {
        Self {
            outstanding: None,
            timeout_us,
        }
    }

    /// The timeout of a command.
    pub const fn timeout_us(&self) -> u64 {
        self.timeout_us
    }

    /// Whether no command is outstanding, i.e. a submitted one may be sent.
    pub const fn is_idle(&self) -> bool {
        self.outstanding.is_none()
    }

    /// The outstanding command.
    pub const fn outstanding(&self) -> Option<Outstanding> {
        self.outstanding
    }

    /// Checks that `id` may be sent as a command now, without recording anything.
    pub fn check(&self, id: MsgId) -> Result<(), CmdError> {
        let is_request = match id.class() {
            MsgClass::Request => id.base() != crate::protocol::wsm_header::id::TX,
            MsgClass::Mcu => true,
            MsgClass::Confirm | MsgClass::Indication => false,
        };
        if !is_request {
            return Err(CmdError::NotACommand { id: id.base() });
        }
        match self.outstanding {
            Some(o) => Err(CmdError::Busy { pending: o.base() }),
            None => Ok(()),
        }
    }

    /// Records that the command with id word `id` (sequence stamped) was written at
    /// `now_us`.
    pub fn sent(&mut self, id: MsgId, now_us: u64) -> Result<Outstanding, CmdError> {
        self.check(id)?;
        let o = Outstanding {
            id,
            sent_at_us: now_us,
            deadline_us: now_us.saturating_add(self.timeout_us),
        };
        self.outstanding = Some(o);
        Ok(o)
    }

    /// Matches a received confirm (its base id) against the outstanding command and
    /// completes it. On a mismatch nothing changes.
    pub fn confirm(&mut self, confirm_base: u16) -> Result<Outstanding, CmdError> {
        match self.outstanding {
            Some(o) if o.confirm_base() == confirm_base => {
                self.outstanding = None;
                Ok(o)
            }
            other => Err(CmdError::Unexpected {
                confirm: confirm_base,
                pending: other.map(|o| o.base()),
            }),
        }
    }

    /// The outstanding command, if its deadline has passed at `now_us`.
    pub fn expired(&self, now_us: u64) -> Option<Outstanding> {
        self.outstanding.filter(|o| now_us >= o.deadline_us)
    }

    /// When the outstanding command times out.
    pub fn deadline(&self) -> Option<u64> {
        self.outstanding.map(|o| o.deadline_us)
    }

    /// Forgets the outstanding command (timeout, chip reset) and returns it.
    pub fn abandon(&mut self) -> Option<Outstanding> {
        self.outstanding.take()
    }
}
