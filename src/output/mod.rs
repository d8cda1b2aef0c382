//! Result files: the CSV files of SPEC §5 and the extra ones, the wait
//! histograms as `.hgrm` files, `run.json`,
//! shard files, the output folder (written beside the target, renamed into
//! place), and reading a folder back.

pub mod csv;
pub mod folder;
pub mod hgrm;
pub mod json;
pub mod load_csv;
pub mod load_results;
pub mod results;
pub mod shard;
pub mod tables;

pub use folder::Target;

use crate::scenario::Scenario;
use crate::stats::RunResult;
use anyhow::Context;
use json::{RunInfo, run_json};
use results::SCENARIO_COPY;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

fn write_file(dir: &Path, name: &str, f: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let path = dir.join(name);
    let mut w = BufWriter::new(File::create(&path).with_context(|| format!("cannot create {}", path.display()))?);
    f(&mut w).with_context(|| format!("cannot write {}", path.display()))?;
    w.flush().with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The hour-of-week counts of a run with a calendar.
pub const HOUR_OF_WEEK_FILE: &str = "hour_of_week.csv";
/// The per-mode counts of a run with `devices.modes`.
pub const DEVICE_MODES_FILE: &str = "device_modes.csv";

/// Writes every result file into `dir`, and a copy of the scenario so
/// that `mailsim report` can redraw from the folder alone.
pub fn write_results(dir: &Path, sc: &Scenario, result: &RunResult, info: &RunInfo) -> anyhow::Result<()> {
    write_file(dir, "summary.csv", |w| Ok(csv::write_summary(result, w)?))?;
    write_file(dir, "sync_delay.csv", |w| Ok(csv::write_sync_delay(result, w)?))?;
    write_file(dir, "evaluator.csv", |w| Ok(csv::write_evaluator(result, w)?))?;
    write_file(dir, "timeseries.csv", |w| Ok(csv::write_timeseries(result, sc, w)?))?;
    write_file(dir, "timeseries_pools.csv", |w| {
        Ok(csv::write_pool_timeseries(result, sc, w)?)
    })?;
    write_file(dir, "sync_delay_cdf.csv", |w| {
        Ok(csv::write_sync_delay_cdf(result, sc, w)?)
    })?;
    for p in &result.all().pools {
        write_file(dir, &hgrm::wait_file_name(Some(p.pool)), |w| {
            Ok(hgrm::write_hgrm(&p.load.wait_at_bound(), w)?)
        })?;
    }
    write_file(dir, &hgrm::wait_file_name(None), |w| {
        Ok(hgrm::write_hgrm(&result.all().load.wait_at_bound(), w)?)
    })?;
    write_file(dir, "outcomes.csv", |w| Ok(csv::write_outcomes(result, w)?))?;
    write_file(dir, "metrics.csv", |w| Ok(csv::write_metrics(result, sc, w)?))?;
    if result.replications.len() >= 2 {
        write_file(dir, "replications.csv", |w| Ok(csv::write_replications(result, sc, w)?))?;
    }
    // Only scenarios that opt in get these, so the others' folders are unchanged.
    if sc.calendar.is_some() {
        write_file(dir, HOUR_OF_WEEK_FILE, |w| Ok(csv::write_hour_of_week(result, w)?))?;
    }
    if !sc.devices.modes.is_empty() {
        write_file(dir, DEVICE_MODES_FILE, |w| Ok(csv::write_device_modes(result, sc, w)?))?;
    }
    write_file(dir, "run.json", |w| {
        Ok(w.write_all(run_json(sc, result, info).as_bytes())?)
    })?;
    let copy = dir.join(SCENARIO_COPY);
    std::fs::write(&copy, &info.scenario_text).with_context(|| format!("cannot write {}", copy.display()))?;
    Ok(())
}

/// Writes a load's folder: the loaded pool's run files, then the load's
/// own (`load_csv`), the `load.*` metrics appended to `metrics.csv` and a
/// `load` section in `run.json`.
pub fn write_load_results(
    dir: &Path,
    sc: &Scenario,
    result: &RunResult,
    info: &RunInfo,
    load: &crate::load::LoadResult,
    load_info: &load_csv::LoadInfo,
) -> anyhow::Result<()> {
    write_results(dir, sc, result, info)?;
    write_file(dir, "load.csv", |w| Ok(load_csv::write_load_csv(load, w)?))?;
    write_file(dir, "load_timeseries.csv", |w| {
        Ok(load_csv::write_load_timeseries(load, sc, load_info.speedup, w)?)
    })?;
    write_file(dir, "decisions.csv", |w| {
        Ok(load_csv::write_decisions(load, load_info.checked, w)?)
    })?;
    write_file(dir, load_csv::LATENCY_HGRM, |w| {
        Ok(hgrm::write_hgrm(&load.evaluations.latency, w)?)
    })?;
    write_file(dir, load_csv::PREDICTED_HGRM, |w| {
        Ok(hgrm::write_hgrm(&load.prediction.stats.response_at_bound(), w)?)
    })?;
    let metrics = dir.join("metrics.csv");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&metrics)
        .with_context(|| format!("cannot open {}", metrics.display()))?;
    load_csv::append_metrics(load, load_info.speedup, &mut file)
        .with_context(|| format!("cannot write {}", metrics.display()))?;
    let path = dir.join("run.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut value: serde_json::Value = serde_json::from_str(&text)?;
    value["mode"] = serde_json::json!("load");
    value["load"] = load_csv::load_json(load, load_info);
    std::fs::write(&path, serde_json::to_string_pretty(&value)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
