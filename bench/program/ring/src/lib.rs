//! A submission loop over a real io_uring (`io_uring_queue_init`), through
//! liburing's inline API: no-op requests prepared, submitted to the kernel
//! (`io_uring_submit_and_wait`, a library call), their completions read.

use uring_sys::*;

/// A set-up ring, torn down when dropped.
pub struct Ring(Box<io_uring>);

impl Ring {
    /// A ring of `entries`, or why the system refused one.
    pub fn new(entries: u32) -> std::io::Result<Ring> {
        // SAFETY: `io_uring` is plain C data; liburing initializes it, or
        // fails and leaves it unused.
        let mut ring = Box::new(unsafe { std::mem::zeroed::<io_uring>() });
        let err = unsafe { io_uring_queue_init(entries, &mut *ring, 0) };
        match err {
            0 => Ok(Ring(ring)),
            e => Err(std::io::Error::from_raw_os_error(-e)),
        }
    }

    /// Queues `n` no-op requests tagged `first..first + n`, has the kernel
    /// complete them, and returns the sum of the tags read back.
    pub fn round_trip(&mut self, first: u64, n: u32) -> u64 {
        let ring: *mut io_uring = &mut *self.0;
        let mut sum = 0u64;
        // SAFETY: the ring is set up; every SQE and CQE pointer comes
        // from liburing.
        unsafe {
            for j in 0..u64::from(n) {
                let sqe = io_uring_get_sqe(ring);
                assert!(!sqe.is_null(), "submission queue full");
                io_uring_prep_nop(sqe);
                io_uring_sqe_set_data64(sqe, first + j);
            }
            let submitted = io_uring_submit_and_wait(ring, n);
            assert_eq!(submitted, n as i32, "submission failed");
            for _ in 0..io_uring_cq_ready(ring) {
                let mut cqe: *mut io_uring_cqe = std::ptr::null_mut();
                assert_eq!(io_uring_peek_cqe(ring, &mut cqe), 0, "no completion");
                sum = sum.wrapping_add(io_uring_cqe_get_data64(cqe));
                io_uring_cqe_seen(ring, cqe);
            }
        }
        sum
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: set up in `new`, no longer used.
        unsafe { io_uring_queue_exit(&mut *self.0) };
    }
}
