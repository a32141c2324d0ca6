// SPDX-License-Identifier: MIT OR Apache-2.0
//! `kernel`: a miniature of the Linux kernel's `kernel` crate.
//!
//! `#![no_std]`, `panic=abort`, built by the Makefile with plain `rustc`
//! (no cargo) to LLVM bitcode (`kernel.bc`, for `cinline link`), an object
//! (`kernel.o`, the out-of-line reference) and metadata (`libkernel.rmeta`,
//! for the module crate `samples/rust_ksmod.rs`).
//!
//! Safe wrappers call the C helpers through [`bindings`]: every call is a
//! call to a `rust_helper_*` symbol until `cinline link` inlines it.  The
//! wrappers are `#[inline]`, so a module crate that uses them gets its own
//! copies and its own helper calls, linked with `helpers_module.bc`.
//!
//! Nothing here may panic or use floats (the C side is built with
//! `-mno-sse`): the objects must link without `core` or
//! `compiler_builtins`.
#![no_std]
#![allow(clippy::missing_safety_doc, clippy::new_without_default)]

pub mod bindings;

mod selftest;

use core::cell::UnsafeCell;

/// `atomic_t`.
#[repr(transparent)]
pub struct Atomic(UnsafeCell<bindings::atomic_t>);

// SAFETY: every access goes through the C atomics.
unsafe impl Sync for Atomic {}

impl Atomic {
    /// `ATOMIC_INIT(v)`.
    #[inline]
    pub const fn new(v: i32) -> Self {
        Atomic(UnsafeCell::new(bindings::atomic_t { counter: v }))
    }
    #[inline]
    fn ptr(&self) -> *mut bindings::atomic_t {
        self.0.get()
    }
    /// `atomic_read()` (`READ_ONCE()`).
    #[inline]
    pub fn read(&self) -> i32 {
        unsafe { bindings::atomic_read(self.ptr()) }
    }
    /// `atomic_set()` (`WRITE_ONCE()`).
    #[inline]
    pub fn set(&self, v: i32) {
        unsafe { bindings::atomic_set(self.ptr(), v) }
    }
    /// `atomic_add()`: `lock addl` with an `"ir"` operand.
    #[inline]
    pub fn add(&self, i: i32) {
        unsafe { bindings::atomic_add(i, self.ptr()) }
    }
    /// `atomic_inc()`: `lock incl`.
    #[inline]
    pub fn inc(&self) {
        unsafe { bindings::atomic_inc(self.ptr()) }
    }
    /// Adds `ATOMIC_BIAS` with an `"i"` (constant) asm operand.
    #[inline]
    pub fn add_bias(&self) {
        unsafe { bindings::atomic_add_bias(self.ptr()) }
    }
    /// `atomic_dec_and_test()`: `lock decl` + `asm goto` on ZF.
    #[inline]
    pub fn dec_and_test(&self) -> bool {
        unsafe { bindings::atomic_dec_and_test(self.ptr()) }
    }
    /// `atomic_sub_and_test()`: `lock subl` + `asm goto` on ZF.
    #[inline]
    pub fn sub_and_test(&self, i: i32) -> bool {
        unsafe { bindings::atomic_sub_and_test(i, self.ptr()) }
    }
    /// `atomic_fetch_add_relaxed()`: `lock xaddl`, returns the old value.
    #[inline]
    pub fn fetch_add_relaxed(&self, i: i32) -> i32 {
        unsafe { bindings::atomic_fetch_add_relaxed(i, self.ptr()) }
    }
    /// `atomic_cmpxchg()`: returns the value found.
    #[inline]
    pub fn cmpxchg(&self, old: i32, new: i32) -> i32 {
        unsafe { bindings::atomic_cmpxchg(self.ptr(), old, new) }
    }
}

/// `refcount_t`.
#[repr(transparent)]
pub struct Refcount(UnsafeCell<bindings::refcount_t>);

