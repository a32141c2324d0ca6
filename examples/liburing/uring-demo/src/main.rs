//! Drives io_uring through liburing's `static inline` API (bound by
//! `liburing-sys`) and checks every completion:
//!
//! 1. NOPs, each with its own `user_data`, waited for and peeked;
//! 2. a file this program writes, read back with `io_uring_prep_read` in
//!    chunks (and `io_uring_prep_readv` into two buffers), every byte
//!    compared;
//! 3. a hot loop, [`uring_hot_nop_loop`]: batches of NOPs prepared,
//!    submitted and retired, where nearly every call is to a `static
//!    inline` function of liburing.
//!
//! Standard output is deterministic (counts and checksums); the hot loop's
//! time goes to standard error. `uring-demo [NOPS]` sets the hot loop's
//! count (1,000,000 by default). If the kernel refuses io_uring (seccomp,
//! `kernel.io_uring_disabled`), the program says `io_uring not available:
//! ...` and exits with [`EXIT_UNAVAILABLE`].

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::ptr;
use std::time::Instant;

use liburing_sys as sys;

/// The exit code when io_uring is not allowed here (automake's "skipped").
const EXIT_UNAVAILABLE: u8 = 77;

/// Linux's `EPERM` and `ENOSYS`: what `io_uring_setup` fails with when
/// io_uring is disabled (sysctl, seccomp) or absent.
const EPERM: i32 = 1;
const ENOSYS: i32 = 38;

/// Submission queue entries.
const ENTRIES: u32 = 64;

/// NOPs of the first part.
const NOPS: u64 = 1000;

/// The file of the second part: not a multiple of the chunk size.
const FILE_LEN: usize = (1 << 20) + 1234;
const CHUNK: usize = 16 * 1024;

/// The hot loop's batch size.
const BATCH: u32 = 32;

/// An initialized ring, torn down on drop. Boxed: liburing's `struct
/// io_uring` stays where `io_uring_queue_init` filled it.
struct Ring(Box<sys::io_uring>);

impl Ring {
    /// `io_uring_queue_init`, or the positive errno it failed with.
    fn new(entries: u32) -> Result<Ring, i32> {
        // SAFETY: `struct io_uring` is plain data; all zeroes is a valid
        // (uninitialized) value, which `io_uring_queue_init` fills in.
        let mut ring: Box<sys::io_uring> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: `ring` points to a writable `struct io_uring`.
        let ret = unsafe { sys::io_uring_queue_init(entries, &mut *ring, 0) };
        if ret < 0 {
            Err(-ret)
        } else {
            Ok(Ring(ring))
        }
    }

    fn raw(&mut self) -> *mut sys::io_uring {
        &mut *self.0
    }

    /// The next free submission queue entry; the queue must have room.
    fn sqe(&mut self) -> *mut sys::io_uring_sqe {
        // SAFETY: the ring is initialized.
        let sqe = unsafe { sys::io_uring_get_sqe(self.raw()) };
        assert!(!sqe.is_null(), "submission queue full");
        sqe
    }

    /// Submits what was prepared; the number of entries submitted.
    fn submit(&mut self) -> u32 {
        // SAFETY: the ring is initialized.
        let ret = unsafe { sys::io_uring_submit(self.raw()) };
        assert!(ret >= 0, "io_uring_submit: {}", errno_text(-ret));
        ret as u32
    }

    /// Waits for a completion, returns its `(user_data, res)` and marks it
    /// seen.
    fn wait(&mut self) -> (u64, i32) {
        let mut cqe = ptr::null_mut();
        // SAFETY: the ring is initialized; `cqe` receives a pointer into
        // the completion queue, valid until `io_uring_cqe_seen`.
        unsafe {
            let ret = sys::io_uring_wait_cqe(self.raw(), &mut cqe);
            assert!(ret == 0, "io_uring_wait_cqe: {}", errno_text(-ret));
            let done = (sys::io_uring_cqe_get_data64(cqe), (*cqe).res);
            sys::io_uring_cqe_seen(self.raw(), cqe);
            done
        }
    }

