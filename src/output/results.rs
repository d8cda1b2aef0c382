//! An output folder read back: everything the charts, the HTML report and
//! the terminal summary show comes from the files, so `mailsim report DIR`
//! rebuilds them exactly as `run` first drew them.
//!
//! The row types mirror the CSV files column for column (README, "Output"),
//! so their fields carry the columns' names and meanings.

use super::hgrm::{HgrmRow, parse_hgrm, wait_file_name};
use crate::error::BadInput;
use crate::scenario::Scenario;
use crate::stats::metrics::MetricSource;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::load_results::read_load;
pub use super::load_results::{DecisionRow, LoadMeta, LoadResults, LoadRow, LoadSeriesRow, Scheduled};

/// `summary.csv` row.
#[derive(Clone, Debug, Deserialize)]
pub struct SummaryRow {
    pub replication: String,
    pub metric: String,
    pub value: u64,
}

/// `sync_delay.csv` row.
#[derive(Clone, Debug, Deserialize)]
pub struct DelayRow {
    pub replication: String,
    pub policy: String,
    pub cohort: String,
    pub outcome: String,
    pub count: u64,
    pub synced: u64,
    pub mean_s: Option<f64>,
    pub p50_s: Option<f64>,
    pub p90_s: Option<f64>,
    pub p99_s: Option<f64>,
    pub p999_s: Option<f64>,
    pub max_s: Option<f64>,
}

/// `sync_delay_cdf.csv` row: share of a cell's connections synced within `delay_s`.
#[derive(Clone, Debug, Deserialize)]
pub struct CdfRow {
    pub replication: String,
    pub policy: String,
    pub cohort: String,
    pub outcome: String,
    pub delay_s: f64,
    pub share: f64,
}

/// `outcomes.csv` row.
#[derive(Clone, Debug, Deserialize)]
pub struct OutcomeRow {
    pub replication: String,
    pub outcome: String,
    pub count: u64,
    pub synced: u64,
    pub share: f64,
    pub mean_s: Option<f64>,
    pub p50_s: Option<f64>,
    pub p99_s: Option<f64>,
    pub max_s: Option<f64>,
}

/// `evaluator.csv` row.
#[derive(Clone, Debug, Deserialize)]
pub struct EvaluatorRow {
    pub replication: String,
    pub pool: String,
    pub arrivals: u64,
    pub served: u64,
    pub rejected: u64,
    pub utilization: f64,
    pub queue_mean: f64,
    pub queue_max: u64,
    pub wait_mean_ms: Option<f64>,
    pub wait_p50_ms: Option<f64>,
    pub wait_p99_ms: Option<f64>,
    pub wait_p999_ms: Option<f64>,
    pub response_p99_ms: Option<f64>,
}

/// `timeseries.csv` row.
#[derive(Clone, Debug, Deserialize)]
pub struct SeriesRow {
    pub replication: String,
    pub t_s: f64,
    pub evaluations: u64,
    pub rejected: u64,
    pub prompts: u64,
    pub syncs: u64,
    pub quarantined: u64,
    pub blocked: u64,
    pub wait_p99_ms: Option<f64>,
    pub wait_p50_ms: Option<f64>,
}

/// `hour_of_week.csv` row (runs with a calendar).
#[derive(Clone, Debug, Deserialize)]
pub struct WeekRow {
    pub replication: String,
    /// `local` (each tenant's clock) or `utc`.
    pub clock: String,
    pub hour_of_week: usize,
    pub day: String,
    pub hour: u32,
    pub tenant_hours: f64,
    pub activations: u64,
    pub readds: u64,
    pub prompts: u64,
    pub timeouts: u64,
    pub evaluations: u64,
}

/// `device_modes.csv` row (runs with `devices.modes`).
#[derive(Clone, Debug, Deserialize)]
pub struct ModeRow {
    pub replication: String,
    pub mode: String,
    pub devices: u64,
    pub quarantines: u64,
    pub quarantine_hours: f64,
    pub quarantined_mean: f64,
}

/// `metrics.csv` row.
#[derive(Clone, Debug, Deserialize)]
pub struct MetricRow {
    pub replication: String,
    pub metric: String,
    pub value: f64,
}

