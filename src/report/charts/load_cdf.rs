//! `load_latency_cdf` (loads only): the share of evaluations answered
//! within a latency, measured (from the intended send instant) beside the
//! model's predicted response time for the same calls, on a log latency
//! axis; drawn from `load_latency.hgrm` and `load_predicted.hgrm`.

use super::*;
use crate::output::hgrm::HgrmRow;
use crate::output::results::LoadResults;

/// CDF points (latency ms, share) of an `.hgrm` file, from 1 µs.
fn cdf_points(rows: &[HgrmRow]) -> Vec<(f64, f64)> {
    rows.iter().map(|r| (r.value.max(1e-3), r.percentile)).collect()
}

pub(super) fn draw_load_cdf<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &Results,
    l: &LoadResults,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let body = frame(
        root,
        &title(r, "measured vs predicted latency"),
        &format!(
            "{} as pool {} · ×{} · {} · latency from the intended send instant",
            l.meta.target,
            l.meta.pool,
            trim(l.meta.speedup, 3),
            human(l.meta.wall_s)
        ),
    )?;
    let all = l.all();
    let measured = cdf_points(&l.latency);
    let predicted = cdf_points(&l.predicted);
    let stat = |mean: Option<f64>, p99: Option<f64>| {
        let f = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| human(v / 1e3));
        format!("mean {}, p99 {}", f(mean), f(p99))
    };
    let entries = vec![
        Entry::line(
            format!(
                "measured ({})",
                stat(all.and_then(|a| a.latency_mean_ms), all.and_then(|a| a.latency_p99_ms))
            ),
            BLUE_C,
            3,
            false,
        ),
        Entry::line(
            format!(
                "predicted by the model ({})",
                stat(
                    all.and_then(|a| a.predicted_mean_ms),
                    all.and_then(|a| a.predicted_p99_ms)
                )
            ),
            ORANGE_C,
            2,
            true,
        ),
    ];
    let plot_area = with_legend(&body, &entries)?;
    let values = measured.iter().chain(&predicted).map(|p| p.0);
    let lo = values.clone().fold(f64::INFINITY, f64::min);
    let hi = values.fold(0.0, f64::max);
    let (lo, hi) = if lo.is_finite() && hi > 0.0 {
        let lo = 10f64.powf(lo.log10().floor());
        let hi = 10f64.powf(hi.log10().ceil()).max(lo * 10.0);
        (lo, hi)
    } else {
        (0.01, 1000.0)
    };
    let (bold, light) = super::sweep::log_ticks(lo, hi);
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(SIDE)
        .margin_right(SIDE + 8)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(52)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(
            Axis::log(lo..hi, bold, light),
            Axis::linear(
                0.0..1.0,
                vec![0.0, 0.25, 0.5, 0.75, 0.9, 1.0],
                vec![0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8],
            ),
        )?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| super::sweep::fmt_log_tick(*v))
        .y_label_formatter(&|v| format!("{} %", trim(v * 100.0, 1)))
        .x_desc("latency (ms, log scale)")
        .y_desc("share of evaluations answered within")
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .draw()?;
    draw_segments(
        &mut chart,
        std::slice::from_ref(&predicted),
        ORANGE_C.stroke_width(2),
        true,
    )?;
    draw_segments(
        &mut chart,
        std::slice::from_ref(&measured),
        BLUE_C.stroke_width(3),
        false,
    )?;
    if measured.is_empty() {
        note(root, plot_box(&chart), "No evaluation was answered: nothing measured")?;
    }
    Ok(())
}
