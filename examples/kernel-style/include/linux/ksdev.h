/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * An example "driver" object: a refcount, a list node, flag bits and a
 * counter embedded in one struct, reached back with container_of().
 */
#ifndef _LINUX_KSDEV_H
#define _LINUX_KSDEV_H

#include <linux/types.h>
#include <linux/refcount.h>
#include <linux/list.h>
#include <linux/jump_label.h>

#define KSDEV_NAME_LEN 16

struct ks_device {
	u8 flags;
	s16 temp;
	u32 id;
	refcount_t ref;
	unsigned long bits[2];
	struct list_head node;
	s64 counter;
	char name[KSDEV_NAME_LEN];
};

/* Defined by the "kernel" (the test harness), patched at run time. */
DECLARE_STATIC_KEY_FALSE(ks_debug_key);
DECLARE_STATIC_KEY_TRUE(ks_fast_path_key);

#endif /* _LINUX_KSDEV_H */
