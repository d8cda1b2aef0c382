//! From the file as written ([`RawScenario`]) to the validated domain
//! types: every value checked, every default filled in, each problem named
//! by its key path.

use super::raw::*;
use super::*;

mod calendar_checks;
use calendar_checks::{group_clock, modes, text_or_date, when};

/// A validation problem before the file and line are attached.
pub(super) struct Invalid {
    pub(super) key: String,
    pub(super) message: String,
}

pub(super) type Check<T> = Result<T, Invalid>;

pub(super) fn invalid<T>(key: &str, message: impl Into<String>) -> Check<T> {
    Err(Invalid {
        key: key.to_string(),
        message: message.into(),
    })
}

pub(super) fn duration(key: &str, text: &str) -> Check<SimTime> {
    parse_duration(text).or_else(|m| invalid(key, m))
}

pub(super) fn positive_duration(key: &str, text: &str) -> Check<SimTime> {
    let d = duration(key, text)?;
    if d == SimTime::ZERO {
        return invalid(key, format!("{text:?} must be more than zero"));
    }
    Ok(d)
}

pub(super) fn probability(key: &str, p: f64) -> Check<f64> {
    if !(0.0..=1.0).contains(&p) {
        return invalid(
            key,
            format!("{} is not a probability; it must be between 0 and 1", num(p)),
        );
    }
    Ok(p)
}

/// A number as a message shows it: plain when short, `1e308` when not.
pub(super) fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-6..1e15).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// Highest rate of new connections or re-adds per user per day: far past
/// anything real, and low enough that sums of rates stay finite.
pub(super) const MAX_RATE: f64 = 1_000_000.0;

pub(super) fn rate(key: &str, r: f64) -> Check<f64> {
    if !(0.0..=MAX_RATE).contains(&r) {
        return invalid(
            key,
            format!("{} must be a rate from 0 to {MAX_RATE} per user per day", num(r)),
        );
    }
    Ok(r)
}

pub(super) fn policy(key: &str, text: &str) -> Check<Policy> {
    match Policy::ALL.into_iter().find(|p| p.key() == text) {
        Some(p) => Ok(p),
        None => {
            let names: Vec<&str> = Policy::ALL.iter().map(|p| p.key()).collect();
            invalid(key, format!("unknown policy {text:?}; use one of {}", names.join(", ")))
        }
    }
}

/// Which parameters each distribution takes, for messages.
pub(super) fn params_of(dist: &str) -> &'static [&'static str] {
    match dist {
        "fixed" => &["value"],
        "uniform" => &["min", "max"],
        "exponential" | "poisson" => &["mean"],
        "lognormal" => &["median", "sigma"],
        _ => &[],
    }
}

pub(super) fn check_params(key: &str, raw: &RawDist) -> Check<()> {
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
                    "{} distribution does not take `{name}`; it takes {}",
                    article(&raw.dist),
                    allowed.join(", ")
                ),
            );
        }
    }
    for name in allowed {
        if given.iter().any(|(n, v)| n == name && v.is_none()) {
            return invalid(key, format!("{} distribution needs `{name}`", article(&raw.dist)));
        }
    }
    Ok(())
}

pub(super) fn dur_param(key: &str, v: &Option<toml::Value>) -> Check<SimTime> {
    match v {
        Some(toml::Value::String(s)) => duration(key, s),
        Some(other) => invalid(key, format!("expected a duration string like \"30s\", found {other}")),
        None => invalid(key, "missing"),
    }
}

