//! A table of objects, each with a kernel-style reference count and a C
//! struct read and written through bench.h's accessors.

use bench_sys::*;

/// Objects by slot, with their reference counts.
pub struct Table {
    objects: Vec<bench_obj>,
    refs: Vec<bench_refcount_t>,
}

impl Table {
    /// `n` objects, each with one reference.
    pub fn new(n: usize) -> Table {
        let mut table = Table {
            // SAFETY: `bench_obj` is plain C data; all zeroes is a valid value.
            objects: (0..n).map(|_| unsafe { std::mem::zeroed() }).collect(),
            refs: (0..n).map(|_| bench_refcount_t { refs: 0 }).collect(),
        };
        for (i, (o, r)) in table.objects.iter_mut().zip(&mut table.refs).enumerate() {
            o.id = i as u32;
            // SAFETY: both point to live values of the table.
            unsafe {
                bench_obj_set_len(o, (i as u64) * 8);
                bench_obj_set_prio(o, (i % 7) as i32 - 3);
                bench_refcount_set(r, 1);
            }
        }
        table
    }

    /// Takes a reference to object `i` and updates it; returns its length.
    pub fn touch(&mut self, i: usize) -> u64 {
        let i = i % self.objects.len();
        let (o, r) = (&mut self.objects[i], &mut self.refs[i]);
        // SAFETY: both point to live values of the table.
        unsafe {
            bench_refcount_inc(r);
            bench_obj_bump_seq(o);
            if bench_obj_prio(o) > 0 {
                bench_obj_set_flag(o, 3);
            } else {
                bench_obj_clear_flag(o, 3);
            }
            bench_obj_set_len(o, bench_obj_len(o) + 1);
            bench_obj_len(o)
        }
    }

    /// Drops a reference to object `i`; true when it was the last one (the
    /// object then starts again with one).
    pub fn put(&mut self, i: usize) -> bool {
        let i = i % self.objects.len();
        let r = &mut self.refs[i];
        // SAFETY: `r` points to a live count.
        unsafe {
            let last = bench_refcount_dec_and_test(r);
            if last {
                bench_refcount_set(r, 1);
            }
            last
        }
    }

    /// A summary of every object: ids, lengths, flags and counts.
    pub fn checksum(&self) -> u64 {
        self.objects
            .iter()
            .zip(&self.refs)
            .map(|(o, r)| {
                // SAFETY: both point to live values of the table.
                unsafe {
                    u64::from(bench_obj_id(o))
                        ^ bench_obj_len(o).rotate_left(7)
                        ^ u64::from(bench_obj_test_flag(o, 3))
                        ^ (bench_refcount_read(r) as u64) << 32
                }
            })
            .fold(0, |a, x| a.wrapping_mul(31).wrapping_add(x))
    }
}