    /// A completion if one is ready, as [`Ring::wait`].
    fn peek(&mut self) -> Option<(u64, i32)> {
        let mut cqe = ptr::null_mut();
        // SAFETY: as in `wait`.
        unsafe {
            if sys::io_uring_peek_cqe(self.raw(), &mut cqe) != 0 {
                return None;
            }
            let done = (sys::io_uring_cqe_get_data64(cqe), (*cqe).res);
            sys::io_uring_cqe_seen(self.raw(), cqe);
            Some(done)
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: the ring was initialized and is not used after this.
        unsafe { sys::io_uring_queue_exit(self.raw()) };
    }
}

fn errno_text(errno: i32) -> std::io::Error {
    std::io::Error::from_raw_os_error(errno)
}

/// Part 1: `count` NOPs with `user_data` 1..=count, in batches as large as
/// the queue allows; each completion waited for (the first of a batch) or
/// peeked, its `res` checked, its `user_data` seen exactly once.
fn nops(ring: &mut Ring, count: u64) {
    let mut seen = vec![false; count as usize + 1];
    let mut next = 1;
    let mut completed = 0u64;
    let mut sum = 0u64;
    while completed < count {
        // SAFETY: the ring is initialized.
        let room = u64::from(unsafe { sys::io_uring_sq_space_left(ring.raw()) });
        let batch = room.min(count + 1 - next);
        for _ in 0..batch {
            let sqe = ring.sqe();
            // SAFETY: `sqe` is a free entry of this ring.
            unsafe {
                sys::io_uring_prep_nop(sqe);
                sys::io_uring_sqe_set_data64(sqe, next);
            }
            next += 1;
        }
        // SAFETY: the ring is initialized.
        assert_eq!(unsafe { sys::io_uring_sq_ready(ring.raw()) } as u64, batch);
        assert_eq!(u64::from(ring.submit()), batch);
        let mut retired = 0;
        while retired < batch {
            let (data, res) = match ring.peek() {
                Some(done) => done,
                None => ring.wait(),
            };
            assert_eq!(res, 0, "NOP {data} failed: {}", errno_text(-res));
            assert!(
                (1..next).contains(&data) && !seen[data as usize],
                "NOP completion with unexpected user_data {data}"
            );
            seen[data as usize] = true;
            sum += data;
            retired += 1;
        }
        completed += retired;
    }
    // SAFETY: the ring is initialized.
    assert_eq!(unsafe { sys::io_uring_cq_ready(ring.raw()) }, 0);
    assert!(seen[1..].iter().all(|&s| s));
    println!(
        "nop: {count} submitted, {completed} completed, res 0 each, every user_data once, sum {sum}"
    );
}

/// The file's contents: xorshift64 bytes.
fn file_bytes(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 56) as u8
        })
        .collect()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Part 2: writes a file, reads it back with io_uring and compares.
fn file_reads(ring: &mut Ring) {
    let expected = file_bytes(FILE_LEN);
    let path = std::env::temp_dir().join(format!("uring-demo-{}.dat", std::process::id()));
    {
        let mut file = File::create(&path).expect("cannot create the test file");
        file.write_all(&expected)
            .expect("cannot write the test file");
    }
    let file = File::open(&path).expect("cannot open the test file");
    std::fs::remove_file(&path).expect("cannot remove the test file");
    let fd = file.as_raw_fd();

    // Chunks read into their place in `out`, at most ENTRIES in flight;
    // user_data is the chunk's index. One more read starts at the end of
    // the file and must return 0.
    let chunks = FILE_LEN.div_ceil(CHUNK);
    let mut out = vec![0u8; FILE_LEN + CHUNK];
    let base = out.as_mut_ptr();
    let mut next = 0;
    let mut done = vec![false; chunks + 1];
    let mut completed = 0;
    while completed < chunks + 1 {
        // SAFETY: the ring is initialized.
        while next <= chunks
            && next - completed < ENTRIES as usize
            && unsafe { sys::io_uring_sq_space_left(ring.raw()) } > 0
        {
            let offset = next * CHUNK;
            let sqe = ring.sqe();
            // SAFETY: `sqe` is a free entry; the buffer is the chunk's own
            // part of `out`, not touched until every read completed.
            unsafe {
                sys::io_uring_prep_read(
                    sqe,
                    fd,
                    base.add(offset).cast(),
                    CHUNK as u32,
                    offset as u64,
                );
                sys::io_uring_sqe_set_data64(sqe, next as u64);
            }
            next += 1;
        }
        ring.submit();
        let (index, res) = ring.wait();
        let index = index as usize;
        assert!(
            index <= chunks && !done[index],
            "read completion for chunk {index}"
        );
        done[index] = true;
        let want = FILE_LEN.saturating_sub(index * CHUNK).min(CHUNK);
        assert!(
            res >= 0,
            "read of chunk {index} failed: {}",
            errno_text(-res)
        );
        assert_eq!(res as usize, want, "read of chunk {index}");
        completed += 1;
    }
    assert_eq!(
        &out[..FILE_LEN],
        &expected[..],
        "the bytes read differ from the file's"
    );
    println!(
        "read: {FILE_LEN} bytes in {chunks} reads of up to {CHUNK} bytes, each complete, fnv1a {:#018x}; read at end of file: 0 bytes",
        fnv1a(&out[..FILE_LEN])
    );

    // readv into two buffers, from an offset in the middle of a chunk.
    let mut first = [0u8; 60];
    let mut second = [0u8; 40];
    let iov = [
        sys::iovec {
            iov_base: first.as_mut_ptr().cast(),
            iov_len: first.len(),
        },
        sys::iovec {
            iov_base: second.as_mut_ptr().cast(),
            iov_len: second.len(),
        },
    ];
    let offset = 3 * CHUNK + 100;
    let sqe = ring.sqe();
    // SAFETY: `sqe` is a free entry; the iovecs and their buffers outlive
    // the completion waited for below.
    unsafe {
        sys::io_uring_prep_readv(sqe, fd, iov.as_ptr(), iov.len() as u32, offset as u64);
        sys::io_uring_sqe_set_data64(sqe, 0xdead_beef);
    }
    ring.submit();
    let (data, res) = ring.wait();
    assert_eq!((data, res), (0xdead_beef, 100), "readv completion");
    assert_eq!(&first[..], &expected[offset..offset + 60]);
    assert_eq!(&second[..], &expected[offset + 60..offset + 100]);
    println!("readv: 2 buffers, 100 bytes at offset {offset}, match");
}

