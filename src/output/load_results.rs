//! A live load's files read back (`mailsim load` folders only): its part
//! of `run.json`, `load.csv`, `load_timeseries.csv`, `decisions.csv` and
//! the latency histograms, for the charts, the report and the summary.

use super::hgrm::{HgrmRow, parse_hgrm};
use super::results::{bad, read_csv};
use serde::Deserialize;
use std::path::Path;

/// `run.json` → `load`: how a load was run and what the generator did.
#[derive(Clone, Debug, Deserialize)]
pub struct LoadMeta {
    pub target: String,
    pub template: String,
    pub decisions_checked: bool,
    pub pool: u32,
    pub speedup: f64,
    pub target_speedup: Option<f64>,
    pub rate_scale: f64,
    pub duration_s: Option<f64>,
    pub stop_s: f64,
    pub connections: usize,
    pub max_in_flight: usize,
    pub timeout_s: f64,
    pub wall_s: f64,
    pub dispatch_span_s: f64,
    pub sent_per_s: f64,
    pub dispatch_lag_p99_ms: Option<f64>,
    pub queued_for_connection: u64,
    pub abandoned_at_drain: u64,
    pub not_sent_by_template: u64,
    pub scheduled: Scheduled,
    pub predicted_wait_p99_ms: Option<f64>,
    pub predicted_utilization: f64,
}

/// `run.json` → `load.scheduled`: what the schedule held.
pub use crate::load::schedule::Scheduled;

/// `load.csv` row: a pool's evaluations (or `all`, or `control` calls),
/// measured and predicted.
#[derive(Clone, Debug, Deserialize)]
pub struct LoadRow {
    pub pool: String,
    pub sent: u64,
    pub ok: u64,
    pub rejected: u64,
    pub errors_connect: u64,
    pub errors_timeout: u64,
    pub errors_status: u64,
    pub errors_body: u64,
    pub dropped: u64,
    pub late: u64,
    pub latency_mean_ms: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p90_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub latency_p999_ms: Option<f64>,
    pub latency_max_ms: Option<f64>,
    pub send_lag_p99_ms: Option<f64>,
    pub predicted_mean_ms: Option<f64>,
    pub predicted_p50_ms: Option<f64>,
    pub predicted_p99_ms: Option<f64>,
    pub predicted_p999_ms: Option<f64>,
    pub predicted_rejected: Option<u64>,
}

impl LoadRow {
    /// Failed calls of every kind (not rejections, not drops).
    pub fn errors(&self) -> u64 {
        self.errors_connect + self.errors_timeout + self.errors_status + self.errors_body
    }
}

/// `load_timeseries.csv` row.
#[derive(Clone, Debug, Deserialize)]
pub struct LoadSeriesRow {
    pub t_s: f64,
    pub t_wall_s: f64,
    pub sent: u64,
    pub ok: u64,
    pub errors: u64,
    pub dropped: u64,
    pub control: u64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub send_lag_p99_ms: Option<f64>,
    pub predicted_p99_ms: Option<f64>,
}

/// `decisions.csv` row.
#[derive(Clone, Debug, Deserialize)]
pub struct DecisionRow {
    pub kind: String,
    pub count: u64,
    pub meaning: String,
}

/// A load's own files read back.
#[derive(Clone, Debug)]
pub struct LoadResults {
    /// run.json's `load` section.
    pub meta: LoadMeta,
    /// load.csv.
    pub rows: Vec<LoadRow>,
    /// load_timeseries.csv.
    pub series: Vec<LoadSeriesRow>,
    /// decisions.csv.
    pub decisions: Vec<DecisionRow>,
    /// load_latency.hgrm: measured latency, ms.
    pub latency: Vec<HgrmRow>,
    /// load_predicted.hgrm: predicted response time, ms.
    pub predicted: Vec<HgrmRow>,
}

impl LoadResults {
    /// The row of all evaluations.
    pub fn all(&self) -> Option<&LoadRow> {
        self.rows.iter().find(|r| r.pool == "all")
    }

    /// The row of the control calls.
    pub fn control(&self) -> Option<&LoadRow> {
        self.rows.iter().find(|r| r.pool == "control")
    }

    /// A count of decisions.csv (0 when absent).
    pub fn decision(&self, kind: &str) -> u64 {
        self.decisions.iter().find(|d| d.kind == kind).map_or(0, |d| d.count)
    }
}

pub(super) fn read_load(dir: &Path, meta: Option<&LoadMeta>) -> anyhow::Result<Option<LoadResults>> {
    let Some(meta) = meta else { return Ok(None) };
    let hgrm = |name: &str| -> anyhow::Result<Vec<HgrmRow>> {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).map_err(|e| bad(&path, format!("cannot read: {e}")))?;
        parse_hgrm(&text).map_err(|e| bad(&path, e))
    };
    Ok(Some(LoadResults {
        meta: meta.clone(),
        rows: read_csv(dir, "load.csv")?,
        series: read_csv(dir, "load_timeseries.csv")?,
        decisions: read_csv(dir, "decisions.csv")?,
        latency: hgrm(super::load_csv::LATENCY_HGRM)?,
        predicted: hgrm(super::load_csv::PREDICTED_HGRM)?,
    }))
}
