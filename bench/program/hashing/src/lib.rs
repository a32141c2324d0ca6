//! An open-addressing hash set of `u32` keys, hashed with the kernel's
//! `hash_32` and sized with `fls64`, from bench.h.

use bench_sys::*;

/// A set of non-zero `u32` keys.
pub struct Set {
    slots: Vec<u32>,
    bits: u32,
    len: usize,
}

impl Set {
    /// A set for about `n` keys.
    pub fn with_capacity(n: usize) -> Set {
        // SAFETY: plain arithmetic on integers.
        let bits = unsafe { bench_fls64((n as u64 * 2).max(8)) };
        Set {
            slots: vec![0; 1 << bits],
            bits,
            len: 0,
        }
    }

    /// Adds `key` (not 0); true if it was not there.
    pub fn insert(&mut self, key: u32) -> bool {
        assert!(key != 0, "0 marks an empty slot");
        let mask = self.slots.len() - 1;
        // SAFETY: plain arithmetic on integers.
        let mut i = unsafe { bench_hash_32(key, self.bits) } as usize;
        loop {
            match self.slots[i & mask] {
                0 => {
                    self.slots[i & mask] = key;
                    self.len += 1;
                    return true;
                }
                k if k == key => return false,
                _ => i += 1,
            }
        }
    }

    /// Whether `key` is in the set.
    pub fn contains(&self, key: u32) -> bool {
        let mask = self.slots.len() - 1;
        // SAFETY: plain arithmetic on integers.
        let mut i = unsafe { bench_hash_32(key, self.bits) } as usize;
        loop {
            match self.slots[i & mask] {
                0 => return false,
                k if k == key => return true,
                _ => i += 1,
            }
        }
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of bits set over all keys, rotated by their slot.
    pub fn checksum(&self) -> u64 {
        self.slots
            .iter()
            .enumerate()
            // SAFETY: plain arithmetic on integers.
            .map(|(i, &k)| unsafe {
                u64::from(bench_rol32(k, i as u32 & 31)) + u64::from(bench_hweight64(u64::from(k)))
            })
            .sum()
    }
}
