// SPDX-License-Identifier: MIT OR Apache-2.0
//! `rust_ksmod`: a miniature out-of-tree style module crate.
//!
//! Built against `libkernel.rmeta` (`--extern kernel=...`) and linked by
//! `cinline link` with `helpers_module.bc`, the helpers compiled with
//! `-DMODULE`, as the kernel links module crates.  The `#[inline]` wrappers
//! of the `kernel` crate are instantiated here, so the helper calls they make
//! are this object's calls.  `THIS_MODULE` tells which helper bitcode was
//! used: `&__this_module` with `helpers_module.bc`.
#![no_std]

use kernel::bindings::{ks_device, list_head};
use kernel::{device, list, static_key, Atomic, Bitmap, Refcount};

/// Module state: an open count.
static OPENS: Atomic = Atomic::new(0);

/// Runs the module's self test with input `s` (1 <= s <= 50); writes up to
/// `cap` results to `out`, returns how many there are.
///
/// # Safety
/// `out` must be valid for `cap` writes.
#[no_mangle]
pub unsafe extern "C" fn ksmod_selftest(s: i64, out: *mut i64, cap: usize) -> usize {
    let mut n = 0usize;
    let mut put = |v: i64| {
        if n < cap {
            // SAFETY: in bounds.
            unsafe { out.add(n).write(v) };
        }
        n += 1;
    };

    // THIS_MODULE, from helpers_module.bc.
    put(kernel::this_module() as usize as i64);

    // "open" s times, through the kernel crate's inline wrappers.
    OPENS.set(0);
    let mut k = 0;
    while k < s {
        OPENS.fetch_add_relaxed(1);
        k += 1;
    }
    put(OPENS.read() as i64); // s

    // A device with a refcount, registered with the kernel (a non-inline
    // call into kernel.o) and put on a list.
    let mut dev = ks_device::default();
    put(device::register(&mut dev, 7 * s as u32) as i64); // 7s
    put(device::read_counter(&dev)); // 14s
    let r = Refcount::new(1);
    r.inc();
    r.inc();
    put(r.read() as i64); // 3
    let first = r.dec_and_test() as i64; // 3 -> 2
    let second = r.dec_and_test() as i64; // 2 -> 1
    put(first * 10 + second); // 0
    put(r.dec_and_test() as i64); // 1

    let mut head = list_head::default();
    let h: *mut list_head = &mut head;
    list::init(h);
    list::add_tail(&mut dev.node, h);
    put(list::is_empty(h) as i64); // 0
    put((*list::device_of((*h).next)).id as i64); // 7s
    list::del(&mut dev.node);
    put(list::is_empty(h) as i64); // 1

    let bm = Bitmap::<1>::new();
    put(bm.test_and_set_bit(s) as i64); // 0
    put(bm.test_bit(s) as i64); // 1
    put(bm.word(0) as i64); // 1 << s

    put(ksmod_static_keys() as i64); // 2 until the harness patches the keys
    n
}

/// The module's own uses of the static keys (its own jump-table entries).
#[no_mangle]
pub extern "C" fn ksmod_static_keys() -> i32 {
    static_key::debug_enabled() as i32 | (static_key::fast_path() as i32) << 1
}
