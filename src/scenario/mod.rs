//! Scenario files: reading the TOML, checking every value, and the
//! validated domain types the model runs on.
//!
//! A scenario goes from text to [`Scenario`] in one step, [`Scenario::load`];
//! any problem comes back as one [`ScenarioError`] that names the file, the
//! key path and, where the parser knows it, the line.

pub mod dist;
pub mod duration;
pub mod policy;
mod raw;
pub mod set;

pub use dist::{CountDist, Dist};
pub use duration::parse_duration;
pub use policy::{App, Policy};

use crate::engine::SimTime;
use raw::*;
use std::fmt;
use std::path::Path;

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
}

impl TenantGroup {
    /// Average share of the horizon that the group's (non-MDM) tenants
    /// spend under a managed policy, over the nested stages of its changes.
    pub fn managed_fraction(&self, horizon: SimTime) -> f64 {
        // Tenants in rank band (lo, hi] of the rollout order see exactly the
        // changes whose share exceeds lo.
        let mut edges: Vec<f64> = self.changes.iter().map(|c| c.share).chain([0.0, 1.0]).collect();
        edges.sort_by(f64::total_cmp);
        edges.dedup();
        let mut fraction = 0.0;
        for band in edges.windows(2) {
            let (lo, hi) = (band[0], band[1]);
            let (mut policy, mut since, mut managed_us) = (self.policy, 0u64, 0u64);
            for c in self.changes.iter().filter(|c| c.share > lo) {
                if policy != Policy::Unmanaged {
                    managed_us += c.at.0 - since;
                }
                (policy, since) = (c.policy, c.at.0);
            }
            if policy != Policy::Unmanaged {
                managed_us += horizon.0 - since;
            }
            fraction += (hi - lo) * managed_us as f64 / horizon.0 as f64;
        }
        fraction
    }
}

/// A policy change for a share of a group's tenants.
#[derive(Clone, Debug)]
pub struct Change {
    /// When it takes effect.
    pub at: SimTime,
    /// The new policy.
    pub policy: Policy,
    /// Share of the group's tenants that switch; stages nest.
    pub share: f64,
}

/// The expected size of a scenario, for `validate` and for sizing buffers.
#[derive(Clone, Debug, PartialEq)]
pub struct Size {
    /// Tenants across all groups.
    pub tenants: u64,
    /// Expected users.
    pub users: f64,
    /// Expected connections at t=0.
    pub connections: f64,
    /// Expected events of one replication: a rough estimate that leaves out
    /// the faster polling of quarantined and blocked connections.
    pub events: f64,
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

/// A validation problem before the file and line are attached.
struct Invalid {
    key: String,
    message: String,
}

type Check<T> = Result<T, Invalid>;

fn invalid<T>(key: &str, message: impl Into<String>) -> Check<T> {
    Err(Invalid {
        key: key.to_string(),
        message: message.into(),
    })
}

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
            err(line, key, clean(inner.message()))
        })?;
        validate(raw).map_err(|Invalid { key, message }| err(line_of_key(text, &key), Some(key), message))
    }

    /// Tenants across all groups.
    pub fn tenant_count(&self) -> u64 {
        self.groups.iter().map(|g| g.count as u64).sum()
    }

    /// Number of time-series buckets: the last one may be partial.
    pub fn bucket_count(&self) -> usize {
        self.horizon.0.div_ceil(self.bucket.0) as usize
    }

    /// Expected population and event count of one replication.
    pub fn expected_size(&self) -> Size {
        let days = self.horizon.as_secs_f64() / 86_400.0;
        let poll_us = self.devices.poll_interval.mean_us();
        let polls_per_conn = self.horizon.0 as f64 / poll_us;
        let mut size = Size {
            tenants: 0,
            users: 0.0,
            connections: 0.0,
            events: 0.0,
        };
        for g in &self.groups {
            let users = g.count as f64 * g.users.mean();
            let conns = users * g.devices_per_user.mean();
            let activations = users * days * g.activations_per_user_day;
            let readds = users * days * g.readds_per_user_day;
            size.tenants += g.count as u64;
            size.users += users;
            size.connections += conns;
            // Activations add devices at a steady rate: half of them on average
            // over the horizon. Every poll is an event; where the policy is
            // managed its evaluation adds a completion event.
            let polls = (conns + activations / 2.0) * polls_per_conn;
            let managed = (1.0 - g.mdm_share) * g.managed_fraction(self.horizon);
            size.events += polls * (1.0 + managed) + (activations + readds) * (2.0 + managed);
        }
        size
    }
}

