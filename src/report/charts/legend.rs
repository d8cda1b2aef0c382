//! Legends: point markers, swatches, entries laid out in columns, and line segments.

use super::*;

/// A point marker, to tell policies apart in the CDF chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Marker {
    Dot,
    Triangle,
    Square,
    Diamond,
    /// A hollow dot: a sweep point that fails an SLO.
    Ring,
}

pub(super) const MARKERS: [Marker; 4] = [Marker::Dot, Marker::Triangle, Marker::Square, Marker::Diamond];

pub(super) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Marker,
    (x, y): (i32, i32),
    color: RGBColor,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let shape = |r: i32| -> Vec<(i32, i32)> {
        match m {
            Marker::Dot | Marker::Ring => Vec::new(),
            Marker::Triangle => vec![(x, y - r - 1), (x - r, y + r - 1), (x + r, y + r - 1)],
            Marker::Square => vec![
                (x - r + 1, y - r + 1),
                (x + r - 1, y - r + 1),
                (x + r - 1, y + r - 1),
                (x - r + 1, y + r - 1),
            ],
            Marker::Diamond => vec![(x, y - r - 1), (x + r, y), (x, y + r + 1), (x - r, y)],
        }
    };
    if m == Marker::Dot {
        area.draw(&Circle::new((x, y), 6, WHITE.filled()))?;
        area.draw(&Circle::new((x, y), 4, color.filled()))?;
    } else if m == Marker::Ring {
        area.draw(&Circle::new((x, y), 5, WHITE.filled()))?;
        area.draw(&Circle::new((x, y), 5, color.stroke_width(2)))?;
    } else {
        area.draw(&Polygon::new(shape(8), WHITE.filled()))?;
        area.draw(&Polygon::new(shape(6), color.filled()))?;
    }
    Ok(())
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Swatch {
    Line {
        color: RGBColor,
        width: u32,
        dashed: bool,
        marker: Option<Marker>,
    },
    Band(RGBColor),
    Bar(RGBColor),
    /// The lighter top of a bar: not synced by the horizon.
    LightBar(RGBColor),
    /// A vertical dashed line (policy changes, limits).
    VLine(RGBColor),
    /// No swatch: a remark.
    None,
}

#[derive(Clone, Debug)]
pub(super) struct Entry {
    pub(super) label: String,
    pub(super) swatch: Swatch,
}

impl Entry {
    pub(super) fn line(label: impl Into<String>, color: RGBColor, width: u32, dashed: bool) -> Entry {
        Entry {
            label: label.into(),
            swatch: Swatch::Line {
                color,
                width,
                dashed,
                marker: None,
            },
        }
    }
}

pub(super) const LEGEND_ROW: u32 = 22;
pub(super) const SWATCH_W: i32 = 44;

/// Rows, column widths and font size of a legend laid out in `width` pixels.
pub(super) struct LegendLayout {
    pub(super) rows: usize,
    pub(super) col_w: Vec<u32>,
    pub(super) size: f64,
}

impl LegendLayout {
    pub(super) fn height(&self) -> u32 {
        if self.rows == 0 {
            0
        } else {
            self.rows as u32 * LEGEND_ROW + 8
        }
    }
}

/// As many columns (filled top to bottom) as fit, at 14 px, or 13 px when
/// that saves a row.
pub(super) fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    width: u32,
) -> anyhow::Result<LegendLayout>
where
    DB::ErrorType: 'static,
{
    if entries.is_empty() {
        return Ok(LegendLayout {
            rows: 0,
            col_w: Vec::new(),
            size: 14.0,
        });
    }
    let mut best: Option<LegendLayout> = None;
    for size in [14.0, 13.0] {
        let style = font(size);
        let mut widths = Vec::with_capacity(entries.len());
        for e in entries {
            widths.push(SWATCH_W as u32 + 8 + text_width(area, &e.label, &style)? + 22);
        }
        let mut layout = None;
        for cols in (1..=entries.len()).rev() {
            let rows = entries.len().div_ceil(cols);
            let col_w: Vec<u32> = widths
                .chunks(rows)
                .map(|c| c.iter().copied().max().unwrap_or(0))
                .collect();
            if col_w.iter().sum::<u32>() <= width || rows == entries.len() {
                layout = Some(LegendLayout { rows, col_w, size });
                break;
            }
        }
        let layout = layout.expect("one column always fits");
        if best.as_ref().is_none_or(|b| layout.rows < b.rows) {
            best = Some(layout);
        }
    }
    Ok(best.expect("at least one size was tried"))
}

