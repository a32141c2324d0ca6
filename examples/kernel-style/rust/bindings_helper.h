/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Header that contains the headers for which Rust bindings are generated
 * (types, constants, out-of-line "kernel" functions and statics), as the
 * kernel's rust/bindings/bindings_helper.h.  The helpers' declarations are
 * generated separately, from rust/helpers/helpers.c.
 */
#include <linux/bug.h>
#include <linux/ksdev.h>
#include <linux/module.h>
#include <linux/refcount.h>
