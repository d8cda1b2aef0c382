//! Flag values of `mailsim serve`: service-time distributions in the
//! scenario's syntax on one line (`"exponential 5ms"`), and durations.

use crate::engine::SimTime;
use crate::scenario::Dist;
use crate::scenario::duration::parse_duration;
use std::time::Duration;

const SYNTAX: &str =
    "write \"fixed 2ms\", \"uniform 1ms 9ms\", \"exponential 5ms\" or \"lognormal 5ms 0.5\" (median, sigma)";

/// A duration flag: a number with a unit (`"30s"`, `"250us"`), or a bare `0`.
pub fn parse_time(text: &str) -> Result<SimTime, String> {
    if text.trim() == "0" {
        return Ok(SimTime::ZERO);
    }
    parse_duration(text)
}

/// A duration flag as a `std::time::Duration`.
pub fn parse_wall(text: &str) -> Result<Duration, String> {
    parse_time(text).map(|t| Duration::from_micros(t.0))
}

/// A service-time distribution: `fixed V`, `uniform MIN MAX`,
/// `exponential MEAN` or `lognormal MEDIAN SIGMA`, durations with a unit.
pub fn parse_service_time(text: &str) -> Result<Dist, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let arity = |n: usize| {
        if words.len() == n + 1 {
            Ok(())
        } else {
            Err(format!("{text:?}: {} takes {n} value(s); {SYNTAX}", words[0]))
        }
    };
    let Some(&kind) = words.first() else {
        return Err(format!("empty service time; {SYNTAX}"));
    };
    match kind {
        "fixed" => {
            arity(1)?;
            Ok(Dist::Fixed(parse_time(words[1])?))
        }
        "uniform" => {
            arity(2)?;
            let (min, max) = (parse_time(words[1])?, parse_time(words[2])?);
            if min > max {
                return Err(format!("{text:?}: the minimum is above the maximum"));
            }
            Ok(Dist::Uniform { min, max })
        }
        "exponential" => {
            arity(1)?;
            Ok(Dist::Exponential {
                mean: parse_time(words[1])?.0 as f64,
            })
        }
        "lognormal" => {
            arity(2)?;
            let median = parse_time(words[1])?;
            let sigma: f64 = words[2]
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                .ok_or_else(|| format!("{text:?}: sigma must be a number, 0 or more"))?;
            if median == SimTime::ZERO {
                return Err(format!("{text:?}: a log-normal median must be above 0"));
            }
            Ok(Dist::LogNormal {
                mu: (median.0 as f64).ln(),
                sigma,
            })
        }
        other => Err(format!("{text:?}: unknown distribution {other:?}; {SYNTAX}")),
    }
}

/// The clock speed-up: a finite number above 0.
pub fn parse_speedup(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|k| k.is_finite() && *k > 0.0 && *k <= 1e9)
        .ok_or_else(|| format!("{text:?} is not a speed-up; write a number above 0, e.g. 1000"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_distribution() {
        assert_eq!(parse_service_time("fixed 0"), Ok(Dist::Fixed(SimTime::ZERO)));
        assert_eq!(parse_service_time("fixed 2ms"), Ok(Dist::Fixed(SimTime(2000))));
        assert_eq!(
            parse_service_time("  uniform 1ms   9ms "),
            Ok(Dist::Uniform {
                min: SimTime(1000),
                max: SimTime(9000)
            })
        );
        assert_eq!(
            parse_service_time("exponential 5ms"),
            Ok(Dist::Exponential { mean: 5000.0 })
        );
        let Ok(Dist::LogNormal { mu, sigma }) = parse_service_time("lognormal 5ms 0.5") else {
            panic!("lognormal")
        };
        assert!((mu.exp() - 5000.0).abs() < 1e-6 && sigma == 0.5);
    }

    #[test]
    fn rejects_bad_text_with_the_syntax() {
        for bad in [
            "",
            "fixed",
            "fixed 2",
            "fixed 2ms 3ms",
            "uniform 9ms 1ms",
            "gamma 5ms",
            "lognormal 5ms -1",
            "lognormal 0 1",
            "exponential -5ms",
        ] {
            assert!(parse_service_time(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse_service_time("gamma 5ms").unwrap_err().contains("exponential 5ms"));
    }

    #[test]
    fn durations_and_speedups() {
        assert_eq!(parse_wall("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_wall("0"), Ok(Duration::ZERO));
        assert!(parse_wall("30").is_err());
        assert_eq!(parse_speedup("1000"), Ok(1000.0));
        for bad in ["0", "-1", "inf", "NaN", "fast"] {
            assert!(parse_speedup(bad).is_err(), "{bad}");
        }
    }
}