/// toml's messages end with a newline; one line reads better after a key.
/// Rust type names mean nothing to the author of a scenario, so they are
/// replaced by what the file should hold.
fn clean(message: &str) -> String {
    const PLAIN: [(&str, &str); 11] = [
        ("expected u32", "expected a whole number from 0 to 4294967295"),
        ("expected u64", "expected a whole number from 0 to 18446744073709551615"),
        ("expected f64", "expected a number"),
        (
            "expected struct RawDist",
            "expected a distribution table like { dist = \"fixed\", value = \"30s\" }",
        ),
        ("expected struct RawScenario", "expected a table"),
        ("expected struct RawEvaluator", "expected a table"),
        ("expected struct RawDevices", "expected a table"),
        ("expected struct RawBehavior", "expected a table"),
        ("expected struct RawGroup", "expected a [[tenants]] table"),
        ("expected struct RawChange", "expected a [[tenants.changes]] table"),
        ("expected a sequence", "expected an array"),
    ];
    let mut m = message.trim().replace(['\r', '\n'], " ");
    for (from, to) in PLAIN {
        m = m.replace(from, to);
    }
    m.replace("expected a map", "expected a table")
}

/// Quoted keys and strings may hold line breaks and other control
/// characters; a message stays on one line with them escaped.
fn one_line(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The key named by serde's "missing field `x`" message.
fn missing_field(message: &str) -> Option<&str> {
    message.trim().strip_prefix("missing field `")?.strip_suffix('`')
}

/// The key path written on `line` of a document that does not parse (so the
/// parser cannot say): the table headers above the line, then the
/// `key =` or header on the line itself. Lines are read one by one, so only
/// a line that starts with a plain key or a header, outside any bracket or
/// multi-line string, gets an answer.
fn key_at_line(text: &str, line: usize) -> Option<String> {
    let mut table = String::new();
    let mut arrays: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut nesting = Nesting::default();
    for (n, l) in text.lines().enumerate().take(line) {
        let target = n + 1 == line;
        let top = nesting.at_top();
        nesting.scan(l);
        let l = l.trim();
        if !top {
            if target {
                return None;
            }
        } else if let Some((names, is_array)) = header_of(l) {
            let mut path = String::new();
            for (i, name) in names.iter().enumerate() {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
                let last = i + 1 == names.len();
                if last && is_array {
                    let count = arrays.entry(path.clone()).or_insert(0);
                    *count += 1;
                    path = format!("{path}[{}]", *count - 1);
                } else if let Some(count) = arrays.get(&path) {
                    path = format!("{path}[{}]", count - 1);
                }
            }
            table = path;
            if target {
                return Some(table);
            }
        } else if target {
            let (key, _) = l.split_once('=')?;
            let names = dotted_key(key)?;
            let mut path = table;
            for name in names {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
            }
            return Some(path);
        }
    }
    None
}

/// Where a line-by-line reader stands in a TOML document: inside how many
/// open brackets and braces, and inside which multi-line string, if any.
#[derive(Default)]
struct Nesting {
    depth: usize,
    multiline: Option<&'static [u8]>,
}

impl Nesting {
    fn at_top(&self) -> bool {
        self.depth == 0 && self.multiline.is_none()
    }

    /// Moves past one line, skipping strings and comments.
    fn scan(&mut self, line: &str) {
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if let Some(close) = self.multiline {
                if b[i..].starts_with(close) {
                    self.multiline = None;
                    i += close.len();
                } else {
                    i += if b[i] == b'\\' && close == b"\"\"\"" { 2 } else { 1 };
                }
                continue;
            }
            match b[i] {
                b'#' => break,
                q @ (b'"' | b'\'') => {
                    let triple: &'static [u8] = if q == b'"' { b"\"\"\"" } else { b"'''" };
                    if b[i..].starts_with(triple) {
                        self.multiline = Some(triple);
                        i += 3;
                        continue;
                    }
                    i += 1;
                    while i < b.len() && b[i] != q {
                        i += if q == b'"' && b[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b'[' | b'{' => self.depth += 1,
                b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
        }
    }
}

/// `[a.b]` or `[[a.b]]`, with nothing but a comment after it.
fn header_of(line: &str) -> Option<(Vec<&str>, bool)> {
    let (inner, rest, is_array) = if let Some(s) = line.strip_prefix("[[") {
        let (inner, rest) = s.split_once("]]")?;
        (inner, rest, true)
    } else {
        let (inner, rest) = line.strip_prefix('[')?.split_once(']')?;
        (inner, rest, false)
    };
    let rest = rest.trim();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    Some((dotted_key(inner)?, is_array))
}

/// The parts of a dotted key of bare words (`a.b`, `a . b`).
fn dotted_key(key: &str) -> Option<Vec<&str>> {
    key.split('.')
        .map(|part| {
            let part = part.trim();
            let bare = !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            bare.then_some(part)
        })
        .collect()
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn line_of_span(text: &str, span: Option<std::ops::Range<usize>>) -> Option<usize> {
    span.map(|s| line_of_offset(text, s.start))
}

/// The line where a dotted key path (`tenants[1].changes[0].at`) is written:
/// the deepest part of the path the document has.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut table: &DeTable = doc.get_ref();
    let mut best = None;
    for part in key.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let Some((k, v)) = table.get_key_value(name) else {
            break;
        };
        best = Some(k.span().start);
        let mut value = v;
        if let (Some(i), DeValue::Array(items)) = (index, value.get_ref()) {
            let Some(item) = items.get(i) else {
                break;
            };
            value = item;
            best = Some(value.span().start);
        }
        match value.get_ref() {
            DeValue::Table(t) => table = t,
            _ => break,
        }
    }
    best.map(|offset| line_of_offset(text, offset))
}

fn duration(key: &str, text: &str) -> Check<SimTime> {
    parse_duration(text).or_else(|m| invalid(key, m))
}

fn positive_duration(key: &str, text: &str) -> Check<SimTime> {
    let d = duration(key, text)?;
    if d == SimTime::ZERO {
        return invalid(key, format!("{text:?} must be more than zero"));
    }
    Ok(d)
}

fn probability(key: &str, p: f64) -> Check<f64> {
    if !(0.0..=1.0).contains(&p) {
        return invalid(
            key,
            format!("{} is not a probability; it must be between 0 and 1", num(p)),
        );
    }
    Ok(p)
}

/// A number as a message shows it: plain when short, `1e308` when not.
fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-6..1e15).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// Highest rate of new connections or re-adds per user per day: far past
/// anything real, and low enough that sums of rates stay finite.
const MAX_RATE: f64 = 1_000_000.0;

fn rate(key: &str, r: f64) -> Check<f64> {
    if !(0.0..=MAX_RATE).contains(&r) {
        return invalid(
            key,
            format!("{} must be a rate from 0 to {MAX_RATE} per user per day", num(r)),
        );
    }
    Ok(r)
}

fn policy(key: &str, text: &str) -> Check<Policy> {
    match Policy::ALL.into_iter().find(|p| p.key() == text) {
        Some(p) => Ok(p),
        None => {
            let names: Vec<&str> = Policy::ALL.iter().map(|p| p.key()).collect();
            invalid(key, format!("unknown policy {text:?}; use one of {}", names.join(", ")))
        }
    }
}

/// Which parameters each distribution takes, for messages.
fn params_of(dist: &str) -> &'static [&'static str] {
    match dist {
        "fixed" => &["value"],
        "uniform" => &["min", "max"],
        "exponential" | "poisson" => &["mean"],
        "lognormal" => &["median", "sigma"],
        _ => &[],
    }
}