/// `replications.csv` row: a key metric across replications.
#[derive(Clone, Debug, Deserialize)]
pub struct ReplicationStat {
    pub metric: String,
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub ci95_half_width: f64,
}

/// `timeseries_pools.csv` row.
#[derive(Clone, Debug, Deserialize)]
pub struct PoolSeriesRow {
    pub replication: String,
    pub pool: u32,
    pub t_s: f64,
    pub evaluations: u64,
    pub rejected: u64,
    pub wait_p50_ms: Option<f64>,
    pub wait_p99_ms: Option<f64>,
}

/// An `evaluator_wait_*.hgrm` file read back: the wait distribution of a
/// pool, or of all pools, all replications merged.
#[derive(Clone, Debug)]
pub struct WaitSpectrum {
    /// Pool number, or `all`.
    pub pool: String,
    /// The file's reporting points, values in milliseconds.
    pub rows: Vec<HgrmRow>,
}

/// The parts of `run.json` the report shows.
#[derive(Clone, Debug, Deserialize)]
pub struct RunMeta {
    pub mailsim_version: String,
    pub scenario: RunScenario,
    pub threads: usize,
    pub wall_s: f64,
    pub events: u64,
    pub requests: u64,
    pub requests_per_s: f64,
    /// Evaluations per wall-clock second (absent before mailsim wrote it).
    #[serde(default)]
    pub evaluations_per_s: f64,
    /// The simulation engine (absent before there were two: per-connection).
    #[serde(default = "per_connection")]
    pub engine: String,
    /// How a load was run (`mailsim load` only).
    #[serde(default)]
    pub load: Option<LoadMeta>,
}

fn per_connection() -> String {
    crate::engine::Engine::PerConnection.name().into()
}

/// `run.json` → `scenario`: the effective settings of the run.
#[derive(Clone, Debug, Deserialize)]
pub struct RunScenario {
    pub name: String,
    pub file: String,
    pub seed: u64,
    pub replications: u32,
    pub horizon_s: f64,
    pub bucket_s: f64,
    pub pools: u32,
    pub servers_per_pool: u32,
    pub tenants: u64,
}

/// A policy change as the report shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeMark {
    /// When, in seconds.
    pub at_s: f64,
    /// Group, share and policy, e.g. "smb 50% → any_app_prompt_always".
    pub label: String,
}

/// Everything in an output folder.
#[derive(Clone, Debug)]
pub struct Results {
    /// The folder.
    pub dir: PathBuf,
    /// run.json.
    pub run: RunMeta,
    /// The scenario as run (`scenario.toml`, seed and replications from run.json).
    pub scenario: Scenario,
    pub summary: Vec<SummaryRow>,
    pub sync_delay: Vec<DelayRow>,
    pub sync_cdf: Vec<CdfRow>,
    pub outcomes: Vec<OutcomeRow>,
    pub evaluator: Vec<EvaluatorRow>,
    pub series: Vec<SeriesRow>,
    pub pool_series: Vec<PoolSeriesRow>,
    pub metrics: Vec<MetricRow>,
    /// Empty with one replication.
    pub replication_stats: Vec<ReplicationStat>,
    /// Each pool's wait spectrum, then `all`; a folder written before
    /// `.hgrm` files existed has none.
    pub wait_spectra: Vec<WaitSpectrum>,
    /// `hour_of_week.csv`; empty without a calendar.
    pub week: Vec<WeekRow>,
    /// `device_modes.csv`; empty without device modes.
    pub device_modes: Vec<ModeRow>,
    /// A load's measurements (`mailsim load` folders only).
    pub load: Option<LoadResults>,
}

pub(super) fn bad(path: &Path, what: impl std::fmt::Display) -> anyhow::Error {
    BadInput(format!("{}: {what}", path.display())).into()
}

pub(super) fn read_csv<T: DeserializeOwned>(dir: &Path, name: &str) -> anyhow::Result<Vec<T>> {
    let path = dir.join(name);
    let mut reader = csv::Reader::from_path(&path).map_err(|e| bad(&path, format!("cannot read: {e}")))?;
    reader
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.map_err(|e| bad(&path, format!("row {}: {e}", i + 2))))
        .collect()
}

