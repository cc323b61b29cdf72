// SPDX-License-Identifier: GPL-2.0

//! The WSM command layer: sends one command at a time through the BH and waits for its
//! confirm, on top of the message encoders and decoders of [`crate::protocol`].
//!
//! Filled in together with the BH thread.
