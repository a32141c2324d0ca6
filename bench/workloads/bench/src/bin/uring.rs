//! uring: preparing and retiring io_uring queue entries through liburing's
//! inline API, without a system call in the measured part. Per operation:
//! `io_uring_get_sqe`, `io_uring_prep_nop`, `io_uring_sqe_set_data64`,
//! then (in batches) `io_uring_sq_ready`, `io_uring_cq_ready`, and per
//! completion `io_uring_peek_cqe`, `io_uring_cqe_get_data64`,
//! `io_uring_cqe_seen` (which is `io_uring_cq_advance`).
//!
//! The ring is a real one (`io_uring_queue_init`); nothing is submitted.
//! Between the two halves `fake_kernel`, the same Rust code in every mode,
//! does what the kernel would: consume the SQEs and post one CQE each.
//! Exits 2 with `unavailable: ...` if the ring cannot be set up.

#[path = "../common.rs"]
mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use common::uring::*;

const ENTRIES: u32 = 64;
const BATCH: u64 = 32;

/// The kernel's part, done in memory: every SQE between the kernel's head
/// and the application's tail becomes a CQE with the same `user_data`.
#[inline(never)]
unsafe fn fake_kernel(ring: *mut io_uring) {
    // SAFETY: the ring is set up; its rings are mapped read-write; no
    // system call runs meanwhile, so the kernel does not touch them.
    unsafe {
        let r = &mut *ring;
        let tail = r.sq.sqe_tail;
        let mut head = *r.sq.khead;
        let mut ctail = *r.cq.ktail;
        while head != tail {
            let sqe = &*r.sq.sqes.add((head & r.sq.ring_mask) as usize);
            let cqe = &mut *r.cq.cqes.add((ctail & r.cq.ring_mask) as usize);
            cqe.user_data = sqe.user_data;
            cqe.res = 0;
            cqe.flags = 0;
            head = head.wrapping_add(1);
            ctail = ctail.wrapping_add(1);
        }
        AtomicU32::from_ptr(r.cq.ktail).store(ctail, Ordering::Release);
        AtomicU32::from_ptr(r.sq.khead).store(tail, Ordering::Release);
        r.sq.sqe_head = tail;
    }
}

#[inline(never)]
fn run_workload(ring: *mut io_uring, n: u64) -> u64 {
    let mut sum = 0u64;
    let mut done = 0u64;
    // SAFETY: `ring` is set up; every SQE and CQE pointer comes from liburing.
    unsafe {
        while done < n {
            let batch = BATCH.min(n - done);
            for j in 0..batch {
                let sqe = io_uring_get_sqe(ring);
                if sqe.is_null() {
                    panic!("submission queue full");
                }
                io_uring_prep_nop(sqe);
                io_uring_sqe_set_data64(sqe, done + j);
            }
            sum = sum.wrapping_add(u64::from(io_uring_sq_ready(ring)));
            fake_kernel(ring);
            let ready = io_uring_cq_ready(ring);
            for _ in 0..ready {
                let mut cqe: *mut io_uring_cqe = std::ptr::null_mut();
                if io_uring_peek_cqe(ring, &mut cqe) != 0 {
                    panic!("no completion");
                }
                sum = sum.wrapping_add(io_uring_cqe_get_data64(cqe));
                io_uring_cqe_seen(ring, cqe);
            }
            done += batch;
        }
    }
    sum
}

fn main() {
    let n = common::ops_arg();
    let mut ring = std::mem::MaybeUninit::<io_uring>::zeroed();
    // SAFETY: liburing initializes the ring, or fails and leaves it unused.
    let err = unsafe { io_uring_queue_init(ENTRIES, ring.as_mut_ptr(), 0) };
    if err < 0 {
        println!(
            "unavailable: io_uring_queue_init: {}",
            std::io::Error::from_raw_os_error(-err)
        );
        std::process::exit(2);
    }
    let ring = ring.as_mut_ptr();
    common::measure(n, |n| run_workload(ring, n));
    // SAFETY: set up above, no longer used.
    unsafe { io_uring_queue_exit(ring) };
}
