//! `mailsim compare BASE NEW`: key metrics side by side with verdicts;
//! exit 3 when one got worse beyond the tolerance, the floor and the noise.

use super::Format;
use crate::error::BadInput;
use crate::output::Target;
use crate::output::results::{Results, scenario_differences};
use crate::output::shard::SHARD_FILE;
use crate::output::tables::write_compare_csv;
use crate::report::summary::plural;
use crate::stats::compare::{ALPHA, Comparison, Floors, Regression, Rules, compare};
use clap::Args;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Arguments of `mailsim compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The reference output folder.
    pub base: PathBuf,
    /// The output folder to judge.
    pub new: PathBuf,
    /// Relative change that counts as a change at all: a percentage (5%) or a share (0.05).
    #[arg(long, default_value = "5%", value_parser = parse_tolerance)]
    pub tolerance: f64,
    /// An absolute floor for one kind of metric, KIND=VALUE: a smaller move is `same`
    /// (repeatable; kinds delay_s, wait_ms, share, rejected, utilization, rate_per_s).
    #[arg(long = "floor", value_name = "KIND=VALUE")]
    pub floors: Vec<String>,
    /// Compare runs of differently named scenarios, and write into an --out
    /// folder that mailsim did not write.
    #[arg(long)]
    pub force: bool,
    /// The folder to write compare.csv into [default: NEW].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// How to print the comparison.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print nothing but errors (an explicit --format json still prints).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Parses `5%` or `0.05`; a bare number above 1 (`5`) is refused, since it
/// would mean 500 %.
pub fn parse_tolerance(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (v, percent) = match t.strip_suffix('%') {
        Some(p) => (p.trim().parse::<f64>().map(|p| p / 100.0), true),
        None => (t.parse::<f64>(), false),
    };
    let v = v.map_err(|_| format!("--tolerance {text}: expected a percentage like 5% or a share like 0.05"))?;
    if !percent && v > 1.0 {
        return Err(format!(
            "--tolerance {text}: a bare number is a share (0.05 = 5 %), so {text} would be {}; write {text}% for {text} percent",
            format_args!("{:.0} %", v * 100.0)
        ));
    }
    if !(0.0..=10.0).contains(&v) {
        return Err(format!("--tolerance {text}: must be between 0% and 1000%"));
    }
    Ok(v)
}

/// Reads an output folder as a whole run: a shard is refused, since its
/// metrics are one shard's pools only.
fn load_run(dir: &Path) -> anyhow::Result<Results> {
    if dir.join(SHARD_FILE).is_file() {
        return Err(BadInput(format!(
            "{}: is one shard of a run (it holds {SHARD_FILE}); merge the shards with `mailsim merge` and compare the merged folder",
            dir.display()
        ))
        .into());
    }
    Results::load(dir)
}

/// Compares two output folders; writes `compare.csv` into `--out` (default: NEW).
pub fn run(args: &CompareArgs) -> anyhow::Result<()> {
    let (base, new) = (args.base.as_path(), args.new.as_path());
    let mut floors = Floors::default();
    for f in &args.floors {
        floors.set(f).map_err(BadInput)?;
    }
    let out = args.out.as_deref().unwrap_or(new);
    let target = Target::update(out, args.force, &[])?;
    let (b, n) = (load_run(base)?, load_run(new)?);
    if b.run.scenario.name != n.run.scenario.name && !args.force {
        return Err(BadInput(format!(
            "{} ran {:?} and {} ran {:?}: different scenarios; use --force to compare them anyway",
            base.display(),
            b.run.scenario.name,
            new.display(),
            n.run.scenario.name
        ))
        .into());
    }
    let rules = Rules {
        tolerance: args.tolerance,
        floors,
    };
    let c = compare(&b, &n, &rules);
    let diffs = scenario_differences(&b, &n);
    target.write(|dir| {
        let mut file = std::fs::File::create(dir.join("compare.csv"))?;
        Ok(write_compare_csv(&c.rows, &rules.floors, &mut file)?)
    })?;
    let replications = (b.run.scenario.replications, n.run.scenario.replications);
    match args.format {
        Format::Json => print!("{}", to_json(&c, &rules, &diffs, replications, &target)),
        Format::Text if !args.quiet => print!("{}", to_text(base, new, &c, &rules, &diffs, replications, &target)),
        Format::Text => {}
    }
    match c.worse() {
        0 => Ok(()),
        worse => Err(Regression(worse).into()),
    }
}

fn noise_note(c: &Comparison, (rb, rn): (u32, u32)) -> String {
    let reps = |n: u32| plural(n as u64, "replication", "replications");
    let both = if rb == rn {
        format!("{} each", reps(rb))
    } else {
        format!("{} and {}", reps(rb), reps(rn))
    };
    if c.noise_tested {
        format!(
            "noise: Welch's t-test on {both}, Holm-corrected over the metrics that moved \
             beyond the tolerance and the floors (family-wise error {:.0} %)",
            ALPHA * 100.0
        )
    } else {
        format!(
            "noise: not tested across replications ({both}); with fewer than 2 on either side \
             noise cannot be told from change in general, so the tolerance, the floors and, for outcome shares and \
             sync-delay percentiles, the 95 % intervals of each run's own sample judge (run with --replications 3 \
             or more for a real test)"
        )
    }
}

fn to_text(
    base: &Path,
    new: &Path,
    c: &Comparison,
    rules: &Rules,
    diffs: &[(String, String, String)],
    replications: (u32, u32),
    target: &Target,
) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let mark = if c.worse() > 0 { "✗" } else { "✓" };
    let _ = writeln!(s, "{mark} {}", c.verdict_line());
    let _ = writeln!(
        s,
        "  {} → {} (tolerance {:.1} %)",
        base.display(),
        new.display(),
        rules.tolerance * 100.0
    );
    for line in crate::report::summary::wrap(&noise_note(c, replications), 96) {
        let _ = writeln!(s, "  {line}");
    }
    let f = &rules.floors;
    let _ = writeln!(
        s,
        "  floors: delay_s {} s, wait_ms {} ms, share {}, rejected {}, utilization {}, rate_per_s {}/s",
        f.delay_s, f.wait_ms, f.share, f.rejected, f.utilization, f.rate_per_s
    );
    if diffs.is_empty() {
        let _ = writeln!(s, "  scenario: the same keys and values");
    } else {
        let _ = writeln!(s, "  scenario keys that differ:");
        for (k, a, z) in diffs {
            let _ = writeln!(s, "    {k:<40} {a} → {z}");
        }
    }
    let _ = writeln!(
        s,
        "  {:<52} {:>12} {:>12} {:>9} {:>7}  verdict",
        "metric", "base", "new", "change", "p"
    );
    for r in &c.rows {
        let change = if r.change.is_finite() {
            format!("{:+.1}%", r.change * 100.0)
        } else {
            "new".into()
        };
        let p = r.p_value.map(|p| format!("{p:.3}")).unwrap_or_else(|| "-".into());
        let _ = writeln!(
            s,
            "  {:<52} {:>12.4} {:>12.4} {:>9} {:>7}  {}",
            r.metric, r.base, r.new, change, p, r.verdict
        );
    }
    let _ = writeln!(s, "  written to {}", target.path().join("compare.csv").display());
    s
}

fn to_json(
    c: &Comparison,
    rules: &Rules,
    diffs: &[(String, String, String)],
    replications: (u32, u32),
    target: &Target,
) -> String {
    let counts: serde_json::Map<String, serde_json::Value> =
        c.counts().iter().map(|(v, n)| (v.to_string(), json!(n))).collect();
    let rows: Vec<serde_json::Value> = c
        .rows
        .iter()
        .map(|r| {
            json!({
                "metric": r.metric,
                "base": r.base,
                "new": r.new,
                "change": if r.change.is_finite() { json!(r.change) } else { json!(null) },
                "p_value": r.p_value,
                "floor": rules.floors.of(&r.metric),
                "verdict": r.verdict,
            })
        })
        .collect();
    let v = json!({
        "verdict": c.verdict_line(),
        "counts": counts,
        "regression": c.worse() > 0,
        "tolerance": rules.tolerance,
        "noise_tested": c.noise_tested,
        "noise": noise_note(c, replications),
        "replications": { "base": replications.0, "new": replications.1 },
        "scenario_differences": diffs.iter().map(|(k, a, b)| json!({"key": k, "base": a, "new": b})).collect::<Vec<_>>(),
        "metrics": rows,
        "compare_csv": target.path().join("compare.csv").display().to_string(),
    });
    serde_json::to_string_pretty(&v).expect("plain data") + "\n"
}

#[cfg(test)]
mod tests {
    use super::parse_tolerance;

    #[test]
    fn tolerance_is_a_percentage_or_a_share() {
        assert_eq!(parse_tolerance("5%"), Ok(0.05));
        assert_eq!(parse_tolerance("0.05"), Ok(0.05));
        assert_eq!(parse_tolerance("1"), Ok(1.0));
        let err = parse_tolerance("5").unwrap_err();
        assert!(err.contains("500 %") && err.contains("5%"), "{err}");
        assert!(parse_tolerance("abc").is_err());
        assert!(parse_tolerance("-1%").is_err());
    }
}
