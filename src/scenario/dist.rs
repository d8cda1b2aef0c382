//! Validated distributions of durations and counts, and how to draw from them.

use crate::engine::SimTime;
use rand::Rng;
use rand_distr::{Distribution, Poisson, StandardNormal};

/// Largest duration a draw may return: far past any horizon, far from overflow.
const MAX_DRAW_US: f64 = (u64::MAX / 8) as f64;

/// A distribution of durations, parameters in microseconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always `value`.
    Fixed(SimTime),
    /// Uniform between `min` and `max` (inclusive).
    Uniform { min: SimTime, max: SimTime },
    /// Exponential with the given mean.
    Exponential { mean: f64 },
    /// Log-normal: `ln X ~ N(mu, sigma²)`, so the median is `e^mu`.
    LogNormal { mu: f64, sigma: f64 },
}

fn to_time(us: f64) -> SimTime {
    SimTime(us.clamp(0.0, MAX_DRAW_US).round() as u64)
}

/// A uniform draw in [0, 1).
fn unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    rng.r#gen::<f64>()
}

impl Dist {
    /// One draw.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        match *self {
            Dist::Fixed(v) => v,
            Dist::Uniform { min, max } => SimTime(rng.gen_range(min.0..=max.0)),
            Dist::Exponential { mean } => to_time(-mean * (1.0 - unit(rng)).ln()),
            Dist::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                to_time((mu + sigma * z).exp())
            }
        }
    }

    /// A draw from the residual life of a renewal process with these
    /// intervals (its equilibrium distribution): where a process that has run
    /// forever stands when observed at a random instant. `U · L`, with `L`
    /// drawn length-biased, has exactly that law.
    pub fn sample_residual<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        match *self {
            Dist::Fixed(v) => to_time(unit(rng) * v.0 as f64),
            Dist::Uniform { min, max } => {
                let (a, b) = (min.0 as f64, max.0 as f64);
                let length = (a * a + unit(rng) * (b * b - a * a)).sqrt();
                to_time(unit(rng) * length)
            }
            Dist::Exponential { .. } => self.sample(rng),
            Dist::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                to_time(unit(rng) * (mu + sigma * sigma + sigma * z).exp())
            }
        }
    }

    /// The mean in microseconds.
    pub fn mean_us(&self) -> f64 {
        match *self {
            Dist::Fixed(v) => v.0 as f64,
            Dist::Uniform { min, max } => (min.0 as f64 + max.0 as f64) / 2.0,
            Dist::Exponential { mean } => mean,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
        }
    }
}

/// A distribution of counts (users per tenant, devices per user).
#[derive(Clone, Debug, PartialEq)]
pub enum CountDist {
    /// Always `value`.
    Fixed(u32),
    /// Uniform integers from `min` to `max` inclusive.
    Uniform { min: u32, max: u32 },
    /// Poisson with the given mean.
    Poisson { mean: f64 },
    /// Exponential, rounded to the nearest integer.
    Exponential { mean: f64 },
    /// Log-normal, rounded to the nearest integer.
    LogNormal { mu: f64, sigma: f64 },
}

/// Counts are capped here so that a heavy tail cannot exhaust memory.
pub const MAX_COUNT: u32 = 10_000_000;

fn to_count(x: f64) -> u32 {
    x.clamp(0.0, MAX_COUNT as f64).round() as u32
}

impl CountDist {
    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        match *self {
            CountDist::Fixed(v) => v,
            CountDist::Uniform { min, max } => rng.gen_range(min..=max),
            CountDist::Poisson { mean } => {
                if mean <= 0.0 {
                    0
                } else {
                    // Validated mean > 0 and finite, so construction cannot fail.
                    let p = Poisson::new(mean).expect("validated Poisson mean");
                    to_count(p.sample(rng))
                }
            }
            CountDist::Exponential { mean } => to_count(-mean * (1.0 - unit(rng)).ln()),
            CountDist::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                to_count((mu + sigma * z).exp())
            }
        }
    }

    /// The mean (before rounding, for the continuous ones).
    pub fn mean(&self) -> f64 {
        match *self {
            CountDist::Fixed(v) => v as f64,
            CountDist::Uniform { min, max } => (min as f64 + max as f64) / 2.0,
            CountDist::Poisson { mean } | CountDist::Exponential { mean } => mean,
            CountDist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn mean_of(n: usize, mut f: impl FnMut() -> f64) -> f64 {
        (0..n).map(|_| f()).sum::<f64>() / n as f64
    }

    // With n = 200,000 draws the standard error of a sample mean is
    // sd/sqrt(n) ≈ 0.0022·sd; 2% of the mean is > 5 standard errors for every
    // case below (sd ≤ 1.3·mean), so these fail only if the sampler is wrong.
    const N: usize = 200_000;

    #[test]
    fn duration_means_match_theory() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let dists = [
            Dist::Fixed(SimTime(1000)),
            Dist::Uniform {
                min: SimTime(1000),
                max: SimTime(3000),
            },
            Dist::Exponential { mean: 5000.0 },
            Dist::LogNormal { mu: 8.0, sigma: 0.8 },
        ];
        for d in dists {
            let m = mean_of(N, || d.sample(&mut rng).0 as f64);
            assert!((m / d.mean_us() - 1.0).abs() < 0.02, "{d:?}: {m} vs {}", d.mean_us());
        }
    }

    #[test]
    fn residual_life_has_the_equilibrium_mean() {
        // E[residual] = E[X²] / (2 E[X]).
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let cases = [
            (Dist::Fixed(SimTime(1000)), 500.0),
            (
                Dist::Uniform {
                    min: SimTime(1000),
                    max: SimTime(3000),
                },
                (1e6 + 3e6 + 9e6) / 3.0 / 4000.0,
            ),
            (Dist::Exponential { mean: 5000.0 }, 5000.0),
            (
                Dist::LogNormal { mu: 8.0, sigma: 0.5 },
                (8.0f64 + 1.5 * 0.25).exp() / 2.0,
            ),
        ];
        for (d, want) in cases {
            let m = mean_of(N, || d.sample_residual(&mut rng).0 as f64);
            assert!((m / want - 1.0).abs() < 0.02, "{d:?}: {m} vs {want}");
        }
    }

    #[test]
    fn count_means_match_theory() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let dists = [
            CountDist::Fixed(3),
            CountDist::Uniform { min: 5, max: 50 },
            CountDist::Poisson { mean: 1.2 },
            CountDist::Exponential { mean: 20.0 },
        ];
        for d in dists {
            let m = mean_of(N, || d.sample(&mut rng) as f64);
            assert!((m / d.mean() - 1.0).abs() < 0.02, "{d:?}: {m} vs {}", d.mean());
        }
    }
}
