/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * x86 bit operations the way arch/x86/include/asm/bitops.h writes them:
 * "Ir" operands (a 0..31 immediate or a register) for bts/btr/bt, the
 * "iq" constant-mask path chosen with __builtin_constant_p(), and
 * test_and_set_bit() through the asm-goto GEN_BINARY_RMWcc().
 */
#ifndef _ASM_X86_BITOPS_H
#define _ASM_X86_BITOPS_H

#include <asm/atomic.h>

#define RLONG_ADDR(x)		"m" (*(volatile long *) (x))
#define WBYTE_ADDR(x)		"+m" (*(volatile char *) (x))
#define ADDR			RLONG_ADDR(addr)
#define CONST_MASK_ADDR(nr, addr) WBYTE_ADDR((void *)(addr) + ((nr)>>3))
#define CONST_MASK(nr)		(1 << ((nr) & 7))

static __always_inline void arch_set_bit(long nr, volatile unsigned long *addr)
{
	if (__builtin_constant_p(nr)) {
		asm volatile(LOCK_PREFIX "orb %b1,%0"
			: CONST_MASK_ADDR(nr, addr)
			: "iq" (CONST_MASK(nr))
			: "memory");
	} else {
		asm volatile(LOCK_PREFIX "btsq %1,%0"
			: : RLONG_ADDR(addr), "Ir" (nr) : "memory");
	}
}

static __always_inline void arch_clear_bit(long nr, volatile unsigned long *addr)
{
	if (__builtin_constant_p(nr)) {
		asm volatile(LOCK_PREFIX "andb %b1,%0"
			: CONST_MASK_ADDR(nr, addr)
			: "iq" (~CONST_MASK(nr)));
	} else {
		asm volatile(LOCK_PREFIX "btrq %1,%0"
			: : RLONG_ADDR(addr), "Ir" (nr) : "memory");
	}
}

static __always_inline bool arch_test_and_set_bit(long nr, volatile unsigned long *addr)
{
	return GEN_BINARY_RMWcc(LOCK_PREFIX "btsq", *addr, c, "Ir", nr);
}

/* bt with an "Ir" operand and a flag output (CC_SET/CC_OUT). */
static __always_inline bool variable_test_bit(long nr, volatile const unsigned long *addr)
{
	bool oldbit;

	asm volatile("btq %2,%1"
		     : "=@ccc" (oldbit)
		     : "m" (*(unsigned long *)addr), "Ir" (nr) : "memory");

	return oldbit;
}

static __always_inline bool constant_test_bit(long nr, const volatile unsigned long *addr)
{
	return ((1UL << (nr & (BITS_PER_LONG-1))) &
		(addr[nr >> 6])) != 0;
}

#define test_bit(nr, addr)			\
	(__builtin_constant_p((nr))		\
	 ? constant_test_bit((nr), (addr))	\
	 : variable_test_bit((nr), (addr)))

#define set_bit			arch_set_bit
#define clear_bit		arch_clear_bit
#define test_and_set_bit	arch_test_and_set_bit

static __always_inline unsigned long __ffs(unsigned long word)
{
	return __builtin_ctzl(word);
}

static __always_inline int fls64(u64 x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

static __always_inline unsigned int hweight64(u64 w)
{
	return __builtin_popcountll(w);
}

#endif /* _ASM_X86_BITOPS_H */
