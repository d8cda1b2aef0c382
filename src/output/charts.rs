//! The charts of an output folder, each as PNG and SVG: the sync-delay
//! distribution, the evaluator load and wait over time, and the outcome
//! counts. Everything comes from [`Results`], so `mailsim report DIR`
//! redraws them exactly as `run` first drew them.
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

/// Width of every chart in pixels.
pub const WIDTH: u32 = 1200;
/// Height of every chart in pixels.
pub const HEIGHT: u32 = 700;

/// File stems of the charts: each is written as `<stem>.png` and `<stem>.svg`.
pub const CHART_STEMS: [&str; 4] = ["sync_delay_cdf", "evaluator_load", "evaluator_wait", "outcomes"];

/// Draws the four charts of `r` into `dir`, each as PNG and SVG.
pub fn write_charts(r: &Results, dir: &Path) -> anyhow::Result<()> {
    register_fonts();
    for chart in Chart::ALL {
        let stem = chart.stem();
        let png = dir.join(format!("{stem}.png"));
        {
            let root = BitMapBackend::new(&png, (WIDTH, HEIGHT)).into_drawing_area();
            chart
                .draw(&root, r)
                .with_context(|| format!("cannot draw {}", png.display()))?;
            root.present()
                .with_context(|| format!("cannot write {}", png.display()))?;
        }
        let svg_path = dir.join(format!("{stem}.svg"));
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
            chart
                .draw(&root, r)
                .with_context(|| format!("cannot draw {}", svg_path.display()))?;
            root.present()
                .with_context(|| format!("cannot draw {}", svg_path.display()))?;
        }
        std::fs::write(&svg_path, svg).with_context(|| format!("cannot write {}", svg_path.display()))?;
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
    Outcomes,
}

impl Chart {
    const ALL: [Chart; 4] = [Chart::Cdf, Chart::Load, Chart::Wait, Chart::Outcomes];

    fn stem(self) -> &'static str {
        match self {
            Chart::Cdf => CHART_STEMS[0],
            Chart::Load => CHART_STEMS[1],
            Chart::Wait => CHART_STEMS[2],
            Chart::Outcomes => CHART_STEMS[3],
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
            Chart::Outcomes => draw_outcomes(root, r),
        }
    }
}

// ---------------------------------------------------------------------------
// Style

const TEXT: RGBColor = RGBColor(33, 33, 33);
const MUTED: RGBColor = RGBColor(100, 100, 100);
const GRID_BOLD: RGBColor = RGBColor(215, 215, 215);
const GRID_LIGHT: RGBColor = RGBColor(238, 238, 238);
const MARKER_GRAY: RGBColor = RGBColor(120, 120, 120);

/// Left and right margin of the canvas.
const SIDE: i32 = 24;
/// Width of the left y label area (ticks and axis description).
const Y_AREA: u32 = 86;

/// Categorical colours for pools (Tableau 10 without its grey and olive).
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

const BLUE_C: RGBColor = PALETTE[0];
const ORANGE_C: RGBColor = PALETTE[1];
const RED_C: RGBColor = PALETTE[3];
const PURPLE_C: RGBColor = PALETTE[4];

/// The outcomes in report order.
const OUTCOMES: [&str; 6] = ["direct", "continued", "outlook", "timeout", "blocked", "switched"];

fn outcome_rank(o: &str) -> usize {
    OUTCOMES.iter().position(|x| *x == o).unwrap_or(OUTCOMES.len())
}

fn outcome_color(o: &str) -> RGBColor {
    match o {
        "direct" => RGBColor(70, 70, 70),
        "continued" => RGBColor(44, 160, 44),
        "outlook" => RGBColor(31, 119, 180),
        "timeout" => RGBColor(255, 127, 14),
        "blocked" => RGBColor(214, 39, 40),
        "switched" => RGBColor(148, 103, 189),
        _ => RGBColor(140, 86, 75),
    }
}

fn cohort_rank(c: &str) -> usize {
    match c {
        "new" => 0,
        "existing" => 1,
        _ => 2,
    }
}

/// Policy names without the `any_app_` prefix.
fn short_policy(p: &str) -> &str {
    p.strip_prefix("any_app_").unwrap_or(p)
}

fn font(size: f64) -> TextStyle<'static> {
    text_style(size, FontStyle::Normal, TEXT)
}

fn text_style(size: f64, style: FontStyle, color: RGBColor) -> TextStyle<'static> {
    TextStyle {
        font: FontDesc::new(FontFamily::SansSerif, size, style),
        color: color.to_backend_color(),
        pos: Pos::new(HPos::Left, VPos::Top),
    }
}

fn anchored(style: TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

// ---------------------------------------------------------------------------
// Formatting

/// A tick label on an axis that goes up to `max`, in one style along the
/// axis: 0.25, 2,500, 25k, 1.5M.
fn fmt_tick(v: f64, max: f64) -> String {
    let a = max.abs();
    if v == 0.0 {
        "0".into()
    } else if a >= 1e6 {
        format!("{}M", trim(v / 1e6, 2))
    } else if a >= 1e4 {
        format!("{}k", trim(v / 1e3, 1))
    } else if v.abs() >= 1e3 {
        group_thousands(v.round() as i64)
    } else {
        trim(v, 3)
    }
}

/// `v` with at most `decimals` decimals and no trailing zeros.
fn trim(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

/// An integer with thousands separators, sign kept for axis ticks: -37,393.
fn group_thousands(n: i64) -> String {
    let digits = super::summary::group(n.unsigned_abs());
    if n < 0 { format!("-{digits}") } else { digits }
}

/// A duration in the largest fitting unit: 250 ms, 30 s, 10 min, 6 h, 1.5 d.
fn human(s: f64) -> String {
    if s <= 0.0 {
        "0 s".into()
    } else if s < 1.0 {
        format!("{} ms", trim(s * 1e3, 1))
    } else if s < 60.0 {
        format!("{} s", trim(s, 1))
    } else if s < 3600.0 {
        format!("{} min", trim(s / 60.0, 1))
    } else if s < 86400.0 {
        format!("{} h", trim(s / 3600.0, 1))
    } else {
        format!("{} d", trim(s / 86400.0, 1))
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group_thousands(n as i64), if n == 1 { one } else { many })
}

fn title(r: &Results, what: &str) -> String {
    format!("{} — {what}", r.run.scenario.name)
}

/// One line of context under every title.
fn subtitle(r: &Results) -> String {
    let s = &r.run.scenario;
    format!(
        "{} · {} × {} · {} horizon · {} buckets · {}",
        plural(s.tenants, "tenant", "tenants"),
        plural(s.pools as u64, "pool", "pools"),
        plural(s.servers_per_pool as u64, "server", "servers"),
        human(s.horizon_s),
        human(s.bucket_s),
        plural(s.replications as u64, "replication", "replications"),
    )
}

fn replications(r: &Results) -> f64 {
    r.run.scenario.replications.max(1) as f64
}

// ---------------------------------------------------------------------------
// Layout helpers

/// Fills the canvas, draws the title and subtitle, returns the area below them.
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> anyhow::Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    let room = w.saturating_sub(2 * SIDE as u32);
    let (title, size) = fit(root, title, 24.0, 17.0, FontStyle::Bold, room)?;
    root.draw(&Text::new(title, (SIDE, 14), text_style(size, FontStyle::Bold, TEXT)))?;
    let (sub, sub_size) = fit(root, subtitle, 15.0, 12.0, FontStyle::Normal, room)?;
    root.draw(&Text::new(
        sub,
        (SIDE, 46),
        text_style(sub_size, FontStyle::Normal, MUTED),
    ))?;
    Ok(root.split_vertically(72).1)
}

/// Shrinks the font from `size` down to `min` until `text` fits in `room`
/// pixels, then cuts it with an ellipsis.
fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    size: f64,
    min: f64,
    style: FontStyle,
    room: u32,
) -> anyhow::Result<(String, f64)>
where
    DB::ErrorType: 'static,
{
    let mut s = size;
    loop {
        let (w, _) = area.estimate_text_size(text, &text_style(s, style, TEXT))?;
        if w <= room {
            return Ok((text.to_string(), s));
        }
        if s - 1.0 < min {
            break;
        }
        s -= 1.0;
    }
    let mut chars: Vec<char> = text.chars().collect();
    while chars.len() > 1 {
        chars.pop();
        let cut: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        let (w, _) = area.estimate_text_size(&cut, &text_style(s, style, TEXT))?;
        if w <= room {
            return Ok((cut, s));
        }
    }
    Ok((text.to_string(), s))
}

