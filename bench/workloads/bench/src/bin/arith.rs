//! arith: a chain of kernel-style arithmetic and bit-manipulation helpers
//! (`hash_32`, `rol32`, `mul_u64_u32_shr`, `fls64`, `hweight64`,
//! `__test_and_set_bit`, `clamp`) per operation; each result feeds the
//! next operation, so the loop cannot be vectorized.

#[path = "../common.rs"]
mod common;

use common::ops::*;

#[inline(never)]
fn run_workload(n: u64) -> u64 {
    let mut x: u32 = std::hint::black_box(0x1234_5678);
    let mut w: u64 = std::hint::black_box(0x9E37_79B9_7F4A_7C15);
    let mut bits: u64 = 0;
    let mut acc: u64 = 0;
    // SAFETY: plain arithmetic; `bits` is a live local.
    unsafe {
        for i in 0..n {
            let h = bench_hash_32(x ^ i as u32, 16);
            x = bench_rol32(x, h).wrapping_add(h);
            w = bench_mul_u64_u32_shr(w ^ i, x | 1, 17).wrapping_add(i);
            acc = acc.wrapping_add(u64::from(bench_fls64(w) + bench_hweight64(w)));
            if bench_test_and_set_bit(h, &mut bits) {
                bits = 0;
                acc = acc.wrapping_add(1);
            }
            acc = bench_clamp(acc as i64, 0, 1 << 40) as u64;
        }
    }
    acc ^ w ^ u64::from(x) ^ bits
}

fn main() {
    common::measure(common::ops_arg(), run_workload);
}