impl Refcount {
    /// `REFCOUNT_INIT(n)` (a helper returning the struct by value).
    #[inline]
    pub fn new(n: i32) -> Self {
        Refcount(UnsafeCell::new(unsafe { bindings::REFCOUNT_INIT(n) }))
    }
    /// The C object.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::refcount_t {
        self.0.get()
    }
    /// `refcount_inc()`: warns (calls `refcount_warn_saturate()`) on 0.
    #[inline]
    pub fn inc(&self) {
        unsafe { bindings::refcount_inc(self.as_ptr()) }
    }
    /// `refcount_dec_and_test()`: true when the count drops to zero.
    #[inline]
    pub fn dec_and_test(&self) -> bool {
        unsafe { bindings::refcount_dec_and_test(self.as_ptr()) }
    }
    /// `refcount_read()`.
    #[inline]
    pub fn read(&self) -> u32 {
        unsafe { bindings::refcount_read(self.as_ptr()) }
    }
    /// `refcount_set()`.
    #[inline]
    pub fn set(&self, n: i32) {
        unsafe { bindings::refcount_set(self.as_ptr(), n) }
    }
}

/// A bitmap of `N` longs, with the x86 locked bit operations.
#[repr(transparent)]
pub struct Bitmap<const N: usize>(UnsafeCell<[core::ffi::c_ulong; N]>);

impl<const N: usize> Bitmap<N> {
    /// All zero.
    #[inline]
    pub const fn new() -> Self {
        Bitmap(UnsafeCell::new([0; N]))
    }
    #[inline]
    fn ptr(&self) -> *mut core::ffi::c_ulong {
        self.0.get().cast()
    }
    /// `set_bit()`: `lock btsq` with an `"Ir"` operand.
    #[inline]
    pub fn set_bit(&self, nr: i64) {
        unsafe { bindings::set_bit(nr, self.ptr()) }
    }
    /// `clear_bit()`: `lock btrq` with an `"Ir"` operand.
    #[inline]
    pub fn clear_bit(&self, nr: i64) {
        unsafe { bindings::clear_bit(nr, self.ptr()) }
    }
    /// `test_bit()`: `btq` with an `"Ir"` operand and a flag output.
    #[inline]
    pub fn test_bit(&self, nr: i64) -> bool {
        unsafe { bindings::test_bit(nr, self.ptr()) }
    }
    /// `test_and_set_bit()`: `lock btsq` + `asm goto` on CF.
    #[inline]
    pub fn test_and_set_bit(&self, nr: i64) -> bool {
        unsafe { bindings::test_and_set_bit(nr, self.ptr()) }
    }
    /// Word `i` (`READ_ONCE`-free: only for tests), 0 past the end.
    #[inline]
    pub fn word(&self, i: usize) -> u64 {
        if i < N {
            unsafe { self.ptr().add(i).read_volatile() }
        } else {
            0
        }
    }
}

/// `__ffs()`, `fls64()`, `hweight64()` (compiler builtins in C).
pub mod bitops {
    use super::bindings;
    /// Index of the lowest set bit (undefined for 0).
    #[inline]
    pub fn ffs(word: u64) -> u64 {
        unsafe { bindings::__ffs(word) }
    }
    /// 1 + index of the highest set bit, 0 for 0.
    #[inline]
    pub fn fls64(x: u64) -> i32 {
        unsafe { bindings::fls64(x) }
    }
    /// Number of set bits.
    #[inline]
    pub fn hweight64(w: u64) -> u32 {
        unsafe { bindings::hweight64(w) }
    }
}

/// Static keys: an `asm goto` NOP (or JMP) per use, patched by the "kernel".
pub mod static_key {
    use super::bindings;
    /// `static_branch_unlikely(&ks_debug_key)`: false until the key is enabled.
    #[inline]
    pub fn debug_enabled() -> bool {
        unsafe { bindings::ks_debug_enabled() }
    }
    /// `static_branch_likely(&ks_fast_path_key)`: true until the key is disabled.
    #[inline]
    pub fn fast_path() -> bool {
        unsafe { bindings::ks_fast_path() }
    }
}

