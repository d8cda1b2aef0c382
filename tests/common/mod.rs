//! Helpers for integration tests: run the real binary on a scenario written
//! to a temporary folder and read back its CSVs.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A finished run: its output folder (kept alive with the tempdir).
pub struct Run {
    pub dir: tempfile::TempDir,
    pub out: PathBuf,
    pub stdout: String,
}

pub type Row = HashMap<String, String>;

/// Writes `scenario` to a file and runs `mailsim run` on it with `args`.
pub fn run(scenario: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.toml");
    std::fs::write(&file, scenario).unwrap();
    let out = dir.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_mailsim"))
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "mailsim run failed: {}\n{scenario}",
        String::from_utf8_lossy(&output.stderr)
    );
    Run {
        dir,
        out,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
    }
}

/// The result files two engines must agree on exactly where timings are
/// fixed (their sample paths are then the same), and `summary.csv` without
/// its `events` row, which counts each engine's own events.
const SAME_ON_BOTH_ENGINES: [&str; 7] = [
    "sync_delay.csv",
    "evaluator.csv",
    "timeseries.csv",
    "outcomes.csv",
    "sync_delay_cdf.csv",
    "timeseries_pools.csv",
    "metrics.csv",
];

/// Runs `scenario` on both engines and checks that they write the same
/// results (see `SAME_ON_BOTH_ENGINES`); returns the fast engine's run.
/// For scenarios whose every timing is fixed: the fast engine then polls
/// every connection on its own, on the reference's schedule, so that the
/// model's rules are checked exactly on both engines.
pub fn run_both(scenario: &str, args: &[&str]) -> Run {
    let reference = run(scenario, &[args, &["--engine", "per-connection"]].concat());
    let fast = run(scenario, &[args, &["--engine", "fast"]].concat());
    let without_events = |out: &Path| -> String {
        std::fs::read_to_string(out.join("summary.csv"))
            .unwrap()
            .lines()
            .filter(|l| !l.contains(",events,"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        without_events(&reference.out),
        without_events(&fast.out),
        "summary.csv differs between the engines\n{scenario}"
    );
    for f in SAME_ON_BOTH_ENGINES {
        let (a, b) = (
            std::fs::read_to_string(reference.out.join(f)).unwrap(),
            std::fs::read_to_string(fast.out.join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs between the engines:\n{a}\n---\n{b}\n{scenario}");
    }
    fast
}

/// Every row of a CSV in the output folder.
pub fn rows(out: &Path, file: &str) -> Vec<Row> {
    let mut r = csv::Reader::from_path(out.join(file)).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .zip(rec.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// A summary metric of the merged (`all`) replication.
pub fn metric(out: &Path, name: &str) -> u64 {
    rows(out, "summary.csv")
        .iter()
        .find(|r| r["replication"] == "all" && r["metric"] == name)
        .unwrap_or_else(|| panic!("no metric {name}"))["value"]
        .parse()
        .unwrap()
}

/// The merged sync-delay row of a policy × cohort × outcome, if any.
pub fn delay(out: &Path, policy: &str, cohort: &str, outcome: &str) -> Option<Row> {
    rows(out, "sync_delay.csv").into_iter().find(|r| {
        r["replication"] == "all" && r["policy"] == policy && r["cohort"] == cohort && r["outcome"] == outcome
    })
}

/// The merged time-series rows.
pub fn series(out: &Path) -> Vec<Row> {
    rows(out, "timeseries.csv")
        .into_iter()
        .filter(|r| r["replication"] == "all")
        .collect()
}

pub fn num(row: &Row, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?} is not a number", row[col]))
}

/// A small scenario whose every timing is fixed, so that delays are exact.
/// `evaluator`, `behavior` and `tenant` are TOML lines added to those tables;
/// `changes` is appended after the tenant group.
pub struct Fixed<'a> {
    pub horizon: &'a str,
    pub bucket: &'a str,
    pub poll: &'a str,
    pub evaluator: &'a str,
    pub behavior: &'a str,
    pub tenant: &'a str,
    pub changes: &'a str,
    pub extra: &'a str,
}

impl Default for Fixed<'_> {
    fn default() -> Self {
        Fixed {
            horizon: "3d",
            bucket: "1h",
            poll: "15m",
            evaluator: "",
            behavior: "",
            tenant: "",
            changes: "",
            extra: "",
        }
    }
}

impl Fixed<'_> {
    /// The test's behaviour lines, then the fixed defaults it did not set.
    fn behavior_lines(&self) -> String {
        let defaults = [
            ("wave", "{ dist = \"fixed\", value = \"0s\" }"),
            ("reaction", "{ dist = \"fixed\", value = \"2h\" }"),
            ("outlook_setup", "{ dist = \"fixed\", value = \"10m\" }"),
            ("blocked_switch_delay", "{ dist = \"fixed\", value = \"3h\" }"),
        ];
        let mut lines = self.behavior.to_string();
        for (key, value) in defaults {
            if !self
                .behavior
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{key} ")))
            {
                lines.push_str(&format!("\n{key} = {value}"));
            }
        }
        lines
    }

    pub fn toml(&self) -> String {
        format!(
            r#"name = "fixed-timing test"
seed = 7
horizon = "{horizon}"
bucket = "{bucket}"
{extra}
[evaluator]
servers = 64
service_time = {{ dist = "fixed", value = "1ms" }}
{evaluator}

[devices]
poll_interval = {{ dist = "fixed", value = "{poll}" }}
quarantined_poll_interval = {{ dist = "fixed", value = "5m" }}
mail_delivery = {{ dist = "fixed", value = "30s" }}

[behavior]
{behavior}

[[tenants]]
name = "t"
count = 40
users = {{ dist = "fixed", value = 1 }}
devices_per_user = {{ dist = "fixed", value = 1 }}
third_party_share = 1.0
{tenant}
{changes}
"#,
            horizon = self.horizon,
            bucket = self.bucket,
            poll = self.poll,
            extra = self.extra,
            evaluator = self.evaluator,
            behavior = self.behavior_lines(),
            tenant = self.tenant,
            changes = self.changes,
        )
    }
}
