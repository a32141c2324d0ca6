/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * <asm-generic/rwonce.h>: READ_ONCE()/WRITE_ONCE().  Statement expressions,
 * typeof, _Generic (through __unqual_scalar_typeof()) and a compile-time
 * size check: only a C compiler can compile these.
 */
#ifndef _ASM_RWONCE_H
#define _ASM_RWONCE_H

#include <linux/compiler_types.h>

#define compiletime_assert_rwonce_type(t)				\
	static_assert(__native_word(t) || sizeof(t) == sizeof(long long), \
		      "Unsupported access size for {READ,WRITE}_ONCE().")

#define __READ_ONCE(x)	(*(const volatile __unqual_scalar_typeof(x) *)&(x))

#define READ_ONCE(x)							\
({									\
	compiletime_assert_rwonce_type(x);				\
	__READ_ONCE(x);							\
})

#define __WRITE_ONCE(x, val)						\
do {									\
	*(volatile typeof(x) *)&(x) = (val);				\
} while (0)

#define WRITE_ONCE(x, val)						\
do {									\
	compiletime_assert_rwonce_type(x);				\
	__WRITE_ONCE(x, val);						\
} while (0)

#endif /* _ASM_RWONCE_H */