/// Intrusive lists of `ks_device` and `container_of()`.
pub mod list {
    use super::bindings::{self, ks_device, list_head};
    /// `INIT_LIST_HEAD()`.
    #[inline]
    pub unsafe fn init(head: *mut list_head) {
        bindings::INIT_LIST_HEAD(head)
    }
    /// `list_add_tail()`.
    #[inline]
    pub unsafe fn add_tail(new: *mut list_head, head: *mut list_head) {
        bindings::list_add_tail(new, head)
    }
    /// `list_del()`: poisons the entry.
    #[inline]
    pub unsafe fn del(entry: *mut list_head) {
        bindings::list_del(entry)
    }
    /// `list_empty()`.
    #[inline]
    pub unsafe fn is_empty(head: *const list_head) -> bool {
        bindings::list_empty(head) != 0
    }
    /// `container_of(node, struct ks_device, node)`.
    #[inline]
    pub unsafe fn device_of(node: *mut list_head) -> *mut ks_device {
        bindings::ks_device_from_node(node)
    }
    /// Sum over the list of `(position + 1) * id`, and the length.
    #[inline]
    pub unsafe fn weighted_ids(head: *mut list_head) -> (i64, i64) {
        let mut sum = 0i64;
        let mut n = 0i64;
        let mut pos = (*head).next;
        while pos != head && n < 1000 {
            n += 1;
            sum = sum.wrapping_add(n.wrapping_mul((*device_of(pos)).id as i64));
            pos = (*pos).next;
        }
        (sum, n)
    }
}

/// `struct ks_device` accessors.
pub mod device {
    use super::bindings::{self, ks_device};
    /// `container_of(ref, struct ks_device, ref)`.
    #[inline]
    pub unsafe fn from_ref(r: *mut bindings::refcount_t) -> *mut ks_device {
        bindings::ks_device_from_ref(r)
    }
    /// `READ_ONCE(dev->counter)`.
    #[inline]
    pub unsafe fn read_counter(dev: *const ks_device) -> i64 {
        bindings::ks_device_read_counter(dev)
    }
    /// `WRITE_ONCE(dev->counter, v)`.
    #[inline]
    pub unsafe fn write_counter(dev: *mut ks_device, v: i64) {
        bindings::ks_device_write_counter(dev, v)
    }
    /// `READ_ONCE(dev->flags)`.
    #[inline]
    pub unsafe fn flags(dev: *const ks_device) -> u8 {
        bindings::ks_device_flags(dev)
    }
    /// `ARRAY_SIZE(dev->name)`.
    #[inline]
    pub fn name_capacity() -> usize {
        unsafe { bindings::ks_device_name_capacity() as usize }
    }
    /// `abs(a) + abs(b) + abs(c)` plus a `_Generic` type tag of each.
    #[inline]
    pub fn abs_sum(a: i16, b: i32, c: i64) -> i64 {
        unsafe { bindings::ks_abs_sum(a, b, c) }
    }

    /// Registers a device: not `#[inline]`, so a module calls it in
    /// `kernel.o` (a plain Rust-to-Rust call across objects).
    pub fn register(dev: &mut ks_device, id: u32) -> u32 {
        dev.id = id;
        dev.flags |= 1;
        // SAFETY: `dev` is valid.
        unsafe { write_counter(dev, id as i64 * 2) };
        id
    }
}

/// `THIS_MODULE`: NULL in built-in code, `&__this_module` in a module.
#[inline]
pub fn this_module() -> *const bindings::module {
    unsafe { bindings::this_module() }
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: `ks_bug()` never returns.
    unsafe { bindings::ks_bug() }
}
