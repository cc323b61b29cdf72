// SPDX-License-Identifier: GPL-2.0
/* The C helpers of rust/, built once more for this module (an object belongs to one module). */
#include "../../rust/helpers.c"
