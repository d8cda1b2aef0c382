//! Chart 4, `evaluator_wait_spectrum`: each pool's whole wait distribution
//! as HdrHistogram and wrk2 plot it, wait against percentile on a log scale
//! of 1/(1−p), drawn from the `.hgrm` files of the folder.

use super::*;
use crate::output::results::WaitSpectrum;

/// A percentile spectrum to draw: label, colour, width, dashed, points
/// (1/(1−p), wait in ms).
pub(super) struct SpectrumLine {
    pub(super) label: String,
    pub(super) color: RGBColor,
    pub(super) width: u32,
    pub(super) dashed: bool,
    pub(super) points: Vec<(f64, f64)>,
}

/// The points of an `.hgrm` file on a 1/(1−p) axis; the last line (100 %)
/// has no place on it and gives the maximum instead.
pub(super) fn spectrum_points(s: &WaitSpectrum) -> (Vec<(f64, f64)>, f64) {
    let points = s
        .rows
        .iter()
        .filter(|row| row.percentile < 1.0)
        .map(|row| (1.0 / (1.0 - row.percentile), row.value))
        .collect();
    let max = s.rows.last().map_or(0.0, |row| row.value);
    (points, max)
}

/// A tick of the 1/(1−p) axis as the percentile it stands for: 0 %, 90 %, 99.9 %.
pub(super) fn percentile_label(x: f64) -> String {
    format!("{} %", trim(100.0 - 100.0 / x, 6))
}

pub(super) fn draw_spectrum<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Results) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let body = frame(root, &title(r, "evaluator wait by percentile"), &subtitle(r))?;
    let pools: Vec<&WaitSpectrum> = r.wait_spectra.iter().filter(|s| s.pool != "all").collect();
    let all = r.wait_spectra.iter().find(|s| s.pool == "all");
    let per_pool = (2..=8).contains(&pools.len());

    let mut lines: Vec<SpectrumLine> = Vec::new();
    let line = |s: &WaitSpectrum, label: String, color, width, dashed| {
        let (points, max_ms) = spectrum_points(s);
        SpectrumLine {
            label: format!("{label} (max {})", human(max_ms / 1e3)),
            color,
            width,
            dashed,
            points,
        }
    };
    if per_pool {
        for (i, s) in pools.iter().enumerate() {
            lines.push(line(
                s,
                format!("pool {}", s.pool),
                PALETTE[i % PALETTE.len()],
                2,
                false,
            ));
        }
    }
    if let Some(s) = all {
        let label = match pools.len() {
            0 | 1 => "all requests".to_string(),
            n => format!("all {n} pools merged"),
        };
        lines.push(line(s, label, TEXT, 2, per_pool));
    }
    lines.retain(|l| !l.points.is_empty());

    let max_x = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .fold(1.0, f64::max);
    // Whole nines, at least up to 99 %.
    let x_max = 10f64.powf(max_x.log10().ceil().max(2.0));
    let max_ms = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0, f64::max);
    let timeout = timeout_mark(r, max_ms).filter(|_| !lines.is_empty());
    let top_ms = match timeout {
        Some((t, true)) => max_ms.max(t),
        _ => max_ms,
    };
    let (scale, unit) = if top_ms >= 5000.0 { (1e-3, "s") } else { (1.0, "ms") };
    let y_max = nice_max(top_ms * scale);

    let mut entries: Vec<Entry> = lines
        .iter()
        .map(|l| Entry::line(l.label.clone(), l.color, l.width, l.dashed))
        .collect();
    if let Some((t, in_view)) = timeout {
        entries.push(timeout_entry(t, in_view));
    }
    if r.run.scenario.replications > 1 && !lines.is_empty() {
        entries.push(Entry {
            label: format!("(waits of all {} replications merged)", r.run.scenario.replications),
            swatch: Swatch::None,
        });
    }
    let plot_area = with_legend(&body, &entries)?;

    let decades: Vec<f64> = (0..=x_max.log10().round() as i32).map(|k| 10f64.powi(k)).collect();
    // The median too, where the first decade leaves room for its label.
    let mut bold = decades.clone();
    if decades.len() <= 7 {
        bold.insert(1, 2.0);
    }
    let light: Vec<f64> = decades
        .iter()
        .filter(|d| **d < x_max)
        .flat_map(|d| [d * 2.0, d * 5.0])
        .filter(|x| !bold.contains(x))
        .collect();
    // The last tick's label (99.999 %) is centred on the right edge.
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(SIDE)
        .margin_right(SIDE + 40)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(52)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(Axis::log(1.0..x_max, bold, light), 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| percentile_label(*v))
        .y_label_formatter(&|v| fmt_tick(*v, y_max))
        .x_desc("percentile (log scale of 1/(1 − p): each step right is another nine)")
        .y_desc(format!("wait in the queue ({unit})"))
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .y_max_light_lines(1)
        .draw()?;
    if let Some((t, true)) = timeout {
        draw_timeout_line(&mut chart, (1.0, x_max), t * scale)?;
    }
    // Pools first, the merge on top.
    for l in &lines {
        let points: Vec<(f64, f64)> = l.points.iter().map(|p| (p.0, p.1 * scale)).collect();
        draw_segments(&mut chart, &[points], l.color.stroke_width(l.width), l.dashed)?;
    }
    if let Some((t, true)) = timeout {
        draw_timeout_label(root, &chart, t * scale, t)?;
    }
    if r.wait_spectra.is_empty() {
        note(
            root,
            plot_box(&chart),
            "No .hgrm files in this output folder: run the scenario again to draw this chart",
        )?;
    } else if lines.is_empty() {
        note(root, plot_box(&chart), "No waits to show: no evaluation was served")?;
    } else if max_ms == 0.0 {
        note(root, plot_box(&chart), "Every wait was 0 ms: no evaluation queued")?;
    }
    Ok(())
}
