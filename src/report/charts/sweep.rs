//! The chart of a sweep: one key metric against the first swept key, one
//! line per combination of the other keys, with 95 % intervals, every SLO
//! limit on that metric, and the cheapest point meeting every SLO marked.
//! Drawn with the toolkit of the run charts, at their size.

use super::*;
use crate::scenario::set::Axis as SweepAxis;
use crate::stats::sweep::{Point, SweepSlo};

/// Draws `sweep.png` and `sweep.svg` into `dir`; `chosen` is the cheapest
/// point meeting every SLO (`stats::sweep::cheapest`).
pub fn write_sweep_chart(
    dir: &Path,
    name: &str,
    axes: &[SweepAxis],
    points: &[Point],
    slos: &[SweepSlo],
    metric: &str,
    chosen: Option<usize>,
) -> anyhow::Result<()> {
    register_fonts();
    let sweep = Sweep {
        name,
        axes,
        points,
        slos,
        metric,
        chosen,
    };
    let png = dir.join("sweep.png");
    {
        let root = BitMapBackend::new(&png, (WIDTH, HEIGHT)).into_drawing_area();
        draw_sweep(&root, &sweep).with_context(|| format!("cannot draw {}", png.display()))?;
        root.present()
            .with_context(|| format!("cannot write {}", png.display()))?;
    }
    let svg_path = dir.join("sweep.svg");
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw_sweep(&root, &sweep).with_context(|| format!("cannot draw {}", svg_path.display()))?;
        root.present()
            .with_context(|| format!("cannot draw {}", svg_path.display()))?;
    }
    std::fs::write(&svg_path, svg).with_context(|| format!("cannot write {}", svg_path.display()))
}

/// What a sweep chart shows.
struct Sweep<'a> {
    name: &'a str,
    axes: &'a [SweepAxis],
    points: &'a [Point],
    slos: &'a [SweepSlo],
    metric: &'a str,
    chosen: Option<usize>,
}

/// A number as a sweep shows it: 50, 0.001, 29,999.1.
fn num(v: f64) -> String {
    if v.abs() >= 1000.0 {
        let whole = group_thousands(v.trunc() as i64);
        let frac = trim(v.fract().abs(), 1);
        match frac.strip_prefix('0') {
            Some(rest) if rest.starts_with('.') => format!("{whole}{rest}"),
            _ => whole,
        }
    } else {
        trim(v, 6)
    }
}

/// `metric ≤ limit` or `metric ≥ limit`.
fn slo_text(s: &SweepSlo) -> String {
    format!(
        "{} {} {}",
        s.metric,
        if s.bound == "max" { "≤" } else { "≥" },
        num(s.limit)
    )
}

/// A tick of a log axis, as short as it is exact: 0.02, 5, 500, 2k, 1M.
pub(super) fn fmt_log_tick(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", trim(v / 1e6, 3))
    } else if v >= 1e3 {
        format!("{}k", trim(v / 1e3, 3))
    } else {
        trim(v, 6)
    }
}

/// Ticks of a log axis over `lo..hi` at round values: 1, 2, 5, 10, 20, 50…
/// labelled while that makes at most 12; else powers of ten labelled and
/// 2 and 5 as light grid lines.
pub(super) fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let inside = |v: &f64| *v >= lo * 0.9999 && *v <= hi * 1.0001;
    let decades: Vec<f64> = (a..=b).map(|k| 10f64.powi(k)).filter(inside).collect();
    let halves: Vec<f64> = (a..=b)
        .flat_map(|k| [2.0 * 10f64.powi(k), 5.0 * 10f64.powi(k)])
        .filter(inside)
        .collect();
    if decades.len() + halves.len() <= 12 {
        let mut all: Vec<f64> = decades.into_iter().chain(halves).collect();
        all.sort_by(f64::total_cmp);
        (all, Vec::new())
    } else {
        (decades, halves)
    }
}

/// Ticks of a linear axis over `lo..hi` at a round step (1, 2 or 5 × 10^k),
/// at most 10 of them.
pub(super) fn linear_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let mut step = 10f64.powf((span / 10.0).log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if span / (step * m) <= 10.0 {
            step *= m;
            break;
        }
    }
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    // Rounded to the step's decimals: 3 × 0.2 is 0.6000000000000001.
    let scale = 10f64.powi((-step.log10().floor()).max(0.0) as i32);
    (first..=last)
        .map(|i| (i as f64 * step * scale).round() / scale)
        .collect()
}

