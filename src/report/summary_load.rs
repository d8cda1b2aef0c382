//! The Load block of a live load's summary (`mailsim load`): what was sent,
//! measured latency beside the model's, the generator's own timing and the
//! decisions checked.

use super::summary::{duration, group, wrap};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// What a live load measured beside what the model predicted (`mailsim load`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LoadSummary {
    /// The target URL.
    pub target: String,
    /// The pool of the scenario it stood for.
    pub pool: u32,
    /// Simulated time per wall time.
    pub speedup: f64,
    /// Wall seconds from t=0 to the last answer.
    pub wall_s: f64,
    /// Evaluations sent.
    pub sent: u64,
    /// Evaluations sent per wall second.
    pub sent_per_s: f64,
    /// Answered 2xx.
    pub ok: u64,
    /// Answered 503.
    pub rejected: u64,
    /// Failed (connect, timeout, status, body).
    pub errors: u64,
    /// Dropped at --max-in-flight.
    pub dropped: u64,
    /// Sent more than 1 ms late.
    pub late: u64,
    /// Measured latency from the intended instant, ms.
    pub latency_mean_ms: Option<f64>,
    /// Median.
    pub latency_p50_ms: Option<f64>,
    /// 99th percentile.
    pub latency_p99_ms: Option<f64>,
    /// 99.9th percentile.
    pub latency_p999_ms: Option<f64>,
    /// Longest.
    pub latency_max_ms: Option<f64>,
    /// The model's response time for the same calls, ms: mean.
    pub predicted_mean_ms: Option<f64>,
    /// Median.
    pub predicted_p50_ms: Option<f64>,
    /// 99th percentile.
    pub predicted_p99_ms: Option<f64>,
    /// 99.9th percentile.
    pub predicted_p999_ms: Option<f64>,
    /// Send lag p99, ms.
    pub send_lag_p99_ms: Option<f64>,
    /// Control calls sent (policies, prompts, choices).
    pub control_sent: u64,
    /// Control calls that failed or were rejected.
    pub control_failed: u64,
    /// Whether answers were checked against the model.
    pub checked: bool,
    /// Answers compared.
    pub compared: u64,
    /// Answers equal to the model's.
    pub matched: u64,
    /// Disagreements by kind (kinds with none left out).
    pub disagreements: BTreeMap<String, u64>,
}

impl LoadSummary {
    pub(super) fn of(l: &crate::output::results::LoadResults) -> Option<LoadSummary> {
        let a = l.all()?;
        let c = l.control();
        Some(LoadSummary {
            target: l.meta.target.clone(),
            pool: l.meta.pool,
            speedup: l.meta.speedup,
            wall_s: l.meta.wall_s,
            sent: a.sent,
            sent_per_s: l.meta.sent_per_s,
            ok: a.ok,
            rejected: a.rejected,
            errors: a.errors(),
            dropped: a.dropped,
            late: a.late,
            latency_mean_ms: a.latency_mean_ms,
            latency_p50_ms: a.latency_p50_ms,
            latency_p99_ms: a.latency_p99_ms,
            latency_p999_ms: a.latency_p999_ms,
            latency_max_ms: a.latency_max_ms,
            predicted_mean_ms: a.predicted_mean_ms,
            predicted_p50_ms: a.predicted_p50_ms,
            predicted_p99_ms: a.predicted_p99_ms,
            predicted_p999_ms: a.predicted_p999_ms,
            send_lag_p99_ms: a.send_lag_p99_ms,
            control_sent: c.map_or(0, |c| c.sent),
            control_failed: c.map_or(0, |c| c.errors() + c.rejected),
            checked: l.meta.decisions_checked,
            compared: l.decision("compared"),
            matched: l.decision("matched"),
            disagreements: l
                .decisions
                .iter()
                .filter(|d| d.kind != "compared" && d.kind != "matched" && d.count > 0)
                .map(|d| (d.kind.clone(), d.count))
                .collect(),
        })
    }

    pub(super) fn write_text(&self, s: &mut String) {
        let ms = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| format!("{v:.2}"));
        let _ = writeln!(
            s,
            "  Load         {} as pool {}, ×{}, {}: {} evaluations ({:.1}/s), {} control calls",
            self.target,
            self.pool,
            trim_number(self.speedup),
            duration(self.wall_s),
            group(self.sent),
            self.sent_per_s,
            group(self.control_sent)
        );
        let _ = writeln!(
            s,
            "               {:<22} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "latency (ms)", "mean", "p50", "p99", "p99.9", "max"
        );
        let _ = writeln!(
            s,
            "               {:<22} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "measured, from intent",
            ms(self.latency_mean_ms),
            ms(self.latency_p50_ms),
            ms(self.latency_p99_ms),
            ms(self.latency_p999_ms),
            ms(self.latency_max_ms)
        );
        let _ = writeln!(
            s,
            "               {:<22} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "predicted (model)",
            ms(self.predicted_mean_ms),
            ms(self.predicted_p50_ms),
            ms(self.predicted_p99_ms),
            ms(self.predicted_p999_ms),
            "–"
        );
        let _ = writeln!(
            s,
            "               send lag p99 {} ms; {} late, {} dropped; {} rejected (503), {} errors; {} control calls failed",
            ms(self.send_lag_p99_ms),
            group(self.late),
            group(self.dropped),
            group(self.rejected),
            group(self.errors),
            group(self.control_failed)
        );
        if !self.checked {
            let _ = writeln!(s, "  Decisions    not checked: the template reads no decision");
            return;
        }
        let findings: u64 = self
            .disagreements
            .iter()
            .filter(|(k, _)| !crate::load::decisions::NOT_FINDINGS.contains(&k.as_str()))
            .map(|(_, n)| n)
            .sum();
        let mut line = format!(
            "{} compared, {} as the model, {} wrong",
            group(self.compared),
            group(self.matched),
            group(findings)
        );
        for (k, n) in &self.disagreements {
            let _ = write!(line, "; {k} {}", group(*n));
        }
        for (i, l) in wrap(&line, 84).iter().enumerate() {
            let head = if i == 0 { "  Decisions    " } else { "               " };
            let _ = writeln!(s, "{head}{l}");
        }
    }
}

/// A number without needless decimals: 600, 0.5.
fn trim_number(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}
