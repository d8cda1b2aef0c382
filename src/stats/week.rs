//! Counts by hour of week and by device mode: what a run with a calendar
//! (or device modes) adds to its results. Integers only, so they merge
//! exactly like everything else.

use serde::{Deserialize, Serialize};

/// Hours in a week.
pub const HOURS: usize = 168;

/// What is counted per hour of week, in column order.
pub const WEEK_COLUMNS: [&str; 5] = ["activations", "readds", "prompts", "timeouts", "evaluations"];

/// Index of a counted kind in [`WEEK_COLUMNS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum WeekKind {
    /// New device activations.
    Activations = 0,
    /// Re-adds.
    Readds = 1,
    /// Prompt emails delivered.
    Prompts = 2,
    /// Prompts delivered in this hour that were not answered within 24 h.
    Timeouts = 3,
    /// Requests that needed a quarantine evaluation.
    Evaluations = 4,
}

/// Counts per hour of week, by each tenant's local clock and by UTC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekCounts {
    /// `[hour of week][kind]` by the tenant's local time.
    pub local: Vec<[u64; 5]>,
    /// The same by UTC.
    pub utc: Vec<[u64; 5]>,
    /// Tenant-microseconds of the horizon spent in each local hour of week
    /// (over a daylight-saving change one local hour is absent and another
    /// lasts two real hours).
    pub local_exposure_us: Vec<u64>,
    /// The same for UTC hours of week.
    pub utc_exposure_us: Vec<u64>,
}

impl Default for WeekCounts {
    fn default() -> Self {
        WeekCounts {
            local: vec![[0; 5]; HOURS],
            utc: vec![[0; 5]; HOURS],
            local_exposure_us: vec![0; HOURS],
            utc_exposure_us: vec![0; HOURS],
        }
    }
}

/// What is counted per device mode, in column order.
pub const MODE_COLUMNS: [&str; 3] = ["connections", "quarantines", "quarantined_us"];

/// Counts per device mode (scenario order).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeCounts {
    /// `[mode][column]`: third-party connections (at t=0 and created),
    /// entries into quarantine, and microseconds spent quarantined summed
    /// over connections.
    pub modes: Vec<[u64; 3]>,
}

/// The calendar's and device modes' results of a pool or a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarStats {
    /// With a calendar.
    pub week: Option<WeekCounts>,
    /// With device modes.
    pub modes: Option<ModeCounts>,
}

impl CalendarStats {
    /// Nothing counted: a run without a calendar or modes.
    pub fn is_unused(&self) -> bool {
        self.week.is_none() && self.modes.is_none()
    }

    /// Adds another pool's or replication's counts.
    pub fn merge(&mut self, o: &CalendarStats) {
        if let Some(ow) = &o.week {
            let w = self.week.get_or_insert_with(WeekCounts::default);
            for (a, b) in w.local.iter_mut().zip(&ow.local).chain(w.utc.iter_mut().zip(&ow.utc)) {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
            }
            for (a, b) in w
                .local_exposure_us
                .iter_mut()
                .zip(&ow.local_exposure_us)
                .chain(w.utc_exposure_us.iter_mut().zip(&ow.utc_exposure_us))
            {
                *a += b;
            }
        }
        if let Some(om) = &o.modes {
            let m = self.modes.get_or_insert_with(ModeCounts::default);
            if m.modes.len() < om.modes.len() {
                m.modes.resize(om.modes.len(), [0; 3]);
            }
            for (a, b) in m.modes.iter_mut().zip(&om.modes) {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
            }
        }
    }
}
