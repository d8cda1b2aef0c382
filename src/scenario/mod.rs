//! Scenario files: reading the TOML, checking every value, and the
//! validated domain types the model runs on.
//!
//! A scenario goes from text to [`Scenario`] in one step, [`Scenario::load`];
//! any problem comes back as one [`ScenarioError`] that names the file, the
//! key path and, where the parser knows it, the line.

pub mod calendar;
pub mod dist;
pub mod duration;
mod locate;
pub mod metric_names;
pub mod policy;
mod raw;
pub mod set;
mod size;
mod validate;

pub use dist::{CountDist, Dist};
pub use duration::parse_duration;
pub use policy::{App, Cohort, Outcome, Policy};
pub use size::Size;

use crate::engine::SimTime;
use locate::{clean, key_at_line, line_of_key, line_of_span, missing_field, one_line, refine};
use raw::*;
use std::fmt;
use std::path::Path;
use validate::{Invalid, validate};

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Human-readable name; used in reports.
    pub name: String,
    /// Root of every random stream.
    pub seed: u64,
    /// Simulated time span of each replication.
    pub horizon: SimTime,
    /// Independent repetitions with different random streams.
    pub replications: u32,
    /// Width of a time-series bucket.
    pub bucket: SimTime,
    /// The quarantine evaluation service.
    pub evaluator: EvaluatorConfig,
    /// How devices poll and how fast prompt mail arrives.
    pub devices: DeviceConfig,
    /// How people answer prompts and blocks.
    pub behavior: Behavior,
    /// Tenant groups, in file order.
    pub groups: Vec<TenantGroup>,
    /// Service-level objectives that `run` checks (exit code 3 when one fails).
    pub slos: Vec<Slo>,
    /// The calendar origin (`start`); `None` runs without calendar effects.
    pub calendar: Option<calendar::Calendar>,
}

/// A threshold on a key metric (see `stats::metrics`).
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// Metric name, such as `evaluator.wait_p99_ms`.
    pub metric: String,
    /// The metric must be at most this.
    pub max: Option<f64>,
    /// The metric must be at least this.
    pub min: Option<f64>,
}

/// Evaluator pools: `pools` independent pools of `servers` servers, one FIFO queue each.
#[derive(Clone, Debug)]
pub struct EvaluatorConfig {
    /// Number of pools; tenant i goes to pool i mod pools.
    pub pools: u32,
    /// Servers per pool.
    pub servers: u32,
    /// Time one evaluation takes.
    pub service_time: Dist,
    /// A request that waited this long is rejected; `None` waits forever.
    pub queue_timeout: Option<SimTime>,
}

/// Device timing.
#[derive(Clone, Debug)]
pub struct DeviceConfig {
    /// Interval between polls of a connection with access.
    pub poll_interval: Dist,
    /// Interval between polls of a quarantined or blocked connection.
    pub quarantined_poll_interval: Dist,
    /// Delay from prompt trigger to the prompt email's arrival.
    pub mail_delivery: Dist,
    /// Shares of push and fetch devices (`devices.modes`); empty when not set.
    pub modes: Vec<calendar::DeviceMode>,
}

/// Shares of the three answers to a prompt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Choice {
    /// Set up Outlook.
    pub outlook: f64,
    /// Keep the third-party app.
    pub third_party: f64,
    /// Do nothing.
    pub ignore: f64,
}

/// How people react to prompts and blocks.
#[derive(Clone, Debug)]
pub struct Behavior {
    /// Answer shares.
    pub choice: Choice,
    /// Delay from receiving the prompt to acting on it.
    pub reaction: Dist,
    /// Time to set up Outlook once chosen.
    pub outlook_setup: Dist,
    /// Probability that a blocked user sets up Outlook.
    pub blocked_switch: f64,
    /// Delay from being blocked to having Outlook set up.
    pub blocked_switch_delay: Dist,
    /// Delay after Outlook is set up until the left-over third-party connection is removed.
    pub abandon_after: Option<Dist>,
    /// Offset of each connection's prompt after a switch to prompt-always.
    pub wave: Dist,
}

