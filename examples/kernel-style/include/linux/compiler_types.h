/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * A cut-down <linux/compiler_types.h> + <linux/compiler.h>: the kernel's
 * definitions of inline, __always_inline, likely()/unlikely(), __same_type(),
 * READ_ONCE()/WRITE_ONCE() and friends, written the way the kernel writes
 * them (gnu_inline, statement expressions, typeof, _Generic,
 * __builtin_types_compatible_p, __builtin_expect).  Built with -nostdinc.
 */
#ifndef _LINUX_COMPILER_TYPES_H
#define _LINUX_COMPILER_TYPES_H

/*
 * The kernel redefines `inline` with gnu_inline semantics: a non-static
 * `inline` function still gets an external definition.  That is what lets
 * rust/helpers/ mark its (external) helpers __always_inline.
 */
#define __gnu_inline		__attribute__((__gnu_inline__))
#define __inline_maybe_unused	__attribute__((__unused__))
#define notrace			__attribute__((__no_instrument_function__))
#define inline			inline __gnu_inline __inline_maybe_unused notrace
#define __inline__		inline
#define __always_inline		inline __attribute__((__always_inline__))
#define noinline		__attribute__((__noinline__))
#define __cold			__attribute__((__cold__))
#define __aligned(x)		__attribute__((__aligned__(x)))
#define __section(s)		__attribute__((__section__(s)))

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)

#define barrier()		__asm__ __volatile__("" : : : "memory")

/* Are two types/vars the same type (ignoring qualifiers)? */
#define __same_type(a, b)	__builtin_types_compatible_p(typeof(a), typeof(b))

/* <linux/build_bug.h> */
#define BUILD_BUG_ON_ZERO(e)	((int)(sizeof(struct { int:(-!!(e)); })))
#define __must_be_array(a)	BUILD_BUG_ON_ZERO(__same_type((a), &(a)[0]))
#define ARRAY_SIZE(arr)		(sizeof(arr) / sizeof((arr)[0]) + __must_be_array(arr))
#define static_assert(expr, ...) _Static_assert(expr, #expr)

/* <linux/container_of.h> */
#define container_of(ptr, type, member) ({				\
	void *__mptr = (void *)(ptr);					\
	static_assert(__same_type(*(ptr), ((type *)0)->member) ||	\
		      __same_type(*(ptr), void),			\
		      "pointer type mismatch in container_of()");	\
	((type *)(__mptr - __builtin_offsetof(type, member))); })

/*
 * <linux/compiler_types.h>: __unqual_scalar_typeof() drops qualifiers from
 * scalar types with _Generic, so READ_ONCE() of a `const volatile int` has
 * type `int`.
 */
#define __scalar_type_to_expr_cases(type)				\
		unsigned type:	(unsigned type)0,			\
		signed type:	(signed type)0

#define __unqual_scalar_typeof(x) typeof(				\
		_Generic((x),						\
			 char:	(char)0,				\
			 __scalar_type_to_expr_cases(char),		\
			 __scalar_type_to_expr_cases(short),		\
			 __scalar_type_to_expr_cases(int),		\
			 __scalar_type_to_expr_cases(long),		\
			 __scalar_type_to_expr_cases(long long),	\
			 default: (x)))

#define __native_word(t) \
	(sizeof(t) == sizeof(char) || sizeof(t) == sizeof(short) || \
	 sizeof(t) == sizeof(int) || sizeof(t) == sizeof(long))

#endif /* _LINUX_COMPILER_TYPES_H */
