// SPDX-License-Identifier: MIT OR Apache-2.0

#include <asm/bitops.h>

__rust_helper void rust_helper_set_bit(long nr, volatile unsigned long *addr)
{
	set_bit(nr, addr);
}

__rust_helper void rust_helper_clear_bit(long nr, volatile unsigned long *addr)
{
	clear_bit(nr, addr);
}

__rust_helper bool rust_helper_test_bit(long nr, const volatile unsigned long *addr)
{
	return test_bit(nr, addr);
}

__rust_helper bool rust_helper_test_and_set_bit(long nr, volatile unsigned long *addr)
{
	return test_and_set_bit(nr, addr);
}

__rust_helper unsigned long rust_helper___ffs(unsigned long word)
{
	return __ffs(word);
}

__rust_helper int rust_helper_fls64(u64 x)
{
	return fls64(x);
}

__rust_helper unsigned int rust_helper_hweight64(u64 w)
{
	return hweight64(w);
}
