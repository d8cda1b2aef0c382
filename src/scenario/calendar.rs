//! The calendar (issue 15): the clock's origin, time zones, weekly activity
//! profiles, active hours and device modes, as the scenario file writes
//! them, and the local hour-of-week timeline of a zone in simulated time.
//!
//! Everything here is off unless the scenario sets `start`, so scenarios
//! without it run exactly as before. Time zones come from the IANA database
//! bundled into the binary (jiff's `tzdb-bundle-always`), never from the
//! machine, so a run gives the same bytes everywhere.

use crate::engine::SimTime;
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};

/// Hours in a week: the length of a weekly profile.
pub const HOURS_OF_WEEK: usize = 168;
/// Microseconds in an hour.
pub const HOUR_US: i64 = 3_600_000_000;
const DAY_US: i64 = 24 * HOUR_US;
/// Day names of the hour-of-week index (Monday 00:00 is hour 0).
pub const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The simulated clock's calendar origin: t = 0 is `start`.
#[derive(Clone, Debug, PartialEq)]
pub struct Calendar {
    /// The instant of simulated time zero.
    pub start: Timestamp,
}

impl Calendar {
    /// Simulated microseconds from `start` to `t` (negative before it).
    pub fn offset_us(&self, t: Timestamp) -> i64 {
        t.as_microsecond() - self.start.as_microsecond()
    }

    /// The UTC instant of simulated time `t`.
    pub fn instant(&self, t: SimTime) -> Timestamp {
        Timestamp::from_microsecond(self.start.as_microsecond().saturating_add(t.0 as i64)).unwrap_or(Timestamp::MAX)
    }

    /// Simulated time `t` as a UTC calendar label: `Mon 2027-01-04 08:00 UTC`.
    pub fn utc_label(&self, t: SimTime) -> String {
        format!("{} UTC", self.instant(t).strftime("%a %Y-%m-%d %H:%M"))
    }

    /// UTC hour of week at simulated time zero, in microseconds since Monday 00:00 UTC.
    pub fn utc_week_origin_us(&self) -> i64 {
        local_week_us(self.start.as_microsecond())
    }
}

/// Microseconds since Monday 00:00 of the week of a local time given as
/// microseconds since 1970-01-01T00:00 (a Thursday).
fn local_week_us(local_us: i64) -> i64 {
    (local_us + 3 * DAY_US).rem_euclid(7 * DAY_US)
}

/// A time zone of a tenant group, with its share of the group's tenants.
#[derive(Clone, Debug)]
pub struct Zone {
    /// As written: an IANA name (`Europe/Berlin`) or an offset (`UTC+05:30`).
    pub name: String,
    /// The zone's rules, from the bundled tz database.
    pub tz: TimeZone,
    /// Share of the group's tenants in this zone.
    pub share: f64,
}

impl PartialEq for Zone {
    fn eq(&self, o: &Zone) -> bool {
        self.name == o.name && self.share == o.share
    }
}

/// A point in time as a scenario writes it.
#[derive(Clone, Debug, PartialEq)]
pub enum When {
    /// A duration after `start` (`"36h"`), as before calendars.
    After(SimTime),
    /// An instant: a date-time with `Z` or an offset.
    At(Timestamp),
    /// A wall-clock date-time with no offset: each tenant's local time.
    Local(DateTime),
}

impl When {
    /// Simulated microseconds (from `start`) of this point for a tenant in `tz`;
    /// negative before `start`.
    pub fn in_zone(&self, cal: Option<&Calendar>, tz: &TimeZone) -> i64 {
        match (self, cal) {
            (When::After(d), _) => d.0 as i64,
            (When::At(t), Some(c)) => c.offset_us(*t),
            (When::Local(dt), Some(c)) => tz
                .to_ambiguous_timestamp(*dt)
                .compatible()
                .map_or(i64::MAX, |t| c.offset_us(t)),
            // Validation refuses a date without `start`.
            (_, None) => i64::MAX,
        }
    }
}

impl When {
    /// As the report's timeline shows it, in calendar time.
    pub fn calendar_label(&self, cal: &Calendar) -> String {
        match self {
            When::After(d) => format!("{} (t = {d})", cal.utc_label(*d)),
            When::At(t) => format!("{} UTC", t.strftime("%a %Y-%m-%d %H:%M")),
            When::Local(dt) => format!("{} each tenant's local time", dt.strftime("%a %Y-%m-%d %H:%M")),
        }
    }
}

impl std::fmt::Display for When {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            When::After(d) => write!(f, "{d}"),
            When::At(t) => write!(f, "{t}"),
            When::Local(dt) => write!(f, "{} local", dt.strftime("%Y-%m-%dT%H:%M")),
        }
    }
}

