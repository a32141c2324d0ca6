// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * main.c - hosted test program for the kernel-style example.
 *
 * Plays "the kernel": defines what the Rust objects and the inlined helpers
 * refer to (the static keys, __this_module, refcount_warn_saturate(),
 * ks_bug()), patches static keys at run time through the __ks_jump_table
 * entries that the helpers' `asm goto` left in the Rust objects, and checks
 * every result the Rust self tests report against values computed here in
 * plain C.
 *
 * Built twice by the Makefile:
 *   ks_test      kernel.o + rust_ksmod.o from `cinline link` (helpers inlined)
 *   ks_test_ool  the same crates' plain rustc objects + helpers.o (native),
 *                with -DKS_OUT_OF_LINE: the module then calls the built-in
 *                helpers (as modules call vmlinux's exported helpers), so
 *                THIS_MODULE is NULL there.
 *
 * Usage: ks_test [SEED]   (1 <= SEED <= 50, default 5)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- what the "kernel" provides ------------------------------------ */

/* Layouts of include/linux/jump_label.h and include/linux/module.h. */
struct static_key { int enabled; };
struct static_key_true { struct static_key key; };
struct static_key_false { struct static_key key; };
struct jump_entry { int32_t code; int32_t target; long key; };
struct module { char name[56]; int refcnt; };

struct static_key_false ks_debug_key = { { 0 } };
struct static_key_true ks_fast_path_key = { { 1 } };
struct module __this_module = { "rust_ksmod", 0 };

/* Linker-made bounds of the jump table (weak: none when nothing uses it). */
extern struct jump_entry __start___ks_jump_table[] __attribute__((weak));
extern struct jump_entry __stop___ks_jump_table[] __attribute__((weak));

static int warn_log[8];
static int warn_count;

void refcount_warn_saturate(void *r, int type)
{
	(void)r;
	if (warn_count < 8)
		warn_log[warn_count] = type;
	warn_count++;
}

void ks_bug(void)
{
	fprintf(stderr, "ks_test: BUG: Rust panicked\n");
	abort();
}

/* ---- the Rust objects ---------------------------------------------- */

size_t ks_selftest(long s, long *out, size_t cap);
int ks_static_keys(void);
size_t ksmod_selftest(long s, long *out, size_t cap);
int ksmod_static_keys(void);

/* ---- static key patching (arch/x86/kernel/jump_label.c, in small) --- */

static const unsigned char nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

static int patch(unsigned char *code, const unsigned char insn[5])
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)code & ~(uintptr_t)(page - 1);
	size_t len = (uintptr_t)code + 5 - start;

	if (mprotect((void *)start, len, PROT_READ | PROT_WRITE | PROT_EXEC))
		return -1;
	memcpy(code, insn, 5);
	return mprotect((void *)start, len, PROT_READ | PROT_EXEC);
}

/*
 * Sets a key and rewrites every site that uses it: a JMP to the entry's
 * target when enabled XOR the entry's branch bit, else a 5-byte NOP.
 * Returns the number of sites.
 */
static int static_key_set(struct static_key *key, int enabled)
{
	int sites = 0;

	key->enabled = enabled;
	for (struct jump_entry *e = __start___ks_jump_table;
	     e && e < __stop___ks_jump_table; e++) {
		uintptr_t k = (uintptr_t)&e->key + e->key;
		unsigned char *code = (unsigned char *)&e->code + e->code;
		unsigned char *target = (unsigned char *)&e->target + e->target;
		unsigned char insn[5];

		if ((k & ~(uintptr_t)1) != (uintptr_t)key)
			continue;
		if (enabled ^ (int)(k & 1)) {
			int32_t rel = (int32_t)(target - (code + 5));
			insn[0] = 0xe9;
			memcpy(insn + 1, &rel, 4);
		} else {
			memcpy(insn, nop5, 5);
		}
		if (patch(code, insn)) {
			perror("ks_test: mprotect");
			exit(2);
		}
		sites++;
	}
	return sites;
}

/* ---- checking ------------------------------------------------------ */

static int checks, failures;