fn text_width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str, style: &TextStyle) -> anyhow::Result<u32>
where
    DB::ErrorType: 'static,
{
    Ok(area.estimate_text_size(text, style)?.0)
}

/// Draws a note in the middle of a chart's plotting area (absolute pixels).
fn note<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, plot: (i32, i32, i32, i32), text: &str) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (x0, y0, x1, y1) = plot;
    let style = anchored(text_style(18.0, FontStyle::Normal, MUTED), HPos::Center, VPos::Center);
    let (w, h) = root.estimate_text_size(text, &style)?;
    let (cx, cy) = ((x0 + x1) / 2, (y0 + y1) / 2);
    let (hw, hh) = (w as i32 / 2 + 14, h as i32 / 2 + 10);
    root.draw(&Rectangle::new(
        [(cx - hw, cy - hh), (cx + hw, cy + hh)],
        WHITE.mix(0.92).filled(),
    ))?;
    root.draw(&Rectangle::new(
        [(cx - hw, cy - hh), (cx + hw, cy + hh)],
        GRID_BOLD.stroke_width(1),
    ))?;
    root.draw(&Text::new(text.to_string(), (cx, cy), style))?;
    Ok(())
}

/// The absolute pixel box of a chart's plotting area.
fn plot_box<DB: DrawingBackend, CT: CoordTranslate>(chart: &ChartContext<'_, DB, CT>) -> (i32, i32, i32, i32) {
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    (xr.start, yr.start, xr.end, yr.end)
}

// ---------------------------------------------------------------------------
// Legends

/// A point marker, to tell policies apart in the CDF chart.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Marker {
    Dot,
    Triangle,
    Square,
    Diamond,
}

const MARKERS: [Marker; 4] = [Marker::Dot, Marker::Triangle, Marker::Square, Marker::Diamond];

fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Marker,
    (x, y): (i32, i32),
    color: RGBColor,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let shape = |r: i32| -> Vec<(i32, i32)> {
        match m {
            Marker::Dot => Vec::new(),
            Marker::Triangle => vec![(x, y - r - 1), (x - r, y + r - 1), (x + r, y + r - 1)],
            Marker::Square => vec![
                (x - r + 1, y - r + 1),
                (x + r - 1, y - r + 1),
                (x + r - 1, y + r - 1),
                (x - r + 1, y + r - 1),
            ],
            Marker::Diamond => vec![(x, y - r - 1), (x + r, y), (x, y + r + 1), (x - r, y)],
        }
    };
    if m == Marker::Dot {
        area.draw(&Circle::new((x, y), 6, WHITE.filled()))?;
        area.draw(&Circle::new((x, y), 4, color.filled()))?;
    } else {
        area.draw(&Polygon::new(shape(8), WHITE.filled()))?;
        area.draw(&Polygon::new(shape(6), color.filled()))?;
    }
    Ok(())
}

#[derive(Clone, Copy, Debug)]
enum Swatch {
    Line {
        color: RGBColor,
        width: u32,
        dashed: bool,
        marker: Option<Marker>,
    },
    Band(RGBColor),
    Bar(RGBColor),
    /// The lighter top of a bar: not synced by the horizon.
    LightBar(RGBColor),
    /// A vertical dashed line (policy changes, limits).
    VLine(RGBColor),
    /// No swatch: a remark.
    None,
}

#[derive(Clone, Debug)]
struct Entry {
    label: String,
    swatch: Swatch,
}

impl Entry {
    fn line(label: impl Into<String>, color: RGBColor, width: u32, dashed: bool) -> Entry {
        Entry {
            label: label.into(),
            swatch: Swatch::Line {
                color,
                width,
                dashed,
                marker: None,
            },
        }
    }
}

const LEGEND_ROW: u32 = 22;
const SWATCH_W: i32 = 44;

/// Rows, column widths and font size of a legend laid out in `width` pixels.
struct LegendLayout {
    rows: usize,
    col_w: Vec<u32>,
    size: f64,
}

impl LegendLayout {
    fn height(&self) -> u32 {
        if self.rows == 0 {
            0
        } else {
            self.rows as u32 * LEGEND_ROW + 8
        }
    }
}

/// As many columns (filled top to bottom) as fit, at 14 px, or 13 px when
/// that saves a row.
fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    width: u32,
) -> anyhow::Result<LegendLayout>
where
    DB::ErrorType: 'static,
{
    if entries.is_empty() {
        return Ok(LegendLayout {
            rows: 0,
            col_w: Vec::new(),
            size: 14.0,
        });
    }
    let mut best: Option<LegendLayout> = None;
    for size in [14.0, 13.0] {
        let style = font(size);
        let mut widths = Vec::with_capacity(entries.len());
        for e in entries {
            widths.push(SWATCH_W as u32 + 8 + text_width(area, &e.label, &style)? + 22);
        }
        let mut layout = None;
        for cols in (1..=entries.len()).rev() {
            let rows = entries.len().div_ceil(cols);
            let col_w: Vec<u32> = widths
                .chunks(rows)
                .map(|c| c.iter().copied().max().unwrap_or(0))
                .collect();
            if col_w.iter().sum::<u32>() <= width || rows == entries.len() {
                layout = Some(LegendLayout { rows, col_w, size });
                break;
            }
        }
        let layout = layout.expect("one column always fits");
        if best.as_ref().is_none_or(|b| layout.rows < b.rows) {
            best = Some(layout);
        }
    }
    Ok(best.expect("at least one size was tried"))
}

/// Draws `entries` column by column into `area` (its own pixel coordinates), starting at `x0`.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    layout: &LegendLayout,
    x0: i32,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let style = anchored(font(layout.size), HPos::Left, VPos::Center);
    for (i, e) in entries.iter().enumerate() {
        let (col, row) = (i / layout.rows, i % layout.rows);
        let x = x0 + layout.col_w[..col].iter().sum::<u32>() as i32;
        let y = 4 + row as i32 * LEGEND_ROW as i32 + LEGEND_ROW as i32 / 2;
        draw_swatch(area, e.swatch, x, y)?;
        area.draw(&Text::new(e.label.clone(), (x + SWATCH_W + 8, y), style.clone()))?;
    }
    Ok(())
}

