// SPDX-License-Identifier: MIT OR Apache-2.0
//! Entry points for the hosted test program (`test/main.c`): built-in code
//! that exercises every helper and records each result in order.  The
//! harness holds the list of names and the expected values.

use crate::bindings::{ks_device, list_head};
use crate::{bitops, device, list, static_key, Atomic, Bitmap, Refcount};

/// Results written into the caller's array, in order.
pub(crate) struct Out {
    p: *mut i64,
    cap: usize,
    n: usize,
}

impl Out {
    /// # Safety
    /// `p` must be valid for `cap` writes.
    pub(crate) unsafe fn new(p: *mut i64, cap: usize) -> Self {
        Out { p, cap, n: 0 }
    }
    pub(crate) fn put(&mut self, v: i64) {
        if self.n < self.cap {
            // SAFETY: in bounds, see `new`.
            unsafe { self.p.add(self.n).write(v) };
        }
        self.n += 1;
    }
    pub(crate) fn count(&self) -> usize {
        self.n
    }
}

/// A zeroed `ks_device` (bindgen's `Default`).
#[inline]
fn new_device() -> ks_device {
    ks_device::default()
}

/// Runs the built-in self test with input `s` (1 <= s <= 50); writes up to
/// `cap` results to `out` and returns how many there are.
///
/// # Safety
/// `out` must be valid for `cap` writes.
#[no_mangle]
pub unsafe extern "C" fn ks_selftest(s: i64, out: *mut i64, cap: usize) -> usize {
    let mut o = Out::new(out, cap);
    let si = s as i32;

    // atomic_t
    let a = Atomic::new(0);
    a.set(si);
    o.put(a.read() as i64); // s
    let mut i = 0;
    while i < 10 {
        a.add(i);
        a.inc();
        i += 1;
    }
    o.put(a.read() as i64); // s + 45 + 10
    a.add_bias();
    o.put(a.read() as i64); // + 0x100
    o.put(a.fetch_add_relaxed(3) as i64); // old value
    o.put(a.read() as i64); // + 3
    let cur = a.read();
    o.put(a.cmpxchg(cur, 7) as i64); // succeeds: returns cur
    o.put(a.cmpxchg(0, 9) as i64); // fails: returns 7
    o.put(a.read() as i64); // 7
    o.put(a.sub_and_test(3) as i64); // 7 -> 4: false
    o.put(a.sub_and_test(4) as i64); // 4 -> 0: true
    a.set(si);
    let mut steps = 0i64;
    while !a.dec_and_test() && steps < 1000 {
        steps += 1;
    }
    o.put(steps); // s - 1

    // refcount_t
    let r = Refcount::new(1);
    let mut k = 0;
    while k < s {
        r.inc();
        k += 1;
    }
    o.put(r.read() as i64); // s + 1
    let mut released = 0i64;
    let mut k = 0;
    while k <= s {
        released += r.dec_and_test() as i64;
        k += 1;
    }
    o.put(released); // 1
    o.put(r.read() as i64); // 0
    r.set(3);
    o.put(r.read() as i64); // 3
    // Misuse: the helpers call refcount_warn_saturate() (the harness logs it).
    let bad = Refcount::new(0);
    bad.inc(); // REFCOUNT_ADD_UAF
    o.put(bad.read() as i64); // 1
    o.put(bad.dec_and_test() as i64); // true
    o.put(bad.dec_and_test() as i64); // false, REFCOUNT_SUB_UAF
    o.put(bad.read() as i64); // 0xffffffff

    // bit operations
    let bm = Bitmap::<2>::new();
    bm.set_bit(s);
    bm.set_bit(s + 70);
    bm.set_bit(3);
    bm.clear_bit(s);
    o.put(bm.test_bit(s + 70) as i64);
    o.put(bm.test_bit(s) as i64);
    o.put(bm.test_and_set_bit(s + 1) as i64);
    o.put(bm.test_and_set_bit(s + 1) as i64);
    let (w0, w1) = (bm.word(0), bm.word(1));
    o.put(w0 as i64);
    o.put(w1 as i64);
    o.put(bitops::ffs(w0) as i64);
    o.put(bitops::fls64(w1) as i64);
    o.put(bitops::hweight64(w0 ^ w1.rotate_left(7)) as i64);

    // lists and container_of()
    let mut head = list_head::default();
    let mut devs = [new_device(), new_device(), new_device()];
    let h: *mut list_head = &mut head;
    list::init(h);
    o.put(list::is_empty(h) as i64); // 1
    let mut n = 0;
    for d in devs.iter_mut() {
        n += 1;
        d.id = (s * 10) as u32 + n;
        list::add_tail(&mut d.node, h);
    }
    o.put(list::is_empty(h) as i64); // 0
    let (sum, len) = list::weighted_ids(h);
    o.put(sum);
    o.put(len);
    list::del(&mut devs[1].node);
    let (sum, len) = list::weighted_ids(h);
    o.put(sum);
    o.put(len);
    o.put(devs[1].node.next as usize as i64); // LIST_POISON1
    list::del(&mut devs[0].node);
    list::del(&mut devs[2].node);
    o.put(list::is_empty(h) as i64); // 1

    // struct accessors, READ_ONCE/WRITE_ONCE, _Generic, __builtin_types_compatible_p
    let mut dev = new_device();
    dev.flags = s as u8;
    o.put(device::flags(&dev) as i64); // s
    device::write_counter(&mut dev, s * 1000);
    o.put(device::read_counter(&dev)); // s * 1000
    let back = device::from_ref(&mut dev.ref_);
    o.put(core::ptr::eq(back, &dev) as i64); // 1
    o.put(device::name_capacity() as i64); // 16
    o.put(device::abs_sum(-(s as i16), -(2 * si), -3 * s)); // 6s + 359

    // static keys (not patched yet) and THIS_MODULE
    o.put(ks_static_keys() as i64); // fast path on, debug off: 2
    o.put(crate::this_module() as usize as i64); // NULL when built in

    o.count()
}

/// `debug_enabled() | fast_path() << 1`: the harness calls it again after
/// patching the static keys.
#[no_mangle]
pub extern "C" fn ks_static_keys() -> i32 {
    static_key::debug_enabled() as i32 | (static_key::fast_path() as i32) << 1
}
