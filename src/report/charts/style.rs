//! Colours, fonts, text styles and number formats shared by every chart.

use super::*;

pub(super) const TEXT: RGBColor = RGBColor(33, 33, 33);
pub(super) const MUTED: RGBColor = RGBColor(100, 100, 100);
pub(super) const GRID_BOLD: RGBColor = RGBColor(215, 215, 215);
pub(super) const GRID_LIGHT: RGBColor = RGBColor(238, 238, 238);
pub(super) const MARKER_GRAY: RGBColor = RGBColor(120, 120, 120);

/// Left and right margin of the canvas.
pub(super) const SIDE: i32 = 24;
/// Width of the left y label area (ticks and axis description).
pub(super) const Y_AREA: u32 = 86;

/// Categorical colours for pools (Tableau 10 without its grey and olive).
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

pub(super) const BLUE_C: RGBColor = PALETTE[0];
pub(super) const ORANGE_C: RGBColor = PALETTE[1];
pub(super) const GREEN_C: RGBColor = PALETTE[2];
pub(super) const RED_C: RGBColor = PALETTE[3];
pub(super) const PURPLE_C: RGBColor = PALETTE[4];

/// The outcomes in report order.
pub(super) const OUTCOMES: [&str; 7] = [
    "direct",
    "continued",
    "outlook",
    "timeout",
    "released",
    "blocked",
    "switched",
];

pub(super) fn outcome_rank(o: &str) -> usize {
    OUTCOMES.iter().position(|x| *x == o).unwrap_or(OUTCOMES.len())
}

pub(super) fn outcome_color(o: &str) -> RGBColor {
    match o {
        "direct" => RGBColor(70, 70, 70),
        "continued" => RGBColor(44, 160, 44),
        "outlook" => RGBColor(31, 119, 180),
        "timeout" => RGBColor(255, 127, 14),
        "released" => RGBColor(23, 190, 207),
        "blocked" => RGBColor(214, 39, 40),
        "switched" => RGBColor(148, 103, 189),
        _ => RGBColor(140, 86, 75),
    }
}

pub(super) fn cohort_rank(c: &str) -> usize {
    match c {
        "new" => 0,
        "existing" => 1,
        _ => 2,
    }
}

/// Policy names without the `any_app_` prefix.
pub(super) fn short_policy(p: &str) -> &str {
    p.strip_prefix("any_app_").unwrap_or(p)
}

pub(super) fn font(size: f64) -> TextStyle<'static> {
    text_style(size, FontStyle::Normal, TEXT)
}

pub(super) fn text_style(size: f64, style: FontStyle, color: RGBColor) -> TextStyle<'static> {
    TextStyle {
        font: FontDesc::new(FontFamily::SansSerif, size, style),
        color: color.to_backend_color(),
        pos: Pos::new(HPos::Left, VPos::Top),
    }
}

pub(super) fn anchored(style: TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

// ---------------------------------------------------------------------------
// Formatting

/// A tick label on an axis that goes up to `max`, in one style along the
/// axis: 0.25, 2,500, 25k, 1.5M.
pub(super) fn fmt_tick(v: f64, max: f64) -> String {
    let a = max.abs();
    if v == 0.0 {
        "0".into()
    } else if a >= 1e6 {
        format!("{}M", trim(v / 1e6, 2))
    } else if a >= 1e4 {
        format!("{}k", trim(v / 1e3, 1))
    } else if v.abs() >= 1e3 {
        group_thousands(v.round() as i64)
    } else {
        trim(v, 3)
    }
}

/// `v` with at most `decimals` decimals and no trailing zeros.
pub(super) fn trim(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

/// An integer with thousands separators, sign kept for axis ticks: -37,393.
pub(super) fn group_thousands(n: i64) -> String {
    let digits = crate::report::summary::group(n.unsigned_abs());
    if n < 0 { format!("-{digits}") } else { digits }
}

/// A duration in the largest fitting unit: 250 ms, 30 s, 10 min, 6 h, 1.5 d.
pub(super) fn human(s: f64) -> String {
    if s <= 0.0 {
        "0 s".into()
    } else if s < 1.0 {
        format!("{} ms", trim(s * 1e3, 1))
    } else if s < 60.0 {
        format!("{} s", trim(s, 1))
    } else if s < 3600.0 {
        format!("{} min", trim(s / 60.0, 1))
    } else if s < 86400.0 {
        format!("{} h", trim(s / 3600.0, 1))
    } else {
        format!("{} d", trim(s / 86400.0, 1))
    }
}

pub(super) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group_thousands(n as i64), if n == 1 { one } else { many })
}

pub(super) fn title(r: &Results, what: &str) -> String {
    format!("{} — {what}", r.run.scenario.name)
}

/// One line of context under every title.
pub(super) fn subtitle(r: &Results) -> String {
    let s = &r.run.scenario;
    format!(
        "{} · {} × {} · {} horizon · {} buckets · {}",
        plural(s.tenants, "tenant", "tenants"),
        plural(s.pools as u64, "pool", "pools"),
        plural(s.servers_per_pool as u64, "server", "servers"),
        human(s.horizon_s),
        human(s.bucket_s),
        plural(s.replications as u64, "replication", "replications"),
    )
}

pub(super) fn replications(r: &Results) -> f64 {
    r.run.scenario.replications.max(1) as f64
}
