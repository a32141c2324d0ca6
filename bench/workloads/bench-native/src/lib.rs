//! The `native` mode: the C functions of `bench.h`, and the part of
//! liburing's inline API the `uring` workload uses, written in Rust with
//! the signatures bindgen gives the C ones, so the workloads' code is the
//! same in every mode. `#[inline]` is Rust's `static inline`.
//!
//! The types are bindgen's (`bench-sys`, `uring-sys`): the layouts are the
//! C ones.

#![allow(non_camel_case_types, clippy::missing_safety_doc)]

use std::os::raw::{c_int, c_uint};
use std::sync::atomic::{fence, AtomicI32, AtomicU32, Ordering};

pub use bench_sys::{bench_obj, bench_refcount, bench_refcount_t};

// ---- refcount ----

const BENCH_REFCOUNT_SATURATED: i32 = i32::MIN / 2;

#[inline]
unsafe fn refs<'a>(r: *const bench_refcount_t) -> &'a AtomicI32 {
    // SAFETY: the caller passes a valid, aligned refcount, only ever
    // accessed atomically.
    unsafe { AtomicI32::from_ptr(std::ptr::addr_of!((*r).refs).cast_mut()) }
}

#[cold]
#[inline]
pub unsafe fn bench_refcount_saturate(r: *mut bench_refcount_t) {
    unsafe { refs(r) }.store(BENCH_REFCOUNT_SATURATED, Ordering::Relaxed);
}

#[inline]
pub unsafe fn bench_refcount_set(r: *mut bench_refcount_t, n: c_int) {
    unsafe { refs(r) }.store(n, Ordering::Relaxed);
}

#[inline]
pub unsafe fn bench_refcount_read(r: *const bench_refcount_t) -> c_int {
    unsafe { refs(r) }.load(Ordering::Relaxed)
}

#[inline]
pub unsafe fn bench_refcount_inc(r: *mut bench_refcount_t) {
    let old = unsafe { refs(r) }.fetch_add(1, Ordering::Relaxed);
    if old <= 0 || old.wrapping_add(1) < 0 {
        unsafe { bench_refcount_saturate(r) };
    }
}

#[inline]
pub unsafe fn bench_refcount_dec_and_test(r: *mut bench_refcount_t) -> bool {
    let old = unsafe { refs(r) }.fetch_sub(1, Ordering::Release);
    if old == 1 {
        fence(Ordering::Acquire);
        return true;
    }
    if old <= 0 || old.wrapping_sub(1) < 0 {
        unsafe { bench_refcount_saturate(r) };
    }
    false
}

// ---- arithmetic and bit manipulation ----

const BENCH_GOLDEN_RATIO_32: u32 = 0x61C8_8647;

#[inline]
pub unsafe fn bench_hash_32(val: u32, bits: c_uint) -> u32 {
    val.wrapping_mul(BENCH_GOLDEN_RATIO_32) >> (32u32.wrapping_sub(bits) & 31)
}

#[inline]
pub unsafe fn bench_rol32(word: u32, shift: c_uint) -> u32 {
    word.rotate_left(shift & 31)
}

#[inline]
pub unsafe fn bench_fls64(x: u64) -> c_uint {
    if x == 0 {
        0
    } else {
        64 - x.leading_zeros()
    }
}

#[inline]
pub unsafe fn bench_hweight64(w: u64) -> c_uint {
    w.count_ones()
}

#[inline]
pub unsafe fn bench_mul_u64_u32_shr(a: u64, mul: u32, shift: c_uint) -> u64 {
    ((a as u128 * mul as u128) >> (shift & 63)) as u64
}

#[inline]
pub unsafe fn bench_test_and_set_bit(nr: c_uint, word: *mut u64) -> bool {
    let mask = 1u64 << (nr & 63);
    let old = unsafe { *word } & mask != 0;
    unsafe { *word |= mask };
    old
}

#[inline]
pub unsafe fn bench_clamp(v: i64, lo: i64, hi: i64) -> i64 {
    if v < lo {
        lo
    } else if v > hi {
        hi
    } else {
        v
    }
}

// ---- struct accessors ----

#[inline]
pub unsafe fn bench_obj_id(o: *const bench_obj) -> u32 {
    unsafe { (*o).id }
}

