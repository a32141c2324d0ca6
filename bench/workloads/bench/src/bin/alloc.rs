//! alloc: one small allocation and one free per operation through the
//! crates.io `mimalloc` allocator (C, built by its build script with the
//! `cc` crate), as `#[global_allocator]`: boxed slices of 1 to 64 words
//! replacing one another in 64 slots, so that sizes and lifetimes vary.
//!
//! The allocator's C is not a helper of `bench-sys`: `cargo cinline`
//! captures it (its build script's C compiled through `cinline-cc`) and
//! inlines its allocation paths, while `xlto` builds it with `-flto=thin`
//! (`CFLAGS`) and can inline it.

#[path = "../common.rs"]
mod common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Slots of live allocations.
const SLOTS: usize = 64;

#[inline(never)]
fn run_workload(n: u64) -> u64 {
    let mut live: Vec<Option<Box<[u64]>>> = (0..SLOTS).map(|_| None).collect();
    let mut sum = 0u64;
    // xorshift64: the same sequence of sizes and slots in every mode.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let slot = (x % SLOTS as u64) as usize;
        let words = 1 + (x >> 58) as usize;
        if let Some(old) = live[slot].take() {
            sum = sum.wrapping_mul(31).wrapping_add(old[0] ^ old.len() as u64);
        }
        let mut new = vec![i; words].into_boxed_slice();
        new[0] ^= x;
        live[slot] = Some(std::hint::black_box(new));
    }
    live.iter().flatten().fold(sum, |s, b| s.wrapping_add(b[0]))
}

fn main() {
    common::measure(common::ops_arg(), run_workload);
}