/// Part 3, the hot loop: `total` NOPs, `batch` at a time, prepared
/// (`io_uring_get_sqe`, `io_uring_prep_nop`, `io_uring_sqe_set_data64`),
/// submitted with one `io_uring_submit_and_wait`, and retired
/// (`io_uring_peek_cqe`, `io_uring_cqe_get_data64`, `io_uring_cqe_seen`).
/// Returns the completions and the sum of their `user_data`.
///
/// All but `io_uring_submit_and_wait` are `static inline` in liburing:
/// called through their C wrappers with `cargo build`, inlined here with
/// `cargo cinline build`.
#[inline(never)]
fn uring_hot_nop_loop(ring: *mut sys::io_uring, total: u64, batch: u32) -> (u64, u64) {
    let mut next = 0u64;
    let mut completed = 0u64;
    let mut sum = 0u64;
    while next < total {
        let n = u64::from(batch).min(total - next) as u32;
        for _ in 0..n {
            // SAFETY: the ring is initialized and its queue empty at the
            // start of a batch, with room for `batch` entries.
            unsafe {
                let sqe = sys::io_uring_get_sqe(ring);
                if sqe.is_null() {
                    panic!("submission queue full");
                }
                sys::io_uring_prep_nop(sqe);
                sys::io_uring_sqe_set_data64(sqe, next);
            }
            next += 1;
        }
        // SAFETY: the ring is initialized.
        let ret = unsafe { sys::io_uring_submit_and_wait(ring, n) };
        assert!(ret == n as i32, "io_uring_submit_and_wait: {ret}");
        let mut cqe = ptr::null_mut();
        // SAFETY: the ring is initialized; each `cqe` is valid until seen.
        while unsafe { sys::io_uring_peek_cqe(ring, &mut cqe) } == 0 {
            // SAFETY: `cqe` is the completion just peeked.
            unsafe {
                if (*cqe).res != 0 {
                    panic!("NOP failed: {}", (*cqe).res);
                }
                sum = sum.wrapping_add(sys::io_uring_cqe_get_data64(cqe));
                sys::io_uring_cqe_seen(ring, cqe);
            }
            completed += 1;
        }
    }
    (completed, sum)
}

fn main() -> ExitCode {
    let hot: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("usage: uring-demo [NOPS]"))
        .unwrap_or(1_000_000);

    let mut ring = match Ring::new(ENTRIES) {
        Ok(ring) => ring,
        Err(errno @ (EPERM | ENOSYS)) => {
            println!("io_uring not available: {}", errno_text(errno));
            return ExitCode::from(EXIT_UNAVAILABLE);
        }
        Err(errno) => {
            eprintln!("io_uring_queue_init: {}", errno_text(errno));
            return ExitCode::FAILURE;
        }
    };
    println!(
        "ring: {} submission entries, {} completion entries",
        ring.0.sq.ring_entries, ring.0.cq.ring_entries
    );

    nops(&mut ring, NOPS);
    file_reads(&mut ring);

    let start = Instant::now();
    let (completed, sum) = uring_hot_nop_loop(ring.raw(), hot, BATCH);
    let elapsed = start.elapsed();
    assert_eq!(completed, hot, "hot loop completions");
    assert_eq!(
        sum,
        hot * hot.saturating_sub(1) / 2,
        "hot loop user_data sum"
    );
    println!("hot: {hot} NOPs in batches of {BATCH}: {completed} completions, user_data sum {sum}");
    eprintln!(
        "hot loop: {:.1} ms, {:.1} ns per NOP",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_nanos() as f64 / hot.max(1) as f64
    );
    ExitCode::SUCCESS
}
