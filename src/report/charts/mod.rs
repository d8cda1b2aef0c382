//! The charts of an output folder, each as PNG and SVG: the sync-delay
//! distribution, the evaluator load and wait over time, the wait's
//! percentile spectrum, and the outcome counts. Everything comes from
//! [`Results`], so `mailsim report DIR` redraws them exactly as `run`
//! first drew them.
//!
//! Text is rendered with the DejaVu Sans font embedded in the binary (the
//! `dejavu` crate), so the PNGs look the same on any machine; the SVGs name
//! the generic `sans-serif` family.

use crate::output::results::{DelayRow, Results, SeriesRow};
use crate::scenario::Scenario;
use anyhow::Context;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Once;

mod axes;
mod caption;
mod cdf;
mod layout;
mod legend;
mod load;
mod load_cdf;
mod load_time;
mod outcomes;
mod spectrum;
mod style;
pub mod sweep;
mod wait;
mod week;

#[cfg(test)]
mod tests;

use axes::*;
use caption::*;
use cdf::*;
use layout::*;
use legend::*;
use load::*;
use load_cdf::*;
use load_time::*;
use outcomes::*;
use spectrum::*;
pub(crate) use style::PALETTE;
use style::*;
use wait::*;
pub use week::WEEK_STEM;
use week::*;

/// Width of every chart in pixels.
pub const WIDTH: u32 = 1200;
/// Height of every chart in pixels.
pub const HEIGHT: u32 = 700;

/// File stems of the charts: each is written as `<stem>.png` and `<stem>.svg`.
pub const CHART_STEMS: [&str; 5] = [
    "sync_delay_cdf",
    "evaluator_load",
    "evaluator_wait",
    "evaluator_wait_spectrum",
    "outcomes",
];

/// File stems of the charts of a live load (`mailsim load` folders only).
pub const LOAD_CHART_STEMS: [&str; 2] = ["load_latency_cdf", "load_timeline"];

/// Draws one chart as `<stem>.png` and `<stem>.svg` in `dir`.
fn write_chart(
    dir: &Path,
    stem: &str,
    draw_png: impl Fn(&DrawingArea<BitMapBackend, Shift>) -> anyhow::Result<()>,
    draw_svg: impl Fn(&DrawingArea<SVGBackend, Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let png = dir.join(format!("{stem}.png"));
    {
        let root = BitMapBackend::new(&png, (WIDTH, HEIGHT)).into_drawing_area();
        draw_png(&root).with_context(|| format!("cannot draw {}", png.display()))?;
        root.present()
            .with_context(|| format!("cannot write {}", png.display()))?;
    }
    let svg_path = dir.join(format!("{stem}.svg"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw_svg(&root).with_context(|| format!("cannot draw {}", svg_path.display()))?;
        root.present()
            .with_context(|| format!("cannot draw {}", svg_path.display()))?;
    }
    std::fs::write(&svg_path, svg).with_context(|| format!("cannot write {}", svg_path.display()))?;
    Ok(())
}

/// Draws the charts of `r` into `dir`, each as PNG and SVG; a load's two
/// charts too when `r` is a load's folder.
pub fn write_charts(r: &Results, dir: &Path) -> anyhow::Result<()> {
    register_fonts();
    // The hour-of-week chart only for runs with a calendar.
    let week = (!r.week.is_empty()).then_some(Chart::Week);
    for chart in Chart::ALL.into_iter().chain(week) {
        write_chart(
            dir,
            chart.stem(),
            |root| chart.draw(root, r),
            |root| chart.draw(root, r),
        )?;
    }
    if let Some(l) = &r.load {
        write_chart(
            dir,
            LOAD_CHART_STEMS[0],
            |root| draw_load_cdf(root, r, l),
            |root| draw_load_cdf(root, r, l),
        )?;
        write_chart(
            dir,
            LOAD_CHART_STEMS[1],
            |root| draw_load_time(root, r, l),
            |root| draw_load_time(root, r, l),
        )?;
    }
    Ok(())
}

/// The merged sync-delay cells with connections, ordered by policy (as they
/// first appear), cohort and outcome; and those policies in that order.
fn merged_cells(r: &Results) -> (Vec<&DelayRow>, Vec<&str>) {
    let mut cells: Vec<&DelayRow> = r
        .sync_delay
        .iter()
        .filter(|d| d.replication == "all" && d.count > 0)
        .collect();
    let mut policies: Vec<&str> = Vec::new();
    for c in &cells {
        if !policies.contains(&c.policy.as_str()) {
            policies.push(&c.policy);
        }
    }
    let policy_rank = |p: &str| policies.iter().position(|x| *x == p).unwrap_or(0);
    cells.sort_by_key(|c| (policy_rank(&c.policy), cohort_rank(&c.cohort), outcome_rank(&c.outcome)));
    (cells, policies)
}

/// Registers the embedded fonts with plotters (once per process).
pub(crate) fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Both are valid TrueType files embedded at compile time; a failure
        // would only show as missing text, never as an error.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

#[derive(Clone, Copy, Debug)]
enum Chart {
    Cdf,
    Load,
    Wait,
    Spectrum,
    Outcomes,
    Week,
}

impl Chart {
    const ALL: [Chart; 5] = [Chart::Cdf, Chart::Load, Chart::Wait, Chart::Spectrum, Chart::Outcomes];

    fn stem(self) -> &'static str {
        match self {
            Chart::Cdf => CHART_STEMS[0],
            Chart::Load => CHART_STEMS[1],
            Chart::Wait => CHART_STEMS[2],
            Chart::Spectrum => CHART_STEMS[3],
            Chart::Outcomes => CHART_STEMS[4],
            Chart::Week => WEEK_STEM,
        }
    }

    fn draw<DB: DrawingBackend>(self, root: &DrawingArea<DB, Shift>, r: &Results) -> anyhow::Result<()>
    where
        DB::ErrorType: 'static,
    {
        match self {
            Chart::Cdf => draw_cdf(root, r),
            Chart::Load => draw_load(root, r),
            Chart::Wait => draw_wait(root, r),
            Chart::Spectrum => draw_spectrum(root, r),
            Chart::Outcomes => draw_outcomes(root, r),
            Chart::Week => draw_week(root, r),
        }
    }
}
