//! The records of the devices something is happening to, in an
//! open-addressing table of their own. A device's slot is a function of its
//! number alone, so the event loop can start loading the slot of an event
//! it will handle soon (`prefetch`): among millions of records, each lookup
//! is otherwise a main-memory miss, which `std`'s map gives no way to hide.
//! Linear probing, at most three quarters full, deletion by shifting the
//! following entries back (no tombstones, so lookups stay short).

use super::Track;
use crate::engine::memory::{self, prefetch};

/// No device: device numbers are below `u32::MAX` (`fleet::NONE`).
const EMPTY: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Slot {
    device: u32,
    track: Track,
}

/// Tracked devices' `Track` records by device number.
pub(super) struct Tracks {
    slots: Vec<Slot>,
    /// log2 of the number of slots.
    bits: u32,
    len: usize,
}

impl Default for Tracks {
    fn default() -> Self {
        Tracks::with_bits(6)
    }
}

impl Tracks {
    fn with_bits(bits: u32) -> Tracks {
        let empty = Slot {
            device: EMPTY,
            track: Track::default(),
        };
        Tracks {
            // Read at random among millions at 100 M connections.
            slots: memory::huge_page_filled(1 << bits, 0, empty),
            bits,
            len: 0,
        }
    }

    /// The home slot of `device`: Fibonacci hashing, which spreads
    /// consecutive device numbers over the table.
    #[inline]
    fn home(&self, device: u32) -> usize {
        ((device as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - self.bits)) as usize
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The slot holding `device`, if it has a record.
    #[inline]
    fn find(&self, device: u32) -> Option<usize> {
        let mut i = self.home(device);
        loop {
            match self.slots[i].device {
                d if d == device => return Some(i),
                EMPTY => return None,
                _ => i = (i + 1) & self.mask(),
            }
        }
    }

    /// Starts loading `device`'s home slot.
    #[inline]
    pub(super) fn prefetch(&self, device: u32) {
        prefetch(&self.slots[self.home(device)]);
    }

    /// `device`'s record.
    #[inline]
    pub(super) fn get(&self, device: u32) -> Option<&Track> {
        self.find(device).map(|i| &self.slots[i].track)
    }

    /// `device`'s record, to change.
    #[inline]
    pub(super) fn get_mut(&mut self, device: u32) -> Option<&mut Track> {
        self.find(device).map(|i| &mut self.slots[i].track)
    }

    /// Gives `device` (which has none) a record.
    pub(super) fn insert(&mut self, device: u32, track: Track) {
        debug_assert!(device != EMPTY && self.find(device).is_none());
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mut i = self.home(device);
        while self.slots[i].device != EMPTY {
            i = (i + 1) & self.mask();
        }
        self.slots[i] = Slot { device, track };
        self.len += 1;
    }

    /// Drops `device`'s record, if any.
    pub(super) fn remove(&mut self, device: u32) {
        let Some(mut hole) = self.find(device) else { return };
        self.len -= 1;
        // Shift back each following entry of the run whose home is not
        // between the hole and it (cyclically): a lookup for it passes the hole.
        let mask = self.mask();
        let mut i = hole;
        loop {
            i = (i + 1) & mask;
            let d = self.slots[i].device;
            if d == EMPTY {
                break;
            }
            let home = self.home(d);
            let stays = if hole <= i {
                hole < home && home <= i
            } else {
                hole < home || home <= i
            };
            if !stays {
                self.slots[hole] = self.slots[i];
                hole = i;
            }
        }
        self.slots[hole].device = EMPTY;
    }

    fn grow(&mut self) {
        let old = std::mem::replace(self, Tracks::with_bits(self.bits + 1));
        for s in old.slots.into_iter().filter(|s| s.device != EMPTY) {
            self.insert(s.device, s.track);
        }
    }

    /// Every record, in no particular order.
    pub(super) fn values(&self) -> impl Iterator<Item = &Track> {
        self.slots.iter().filter(|s| s.device != EMPTY).map(|s| &s.track)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::collections::HashMap;

    fn track(tenant: u32) -> Track {
        Track {
            tenant,
            ..Track::default()
        }
    }

    /// Random inserts, changes and removals (clustered device numbers, so
    /// that probe runs wrap and interleave) agree with `HashMap` throughout.
    #[test]
    fn behaves_as_a_map() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let (mut t, mut m) = (Tracks::default(), HashMap::new());
        for step in 0..200_000u32 {
            let device = rng.gen_range(0..3_000u32) * if step % 2 == 0 { 1 } else { 64 };
            match rng.gen_range(0..3) {
                0 if !m.contains_key(&device) => {
                    t.insert(device, track(step));
                    m.insert(device, step);
                }
                1 => {
                    if let (Some(a), Some(b)) = (t.get_mut(device), m.get_mut(&device)) {
                        a.tenant += 1;
                        *b += 1;
                    }
                }
                _ => {
                    t.remove(device);
                    m.remove(&device);
                }
            }
            assert_eq!(t.get(device).map(|x| x.tenant), m.get(&device).copied(), "step {step}");
        }
        assert_eq!((t.len, t.values().count()), (m.len(), m.len()));
        for (&d, &v) in &m {
            assert_eq!(t.get(d).map(|x| x.tenant), Some(v));
        }
    }
}