#[inline]
pub unsafe fn bench_obj_len(o: *const bench_obj) -> u64 {
    unsafe { (*o).len }
}

#[inline]
pub unsafe fn bench_obj_set_len(o: *mut bench_obj, len: u64) {
    unsafe { (*o).len = len };
}

#[inline]
pub unsafe fn bench_obj_prio(o: *const bench_obj) -> i32 {
    unsafe { (*o).prio }
}

#[inline]
pub unsafe fn bench_obj_set_prio(o: *mut bench_obj, prio: i32) {
    unsafe { (*o).prio = prio };
}

#[inline]
pub unsafe fn bench_obj_kind(o: *const bench_obj) -> u16 {
    unsafe { (*o).kind }
}

#[inline]
pub unsafe fn bench_obj_test_flag(o: *const bench_obj, flag: c_uint) -> bool {
    unsafe { ((*o).flags >> (flag & 31)) & 1 != 0 }
}

#[inline]
pub unsafe fn bench_obj_set_flag(o: *mut bench_obj, flag: c_uint) {
    unsafe { (*o).flags |= 1 << (flag & 31) };
}

#[inline]
pub unsafe fn bench_obj_clear_flag(o: *mut bench_obj, flag: c_uint) {
    unsafe { (*o).flags &= !(1 << (flag & 31)) };
}

#[inline]
pub unsafe fn bench_obj_bump_seq(o: *mut bench_obj) {
    unsafe { (*o).seq = (*o).seq.wrapping_add(1) };
}

/// liburing 2.3's inline functions, as in `<liburing.h>`.
pub mod uring {
    use super::*;
    pub use uring_sys::{
        io_uring, io_uring_cqe, io_uring_queue_exit, io_uring_queue_init, io_uring_sqe,
        IORING_FEAT_EXT_ARG, IORING_SETUP_CQE32, IORING_SETUP_SQE128, IORING_SETUP_SQPOLL,
    };

    const LIBURING_UDATA_TIMEOUT: u64 = u64::MAX;
    const IORING_OP_NOP: u8 = uring_sys::io_uring_op_IORING_OP_NOP as u8;

    #[inline]
    unsafe fn atomic<'a>(p: *mut c_uint) -> &'a AtomicU32 {
        // SAFETY: the ring's indexes are aligned u32s shared with the kernel,
        // accessed atomically as liburing does.
        unsafe { AtomicU32::from_ptr(p) }
    }

    #[inline]
    pub unsafe fn io_uring_get_sqe(ring: *mut io_uring) -> *mut io_uring_sqe {
        let ring = unsafe { &mut *ring };
        let sq = &mut ring.sq;
        let next = sq.sqe_tail.wrapping_add(1);
        let shift = u32::from(ring.flags & IORING_SETUP_SQE128 != 0);
        let head = if ring.flags & IORING_SETUP_SQPOLL == 0 {
            unsafe { atomic(sq.khead) }.load(Ordering::Relaxed)
        } else {
            unsafe { atomic(sq.khead) }.load(Ordering::Acquire)
        };
        if next.wrapping_sub(head) <= sq.ring_entries {
            let sqe = unsafe { sq.sqes.add(((sq.sqe_tail & sq.ring_mask) << shift) as usize) };
            sq.sqe_tail = next;
            return sqe;
        }
        std::ptr::null_mut()
    }

    #[inline]
    pub unsafe fn io_uring_prep_rw(
        op: c_int,
        sqe: *mut io_uring_sqe,
        fd: c_int,
        addr: *const std::ffi::c_void,
        len: c_uint,
        offset: u64,
    ) {
        let sqe = unsafe { &mut *sqe };
        sqe.opcode = op as u8;
        sqe.flags = 0;
        sqe.ioprio = 0;
        sqe.fd = fd;
        sqe.__bindgen_anon_1.off = offset;
        sqe.__bindgen_anon_2.addr = addr as u64;
        sqe.len = len;
        sqe.__bindgen_anon_3.rw_flags = 0;
        sqe.__bindgen_anon_4.buf_index = 0;
        sqe.personality = 0;
        sqe.__bindgen_anon_5.file_index = 0;
        unsafe {
            sqe.__bindgen_anon_6.__bindgen_anon_1.as_mut().addr3 = 0;
            sqe.__bindgen_anon_6.__bindgen_anon_1.as_mut().__pad2[0] = 0;
        }
    }