/// Draws `entries` column by column into `area` (its own pixel coordinates), starting at `x0`.
pub(super) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    layout: &LegendLayout,
    x0: i32,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let style = anchored(font(layout.size), HPos::Left, VPos::Center);
    for (i, e) in entries.iter().enumerate() {
        let (col, row) = (i / layout.rows, i % layout.rows);
        let x = x0 + layout.col_w[..col].iter().sum::<u32>() as i32;
        let y = 4 + row as i32 * LEGEND_ROW as i32 + LEGEND_ROW as i32 / 2;
        draw_swatch(area, e.swatch, x, y)?;
        area.draw(&Text::new(e.label.clone(), (x + SWATCH_W + 8, y), style.clone()))?;
    }
    Ok(())
}

pub(super) fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: Swatch,
    x: i32,
    y: i32,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    match s {
        Swatch::Line {
            color,
            width,
            dashed,
            marker,
        } => {
            let style = color.stroke_width(width);
            if width == 0 {
                // A marker alone.
            } else if dashed {
                area.draw(&DashedPathElement::new(vec![(x, y), (x + SWATCH_W, y)], 7, 4, style))?;
            } else {
                area.draw(&PathElement::new(vec![(x, y), (x + SWATCH_W, y)], style))?;
            }
            if let Some(m) = marker {
                draw_marker(area, m, (x + SWATCH_W / 2, y), color)?;
            }
        }
        Swatch::Band(color) => {
            area.draw(&Rectangle::new(
                [(x, y - 7), (x + SWATCH_W, y + 7)],
                color.mix(0.22).filled(),
            ))?;
            area.draw(&PathElement::new(
                vec![(x, y), (x + SWATCH_W, y)],
                color.stroke_width(2),
            ))?;
        }
        Swatch::Bar(color) => {
            area.draw(&Rectangle::new(
                [(x + 8, y - 8), (x + SWATCH_W - 8, y + 8)],
                color.filled(),
            ))?;
        }
        Swatch::LightBar(color) => {
            area.draw(&Rectangle::new(
                [(x + 8, y - 8), (x + SWATCH_W - 8, y)],
                color.mix(0.3).filled(),
            ))?;
            area.draw(&Rectangle::new([(x + 8, y), (x + SWATCH_W - 8, y + 8)], color.filled()))?;
        }
        Swatch::VLine(color) => {
            let mid = x + SWATCH_W / 2;
            area.draw(&DashedPathElement::new(
                vec![(mid, y - 9), (mid, y + 9)],
                4,
                3,
                color.stroke_width(2),
            ))?;
        }
        Swatch::None => {}
    }
    Ok(())
}

/// Splits the area under the title into a legend strip (aligned with the
/// plotting area) and the rest.
pub(super) fn with_legend<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    entries: &[Entry],
) -> anyhow::Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    let (w, _) = body.dim_in_pixel();
    let x0 = SIDE + Y_AREA as i32;
    let layout = legend_layout(body, entries, w.saturating_sub(x0 as u32 + SIDE as u32))?;
    if layout.rows == 0 {
        return Ok(body.clone());
    }
    let (top, rest) = body.split_vertically(layout.height() + 4);
    draw_legend(&top, entries, &layout, x0)?;
    Ok(rest)
}

/// Draws dashed-line series with `label` on the first segment only; a lone
/// point gets a dot so it stays visible.
pub(super) fn draw_segments<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'_, DB, CT>,
    segments: &[Vec<(f64, f64)>],
    style: ShapeStyle,
    dashed: bool,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    for seg in segments {
        if seg.len() == 1 {
            chart.draw_series(std::iter::once(Circle::new(seg[0], 2, style.color.filled())))?;
        } else if dashed {
            chart.draw_series(DashedLineSeries::new(seg.iter().copied(), 7, 4, style))?;
        } else {
            chart.draw_series(LineSeries::new(seg.iter().copied(), style))?;
        }
    }
    Ok(())
}

/// Splits points with missing values into contiguous runs.
pub(super) fn segments(points: impl IntoIterator<Item = (f64, Option<f64>)>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur = Vec::new();
    for (x, y) in points {
        match y {
            Some(y) if y.is_finite() => cur.push((x, y)),
            _ => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}
