// SPDX-License-Identifier: MIT OR Apache-2.0

#include <asm/atomic.h>

__rust_helper int rust_helper_atomic_read(const atomic_t *v)
{
	return atomic_read(v);
}

__rust_helper void rust_helper_atomic_set(atomic_t *v, int i)
{
	atomic_set(v, i);
}

__rust_helper void rust_helper_atomic_add(int i, atomic_t *v)
{
	atomic_add(i, v);
}

__rust_helper void rust_helper_atomic_inc(atomic_t *v)
{
	atomic_inc(v);
}

__rust_helper void rust_helper_atomic_add_bias(atomic_t *v)
{
	arch_atomic_add_bias(v);
}

__rust_helper bool rust_helper_atomic_dec_and_test(atomic_t *v)
{
	return atomic_dec_and_test(v);
}

__rust_helper bool rust_helper_atomic_sub_and_test(int i, atomic_t *v)
{
	return atomic_sub_and_test(i, v);
}

__rust_helper int rust_helper_atomic_fetch_add_relaxed(int i, atomic_t *v)
{
	return atomic_fetch_add_relaxed(i, v);
}

__rust_helper int rust_helper_atomic_cmpxchg(atomic_t *v, int old, int new)
{
	return atomic_cmpxchg(v, old, new);
}
