/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * x86 atomics the way arch/x86/include/asm/atomic.h writes them: locked
 * instructions in inline asm with "ir"/"i" operands, and GEN_*_RMWcc()
 * written with `asm goto` (the condition code jumps straight to a C label).
 */
#ifndef _ASM_X86_ATOMIC_H
#define _ASM_X86_ATOMIC_H

#include <linux/types.h>
#include <asm/rwonce.h>

#define LOCK_PREFIX "\n\tlock; "

/* <asm/rmwcc.h>, the asm-goto flavour. */
#define __GEN_RMWcc(fullop, _var, cc, clobbers, ...)			\
({									\
	bool c = false;							\
	asm goto (fullop "; j" #cc " %l[cc_label]"			\
			: : [var] "m" (_var), ## __VA_ARGS__		\
			: clobbers : cc_label);				\
	if (0) {							\
cc_label:	c = true;						\
	}								\
	c;								\
})

#define GEN_UNARY_RMWcc(op, var, cc)					\
	__GEN_RMWcc(op " %[var]", var, cc, "memory")

#define GEN_BINARY_RMWcc(op, var, cc, vcon, _val)			\
	__GEN_RMWcc(op " %[val], %[var]", var, cc, "memory", [val] vcon (_val))

static __always_inline int arch_atomic_read(const atomic_t *v)
{
	return __READ_ONCE((v)->counter);
}

static __always_inline void arch_atomic_set(atomic_t *v, int i)
{
	__WRITE_ONCE(v->counter, i);
}

static __always_inline void arch_atomic_add(int i, atomic_t *v)
{
	asm volatile(LOCK_PREFIX "addl %1,%0"
		     : "+m" (v->counter)
		     : "ir" (i) : "memory");
}

static __always_inline void arch_atomic_inc(atomic_t *v)
{
	asm volatile(LOCK_PREFIX "incl %0"
		     : "+m" (v->counter) :: "memory");
}

static __always_inline bool arch_atomic_sub_and_test(int i, atomic_t *v)
{
	return GEN_BINARY_RMWcc(LOCK_PREFIX "subl", v->counter, e, "er", i);
}

static __always_inline bool arch_atomic_dec_and_test(atomic_t *v)
{
	return GEN_UNARY_RMWcc(LOCK_PREFIX "decl", v->counter, e);
}

/* xadd: returns the old value. */
static __always_inline int arch_atomic_fetch_add(int i, atomic_t *v)
{
	asm volatile(LOCK_PREFIX "xaddl %0, %1"
		     : "+r" (i), "+m" (v->counter)
		     : : "memory", "cc");
	return i;
}

static __always_inline int arch_atomic_fetch_sub(int i, atomic_t *v)
{
	return arch_atomic_fetch_add(-i, v);
}

/*
 * An "i" operand that must be a constant: a fixed bias added with a
 * locked add.  After inlining, the immediate is still in the instruction.
 */
#define ATOMIC_BIAS 0x100
static __always_inline void arch_atomic_add_bias(atomic_t *v)
{
	asm volatile(LOCK_PREFIX "addl %1,%0"
		     : "+m" (v->counter)
		     : "i" (ATOMIC_BIAS) : "memory");
}

static __always_inline int arch_atomic_cmpxchg(atomic_t *v, int old, int new)
{
	int ret;
	asm volatile(LOCK_PREFIX "cmpxchgl %2,%1"
		     : "=a" (ret), "+m" (v->counter)
		     : "r" (new), "0" (old)
		     : "memory");
	return ret;
}

#define atomic_read		arch_atomic_read
#define atomic_set		arch_atomic_set
#define atomic_add		arch_atomic_add
#define atomic_inc		arch_atomic_inc
#define atomic_sub_and_test	arch_atomic_sub_and_test
#define atomic_dec_and_test	arch_atomic_dec_and_test
#define atomic_fetch_add_relaxed arch_atomic_fetch_add
#define atomic_fetch_sub_release arch_atomic_fetch_sub
#define atomic_cmpxchg		arch_atomic_cmpxchg

#define ATOMIC_INIT(i)		{ (i) }

#endif /* _ASM_X86_ATOMIC_H */
