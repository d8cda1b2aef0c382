//! What people look at: the charts, `report.html`, the terminal summary
//! and the progress bar. Everything here is drawn from an output folder
//! read back ([`Results`]), never from the simulation in memory, so
//! `mailsim report DIR` redraws exactly what `run` drew.

pub mod charts;
pub mod html;
pub mod progress;
pub mod summary;
pub mod summary_load;
pub mod verdict;

use crate::output::results::Results;
use crate::output::tables::write_slo_csv;
use crate::stats::slo::evaluate;
use anyhow::Context;
use std::path::Path;

/// Reads an output folder, draws its charts and writes its report; returns
/// what it read. `mailsim run` and `mailsim report` both end here.
pub fn render(dir: &Path) -> anyhow::Result<Results> {
    let results = Results::load(dir)?;
    if !results.scenario.slos.is_empty() {
        let path = dir.join("slo.csv");
        let mut file = std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        write_slo_csv(&evaluate(&results.scenario.slos, &results), &mut file)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    charts::write_charts(&results, dir)?;
    let html = html::report_html(&results)?;
    let path = dir.join("report.html");
    std::fs::write(&path, html).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(results)
}
