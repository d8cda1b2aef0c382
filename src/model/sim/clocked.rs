//! The calendar on the event loop (issue 15): arrivals that follow each
//! tenant's weekly profile, reactions counted in active hours, counts by hour
//! of week, and push or fetch devices. Every function here returns at once
//! (and draws nothing) when the scenario has no calendar and no device
//! modes, so such scenarios run exactly as before.

use super::*;
use crate::model::clock::{Clocks, ZoneClock};
use crate::model::population::NO_CLOCK;
use crate::stats::week::{CalendarStats, HOURS, ModeCounts, WeekCounts, WeekKind};
use std::sync::Arc;

/// What a pool keeps for the calendar and device modes.
pub(super) struct Clocked {
    clocks: Option<Arc<Clocks>>,
    /// Per zone clock: where its hour-of-week lookup stands.
    cursors: Vec<usize>,
    stats: CalendarStats,
    /// Per mode: quarantined third-party connections now, and since when.
    quarantined: Vec<(u64, SimTime)>,
}

impl Clocked {
    /// `None` when the scenario has neither a calendar nor device modes.
    pub(super) fn new(sc: &Scenario, plan: &Plan) -> Option<Box<Clocked>> {
        if !sc.uses_calendar() {
            return None;
        }
        let modes = sc.devices.modes.len();
        Some(Box::new(Clocked {
            cursors: vec![0; plan.clocks.as_ref().map_or(0, |c| c.zones.len())],
            clocks: plan.clocks.clone(),
            stats: CalendarStats {
                week: plan.clocks.as_ref().map(|_| WeekCounts::default()),
                modes: (modes > 0).then(|| ModeCounts {
                    modes: vec![[0; 3]; modes],
                }),
            },
            quarantined: vec![(0, SimTime::ZERO); modes],
        }))
    }
}

impl<'a, O: Observer> PoolSim<'a, O> {
    /// The clock of tenant `tenant` (pool-local), with a calendar.
    #[inline]
    pub(super) fn tenant_clock(&self, tenant: u32) -> Option<&ZoneClock> {
        let c = self.clocked.as_deref()?.clocks.as_deref()?;
        let i = self.tenants[tenant as usize].clock;
        (i != NO_CLOCK).then(|| &c.zones[i as usize])
    }