static void check(const char *name, long got, long want)
{
	checks++;
	if (got != want) {
		failures++;
		printf("FAIL %-40s got %ld, want %ld\n", name, got, want);
	} else if (getenv("KS_VERBOSE")) {
		printf("ok   %-40s %ld\n", name, got);
	}
}

/* Plain-C references for the bit helpers (no builtins, no asm). */
static long ref_ffs(unsigned long w) { long i = 0; while (w && !(w & 1)) { w >>= 1; i++; } return i; }
static long ref_fls(unsigned long w) { long i = 0; while (w) { w >>= 1; i++; } return i; }
static long ref_weight(unsigned long w) { long n = 0; while (w) { n += w & 1; w >>= 1; } return n; }

#define MAXR 64

static void check_builtin(long s)
{
	static const char *const names[] = {
		"atomic_set/atomic_read", "atomic_add+atomic_inc", "atomic_add_bias (\"i\")",
		"atomic_fetch_add_relaxed", "atomic_read after xadd", "atomic_cmpxchg hit",
		"atomic_cmpxchg miss", "atomic_read after cmpxchg", "atomic_sub_and_test 7-3",
		"atomic_sub_and_test 4-4", "atomic_dec_and_test steps",
		"REFCOUNT_INIT+refcount_inc", "refcount_dec_and_test releases", "refcount_read at 0",
		"refcount_set(3)", "refcount_inc from 0 (UAF)", "refcount_dec_and_test 1->0",
		"refcount_dec_and_test 0 (UAF)", "refcount_read underflow",
		"test_bit set (\"Ir\")", "test_bit cleared", "test_and_set_bit first",
		"test_and_set_bit second", "bitmap word 0", "bitmap word 1", "__ffs", "fls64", "hweight64",
		"list_empty after INIT_LIST_HEAD", "list_empty after add_tail",
		"container_of walk: weighted ids", "container_of walk: length",
		"after list_del: weighted ids", "after list_del: length", "list_del poison",
		"list_empty at the end",
		"READ_ONCE flags (_Generic)", "WRITE_ONCE/READ_ONCE counter",
		"container_of(ref) == dev", "ARRAY_SIZE(name) (__must_be_array)",
		"abs()+_Generic tags", "static keys (unpatched)", "THIS_MODULE built-in",
	};
	long want[MAXR], got[MAXR];
	int n = 0;
	long a = s;

	/* atomic_t */
	want[n++] = a;
	a += 45 + 10;
	want[n++] = a;
	a += 0x100;
	want[n++] = a;
	want[n++] = a;
	a += 3;
	want[n++] = a;
	want[n++] = a;
	want[n++] = 7;
	want[n++] = 7;
	want[n++] = 0;
	want[n++] = 1;
	want[n++] = s - 1;
	/* refcount_t */
	want[n++] = s + 1;
	want[n++] = 1;
	want[n++] = 0;
	want[n++] = 3;
	want[n++] = 1;
	want[n++] = 1;
	want[n++] = 0;
	want[n++] = 0xffffffffL;
	/* bitops */
	{
		unsigned long bm[2] = { 0, 0 };
#define SET(b) (bm[(b) / 64] |= 1UL << ((b) % 64))
#define CLR(b) (bm[(b) / 64] &= ~(1UL << ((b) % 64)))
#define TST(b) ((bm[(b) / 64] >> ((b) % 64)) & 1)
		long t1, t2, s1, s2;
		SET(s); SET(s + 70); SET(3); CLR(s);
		t1 = TST(s + 70);
		t2 = TST(s);
		s1 = TST(s + 1); SET(s + 1);
		s2 = TST(s + 1); SET(s + 1);
		want[n++] = t1;
		want[n++] = t2;
		want[n++] = s1;
		want[n++] = s2;
		want[n++] = (long)bm[0];
		want[n++] = (long)bm[1];
		want[n++] = ref_ffs(bm[0]);
		want[n++] = ref_fls(bm[1]);
		want[n++] = ref_weight(bm[0] ^ ((bm[1] << 7) | (bm[1] >> 57)));
	}
	/* lists */
	{
		long id1 = s * 10 + 1, id2 = s * 10 + 2, id3 = s * 10 + 3;
		want[n++] = 1;
		want[n++] = 0;
		want[n++] = id1 + 2 * id2 + 3 * id3;
		want[n++] = 3;
		want[n++] = id1 + 2 * id3;
		want[n++] = 2;
		want[n++] = 0x100;
		want[n++] = 1;
	}
	/* device */
	want[n++] = s;
	want[n++] = s * 1000;
	want[n++] = 1;
	want[n++] = 16;
	want[n++] = 6 * s + 3 * 100 + 5 * 10 + 9;
	want[n++] = 2;
	want[n++] = 0;

	warn_count = 0;
	size_t count = ks_selftest(s, got, MAXR);
	check("ks_selftest: number of results", (long)count, n);
	for (int i = 0; i < n && i < (int)count; i++)
		check(names[i], got[i], want[i]);
	check("refcount_warn_saturate calls", warn_count, 2);
	check("  first: REFCOUNT_ADD_UAF", warn_log[0], 2);
	check("  second: REFCOUNT_SUB_UAF", warn_log[1], 3);
}