fn check_params(key: &str, raw: &RawDist) -> Check<()> {
    let allowed = params_of(&raw.dist);
    let given = [
        ("value", &raw.value),
        ("min", &raw.min),
        ("max", &raw.max),
        ("mean", &raw.mean),
        ("median", &raw.median),
        ("sigma", &raw.sigma),
    ];
    for (name, v) in given {
        if v.is_some() && !allowed.contains(&name) {
            return invalid(
                &format!("{key}.{name}"),
                format!(
                    "a {} distribution does not take `{name}`; it takes {}",
                    raw.dist,
                    allowed.join(", ")
                ),
            );
        }
    }
    for name in allowed {
        if given.iter().any(|(n, v)| n == name && v.is_none()) {
            return invalid(key, format!("a {} distribution needs `{name}`", raw.dist));
        }
    }
    Ok(())
}

fn dur_param(key: &str, v: &Option<toml::Value>) -> Check<SimTime> {
    match v {
        Some(toml::Value::String(s)) => duration(key, s),
        Some(other) => invalid(key, format!("expected a duration string like \"30s\", found {other}")),
        None => invalid(key, "missing"),
    }
}

fn num_param(key: &str, v: &Option<toml::Value>) -> Check<f64> {
    let x = match v {
        Some(toml::Value::Integer(i)) => *i as f64,
        Some(toml::Value::Float(f)) => *f,
        Some(other) => return invalid(key, format!("expected a number, found {other}")),
        None => return invalid(key, "missing"),
    };
    if !x.is_finite() || x < 0.0 {
        return invalid(key, format!("{} must be a finite number of zero or more", num(x)));
    }
    Ok(x)
}

