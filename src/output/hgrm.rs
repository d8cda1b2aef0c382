//! Wait histograms as `.hgrm` files: HdrHistogram's percentile-distribution
//! text, as Java's `outputPercentileDistribution(out, 5, 1000.0)` and wrk2
//! print it, so HdrHistogram's plotter (`plotFiles.html`) and any tool that
//! reads wrk2 output can draw them; and reading them back for the charts.
//!
//! Values are in milliseconds (the histograms hold microseconds). The
//! writer follows the Java code step for step, numbers included: it is
//! checked byte for byte against a file the Java library wrote.

use hdrhistogram::Histogram;
use std::io::{self, Write};

/// Reporting points per halving of the distance to 100 % (Java's default).
pub const TICKS_PER_HALF_DISTANCE: u32 = 5;

/// Recorded units (µs) per printed unit (ms).
pub const VALUE_UNIT_RATIO: f64 = 1000.0;

/// The file of a pool's merged wait histogram, or of all pools' (`None`).
pub fn wait_file_name(pool: Option<u32>) -> String {
    match pool {
        Some(p) => format!("evaluator_wait_pool{p}.hgrm"),
        None => "evaluator_wait_all.hgrm".to_string(),
    }
}

/// Writes `h` (microseconds) as an `.hgrm` percentile distribution in milliseconds.
pub fn write_hgrm(h: &Histogram<u64>, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    )?;
    let total = h.len();
    let mut level = 0.0_f64; // the percentile iterated to, in percent as in Java
    let mut cum = 0u64;
    'values: for v in h.iter_recorded() {
        cum += v.count_at_value();
        let value = java_fixed(v.value_iterated_to() as f64 / VALUE_UNIT_RATIO, 3);
        // One index may pass several reporting levels: Java repeats its value.
        while 100.0 * cum as f64 / total as f64 >= level {
            let p = level / 100.0;
            writeln!(
                w,
                "{value:>12} {:>2} {cum:>10} {:>14}",
                java_fixed(p, 12),
                java_fixed(1.0 / (1.0 - p), 2)
            )?;
            if cum == total {
                // Java's last step straight to 100 %, without 1/(1-p).
                writeln!(w, "{value:>12} {:>2} {cum:>10}", java_fixed(1.0, 12))?;
                break 'values;
            }
            level += 100.0 / reporting_ticks(level) as f64;
        }
    }
    let (mean, sd) = mean_and_sd(h);
    writeln!(
        w,
        "#[Mean    = {:>12}, StdDeviation   = {:>12}]",
        java_fixed(mean / VALUE_UNIT_RATIO, 3),
        java_fixed(sd / VALUE_UNIT_RATIO, 3)
    )?;
    writeln!(
        w,
        "#[Max     = {:>12}, Total count    = {:>12}]",
        java_fixed(h.max() as f64 / VALUE_UNIT_RATIO, 3),
        total
    )?;
    // Java prints its array geometry; the Rust crate only exposes the bucket
    // count and the array length, (buckets + 1) × half the sub-buckets.
    let sub_buckets = 2 * h.distinct_values() / (h.buckets() as usize + 1);
    writeln!(
        w,
        "#[Buckets = {:>12}, SubBuckets     = {:>12}]",
        h.buckets(),
        sub_buckets
    )
}

/// Reporting ticks across 0–100 % at `level` (percent): the tick size halves
/// each time half the remaining distance to 100 % is covered. Java's
/// `PercentileIterator.incrementIterationLevel`, with its float steps.
fn reporting_ticks(level: f64) -> u64 {
    let halvings = ((100.0 / (100.0 - level)).ln() / 2f64.ln()) as i64;
    u64::from(TICKS_PER_HALF_DISTANCE) * 2f64.powi((halvings + 1) as i32) as u64
}

/// Mean and standard deviation as Java's `getMean` and `getStdDeviation`
/// compute them (each bin at its median equivalent value), so the footer
/// matches to the last digit.
fn mean_and_sd(h: &Histogram<u64>) -> (f64, f64) {
    if h.is_empty() {
        return (0.0, 0.0);
    }
    let n = h.len() as f64;
    let mut sum = 0.0;
    for v in h.iter_recorded() {
        sum += h.median_equivalent(v.value_iterated_to()) as f64 * v.count_at_value() as f64;
    }
    let mean = sum / n;
    let mut dev = 0.0;
    for v in h.iter_recorded() {
        let d = h.median_equivalent(v.value_iterated_to()) as f64 - mean;
        dev += d * d * v.count_since_last_iteration() as f64;
    }
    (mean, (dev / n).sqrt())
}

