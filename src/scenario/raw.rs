//! The scenario file as written: serde structs that mirror the TOML keys.
//! Types here only say which keys exist; `validate` turns them into the
//! domain types and checks every value.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A distribution table as written: `{ dist = "...", ... }`.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawDist {
    pub dist: String,
    pub value: Option<toml::Value>,
    pub min: Option<toml::Value>,
    pub max: Option<toml::Value>,
    pub mean: Option<toml::Value>,
    pub median: Option<toml::Value>,
    pub sigma: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    /// Kept as a value so that a TOML date-time and a string both work.
    pub start: Option<toml::Value>,
    pub seed: Option<u64>,
    pub horizon: String,
    pub replications: Option<u32>,
    pub bucket: Option<String>,
    pub evaluator: RawEvaluator,
    pub devices: RawDevices,
    #[serde(default)]
    pub behavior: RawBehavior,
    pub tenants: Vec<RawGroup>,
    #[serde(default)]
    pub slo: Vec<RawSlo>,
}

/// `[[slo]]`: a threshold on a key metric.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    pub metric: String,
    pub max: Option<f64>,
    pub min: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvaluator {
    pub pools: Option<u32>,
    pub servers: u32,
    pub service_time: RawDist,
    pub queue_timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDevices {
    pub poll_interval: RawDist,
    pub quarantined_poll_interval: Option<RawDist>,
    pub mail_delivery: Option<RawDist>,
    pub modes: Option<BTreeMap<String, f64>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawBehavior {
    /// Kept as a map so that a misspelt choice gets a message naming the three.
    pub choice: Option<BTreeMap<String, f64>>,
    pub reaction: Option<RawDist>,
    pub outlook_setup: Option<RawDist>,
    pub blocked_switch: Option<f64>,
    pub blocked_switch_delay: Option<RawDist>,
    pub abandon_after: Option<RawDist>,
    pub wave: Option<RawDist>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub name: String,
    pub count: u32,
    pub users: RawDist,
    pub devices_per_user: Option<RawDist>,
    pub third_party_share: Option<f64>,
    pub activations_per_user_day: Option<f64>,
    pub readds_per_user_day: Option<f64>,
    pub mdm_share: Option<f64>,
    /// Kept as text so that a wrong policy gets a message naming the four.
    pub policy: Option<String>,
    #[serde(default)]
    pub changes: Vec<RawChange>,
    /// A zone name, or a table of zone names and shares.
    pub timezones: Option<toml::Value>,
    /// A profile name, or 168 hourly multipliers.
    pub activity: Option<toml::Value>,
    pub active_hours: Option<RawActiveHours>,
    #[serde(default)]
    pub activity_events: Vec<RawActivityEvent>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActiveHours {
    pub weekdays: Option<String>,
    pub weekends: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActivityEvent {
    pub from: toml::Value,
    pub to: toml::Value,
    pub multiplier: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChange {
    /// A duration, or a date-time (string or TOML date-time).
    pub at: toml::Value,
    pub policy: String,
    pub share: Option<f64>,
}
