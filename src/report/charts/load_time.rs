//! `load_timeline` (loads only): over the simulated clock, the evaluations
//! sent per second with failures and drops (top), and the latency per
//! bucket, measured p50 and p99 beside the predicted p99, with the send
//! lag's p99 (bottom); drawn from `load_timeseries.csv`.

use super::*;
use crate::output::results::LoadResults;

pub(super) fn draw_load_time<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &Results,
    l: &LoadResults,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let body = frame(
        root,
        &title(r, "live load over time"),
        &format!(
            "{} as pool {} · ×{}: {} simulated in {} · per bucket of {}",
            l.meta.target,
            l.meta.pool,
            trim(l.meta.speedup, 3),
            human(r.run.scenario.horizon_s),
            human(l.meta.wall_s),
            human(r.run.scenario.bucket_s)
        ),
    )?;
    let sc = &r.run.scenario;
    let horizon = sc.horizon_s.max(1e-3);
    let bucket = if sc.bucket_s > 0.0 { sc.bucket_s } else { horizon };
    let axis = time_axis(horizon);
    let mid = |t: f64| (t + (horizon - t).clamp(1e-9, bucket) / 2.0) / axis.unit_s;
    // Rates per second of wall time: a bucket lasts bucket ÷ speed-up.
    let wall = |t: f64| (horizon - t).clamp(1e-9, bucket) / l.meta.speedup;
    let rate = |n: u64, t: f64| n as f64 / wall(t);
    let rows = &l.series;
    let sent: Vec<(f64, f64)> = rows.iter().map(|x| (mid(x.t_s), rate(x.sent, x.t_s))).collect();
    let failed: Vec<(f64, f64)> = rows.iter().map(|x| (mid(x.t_s), rate(x.errors, x.t_s))).collect();
    let dropped: Vec<(f64, f64)> = rows.iter().map(|x| (mid(x.t_s), rate(x.dropped, x.t_s))).collect();
    let any = |v: &[(f64, f64)]| v.iter().any(|p| p.1 > 0.0);

    let mut entries = vec![Entry::line("evaluations sent per second (wall)", BLUE_C, 2, false)];
    if any(&failed) {
        entries.push(Entry::line("failed or rejected per second", RED_C, 2, false));
    }
    if any(&dropped) {
        entries.push(Entry::line("dropped at --max-in-flight per second", PURPLE_C, 2, true));
    }
    entries.push(Entry::line("latency p99, measured from intent", RED_C, 3, false));
    entries.push(Entry::line("latency p50, measured", BLUE_C, 1, true));
    entries.push(Entry::line("response p99, predicted by the model", ORANGE_C, 2, true));
    entries.push(Entry::line("send lag p99 (intended → on the wire)", GREEN_C, 1, false));
    let area = with_legend(&body, &entries)?;
    let (_, h) = area.dim_in_pixel();
    let (top, bottom) = area.split_vertically((h as f64 * 0.42) as u32);

    let y_rate = nice_max(
        sent.iter()
            .chain(&failed)
            .chain(&dropped)
            .map(|p| p.1)
            .fold(0.0, f64::max),
    );
    let mut chart = ChartBuilder::on(&top)
        .margin_left(SIDE)
        .margin_right(SIDE + 8)
        .margin_top(6)
        .margin_bottom(4)
        .x_label_area_size(10)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(
            Axis::linear(0.0..axis.max, axis.bold.clone(), axis.light.clone()),
            0.0..y_rate,
        )?;
    chart
        .configure_mesh()
        .x_label_formatter(&|_| String::new())
        .y_label_formatter(&|v| fmt_tick(*v, y_rate))
        .y_desc("calls per second")
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .y_max_light_lines(1)
        .draw()?;
    draw_segments(&mut chart, &[sent], BLUE_C.stroke_width(2), false)?;
    if any(&failed) {
        draw_segments(&mut chart, &[failed], RED_C.stroke_width(2), false)?;
    }
    if any(&dropped) {
        draw_segments(&mut chart, &[dropped], PURPLE_C.stroke_width(2), true)?;
    }

    let line = |f: &dyn Fn(&crate::output::results::LoadSeriesRow) -> Option<f64>| {
        segments(rows.iter().map(|x| (mid(x.t_s), f(x))))
    };
    let p99 = line(&|x| x.latency_p99_ms);
    let p50 = line(&|x| x.latency_p50_ms);
    let pred = line(&|x| x.predicted_p99_ms);
    let lag = line(&|x| x.send_lag_p99_ms);
    let max_ms = [&p99, &p50, &pred, &lag]
        .iter()
        .flat_map(|s| s.iter().flatten().map(|p| p.1))
        .fold(0.0, f64::max);
    let (scale, unit) = if max_ms >= 5000.0 { (1e-3, "s") } else { (1.0, "ms") };
    let y_max = nice_max(max_ms * scale);
    let mut chart = ChartBuilder::on(&bottom)
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
        .y_desc(format!("latency ({unit})"))
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .y_max_light_lines(1)
        .draw()?;
    let scaled = |s: &Vec<Vec<(f64, f64)>>| -> Vec<Vec<(f64, f64)>> {
        s.iter()
            .map(|seg| seg.iter().map(|p| (p.0, p.1 * scale)).collect())
            .collect()
    };
    draw_segments(&mut chart, &scaled(&lag), GREEN_C.stroke_width(1), false)?;
    draw_segments(&mut chart, &scaled(&pred), ORANGE_C.stroke_width(2), true)?;
    draw_segments(&mut chart, &scaled(&p50), BLUE_C.stroke_width(1), true)?;
    draw_segments(&mut chart, &scaled(&p99), RED_C.stroke_width(3), false)?;
    if rows.iter().all(|x| x.sent == 0) {
        note(root, plot_box(&chart), "No evaluation was sent")?;
    }
    Ok(())
}
