/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* BUG(): provided by the "kernel" (the test harness); Rust's panic handler calls it. */
#ifndef _LINUX_BUG_H
#define _LINUX_BUG_H

void __attribute__((__noreturn__)) ks_bug(void);

#endif /* _LINUX_BUG_H */
