//! An AF_XDP fill ring and the consumer side of the same ring, in
//! ordinary memory (no socket, no kernel): the producer reserves batches
//! of slots, writes addresses and submits; the consumer peeks, reads them
//! back and releases. Every call goes through libxdp's `<xdp/xsk.h>`
//! functions (C99 `inline`). `xsk_hot_loop` (`#[inline(never)]`) is the
//! part worth measuring. Output: `expected_output.txt`.

use std::ptr;

use xsk_sys as xsk;

/// Ring entries (a power of two, as AF_XDP requires) and batch size.
const SIZE: u32 = 2048;
const BATCH: u32 = 32;
const ROUNDS: u32 = 500_000;

/// The shared memory of one ring: indices, flags and descriptors.
struct RingMemory {
    producer: u32,
    consumer: u32,
    flags: u32,
    addrs: Vec<u64>,
}

/// Moves `rounds` batches through the ring: returns (entries, sum of addresses).
#[inline(never)]
fn xsk_hot_loop(prod: &mut xsk::xsk_ring_prod, cons: &mut xsk::xsk_ring_cons, rounds: u32) -> (u64, u64) {
    let (mut moved, mut sum) = (0u64, 0u64);
    for round in 0..rounds {
        let mut idx = 0;
        // SAFETY: both rings describe `RingMemory`, alive for the call; the
        // functions keep every index inside `mask`.
        unsafe {
            let n = xsk::xsk_ring_prod__reserve(prod, BATCH, &mut idx);
            for i in 0..n {
                *xsk::xsk_ring_prod__fill_addr(prod, idx + i) = u64::from(round) * 4096 + u64::from(i);
            }
            xsk::xsk_ring_prod__submit(prod, n);
            let got = xsk::xsk_ring_cons__peek(cons, BATCH, &mut idx);
            for i in 0..got {
                sum = sum.wrapping_add(*xsk::xsk_ring_cons__comp_addr(cons, idx + i));
            }
            xsk::xsk_ring_cons__release(cons, got);
            moved += u64::from(got);
        }
    }
    (moved, sum)
}

fn main() {
    let mut mem = RingMemory {
        producer: 0,
        consumer: 0,
        flags: 0,
        addrs: vec![0; SIZE as usize],
    };
    let ring = mem.addrs.as_mut_ptr() as *mut std::os::raw::c_void;
    // As libxdp sets a fill ring up: cached_cons is `size` ahead.
    let mut prod = xsk::xsk_ring_prod {
        cached_prod: 0,
        cached_cons: SIZE,
        mask: SIZE - 1,
        size: SIZE,
        producer: &mut mem.producer,
        consumer: &mut mem.consumer,
        ring,
        flags: &mut mem.flags,
    };
    let mut cons = xsk::xsk_ring_cons {
        cached_prod: 0,
        cached_cons: 0,
        mask: SIZE - 1,
        size: SIZE,
        producer: &mut mem.producer,
        consumer: &mut mem.consumer,
        ring,
        flags: ptr::null_mut(),
    };
    // SAFETY: as in the hot loop.
    let (free, wakeup) = unsafe {
        (
            xsk::xsk_prod_nb_free(&mut prod, BATCH),
            xsk::xsk_ring_prod__needs_wakeup(&prod),
        )
    };
    println!("ring of {SIZE}: {free} free, needs wakeup: {wakeup}");
    let (moved, sum) = xsk_hot_loop(&mut prod, &mut cons, ROUNDS);
    println!("hot: {ROUNDS} batches of {BATCH}: {moved} entries through the ring, address sum {sum}");
    println!("indices: producer {}, consumer {}", mem.producer, mem.consumer);
}