fn draw_swatch<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: Swatch, x: i32, y: i32) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    match s {
        Swatch::Line {
            color,
            width,
            dashed,
            marker,
        } => {
            let style = color.stroke_width(width);
            if dashed {
                area.draw(&DashedPathElement::new(vec![(x, y), (x + SWATCH_W, y)], 7, 4, style))?;
            } else {
                area.draw(&PathElement::new(vec![(x, y), (x + SWATCH_W, y)], style))?;
            }
            if let Some(m) = marker {
                draw_marker(area, m, (x + SWATCH_W / 2, y), color)?;
            }
        }
        Swatch::Band(color) => {
            area.draw(&Rectangle::new(
                [(x, y - 7), (x + SWATCH_W, y + 7)],
                color.mix(0.22).filled(),
            ))?;
            area.draw(&PathElement::new(
                vec![(x, y), (x + SWATCH_W, y)],
                color.stroke_width(2),
            ))?;
        }
        Swatch::Bar(color) => {
            area.draw(&Rectangle::new(
                [(x + 8, y - 8), (x + SWATCH_W - 8, y + 8)],
                color.filled(),
            ))?;
        }
        Swatch::LightBar(color) => {
            area.draw(&Rectangle::new(
                [(x + 8, y - 8), (x + SWATCH_W - 8, y)],
                color.mix(0.3).filled(),
            ))?;
            area.draw(&Rectangle::new([(x + 8, y), (x + SWATCH_W - 8, y + 8)], color.filled()))?;
        }
        Swatch::VLine(color) => {
            let mid = x + SWATCH_W / 2;
            area.draw(&DashedPathElement::new(
                vec![(mid, y - 9), (mid, y + 9)],
                4,
                3,
                color.stroke_width(2),
            ))?;
        }
        Swatch::None => {}
    }
    Ok(())
}

/// Splits the area under the title into a legend strip (aligned with the
/// plotting area) and the rest.
fn with_legend<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    entries: &[Entry],
) -> anyhow::Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    let (w, _) = body.dim_in_pixel();
    let x0 = SIDE + Y_AREA as i32;
    let layout = legend_layout(body, entries, w.saturating_sub(x0 as u32 + SIDE as u32))?;
    if layout.rows == 0 {
        return Ok(body.clone());
    }
    let (top, rest) = body.split_vertically(layout.height() + 4);
    draw_legend(&top, entries, &layout, x0)?;
    Ok(rest)
}

/// Draws dashed-line series with `label` on the first segment only; a lone
/// point gets a dot so it stays visible.
fn draw_segments<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'_, DB, CT>,
    segments: &[Vec<(f64, f64)>],
    style: ShapeStyle,
    dashed: bool,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    for seg in segments {
        if seg.len() == 1 {
            chart.draw_series(std::iter::once(Circle::new(seg[0], 2, style.color.filled())))?;
        } else if dashed {
            chart.draw_series(DashedLineSeries::new(seg.iter().copied(), 7, 4, style))?;
        } else {
            chart.draw_series(LineSeries::new(seg.iter().copied(), style))?;
        }
    }
    Ok(())
}