    /// When the tenant's next activation or re-add comes after `from`: the
    /// gap is drawn from `rng` as before; with a calendar it is a gap of the
    /// integrated rate, walked along the tenant's rate curve (an exact
    /// non-homogeneous Poisson process by inversion, with the same draws).
    pub(super) fn arrival_after(&self, tenant: u32, from: SimTime, rng: &mut ChaCha8Rng, rate: f64) -> SimTime {
        match self.tenant_clock(tenant) {
            None => from + exp_gap(rng, rate),
            Some(clock) => {
                let gap = -(1.0 - rng.r#gen::<f64>()).ln() / rate;
                clock.arrivals.walk(from, gap.min(u64::MAX as f64 / 8.0))
            }
        }
    }

    /// The change's instant for this tenant: its own zone's reading of a
    /// local date-time.
    pub(super) fn change_time(&self, tenant: u32, change: usize, at: SimTime) -> SimTime {
        self.tenant_clock(tenant).map_or(at, |c| c.changes[change])
    }

    /// With a calendar the drawn reaction is time spent in the person's
    /// active hours: the prompt delivered at `delivered` is acted on when
    /// that much active time has passed, and the 24 h timeout (wall clock)
    /// comes first when that is 24 h or more later.
    pub(super) fn clocked_plan(&self, device: u32, mut plan: FlowPlan, delivered: SimTime) -> FlowPlan {
        let Some(clock) = self.tenant_clock(self.hot[device as usize].tenant) else {
            return plan;
        };
        if plan.outcome != Outcome::Timeout {
            plan.reaction = clock.active.walk(delivered, plan.reaction.0 as f64) - delivered;
            if plan.reaction >= PROMPT_TIMEOUT {
                plan.outcome = Outcome::Timeout;
            }
        }
        plan
    }

    /// Counts one `kind` now for the tenant's local and the UTC hour of week.
    #[inline]
    pub(super) fn count_week(&mut self, tenant: u32, kind: WeekKind) {
        let Some(c) = self.clocked.as_deref_mut() else { return };
        let (Some(clocks), Some(week)) = (c.clocks.as_deref(), c.stats.week.as_mut()) else {
            return;
        };
        let i = self.tenants[tenant as usize].clock as usize;
        let local = clocks.zones[i].hour_of_week(self.now, &mut c.cursors[i]);
        week.local[local][kind as usize] += 1;
        week.utc[clocks.utc_hour_of_week(self.now)][kind as usize] += 1;
    }

    /// Draws a new device's mode from its own stream (with device modes).
    pub(super) fn draw_mode(&mut self, device: u32) {
        let modes = &self.sc.devices.modes;
        if modes.is_empty() {
            return;
        }
        let mut rng = self.mode_stream(device);
        let u: f64 = rng.r#gen();
        let mut cumulative = 0.0;
        let mut mode = modes.len() - 1;
        for (i, m) in modes.iter().enumerate() {
            cumulative += m.share;
            if u < cumulative {
                mode = i;
                break;
            }
        }
        self.devices[device as usize].mode = mode as u8;
        if let Some(m) = self.clocked.as_deref_mut().and_then(|c| c.stats.modes.as_mut()) {
            m.modes[mode][0] += 1;
        }
    }

    fn mode_stream(&self, device: u32) -> ChaCha8Rng {
        let global = self.tenants[self.hot[device as usize].tenant as usize].global as u64;
        let uid = self.devices[device as usize].uid as u64;
        self.streams.stream(Purpose::Mode, (global << 32) | uid, 0)
    }

    /// The fetch interval of the device's third-party app, if it fetches.
    #[inline]
    fn fetch_interval(&self, device: u32) -> Option<SimTime> {
        let modes = &self.sc.devices.modes;
        if modes.is_empty() {
            return None;
        }
        modes[self.devices[device as usize].mode as usize].fetch
    }

    /// Whether the server can push to the device's third-party app: not to
    /// one that fetches, which learns of a release at its next fetch.
    #[inline]
    pub(super) fn pushes(&self, device: u32) -> bool {
        self.fetch_interval(device).is_none()
    }

    /// The gap to a connection's next poll: a fetching third-party app
    /// keeps its fixed interval whatever its state; others as before.
    #[inline]
    pub(super) fn poll_gap(&mut self, device: u32, slot: usize, state: State) -> SimTime {
        match self.fetch_interval(device) {
            Some(every) if slot == App::ThirdParty.slot() => every,
            _ => self.poll_interval(state),
        }
    }

    /// An initial device's first poll: a fetching app's phase is uniform
    /// over its interval (its own stream); others keep `drawn`.
    pub(super) fn first_poll(&self, device: u32, app: App, drawn: SimTime) -> SimTime {
        match self.fetch_interval(device) {
            Some(every) if app == App::ThirdParty => {
                let mut rng = self.mode_stream(device);
                let _mode: f64 = rng.r#gen();
                SimTime((rng.r#gen::<f64>() * every.0 as f64) as u64)
            }
            _ => drawn,
        }
    }

    /// Keeps each mode's quarantine count and time as a third-party
    /// connection's state changes from `old` to `new`.
    #[inline]
    pub(super) fn mode_state_change(&mut self, device: u32, slot: usize, old: State, new: State) {
        let Some(c) = self.clocked.as_deref_mut() else { return };
        let Some(counts) = c.stats.modes.as_mut() else { return };
        let (was, is) = (old == State::Quarantined, new == State::Quarantined);
        if slot != App::ThirdParty.slot() || was == is {
            return;
        }
        let mode = self.devices[device as usize].mode as usize;
        let (n, since) = &mut c.quarantined[mode];
        counts.modes[mode][2] += *n * (self.now - *since).0;
        *since = self.now;
        if is {
            *n += 1;
            counts.modes[mode][1] += 1;
        } else {
            *n -= 1;
        }
    }

    /// At the horizon: the quarantine time still running, and each hour of
    /// week's exposure (tenant-microseconds), into the pool's series.
    pub(super) fn finish_calendar(&mut self) {
        let Some(mut c) = self.clocked.take() else { return };
        let horizon = self.sc.horizon;
        if let Some(counts) = c.stats.modes.as_mut() {
            for (m, &(n, since)) in c.quarantined.iter().enumerate() {
                counts.modes[m][2] += n * (horizon - since).0;
            }
        }
        if let (Some(clocks), Some(week)) = (c.clocks.as_deref(), c.stats.week.as_mut()) {
            let mut per_clock = vec![0u64; clocks.zones.len()];
            for t in &self.tenants {
                per_clock[t.clock as usize] += 1;
            }
            for (z, &n) in clocks.zones.iter().zip(&per_clock) {
                for h in 0..HOURS {
                    week.local_exposure_us[h] += n * z.exposure_us[h];
                }
            }
            let tenants = self.tenants.len() as u64;
            let hour = SimTime::HOUR.0;
            let mut t = 0u64;
            while t < horizon.0 {
                let next = ((clocks.utc_origin_us + t) / hour + 1) * hour - clocks.utc_origin_us;
                let end = next.min(horizon.0);
                week.utc_exposure_us[clocks.utc_hour_of_week(SimTime(t))] += tenants * (end - t);
                t = end;
            }
        }
        self.series.calendar = c.stats;
    }
}