/// The `.hgrm` files of the pools of `evaluator.csv` (merged rows), in its order.
fn read_spectra(dir: &Path, evaluator: &[EvaluatorRow]) -> anyhow::Result<Vec<WaitSpectrum>> {
    let mut out = Vec::new();
    for row in evaluator.iter().filter(|r| r.replication == "all") {
        let pool = if row.pool == "all" {
            None
        } else {
            Some(row.pool.parse::<u32>().map_err(|_| {
                bad(
                    &dir.join("evaluator.csv"),
                    format!("pool {:?} is not a number", row.pool),
                )
            })?)
        };
        let path = dir.join(wait_file_name(pool));
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        out.push(WaitSpectrum {
            pool: row.pool.clone(),
            rows: parse_hgrm(&text).map_err(|e| bad(&path, e))?,
        });
    }
    Ok(out)
}

/// Name of the scenario copy in an output folder.
pub const SCENARIO_COPY: &str = "scenario.toml";

impl Results {
    /// Reads an output folder written by `mailsim run`.
    pub fn load(dir: &Path) -> anyhow::Result<Results> {
        if !dir.is_dir() {
            return Err(bad(dir, "not an output folder of mailsim run"));
        }
        let json_path = dir.join("run.json");
        let json = std::fs::read_to_string(&json_path).map_err(|e| bad(&json_path, format!("cannot read: {e}")))?;
        let run: RunMeta = serde_json::from_str(&json).map_err(|e| bad(&json_path, e))?;
        let mut scenario = Scenario::load(&dir.join(SCENARIO_COPY))?;
        scenario.seed = run.scenario.seed;
        scenario.replications = run.scenario.replications;
        // A load stopped before the horizon (`--duration`) simulated up to
        // where it stopped: changes after that never happened in it.
        let ran_to = crate::engine::SimTime((run.scenario.horizon_s * 1e6).round() as u64);
        if ran_to < scenario.horizon {
            scenario.horizon = ran_to;
            for g in &mut scenario.groups {
                g.changes.retain(|c| c.at < ran_to);
            }
        }
        let load = read_load(dir, run.load.as_ref())?;
        let evaluator: Vec<EvaluatorRow> = read_csv(dir, "evaluator.csv")?;
        Ok(Results {
            dir: dir.to_path_buf(),
            run,
            scenario,
            summary: read_csv(dir, "summary.csv")?,
            sync_delay: read_csv(dir, "sync_delay.csv")?,
            sync_cdf: read_csv(dir, "sync_delay_cdf.csv")?,
            outcomes: read_csv(dir, "outcomes.csv")?,
            wait_spectra: read_spectra(dir, &evaluator)?,
            evaluator,
            series: read_csv(dir, "timeseries.csv")?,
            pool_series: read_csv(dir, "timeseries_pools.csv")?,
            metrics: read_csv(dir, "metrics.csv")?,
            replication_stats: if dir.join("replications.csv").exists() {
                read_csv(dir, "replications.csv")?
            } else {
                Vec::new()
            },
            week: if dir.join(super::HOUR_OF_WEEK_FILE).exists() {
                read_csv(dir, super::HOUR_OF_WEEK_FILE)?
            } else {
                Vec::new()
            },
            device_modes: if dir.join(super::DEVICE_MODES_FILE).exists() {
                read_csv(dir, super::DEVICE_MODES_FILE)?
            } else {
                Vec::new()
            },
            load,
        })
    }

    /// A summary metric of the merged replications (0 when absent).
    pub fn metric(&self, name: &str) -> u64 {
        self.summary
            .iter()
            .find(|r| r.replication == "all" && r.metric == name)
            .map_or(0, |r| r.value)
    }

