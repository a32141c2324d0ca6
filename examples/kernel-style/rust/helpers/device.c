// SPDX-License-Identifier: MIT OR Apache-2.0

#include <linux/ksdev.h>
#include <linux/math.h>

__rust_helper struct ks_device *rust_helper_ks_device_from_ref(refcount_t *r)
{
	return container_of(r, struct ks_device, ref);
}

__rust_helper struct ks_device *rust_helper_ks_device_from_node(struct list_head *n)
{
	return container_of(n, struct ks_device, node);
}

__rust_helper size_t rust_helper_ks_device_name_capacity(void)
{
	return ARRAY_SIZE(((struct ks_device *)0)->name);
}

__rust_helper s64 rust_helper_ks_device_read_counter(const struct ks_device *dev)
{
	return READ_ONCE(dev->counter);
}

__rust_helper void rust_helper_ks_device_write_counter(struct ks_device *dev, s64 v)
{
	WRITE_ONCE(dev->counter, v);
}

/* abs() picks its arm with __builtin_types_compatible_p; ks_type_tag with _Generic. */
__rust_helper s64 rust_helper_ks_abs_sum(s16 a, int b, s64 c)
{
	return (s64)abs(a) + abs(b) + abs(c) +
	       ks_type_tag(a) * 100 + ks_type_tag(b) * 10 + ks_type_tag(c);
}

/* READ_ONCE() of a const volatile u8 gives a plain u8 (__unqual_scalar_typeof). */
__rust_helper u8 rust_helper_ks_device_flags(const struct ks_device *dev)
{
	const volatile u8 *p = &dev->flags;
	typeof(READ_ONCE(*p)) f = READ_ONCE(*p);

	static_assert(__same_type(f, u8), "READ_ONCE keeps qualifiers");
	return f;
}