/// Parses a point in time: a duration (`"36h"`), a date-time with an offset
/// (`"2027-01-04T09:00:00Z"`, an instant), or a date or date-time without
/// one (`"2027-01-04"`, `"2027-01-04T09:00"`: each tenant's local time).
pub fn parse_when(text: &str) -> Result<When, String> {
    let s = text.trim();
    let b = s.as_bytes();
    let looks_like_date = b.len() >= 5 && b[..4].iter().all(|c| c.is_ascii_digit()) && b[4] == b'-';
    if !looks_like_date {
        return super::parse_duration(s).map(When::After);
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(When::At(t));
    }
    // jiff reads a civil date-time with an offset by dropping the offset;
    // an offset here was meant, so it must have parsed as an instant above.
    let has_offset = s.get(10..).is_some_and(|t| t.contains(['+', '-', 'Z', 'z']));
    if !has_offset {
        if let Ok(dt) = s.parse::<DateTime>() {
            return Ok(When::Local(dt));
        }
        if let Ok(d) = s.parse::<Date>() {
            return Ok(When::Local(d.to_datetime(jiff::civil::Time::midnight())));
        }
    }
    Err(format!(
        "{text:?} is neither a duration (\"36h\") nor a date-time (\"2027-01-04T09:00\" local, \"2027-01-04T09:00:00Z\")"
    ))
}

/// Parses `start`: an RFC 3339 instant with `Z` or an offset.
pub fn parse_start(text: &str) -> Result<Timestamp, String> {
    text.trim()
        .parse::<Timestamp>()
        .map_err(|_| format!("{text:?} is not an RFC 3339 date-time with an offset, like \"2027-01-04T08:00:00Z\""))
}

/// A time zone by IANA name (`Europe/London`), `UTC`, or a fixed offset
/// (`+01:00`, `-05:30`, `UTC+1`, `UTC-03:30`).
pub fn parse_zone(name: &str) -> Result<TimeZone, String> {
    let s = name.trim();
    if s.eq_ignore_ascii_case("utc") || s.eq_ignore_ascii_case("gmt") || s == "Z" {
        return Ok(TimeZone::UTC);
    }
    let offset = s.strip_prefix("UTC").or_else(|| s.strip_prefix("GMT")).unwrap_or(s);
    if let Some(sign) = offset.chars().next().filter(|c| *c == '+' || *c == '-') {
        let (h, m) = offset[1..].split_once(':').unwrap_or((&offset[1..], "0"));
        let bad = || format!("{name:?} is not an offset like \"+01:00\" or \"UTC-05:30\"");
        let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if !(0..=18).contains(&h) || !(0..60).contains(&m) || h * 60 + m > 18 * 60 {
            return Err(format!("{name:?}: an offset must be within ±18:00"));
        }
        let secs = (h * 3600 + m * 60) * if sign == '-' { -1 } else { 1 };
        let off = Offset::from_seconds(secs).map_err(|e| e.to_string())?;
        return Ok(TimeZone::fixed(off));
    }
    TimeZone::get(s).map_err(|_| {
        format!(
            "unknown time zone {name:?}; use an IANA name such as \"Europe/London\" or an offset such as \"UTC+01:00\""
        )
    })
}

/// A named weekly activity profile and its active hours, or a custom one.
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    /// `flat`, `office`, `consumer`, or `custom` for 168 numbers.
    pub name: String,
    /// Multiplier of the arrival rate at each local hour of week (Monday
    /// 00:00 first), scaled to mean 1 so that the per-day rates stay the
    /// weekly averages.
    pub weekly: Vec<f64>,
    /// Whether a person is awake and looking at mail in each local hour of
    /// week: reactions to prompts are time spent in these hours.
    pub active: Vec<bool>,
}

/// The named profiles, for messages and the README.
pub const PROFILE_NAMES: [&str; 3] = ["flat", "office", "consumer"];

/// Relative activity per local hour, 00:00 first, of a working day and of a
/// weekend day. Shapes assumed from published patterns (README, "Modelling
/// choices"), not fitted to data: `office` after the working-hours
/// concentration of email (Kooti et al., WWW 2015); `consumer` after phone
/// app use by hour (Böhmer et al., MobileHCI 2011: least use 3–5 am, most in
/// the evening), where new phones are set up in the evening.
const OFFICE_WEEKDAY: [f64; 24] = [
    0.15, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.4, 2.8, 2.7, 2.5, 2.0, 2.4, 2.5, 2.4, 2.1, 1.6, 1.0, 0.8, 0.7, 0.5,
    0.35, 0.2,
];
const OFFICE_WEEKEND: [f64; 24] = [
    0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.15, 0.25, 0.35, 0.4, 0.4, 0.4, 0.4, 0.4, 0.35, 0.35, 0.35, 0.35, 0.35,
    0.3, 0.25, 0.2, 0.15,
];
const CONSUMER_WEEKDAY: [f64; 24] = [
    0.5, 0.3, 0.2, 0.15, 0.15, 0.2, 0.4, 0.7, 0.9, 1.0, 1.0, 1.0, 1.1, 1.0, 1.0, 1.0, 1.1, 1.3, 1.5, 1.8, 2.0, 1.9,
    1.5, 0.9,
];
const CONSUMER_WEEKEND: [f64; 24] = [
    0.7, 0.5, 0.3, 0.2, 0.15, 0.15, 0.2, 0.4, 0.7, 1.0, 1.3, 1.4, 1.5, 1.5, 1.5, 1.5, 1.5, 1.6, 1.7, 1.9, 2.0, 1.9,
    1.6, 1.1,
];