/// `v` with `decimals` decimals as Java's `%.Nf` prints it: the shortest
/// decimal that reads back as `v`, rounded half up. Rust's `{:.N}` rounds
/// the exact binary value instead, which differs on ties of the shortest
/// form: Java prints 0.9999267578125 as 0.999926757813, Rust as …812.
fn java_fixed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return if v.is_nan() { "NaN".into() } else { "Infinity".into() };
    }
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i64 = exp.parse().expect("{:e} has an integer exponent");
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    // value = 0.DIGITS × 10^(exp + 1): `point` digits before the decimal point.
    let mut point = exp + 1;
    if point <= 0 {
        let mut zeros = vec![0; (1 - point) as usize];
        zeros.append(&mut digits);
        digits = zeros;
        point = 1;
    }
    let point = point as usize;
    let keep = point + decimals;
    if digits.len() < keep {
        digits.resize(keep, 0);
    }
    let round_up = digits.get(keep).is_some_and(|d| *d >= 5);
    digits.truncate(keep);
    let mut int_len = point;
    if round_up {
        let mut i = keep;
        loop {
            if i == 0 {
                digits.insert(0, 1);
                int_len += 1;
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let text = |ds: &[u8]| ds.iter().map(|d| char::from(b'0' + d)).collect::<String>();
    let int = text(&digits[..int_len]);
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let sign = if v.is_sign_negative() && digits.iter().any(|d| *d != 0) {
        "-"
    } else {
        ""
    };
    if decimals == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{}", text(&digits[int_len..]))
    }
}

/// One reporting point of an `.hgrm` file.
#[derive(Clone, Debug, PartialEq)]
pub struct HgrmRow {
    /// The value at this percentile, in the file's unit (milliseconds here).
    pub value: f64,
    /// The percentile as a fraction, 0 to 1 (1 on the last line).
    pub percentile: f64,
    /// Recorded values up to and including this one.
    pub total_count: u64,
}

/// The reporting points of an `.hgrm` file (header, blank and `#` lines skipped).
pub fn parse_hgrm(text: &str) -> Result<Vec<HgrmRow>, String> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() || line.trim_start().starts_with('#') || fields[0] == "Value" {
            continue;
        }
        // The last line (100 %) has no 1/(1-Percentile) column.
        if fields.len() != 3 && fields.len() != 4 {
            return Err(format!("line {}: expected 3 or 4 columns", i + 1));
        }
        let num = |s: &str| {
            s.parse::<f64>()
                .map_err(|_| format!("line {}: {s:?} is not a number", i + 1))
        };
        rows.push(HgrmRow {
            value: num(fields[0])?,
            percentile: num(fields[1])?,
            total_count: fields[2]
                .parse()
                .map_err(|_| format!("line {}: {:?} is not a count", i + 1, fields[2]))?,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hgrm(h: &Histogram<u64>) -> String {
        let mut out = Vec::new();
        write_hgrm(h, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_small_histogram_prints_as_hdrhistogram_prints_it() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        h.record_n(1500, 3).unwrap();
        h.record(25_000).unwrap();
        let text = hgrm(&h);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "       Value     Percentile TotalCount 1/(1-Percentile)");
        assert_eq!(lines[1], "");
        assert_eq!(lines[2], "       1.500 0.000000000000          3           1.00");
        assert_eq!(lines[12], "       1.500 0.750000000000          3           4.00");
        assert_eq!(lines[13], "      25.007 0.775000000000          4           4.44");
        assert_eq!(lines[14], "      25.007 1.000000000000          4");
        assert_eq!(lines[15], "#[Mean    =        7.375, StdDeviation   =       10.176]");
        assert_eq!(lines[16], "#[Max     =       25.007, Total count    =            4]");
        assert_eq!(lines[17], "#[Buckets =           22, SubBuckets     =         2048]");
        assert_eq!(lines.len(), 18);
    }

    #[test]
    fn an_empty_histogram_has_a_header_and_a_footer() {
        let h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        assert_eq!(
            hgrm(&h),
            "       Value     Percentile TotalCount 1/(1-Percentile)\n\n\
             #[Mean    =        0.000, StdDeviation   =        0.000]\n\
             #[Max     =        0.000, Total count    =            0]\n\
             #[Buckets =           22, SubBuckets     =         2048]\n"
        );
        assert!(parse_hgrm(&hgrm(&h)).unwrap().is_empty());
    }

    /// `tests/data/java_golden.hgrm` was written by HdrHistogram's Java
    /// library (`new Histogram(1, 86_400_000_000L, 3)`, the values below,
    /// `outputPercentileDistribution(out, 5, 1000.0)`).
    #[test]
    fn the_file_matches_hdrhistograms_java_output_byte_for_byte() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 86_400_000_000, 3).unwrap();
        for i in 0..20_000u64 {
            let mut v = 200 + (i * i * 31) % 50_000;
            if i % 3 == 0 {
                v = 0;
            }
            if i % 97 == 0 {
                v += 4_000_000 + i * 100;
            }
            h.record(v).unwrap();
        }
        let golden = include_str!("../../tests/data/java_golden.hgrm");
        let ours = hgrm(&h);
        for (i, (a, b)) in ours.lines().zip(golden.lines()).enumerate() {
            assert_eq!(a, b, "line {}", i + 1);
        }
        assert_eq!(ours, golden);
    }

    #[test]
    fn a_file_reads_back() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        h.record_n(0, 90).unwrap();
        h.record_n(2_000, 9).unwrap();
        h.record(40_000).unwrap();
        let rows = parse_hgrm(&hgrm(&h)).unwrap();
        assert_eq!(rows[0].value, 0.0);
        assert_eq!(rows[0].total_count, 90);
        let last = rows.last().unwrap();
        assert_eq!((last.percentile, last.total_count), (1.0, 100));
        assert!((last.value - 40.0).abs() < 0.05, "{last:?}");
        assert!(rows.windows(2).all(|w| w[0].percentile <= w[1].percentile));
        assert!(parse_hgrm("       1.0 0.5\n").is_err());
    }

    #[test]
    fn numbers_round_as_java_rounds_them() {
        assert_eq!(java_fixed(0.15, 1), "0.2");
        assert_eq!(java_fixed(1.005, 2), "1.01");
        assert_eq!(java_fixed(25.0485, 3), "25.049");
        assert_eq!(java_fixed(0.9999267578125, 12), "0.999926757813");
        assert_eq!(java_fixed(0.0, 3), "0.000");
        assert_eq!(java_fixed(9.9996, 3), "10.000");
        assert_eq!(java_fixed(1234.5, 0), "1235");
        assert_eq!(java_fixed(0.00042, 3), "0.000");
        assert_eq!(java_fixed(0.0005, 3), "0.001");
        assert_eq!(java_fixed(1e21, 1), "1000000000000000000000.0");
        assert_eq!(java_fixed(-2.5, 0), "-3");
    }
}