static void check_module(long s)
{
	static const char *const names[] = {
		"module: THIS_MODULE", "module: atomic fetch_add count",
		"module: register (kernel.o) id", "module: READ_ONCE counter",
		"module: refcount after 2 incs", "module: 2 dec_and_test", "module: last dec_and_test",
		"module: list_empty with one", "module: container_of(first)", "module: list_empty after del",
		"module: test_and_set_bit", "module: test_bit", "module: bitmap word",
		"module: static keys (unpatched)",
	};
	long want[MAXR], got[MAXR];
	int n = 0;

#ifdef KS_OUT_OF_LINE
	want[n++] = 0;	/* the built-in helper: THIS_MODULE is NULL */
#else
	want[n++] = (long)&__this_module;
#endif
	want[n++] = s;
	want[n++] = 7 * s;
	want[n++] = 14 * s;
	want[n++] = 3;
	want[n++] = 0;
	want[n++] = 1;
	want[n++] = 0;
	want[n++] = 7 * s;
	want[n++] = 1;
	want[n++] = 0;
	want[n++] = 1;
	want[n++] = 1L << s;
	want[n++] = 2;

	warn_count = 0;
	size_t count = ksmod_selftest(s, got, MAXR);
	check("ksmod_selftest: number of results", (long)count, n);
	for (int i = 0; i < n && i < (int)count; i++)
		check(names[i], got[i], want[i]);
	check("module: refcount_warn_saturate calls", warn_count, 0);
}

static void check_static_keys(void)
{
	int sites;

	check("static keys: ks_static_keys() initially", ks_static_keys(), 2);
	check("static keys: ksmod_static_keys() initially", ksmod_static_keys(), 2);

	sites = static_key_set(&ks_debug_key.key, 1);
	check("static keys: ks_debug_key has sites", sites > 0, 1);
	check("static keys: debug on (builtin)", ks_static_keys(), 3);
	check("static keys: debug on (module)", ksmod_static_keys(), 3);

	sites = static_key_set(&ks_fast_path_key.key, 0);
	check("static keys: ks_fast_path_key has sites", sites > 0, 1);
	check("static keys: fast path off (builtin)", ks_static_keys(), 1);
	check("static keys: fast path off (module)", ksmod_static_keys(), 1);

	static_key_set(&ks_debug_key.key, 0);
	static_key_set(&ks_fast_path_key.key, 1);
	check("static keys: restored (builtin)", ks_static_keys(), 2);
	check("static keys: restored (module)", ksmod_static_keys(), 2);

	printf("%s: %ld jump-table entries\n", "ks_test",
	       (long)(__stop___ks_jump_table - __start___ks_jump_table));
}

int main(int argc, char **argv)
{
	long s = argc > 1 ? strtol(argv[1], NULL, 10) : 5;

	if (s < 1 || s > 50) {
		fprintf(stderr, "usage: %s [SEED 1..50]\n", argv[0]);
		return 2;
	}
	check_builtin(s);
	check_module(s);
	check_static_keys();
	printf("%s: %d checks, %d failed\n",
#ifdef KS_OUT_OF_LINE
	       "ks_test (helpers out of line)",
#else
	       "ks_test (helpers inlined)",
#endif
	       checks, failures);
	return failures ? 1 : 0;
}