pub(super) fn num_param(key: &str, v: &Option<toml::Value>) -> Check<f64> {
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

pub(super) fn sigma(key: &str, raw: &RawDist) -> Check<f64> {
    let s = num_param(&format!("{key}.sigma"), &raw.sigma)?;
    if s > 10.0 {
        return invalid(
            &format!("{key}.sigma"),
            format!("{} is too wide a spread (at most 10)", num(s)),
        );
    }
    Ok(s)
}

pub(super) const DURATION_DISTS: &str = "fixed, uniform, exponential, lognormal";
pub(super) const COUNT_DISTS: &str = "fixed, uniform, poisson, exponential, lognormal";

/// A duration distribution; `positive` asks for a mean above zero.
pub(super) fn dist(key: &str, raw: &RawDist, positive: bool) -> Check<Dist> {
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

pub(super) fn count_dist(key: &str, raw: &RawDist) -> Check<CountDist> {
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

pub(super) fn default_dist(text: &str) -> RawDist {
    // Only ever called on the literals below, which parse.
    toml::from_str(text).expect("built-in default distribution")
}

pub(super) fn choice(raw: &Option<std::collections::BTreeMap<String, f64>>) -> Check<Choice> {
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

pub(super) fn slos(raw: &[RawSlo]) -> Check<Vec<Slo>> {
    let names = super::metric_names::metric_names();
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
                        super::metric_names::METRIC_FORMS
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

pub(super) const MAX_BUCKETS: u64 = 2_000_000;
pub(super) const MAX_TENANTS: u64 = 100_000_000;

pub(super) fn validate(raw: RawScenario) -> Check<Scenario> {
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
    let cal = match &raw.start {
        Some(v) => Some(calendar::Calendar {
            start: calendar::parse_start(&text_or_date("start", v)?).or_else(|m| invalid("start", m))?,
        }),
        None => None,
    };
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
        modes: modes(&raw.devices.modes)?,
    };
    let b = &raw.behavior;
    let or_default = |d: &Option<RawDist>, text: &str| d.clone().unwrap_or_else(|| default_dist(text));
    let behavior = Behavior {
        choice: choice(&b.choice)?,
        reaction: dist(
            "behavior.reaction",
            // With a calendar the reaction is time spent in active hours, and
            // its default comes from Kooti et al. (WWW 2015): median 47 min,
            // mode 2 min, so sigma = sqrt(ln(47 / 2)) (README, "Modelling choices").
            &or_default(
                &b.reaction,
                if cal.is_some() {
                    "dist='lognormal'\nmedian='47m'\nsigma=1.777"
                } else {
                    "dist='lognormal'\nmedian='2h'\nsigma=1.0"
                },
            ),
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
        let clock = group_clock(i, g, cal.as_ref())?;
        let utc = [calendar::Zone {
            name: "UTC".into(),
            tz: jiff::tz::TimeZone::UTC,
            share: 1.0,
        }];
        let zones = clock.as_ref().map_or(&utc[..], |c| &c.zones[..]);
        let mut changes = Vec::with_capacity(g.changes.len());
        for (j, c) in g.changes.iter().enumerate() {
            let ckey = |k: &str| format!("tenants[{i}].changes[{j}].{k}");
            let when = when(&ckey("at"), &c.at, cal.as_ref())?;
            for z in zones {
                let t = when.in_zone(cal.as_ref(), &z.tz);
                let start = cal.as_ref().map(|c| c.start.to_string()).unwrap_or_default();
                if t < 0 {
                    let zone = match when {
                        calendar::When::Local(_) => format!(" in {}", z.name),
                        _ => String::new(),
                    };
                    return invalid(&ckey("at"), format!("{when} is before start ({start}){zone}"));
                }
                if t as u64 >= horizon.0 {
                    let shown = if matches!(when, calendar::When::After(_)) {
                        when.to_string()
                    } else {
                        format!("{when} ({} after start in {})", SimTime(t as u64), z.name)
                    };
                    return invalid(
                        &ckey("at"),
                        format!("{shown} is not before the horizon ({horizon}); the change would never happen"),
                    );
                }
            }
            let at = SimTime(when.in_zone(cal.as_ref(), &jiff::tz::TimeZone::UTC) as u64);
            changes.push(Change {
                at,
                when,
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
            clock,
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
        calendar: cal,
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

/// "a fixed", "an exponential": the article a distribution's name takes.
fn article(word: &str) -> String {
    let an = word.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {word}", if an { "an" } else { "a" })
}
