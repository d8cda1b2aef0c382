//! Validated distributions of durations and counts, and how to draw from them.

use crate::engine::SimTime;
use rand::Rng;
use rand_distr::{Distribution, Exp1, Poisson, StandardNormal};

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

/// Rounds half away from zero, exactly as `f64::round` for these
/// non-negative values, without the libm call `round` compiles to on x86-64
/// without SSE4.1 (3.7 % of the fast engine's time).
fn to_time(us: f64) -> SimTime {
    let x = us.clamp(0.0, MAX_DRAW_US);
    // Truncation is exact, and so is the fraction (x < 2^64; at 2^52 and
    // above x is already whole).
    let whole = x as u64;
    SimTime(whole + (x - whole as f64 >= 0.5) as u64)
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

    /// One draw, with a ziggurat for the exponential (a few times faster
    /// than the inverse transform `sample` uses, but another sequence of
    /// draws from the same stream). The fast engine draws with it; the
    /// per-connection engine keeps `sample`, so that its results stay what
    /// they were.
    #[inline]
    pub fn sample_fast<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        match *self {
            Dist::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                to_time(mean * e)
            }
            _ => self.sample(rng),
        }
    }

    /// The quantile at probability `1 - e^log_survival` (`log_survival` ≤ 0 is
    /// the log of the probability of exceeding it), rounded as draws are.
    /// Given in log-survival form so that tails keep their precision. For
    /// the uniform, the quantile of the discrete uniform `sample` draws.
    pub fn quantile_log_survival(&self, log_survival: f64) -> SimTime {
        let l = log_survival.min(0.0);
        let p = -l.exp_m1(); // 1 - e^l, precise for small |l|
        match *self {
            Dist::Fixed(v) => v,
            Dist::Uniform { min, max } => {
                let span = (max.0 - min.0) as f64 + 1.0;
                SimTime(min.0 + ((p * span) as u64).min(max.0 - min.0))
            }
            Dist::Exponential { mean } => to_time(-mean * l),
            Dist::LogNormal { mu, sigma } => to_time((mu + sigma * normal_quantile(p, l)).exp()),
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

/// The standard normal quantile at `p` (with `log_survival` = ln(1 − p),
/// for precision in the upper tail): Acklam's rational approximation,
/// relative error under 1.2e-9.
fn normal_quantile(p: f64, log_survival: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.38357751867269e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    const LOW: f64 = 0.02425;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * log_survival).sqrt())
    }
}

/// A distribution of counts (users per tenant, devices per user).
#[derive(Clone, Copy, Debug, PartialEq)]
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

    /// The distribution ready for many draws: the same draws as `sample`,
    /// with a Poisson's constants (a log-gamma, a log, an exponential)
    /// computed once instead of at every draw (per user, when a population
    /// is built).
    pub fn sampler(&self) -> CountSampler {
        match *self {
            CountDist::Poisson { mean } if mean > 0.0 => {
                CountSampler::Poisson(Poisson::new(mean).expect("validated Poisson mean"))
            }
            other => CountSampler::Other(other),
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

/// A `CountDist` made ready for many draws (`CountDist::sampler`).
#[derive(Clone, Copy, Debug)]
pub enum CountSampler {
    /// A Poisson, its constants computed.
    Poisson(Poisson<f64>),
    /// Any other, drawn as `CountDist::sample` draws it.
    Other(CountDist),
}

impl CountSampler {
    /// One draw: the value `CountDist::sample` gives for the same `rng`.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        match self {
            CountSampler::Poisson(p) => to_count(p.sample(rng)),
            CountSampler::Other(d) => d.sample(rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sampler draws what `sample` draws, value for value, leaving the
    /// generator in the same state (populations must not change).
    #[test]
    fn a_sampler_draws_as_sample_does() {
        use rand::SeedableRng;
        let dists = [
            CountDist::Fixed(3),
            CountDist::Uniform { min: 5, max: 80 },
            CountDist::Poisson { mean: 1.2 },
            CountDist::Poisson { mean: 30.0 },
            CountDist::Poisson { mean: 0.0 },
            CountDist::Exponential { mean: 4.0 },
            CountDist::LogNormal { mu: 1.0, sigma: 0.5 },
        ];
        for d in dists {
            let mut a = rand_chacha::ChaCha8Rng::seed_from_u64(5);
            let mut b = a.clone();
            let s = d.sampler();
            for _ in 0..1000 {
                assert_eq!(s.sample(&mut a), d.sample(&mut b), "{d:?}");
            }
            assert_eq!(a.r#gen::<u64>(), b.r#gen::<u64>(), "{d:?}");
        }
    }

    #[test]
    fn to_time_rounds_as_f64_round() {
        let cases = [
            0.0,
            0.4999999999999999,
            0.5,
            1.5,
            2.5,
            1e6 + 0.49,
            1e6 + 0.5,
            4503599627370495.5,
            9.1e15,
            1e19,
            -3.0,
            f64::NAN,
            f64::INFINITY,
        ];
        for x in cases {
            let want = x.clamp(0.0, MAX_DRAW_US).round() as u64;
            assert_eq!(to_time(x).0, want, "{x}");
        }
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(3);
        for _ in 0..100_000 {
            let x: f64 = rand::Rng::r#gen::<f64>(&mut rng) * 1e7;
            assert_eq!(to_time(x).0, x.round() as u64, "{x}");
        }
    }
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
    fn quantiles_invert_the_distributions() {
        let ls = |p: f64| (1.0 - p).ln();
        assert_eq!(Dist::Fixed(SimTime(7)).quantile_log_survival(ls(0.3)), SimTime(7));
        let u = Dist::Uniform {
            min: SimTime(10),
            max: SimTime(19),
        };
        assert_eq!(u.quantile_log_survival(ls(0.0)), SimTime(10));
        assert_eq!(u.quantile_log_survival(ls(0.55)), SimTime(15));
        assert_eq!(u.quantile_log_survival(f64::NEG_INFINITY), SimTime(19));
        let e = Dist::Exponential { mean: 1000.0 };
        assert_eq!(e.quantile_log_survival(-2.0), SimTime(2000));
        // ln X ~ N(mu, 1): the median is e^mu, the 97.5 % point e^(mu + 1.96).
        let ln = Dist::LogNormal { mu: 10.0, sigma: 1.0 };
        assert_eq!(ln.quantile_log_survival(ls(0.5)), SimTime(10f64.exp().round() as u64));
        let q975 = ln.quantile_log_survival(ls(0.975)).0 as f64;
        assert!((q975 / (10.0f64 + 1.959964).exp() - 1.0).abs() < 1e-5, "{q975}");
        let q001 = ln.quantile_log_survival(ls(0.001)).0 as f64;
        assert!((q001 / (10.0f64 - 3.090232).exp() - 1.0).abs() < 1e-3, "{q001}");
        assert!((normal_quantile(1.0 - 1e-12, 1e-12f64.ln()) - 7.034484).abs() < 1e-3);
    }

    #[test]
    fn fast_draws_have_the_same_means() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for d in [Dist::Exponential { mean: 5000.0 }, Dist::Fixed(SimTime(3))] {
            let m = mean_of(N, || d.sample_fast(&mut rng).0 as f64);
            assert!((m / d.mean_us() - 1.0).abs() < 0.02, "{d:?}: {m}");
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
