/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * abs() as <linux/math.h> writes it: __builtin_choose_expr() over
 * __builtin_types_compatible_p(), one statement expression per type.
 */
#ifndef _LINUX_MATH_H
#define _LINUX_MATH_H

#include <linux/types.h>

#define __abs_choose_expr(x, type, other) __builtin_choose_expr(	\
	__builtin_types_compatible_p(typeof(x),   signed type) ||	\
	__builtin_types_compatible_p(typeof(x), unsigned type),		\
	({ signed type __x = (x); __x < 0 ? -__x : __x; }), other)

#define abs(x)	__abs_choose_expr(x, long long,				\
		__abs_choose_expr(x, long,				\
		__abs_choose_expr(x, int,				\
		__abs_choose_expr(x, short,				\
		__abs_choose_expr(x, char,				\
		__builtin_choose_expr(					\
			__builtin_types_compatible_p(typeof(x), char),	\
			(char)({ signed char __x = (x); __x<0?-__x:__x; }), \
			((void)0)))))))

/* Which integer type an expression has, as a number (a _Generic table). */
#define ks_type_tag(x) _Generic((x),					\
		s8: 1, u8: 2, s16: 3, u16: 4, s32: 5, u32: 6,		\
		long: 7, unsigned long: 8, s64: 9, u64: 10,		\
		default: 0)

#endif /* _LINUX_MATH_H */
