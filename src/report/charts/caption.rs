//! Policy changes on a time chart: numbered marks and the caption that explains them.

use super::*;

/// Policy changes grouped by time, each group described compactly.
pub(super) struct ChangeGroup {
    pub(super) at_s: f64,
    pub(super) text: String,
}

pub(super) fn change_groups(sc: &Scenario) -> Vec<ChangeGroup> {
    // at (µs) → (policy, share) → group names
    let mut by_time: BTreeMap<u64, Vec<(String, String, Vec<String>)>> = BTreeMap::new();
    for g in &sc.groups {
        for c in &g.changes {
            let policy = short_policy(&c.policy.to_string()).to_string();
            let share = format!("{}%", trim(c.share * 100.0, 1));
            let parts = by_time.entry(c.at.micros()).or_default();
            match parts.iter_mut().find(|(p, s, _)| *p == policy && *s == share) {
                Some((_, _, names)) => names.push(g.name.clone()),
                None => parts.push((policy, share, vec![g.name.clone()])),
            }
        }
    }
    by_time
        .into_iter()
        .map(|(at, parts)| {
            let text = parts
                .iter()
                .map(|(policy, share, names)| format!("{} {share} → {policy}", names.join(", ")))
                .collect::<Vec<_>>()
                .join("; ");
            ChangeGroup {
                at_s: at as f64 / 1e6,
                text,
            }
        })
        .collect()
}

pub(super) fn badge_style() -> TextStyle<'static> {
    anchored(text_style(13.0, FontStyle::Bold, TEXT), HPos::Center, VPos::Center)
}

pub(super) fn draw_badge<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    n: usize,
    (x, y): (i32, i32),
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let label = n.to_string();
    let (w, _) = area.estimate_text_size(&label, &badge_style())?;
    let hw = (w as i32 / 2 + 5).max(9);
    area.draw(&Rectangle::new([(x - hw, y - 9), (x + hw, y + 9)], WHITE.filled()))?;
    area.draw(&Rectangle::new(
        [(x - hw, y - 9), (x + hw, y + 9)],
        MARKER_GRAY.stroke_width(1),
    ))?;
    area.draw(&Text::new(label, (x, y), badge_style()))?;
    Ok(())
}

/// The caption text of each change group, wrapped to `width` pixels.
pub(super) fn wrap_groups<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    groups: &[ChangeGroup],
    width: u32,
) -> anyhow::Result<Vec<Vec<String>>>
where
    DB::ErrorType: 'static,
{
    let style = font(14.0);
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let text = format!("at {}: {}", clock(g.at_s), g.text);
        let mut words = text.split(' ');
        let mut lines = Vec::new();
        let mut cur = words.next().unwrap_or_default().to_string();
        for w in words {
            let candidate = format!("{cur} {w}");
            if text_width(area, &candidate, &style)? > width {
                lines.push(std::mem::replace(&mut cur, w.to_string()));
            } else {
                cur = candidate;
            }
        }
        lines.push(cur);
        out.push(lines);
    }
    Ok(out)
}

/// A time of the run to the minute: "6 h", "2 h 5 min", "1 d 12 h".
pub(super) fn clock(s: f64) -> String {
    if s < 3600.0 && (s / 60.0).fract() != 0.0 {
        return human(s);
    }
    let total = (s / 60.0).round() as u64;
    let (d, h, m) = (total / 1440, total / 60 % 24, total % 60);
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "min")]
        .iter()
        .filter(|(v, _)| *v > 0)
        .map(|(v, u)| format!("{v} {u}"))
        .collect();
    if parts.is_empty() { human(s) } else { parts.join(" ") }
}

/// One caption line: the change number at its first line (0 for a
/// continuation), its column and row, and the text.
pub(super) struct CaptionLine {
    pub(super) n: usize,
    pub(super) col: usize,
    pub(super) row: usize,
    pub(super) text: String,
}

