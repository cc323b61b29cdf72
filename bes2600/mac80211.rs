// SPDX-License-Identifier: GPL-2.0

//! The `ieee80211_ops` of the driver: what mac80211 calls, translated into WSM requests.
//!
//! Filled in once the chip boots and the WSM layer exists.
