//! Which of a pool's devices at t=0 belong to which user, in about two bits
//! per device: each user's devices are consecutive, so the pool writes, user
//! after user, a one and then a zero per device (unary code), and finds a
//! user's range by the position of its one (select), helped by the position
//! of every 64th one.

/// The users of one pool and their devices at t=0.
#[derive(Default)]
pub(super) struct Users {
    bits: Vec<u64>,
    len: u64,
    /// Position of every 64th one.
    samples: Vec<u64>,
    ones: u64,
}

impl Users {
    fn push_bit(&mut self, one: bool) {
        let (w, b) = ((self.len / 64) as usize, self.len % 64);
        if w == self.bits.len() {
            self.bits.push(0);
        }
        if one {
            if self.ones.is_multiple_of(64) {
                self.samples.push(self.len);
            }
            self.ones += 1;
            self.bits[w] |= 1 << b;
        }
        self.len += 1;
    }

    /// Adds the next user, who has `devices` devices at t=0 (the next ones).
    pub(super) fn push_user(&mut self, devices: u32) {
        self.push_bit(true);
        for _ in 0..devices {
            self.push_bit(false);
        }
    }

    /// Ends the list: every user pushed so far has its range.
    pub(super) fn finish(&mut self) {
        self.push_bit(true);
    }

    /// Position of the `k`-th one (from 0).
    fn select(&self, k: u64) -> u64 {
        let mut pos = self.samples[(k / 64) as usize];
        let mut left = k % 64; // ones still to pass after the sample's
        let mut w = (pos / 64) as usize;
        // The word holding the sample, without the bits below it.
        let mut word = self.bits[w] & (!0u64 << (pos % 64));
        loop {
            let n = word.count_ones() as u64;
            if left < n {
                for _ in 0..left {
                    word &= word - 1; // drop the lowest one
                }
                pos = w as u64 * 64 + word.trailing_zeros() as u64;
                return pos;
            }
            left -= n;
            w += 1;
            word = self.bits[w];
        }
    }

    /// User `u`'s devices at t=0: the first one and how many.
    pub(super) fn devices(&self, u: u32) -> (u32, u32) {
        let (a, b) = (self.select(u as u64), self.select(u as u64 + 1));
        ((a - u as u64) as u32, (b - a - 1) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_gets_their_range_back() {
        let counts: Vec<u32> = (0..1000u32).map(|i| (i * 7 + i / 13) % 5).collect();
        let mut u = Users::default();
        for &c in &counts {
            u.push_user(c);
        }
        u.finish();
        let mut first = 0;
        for (i, &c) in counts.iter().enumerate() {
            assert_eq!(u.devices(i as u32), (first, c), "user {i}");
            first += c;
        }
    }

    #[test]
    fn large_users_span_words() {
        let mut u = Users::default();
        for c in [0, 200, 0, 0, 65, 1] {
            u.push_user(c);
        }
        u.finish();
        assert_eq!(u.devices(1), (0, 200));
        assert_eq!(u.devices(3), (200, 0));
        assert_eq!(u.devices(4), (200, 65));
        assert_eq!(u.devices(5), (265, 1));
    }
}
