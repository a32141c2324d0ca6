// SPDX-License-Identifier: MIT OR Apache-2.0

#include <linux/ksdev.h>

/* Off by default: a 5-byte NOP until the key is enabled. */
__rust_helper bool rust_helper_ks_debug_enabled(void)
{
	return static_branch_unlikely(&ks_debug_key);
}

/* On by default: a NOP that falls through to the fast path. */
__rust_helper bool rust_helper_ks_fast_path(void)
{
	return static_branch_likely(&ks_fast_path_key);
}