fn sigma(key: &str, raw: &RawDist) -> Check<f64> {
    let s = num_param(&format!("{key}.sigma"), &raw.sigma)?;
    if s > 10.0 {
        return invalid(
            &format!("{key}.sigma"),
            format!("{} is too wide a spread (at most 10)", num(s)),
        );
    }
    Ok(s)
}

const DURATION_DISTS: &str = "fixed, uniform, exponential, lognormal";
const COUNT_DISTS: &str = "fixed, uniform, poisson, exponential, lognormal";

/// A duration distribution; `positive` asks for a mean above zero.
fn dist(key: &str, raw: &RawDist, positive: bool) -> Check<Dist> {
    if !matches!(raw.dist.as_str(), "fixed" | "uniform" | "exponential" | "lognormal") {
        return invalid(
            &format!("{key}.dist"),
            format!("unknown distribution {:?}; use one of {DURATION_DISTS}", raw.dist),
        );
    }
    check_params(key, raw)?;
    let d = match raw.dist.as_str() {
        "fixed" => Dist::Fixed(dur_param(&format!("{key}.value"), &raw.value)?),
        "uniform" => {
            let min = dur_param(&format!("{key}.min"), &raw.min)?;
            let max = dur_param(&format!("{key}.max"), &raw.max)?;
            if min > max {
                return invalid(key, format!("min {min} is above max {max}"));
            }
            Dist::Uniform { min, max }
        }
        "exponential" => {
            let mean = dur_param(&format!("{key}.mean"), &raw.mean)?;
            if mean == SimTime::ZERO {
                return invalid(&format!("{key}.mean"), "an exponential mean must be more than zero");
            }
            Dist::Exponential { mean: mean.0 as f64 }
        }
        _ => {
            let median = dur_param(&format!("{key}.median"), &raw.median)?;
            if median == SimTime::ZERO {
                return invalid(&format!("{key}.median"), "a lognormal median must be more than zero");
            }
            Dist::LogNormal {
                mu: (median.0 as f64).ln(),
                sigma: sigma(key, raw)?,
            }
        }
    };
    if positive && d.mean_us() < 1.0 {
        return invalid(key, "must be more than zero on average");
    }
    Ok(d)
}

fn count_dist(key: &str, raw: &RawDist) -> Check<CountDist> {
    let whole = |k: &str, v: &Option<toml::Value>| -> Check<u32> {
        let x = num_param(k, v)?;
        if x.fract() != 0.0 || x > dist::MAX_COUNT as f64 {
            return invalid(
                k,
                format!("{} must be a whole number up to {}", num(x), dist::MAX_COUNT),
            );
        }
        Ok(x as u32)
    };
    let bounded = |k: &str, v: &Option<toml::Value>| -> Check<f64> {
        let x = num_param(k, v)?;
        if x > dist::MAX_COUNT as f64 {
            return invalid(k, format!("{} is more than the limit of {}", num(x), dist::MAX_COUNT));
        }
        Ok(x)
    };
    if !matches!(
        raw.dist.as_str(),
        "fixed" | "uniform" | "poisson" | "exponential" | "lognormal"
    ) {
        return invalid(
            &format!("{key}.dist"),
            format!("unknown distribution {:?}; use one of {COUNT_DISTS}", raw.dist),
        );
    }
    check_params(key, raw)?;
    Ok(match raw.dist.as_str() {
        "fixed" => CountDist::Fixed(whole(&format!("{key}.value"), &raw.value)?),
        "uniform" => {
            let min = whole(&format!("{key}.min"), &raw.min)?;
            let max = whole(&format!("{key}.max"), &raw.max)?;
            if min > max {
                return invalid(key, format!("min {min} is above max {max}"));
            }
            CountDist::Uniform { min, max }
        }
        "poisson" => CountDist::Poisson {
            mean: bounded(&format!("{key}.mean"), &raw.mean)?,
        },
        "exponential" => CountDist::Exponential {
            mean: bounded(&format!("{key}.mean"), &raw.mean)?,
        },
        _ => {
            let median = bounded(&format!("{key}.median"), &raw.median)?;
            if median <= 0.0 {
                return invalid(&format!("{key}.median"), "a lognormal median must be more than zero");
            }
            CountDist::LogNormal {
                mu: median.ln(),
                sigma: sigma(key, raw)?,
            }
        }
    })
}