/// A group of similar tenants.
#[derive(Clone, Debug)]
pub struct TenantGroup {
    /// Group name, for reports.
    pub name: String,
    /// Tenants in the group.
    pub count: u32,
    /// Users per tenant.
    pub users: CountDist,
    /// Devices per user at t=0.
    pub devices_per_user: CountDist,
    /// Share of connections on a third-party app.
    pub third_party_share: f64,
    /// New device connections per user per day (Poisson).
    pub activations_per_user_day: f64,
    /// Re-adds on an existing device per user per day (Poisson).
    pub readds_per_user_day: f64,
    /// Share of the group's tenants that manage devices themselves.
    pub mdm_share: f64,
    /// Policy in force at t=0 (for long enough that no wave is due).
    pub policy: Policy,
    /// Policy changes, sorted by time (file order among equal times).
    pub changes: Vec<Change>,
    /// Time zones, activity profile and events; `Some` exactly when the
    /// scenario has a calendar.
    pub clock: Option<calendar::GroupClock>,
}

impl TenantGroup {
    /// Average share of the horizon that the group's (non-MDM) tenants
    /// spend under a managed policy, over the nested stages of its changes.
    pub fn managed_fraction(&self, horizon: SimTime) -> f64 {
        let mut fraction = 0.0;
        for (weight, changes) in self.bands() {
            let (mut policy, mut since, mut managed_us) = (self.policy, 0u64, 0u64);
            for c in changes {
                if policy != Policy::Unmanaged {
                    managed_us += c.at.0 - since;
                }
                (policy, since) = (c.policy, c.at.0);
            }
            if policy != Policy::Unmanaged {
                managed_us += horizon.0 - since;
            }
            fraction += weight * managed_us as f64 / horizon.0 as f64;
        }
        fraction
    }
}

/// A policy change for a share of a group's tenants.
#[derive(Clone, Debug)]
pub struct Change {
    /// When it takes effect (for a local date-time, as read in UTC; each
    /// tenant's own instant is `when` in its zone).
    pub at: SimTime,
    /// As written: a duration, an instant, or each tenant's local time.
    pub when: calendar::When,
    /// The new policy.
    pub policy: Policy,
    /// Share of the group's tenants that switch; stages nest.
    pub share: f64,
}

/// A scenario that could not be read or is not valid.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    /// The scenario file as given.
    pub file: String,
    /// 1-based line, where known.
    pub line: Option<usize>,
    /// Dotted key path such as `behavior.choice`, where known.
    pub key: Option<String>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            line: None,
            key: None,
            message: format!("cannot read the scenario: {e}"),
        })?;
        Scenario::parse(&text, &file)
    }

    /// Parses and validates scenario text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let err = |line, key: Option<String>, message: String| ScenarioError {
            file: file.to_string(),
            line,
            key: key.map(|k| one_line(&k)),
            message: one_line(&message),
        };
        let de = toml::Deserializer::parse(text).map_err(|e| {
            let line = line_of_span(text, e.span());
            err(line, line.and_then(|l| key_at_line(text, l)), clean(e.message()))
        })?;
        let raw: RawScenario = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let key = (path != "." && !path.is_empty()).then_some(path);
            if let Some(field) = missing_field(inner.message()) {
                // serde names the table that lacks the key; name the key itself.
                // A key missing from the top level has no line to point at.
                let line = key.as_ref().and_then(|_| line_of_span(text, inner.span()));
                let key = match key {
                    Some(k) => format!("{k}.{field}"),
                    None => field.to_string(),
                };
                return err(line, Some(key), "missing; this key is required".to_string());
            }
            let line = line_of_span(text, inner.span()).or_else(|| key.as_deref().and_then(|k| line_of_key(text, k)));
            let message = refine(key.as_deref(), clean(inner.message()));
            err(line, key, message)
        })?;
        validate(raw).map_err(|Invalid { key, message }| err(line_of_key(text, &key), Some(key), message))
    }

    /// Whether the scenario uses a calendar or device modes: what only the
    /// per-connection engine simulates, so an engine choice falls back to it.
    pub fn uses_calendar(&self) -> bool {
        self.calendar.is_some() || !self.devices.modes.is_empty()
    }

    /// Tenants across all groups.
    pub fn tenant_count(&self) -> u64 {
        self.groups.iter().map(|g| g.count as u64).sum()
    }

    /// Number of time-series buckets: the last one may be partial.
    pub fn bucket_count(&self) -> usize {
        self.horizon.0.div_ceil(self.bucket.0) as usize
    }
}

#[cfg(test)]
mod tests;
