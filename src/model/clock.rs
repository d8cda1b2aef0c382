//! The calendar in simulated time: for each (tenant group, time zone) in
//! use, its local hours of week, its arrival-rate curve (weekly profile ×
//! one-off events) and its active hours, all precomputed as stretches of
//! integer microseconds so that the event loop only compares integers.

use crate::engine::{SimTime, StepCurve};
use crate::scenario::Scenario;
use crate::scenario::calendar::{HOUR_US, HOURS_OF_WEEK, hour_segments};

/// Reactions can end after the horizon; the active hours run this far past
/// it, more than the 24 h after which an unanswered prompt times out.
const ACTIVE_SLACK: SimTime = SimTime(2 * 86_400_000_000);

/// One group's tenants in one time zone.
#[derive(Clone, Debug)]
pub struct ZoneClock {
    /// Group index in the scenario.
    pub group: u32,
    /// Zone index in the group's `timezones`.
    pub zone: u32,
    /// Local hour of week from each start (µs) on, to the horizon plus slack.
    pub hours: Vec<(u64, u8)>,
    /// Multiplier of the arrival rate (mean 1 over a week), to the horizon.
    pub arrivals: StepCurve,
    /// 1 in active hours, 0 elsewhere: reactions walk along it.
    pub active: StepCurve,
    /// Each policy change of the group, at this zone's instant.
    pub changes: Vec<SimTime>,
    /// Microseconds of `[0, horizon)` in each local hour of week.
    pub exposure_us: Vec<u64>,
}

impl ZoneClock {
    /// The local hour of week at `t`, searching forward from stretch `*cursor`
    /// (times only grow on the event loop, so this is amortised O(1)).
    #[inline]
    pub fn hour_of_week(&self, t: SimTime, cursor: &mut usize) -> usize {
        if self.hours.get(*cursor).is_none_or(|&(s, _)| s > t.0) {
            *cursor = 0;
        }
        while self.hours.get(*cursor + 1).is_some_and(|&(s, _)| s <= t.0) {
            *cursor += 1;
        }
        self.hours.get(*cursor).map_or(0, |&(_, h)| h as usize)
    }
}

/// Every zone clock of a scenario with a calendar.
#[derive(Clone, Debug)]
pub struct Clocks {
    /// Clocks of group 0's zones, then group 1's, …
    pub zones: Vec<ZoneClock>,
    /// Index in `zones` of each group's first zone.
    pub first: Vec<u32>,
    /// Microseconds since Monday 00:00 UTC at simulated time zero.
    pub utc_origin_us: u64,
}

impl Clocks {
    /// The clocks of `sc`; `None` without a calendar.
    pub fn build(sc: &Scenario) -> Option<Clocks> {
        let cal = sc.calendar.as_ref()?;
        let horizon = sc.horizon.0;
        let span = horizon.saturating_add(ACTIVE_SLACK.0);
        let mut zones = Vec::new();
        let mut first = Vec::new();
        for (g, group) in sc.groups.iter().enumerate() {
            first.push(zones.len() as u32);
            let Some(clock) = &group.clock else { continue };
            for (z, zone) in clock.zones.iter().enumerate() {
                let hours = hour_segments(&zone.tz, cal.start, span);
                let how_at = |t: u64| hours[hours.partition_point(|&(s, _)| s <= t).saturating_sub(1)].1 as usize;
                let events: Vec<(u64, u64, f64)> = clock
                    .events
                    .iter()
                    .map(|e| {
                        let clip = |x: i64| x.clamp(0, horizon as i64) as u64;
                        (
                            clip(e.from.in_zone(Some(cal), &zone.tz)),
                            clip(e.to.in_zone(Some(cal), &zone.tz)),
                            e.multiplier,
                        )
                    })
                    .collect();
                let mut edges: Vec<u64> = hours.iter().map(|&(s, _)| s).filter(|&s| s < horizon).collect();
                edges.extend(events.iter().flat_map(|&(a, b, _)| [a, b]).filter(|&x| x < horizon));
                edges.sort_unstable();
                edges.dedup();
                let arrivals = StepCurve::new(
                    edges.iter().map(|&t| {
                        let boost: f64 = events
                            .iter()
                            .filter(|&&(a, b, _)| a <= t && t < b)
                            .map(|&(_, _, m)| m)
                            .product();
                        (t, clock.activity.weekly[how_at(t)] * boost)
                    }),
                    horizon,
                );
                let active = StepCurve::new(
                    hours
                        .iter()
                        .map(|&(s, h)| (s, if clock.activity.active[h as usize] { 1.0 } else { 0.0 })),
                    span,
                );
                let mut exposure_us = vec![0u64; HOURS_OF_WEEK];
                for (i, &(s, h)) in hours.iter().enumerate() {
                    let end = hours.get(i + 1).map_or(span, |&(e, _)| e).min(horizon);
                    exposure_us[h as usize] += end.saturating_sub(s);
                }
                let changes = group
                    .changes
                    .iter()
                    .map(|c| SimTime(c.when.in_zone(Some(cal), &zone.tz).max(0) as u64))
                    .collect();
                zones.push(ZoneClock {
                    group: g as u32,
                    zone: z as u32,
                    hours,
                    arrivals,
                    active,
                    changes,
                    exposure_us,
                });
            }
        }
        Some(Clocks {
            zones,
            first,
            utc_origin_us: cal.utc_week_origin_us() as u64,
        })
    }

    /// The UTC hour of week at simulated time `t`.
    #[inline]
    pub fn utc_hour_of_week(&self, t: SimTime) -> usize {
        ((self.utc_origin_us + t.0) / HOUR_US as u64 % HOURS_OF_WEEK as u64) as usize
    }
}