fn default_dist(text: &str) -> RawDist {
    // Only ever called on the literals below, which parse.
    toml::from_str(text).expect("built-in default distribution")
}

fn choice(raw: &Option<std::collections::BTreeMap<String, f64>>) -> Check<Choice> {
    let key = "behavior.choice";
    let Some(map) = raw else {
        return Ok(Choice {
            outlook: 0.3,
            third_party: 0.5,
            ignore: 0.2,
        });
    };
    let mut c = Choice {
        outlook: 0.0,
        third_party: 0.0,
        ignore: 0.0,
    };
    for (name, &p) in map {
        let slot = match name.as_str() {
            "outlook" => &mut c.outlook,
            "third_party" => &mut c.third_party,
            "ignore" => &mut c.ignore,
            _ => {
                return invalid(
                    &format!("{key}.{name}"),
                    "unknown choice; the choices are outlook, third_party, ignore",
                );
            }
        };
        *slot = probability(&format!("{key}.{name}"), p)?;
    }
    let sum = c.outlook + c.third_party + c.ignore;
    if (sum - 1.0).abs() > 1e-9 {
        return invalid(
            key,
            format!(
                "the shares sum to {}; outlook + third_party + ignore must sum to 1",
                num(sum)
            ),
        );
    }
    Ok(c)
}

fn slos(raw: &[RawSlo]) -> Check<Vec<Slo>> {
    let names = crate::stats::metrics::metric_names();
    raw.iter()
        .enumerate()
        .map(|(i, r)| {
            let key = |k: &str| format!("slo[{i}].{k}");
            if !names.contains(&r.metric) {
                return invalid(
                    &key("metric"),
                    format!(
                        "unknown metric {:?}; metrics are {}",
                        r.metric,
                        crate::stats::metrics::METRIC_FORMS
                    ),
                );
            }
            if r.max.is_none() && r.min.is_none() {
                return invalid(&format!("slo[{i}]"), "an SLO needs `max` or `min` (or both)");
            }
            for (k, v) in [("max", r.max), ("min", r.min)] {
                if v.is_some_and(|v| !v.is_finite()) {
                    return invalid(&key(k), "must be a finite number");
                }
            }
            Ok(Slo {
                metric: r.metric.clone(),
                max: r.max,
                min: r.min,
            })
        })
        .collect()
}

const MAX_BUCKETS: u64 = 2_000_000;
const MAX_TENANTS: u64 = 100_000_000;