/// Splits points with missing values into contiguous runs.
fn segments(points: impl IntoIterator<Item = (f64, Option<f64>)>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur = Vec::new();
    for (x, y) in points {
        match y {
            Some(y) if y.is_finite() => cur.push((x, y)),
            _ => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

// ---------------------------------------------------------------------------
// Axes

/// A numeric axis, linear or logarithmic, with given labelled ticks (bold
/// grid lines) and unlabelled light grid lines.
#[derive(Clone, Debug)]
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Axis {
    fn linear(range: Range<f64>, bold: Vec<f64>, light: Vec<f64>) -> Axis {
        Axis {
            lo: range.start,
            hi: range.end,
            log: false,
            bold,
            light,
        }
    }

    fn log(range: Range<f64>, bold: Vec<f64>, light: Vec<f64>) -> Axis {
        Axis {
            lo: range.start,
            hi: range.end,
            log: true,
            bold,
            light,
        }
    }

    fn scaled(&self, v: f64) -> f64 {
        if self.log { v.max(f64::MIN_POSITIVE).log10() } else { v }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = (self.scaled(self.lo), self.scaled(self.hi));
        if b == a {
            return (limit.0 + limit.1) / 2;
        }
        let t = (self.scaled(*value) - a) / (b - a);
        limit.0 + ((limit.1 - limit.0) as f64 * t).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

// ---------------------------------------------------------------------------
// Time axis

/// A linear time axis in a unit that suits the horizon.
struct TimeAxis {
    unit_s: f64,
    desc: &'static str,
    max: f64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

fn time_axis(horizon_s: f64) -> TimeAxis {
    let horizon_s = horizon_s.max(1.0);
    let (unit_s, desc, steps): (f64, &str, &[f64]) = if horizon_s <= 2.0 * 3600.0 {
        (
            60.0,
            "simulated time (minutes)",
            &[1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0],
        )
    } else if horizon_s <= 3.0 * 86400.0 {
        (3600.0, "simulated time (hours)", &[1.0, 2.0, 3.0, 4.0, 6.0, 12.0, 24.0])
    } else {
        (
            86400.0,
            "simulated time (days)",
            &[1.0, 2.0, 5.0, 7.0, 14.0, 28.0, 56.0, 91.0, 182.0, 364.0],
        )
    };
    let max = horizon_s / unit_s;
    let step = steps
        .iter()
        .copied()
        .find(|s| max / s <= 14.0)
        .unwrap_or_else(|| (max / 12.0).ceil());
    let ticks = |step: f64| -> Vec<f64> {
        (0..)
            .map(|i| i as f64 * step)
            .take_while(|t| *t <= max + 1e-9)
            .collect()
    };
    let bold = ticks(step);
    // Light grid lines: a quarter day (days), a sub-step otherwise.
    let light_step = if unit_s == 86400.0 && step == 1.0 {
        0.25
    } else if step >= 2.0 && step.fract() == 0.0 {
        let n = step as u64;
        if n.is_multiple_of(3) && n != 12 {
            step / 3.0
        } else if n == 12 {
            step / 4.0
        } else {
            step / 2.0
        }
    } else {
        step / 2.0
    };
    let light = ticks(light_step)
        .into_iter()
        .filter(|t| !bold.iter().any(|b| (b - t).abs() < 1e-9))
        .collect();
    TimeAxis {
        unit_s,
        desc,
        max,
        bold,
        light,
    }
}

// ---------------------------------------------------------------------------
// 1. Sync-delay CDF

struct CdfLine {
    label: String,
    color: RGBColor,
    dashed: bool,
    marker: Option<Marker>,
    points: Vec<(f64, f64)>,
}

/// Labelled tick positions of a log duration axis.
const DURATION_TICKS: [f64; 12] = [
    1.0,
    10.0,
    60.0,
    600.0,
    3600.0,
    6.0 * 3600.0,
    86400.0,
    2.0 * 86400.0,
    7.0 * 86400.0,
    30.0 * 86400.0,
    90.0 * 86400.0,
    365.0 * 86400.0,
];

/// Unlabelled grid lines between the ticks.
const DURATION_LIGHT: [f64; 19] = [
    2.0,
    5.0,
    20.0,
    30.0,
    120.0,
    300.0,
    1200.0,
    1800.0,
    7200.0,
    3.0 * 3600.0,
    12.0 * 3600.0,
    3.0 * 86400.0,
    4.0 * 86400.0,
    5.0 * 86400.0,
    6.0 * 86400.0,
    14.0 * 86400.0,
    21.0 * 86400.0,
    60.0 * 86400.0,
    180.0 * 86400.0,
];

fn draw_cdf<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Results) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let body = frame(root, &title(r, "sync delay: share of connections synced"), &subtitle(r))?;
    let x_max = r.run.scenario.horizon_s.max(10.0);

    // The cells to draw, in policy (as written), cohort, outcome order.
    let (cells, policies) = merged_cells(r);
    let policy_rank = |p: &str| policies.iter().position(|x| *x == p).unwrap_or(0);
    let multi = policies.len() > 1;

    let mut lines = Vec::new();
    for c in &cells {
        let mut before = 0.0;
        let mut points = Vec::new();
        for row in r.sync_cdf.iter().filter(|row| {
            row.replication == "all" && row.policy == c.policy && row.cohort == c.cohort && row.outcome == c.outcome
        }) {
            if row.delay_s < 1.0 {
                before = row.share;
            } else if row.delay_s <= x_max * 1.0001 {
                if points.is_empty() && row.delay_s > 1.0 {
                    points.push((1.0, before * 100.0));
                }
                points.push((row.delay_s.min(x_max), row.share * 100.0));
            }
        }
        if points.is_empty() {
            points.push((1.0, before * 100.0));
            points.push((x_max, before * 100.0));
        }
        lines.push(CdfLine {
            label: format!(
                "{} · {} · {}  (n = {})",
                short_policy(&c.policy),
                c.cohort,
                c.outcome,
                group_thousands(c.count as i64)
            ),
            color: outcome_color(&c.outcome),
            dashed: c.cohort != "new",
            marker: multi.then(|| MARKERS[policy_rank(&c.policy) % MARKERS.len()]),
            points,
        });
    }

    let mut entries: Vec<Entry> = lines
        .iter()
        .map(|l| Entry {
            label: l.label.clone(),
            swatch: Swatch::Line {
                color: l.color,
                width: 2,
                dashed: l.dashed,
                marker: l.marker,
            },
        })
        .collect();
    // The 24 h limit matters only where someone was prompted.
    let prompted = cells
        .iter()
        .any(|c| matches!(c.outcome.as_str(), "continued" | "outlook" | "timeout"));
    let show_limit = prompted && x_max > 86400.0;
    if show_limit && !lines.is_empty() {
        entries.push(Entry {
            label: "24 h quarantine limit".into(),
            swatch: Swatch::VLine(MARKER_GRAY),
        });
    }
    let plot_area = with_legend(&body, &entries)?;

    // Labelled ticks, dropping any that would crowd the previous one.
    let plot_w = (WIDTH - Y_AREA) as f64 - 2.0 * SIDE as f64;
    let px = |s: f64| s.log10() / x_max.log10() * plot_w;
    let mut bold: Vec<f64> = Vec::new();
    for t in DURATION_TICKS.iter().copied().filter(|t| *t <= x_max) {
        if bold.last().is_none_or(|b| px(t) - px(*b) >= 60.0) {
            bold.push(t);
        }
    }
    if bold.last().is_some_and(|b| px(x_max) - px(*b) >= 70.0) {
        bold.push(x_max);
    }
    let light: Vec<f64> = DURATION_LIGHT.iter().copied().filter(|t| *t < x_max).collect();
    let y_ticks: Vec<f64> = (0..=10).map(|i| i as f64 * 10.0).collect();

    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(SIDE)
        .margin_right(SIDE + 8)
        .margin_top(if show_limit { 20 } else { 6 })
        .margin_bottom(8)
        .x_label_area_size(52)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(
            Axis::log(1.0..x_max, bold, light),
            Axis::linear(-1.5..101.5, y_ticks, Vec::new()),
        )?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| human(*v))
        .y_label_formatter(&|v| format!("{v:.0} %"))
        .x_desc("delay since activation or loss of access (log scale)")
        .y_desc("connections synced (%)")
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .y_max_light_lines(1)
        .draw()?;

    if show_limit {
        chart.draw_series(DashedLineSeries::new(
            vec![(86400.0, -1.5), (86400.0, 101.5)],
            6,
            4,
            MARKER_GRAY.stroke_width(2),
        ))?;
    }

    // New cohort (solid) first, existing (dashed) on top so both stay visible.
    for dashed in [false, true] {
        for l in lines.iter().filter(|l| l.dashed == dashed) {
            let style = l.color.stroke_width(2);
            draw_segments(&mut chart, std::slice::from_ref(&l.points), style, dashed)?;
        }
    }
    // Markers, staggered per policy so that overlapping lines show each one.
    if multi {
        let (lo, hi) = (0.0, x_max.log10());
        let n_marks = 7;
        for l in &lines {
            let Some(m) = l.marker else { continue };
            let k = MARKERS.iter().position(|x| *x == m).unwrap_or(0) as f64;
            for j in 0..n_marks {
                let f = (j as f64 + (k + 1.0) / (policies.len() as f64 + 1.0)) / n_marks as f64;
                let x = 10f64.powf(lo + f * (hi - lo));
                let y = value_on_log_line(&l.points, x);
                let p = chart.backend_coord(&(x, y));
                draw_marker(root, m, p, l.color)?;
            }
        }
    }

    if show_limit {
        // Above the plotting area, so that it hides no line.
        let label = "24 h quarantine limit";
        let style = anchored(text_style(13.0, FontStyle::Normal, MUTED), HPos::Center, VPos::Bottom);
        let (w, _) = root.estimate_text_size(label, &style)?;
        let (x0, y0, x1, _) = plot_box(&chart);
        let p = chart.backend_coord(&(86400.0, 101.5));
        let half = w as i32 / 2;
        let cx = p.0.clamp(x0 + half, x1 - half);
        root.draw(&Text::new(label, (cx, y0 - 3), style))?;
    }
    if lines.is_empty() {
        note(
            root,
            plot_box(&chart),
            "No sync delays to show: no connection was activated or lost access",
        )?;
    }
    Ok(())
}

/// The value at `x` of the polyline through `points` as drawn on a log x
/// axis (straight between points in log x), so that markers sit on the line.
fn value_on_log_line(points: &[(f64, f64)], x: f64) -> f64 {
    let Some(first) = points.first() else { return 0.0 };
    if x <= first.0 {
        return first.1;
    }
    for w in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if x <= x1 {
            if x1 <= x0 {
                return y1;
            }
            let t = (x.ln() - x0.ln()) / (x1.ln() - x0.ln());
            return y0 + t * (y1 - y0);
        }
    }
    points.last().map_or(0.0, |p| p.1)
}

// ---------------------------------------------------------------------------
// 2. Evaluator load

/// Policy changes grouped by time, each group described compactly.
struct ChangeGroup {
    at_s: f64,
    text: String,
}

fn change_groups(sc: &Scenario) -> Vec<ChangeGroup> {
    // at (µs) → (policy, share) → group names
    let mut by_time: BTreeMap<u64, Vec<(String, String, Vec<String>)>> = BTreeMap::new();
    for g in &sc.groups {
        for c in &g.changes {
            let policy = short_policy(&c.policy.to_string()).to_string();
            let share = format!("{}%", trim(c.share * 100.0, 1));
            let parts = by_time.entry(c.at.micros()).or_default();
            match parts.iter_mut().find(|(p, s, _)| *p == policy && *s == share) {
                Some((_, _, names)) => names.push(g.name.clone()),
                None => parts.push((policy, share, vec![g.name.clone()])),
            }
        }
    }
    by_time
        .into_iter()
        .map(|(at, parts)| {
            let text = parts
                .iter()
                .map(|(policy, share, names)| format!("{} {share} → {policy}", names.join(", ")))
                .collect::<Vec<_>>()
                .join("; ");
            ChangeGroup {
                at_s: at as f64 / 1e6,
                text,
            }
        })
        .collect()
}

fn badge_style() -> TextStyle<'static> {
    anchored(text_style(13.0, FontStyle::Bold, TEXT), HPos::Center, VPos::Center)
}

fn draw_badge<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, n: usize, (x, y): (i32, i32)) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let label = n.to_string();
    let (w, _) = area.estimate_text_size(&label, &badge_style())?;
    let hw = (w as i32 / 2 + 5).max(9);
    area.draw(&Rectangle::new([(x - hw, y - 9), (x + hw, y + 9)], WHITE.filled()))?;
    area.draw(&Rectangle::new(
        [(x - hw, y - 9), (x + hw, y + 9)],
        MARKER_GRAY.stroke_width(1),
    ))?;
    area.draw(&Text::new(label, (x, y), badge_style()))?;
    Ok(())
}