/// Active hours `[from, to)` of a working day and of a weekend day.
pub type ActiveHours = ((u8, u8), (u8, u8));

fn week_of(weekday: &[f64; 24], weekend: &[f64; 24]) -> Vec<f64> {
    (0..7)
        .flat_map(|d| if d < 5 { weekday } else { weekend })
        .copied()
        .collect()
}

/// The mask of `((weekday from, to), (weekend from, to))`.
pub fn mask_of(hours: ActiveHours) -> Vec<bool> {
    (0..HOURS_OF_WEEK)
        .map(|h| {
            let (from, to) = if h / 24 < 5 { hours.0 } else { hours.1 };
            let hour = (h % 24) as u8;
            from <= hour && hour < to
        })
        .collect()
}

/// Scales a profile to mean 1; `None` when it is all zeros.
pub fn normalised(weekly: &[f64]) -> Option<Vec<f64>> {
    let mean = weekly.iter().sum::<f64>() / weekly.len() as f64;
    (mean > 0.0).then(|| weekly.iter().map(|x| x / mean).collect())
}

impl Activity {
    /// A named profile with its default active hours.
    pub fn named(name: &str) -> Option<Activity> {
        let (weekly, hours) = match name {
            "flat" => (vec![1.0; HOURS_OF_WEEK], ((0, 24), (0, 24))),
            "office" => (week_of(&OFFICE_WEEKDAY, &OFFICE_WEEKEND), ((8, 18), (0, 0))),
            "consumer" => (week_of(&CONSUMER_WEEKDAY, &CONSUMER_WEEKEND), ((8, 23), (8, 23))),
            _ => return None,
        };
        Some(Activity {
            name: name.to_string(),
            weekly: normalised(&weekly)?,
            active: mask_of(hours),
        })
    }
}

/// Parses active hours as written: `"08-18"` (from 08:00 to 18:00), `"0-24"`
/// (all day) or `"off"`.
pub fn parse_hours(text: &str) -> Result<(u8, u8), String> {
    let s = text.trim();
    if s == "off" {
        return Ok((0, 0));
    }
    let bad = || format!("{text:?} is not a range of hours like \"08-18\" (or \"0-24\", \"off\")");
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let (a, b): (u8, u8) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if a >= b || b > 24 {
        return Err(format!("{text:?}: the hours must run forwards within 0-24"));
    }
    Ok((a, b))
}

/// A one-off change of the activity level: a launch day, a holiday.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityEvent {
    /// First instant (each tenant's local time when written without an offset).
    pub from: When,
    /// End, exclusive.
    pub to: When,
    /// Multiplies the weekly profile in `[from, to)`.
    pub multiplier: f64,
}

/// A tenant group's clock: its time zones, activity and one-off events.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupClock {
    /// Zones and their shares (sum 1), in the file's (alphabetical) order.
    pub zones: Vec<Zone>,
    /// Weekly profile and active hours.
    pub activity: Activity,
    /// One-off events.
    pub events: Vec<ActivityEvent>,
}

/// How a third-party app reaches the mailbox.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceMode {
    /// As written: `push` or `fetch_<duration>` (`fetch_15m`).
    pub name: String,
    /// Share of devices in this mode.
    pub share: f64,
    /// `None` for push (polls at `poll_interval`, the heartbeat, and syncs at
    /// once when the server has news); the fixed interval of a fetch device,
    /// which only learns anything at its next fetch.
    pub fetch: Option<SimTime>,
}

/// Parses a device mode's name.
pub fn parse_mode(name: &str) -> Result<Option<SimTime>, String> {
    if name == "push" {
        return Ok(None);
    }
    let bad = || format!("unknown device mode {name:?}; use push or fetch_<interval>, such as fetch_15m");
    let every = name.strip_prefix("fetch_").ok_or_else(bad)?;
    let d = super::parse_duration(every).map_err(|_| bad())?;
    if d == SimTime::ZERO {
        return Err(format!("{name:?}: a fetch interval must be more than zero"));
    }
    Ok(Some(d))
}

