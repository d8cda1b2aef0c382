//! The canvas: title and subtitle, fitting text, notes and the plot box.

use super::*;

/// Fills the canvas, draws the title and subtitle, returns the area below them.
/// A title too long for one line at 17 px wraps onto more lines, never cut:
/// the scenario's name is how people tell charts apart.
pub(super) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> anyhow::Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    let room = w.saturating_sub(2 * SIDE as u32);
    let (lines, size) = title_lines(root, title, room)?;
    let line_h = (size * 1.3).round() as i32;
    let mut y = 14;
    for line in lines {
        root.draw(&Text::new(line, (SIDE, y), text_style(size, FontStyle::Bold, TEXT)))?;
        y += line_h;
    }
    let (sub, sub_size) = fit(root, subtitle, 15.0, 12.0, FontStyle::Normal, room)?;
    let sub_y = y + 32 - line_h;
    root.draw(&Text::new(
        sub,
        (SIDE, sub_y),
        text_style(sub_size, FontStyle::Normal, MUTED),
    ))?;
    Ok(root.split_vertically((sub_y + 26) as u32).1)
}

/// The title on one line at 24 px down to 17 px, else wrapped at 20 px down
/// to 15 px (as few lines as fit), and its font size.
pub(super) fn title_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    room: u32,
) -> anyhow::Result<(Vec<String>, f64)>
where
    DB::ErrorType: 'static,
{
    for size in (17..=24).rev() {
        let size = size as f64;
        if text_width(area, title, &text_style(size, FontStyle::Bold, TEXT))? <= room {
            return Ok((vec![title.to_string()], size));
        }
    }
    let mut best = Vec::new();
    for size in (15..=20).rev() {
        let size = size as f64;
        best = wrap(area, title, &text_style(size, FontStyle::Bold, TEXT), room)?;
        if best.len() <= 2 {
            return Ok((best, size));
        }
    }
    Ok((best, 15.0))
}

/// `text` broken at spaces into lines of at most `room` pixels (a word
/// longer than that gets a line of its own).
pub(super) fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    room: u32,
) -> anyhow::Result<Vec<String>>
where
    DB::ErrorType: 'static,
{
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if !cur.is_empty() && text_width(area, &candidate, style)? > room {
            lines.push(std::mem::replace(&mut cur, word.to_string()));
        } else {
            cur = candidate;
        }
    }
    lines.push(cur);
    Ok(lines)
}

/// Shrinks the font from `size` down to `min` until `text` fits in `room`
/// pixels, then cuts it with an ellipsis.
pub(super) fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    size: f64,
    min: f64,
    style: FontStyle,
    room: u32,
) -> anyhow::Result<(String, f64)>
where
    DB::ErrorType: 'static,
{
    let mut s = size;
    loop {
        let (w, _) = area.estimate_text_size(text, &text_style(s, style, TEXT))?;
        if w <= room {
            return Ok((text.to_string(), s));
        }
        if s - 1.0 < min {
            break;
        }
        s -= 1.0;
    }
    let mut chars: Vec<char> = text.chars().collect();
    while chars.len() > 1 {
        chars.pop();
        let cut: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        let (w, _) = area.estimate_text_size(&cut, &text_style(s, style, TEXT))?;
        if w <= room {
            return Ok((cut, s));
        }
    }
    Ok((text.to_string(), s))
}

pub(super) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> anyhow::Result<u32>
where
    DB::ErrorType: 'static,
{
    Ok(area.estimate_text_size(text, style)?.0)
}

/// Draws a note in the middle of a chart's plotting area (absolute pixels).
pub(super) fn note<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: (i32, i32, i32, i32),
    text: &str,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (x0, y0, x1, y1) = plot;
    let style = anchored(text_style(18.0, FontStyle::Normal, MUTED), HPos::Center, VPos::Center);
    let (w, h) = root.estimate_text_size(text, &style)?;
    let (cx, cy) = ((x0 + x1) / 2, (y0 + y1) / 2);
    let (hw, hh) = (w as i32 / 2 + 14, h as i32 / 2 + 10);
    root.draw(&Rectangle::new(
        [(cx - hw, cy - hh), (cx + hw, cy + hh)],
        WHITE.mix(0.92).filled(),
    ))?;
    root.draw(&Rectangle::new(
        [(cx - hw, cy - hh), (cx + hw, cy + hh)],
        GRID_BOLD.stroke_width(1),
    ))?;
    root.draw(&Text::new(text.to_string(), (cx, cy), style))?;
    Ok(())
}

/// The absolute pixel box of a chart's plotting area.
pub(super) fn plot_box<DB: DrawingBackend, CT: CoordTranslate>(
    chart: &ChartContext<'_, DB, CT>,
) -> (i32, i32, i32, i32) {
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    (xr.start, yr.start, xr.end, yr.end)
}