fn validate(raw: RawScenario) -> Check<Scenario> {
    if raw.name.trim().is_empty() {
        return invalid("name", "must not be empty");
    }
    let horizon = positive_duration("horizon", &raw.horizon)?;
    let bucket = positive_duration("bucket", raw.bucket.as_deref().unwrap_or("1m"))?;
    if horizon.0.div_ceil(bucket.0) > MAX_BUCKETS {
        return invalid(
            "bucket",
            format!("{bucket} makes more than {MAX_BUCKETS} buckets over {horizon}; use a wider bucket"),
        );
    }
    let replications = raw.replications.unwrap_or(1);
    if !(1..=100_000).contains(&replications) {
        return invalid("replications", format!("{replications} must be from 1 to 100000"));
    }
    let ev = &raw.evaluator;
    let pools = ev.pools.unwrap_or(1);
    if !(1..=1_000_000).contains(&pools) {
        return invalid("evaluator.pools", format!("{pools} must be from 1 to 1000000"));
    }
    if !(1..=1_000_000).contains(&ev.servers) {
        return invalid(
            "evaluator.servers",
            format!("{} must be from 1 to 1000000 servers per pool", ev.servers),
        );
    }
    let evaluator = EvaluatorConfig {
        pools,
        servers: ev.servers,
        service_time: dist("evaluator.service_time", &ev.service_time, true)?,
        queue_timeout: match &ev.queue_timeout {
            Some(t) => Some(positive_duration("evaluator.queue_timeout", t)?),
            None => None,
        },
    };
    let poll_interval = dist("devices.poll_interval", &raw.devices.poll_interval, true)?;
    let devices = DeviceConfig {
        quarantined_poll_interval: match &raw.devices.quarantined_poll_interval {
            Some(d) => dist("devices.quarantined_poll_interval", d, true)?,
            None => poll_interval.clone(),
        },
        poll_interval,
        mail_delivery: dist(
            "devices.mail_delivery",
            raw.devices
                .mail_delivery
                .as_ref()
                .unwrap_or(&default_dist("dist = 'fixed'\nvalue = '30s'")),
            false,
        )?,
    };
    let b = &raw.behavior;
    let or_default = |d: &Option<RawDist>, text: &str| d.clone().unwrap_or_else(|| default_dist(text));
    let behavior = Behavior {
        choice: choice(&b.choice)?,
        reaction: dist(
            "behavior.reaction",
            &or_default(&b.reaction, "dist='lognormal'\nmedian='2h'\nsigma=1.0"),
            false,
        )?,
        outlook_setup: dist(
            "behavior.outlook_setup",
            &or_default(&b.outlook_setup, "dist='lognormal'\nmedian='10m'\nsigma=0.8"),
            false,
        )?,
        blocked_switch: probability("behavior.blocked_switch", b.blocked_switch.unwrap_or(0.7))?,
        blocked_switch_delay: dist(
            "behavior.blocked_switch_delay",
            &or_default(&b.blocked_switch_delay, "dist='lognormal'\nmedian='4h'\nsigma=1.0"),
            false,
        )?,
        abandon_after: match &b.abandon_after {
            Some(d) => Some(dist("behavior.abandon_after", d, false)?),
            None => None,
        },
        wave: dist(
            "behavior.wave",
            &or_default(&b.wave, "dist='uniform'\nmin='0s'\nmax='48h'"),
            false,
        )?,
    };
    if raw.tenants.is_empty() {
        return invalid("tenants", "the scenario needs at least one [[tenants]] group");
    }
    let mut groups = Vec::with_capacity(raw.tenants.len());
    for (i, g) in raw.tenants.iter().enumerate() {
        let key = |k: &str| format!("tenants[{i}].{k}");
        if g.count == 0 {
            return invalid(&key("count"), "a group needs at least one tenant");
        }
        let mut changes = Vec::with_capacity(g.changes.len());
        for (j, c) in g.changes.iter().enumerate() {
            let ckey = |k: &str| format!("tenants[{i}].changes[{j}].{k}");
            let at = duration(&ckey("at"), &c.at)?;
            if at >= horizon {
                return invalid(
                    &ckey("at"),
                    format!("{at} is not before the horizon ({horizon}); the change would never happen"),
                );
            }
            changes.push(Change {
                at,
                policy: policy(&ckey("policy"), &c.policy)?,
                share: probability(&ckey("share"), c.share.unwrap_or(1.0))?,
            });
        }
        changes.sort_by_key(|c| c.at);
        groups.push(TenantGroup {
            name: g.name.clone(),
            count: g.count,
            users: count_dist(&key("users"), &g.users)?,
            devices_per_user: match &g.devices_per_user {
                Some(d) => count_dist(&key("devices_per_user"), d)?,
                None => CountDist::Fixed(1),
            },
            third_party_share: probability(&key("third_party_share"), g.third_party_share.unwrap_or(0.6))?,
            activations_per_user_day: rate(
                &key("activations_per_user_day"),
                g.activations_per_user_day.unwrap_or(0.0),
            )?,
            readds_per_user_day: rate(&key("readds_per_user_day"), g.readds_per_user_day.unwrap_or(0.0))?,
            mdm_share: probability(&key("mdm_share"), g.mdm_share.unwrap_or(0.0))?,
            policy: match &g.policy {
                Some(p) => policy(&key("policy"), p)?,
                None => Policy::Unmanaged,
            },
            changes,
        });
    }
    let scenario = Scenario {
        name: raw.name,
        seed: raw.seed.unwrap_or(1),
        horizon,
        replications,
        bucket,
        evaluator,
        devices,
        behavior,
        groups,
        slos: slos(&raw.slo)?,
    };
    if scenario.tenant_count() > MAX_TENANTS {
        return invalid(
            "tenants",
            format!(
                "{} tenants is more than the limit of {MAX_TENANTS}",
                scenario.tenant_count()
            ),
        );
    }
    Ok(scenario)
}

#[cfg(test)]
mod tests;
