//! A piecewise-constant rate over simulated time, and the walk that inverts
//! its integral: the exact way to time a non-homogeneous Poisson process
//! (draw the gap in units of "rate × time", then walk), and to add a
//! duration counted only in some hours (a rate of 1 in them, 0 elsewhere).

use super::SimTime;

/// A rate that is constant on each stretch `[starts[i], starts[i + 1])`,
/// with the last stretch ending at `end`; zero everywhere else.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepCurve {
    starts: Vec<u64>,
    rates: Vec<f64>,
    end: u64,
}

impl StepCurve {
    /// From stretches `(start µs, rate)` in increasing order of start, the
    /// first at 0, up to `end`. Neighbours with the same rate are joined.
    pub fn new(stretches: impl IntoIterator<Item = (u64, f64)>, end: u64) -> StepCurve {
        let mut c = StepCurve {
            end,
            ..StepCurve::default()
        };
        for (s, r) in stretches {
            debug_assert!(c.starts.last().is_none_or(|&l| l <= s));
            if s >= end {
                break;
            }
            if c.starts.last() == Some(&s) {
                *c.rates.last_mut().expect("a rate per start") = r;
            } else if c.rates.last() != Some(&r) {
                c.starts.push(s);
                c.rates.push(r);
            }
        }
        c
    }

    /// The rate at `t`.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        if t.0 >= self.end {
            return 0.0;
        }
        match self.starts.partition_point(|&s| s <= t.0) {
            0 => 0.0,
            i => self.rates[i - 1],
        }
    }

    /// The first instant at or after `from` by which the rate's integral
    /// since `from` reaches `amount` (in rate × µs), entering only stretches
    /// with a positive rate: a zero `amount` at a zero rate waits for the
    /// next positive stretch. `NEVER` when the curve ends first. With a rate
    /// of 1 throughout this is `from + amount`, truncated to the µs.
    pub fn walk(&self, from: SimTime, amount: f64) -> SimTime {
        let mut i = self.starts.partition_point(|&s| s <= from.0).saturating_sub(1);
        let (mut t, mut left) = (from.0, amount);
        while i < self.starts.len() {
            let end = self.starts.get(i + 1).copied().unwrap_or(self.end);
            let r = self.rates[i];
            if t < end && r > 0.0 {
                let t = t.max(self.starts[i]);
                let room = (end - t) as f64 * r;
                if left < room {
                    return SimTime(t + (left / r) as u64);
                }
                left -= room;
            }
            t = t.max(end);
            i += 1;
        }
        SimTime::NEVER
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_inverts_the_integral_and_skips_zero_stretches() {
        // Rate 1 on [0, 10), 0 on [10, 20), 2 on [20, 30).
        let c = StepCurve::new([(0, 1.0), (10, 0.0), (20, 2.0)], 30);
        assert_eq!(c.walk(SimTime(0), 4.0), SimTime(4));
        assert_eq!(c.walk(SimTime(8), 4.0), SimTime(21));
        assert_eq!(c.walk(SimTime(12), 0.0), SimTime(20));
        assert_eq!(c.walk(SimTime(25), 10.0), SimTime::NEVER);
        assert_eq!(c.rate_at(SimTime(15)), 0.0);
        assert_eq!(c.rate_at(SimTime(29)), 2.0);
        // A constant rate of 1 adds exactly, whatever the stretches.
        let ones = StepCurve::new((0..100).map(|h| (h * 7, 1.0)), 700);
        assert_eq!(ones.walk(SimTime(3), 650.75), SimTime(653));
    }
}
