//! Chart 3, `evaluator_wait`: the p50 and p99 wait per time bucket and
//! pool, with `queue_timeout` marked; and the mark's helpers, which the
//! percentile spectrum shares.

use super::*;

/// The scenario's `queue_timeout` in ms, and whether to draw it on an axis
/// whose data reaches `max_ms`: when the data comes within a quarter of it.
/// Further up it would flatten the data, and the legend says so instead.
pub(super) fn timeout_mark(r: &Results, max_ms: f64) -> Option<(f64, bool)> {
    let t_ms = r.scenario.evaluator.queue_timeout?.0 as f64 / 1e3;
    Some((t_ms, max_ms > 0.0 && max_ms >= 0.25 * t_ms))
}

/// The legend entry of the `queue_timeout` mark.
pub(super) fn timeout_entry(t_ms: f64, in_view: bool) -> Entry {
    if in_view {
        Entry {
            label: "queue_timeout: a request that waited this long was rejected".into(),
            swatch: Swatch::Line {
                color: RED_C,
                width: 2,
                dashed: true,
                marker: None,
            },
        }
    } else {
        Entry {
            label: format!(
                "(queue_timeout {} is far above every wait shown: none near it)",
                human(t_ms / 1e3)
            ),
            swatch: Swatch::None,
        }
    }
}

/// The `queue_timeout` line at `y` (axis units) across the plot; drawn
/// under the data, which may be pinned on it.
pub(super) fn draw_timeout_line<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, RangedCoordf64>>,
    x_range: (f64, f64),
    y: f64,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    chart.draw_series(DashedLineSeries::new(
        vec![(x_range.0, y), (x_range.1, y)],
        9,
        5,
        RED_C.stroke_width(2),
    ))?;
    Ok(())
}

/// The label of the `queue_timeout` line, above its left end, over the data.
pub(super) fn draw_timeout_label<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
    root: &DrawingArea<DB, Shift>,
    chart: &ChartContext<'_, DB, Cartesian2d<X, RangedCoordf64>>,
    y: f64,
    t_ms: f64,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let label = format!("queue_timeout {}: p99 pinned here is censored", human(t_ms / 1e3));
    let style = anchored(text_style(14.0, FontStyle::Bold, RED_C), HPos::Left, VPos::Bottom);
    let (w, h) = root.estimate_text_size(&label, &style)?;
    let (x0, _, _, _) = plot_box(chart);
    let line_y = chart.as_coord_spec().translate(&(chart.x_range().start, y)).1;
    let (x, y) = (x0 + 10, line_y - 5);
    root.draw(&Rectangle::new(
        [(x - 4, y - h as i32 - 1), (x + w as i32 + 4, y + 1)],
        WHITE.mix(0.85).filled(),
    ))?;
    root.draw(&Text::new(label, (x, y), style))?;
    Ok(())
}

/// A bucket of one pool: start (s), p50 and p99 wait (ms).
pub(super) type PoolWait = (f64, Option<f64>, Option<f64>);

pub(super) struct WaitLine {
    pub(super) color: RGBColor,
    pub(super) dashed: bool,
    pub(super) segments: Vec<Vec<(f64, f64)>>,
}

pub(super) fn draw_wait<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Results) -> anyhow::Result<()>
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
    let timeout = timeout_mark(r, max_ms);
    let top_ms = match timeout {
        Some((t, true)) => max_ms.max(t),
        _ => max_ms,
    };
    let (scale, unit) = if top_ms >= 5000.0 { (1e-3, "s") } else { (1.0, "ms") };
    let y_max = nice_max(top_ms * scale);
    if let Some((t, in_view)) = timeout.filter(|_| has_data) {
        entries.push(timeout_entry(t, in_view));
    }
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
    if let Some((t, true)) = timeout.filter(|_| has_data) {
        draw_timeout_line(&mut chart, (0.0, axis.max), t * scale)?;
    }
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
    if let Some((t, true)) = timeout.filter(|_| has_data) {
        draw_timeout_label(root, &chart, t * scale, t)?;
    }
    if !has_data {
        note(root, plot_box(&chart), "No waits to show: no evaluation was served")?;
    } else if max_ms == 0.0 {
        note(
            root,
            plot_box(&chart),
            "Every bucket's p99 wait is 0 ms: fewer than 1 % of evaluations queued (the percentile chart shows the rest)",
        )?;
    }
    Ok(())
}
