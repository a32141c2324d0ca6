//! What every workload binary shares: which functions it calls (the C ones
//! of `bench-sys`/`uring-sys`, or with `--features native` the Rust ones of
//! `bench-native`), its command line and its one line of output.
//!
//! `<workload> [OPS]` runs `OPS` operations (default 10,000,000) and prints
//! `checksum=C ops=N elapsed_ns=T`: `T` covers the operations only, not
//! start-up. The checksum is the same in every mode.

#![allow(dead_code, unused_imports)]

use std::time::Instant;

/// The functions of `bench.h`.
#[cfg(not(feature = "native"))]
pub use bench_sys as ops;
#[cfg(feature = "native")]
pub use bench_native as ops;

/// liburing.
#[cfg(not(feature = "native"))]
pub use uring_sys as uring;
#[cfg(feature = "native")]
pub use bench_native::uring;

/// The number of operations asked for on the command line.
pub fn ops_arg() -> u64 {
    match std::env::args().nth(1) {
        Some(s) => s.parse().unwrap_or_else(|_| {
            eprintln!("usage: {} [OPS]", std::env::args().next().unwrap_or_default());
            std::process::exit(64)
        }),
        None => 10_000_000,
    }
}

/// Times `run(n)` and prints the result line.
pub fn measure(n: u64, run: impl FnOnce(u64) -> u64) {
    let start = Instant::now();
    let checksum = run(std::hint::black_box(n));
    let elapsed = start.elapsed();
    println!("checksum={checksum} ops={n} elapsed_ns={}", elapsed.as_nanos());
}
