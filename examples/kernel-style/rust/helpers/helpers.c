// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * Non-trivial C macros cannot be used in Rust. Similarly, inlined C functions
 * cannot be called either. This file explicitly creates functions ("helpers")
 * that wrap those so that they can be called from Rust.
 *
 * As in the kernel's rust/helpers/helpers.c, every helper is named
 * rust_helper_<name>, and Rust calls it as <name>: bindgen reads this file
 * (with __BINDGEN__ defined) and the Makefile rewrites its output to
 * `#[link_name = "rust_helper_<name>"] pub fn <name>(...)`.
 *
 * This file is compiled twice to LLVM bitcode, as the kernel does: once for
 * built-in code (helpers.bc) and once with -DMODULE (helpers_module.bc).
 *
 * Sorted alphabetically.
 */

#include <linux/compiler_types.h>

/*
 * __rust_helper: __always_inline for the compiler, so that the helpers
 * inline into the Rust callers like the `static inline` functions they wrap;
 * empty for bindgen, which skips inline functions.
 *
 * KS_PLAIN_HELPERS is not a kernel option: the example's diagnostic build
 * (`make diag`) sets it to get plain, non-always_inline helpers, to show
 * what blocks inlining when nothing forces it.
 */
#if defined(__BINDGEN__) || defined(KS_PLAIN_HELPERS)
#define __rust_helper
#else
#define __rust_helper __always_inline
#endif

#include "atomic.c"
#include "bitops.c"
#include "device.c"
#include "jump_label.c"
#include "list.c"
#include "module.c"
#include "refcount.c"
