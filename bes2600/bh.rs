// SPDX-License-Identifier: GPL-2.0

//! The bottom half: one kernel thread that does every bus transfer of a chip.
//!
//! It reads RX batches inline when the interrupt wakes it, submits TX batches, and is the
//! only owner of the flow-control state ([`crate::protocol`]'s buffer counters and sequence
//! numbers): that state is moved into the thread and is not `Sync`, so no other context can
//! touch it. Other contexts enqueue requests and wake the thread.
//!
//! The thread itself arrives with the firmware-boot issue; this module holds its place in the
//! architecture.
