/*
 * bench.h: the C side of the benchmark workloads, a header of static inline
 * functions modelled on the Linux kernel's (include/linux/refcount.h,
 * include/linux/bitops.h, include/linux/hash.h, include/linux/math64.h)
 * and on the getters and setters of a C library's struct.
 *
 * bench-native/src/lib.rs has the same functions written in Rust.
 */
#ifndef BENCH_H
#define BENCH_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define bench_likely(x) __builtin_expect(!!(x), 1)
#define bench_unlikely(x) __builtin_expect(!!(x), 0)

/* ---- refcount: include/linux/refcount.h, x86-64 ---- */

/* A reference count that saturates instead of overflowing. */
typedef struct bench_refcount {
	int refs;
} bench_refcount_t;

#define BENCH_REFCOUNT_SATURATED (INT_MIN / 2)

/* The kernel's refcount_warn_saturate(), without the warning. */
static inline __attribute__((cold)) void bench_refcount_saturate(bench_refcount_t *r)
{
	atomic_store_explicit((_Atomic int *)&r->refs, BENCH_REFCOUNT_SATURATED,
			      memory_order_relaxed);
}

static inline void bench_refcount_set(bench_refcount_t *r, int n)
{
	atomic_store_explicit((_Atomic int *)&r->refs, n, memory_order_relaxed);
}

static inline int bench_refcount_read(const bench_refcount_t *r)
{
	return atomic_load_explicit((_Atomic int *)&r->refs, memory_order_relaxed);
}

/* __refcount_add(1, r): saturate on use-after-free and overflow. */
static inline void bench_refcount_inc(bench_refcount_t *r)
{
	int old = atomic_fetch_add_explicit((_Atomic int *)&r->refs, 1,
					    memory_order_relaxed);

	if (bench_unlikely(old <= 0 || (int)((unsigned)old + 1u) < 0))
		bench_refcount_saturate(r);
}

/* __refcount_sub_and_test(1, r): true when the count drops to zero. */
static inline bool bench_refcount_dec_and_test(bench_refcount_t *r)
{
	int old = atomic_fetch_sub_explicit((_Atomic int *)&r->refs, 1,
					    memory_order_release);

	if (old == 1) {
		atomic_thread_fence(memory_order_acquire);
		return true;
	}
	if (bench_unlikely(old <= 0 || (int)((unsigned)old - 1u) < 0))
		bench_refcount_saturate(r);
	return false;
}

/* ---- arithmetic and bit manipulation ---- */

#define BENCH_GOLDEN_RATIO_32 0x61C88647u

/* hash_32(): the top `bits` bits of a multiplicative hash. */
static inline uint32_t bench_hash_32(uint32_t val, unsigned int bits)
{
	return (val * BENCH_GOLDEN_RATIO_32) >> (32 - bits);
}

/* rol32() */
static inline uint32_t bench_rol32(uint32_t word, unsigned int shift)
{
	return (word << (shift & 31)) | (word >> ((-shift) & 31));
}

/* fls64(): the position of the most significant set bit, 1-based; 0 for 0. */
static inline unsigned int bench_fls64(uint64_t x)
{
	if (x == 0)
		return 0;
	return 64 - (unsigned int)__builtin_clzll(x);
}

/* hweight64() */
static inline unsigned int bench_hweight64(uint64_t w)
{
	return (unsigned int)__builtin_popcountll(w);
}

/* mul_u64_u32_shr() */
static inline uint64_t bench_mul_u64_u32_shr(uint64_t a, uint32_t mul, unsigned int shift)
{
	return (uint64_t)(((unsigned __int128)a * mul) >> (shift & 63));
}

/* __test_and_set_bit() on one word. */
static inline bool bench_test_and_set_bit(unsigned int nr, uint64_t *word)
{
	uint64_t mask = (uint64_t)1 << (nr & 63);
	bool old = (*word & mask) != 0;

	*word |= mask;
	return old;
}

/* clamp_t(int64_t, v, lo, hi) */
static inline int64_t bench_clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* ---- struct accessors ---- */

struct bench_obj {
	uint32_t id;
	uint32_t flags;
	uint64_t len;
	int32_t prio;
	uint16_t kind;
	uint16_t seq;
	void *data;
};

static inline uint32_t bench_obj_id(const struct bench_obj *o)
{
	return o->id;
}

static inline uint64_t bench_obj_len(const struct bench_obj *o)
{
	return o->len;
}

static inline void bench_obj_set_len(struct bench_obj *o, uint64_t len)
{
	o->len = len;
}

static inline int32_t bench_obj_prio(const struct bench_obj *o)
{
	return o->prio;
}

static inline void bench_obj_set_prio(struct bench_obj *o, int32_t prio)
{
	o->prio = prio;
}

static inline uint16_t bench_obj_kind(const struct bench_obj *o)
{
	return o->kind;
}

static inline bool bench_obj_test_flag(const struct bench_obj *o, unsigned int flag)
{
	return (o->flags >> (flag & 31)) & 1u;
}

static inline void bench_obj_set_flag(struct bench_obj *o, unsigned int flag)
{
	o->flags |= 1u << (flag & 31);
}

static inline void bench_obj_clear_flag(struct bench_obj *o, unsigned int flag)
{
	o->flags &= ~(1u << (flag & 31));
}

static inline void bench_obj_bump_seq(struct bench_obj *o)
{
	o->seq++;
}

#endif /* BENCH_H */
