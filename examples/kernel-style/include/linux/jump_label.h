/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Static keys the way arch/x86/include/asm/jump_label.h writes them: an
 * `asm goto` whose "i" operands are the *address of the key* plus the branch
 * direction (a link-time constant: needs -fno-PIE / relocation-model=static),
 * emitting a 5-byte NOP (or JMP) and a __ks_jump_table entry
 * {code, target, key} that the "kernel" patches at run time.
 *
 * The section is named __ks_jump_table (a C identifier) so that a hosted
 * test program gets __start___ks_jump_table / __stop___ks_jump_table from
 * the linker.
 */
#ifndef _LINUX_JUMP_LABEL_H
#define _LINUX_JUMP_LABEL_H

#include <linux/types.h>

struct static_key {
	atomic_t enabled;
};

struct static_key_true  { struct static_key key; };
struct static_key_false { struct static_key key; };

struct jump_entry {
	s32 code;
	s32 target;
	long key;	/* key address (+1 for a "likely" branch), PC-relative */
};

#define JUMP_TABLE_ENTRY(key, label)			\
	".pushsection __ks_jump_table, \"aw\" \n\t"	\
	".balign 8 \n\t"				\
	".long 1b - . \n\t"				\
	".long " label " - . \n\t"			\
	".quad " key " - . \n\t"			\
	".popsection \n\t"

/* A NOP that the kernel patches into a JMP when the key flips. */
static __always_inline bool arch_static_branch(struct static_key *const key, const bool branch)
{
	asm goto("1:"
		".byte 0x0f,0x1f,0x44,0x00,0x00\n\t"
		JUMP_TABLE_ENTRY("%c0 + %c1", "%l[l_yes]")
		: : "i" (key), "i" (branch) : : l_yes);

	return false;
l_yes:
	return true;
}

/* A JMP that the kernel patches into a NOP when the key flips. */
static __always_inline bool arch_static_branch_jump(struct static_key *const key, const bool branch)
{
	asm goto("1:"
		".byte 0xe9\n\t .long %l[l_yes] - 2f\n\t"
		"2:\n\t"
		JUMP_TABLE_ENTRY("%c0 + %c1", "%l[l_yes]")
		: : "i" (key), "i" (branch) : : l_yes);

	return false;
l_yes:
	return true;
}

#define DECLARE_STATIC_KEY_TRUE(name)	extern struct static_key_true name
#define DECLARE_STATIC_KEY_FALSE(name)	extern struct static_key_false name

/*
 * Combine the right initial value (type) with the right branch order
 * to generate the desired result (as <linux/jump_label.h> does, with
 * __builtin_types_compatible_p() deciding on the key's type).
 */
#define static_branch_likely(x)						\
({									\
	bool branch;							\
	if (__builtin_types_compatible_p(typeof(*x), struct static_key_true))	\
		branch = !arch_static_branch(&(x)->key, true);		\
	else if (__builtin_types_compatible_p(typeof(*x), struct static_key_false)) \
		branch = !arch_static_branch_jump(&(x)->key, true);	\
	else								\
		branch = 0; /* ____wrong_branch_error() */		\
	likely(branch);							\
})

#define static_branch_unlikely(x)					\
({									\
	bool branch;							\
	if (__builtin_types_compatible_p(typeof(*x), struct static_key_true))	\
		branch = arch_static_branch_jump(&(x)->key, false);	\
	else if (__builtin_types_compatible_p(typeof(*x), struct static_key_false)) \
		branch = arch_static_branch(&(x)->key, false);		\
	else								\
		branch = 0; /* ____wrong_branch_error() */		\
	unlikely(branch);						\
})

#endif /* _LINUX_JUMP_LABEL_H */