    /// A key metric of the merged replications, if the run has data for it.
    pub fn merged_metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|m| m.replication == "all" && m.metric == name)
            .map(|m| m.value)
    }

    /// A key metric's spread across replications (two or more).
    pub fn replication_stat(&self, name: &str) -> Option<&ReplicationStat> {
        self.replication_stats.iter().find(|s| s.metric == name)
    }

    /// The merged time series (replication `all`).
    pub fn merged_series(&self) -> impl Iterator<Item = &SeriesRow> {
        self.series.iter().filter(|r| r.replication == "all")
    }

    /// The time series of each replication, in order (empty with one replication).
    pub fn replication_series(&self) -> Vec<Vec<&SeriesRow>> {
        if self.run.scenario.replications < 2 {
            return Vec::new();
        }
        (0..self.run.scenario.replications)
            .map(|i| {
                let rep = i.to_string();
                self.series.iter().filter(|r| r.replication == rep).collect()
            })
            .collect()
    }

    /// Evaluator rows of the merged replications: each pool, then `all`.
    pub fn merged_pools(&self) -> impl Iterator<Item = &EvaluatorRow> {
        self.evaluator.iter().filter(|r| r.replication == "all")
    }

    /// The merged row of all pools.
    pub fn evaluator_all(&self) -> Option<&EvaluatorRow> {
        self.merged_pools().find(|r| r.pool == "all")
    }

    /// Merged outcome rows.
    pub fn merged_outcomes(&self) -> impl Iterator<Item = &OutcomeRow> {
        self.outcomes.iter().filter(|r| r.replication == "all")
    }

    /// Highest evaluation arrival rate of any bucket, per second (merged replications, averaged).
    pub fn peak_evaluations_per_s(&self) -> f64 {
        let reps = self.run.scenario.replications.max(1) as f64;
        let (bucket, horizon) = (self.run.scenario.bucket_s, self.run.scenario.horizon_s);
        // The last bucket is shorter when the horizon is not a whole number of buckets.
        self.merged_series()
            .map(|r| r.evaluations as f64 / reps / bucket.min(horizon - r.t_s).max(1e-6))
            .fold(0.0, f64::max)
    }

    /// Every policy change of the scenario, in time order.
    pub fn changes(&self) -> Vec<ChangeMark> {
        let mut marks: Vec<ChangeMark> = self
            .scenario
            .groups
            .iter()
            .flat_map(|g| {
                g.changes.iter().map(move |c| ChangeMark {
                    at_s: c.at.as_secs_f64(),
                    label: format!("{} {:.0}% → {}", g.name, c.share * 100.0, c.policy),
                })
            })
            .collect();
        marks.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
        marks
    }
}

/// The two-sided 95 % normal quantile.
const Z95: f64 = 1.959_964;

impl Results {
    /// A 95 % interval of an outcome share or a sync-delay percentile from
    /// the run's own sample: binomial for a share, order statistics for a
    /// percentile (the delays at ranks p ± 1.96·√(p(1−p)/n), read off the
    /// CDF grid, widened to its grid points). Only for a run of one
    /// replication; `None` for other metrics.
    fn own_sample_interval(&self, metric: &str) -> Option<(f64, f64)> {
        if self.run.scenario.replications != 1 {
            return None;
        }
        if let Some(outcome) = metric.strip_prefix("outcome_share.") {
            let n: u64 = self.merged_outcomes().map(|o| o.count).sum();
            let p = self.merged_outcomes().find(|o| o.outcome == outcome)?.share;
            let hw = Z95 * (p * (1.0 - p) / n as f64).sqrt() + 0.5 / n as f64;
            return (n > 0).then_some((p - hw, p + hw));
        }
        let path = metric.strip_prefix("sync_delay.")?;
        let parts: Vec<&str> = path.split('.').collect();
        let (policy, cohort, outcome, q) = match parts[..] {
            [c, o, q] => (None, c, o, q),
            [p, c, o, q] => (Some(p), c, o, q),
            _ => return None,
        };
        let q = match q {
            "p50_s" => 0.5,
            "p99_s" => 0.99,
            _ => return None,
        };
        let matches = |p: &str, c: &str, o: &str| policy.is_none_or(|x| x == p) && c == cohort && o == outcome;
        let cells: Vec<&DelayRow> = self
            .sync_delay
            .iter()
            .filter(|d| d.replication == "all" && matches(&d.policy, &d.cohort, &d.outcome))
            .collect();
        let n: u64 = cells.iter().map(|c| c.synced).sum();
        if n == 0 {
            return None;
        }
        // Connections synced within each grid delay, summed over the cells.
        let mut within: BTreeMap<u64, f64> = BTreeMap::new();
        for row in self
            .sync_cdf
            .iter()
            .filter(|r| matches(&r.policy, &r.cohort, &r.outcome))
        {
            let count = cells.iter().find(|c| c.policy == row.policy).map_or(0, |c| c.count) as f64;
            *within.entry((row.delay_s * 1e6).round() as u64).or_default() += row.share * count;
        }
        let hw = Z95 * (q * (1.0 - q) / n as f64).sqrt();
        let (lo_rank, hi_rank) = ((q - hw) * n as f64, (q + hw) * n as f64);
        let mut lo = 0.0;
        let mut hi = f64::INFINITY;
        for (&us, &k) in &within {
            if k < lo_rank {
                lo = us as f64 / 1e6;
            }
            if k >= hi_rank && hi.is_infinite() {
                hi = us as f64 / 1e6;
            }
        }
        Some((lo, hi))
    }
}

