//! Chart 1, `sync_delay_cdf`: the share of connections synced within a delay.

use super::*;

pub(super) struct CdfLine {
    pub(super) label: String,
    pub(super) color: RGBColor,
    pub(super) dashed: bool,
    pub(super) marker: Option<Marker>,
    pub(super) points: Vec<(f64, f64)>,
}

/// Labelled tick positions of a log duration axis.
pub(super) const DURATION_TICKS: [f64; 12] = [
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
pub(super) const DURATION_LIGHT: [f64; 19] = [
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
