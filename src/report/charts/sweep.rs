//! The chart of a sweep: one key metric against the first swept key, one
//! line per value of the second, with confidence bars and SLO limits.

use super::{PALETTE, register_fonts};
use crate::scenario::set::Axis;
use crate::stats::sweep::{Point, SweepSlo};
use plotters::prelude::*;
use std::path::Path;

/// Draws `sweep.png` and `sweep.svg` into `dir`.
pub fn write_sweep_chart(
    dir: &Path,
    name: &str,
    axes: &[Axis],
    points: &[Point],
    slos: &[SweepSlo],
    metric: &str,
) -> anyhow::Result<()> {
    draw(
        &dir.join("sweep.png"),
        &dir.join("sweep.svg"),
        name,
        axes,
        points,
        slos,
        metric,
    )
}

fn draw(
    png: &Path,
    svg: &Path,
    name: &str,
    axes: &[Axis],
    points: &[Point],
    slos: &[SweepSlo],
    metric: &str,
) -> anyhow::Result<()> {
    register_fonts();
    let size = (1000u32, 600u32);
    plot(
        BitMapBackend::new(png, size).into_drawing_area(),
        name,
        axes,
        points,
        slos,
        metric,
    )?;
    plot(
        SVGBackend::new(svg, size).into_drawing_area(),
        name,
        axes,
        points,
        slos,
        metric,
    )?;
    Ok(())
}

fn plot<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    name: &str,
    axes: &[Axis],
    points: &[Point],
    slos: &[SweepSlo],
    metric: &str,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow::anyhow!("drawing the sweep chart: {e:?}");
    root.fill(&WHITE).map_err(err)?;
    let first = &axes[0];
    // x: the first key's values as numbers when they all are, else their positions.
    let numeric: Option<Vec<f64>> = first.values.iter().map(|v| v.parse::<f64>().ok()).collect();
    let xs: Vec<f64> = numeric
        .clone()
        .unwrap_or_else(|| (0..first.values.len()).map(|i| i as f64).collect());
    let x_of = |v: &str| first.values.iter().position(|x| x == v).map(|i| xs[i]).unwrap_or(0.0);
    // y: linear, or log10 when the values span more than two decades (a
    // saturated point next to healthy ones).
    let mut all_y: Vec<f64> = points
        .iter()
        .filter_map(|p| p.metrics.get(metric))
        .map(|&(m, hw)| m + hw.unwrap_or(0.0))
        .collect();
    all_y.extend(slos.iter().filter(|s| s.metric == metric).map(|s| s.limit));
    let top = all_y.iter().cloned().fold(0.0, f64::max);
    let low = all_y.iter().cloned().filter(|&v| v > 0.0).fold(f64::INFINITY, f64::min);
    let log = top > 0.0 && low.is_finite() && top / low > 100.0;
    let floor = low / 10.0;
    let ty = move |v: f64| if log { v.max(floor).log10() } else { v };
    let (y_lo, y_hi) = if log {
        (floor.log10(), top.log10() + 0.2)
    } else {
        (0.0, if top > 0.0 { top * 1.1 } else { 1.0 })
    };
    let (x_lo, x_hi) = (
        xs.iter().cloned().fold(f64::INFINITY, f64::min),
        xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
    );
    let pad = ((x_hi - x_lo) * 0.05).max(0.5);
    let title: String = name.chars().take(48).collect::<String>() + if name.chars().count() > 48 { "…" } else { "" };
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{title} — {metric} by {}", first.path), ("sans-serif", 18))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(x_lo - pad..x_hi + pad, y_lo..y_hi)
        .map_err(err)?;
    let labels = first.values.clone();
    let is_numeric = numeric.is_some();
    let integers = numeric.as_ref().is_some_and(|v| v.iter().all(|x| x.fract() == 0.0));
    let y_desc = if log {
        format!("{metric} (log scale)")
    } else {
        metric.to_string()
    };
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc(first.path.as_str())
        .y_desc(y_desc)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .x_labels(if integers || !is_numeric {
            first.values.len().min(20) + 1
        } else {
            10
        })
        .x_label_formatter(&|x| {
            let whole = (x - x.round()).abs() < 1e-6;
            if !is_numeric {
                labels
                    .get(x.round() as usize)
                    .filter(|_| whole)
                    .cloned()
                    .unwrap_or_default()
            } else if integers {
                if whole { format!("{:.0}", x) } else { String::new() }
            } else {
                format!("{x}")
            }
        })
        .y_label_formatter(&|y| {
            let v = if log { 10f64.powf(*y) } else { *y };
            if v >= 100.0 {
                format!("{v:.0}")
            } else if v >= 1.0 {
                format!("{v:.1}")
            } else {
                format!("{v:.3}")
            }
        })
        .draw()
        .map_err(err)?;
    // One line per value of the second key (or a single line).
    let series: Vec<(String, Vec<&Point>)> = match axes.get(1) {
        Some(second) => second
            .values
            .iter()
            .map(|v| {
                (
                    format!("{}={v}", second.path),
                    points.iter().filter(|p| p.values[1] == *v).collect(),
                )
            })
            .collect(),
        None => vec![(metric.to_string(), points.iter().collect())],
    };
    for (i, (label, pts)) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let line: Vec<(f64, f64, f64)> = pts
            .iter()
            .filter_map(|p| {
                p.metrics
                    .get(metric)
                    .map(|&(m, hw)| (x_of(&p.values[0]), m, hw.unwrap_or(0.0)))
            })
            .collect();
        let line: Vec<(f64, f64, f64, f64)> = line
            .into_iter()
            .map(|(x, m, hw)| (x, ty(m), ty(m - hw), ty(m + hw)))
            .collect();
        chart
            .draw_series(LineSeries::new(
                line.iter().map(|&(x, m, _, _)| (x, m)),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        chart
            .draw_series(line.iter().map(|&(x, m, _, _)| Circle::new((x, m), 4, color.filled())))
            .map_err(err)?;
        chart
            .draw_series(
                line.iter()
                    .filter(|l| l.3 > l.2)
                    .map(|&(x, _, lo, hi)| PathElement::new(vec![(x, lo), (x, hi)], color.stroke_width(1))),
            )
            .map_err(err)?;
    }
    for s in slos.iter().filter(|s| s.metric == metric) {
        let red = RGBColor(200, 40, 40);
        chart
            .draw_series(LineSeries::new(
                vec![(x_lo - pad, ty(s.limit)), (x_hi + pad, ty(s.limit))],
                red.stroke_width(2),
            ))
            .map_err(err)?
            .label(format!("SLO: {} {}", if s.bound == "max" { "≤" } else { "≥" }, s.limit))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(1)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 15))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