    #[inline]
    pub unsafe fn io_uring_prep_nop(sqe: *mut io_uring_sqe) {
        unsafe { io_uring_prep_rw(IORING_OP_NOP.into(), sqe, -1, std::ptr::null(), 0, 0) };
    }

    #[inline]
    pub unsafe fn io_uring_sqe_set_data64(sqe: *mut io_uring_sqe, data: u64) {
        unsafe { (*sqe).user_data = data };
    }

    #[inline]
    pub unsafe fn io_uring_cqe_get_data64(cqe: *const io_uring_cqe) -> u64 {
        unsafe { (*cqe).user_data }
    }

    #[inline]
    pub unsafe fn io_uring_sq_ready(ring: *const io_uring) -> c_uint {
        let ring = unsafe { &*ring };
        let mut khead = unsafe { *ring.sq.khead };
        if ring.flags & IORING_SETUP_SQPOLL != 0 {
            khead = unsafe { atomic(ring.sq.khead) }.load(Ordering::Acquire);
        }
        ring.sq.sqe_tail.wrapping_sub(khead)
    }

    #[inline]
    pub unsafe fn io_uring_cq_ready(ring: *const io_uring) -> c_uint {
        let ring = unsafe { &*ring };
        let tail = unsafe { atomic(ring.cq.ktail) }.load(Ordering::Acquire);
        tail.wrapping_sub(unsafe { *ring.cq.khead })
    }

    #[inline]
    pub unsafe fn io_uring_cq_advance(ring: *mut io_uring, nr: c_uint) {
        if nr != 0 {
            let cq = unsafe { &(*ring).cq };
            // The C code reads *khead non-atomically, then stores with release.
            let head = unsafe { *cq.khead };
            unsafe { atomic(cq.khead) }.store(head.wrapping_add(nr), Ordering::Release);
        }
    }

    #[inline]
    pub unsafe fn io_uring_cqe_seen(ring: *mut io_uring, cqe: *mut io_uring_cqe) {
        if !cqe.is_null() {
            unsafe { io_uring_cq_advance(ring, 1) };
        }
    }

    #[inline]
    pub unsafe fn __io_uring_peek_cqe(
        ring: *mut io_uring,
        cqe_ptr: *mut *mut io_uring_cqe,
        nr_available: *mut c_uint,
    ) -> c_int {
        let mut cqe;
        let mut err = 0;
        let mut available;
        let r = unsafe { &*ring };
        let mask = r.cq.ring_mask;
        let shift = u32::from(r.flags & IORING_SETUP_CQE32 != 0);
        loop {
            let tail = unsafe { atomic(r.cq.ktail) }.load(Ordering::Acquire);
            let head = unsafe { *r.cq.khead };
            cqe = std::ptr::null_mut();
            available = tail.wrapping_sub(head);
            if available == 0 {
                break;
            }
            cqe = unsafe { r.cq.cqes.add(((head & mask) << shift) as usize) };
            if r.features & IORING_FEAT_EXT_ARG == 0
                && unsafe { (*cqe).user_data } == LIBURING_UDATA_TIMEOUT
            {
                if unsafe { (*cqe).res } < 0 {
                    err = unsafe { (*cqe).res };
                }
                unsafe { io_uring_cq_advance(ring, 1) };
                if err == 0 {
                    continue;
                }
                cqe = std::ptr::null_mut();
            }
            break;
        }
        unsafe { *cqe_ptr = cqe };
        if !nr_available.is_null() {
            unsafe { *nr_available = available };
        }
        err
    }

    #[inline]
    pub unsafe fn io_uring_peek_cqe(ring: *mut io_uring, cqe_ptr: *mut *mut io_uring_cqe) -> c_int {
        if unsafe { __io_uring_peek_cqe(ring, cqe_ptr, std::ptr::null_mut()) } == 0
            && unsafe { !(*cqe_ptr).is_null() }
        {
            return 0;
        }
        // io_uring_wait_cqe_nr(ring, cqe_ptr, 0), itself inline: liburing's
        // __io_uring_get_cqe, a system call; the benchmark never gets here.
        unsafe { uring_sys::__io_uring_get_cqe(ring, cqe_ptr, 0, 0, std::ptr::null_mut()) }
    }
}