impl MetricSource for Results {
    fn merged(&self, metric: &str) -> Option<f64> {
        self.merged_metric(metric)
    }

    fn sample_interval(&self, metric: &str) -> Option<(f64, f64)> {
        self.own_sample_interval(metric)
    }

    fn per_replication(&self, metric: &str) -> Vec<f64> {
        self.metrics
            .iter()
            .filter(|m| m.replication != "all" && m.metric == metric)
            .map(|m| m.value)
            .collect()
    }
}

/// Scenario keys (dotted paths) whose values differ, with both values.
pub fn scenario_differences(base: &Results, new: &Results) -> Vec<(String, String, String)> {
    fn flatten(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    flatten(
                        &if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        },
                        v,
                        out,
                    );
                }
            }
            toml::Value::Array(items) if items.iter().all(|i| i.is_table()) => {
                for (i, v) in items.iter().enumerate() {
                    flatten(&format!("{prefix}[{i}]"), v, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let read = |r: &Results| {
        let mut map = BTreeMap::new();
        let text = std::fs::read_to_string(r.dir.join(SCENARIO_COPY)).unwrap_or_default();
        if let Ok(v) = text.parse::<toml::Table>() {
            flatten("", &toml::Value::Table(v), &mut map);
        }
        // What the command line changed is part of the run too.
        map.insert("seed".into(), r.run.scenario.seed.to_string());
        map.insert("replications".into(), r.run.scenario.replications.to_string());
        map
    };
    let (a, b) = (read(base), read(new));
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let show = |m: &BTreeMap<String, String>| m.get(k).cloned().unwrap_or_else(|| "(absent)".into());
            (k.clone(), show(&a), show(&b))
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::output::json::RunInfo;
    use crate::run::{RunOptions, run};

    /// Runs a small scenario into a temporary folder and reads it back.
    pub(crate) fn sample(scenario_file: &str) -> (tempfile::TempDir, Results) {
        let sc = Scenario::load(Path::new(scenario_file)).unwrap();
        let result = run(
            &sc,
            &RunOptions {
                threads: 1,
                ..Default::default()
            },
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let info = RunInfo {
            scenario_text: std::fs::read_to_string(scenario_file).unwrap(),
            file: scenario_file.into(),
            threads: 1,
            wall: std::time::Duration::from_millis(5),
            engine: crate::run::engine_for(&sc, None),
            engine_note: None,
        };
        crate::output::write_results(dir.path(), &sc, &result, &info).unwrap();
        let results = Results::load(dir.path()).unwrap();
        (dir, results)
    }

    #[test]
    fn an_output_folder_reads_back_whole() {
        let (_dir, r) = sample("tests/data/small.toml");
        assert_eq!(r.run.scenario.name, r.scenario.name);
        assert!(r.metric("prompts") > 0);
        assert_eq!(r.metric("tenants"), 12);
        assert!(r.evaluator_all().unwrap().arrivals > 0);
        assert!(!r.sync_cdf.is_empty() && !r.pool_series.is_empty());
        let pools: Vec<&str> = r.wait_spectra.iter().map(|s| s.pool.as_str()).collect();
        assert_eq!(pools, ["0", "1", "all"]);
        let all = &r.wait_spectra[2].rows;
        assert_eq!(all.last().unwrap().total_count, r.evaluator_all().unwrap().served);
        assert_eq!(r.changes().len(), 1);
        let shares: f64 = r.merged_outcomes().map(|o| o.share).sum();
        assert!((shares - 1.0).abs() < 1e-5, "{shares}");
    }

    #[test]
    fn a_folder_that_is_not_an_output_is_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let err = Results::load(dir.path()).unwrap_err();
        assert_eq!(crate::cli::exit_code(&err), 2);
        assert!(err.to_string().contains("run.json"), "{err}");
    }
}
