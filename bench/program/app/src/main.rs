//! The larger program of the benchmark: an object table (`objects`), a
//! hash set (`hashing`), an io_uring loop (`ring`), and helpers of its own.
//! Prints one checksum line, the same however it is built.

use bench_sys::*;

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut table = objects::Table::new(256);
    let mut set = hashing::Set::with_capacity(n as usize);
    let mut state = 0x9e37_79b9u32;
    let mut lasts = 0u64;
    for i in 0..n {
        // SAFETY: plain arithmetic on integers.
        state = unsafe { bench_rol32(state ^ i, 5).wrapping_mul(0x85eb_ca6b) };
        set.insert(state | 1);
        table.touch(state as usize);
        lasts += u64::from(table.put(state as usize));
        if i % 3 == 0 {
            // The reference `Table::new` gave: some objects reach zero.
            lasts += u64::from(table.put(state as usize >> 3));
        }
    }
    // Half the keys asked for again are there, the other half mostly not.
    let hits = (0..n)
        .filter(|&i| set.contains(if i % 2 == 0 { state | 1 } else { i | 1 }))
        .count();
    let uring = match ring::Ring::new(64) {
        Ok(mut r) => (0..n / 32)
            .map(|b| r.round_trip(u64::from(b) * 32, 32))
            .sum::<u64>(),
        Err(e) => {
            eprintln!("io_uring unavailable ({e}): its part counts 0");
            0
        }
    };
    println!(
        "checksum={} keys={} hits={hits} lasts={lasts} uring={uring}",
        table.checksum() ^ set.checksum(),
        set.len()
    );
}
