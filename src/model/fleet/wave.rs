//! A prompt-always wave without an event per device. In the per-connection
//! engine each eligible connection draws its turn, iid from `wave`, and
//! waits for it in the event queue: tens of millions of events after one
//! switch of a large fleet. Here the wave draws the turns' times in
//! increasing order (the order statistics of as many iid draws, one after
//! the other) and gives them, one by one, to the eligible devices in a
//! random order (a keyed permutation of the tenant's devices, skipping the
//! ineligible). A random order of the sorted draws is again iid draws, so
//! each device's turn has the per-connection engine's law; memory is one
//! bit per device (`WAVE`) and this record.

use crate::engine::rng::mix64;
use crate::engine::{Purpose, SimTime, Streams};
use crate::scenario::Dist;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// One running wave of one tenant.
pub(super) struct Wave {
    /// The tenant's wave epoch when it started: a later switch cancels it.
    pub(super) epoch: u16,
    /// When the switch came: turns are drawn from then.
    start: SimTime,
    /// Turns still to come.
    remaining: u64,
    /// ln P(a draw exceeds the last turn's), for the next order statistic.
    log_survival: f64,
    order: Permutation,
    /// Position in the order of the next device to look at.
    cursor: u32,
    rng: ChaCha8Rng,
}

impl Wave {
    /// A wave over the tenant's `space` devices (in the tenant's order), of
    /// which `eligible` have their `WAVE` bit set.
    pub(super) fn new(
        streams: &Streams,
        tenant: u32,
        change: usize,
        epoch: u16,
        space: u32,
        eligible: u64,
        start: SimTime,
    ) -> Wave {
        let mut rng = streams.stream(Purpose::WaveOrder, ((tenant as u64) << 16) | change as u64, 0);
        let order = Permutation::new(space, [rng.r#gen(), rng.r#gen(), rng.r#gen(), rng.r#gen()]);
        Wave {
            epoch,
            start,
            remaining: eligible,
            log_survival: 0.0,
            order,
            cursor: 0,
            rng,
        }
    }

    pub(super) fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The time of the next turn: the smallest of the remaining draws, all
    /// known to exceed the last one. With `j` draws left, the next is at
    /// probability 1 − (1 − p) · V^(1/j) for the last one's p and V uniform.
    pub(super) fn next_time(&mut self, wave: &Dist) -> SimTime {
        let v: f64 = 1.0 - self.rng.r#gen::<f64>(); // in (0, 1]
        self.log_survival += v.ln() / self.remaining as f64;
        self.remaining -= 1;
        self.start + wave.quantile_log_survival(self.log_survival)
    }

    /// The index `next_index` returns next (none once the order is done).
    pub(super) fn peek_index(&self) -> Option<u32> {
        (self.cursor < self.order.n).then(|| self.order.apply(self.cursor))
    }

    /// The next device index in the wave's order.
    pub(super) fn next_index(&mut self) -> u32 {
        let i = self.order.apply(self.cursor);
        self.cursor += 1;
        i
    }
}

/// A keyed pseudo-random permutation of `0..n`: a four-round Feistel
/// network on the smallest even number of bits that holds n, with cycle
/// walking (an index that lands outside `0..n` is permuted again).
struct Permutation {
    n: u32,
    half_bits: u32,
    keys: [u64; 4],
}

impl Permutation {
    fn new(n: u32, keys: [u64; 4]) -> Permutation {
        let bits = 64 - (n.max(2) as u64 - 1).leading_zeros();
        Permutation {
            n,
            half_bits: bits.div_ceil(2),
            keys,
        }
    }

    fn round(&self, x: u64) -> u64 {
        let h = self.half_bits;
        let mask = (1u64 << h) - 1;
        let (mut l, mut r) = (x >> h, x & mask);
        for k in self.keys {
            let f = mix64(r ^ k) & mask;
            (l, r) = (r, l ^ f);
        }
        (l << h) | r
    }

    fn apply(&self, i: u32) -> u32 {
        debug_assert!(i < self.n);
        let mut x = self.round(i as u64);
        while x >= self.n as u64 {
            x = self.round(x);
        }
        x as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permutation_is_a_bijection() {
        for n in [1u32, 2, 3, 5, 64, 100, 1000, 4097] {
            let p = Permutation::new(n, [1, 2, 3, n as u64]);
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let j = p.apply(i) as usize;
                assert!(!seen[j], "n = {n}: {j} twice");
                seen[j] = true;
            }
        }
    }

    /// The turns' times are the sorted sample of iid draws: each quarter of
    /// a uniform window gets a quarter of the turns, in increasing order.
    #[test]
    fn turns_come_in_order_with_the_waves_law() {
        let streams = Streams::new(3, 0);
        let dist = Dist::Uniform {
            min: SimTime(0),
            max: SimTime(1_000_000),
        };
        let n = 40_000u64;
        let mut w = Wave::new(&streams, 7, 0, 0, n as u32, n, SimTime(5));
        let mut last = SimTime::ZERO;
        let mut quarters = [0u64; 4];
        for _ in 0..n {
            let t = w.next_time(&dist);
            assert!(t >= last && t >= SimTime(5));
            last = t;
            quarters[(((t.0 - 5) * 4 / 1_000_001) as usize).min(3)] += 1;
        }
        assert_eq!(w.remaining(), 0);
        // Binomial sd = sqrt(40000 · 1/4 · 3/4) ≈ 87; allow 5 sd.
        for q in quarters {
            assert!((q as i64 - 10_000).abs() < 435, "{quarters:?}");
        }
        // The largest of n uniforms sits within a few 1/n of the end.
        assert!(last.0 > 5 + 1_000_000 - 200, "{last:?}");
    }

    #[test]
    fn exponential_turns_have_the_exponential_mean() {
        let streams = Streams::new(4, 0);
        let dist = Dist::Exponential { mean: 1e6 };
        let n = 50_000u64;
        let mut w = Wave::new(&streams, 1, 2, 0, n as u32, n, SimTime::ZERO);
        let mean = (0..n).map(|_| w.next_time(&dist).0 as f64).sum::<f64>() / n as f64;
        // The sd of a mean of 50,000 exponentials is 1e6 / 224 ≈ 4,500.
        assert!((mean - 1e6).abs() < 25_000.0, "{mean}");
    }
}
