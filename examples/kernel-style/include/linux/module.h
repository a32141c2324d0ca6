/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * THIS_MODULE, the classic difference between built-in code and modules:
 * NULL when built in, &__this_module (emitted by modpost) in a module.  This
 * is why the kernel compiles the helpers twice (helpers.bc and, with
 * -DMODULE, helpers_module.bc).
 */
#ifndef _LINUX_MODULE_H
#define _LINUX_MODULE_H

#include <linux/types.h>

struct module {
	char name[56];
	int refcnt;
};

#ifdef MODULE
extern struct module __this_module;
#define THIS_MODULE (&__this_module)
#else
#define THIS_MODULE ((struct module *)0)
#endif

#endif /* _LINUX_MODULE_H */
