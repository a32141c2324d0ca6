/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A cut-down <linux/types.h>: no libc header is ever included (-nostdinc). */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

#include <linux/compiler_types.h>

typedef signed char		s8;
typedef unsigned char		u8;
typedef short			s16;
typedef unsigned short		u16;
typedef int			s32;
typedef unsigned int		u32;
typedef long long		s64;
typedef unsigned long long	u64;

typedef _Bool			bool;
#define true			1
#define false			0
#define NULL			((void *)0)

typedef unsigned long		size_t;
typedef long			ssize_t;
typedef unsigned long		uintptr_t;

typedef struct {
	int counter;
} atomic_t;

typedef struct {
	s64 counter;
} atomic64_t;

struct list_head {
	struct list_head *next, *prev;
};

#define BITS_PER_LONG		64
#define BIT(nr)			(1UL << (nr))

#endif /* _LINUX_TYPES_H */