/// The local hour of week of `tz` along simulated time `[0, end_us)`: the
/// start of each stretch (µs from `start`) and its hour of week (Monday
/// 00:00 = 0). Computed from the zone's offset at each instant, so a
/// daylight-saving change makes the hour it skips absent and the hour it
/// repeats last two real hours: no real hour is lost or counted twice.
pub fn hour_segments(tz: &TimeZone, start: Timestamp, end_us: u64) -> Vec<(u64, u8)> {
    let start_us = start.as_microsecond();
    let mut out: Vec<(u64, u8)> = Vec::new();
    let mut t: i64 = 0;
    while (t as u64) < end_us {
        let instant = Timestamp::from_microsecond(start_us + t).unwrap_or(Timestamp::MAX);
        let offset_us = tz.to_offset(instant).seconds() as i64 * 1_000_000;
        let local = start_us + t + offset_us;
        let how = (local_week_us(local) / HOUR_US) as u8;
        if out.last().is_none_or(|&(_, h)| h != how) {
            out.push((t as u64, how));
        }
        // The next local hour under this offset, or the zone's next
        // transition if it comes first (the offset changes there).
        let next_hour = t + (HOUR_US - local.rem_euclid(HOUR_US));
        let next_transition = tz
            .following(instant)
            .next()
            .map(|tr| tr.timestamp().as_microsecond() - start_us)
            .filter(|&x| x > t)
            .unwrap_or(i64::MAX);
        t = next_hour.min(next_transition);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn zones_and_offsets_parse() {
        assert!(parse_zone("Europe/London").is_ok());
        assert!(parse_zone("Mars/Olympus").unwrap_err().contains("unknown time zone"));
        let plus = parse_zone("UTC+05:30").unwrap();
        assert_eq!(plus.to_offset(ts("2027-01-01T00:00:00Z")).seconds(), 19_800);
        assert_eq!(
            parse_zone("-3")
                .unwrap()
                .to_offset(ts("2027-01-01T00:00:00Z"))
                .seconds(),
            -10_800
        );
        assert!(parse_zone("+19:00").is_err());
    }

    #[test]
    fn points_in_time_parse() {
        assert_eq!(parse_when("36h").unwrap(), When::After(SimTime(36 * 3_600_000_000)));
        assert!(matches!(parse_when("2027-01-04T09:00:00Z").unwrap(), When::At(_)));
        assert!(matches!(parse_when("2027-01-04T09:00+01:00").unwrap(), When::At(_)));
        assert!(matches!(parse_when("2027-01-04T09:00").unwrap(), When::Local(_)));
        assert!(matches!(parse_when("2027-01-04").unwrap(), When::Local(_)));
        assert!(parse_when("next monday").is_err());
    }

    #[test]
    fn named_profiles_have_mean_one_and_168_hours() {
        for name in PROFILE_NAMES {
            let a = Activity::named(name).unwrap();
            assert_eq!(a.weekly.len(), HOURS_OF_WEEK);
            let mean = a.weekly.iter().sum::<f64>() / 168.0;
            assert!((mean - 1.0).abs() < 1e-12, "{name} {mean}");
        }
        let office = Activity::named("office").unwrap();
        // Friday 23:00 is off, Monday 08:00 on, Saturday noon off.
        assert!(!office.active[4 * 24 + 23] && office.active[8] && !office.active[5 * 24 + 12]);
    }

    #[test]
    fn hours_of_week_follow_the_zone_and_its_daylight_saving() {
        // 2027-01-04 is a Monday; Berlin is UTC+1 in winter.
        let start = ts("2027-01-04T00:00:00Z");
        let berlin = parse_zone("Europe/Berlin").unwrap();
        let segs = hour_segments(&berlin, start, 3 * HOUR_US as u64);
        assert_eq!(segs, vec![(0, 1), (HOUR_US as u64, 2), (2 * HOUR_US as u64, 3)]);
        // London springs forward at 01:00 UTC on 2027-03-28 (a Sunday):
        // local 01:00-02:00 never happens, every real hour has a local hour.
        let london = parse_zone("Europe/London").unwrap();
        let spring = hour_segments(&london, ts("2027-03-28T00:00:00Z"), 3 * HOUR_US as u64);
        let sunday = 6 * 24;
        assert_eq!(
            spring,
            vec![
                (0, sunday),
                (HOUR_US as u64, sunday + 2),
                (2 * HOUR_US as u64, sunday + 3)
            ]
        );
        // ... and falls back at 01:00 UTC on 2027-10-31: local 01:00-02:00 lasts two real hours.
        let autumn = hour_segments(&london, ts("2027-10-31T00:00:00Z"), 3 * HOUR_US as u64);
        assert_eq!(autumn, vec![(0, sunday + 1), (2 * HOUR_US as u64, sunday + 2)]);
    }
}
