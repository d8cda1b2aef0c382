//! The calendar's part of validation (issue 15): `start` and dates, device
//! modes, and each group's time zones, activity profile and events.

use super::super::raw::*;
use super::super::*;
use super::{Check, invalid, num, probability};

/// Text of a value that may be a string or a TOML date-time.
pub(super) fn text_or_date(key: &str, v: &toml::Value) -> Check<String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Datetime(d) => Ok(d.to_string()),
        other => invalid(
            key,
            format!("expected a string such as \"36h\" or \"2027-01-04T09:00\", found {other}"),
        ),
    }
}

const NEEDS_START: &str =
    "needs a calendar: set `start` (an RFC 3339 date-time such as \"2027-01-04T08:00:00Z\") at the top of the file";

pub(super) fn when(key: &str, v: &toml::Value, cal: Option<&calendar::Calendar>) -> Check<calendar::When> {
    let w = calendar::parse_when(&text_or_date(key, v)?).or_else(|m| invalid(key, m))?;
    if cal.is_none() && !matches!(w, calendar::When::After(_)) {
        return invalid(key, format!("a date-time {NEEDS_START}"));
    }
    Ok(w)
}

pub(super) fn modes(raw: &Option<std::collections::BTreeMap<String, f64>>) -> Check<Vec<calendar::DeviceMode>> {
    let Some(map) = raw else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (name, &share) in map {
        let key = format!("devices.modes.{name}");
        let fetch = calendar::parse_mode(name).or_else(|m| invalid(&key, m))?;
        out.push(calendar::DeviceMode {
            name: name.clone(),
            share: probability(&key, share)?,
            fetch,
        });
    }
    if out.is_empty() || out.len() > 16 {
        return invalid(
            "devices.modes",
            "needs from 1 to 16 modes, such as { push = 0.6, fetch_15m = 0.4 }",
        );
    }
    let sum: f64 = out.iter().map(|m| m.share).sum();
    if (sum - 1.0).abs() > 1e-9 {
        return invalid(
            "devices.modes",
            format!("the shares sum to {}; they must sum to 1", num(sum)),
        );
    }
    Ok(out)
}

