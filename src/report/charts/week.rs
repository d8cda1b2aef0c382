//! Chart 6 (runs with a calendar), `hour_of_week`: what happens at each
//! hour of the week. Above, the evaluator's load by each tenant's local hour
//! and by UTC hour; below, activations, prompts and timed-out prompts by
//! local hour. Each value is a mean over the times that hour of week came
//! round in the horizon, per replication, from `hour_of_week.csv`.

use super::*;
use crate::output::results::WeekRow;

/// One line of a panel: points, colour, dashed.
type WeekLine = (Vec<(f64, Option<f64>)>, RGBColor, bool);
/// A panel: its area, lines, y description, and whether it has the x labels.
type Panel<'a, DB> = (&'a DrawingArea<DB, Shift>, Vec<WeekLine>, &'a str, bool);

/// File stem of the hour-of-week chart.
pub const WEEK_STEM: &str = "hour_of_week";

/// The per-hour mean of `count` over the rows' hours of week: each count
/// divided by how many times (per tenant) that hour came round, per
/// replication. `None` for an hour that never came round.
fn per_hour(rows: &[&WeekRow], tenants: f64, reps: f64, count: impl Fn(&WeekRow) -> u64) -> Vec<(f64, Option<f64>)> {
    rows.iter()
        .map(|r| {
            let times = r.tenant_hours / tenants.max(1.0);
            let v = (times > 0.0).then(|| count(r) as f64 / times / reps);
            (r.hour_of_week as f64 + 0.5, v)
        })
        .collect()
}

pub(super) fn draw_week<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Results) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let body = frame(root, &title(r, "by hour of the week"), &subtitle(r))?;
    let reps = replications(r);
    let tenants = r.metric("tenants") as f64;
    let rows = |clock: &str| -> Vec<&WeekRow> {
        let mut v: Vec<&WeekRow> = r
            .week
            .iter()
            .filter(|w| w.replication == "all" && w.clock == clock)
            .collect();
        v.sort_by_key(|w| w.hour_of_week);
        v
    };
    let (local, utc) = (rows("local"), rows("utc"));
    let per_s = |rows: &[&WeekRow]| {
        per_hour(rows, tenants, reps, |w| w.evaluations)
            .into_iter()
            .map(|(x, v)| (x, v.map(|v| v / 3600.0)))
            .collect::<Vec<_>>()
    };
    let load = [
        (
            "evaluations per second, by each tenant's local hour",
            per_s(&local),
            BLUE_C,
            false,
        ),
        ("evaluations per second, by UTC hour", per_s(&utc), MUTED, true),
    ];
    let events = [
        (
            "activations + re-adds per hour",
            per_hour(&local, tenants, reps, |w| w.activations + w.readds),
            GREEN_C,
        ),
        (
            "prompts delivered per hour",
            per_hour(&local, tenants, reps, |w| w.prompts),
            ORANGE_C,
        ),
        (
            "of those, not answered within 24 h (timeout)",
            per_hour(&local, tenants, reps, |w| w.timeouts),
            RED_C,
        ),
    ];
    let mut entries: Vec<Entry> = load
        .iter()
        .map(|(label, _, color, dashed)| Entry::line(*label, *color, 2, *dashed))
        .collect();
    entries.extend(
        events
            .iter()
            .map(|(label, _, color)| Entry::line(*label, *color, 2, false)),
    );
    let area = with_legend(&body, &entries)?;
    let (top, bottom) = area.split_vertically(area.dim_in_pixel().1 / 2);

    let bold: Vec<f64> = (0..=7).map(|d| d as f64 * 24.0).collect();
    let light: Vec<f64> = (0..28).map(|q| q as f64 * 6.0).collect();
    let x_label = |v: &f64| {
        let d = (*v / 24.0).round() as usize;
        if (*v - d as f64 * 24.0).abs() < 1e-9 && d < 7 {
            format!("{} 00:00", crate::scenario::calendar::DAYS[d])
        } else {
            String::new()
        }
    };
    let panels: [Panel<'_, DB>; 2] = [
        (
            &top,
            load.iter().map(|(_, v, c, d)| (v.clone(), *c, *d)).collect(),
            "evaluations / s",
            false,
        ),
        (
            &bottom,
            events.iter().map(|(_, v, c)| (v.clone(), *c, false)).collect(),
            "per hour (local)",
            true,
        ),
    ];
    for (area, lines, y_desc, last) in panels {
        let y_max = nice_max(
            lines
                .iter()
                .flat_map(|(v, _, _)| v.iter().filter_map(|p| p.1))
                .fold(0.0, f64::max)
                .max(1e-9)
                * 1.08,
        );
        let mut chart = ChartBuilder::on(area)
            .margin_left(SIDE)
            .margin_right(SIDE + 8)
            .margin_top(6)
            .margin_bottom(6)
            .x_label_area_size(if last { 40 } else { 10 })
            .y_label_area_size(Y_AREA)
            .build_cartesian_2d(Axis::linear(0.0..168.0, bold.clone(), light.clone()), 0.0..y_max)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|v| if last { x_label(v) } else { String::new() })
            .y_label_formatter(&|v| fmt_tick(*v, y_max))
            .x_desc(if last {
                "hour of the week (Monday 00:00 first)"
            } else {
                ""
            })
            .y_desc(y_desc)
            .label_style(font(14.0))
            .axis_desc_style(font(15.0))
            .bold_line_style(GRID_BOLD.stroke_width(1))
            .light_line_style(GRID_LIGHT.stroke_width(1))
            .axis_style(MUTED.stroke_width(1))
            .y_labels(5)
            .draw()?;
        for (points, color, dashed) in lines {
            for seg in segments(points) {
                if dashed {
                    chart.draw_series(DashedLineSeries::new(seg, 6, 4, color.stroke_width(2)))?;
                } else {
                    chart.draw_series(LineSeries::new(seg, color.stroke_width(2)))?;
                }
            }
        }
    }
    Ok(())
}
