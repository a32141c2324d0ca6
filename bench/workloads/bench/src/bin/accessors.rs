//! accessors: getters and setters of a C struct (`bench_obj`) from a
//! header, six to eight calls per operation, over 256 objects.

#[path = "../common.rs"]
mod common;

use common::ops::*;

#[inline(never)]
fn run_workload(n: u64) -> u64 {
    let mut objs: Vec<bench_obj> = (0..256u32)
        .map(|i| bench_obj {
            id: i,
            flags: i & 0xf0,
            len: u64::from(i) * 3,
            prio: i as i32 - 128,
            kind: (i % 7) as u16,
            seq: 0,
            data: std::ptr::null_mut(),
        })
        .collect();
    let base = std::hint::black_box(objs.as_mut_ptr());
    let mut sum = 0u64;
    // SAFETY: `base` points to 256 live objects; the index is masked.
    unsafe {
        for i in 0..n {
            let o = base.add((i & 255) as usize);
            let len = bench_obj_len(o);
            let prio = bench_obj_prio(o);
            bench_obj_set_len(o, len.wrapping_add(prio as i64 as u64).wrapping_add(u64::from(bench_obj_kind(o))));
            if bench_obj_test_flag(o, 3) {
                bench_obj_clear_flag(o, 3);
                sum = sum.wrapping_add(u64::from(bench_obj_id(o)));
            } else {
                bench_obj_set_flag(o, 3);
            }
            bench_obj_set_prio(o, prio ^ 1);
            bench_obj_bump_seq(o);
        }
    }
    objs.iter().fold(sum, |acc, o| {
        acc.wrapping_mul(31)
            .wrapping_add(o.len ^ u64::from(o.flags) ^ o.prio as u64 ^ u64::from(o.seq))
    })
}

fn main() {
    common::measure(common::ops_arg(), run_workload);
}
