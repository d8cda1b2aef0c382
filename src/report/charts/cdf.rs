//! Chart 1, `sync_delay_cdf`: the share of connections synced within a delay.

use super::*;

pub(super) struct CdfLine {
    pub(super) label: String,
    pub(super) color: RGBColor,
    pub(super) dashed: bool,
    pub(super) marker: Option<Marker>,
    pub(super) points: Vec<(f64, f64)>,
}

/// Labelled tick positions of a log duration axis, from a millisecond.
pub(super) const DURATION_TICKS: [f64; 15] = [
    0.001,
    0.01,
    0.1,
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
pub(super) const DURATION_LIGHT: [f64; 25] = [
    0.002,
    0.005,
    0.02,
    0.05,
    0.2,
    0.5,
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

/// Where the delay axis starts: the first delay of `sync_delay_cdf.csv`
/// (1 ms), so that the `direct` curves, the evaluator's millisecond
/// queueing that servers are sized on, are drawn rather than a flat line;
/// and the same on every run, so that charts of two runs compare.
pub(super) fn delay_axis_start(r: &Results) -> f64 {
    r.sync_cdf
        .iter()
        .map(|row| row.delay_s)
        .filter(|d| *d > 0.0)
        .reduce(f64::min)
        .unwrap_or(0.001)
}

/// The bottom of the "still waiting" axis (percent): the decade below the
/// smallest share still waiting, from 0.001 % to 1 %.
pub(super) fn waiting_floor(smallest_pct: Option<f64>) -> f64 {
    match smallest_pct {
        Some(v) if v > 0.0 => 10f64.powf(v.log10().floor()).clamp(0.001, 1.0),
        _ => 1.0,
    }
}

/// A percentage on a log axis: 100 %, 1 %, 0.01 %.
pub(super) fn pct_label(v: f64) -> String {
    format!("{} %", trim(v, 4))
}

pub(super) fn draw_cdf<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Results) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let body = frame(root, &title(r, "sync delay: share of connections synced"), &subtitle(r))?;
    let x_max = r.run.scenario.horizon_s.max(10.0);

    // The cells to draw, in policy (as written), cohort, outcome order.
    let (cells, policies) = merged_cells(r);
    let policy_rank = |p: &str| policies.iter().position(|x| *x == p).unwrap_or(0);
    let multi = policies.len() > 1;

    // Each cell's (delay, share) points, in the file's (increasing) order.
    let curves: Vec<Vec<(f64, f64)>> = cells
        .iter()
        .map(|c| {
            r.sync_cdf
                .iter()
                .filter(|row| {
                    row.replication == "all"
                        && row.policy == c.policy
                        && row.cohort == c.cohort
                        && row.outcome == c.outcome
                })
                .map(|row| (row.delay_s, row.share))
                .collect()
        })
        .collect();
    let x_min = delay_axis_start(r);

    let mut lines = Vec::new();
    for (c, pts) in cells.iter().zip(&curves) {
        let mut before = 0.0;
        let mut points = Vec::new();
        for &(d, share) in pts {
            if d < x_min {
                before = share;
            } else if d <= x_max * 1.0001 {
                if points.is_empty() && d > x_min {
                    points.push((x_min, before * 100.0));
                }
                points.push((d.min(x_max), share * 100.0));
            }
        }
        if points.is_empty() {
            points.push((x_min, before * 100.0));
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
    let px = |s: f64| (s / x_min).log10() / (x_max / x_min).log10() * plot_w;
    let mut bold: Vec<f64> = Vec::new();
    for t in DURATION_TICKS
        .iter()
        .copied()
        .filter(|t| *t >= x_min * 0.999 && *t <= x_max)
    {
        if bold.last().is_none_or(|b| px(t) - px(*b) >= 60.0) {
            bold.push(t);
        }
    }
    if bold.last().is_some_and(|b| px(x_max) - px(*b) >= 70.0) {
        bold.push(x_max);
    }
    let light: Vec<f64> = DURATION_LIGHT
        .iter()
        .copied()
        .filter(|t| *t > x_min && *t < x_max)
        .collect();
    let x_axis = || Axis::log(x_min..x_max, bold.clone(), light.clone());

    // Two panels on one delay axis: the share synced (linear, where the
    // bulk is) and, below, the share still waiting on a log scale, where
    // the tail (the last 1 %, 0.1 %, …) is readable.
    let (_, h) = plot_area.dim_in_pixel();
    let (top, bottom) = plot_area.split_vertically((h as f64 * 0.54).round() as u32);
    let y_ticks: Vec<f64> = (0..=5).map(|i| i as f64 * 20.0).collect();
    let y_light: Vec<f64> = (0..5).map(|i| i as f64 * 20.0 + 10.0).collect();
    let mut chart = ChartBuilder::on(&top)
        .margin_left(SIDE)
        .margin_right(SIDE + 8)
        .margin_top(if show_limit { 20 } else { 6 })
        .margin_bottom(4)
        .x_label_area_size(0)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(x_axis(), Axis::linear(-1.5..101.5, y_ticks, y_light))?;
    chart
        .configure_mesh()
        .x_label_formatter(&|_| String::new())
        .y_label_formatter(&|v| format!("{v:.0} %"))
        .y_desc("synced (%)")
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .draw()?;

    let smallest_waiting = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| 100.0 - p.1))
        .filter(|v| *v > 1e-9)
        .reduce(f64::min);
    let floor = waiting_floor(smallest_waiting);
    let mut decades = Vec::new();
    let mut d = 100.0;
    while d >= floor * 0.999 {
        decades.push(d);
        d /= 10.0;
    }
    let halves: Vec<f64> = decades.iter().skip(1).flat_map(|d| [d * 2.0, d * 5.0]).collect();
    let mut tail = ChartBuilder::on(&bottom)
        .margin_left(SIDE)
        .margin_right(SIDE + 8)
        .margin_top(18)
        .margin_bottom(8)
        .x_label_area_size(52)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(x_axis(), Axis::log(floor..130.0, decades, halves))?;
    tail.configure_mesh()
        .x_label_formatter(&|v| human(*v))
        .y_label_formatter(&|v| pct_label(*v))
        .x_desc("delay since activation or loss of access (log scale)")
        .y_desc("still waiting (%, log)")
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .draw()?;

    if show_limit {
        let dashed = |y0: f64, y1: f64| {
            DashedLineSeries::new(vec![(86400.0, y0), (86400.0, y1)], 6, 4, MARKER_GRAY.stroke_width(2))
        };
        chart.draw_series(dashed(-1.5, 101.5))?;
        tail.draw_series(dashed(floor, 130.0))?;
    }

    // New cohort (solid) first, existing (dashed) on top so both stay visible.
    for dashed in [false, true] {
        for l in lines.iter().filter(|l| l.dashed == dashed) {
            let style = l.color.stroke_width(2);
            draw_segments(&mut chart, std::slice::from_ref(&l.points), style, dashed)?;
            draw_segments(&mut tail, &waiting_segments(&l.points, floor), style, dashed)?;
        }
    }
    // Markers, staggered per policy so that overlapping lines show each one.
    if multi {
        let (lo, hi) = (x_min.log10(), x_max.log10());
        let n_marks = 7;
        for l in &lines {
            let Some(m) = l.marker else { continue };
            let k = MARKERS.iter().position(|x| *x == m).unwrap_or(0) as f64;
            for j in 0..n_marks {
                let f = (j as f64 + (k + 1.0) / (policies.len() as f64 + 1.0)) / n_marks as f64;
                let x = 10f64.powf(lo + f * (hi - lo));
                let y = value_on_log_line(&l.points, x);
                draw_marker(root, m, chart.backend_coord(&(x, y)), l.color)?;
                // Below, on a point of the line (straight in log-log between points).
                if let Some(&(px, py)) = l
                    .points
                    .iter()
                    .min_by(|a, b| (a.0 / x).ln().abs().total_cmp(&(b.0 / x).ln().abs()))
                {
                    let waiting = 100.0 - py;
                    if waiting >= floor {
                        draw_marker(root, m, tail.backend_coord(&(px, waiting)), l.color)?;
                    }
                }
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

/// The share still waiting (percent) of a CDF line, in runs above `floor`:
/// a run that reaches zero (everyone synced) ends on the floor.
pub(super) fn waiting_segments(points: &[(f64, f64)], floor: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for &(x, synced) in points {
        let waiting = 100.0 - synced;
        if waiting >= floor {
            cur.push((x, waiting));
        } else if !cur.is_empty() {
            cur.push((x, floor));
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The value at `x` of the polyline through `points` as drawn on a log x
/// axis (straight between points in log x), so that markers sit on the line.
pub(super) fn value_on_log_line(points: &[(f64, f64)], x: f64) -> f64 {
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