fn draw_sweep<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, s: &Sweep) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let first = &s.axes[0];
    // Keys with one value are settings of every point, not series.
    let fixed: Vec<String> = s.axes[1..]
        .iter()
        .filter(|a| a.values.len() == 1)
        .map(|a| format!("{}={}", a.path, a.values[0]))
        .collect();
    let varying: Vec<usize> = (1..s.axes.len()).filter(|&i| s.axes[i].values.len() > 1).collect();
    let verdict = match (s.chosen, s.slos.is_empty()) {
        (_, true) => "no SLO given".to_string(),
        (Some(i), false) => format!("cheapest point meeting every SLO: {}", short_label(s, i)),
        (None, false) => "no point meets every SLO with confidence".to_string(),
    };
    let mut sub = format!(
        "{} · mean and 95 % interval · {verdict}",
        plural(s.points.len() as u64, "point", "points")
    );
    if !fixed.is_empty() {
        sub = format!("{} · {sub}", fixed.join(", "));
    }
    let body = frame(
        root,
        &format!("{} — sweep: {} by {}", s.name, s.metric, first.path),
        &sub,
    )?;

    // x: the first key's values as numbers when they all are, else their positions.
    let numeric: Option<Vec<f64>> = first.values.iter().map(|v| v.parse::<f64>().ok()).collect();
    let xs: Vec<f64> = numeric
        .clone()
        .unwrap_or_else(|| (0..first.values.len()).map(|i| i as f64).collect());
    let x_of = |v: &str| first.values.iter().position(|x| x == v).map_or(0.0, |i| xs[i]);

    // One series per combination of the keys that vary, in grid order.
    let key = |p: &Point| -> Vec<String> { varying.iter().map(|&i| p.values[i].clone()).collect() };
    let mut series: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
    for (i, p) in s.points.iter().enumerate() {
        let k = key(p);
        match series.iter_mut().find(|(sk, _)| *sk == k) {
            Some((_, idx)) => idx.push(i),
            None => series.push((k, vec![i])),
        }
    }
    let color_of = |n: usize| {
        if series.len() == 1 {
            BLUE_C
        } else {
            PALETTE[n % PALETTE.len()]
        }
    };

    // y: linear, or log when the values span more than two decades (a
    // saturated point next to healthy ones).
    let value = |i: usize| s.points[i].metrics.get(s.metric).copied();
    let on_metric: Vec<&SweepSlo> = s.slos.iter().filter(|x| x.metric == s.metric).collect();
    let mut ys: Vec<f64> = Vec::new();
    for i in 0..s.points.len() {
        if let Some((m, hw)) = value(i) {
            let hw = hw.unwrap_or(0.0);
            ys.extend([m - hw, m, m + hw]);
        }
    }
    ys.extend(on_metric.iter().map(|x| x.limit));
    let top = ys.iter().copied().fold(0.0, f64::max);
    let low = ys.iter().copied().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
    let log = top > 0.0 && low.is_finite() && top / low > 100.0;
    let y_axis = if log {
        let (lo, hi) = (10f64.powf(low.log10().floor()), top * 1.6);
        let (bold, light) = log_ticks(lo, hi);
        Axis::log(lo..hi, bold, light)
    } else {
        let lo = ys.iter().copied().fold(0.0, f64::min) * 1.1;
        let hi = if top > 0.0 { top * 1.12 } else { 1.0 };
        Axis::linear(lo..hi, linear_ticks(lo, hi), Vec::new())
    };
    let y_lo = y_axis.lo;
    let clamp = |v: f64| if log { v.max(y_lo) } else { v };

    let (x_lo, x_hi) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let pad = ((x_hi - x_lo) * 0.06).max(0.5);
    let x_ticks = if xs.len() <= 20 {
        xs.clone()
    } else {
        linear_ticks(x_lo, x_hi)
    };

    let mut entries: Vec<Entry> = Vec::new();
    if series.len() > 1 {
        for (n, (k, _)) in series.iter().enumerate() {
            let label = varying
                .iter()
                .zip(k)
                .map(|(&i, v)| format!("{}={v}", s.axes[i].path))
                .collect::<Vec<_>>()
                .join(", ");
            entries.push(Entry::line(label, color_of(n), 2, false));
        }
    }
    for slo in &on_metric {
        entries.push(Entry::line(format!("SLO: {}", slo_text(slo)), RED_C, 2, true));
    }
    if !s.slos.is_empty() {
        entries.push(Entry {
            label: "meets every SLO with confidence".into(),
            swatch: Swatch::Line {
                color: MUTED,
                width: 0,
                dashed: false,
                marker: Some(Marker::Dot),
            },
        });
        entries.push(Entry {
            label: "fails an SLO".into(),
            swatch: Swatch::Line {
                color: MUTED,
                width: 0,
                dashed: false,
                marker: Some(Marker::Ring),
            },
        });
    }
    let any_interval = (0..s.points.len()).any(|i| value(i).is_some_and(|(_, hw)| hw.unwrap_or(0.0) > 0.0));
    if any_interval {
        entries.push(Entry {
            label: "bar: 95 % confidence interval of the mean".into(),
            swatch: Swatch::None,
        });
    }
    let elsewhere: Vec<String> = s.slos.iter().filter(|x| x.metric != s.metric).map(slo_text).collect();
    if !elsewhere.is_empty() {
        entries.push(Entry {
            label: format!("also required (another metric): {}", elsewhere.join(", ")),
            swatch: Swatch::None,
        });
    }
    let plot_area = with_legend(&body, &entries)?;

    let labels = first.values.clone();
    let is_numeric = numeric.is_some();
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(SIDE)
        .margin_right(SIDE + 8)
        .margin_top(10)
        .margin_bottom(8)
        .x_label_area_size(52)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(Axis::linear(x_lo - pad..x_hi + pad, x_ticks, Vec::new()), y_axis)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| {
            if is_numeric {
                // The value as written where it is one of the swept values.
                xs.iter()
                    .position(|v| (v - x).abs() < 1e-9)
                    .map_or_else(|| trim(*x, 6), |i| labels[i].clone())
            } else {
                labels.get(x.round() as usize).cloned().unwrap_or_default()
            }
        })
        .y_label_formatter(&|v| if log { fmt_log_tick(*v) } else { fmt_tick(*v, top) })
        .x_desc(first.path.as_str())
        .y_desc(if log {
            format!("{} (log scale)", s.metric)
        } else {
            s.metric.to_string()
        })
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .draw()?;

    for slo in &on_metric {
        chart.draw_series(DashedLineSeries::new(
            vec![(x_lo - pad, clamp(slo.limit)), (x_hi + pad, clamp(slo.limit))],
            9,
            5,
            RED_C.stroke_width(2),
        ))?;
    }
    // Each series as drawn, in pixels, for placing the chosen point's label.
    let mut drawn: Vec<Vec<(i32, i32)>> = Vec::new();
    for (n, (_, idx)) in series.iter().enumerate() {
        let color = color_of(n);
        let mut pts: Vec<(f64, f64, f64, usize)> = idx
            .iter()
            .filter_map(|&i| {
                value(i).map(|(m, hw)| {
                    let hw = hw.unwrap_or(0.0);
                    (x_of(&s.points[i].values[0]), m, hw, i)
                })
            })
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        drawn.push(pts.iter().map(|p| chart.backend_coord(&(p.0, clamp(p.1)))).collect());
        chart.draw_series(LineSeries::new(
            pts.iter().map(|p| (p.0, clamp(p.1))),
            color.stroke_width(2),
        ))?;
        for &(x, m, hw, i) in &pts {
            if hw > 0.0 {
                let a = chart.backend_coord(&(x, clamp(m - hw)));
                let b = chart.backend_coord(&(x, clamp(m + hw)));
                let style = color.stroke_width(2);
                root.draw(&PathElement::new(vec![a, b], style))?;
                root.draw(&PathElement::new(vec![(a.0 - 5, a.1), (a.0 + 5, a.1)], style))?;
                root.draw(&PathElement::new(vec![(b.0 - 5, b.1), (b.0 + 5, b.1)], style))?;
            }
            let fails = !s.slos.is_empty() && !s.points[i].meets(s.slos);
            let marker = if fails { Marker::Ring } else { Marker::Dot };
            draw_marker(root, marker, chart.backend_coord(&(x, clamp(m))), color)?;
        }
    }
    let (x0, y0, x1, y1) = plot_box(&chart);
    for slo in &on_metric {
        let y = chart.backend_coord(&(x_lo, clamp(slo.limit))).1;
        label_box(root, &format!("SLO: {}", slo_text(slo)), (x0 + 10, y - 5), RED_C, false)?;
    }
    if let Some(i) = s.chosen
        && let Some((m, _)) = value(i)
    {
        let p = chart.backend_coord(&(x_of(&s.points[i].values[0]), clamp(m)));
        root.draw(&Circle::new(p, 12, TEXT.stroke_width(2)))?;
        let text = format!("cheapest meeting every SLO: {}", short_label(s, i));
        let style = text_style(14.0, FontStyle::Bold, TEXT);
        let (w, h) = root.estimate_text_size(&text, &style)?;
        // Beside the ring where it covers the least of the lines.
        let segments: Vec<Segment> = drawn
            .iter()
            .flat_map(|line| line.windows(2).map(|w| (w[0], w[1])))
            .collect();
        let (w, h) = (w as i32, h as i32);
        let candidates = [
            (p.0 - 18 - w, p.1 + 18),
            (p.0 + 18, p.1 + 18),
            (p.0 - 18 - w, p.1 - 18 - h),
            (p.0 + 18, p.1 - 18 - h),
        ];
        let (left, top) = candidates
            .iter()
            .map(|&(l, t)| {
                (
                    l.clamp(x0 + 4, (x1 - 4 - w).max(x0 + 4)),
                    t.clamp(y0 + 4, (y1 - 4 - h).max(y0 + 4)),
                )
            })
            .min_by_key(|&(l, t)| covered(&segments, (l - 4, t - 2, l + w + 4, t + h + 2)))
            .unwrap_or((p.0 + 18, p.1 - 18 - h));
        label_box(root, &text, (left, top + h), TEXT, false)?;
    }
    if s.points.iter().all(|p| !p.metrics.contains_key(s.metric)) {
        note(root, plot_box(&chart), &format!("No point has data for {}", s.metric))?;
    }
    Ok(())
}