/// Lays the change groups out in one column, or two when that is shorter,
/// at most `MAX_ROWS` rows; groups that do not fit are counted in a last line.
pub(super) fn caption_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    groups: &[ChangeGroup],
    width: u32,
) -> anyhow::Result<(Vec<CaptionLine>, u32)>
where
    DB::ErrorType: 'static,
{
    const MAX_ROWS: usize = 4;
    const BADGE: u32 = 30;
    let one = wrap_groups(area, groups, width.saturating_sub(BADGE))?;
    let one_rows: usize = one.iter().map(Vec::len).sum();
    let (blocks, cols, col_w) = if one_rows <= 3 {
        (one, 1, width)
    } else {
        let col_w = width / 2;
        (wrap_groups(area, groups, col_w.saturating_sub(BADGE + 16))?, 2, col_w)
    };
    let total: usize = blocks.iter().map(Vec::len).sum();
    let rows = total.div_ceil(cols).clamp(1, MAX_ROWS);
    // Column and row of each block that fits, a column holding whole blocks.
    let mut at: Vec<(usize, usize)> = Vec::new();
    let (mut col, mut row) = (0, 0);
    for block in &blocks {
        if row + block.len() > rows {
            col += 1;
            row = 0;
        }
        if col >= cols || block.len() > rows {
            break;
        }
        at.push((col, row));
        row += block.len();
    }
    // When some do not fit, drop blocks until a row is free for the count of the rest.
    let mut more_at = None;
    if at.len() < blocks.len() {
        while more_at.is_none() {
            let (c, end) = at.last().map_or((0, 0), |&(c, r)| (c, r + blocks[at.len() - 1].len()));
            if end < rows {
                more_at = Some((c, end));
            } else if c + 1 < cols {
                more_at = Some((c + 1, 0));
            } else {
                at.pop();
            }
        }
    }
    let mut out = Vec::new();
    for (i, (&(col, row), block)) in at.iter().zip(&blocks).enumerate() {
        for (k, text) in block.iter().enumerate() {
            out.push(CaptionLine {
                n: if k == 0 { i + 1 } else { 0 },
                col,
                row: row + k,
                text: text.clone(),
            });
        }
    }
    if let Some((col, row)) = more_at {
        let more = blocks.len() - at.len();
        let what = if more == 1 { "change" } else { "changes" };
        out.push(CaptionLine {
            n: 0,
            col,
            row,
            text: format!("… and {more} more {what} (see the scenario)"),
        });
    }
    Ok((out, col_w))
}

/// Vertical lines and numbered badges for the change groups; badges that would
/// touch are stacked in rows.
pub(super) fn draw_change_marks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut ChartContext<'_, DB, Cartesian2d<Axis, RangedCoordf64>>,
    groups: &[ChangeGroup],
    unit_s: f64,
    y_range: (f64, f64),
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let mut rows: Vec<i32> = Vec::new();
    let mut badges = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let x = g.at_s / unit_s;
        chart.draw_series(DashedLineSeries::new(
            vec![(x, y_range.0), (x, y_range.1)],
            5,
            4,
            MARKER_GRAY.stroke_width(1),
        ))?;
        let p = chart.backend_coord(&(x, y_range.1));
        // The first row whose last badge is far enough left; a new row (up to
        // six), or else the row whose last badge is furthest left.
        let row = match rows.iter().position(|last| p.0 - *last >= 30) {
            Some(row) => row,
            None if rows.len() < 6 => {
                rows.push(p.0);
                rows.len() - 1
            }
            None => (0..rows.len()).min_by_key(|&r| rows[r]).unwrap_or(0),
        };
        rows[row] = p.0;
        badges.push((i + 1, (p.0, p.1 + 13 + 22 * row as i32)));
    }
    for (n, p) in badges {
        draw_badge(root, n, p)?;
    }
    Ok(())
}

/// Splits off a caption strip at the bottom for the change groups and draws it.
pub(super) fn with_caption<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    groups: &[ChangeGroup],
) -> anyhow::Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    if groups.is_empty() {
        return Ok(area.clone());
    }
    let (w, h) = area.dim_in_pixel();
    let x0 = SIDE + Y_AREA as i32;
    let (lines, col_w) = caption_layout(area, groups, w.saturating_sub(x0 as u32 + SIDE as u32))?;
    let rows = lines.iter().map(|l| l.row + 1).max().unwrap_or(1);
    let height = 20 + 21 * rows as u32;
    let (rest, cap) = area.split_vertically(h.saturating_sub(height));
    let style = anchored(font(14.0), HPos::Left, VPos::Center);
    for l in &lines {
        let x = x0 + (l.col as u32 * col_w) as i32;
        let y = 16 + 21 * l.row as i32;
        if l.n > 0 {
            draw_badge(&cap, l.n, (x + 10, y))?;
        }
        cap.draw(&Text::new(l.text.clone(), (x + 30, y), style.clone()))?;
    }
    Ok(rest)
}
