//! Durations written with a unit: `"250us"`, `"5ms"`, `"30s"`, `"15m"`, `"24h"`, `"2d"`.

use crate::engine::SimTime;

const UNITS: [(&str, u128); 6] = [
    ("us", 1),
    ("ms", 1_000),
    ("s", 1_000_000),
    ("m", 60_000_000),
    ("h", 3_600_000_000),
    ("d", 86_400_000_000),
];

/// Parses a duration string into microseconds, rounding a fractional value
/// (`"1.5h"`) to the nearest microsecond.
pub fn parse_duration(text: &str) -> Result<SimTime, String> {
    let s = text.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("{text:?} has no unit; write it like \"30s\" (units: us, ms, s, m, h, d)"))?;
    let (number, unit) = s.split_at(split);
    if number.starts_with('-') || unit.starts_with('-') {
        return Err(format!("{text:?} is negative; durations are zero or more"));
    }
    let scale = UNITS
        .iter()
        .find(|(u, _)| *u == unit.trim())
        .map(|&(_, scale)| scale)
        .ok_or_else(|| format!("{text:?} has unknown unit {unit:?} (units: us, ms, s, m, h, d)"))?;
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    if int_part.is_empty() && frac_part.is_empty() || frac_part.contains('.') {
        return Err(format!("{text:?} is not a number with a unit, like \"30s\""));
    }
    let too_long = || format!("{text:?} is too long (at most about 146,000 years)");
    let int: u128 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().map_err(|_| too_long())?
    };
    let frac_digits = frac_part.len().min(18);
    let frac: u128 = if frac_digits == 0 {
        0
    } else {
        frac_part[..frac_digits].parse().map_err(|_| too_long())?
    };
    let denom = 10u128.pow(frac_digits as u32);
    let micros = int
        .checked_mul(scale)
        .and_then(|v| v.checked_add((frac * scale + denom / 2) / denom))
        .filter(|&v| v <= u64::MAX as u128 / 4)
        .ok_or_else(too_long)?;
    Ok(SimTime(micros as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse_duration("250us"), Ok(SimTime(250)));
        assert_eq!(parse_duration("5ms"), Ok(SimTime(5_000)));
        assert_eq!(parse_duration("30s"), Ok(SimTime(30_000_000)));
        assert_eq!(parse_duration("15m"), Ok(SimTime(900_000_000)));
        assert_eq!(parse_duration("24h"), Ok(SimTime::DAY));
        assert_eq!(parse_duration("2d"), Ok(SimTime(2 * 86_400_000_000)));
        assert_eq!(parse_duration("1.5h"), Ok(SimTime(5_400_000_000)));
        assert_eq!(parse_duration("0s"), Ok(SimTime::ZERO));
        assert_eq!(parse_duration("0.0000005s"), Ok(SimTime(1)));
    }

    #[test]
    fn rejects_bad_text() {
        for bad in [
            "",
            "30",
            "s",
            "-5s",
            "5 parsecs",
            "1.2.3s",
            "5x",
            "99999999999999999999d",
            ".",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
    }
}