/// A point by its first key and the keys that vary (the others are in the subtitle).
fn short_label(s: &Sweep, i: usize) -> String {
    s.axes
        .iter()
        .zip(&s.points[i].values)
        .enumerate()
        .filter(|(k, (a, _))| *k == 0 || a.values.len() > 1)
        .map(|(_, (a, v))| format!("{}={v}", a.path))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A line segment in pixels: from, to.
type Segment = ((i32, i32), (i32, i32));

/// How much of the `segments` a box (left, top, right, bottom) covers:
/// points sampled every few pixels along them that fall inside.
fn covered(segments: &[Segment], (l, t, r, b): (i32, i32, i32, i32)) -> usize {
    let mut n = 0;
    for &((xa, ya), (xb, yb)) in segments {
        let steps = ((xb - xa).abs().max((yb - ya).abs()) / 3).max(1);
        for k in 0..=steps {
            let f = k as f64 / steps as f64;
            let x = xa as f64 + f * (xb - xa) as f64;
            let y = ya as f64 + f * (yb - ya) as f64;
            if x >= l as f64 && x <= r as f64 && y >= t as f64 && y <= b as f64 {
                n += 1;
            }
        }
    }
    n
}

/// Bold text on a white ground with its bottom at `at`: starting there, or
/// ending there when `right_aligned`.
fn label_box<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    at: (i32, i32),
    color: RGBColor,
    right_aligned: bool,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let h = if right_aligned { HPos::Right } else { HPos::Left };
    let style = anchored(text_style(14.0, FontStyle::Bold, color), h, VPos::Bottom);
    let (w, ht) = root.estimate_text_size(text, &style)?;
    let (w, ht) = (w as i32, ht as i32);
    let left = if right_aligned { at.0 - w } else { at.0 };
    root.draw(&Rectangle::new(
        [(left - 4, at.1 - ht - 1), (left + w + 4, at.1 + 1)],
        WHITE.mix(0.85).filled(),
    ))?;
    root.draw(&Text::new(text.to_string(), at, style))?;
    Ok(())
}