/// A group's time zones, activity and events (only with a calendar).
pub(super) fn group_clock(
    i: usize,
    g: &RawGroup,
    cal: Option<&calendar::Calendar>,
) -> Check<Option<calendar::GroupClock>> {
    let key = |k: &str| format!("tenants[{i}].{k}");
    let Some(cal) = cal else {
        for (k, set) in [
            ("timezones", g.timezones.is_some()),
            ("activity", g.activity.is_some()),
            ("active_hours", g.active_hours.is_some()),
            ("activity_events", !g.activity_events.is_empty()),
        ] {
            if set {
                return invalid(&key(k), NEEDS_START);
            }
        }
        return Ok(None);
    };
    let zone = |k: String, name: &str, share: f64| -> Check<calendar::Zone> {
        Ok(calendar::Zone {
            name: name.to_string(),
            tz: calendar::parse_zone(name).or_else(|m| invalid(&k, m))?,
            share,
        })
    };
    let zones = match &g.timezones {
        None => vec![zone(key("timezones"), "UTC", 1.0)?],
        Some(toml::Value::String(name)) => vec![zone(key("timezones"), name, 1.0)?],
        Some(toml::Value::Table(t)) => {
            let mut zones = Vec::new();
            for (name, v) in t {
                let k = format!("{}.{name}", key("timezones"));
                let share = match v {
                    toml::Value::Float(f) => *f,
                    toml::Value::Integer(n) => *n as f64,
                    other => return invalid(&k, format!("expected a share from 0 to 1, found {other}")),
                };
                zones.push(zone(k.clone(), name, probability(&k, share)?)?);
            }
            let sum: f64 = zones.iter().map(|z| z.share).sum();
            if zones.is_empty() || (sum - 1.0).abs() > 1e-9 {
                return invalid(
                    &key("timezones"),
                    format!("the shares sum to {}; they must sum to 1", num(sum)),
                );
            }
            zones
        }
        Some(other) => {
            return invalid(
                &key("timezones"),
                format!("expected a zone name or a table of zones and shares, found {other}"),
            );
        }
    };
    let mut activity = match &g.activity {
        None => calendar::Activity::named("flat").expect("flat is a named profile"),
        Some(toml::Value::String(name)) => calendar::Activity::named(name).map_or_else(
            || {
                invalid(
                    &key("activity"),
                    format!(
                        "unknown profile {name:?}; use one of {} or 168 hourly multipliers",
                        calendar::PROFILE_NAMES.join(", ")
                    ),
                )
            },
            Ok,
        )?,
        Some(toml::Value::Array(items)) => {
            if items.len() != calendar::HOURS_OF_WEEK {
                return invalid(
                    &key("activity"),
                    format!(
                        "has {} entries; a weekly profile needs 168, one per hour from Monday 00:00",
                        items.len()
                    ),
                );
            }
            let mut weekly = Vec::with_capacity(items.len());
            for (j, v) in items.iter().enumerate() {
                let k = format!("{}[{j}]", key("activity"));
                let x = match v {
                    toml::Value::Float(f) => *f,
                    toml::Value::Integer(n) => *n as f64,
                    other => return invalid(&k, format!("expected a number, found {other}")),
                };
                if !x.is_finite() || x < 0.0 {
                    return invalid(
                        &k,
                        format!("{} is negative or not finite; multipliers are zero or more", num(x)),
                    );
                }
                weekly.push(x);
            }
            calendar::Activity {
                name: "custom".into(),
                weekly: calendar::normalised(&weekly).map_or_else(
                    || invalid(&key("activity"), "is zero everywhere; some hour must have activity"),
                    Ok,
                )?,
                active: vec![true; calendar::HOURS_OF_WEEK],
            }
        }
        Some(other) => {
            return invalid(
                &key("activity"),
                format!("expected a profile name or 168 numbers, found {other}"),
            );
        }
    };
    if let Some(h) = &g.active_hours {
        let weekday_mask = |k: &str, text: &Option<String>, day: usize| -> Check<Option<(u8, u8)>> {
            match text {
                Some(t) => Ok(Some(calendar::parse_hours(t).or_else(|m| invalid(&key(k), m))?)),
                None => Ok((0..24).find(|&x| activity.active[day * 24 + x]).map(|from| {
                    let to = (from..24)
                        .take_while(|&x| activity.active[day * 24 + x])
                        .last()
                        .unwrap_or(from)
                        + 1;
                    (from as u8, to as u8)
                })),
            }
        };
        let weekdays = weekday_mask("active_hours.weekdays", &h.weekdays, 0)?.unwrap_or((0, 0));
        let weekends = weekday_mask("active_hours.weekends", &h.weekends, 5)?.unwrap_or((0, 0));
        activity.active = calendar::mask_of((weekdays, weekends));
    }
    if !activity.active.iter().any(|&a| a) {
        return invalid(
            &key("active_hours"),
            "no hour of the week is active; people would never answer",
        );
    }
    let mut events = Vec::new();
    for (j, e) in g.activity_events.iter().enumerate() {
        let k = |f: &str| format!("tenants[{i}].activity_events[{j}].{f}");
        let from = when(&k("from"), &e.from, Some(cal))?;
        let to = when(&k("to"), &e.to, Some(cal))?;
        if !e.multiplier.is_finite() || e.multiplier < 0.0 || e.multiplier > 1e6 {
            return invalid(
                &k("multiplier"),
                format!("{} must be from 0 to 1000000", num(e.multiplier)),
            );
        }
        if zones
            .iter()
            .any(|z| to.in_zone(Some(cal), &z.tz) <= from.in_zone(Some(cal), &z.tz))
        {
            return invalid(&k("to"), format!("{to} is not after `from` ({from})"));
        }
        events.push(calendar::ActivityEvent {
            from,
            to,
            multiplier: e.multiplier,
        });
    }
    Ok(Some(calendar::GroupClock {
        zones,
        activity,
        events,
    }))
}
