//! The event loop: pop the next event, keep the time buckets, dispatch; and the results at the horizon.

use super::*;

impl<'a, O: Observer> PoolSim<'a, O> {
    /// Schedules an event unless it falls at or after the horizon, where it could never run.
    #[inline]
    pub(super) fn schedule(&mut self, at: SimTime, event: Event) {
        if at < self.sc.horizon {
            self.queue.push(at, event);
        }
    }

    /// Runs to the horizon and returns the pool's results, reporting how far
    /// it got to `progress` now and then.
    pub fn run(mut self, progress: Option<&Progress>) -> PoolResult {
        const REPORT_EVERY: u64 = 1 << 16;
        let horizon = self.sc.horizon;
        let (mut reported_us, mut reported_events) = (0u64, 0u64);
        let mut report = |now: SimTime, events: u64| {
            if let Some(p) = progress {
                p.simulated_us.fetch_add(now.0 - reported_us, Ordering::Relaxed);
                p.events.fetch_add(events - reported_events, Ordering::Relaxed);
                (reported_us, reported_events) = (now.0, events);
            }
        };
        while let Some((t, event)) = self.queue.pop() {
            if t >= horizon {
                break;
            }
            while t >= self.bucket_end {
                self.close_bucket();
            }
            self.now = t;
            self.counters.events += 1;
            self.prefetch_ahead();
            self.handle(event);
            if self.counters.events.is_multiple_of(REPORT_EVERY) {
                report(t, self.counters.events);
            }
        }
        report(horizon, self.counters.events);
        self.finish()
    }

    /// Starts loading the device record of an event a few places ahead, so
    /// that it is in cache when its turn comes: with millions of devices the
    /// record is otherwise a main-memory miss on every request.
    #[inline]
    pub(super) fn prefetch_ahead(&self) {
        const AHEAD: usize = 8;
        let device = match self.queue.lookahead(AHEAD) {
            Some(Event::Poll { device, .. }) => *device,
            Some(Event::EvalDone { server }) => self.eval.device_in_service(*server),
            _ => return,
        };
        prefetch(&self.hot[device as usize]);
    }

    pub(super) fn close_bucket(&mut self) {
        let b = self.bucket;
        if b < self.series.len() {
            self.series.quarantined[b] = self.quarantined;
            self.series.blocked[b] = self.blocked;
            self.series.wait[b] = self.waits.take();
        }
        self.bucket += 1;
        self.bucket_end = self.bucket_end + self.sc.bucket;
    }

    pub(super) fn finish(mut self) -> PoolResult {
        while self.bucket < self.series.len() {
            self.close_bucket();
        }
        let (width, buckets) = (self.sc.bucket, self.series.len());
        let rejected = &mut self.series.rejected;
        self.eval.finish(&mut |t| rejected[bucket_of(t, width, buckets)] += 1);
        for (h, d) in self.hot.iter().zip(&self.devices) {
            for &cell in &d.episode_cell[..(h.episodes as usize).min(2)] {
                self.delays.record_unsynced(cell as usize);
            }
        }
        let mut extra: Vec<(&u32, &Vec<(SimTime, u8)>)> = self.more_episodes.iter().collect();
        extra.sort_by_key(|(device, _)| **device);
        for (_, episodes) in extra {
            for &(_, cell) in episodes {
                self.delays.record_unsynced(cell as usize);
            }
        }
        self.counters.evaluations_rejected = self.eval.stats.rejected;
        self.finish_calendar();
        PoolResult {
            pool: self.pool,
            counters: self.counters,
            delays: self.delays,
            load: self.eval.stats,
            series: self.series,
        }
    }

    pub(super) fn handle(&mut self, event: Event) {
        match event {
            Event::Poll {
                device,
                slot,
                generation,
            } => self.on_poll(device, slot, generation),
            Event::EvalDone { server } => self.on_eval_done(server),
            Event::Arrival { tenant } => self.on_arrival(tenant),
            Event::Change { tenant, change } => self.on_change(tenant, change as usize),
            Event::Wave { device, epoch } => self.on_wave(device, epoch),
            Event::Deliver { device, flow } => self.on_deliver(device, flow),
            Event::Release { device, flow } => self.on_release(device, flow),
            Event::Choose { device, flow } => self.on_choose(device, flow),
            Event::OutlookReady { device, flow } => self.on_outlook_ready(device, flow),
            Event::Abandon { device, generation } => self.on_abandon(device, generation),
        }
    }
}