/// The caption text of each change group, wrapped to `width` pixels.
fn wrap_groups<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    groups: &[ChangeGroup],
    width: u32,
) -> anyhow::Result<Vec<Vec<String>>>
where
    DB::ErrorType: 'static,
{
    let style = font(14.0);
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let text = format!("at {}: {}", clock(g.at_s), g.text);
        let mut words = text.split(' ');
        let mut lines = Vec::new();
        let mut cur = words.next().unwrap_or_default().to_string();
        for w in words {
            let candidate = format!("{cur} {w}");
            if text_width(area, &candidate, &style)? > width {
                lines.push(std::mem::replace(&mut cur, w.to_string()));
            } else {
                cur = candidate;
            }
        }
        lines.push(cur);
        out.push(lines);
    }
    Ok(out)
}

/// A time of the run to the minute: "6 h", "2 h 5 min", "1 d 12 h".
fn clock(s: f64) -> String {
    if s < 3600.0 && (s / 60.0).fract() != 0.0 {
        return human(s);
    }
    let total = (s / 60.0).round() as u64;
    let (d, h, m) = (total / 1440, total / 60 % 24, total % 60);
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "min")]
        .iter()
        .filter(|(v, _)| *v > 0)
        .map(|(v, u)| format!("{v} {u}"))
        .collect();
    if parts.is_empty() { human(s) } else { parts.join(" ") }
}

/// One caption line: the change number at its first line (0 for a
/// continuation), its column and row, and the text.
struct CaptionLine {
    n: usize,
    col: usize,
    row: usize,
    text: String,
}

/// Lays the change groups out in one column, or two when that is shorter,
/// at most `MAX_ROWS` rows; groups that do not fit are counted in a last line.
fn caption_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    groups: &[ChangeGroup],
    width: u32,
) -> anyhow::Result<(Vec<CaptionLine>, u32)>
where
    DB::ErrorType: 'static,
{
    const MAX_ROWS: usize = 4;
    const BADGE: u32 = 30;
    let one = wrap_groups(area, groups, width.saturating_sub(BADGE))?;
    let one_rows: usize = one.iter().map(Vec::len).sum();
    let (blocks, cols, col_w) = if one_rows <= 3 {
        (one, 1, width)
    } else {
        let col_w = width / 2;
        (wrap_groups(area, groups, col_w.saturating_sub(BADGE + 16))?, 2, col_w)
    };
    let total: usize = blocks.iter().map(Vec::len).sum();
    let rows = total.div_ceil(cols).clamp(1, MAX_ROWS);
    // Column and row of each block that fits, a column holding whole blocks.
    let mut at: Vec<(usize, usize)> = Vec::new();
    let (mut col, mut row) = (0, 0);
    for block in &blocks {
        if row + block.len() > rows {
            col += 1;
            row = 0;
        }
        if col >= cols || block.len() > rows {
            break;
        }
        at.push((col, row));
        row += block.len();
    }
    // When some do not fit, drop blocks until a row is free for the count of the rest.
    let mut more_at = None;
    if at.len() < blocks.len() {
        while more_at.is_none() {
            let (c, end) = at.last().map_or((0, 0), |&(c, r)| (c, r + blocks[at.len() - 1].len()));
            if end < rows {
                more_at = Some((c, end));
            } else if c + 1 < cols {
                more_at = Some((c + 1, 0));
            } else {
                at.pop();
            }
        }
    }
    let mut out = Vec::new();
    for (i, (&(col, row), block)) in at.iter().zip(&blocks).enumerate() {
        for (k, text) in block.iter().enumerate() {
            out.push(CaptionLine {
                n: if k == 0 { i + 1 } else { 0 },
                col,
                row: row + k,
                text: text.clone(),
            });
        }
    }
    if let Some((col, row)) = more_at {
        let more = blocks.len() - at.len();
        let what = if more == 1 { "change" } else { "changes" };
        out.push(CaptionLine {
            n: 0,
            col,
            row,
            text: format!("… and {more} more {what} (see the scenario)"),
        });
    }
    Ok((out, col_w))
}

/// Vertical lines and numbered badges for the change groups; badges that would
/// touch are stacked in rows.
fn draw_change_marks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut ChartContext<'_, DB, Cartesian2d<Axis, RangedCoordf64>>,
    groups: &[ChangeGroup],
    unit_s: f64,
    y_range: (f64, f64),
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let mut rows: Vec<i32> = Vec::new();
    let mut badges = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let x = g.at_s / unit_s;
        chart.draw_series(DashedLineSeries::new(
            vec![(x, y_range.0), (x, y_range.1)],
            5,
            4,
            MARKER_GRAY.stroke_width(1),
        ))?;
        let p = chart.backend_coord(&(x, y_range.1));
        // The first row whose last badge is far enough left; a new row (up to
        // six), or else the row whose last badge is furthest left.
        let row = match rows.iter().position(|last| p.0 - *last >= 30) {
            Some(row) => row,
            None if rows.len() < 6 => {
                rows.push(p.0);
                rows.len() - 1
            }
            None => (0..rows.len()).min_by_key(|&r| rows[r]).unwrap_or(0),
        };
        rows[row] = p.0;
        badges.push((i + 1, (p.0, p.1 + 13 + 22 * row as i32)));
    }
    for (n, p) in badges {
        draw_badge(root, n, p)?;
    }
    Ok(())
}

/// Splits off a caption strip at the bottom for the change groups and draws it.
fn with_caption<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    groups: &[ChangeGroup],
) -> anyhow::Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    if groups.is_empty() {
        return Ok(area.clone());
    }
    let (w, h) = area.dim_in_pixel();
    let x0 = SIDE + Y_AREA as i32;
    let (lines, col_w) = caption_layout(area, groups, w.saturating_sub(x0 as u32 + SIDE as u32))?;
    let rows = lines.iter().map(|l| l.row + 1).max().unwrap_or(1);
    let height = 20 + 21 * rows as u32;
    let (rest, cap) = area.split_vertically(h.saturating_sub(height));
    let style = anchored(font(14.0), HPos::Left, VPos::Center);
    for l in &lines {
        let x = x0 + (l.col as u32 * col_w) as i32;
        let y = 16 + 21 * l.row as i32;
        if l.n > 0 {
            draw_badge(&cap, l.n, (x + 10, y))?;
        }
        cap.draw(&Text::new(l.text.clone(), (x + 30, y), style.clone()))?;
    }
    Ok(rest)
}

fn sorted_rows<'a>(rows: impl Iterator<Item = &'a SeriesRow>) -> Vec<&'a SeriesRow> {
    let mut v: Vec<&SeriesRow> = rows.collect();
    v.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    v
}

