//! Chart 2, `evaluator_load`: evaluations, rejections and connections
//! waiting over time, against the pools' capacity.

use super::*;

/// What the evaluators can serve: servers ÷ mean service time.
pub(super) struct Capacity {
    /// Evaluations per second one pool can serve.
    pub(super) per_pool: f64,
    pub(super) pools: u32,
    pub(super) servers: u32,
    pub(super) mean_service_s: f64,
}

impl Capacity {
    pub(super) fn of(r: &Results) -> Option<Capacity> {
        let ev = &r.scenario.evaluator;
        let mean_service_s = ev.service_time.mean_us() / 1e6;
        (mean_service_s > 0.0 && ev.servers > 0).then(|| Capacity {
            per_pool: ev.servers as f64 / mean_service_s,
            pools: ev.pools.max(1),
            servers: ev.servers,
            mean_service_s,
        })
    }

    pub(super) fn all(&self) -> f64 {
        self.per_pool * self.pools as f64
    }
}

/// A rate for a label: 25/s, 33.3/s, 3,200/s.
pub(super) fn per_s(v: f64) -> String {
    if v >= 1000.0 {
        format!("{}/s", group_thousands(v.round() as i64))
    } else {
        format!("{}/s", trim(v, 1))
    }
}

/// Whether a capacity line belongs on an axis whose data reaches
/// `data_max`: within three times it; further up it would squash the load
/// into the bottom of the chart, and is stated in words instead.
pub(super) fn capacity_in_view(capacity: f64, data_max: f64) -> bool {
    data_max > 0.0 && capacity <= 3.0 * data_max
}

pub(super) fn sorted_rows<'a>(rows: impl Iterator<Item = &'a SeriesRow>) -> Vec<&'a SeriesRow> {
    let mut v: Vec<&SeriesRow> = rows.collect();
    v.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    v
}

pub(super) fn draw_load<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Results) -> anyhow::Result<()>
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

    // The busiest pool in each bucket, times the number of pools: the total
    // if every pool were that busy. Against the same capacity line as the
    // total it shows a pool over its own capacity (servers ÷ service time)
    // while the total is under the pools' sum, with one line to read.
    let mut busiest_by_bucket: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    if sc.pools > 1 {
        for row in r.pool_series.iter().filter(|row| row.replication == "all") {
            let v = row.evaluations as f64 * sc.pools as f64 / reps / width(row.t_s);
            let e = busiest_by_bucket
                .entry((row.t_s / bucket).round() as i64)
                .or_insert((mid(row.t_s), v));
            e.1 = e.1.max(v);
        }
    }
    let busiest: Vec<(f64, f64)> = busiest_by_bucket.into_values().collect();

    let max_of = |v: &[(f64, f64)]| v.iter().map(|p| p.1).fold(0.0, f64::max);
    let total_evals: u64 = merged.iter().map(|row| row.evaluations).sum();
    let total_rejected: u64 = merged.iter().map(|row| row.rejected).sum();
    let data_max = max_of(&evals)
        .max(max_of(&rejected))
        .max(max_of(&busiest))
        .max(band.iter().map(|b| b.2).fold(0.0, f64::max));
    let capacity = Capacity::of(r).filter(|_| total_evals > 0);
    let cap_in_view = capacity.as_ref().is_some_and(|c| capacity_in_view(c.all(), data_max));
    let y_max = nice_max(match &capacity {
        Some(c) if cap_in_view => data_max.max(c.all()),
        _ => data_max,
    });
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
    if !busiest.is_empty() {
        entries.push(Entry::line(
            format!(
                "busiest pool × {} pools: above the capacity line, that pool is overloaded",
                sc.pools
            ),
            GREEN_C,
            1,
            false,
        ));
    }
    if let Some(c) = &capacity {
        let servers = format!("{} server{}", c.servers, if c.servers == 1 { "" } else { "s" });
        let formula = if c.pools > 1 {
            format!("{} pools × {servers}", c.pools)
        } else {
            servers
        };
        // A line above the chart is stated here, with the peak's share of it.
        let off = if cap_in_view {
            String::new()
        } else {
            format!(
                ", above the chart: the peak is {:.0} % of it",
                100.0 * data_max / c.all()
            )
        };
        entries.push(Entry::line(
            format!(
                "capacity: {formula} ÷ {} mean service time = {}{off}",
                human(c.mean_service_s),
                per_s(c.all())
            ),
            TEXT,
            2,
            true,
        ));
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
    if let Some(c) = capacity.as_ref().filter(|_| cap_in_view) {
        chart.draw_series(DashedLineSeries::new(
            vec![(0.0, c.all()), (axis.max, c.all())],
            12,
            5,
            TEXT.stroke_width(2),
        ))?;
    }
    if !busiest.is_empty() {
        draw_segments(
            &mut chart,
            std::slice::from_ref(&busiest),
            GREEN_C.stroke_width(1),
            false,
        )?;
    }
    draw_segments(&mut chart, std::slice::from_ref(&evals), BLUE_C.stroke_width(2), false)?;
    draw_segments(
        &mut chart,
        std::slice::from_ref(&rejected),
        RED_C.stroke_width(2),
        false,
    )?;
    draw_change_marks(root, &mut chart, &groups, axis.unit_s, (0.0, y_max))?;
    if let Some(c) = capacity.as_ref().filter(|_| cap_in_view) {
        draw_capacity_label(root, &chart, c.all(), &format!("capacity {}", per_s(c.all())))?;
    }
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

/// The capacity line's value above its right end (below it when the line
/// is at the top of the chart), on a white ground.
fn draw_capacity_label<DB: DrawingBackend, X: Ranged<ValueType = f64>, Y: Ranged<ValueType = f64>>(
    root: &DrawingArea<DB, Shift>,
    chart: &ChartContext<'_, DB, Cartesian2d<X, Y>>,
    value: f64,
    label: &str,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (_, y0, x1, _) = plot_box(chart);
    let line_y = chart.backend_coord(&(0.0, value)).1;
    let below = line_y - y0 < 24;
    let (y, v) = if below {
        (line_y + 5, VPos::Top)
    } else {
        (line_y - 5, VPos::Bottom)
    };
    let style = anchored(text_style(14.0, FontStyle::Bold, TEXT), HPos::Right, v);
    let (w, h) = root.estimate_text_size(label, &style)?;
    let (x, h) = (x1 - 8, h as i32);
    let (top, bottom) = if below { (y - 1, y + h + 1) } else { (y - h - 1, y + 1) };
    root.draw(&Rectangle::new(
        [(x - w as i32 - 4, top), (x + 4, bottom)],
        WHITE.mix(0.85).filled(),
    ))?;
    root.draw(&Text::new(label.to_string(), (x, y), style))?;
    Ok(())
}

/// An upper axis bound a little above `v` (1 when `v` is 0).
pub(super) fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() { 1.0 } else { v * 1.08 }
}
