//! Numeric axes (linear or log) with chosen ticks, and the time axis of a run.

use super::*;

/// A numeric axis, linear or logarithmic, with given labelled ticks (bold
/// grid lines) and unlabelled light grid lines.
#[derive(Clone, Debug)]
pub(super) struct Axis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) log: bool,
    pub(super) bold: Vec<f64>,
    pub(super) light: Vec<f64>,
}

impl Axis {
    pub(super) fn linear(range: Range<f64>, bold: Vec<f64>, light: Vec<f64>) -> Axis {
        Axis {
            lo: range.start,
            hi: range.end,
            log: false,
            bold,
            light,
        }
    }

    pub(super) fn log(range: Range<f64>, bold: Vec<f64>, light: Vec<f64>) -> Axis {
        Axis {
            lo: range.start,
            hi: range.end,
            log: true,
            bold,
            light,
        }
    }

    pub(super) fn scaled(&self, v: f64) -> f64 {
        if self.log { v.max(f64::MIN_POSITIVE).log10() } else { v }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = (self.scaled(self.lo), self.scaled(self.hi));
        if b == a {
            return (limit.0 + limit.1) / 2;
        }
        let t = (self.scaled(*value) - a) / (b - a);
        limit.0 + ((limit.1 - limit.0) as f64 * t).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

// ---------------------------------------------------------------------------
// Time axis

/// A linear time axis in a unit that suits the horizon.
pub(super) struct TimeAxis {
    pub(super) unit_s: f64,
    pub(super) desc: &'static str,
    pub(super) max: f64,
    pub(super) bold: Vec<f64>,
    pub(super) light: Vec<f64>,
}

pub(super) fn time_axis(horizon_s: f64) -> TimeAxis {
    let horizon_s = horizon_s.max(1.0);
    let (unit_s, desc, steps): (f64, &str, &[f64]) = if horizon_s <= 2.0 * 3600.0 {
        (
            60.0,
            "simulated time (minutes)",
            &[1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0],
        )
    } else if horizon_s <= 3.0 * 86400.0 {
        (3600.0, "simulated time (hours)", &[1.0, 2.0, 3.0, 4.0, 6.0, 12.0, 24.0])
    } else {
        (
            86400.0,
            "simulated time (days)",
            &[1.0, 2.0, 5.0, 7.0, 14.0, 28.0, 56.0, 91.0, 182.0, 364.0],
        )
    };
    let max = horizon_s / unit_s;
    let step = steps
        .iter()
        .copied()
        .find(|s| max / s <= 14.0)
        .unwrap_or_else(|| (max / 12.0).ceil());
    let ticks = |step: f64| -> Vec<f64> {
        (0..)
            .map(|i| i as f64 * step)
            .take_while(|t| *t <= max + 1e-9)
            .collect()
    };
    let bold = ticks(step);
    // Light grid lines: a quarter day (days), a sub-step otherwise.
    let light_step = if unit_s == 86400.0 && step == 1.0 {
        0.25
    } else if step >= 2.0 && step.fract() == 0.0 {
        let n = step as u64;
        if n.is_multiple_of(3) && n != 12 {
            step / 3.0
        } else if n == 12 {
            step / 4.0
        } else {
            step / 2.0
        }
    } else {
        step / 2.0
    };
    let light = ticks(light_step)
        .into_iter()
        .filter(|t| !bold.iter().any(|b| (b - t).abs() < 1e-9))
        .collect();
    TimeAxis {
        unit_s,
        desc,
        max,
        bold,
        light,
    }
}
