//! refcount: one `refcount_inc` and one `refcount_dec_and_test` per
//! operation on a heap-allocated count, as a kernel object's `get`/`put`.

#[path = "../common.rs"]
mod common;

use common::ops::*;

#[inline(never)]
fn run_workload(n: u64) -> u64 {
    let mut rc = Box::new(bench_refcount_t { refs: 0 });
    let r: *mut bench_refcount_t = std::hint::black_box(&mut *rc);
    let mut zero = 0u64;
    // SAFETY: `r` points to a live refcount.
    unsafe {
        bench_refcount_set(r, 1);
        for _ in 0..n {
            bench_refcount_inc(r);
            if bench_refcount_dec_and_test(r) {
                zero += 1;
                bench_refcount_set(r, 1);
            }
        }
        zero * 1_000_003 + bench_refcount_read(r) as u64
    }
}

fn main() {
    common::measure(common::ops_arg(), run_workload);
}