fn draw_load<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Results) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let body = frame(root, &title(r, "evaluator load"), &subtitle(r))?;
    let sc = &r.run.scenario;
    let reps = replications(r);
    let horizon = sc.horizon_s.max(1.0);
    let bucket = if sc.bucket_s > 0.0 { sc.bucket_s } else { horizon };
    let axis = time_axis(horizon);
    let width = |t: f64| (horizon - t).clamp(1e-9, bucket);
    let mid = |t: f64| (t + width(t) / 2.0) / axis.unit_s;

    let merged = sorted_rows(r.merged_series());
    let evals: Vec<(f64, f64)> = merged
        .iter()
        .map(|row| (mid(row.t_s), row.evaluations as f64 / reps / width(row.t_s)))
        .collect();
    let rejected: Vec<(f64, f64)> = merged
        .iter()
        .map(|row| (mid(row.t_s), row.rejected as f64 / reps / width(row.t_s)))
        .collect();
    let quarantined: Vec<(f64, f64)> = merged
        .iter()
        .map(|row| (mid(row.t_s), row.quarantined as f64 / reps))
        .collect();
    let blocked: Vec<(f64, f64)> = merged
        .iter()
        .map(|row| (mid(row.t_s), row.blocked as f64 / reps))
        .collect();

    // Min and max of evaluations/s across replications, per bucket.
    let mut band: Vec<(f64, f64, f64)> = Vec::new();
    let per_rep = r.replication_series();
    if per_rep.len() >= 2 {
        let mut by_bucket: BTreeMap<i64, (f64, f64, f64)> = BTreeMap::new();
        for rows in &per_rep {
            for row in rows {
                let v = row.evaluations as f64 / width(row.t_s);
                let e = by_bucket
                    .entry((row.t_s / bucket).round() as i64)
                    .or_insert((mid(row.t_s), v, v));
                e.1 = e.1.min(v);
                e.2 = e.2.max(v);
            }
        }
        band = by_bucket.into_values().collect();
    }

    let max_of = |v: &[(f64, f64)]| v.iter().map(|p| p.1).fold(0.0, f64::max);
    let total_evals: u64 = merged.iter().map(|row| row.evaluations).sum();
    let total_rejected: u64 = merged.iter().map(|row| row.rejected).sum();
    let y_max = nice_max(
        max_of(&evals)
            .max(max_of(&rejected))
            .max(band.iter().map(|b| b.2).fold(0.0, f64::max)),
    );
    let q_max = max_of(&quarantined);
    let b_max = max_of(&blocked);
    let y2_max = nice_max(q_max.max(b_max));

    let mean_note = if reps > 1.0 {
        format!(" (mean of {reps})")
    } else {
        String::new()
    };
    let mut entries = vec![Entry::line(format!("evaluations/s{mean_note}"), BLUE_C, 2, false)];
    if !band.is_empty() {
        entries.push(Entry {
            label: "evaluations/s, min–max of replications".into(),
            swatch: Swatch::Band(BLUE_C),
        });
    }
    entries.push(Entry::line(
        if total_rejected == 0 {
            "rejected/s (none)".to_string()
        } else {
            format!("rejected/s{mean_note}")
        },
        RED_C,
        2,
        false,
    ));
    entries.push(Entry::line(
        format!(
            "quarantined connections, right axis{}",
            if q_max == 0.0 { " (none)" } else { "" }
        ),
        ORANGE_C,
        2,
        true,
    ));
    entries.push(Entry::line(
        format!(
            "blocked connections, right axis{}",
            if b_max == 0.0 { " (none)" } else { "" }
        ),
        PURPLE_C,
        2,
        true,
    ));
    let groups = change_groups(&r.scenario);
    if !groups.is_empty() {
        entries.push(Entry {
            label: "policy change (numbered below)".into(),
            swatch: Swatch::VLine(MARKER_GRAY),
        });
    }
    let area = with_legend(&body, &entries)?;
    let plot_area = with_caption(&area, &groups)?;

    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(SIDE)
        .margin_right(SIDE)
        .margin_top(6)
        .margin_bottom(6)
        .x_label_area_size(52)
        .y_label_area_size(Y_AREA)
        .right_y_label_area_size(Y_AREA)
        .build_cartesian_2d(
            Axis::linear(0.0..axis.max, axis.bold.clone(), axis.light.clone()),
            0.0..y_max,
        )?
        .set_secondary_coord(0.0..axis.max, 0.0..y2_max);
    chart
        .configure_mesh()
        .x_label_formatter(&|v| trim(*v, 2))
        .y_label_formatter(&|v| fmt_tick(*v, y_max))
        .x_desc(axis.desc)
        .y_desc("requests per second")
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .y_max_light_lines(1)
        .draw()?;
    chart
        .configure_secondary_axes()
        .y_label_formatter(&|v| {
            if v.fract() == 0.0 {
                fmt_tick(*v, y2_max)
            } else {
                String::new()
            }
        })
        .y_desc("connections (count)")
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .axis_style(MUTED.stroke_width(1))
        .draw()?;

    if !band.is_empty() {
        let mut poly: Vec<(f64, f64)> = band.iter().map(|b| (b.0, b.2)).collect();
        poly.extend(band.iter().rev().map(|b| (b.0, b.1)));
        chart.draw_series(std::iter::once(Polygon::new(poly, BLUE_C.mix(0.22).filled())))?;
    }
    for (pts, color) in [(&quarantined, ORANGE_C), (&blocked, PURPLE_C)] {
        if pts.len() > 1 {
            chart.draw_secondary_series(DashedLineSeries::new(pts.iter().copied(), 8, 4, color.stroke_width(2)))?;
        }
    }
    draw_segments(&mut chart, std::slice::from_ref(&evals), BLUE_C.stroke_width(2), false)?;
    draw_segments(
        &mut chart,
        std::slice::from_ref(&rejected),
        RED_C.stroke_width(2),
        false,
    )?;
    draw_change_marks(root, &mut chart, &groups, axis.unit_s, (0.0, y_max))?;
    if merged.is_empty() {
        note(root, plot_box(&chart), "No time series in this output folder")?;
    } else if total_evals == 0 && q_max == 0.0 && b_max == 0.0 {
        note(
            root,
            plot_box(&chart),
            "No evaluations: every tenant was unmanaged (or under MDM)",
        )?;
    }
    Ok(())
}

/// An upper axis bound a little above `v` (1 when `v` is 0).
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() { 1.0 } else { v * 1.08 }
}

// ---------------------------------------------------------------------------
// 3. Evaluator wait

/// A bucket of one pool: start (s), p50 and p99 wait (ms).
type PoolWait = (f64, Option<f64>, Option<f64>);

struct WaitLine {
    color: RGBColor,
    dashed: bool,
    segments: Vec<Vec<(f64, f64)>>,
}

