// SPDX-License-Identifier: MIT OR Apache-2.0

#include <linux/module.h>

/*
 * NULL in helpers.bc, &__this_module in helpers_module.bc: built-in Rust
 * code and module Rust code must be linked with different helper bitcode.
 */
__rust_helper struct module *rust_helper_this_module(void)
{
	return THIS_MODULE;
}
