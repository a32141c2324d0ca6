//! Two hot loops over C that nobody rewrote for cinline: mimalloc's
//! allocation path (every `Box` below) and PipeWire's SPA pod builder and
//! parser (`static inline` in `<spa/pod/builder.h>`, `<spa/pod/parser.h>`,
//! called through libspa-sys's bindgen wrappers). The output is the same
//! however the C is linked.

use std::mem::MaybeUninit;

use libspa_sys as spa;
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// Allocates and frees `n` boxes, keeping up to 64 alive.
#[inline(never)]
fn alloc_hot_loop(n: u64) -> u64 {
    let mut sum = 0u64;
    let mut keep: Vec<Box<u64>> = Vec::with_capacity(64);
    for i in 0..n {
        let b = std::hint::black_box(Box::new(i));
        sum = sum.wrapping_add(*b);
        if keep.len() == 64 {
            keep.clear();
        }
        keep.push(b);
    }
    sum
}

/// Builds a struct pod of eight ints and a long, `n` times, and parses it
/// back.
#[inline(never)]
fn spa_hot_loop(n: u32) -> u64 {
    let mut buf = [0u8; 1024];
    let mut checksum: u64 = 0;
    // SAFETY: the builder and parser only touch `buf`, through the sizes
    // given; the frames live as long as their pods.
    unsafe {
        for i in 0..n {
            let mut b = MaybeUninit::<spa::spa_pod_builder>::zeroed().assume_init();
            spa::spa_pod_builder_init(&mut b, buf.as_mut_ptr().cast(), buf.len() as u32);
            let mut f = MaybeUninit::<spa::spa_pod_frame>::zeroed().assume_init();
            spa::spa_pod_builder_push_struct(&mut b, &mut f);
            for k in 0..8i32 {
                spa::spa_pod_builder_int(&mut b, (i as i32).wrapping_mul(31).wrapping_add(k));
            }
            spa::spa_pod_builder_long(&mut b, i as i64 * 1_000_003);
            let pod = spa::spa_pod_builder_pop(&mut b, &mut f) as *const spa::spa_pod;
            checksum = checksum.wrapping_add((*pod).size as u64);

            let mut p = MaybeUninit::<spa::spa_pod_parser>::zeroed().assume_init();
            spa::spa_pod_parser_init(&mut p, buf.as_ptr().cast(), b.state.offset);
            let mut pf = MaybeUninit::<spa::spa_pod_frame>::zeroed().assume_init();
            assert!(spa::spa_pod_parser_push_struct(&mut p, &mut pf) >= 0);
            let mut v: i32 = 0;
            while spa::spa_pod_parser_get_int(&mut p, &mut v) == 0 {
                checksum = checksum
                    .wrapping_mul(1_099_511_628_211)
                    .wrapping_add(v as u32 as u64);
            }
            spa::spa_pod_parser_pop(&mut p, &mut pf);
        }
    }
    checksum
}

fn main() {
    let ops: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let start = std::time::Instant::now();
    let sum = alloc_hot_loop(ops);
    let alloc_time = start.elapsed();
    let start = std::time::Instant::now();
    let checksum = spa_hot_loop(ops as u32);
    let spa_time = start.elapsed();
    println!("alloc: {ops} boxes, sum {sum}");
    println!("spa: {ops} pods, checksum {checksum:#018x}");
    if std::env::var_os("ZC_TIMES").is_some() {
        eprintln!(
            "alloc {:.3} s, spa {:.3} s",
            alloc_time.as_secs_f64(),
            spa_time.as_secs_f64()
        );
    }
}