fn draw_wait<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Results) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let body = frame(root, &title(r, "evaluator wait per time bucket"), &subtitle(r))?;
    let sc = &r.run.scenario;
    let horizon = sc.horizon_s.max(1.0);
    let bucket = if sc.bucket_s > 0.0 { sc.bucket_s } else { horizon };
    let axis = time_axis(horizon);
    let mid = |t: f64| (t + (horizon - t).clamp(1e-9, bucket) / 2.0) / axis.unit_s;

    let mut by_pool: BTreeMap<u32, Vec<PoolWait>> = BTreeMap::new();
    for row in r.pool_series.iter().filter(|row| row.replication == "all") {
        by_pool
            .entry(row.pool)
            .or_default()
            .push((row.t_s, row.wait_p50_ms, row.wait_p99_ms));
    }
    for v in by_pool.values_mut() {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let merged = sorted_rows(r.merged_series());
    let per_pool = (2..=8).contains(&by_pool.len());

    // Everything in ms first; the unit is chosen from the largest value.
    let mut lines: Vec<WaitLine> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut band: Vec<Vec<(f64, f64, f64)>> = Vec::new();
    let p50_entry;
    if per_pool {
        for (i, (pool, rows)) in by_pool.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            lines.push(WaitLine {
                color,
                dashed: true,
                segments: segments(rows.iter().map(|(t, p50, _)| (mid(*t), *p50))),
            });
            lines.push(WaitLine {
                color,
                dashed: false,
                segments: segments(rows.iter().map(|(t, _, p99)| (mid(*t), *p99))),
            });
            entries.push(Entry {
                label: format!("pool {pool}"),
                swatch: Swatch::Bar(color),
            });
        }
        entries.push(Entry::line("p99 wait", TEXT, 2, false));
        entries.push(Entry::line("p50 wait", TEXT, 1, true));
        p50_entry = entries.len() - 1;
    } else {
        if by_pool.len() > 8 {
            // Min and max of the pools' p99 per bucket, in contiguous runs.
            let mut per_bucket: BTreeMap<i64, (f64, f64, f64)> = BTreeMap::new();
            for rows in by_pool.values() {
                for (t, _, p99) in rows {
                    if let Some(v) = p99.filter(|v| v.is_finite()) {
                        let e = per_bucket.entry((t / bucket).round() as i64).or_insert((mid(*t), v, v));
                        e.1 = e.1.min(v);
                        e.2 = e.2.max(v);
                    }
                }
            }
            let mut run: Vec<(f64, f64, f64)> = Vec::new();
            let mut last: Option<i64> = None;
            for (k, v) in per_bucket {
                if last.is_some_and(|l| k != l + 1) && !run.is_empty() {
                    band.push(std::mem::take(&mut run));
                }
                run.push(v);
                last = Some(k);
            }
            if !run.is_empty() {
                band.push(run);
            }
        }
        lines.push(WaitLine {
            color: BLUE_C,
            dashed: true,
            segments: segments(merged.iter().map(|row| (mid(row.t_s), row.wait_p50_ms))),
        });
        lines.push(WaitLine {
            color: RED_C,
            dashed: false,
            segments: segments(merged.iter().map(|row| (mid(row.t_s), row.wait_p99_ms))),
        });
        let all = if by_pool.len() > 1 {
            format!(", all {} pools", by_pool.len())
        } else {
            String::new()
        };
        entries.push(Entry::line(format!("p99 wait{all}"), RED_C, 2, false));
        entries.push(Entry::line(format!("p50 wait{all}"), BLUE_C, 1, true));
        p50_entry = entries.len() - 1;
        if !band.is_empty() {
            entries.push(Entry {
                label: "p99 wait, min–max of the pools".into(),
                swatch: Swatch::Band(RED_C),
            });
        }
    }
    let max_ms = lines
        .iter()
        .flat_map(|l| l.segments.iter().flatten().map(|p| p.1))
        .chain(band.iter().flatten().map(|b| b.2))
        .fold(0.0, f64::max);
    let has_data = lines.iter().any(|l| !l.segments.is_empty());
    // A p50 of 0 everywhere lies on the axis: say so in the legend.
    let p50_max = lines
        .iter()
        .filter(|l| l.dashed)
        .flat_map(|l| l.segments.iter().flatten())
        .map(|p| p.1)
        .fold(0.0, f64::max);
    if has_data && p50_max == 0.0 {
        entries[p50_entry]
            .label
            .push_str(" (0 ms in every bucket: on the axis)");
    }
    // Thin lines when buckets are denser than one per two pixels.
    let dense = merged.len() > 500 || by_pool.values().any(|v| v.len() > 500);
    let (scale, unit) = if max_ms >= 5000.0 { (1e-3, "s") } else { (1.0, "ms") };
    let y_max = nice_max(max_ms * scale);
    if sc.replications > 1 {
        entries.push(Entry {
            label: format!("(waits of all {} replications merged)", sc.replications),
            swatch: Swatch::None,
        });
    }
    let plot_area = with_legend(&body, &entries)?;

    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(SIDE)
        .margin_right(SIDE + 8)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(52)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(
            Axis::linear(0.0..axis.max, axis.bold.clone(), axis.light.clone()),
            0.0..y_max,
        )?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| trim(*v, 2))
        .y_label_formatter(&|v| fmt_tick(*v, y_max))
        .x_desc(axis.desc)
        .y_desc(format!("wait in the queue ({unit})"))
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .y_max_light_lines(1)
        .draw()?;
    for run in &band {
        let mut poly: Vec<(f64, f64)> = run.iter().map(|b| (b.0, b.2 * scale)).collect();
        poly.extend(run.iter().rev().map(|b| (b.0, b.1 * scale)));
        chart.draw_series(std::iter::once(Polygon::new(poly, RED_C.mix(0.2).filled())))?;
    }
    // p50 (dashed) under p99 (solid).
    for dashed in [true, false] {
        for l in lines.iter().filter(|l| l.dashed == dashed) {
            let segs: Vec<Vec<(f64, f64)>> = l
                .segments
                .iter()
                .map(|s| s.iter().map(|p| (p.0, p.1 * scale)).collect())
                .collect();
            let style = if dashed || (dense && per_pool) {
                l.color.stroke_width(1)
            } else {
                l.color.stroke_width(2)
            };
            draw_segments(&mut chart, &segs, style, dashed)?;
        }
    }
    if !has_data {
        note(root, plot_box(&chart), "No waits to show: no evaluation was served")?;
    } else if max_ms == 0.0 {
        note(
            root,
            plot_box(&chart),
            "Every bucket's p99 wait is 0 ms: fewer than 1 % of evaluations queued",
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// 4. Outcomes

fn draw_outcomes<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Results) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let body = frame(root, &title(r, "outcomes by policy and cohort"), &subtitle(r))?;
    let reps = replications(r);
    let (cells, _) = merged_cells(r);

    // Bars placed left to right: a gap between groups.
    struct Bar<'a> {
        x: f64,
        row: &'a DelayRow,
    }
    struct Group {
        policy: String,
        cohort: String,
        from: f64,
        to: f64,
        count: u64,
    }
    const GAP: f64 = 0.9;
    let mut bars: Vec<Bar> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut x = 0.5;
    for c in &cells {
        let same = groups
            .last()
            .is_some_and(|g| g.policy == c.policy && g.cohort == c.cohort);
        if !same {
            if !groups.is_empty() {
                x += GAP;
            }
            groups.push(Group {
                policy: c.policy.clone(),
                cohort: c.cohort.clone(),
                from: x,
                to: x,
                count: 0,
            });
        }
        bars.push(Bar { x, row: c });
        x += 1.0;
        let g = groups.last_mut().expect("a group was just pushed");
        g.to = x;
        g.count += c.count;
    }
    // At least ten bar widths across, centred, so that a few bars stay slim.
    const MIN_SLOTS: f64 = 10.0;
    let shift = ((MIN_SLOTS - (x + 0.5)) / 2.0).max(0.0);
    for b in &mut bars {
        b.x += shift;
    }
    for g in &mut groups {
        g.from += shift;
        g.to += shift;
    }
    let x_max = (x + 0.5).max(MIN_SLOTS);
    let y_max = nice_max(bars.iter().map(|b| b.row.count as f64 / reps).fold(0.0, f64::max) * 1.06);

    let mut present: Vec<&str> = Vec::new();
    for b in &bars {
        if !present.contains(&b.row.outcome.as_str()) {
            present.push(&b.row.outcome);
        }
    }
    present.sort_by_key(|o| outcome_rank(o));
    let mut entries: Vec<Entry> = present
        .iter()
        .map(|o| Entry {
            label: o.to_string(),
            swatch: Swatch::Bar(outcome_color(o)),
        })
        .collect();
    if bars.iter().any(|b| b.row.synced < b.row.count) {
        entries.push(Entry {
            label: "lighter top: not synced by the horizon".into(),
            swatch: Swatch::LightBar(MUTED),
        });
    }
    let plot_area = with_legend(&body, &entries)?;

    let per = if reps > 1.0 {
        format!(" per replication (mean of {reps})")
    } else {
        String::new()
    };
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(SIDE)
        .margin_right(SIDE + 8)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(98)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(Axis::linear(0.0..x_max, Vec::new(), Vec::new()), 0.0..y_max)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_label_formatter(&|v| {
            if reps > 1.0 || v.fract() == 0.0 {
                fmt_tick(*v, y_max)
            } else {
                String::new()
            }
        })
        .x_desc("policy when the wait began · cohort")
        .y_desc(format!("connections{per}"))
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .y_max_light_lines(1)
        .draw()?;

    let bar_px = {
        let a = chart.backend_coord(&(0.0, 0.0));
        let b = chart.backend_coord(&(1.0, 0.0));
        (b.0 - a.0) as f64 * 0.84
    };
    let value_style = anchored(text_style(13.0, FontStyle::Normal, TEXT), HPos::Center, VPos::Bottom);
    for b in &bars {
        let color = outcome_color(&b.row.outcome);
        let (x0, x1) = (b.x + 0.08, b.x + 0.92);
        let synced = b.row.synced as f64 / reps;
        let count = b.row.count as f64 / reps;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x0, 0.0), (x1, synced)],
            color.filled(),
        )))?;
        if count > synced {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0, synced), (x1, count)],
                color.mix(0.3).filled(),
            )))?;
        }
        let label = if reps > 1.0 && count < 100.0 {
            trim(count, 1)
        } else {
            group_thousands(count.round() as i64)
        };
        let (w, _) = root.estimate_text_size(&label, &value_style)?;
        if (w as f64) <= bar_px + 6.0 {
            let p = chart.backend_coord(&(b.x + 0.5, count));
            root.draw(&Text::new(label, (p.0, p.1 - 3), value_style.clone()))?;
        }
    }
    // Group labels under the axis: policy, cohort, connections.
    let gap_px = {
        let a = chart.backend_coord(&(0.0, 0.0));
        let b = chart.backend_coord(&(GAP, 0.0));
        b.0 - a.0
    };
    for g in &groups {
        let a = chart.backend_coord(&(g.from, 0.0));
        let b = chart.backend_coord(&(g.to, 0.0));
        // A label may spill into the gaps on either side, not beyond.
        let room = (b.0 - a.0 + gap_px - 6).max(10) as u32;
        let cx = (a.0 + b.0) / 2;
        let n = g.count as f64 / reps;
        let texts = [
            (short_policy(&g.policy).to_string(), FontStyle::Bold, 15.0, TEXT),
            (g.cohort.clone(), FontStyle::Normal, 14.0, MUTED),
            (
                format!("n = {}", group_thousands(n.round() as i64)),
                FontStyle::Normal,
                14.0,
                MUTED,
            ),
        ];
        for (i, (text, weight, size, color)) in texts.into_iter().enumerate() {
            let (text, size) = fit(root, &text, size, 10.0, weight, room)?;
            let style = anchored(text_style(size, weight, color), HPos::Center, VPos::Top);
            root.draw(&Text::new(text, (cx, a.1 + 8 + 19 * i as i32), style))?;
        }
        root.draw(&PathElement::new(
            vec![(a.0, a.1 + 4), (b.0, a.1 + 4)],
            MUTED.stroke_width(1),
        ))?;
    }
    if bars.is_empty() {
        note(
            root,
            plot_box(&chart),
            "No outcomes to show: no connection was activated or lost access",
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::results::tests::sample;

    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&bytes[12..16], b"IHDR");
        let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        (w, h)
    }

    fn check_folder(dir: &Path, name: &str) {
        for stem in CHART_STEMS {
            let png = std::fs::read(dir.join(format!("{stem}.png"))).unwrap();
            assert_eq!(png_size(&png), (WIDTH, HEIGHT), "{stem}.png");
            assert!(
                png.len() > 10_000 && png.len() < 5_000_000,
                "{stem}.png is {} bytes",
                png.len()
            );
            let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
            let start = svg.trim_start();
            assert!(
                start.starts_with("<svg") || start.starts_with("<?xml"),
                "{stem}.svg: {}",
                &svg[..40]
            );
            assert!(svg.trim_end().ends_with("</svg>"), "{stem}.svg is not closed");
            assert!(svg.contains(name), "{stem}.svg lacks the title");
            assert!(svg.len() < 5_000_000, "{stem}.svg is {} bytes", svg.len());
        }
    }

    #[test]
    fn all_charts_are_written_as_png_and_svg() {
        let (dir, r) = sample("tests/data/small.toml");
        write_charts(&r, dir.path()).unwrap();
        check_folder(dir.path(), &r.run.scenario.name);
    }

    #[test]
    fn an_unmanaged_only_run_still_gets_every_chart() {
        let scenario = tempfile::tempdir().unwrap();
        let file = scenario.path().join("unmanaged.toml");
        std::fs::write(
            &file,
            r#"name = "unmanaged only"
horizon = "6h"
bucket = "30m"
[evaluator]
servers = 1
service_time = { dist = "fixed", value = "10ms" }
[devices]
poll_interval = { dist = "exponential", mean = "30m" }
[[tenants]]
name = "smb"
count = 3
users = { dist = "fixed", value = 4 }
"#,
        )
        .unwrap();
        let (dir, r) = sample(file.to_str().unwrap());
        assert_eq!(r.metric("evaluations"), 0);
        assert_eq!(r.metric("prompts"), 0);
        write_charts(&r, dir.path()).unwrap();
        check_folder(dir.path(), "unmanaged only");
    }

    /// Redraws the charts of the output folders listed in `MAILSIM_CHART_DIRS`
    /// (separated by `:`), for looking at them: `MAILSIM_CHART_DIRS=/tmp/a:/tmp/b
    /// cargo test --release --lib charts::tests::redraw -- --ignored`.
    #[test]
    #[ignore]
    fn redraw() {
        let dirs = std::env::var("MAILSIM_CHART_DIRS").unwrap_or_default();
        for dir in dirs.split(':').filter(|d| !d.is_empty()) {
            let r = Results::load(Path::new(dir)).unwrap();
            let t = std::time::Instant::now();
            write_charts(&r, Path::new(dir)).unwrap();
            eprintln!("{dir}: {:?}", t.elapsed());
        }
    }

    #[test]
    fn formats_read_well() {
        assert_eq!(human(1.0), "1 s");
        assert_eq!(human(600.0), "10 min");
        assert_eq!(human(86400.0), "1 d");
        assert_eq!(human(21600.0), "6 h");
        assert_eq!(human(129600.0), "1.5 d");
        assert_eq!(clock(7500.0), "2 h 5 min");
        assert_eq!(clock(129600.0), "1 d 12 h");
        assert_eq!(clock(30.0), "30 s");
        assert_eq!(group_thousands(37393), "37,393");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(fmt_tick(2500.0, 3000.0), "2,500");
        assert_eq!(fmt_tick(8000.0, 25000.0), "8k");
        assert_eq!(fmt_tick(25000.0, 25000.0), "25k");
        assert_eq!(fmt_tick(0.25, 1.0), "0.25");
        assert_eq!(fmt_tick(0.0, 1e6), "0");
        assert_eq!(short_policy("any_app_prompt_always"), "prompt_always");
    }

    #[test]
    fn markers_sit_on_the_line() {
        let pts = [(1.0, 0.0), (100.0, 50.0), (1000.0, 50.0)];
        assert_eq!(value_on_log_line(&pts, 0.5), 0.0);
        assert!((value_on_log_line(&pts, 10.0) - 25.0).abs() < 1e-9);
        assert_eq!(value_on_log_line(&pts, 500.0), 50.0);
        assert_eq!(value_on_log_line(&pts, 5000.0), 50.0);
        assert_eq!(value_on_log_line(&[], 5.0), 0.0);
    }

    #[test]
    fn gaps_split_lines() {
        let s = segments([(0.0, Some(1.0)), (1.0, None), (2.0, Some(2.0)), (3.0, Some(3.0))]);
        assert_eq!(s, vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]);
    }

    #[test]
    fn time_axes_have_a_dozen_ticks_at_most() {
        for h in [600.0, 7200.0, 86400.0, 3.0 * 86400.0, 7.0 * 86400.0, 90.0 * 86400.0] {
            let a = time_axis(h);
            assert!(a.bold.len() >= 2 && a.bold.len() <= 15, "{h}: {:?}", a.bold);
            assert!(*a.bold.last().unwrap() <= a.max + 1e-9);
        }
    }
}
