//! The event loop: the quiet stream's polls up to the next event, then the
//! event; the time buckets; the results at the horizon.

use super::*;

/// How far ahead the event loop starts loading an event's memory: what
/// the event names (a device's state, flow counter and record slot, a
/// tenant) `FAR` events ahead; what those point to (a device's tenant, a
/// wave) `NEAR` events ahead, once the first loads are in; a wave turn's
/// device just before the turn. Events come about a microsecond of quiet
/// polls apart at 100 M connections, several main-memory latencies.
const FAR: usize = 3;
const NEAR: usize = 1;

impl<'a> FleetSim<'a> {
    /// Runs to the horizon and returns the pool's results, reporting how far
    /// it got to `progress` now and then.
    pub fn run(mut self, progress: Option<&Progress>) -> PoolResult {
        const REPORT_EVERY: u64 = 1 << 16;
        let horizon = self.sc.horizon;
        let (mut reported_us, mut reported_events) = (0u64, 0u64);
        let mut report = |now: SimTime, events: u64| {
            if let Some(p) = progress {
                p.simulated_us
                    .fetch_add(now.0.saturating_sub(reported_us), Ordering::Relaxed);
                p.events.fetch_add(events - reported_events, Ordering::Relaxed);
                (reported_us, reported_events) = (reported_us.max(now.0), events);
            }
        };
        self.redraw_quiet();
        loop {
            let next_event = self.queue.peek_time().unwrap_or(SimTime::NEVER);
            let limit = next_event.min(self.bucket_end).min(horizon);
            self.prefetch_next_event();
            self.quiet_polls_until(limit, next_event, &mut report);
            if limit >= horizon {
                break;
            }
            if self.bucket_end <= next_event {
                self.now = self.bucket_end;
                self.close_bucket();
                continue;
            }
            let Some((t, event)) = self.queue.pop() else { break };
            self.now = t;
            self.counters.events += 1;
            self.handle(event);
            if self.quiet.dirty {
                self.redraw_quiet();
            }
            if self.counters.events.is_multiple_of(REPORT_EVERY) {
                report(t, self.counters.events);
            }
        }
        self.now = horizon;
        report(horizon, self.counters.events);
        self.finish()
    }

    /// Starts loading what the next events read, while the quiet polls
    /// before them run: among millions of devices or tenants, each a
    /// main-memory miss otherwise. Each event's memory is asked for once
    /// per stage, as it moves up the queue.
    #[inline]
    fn prefetch_next_event(&self) {
        self.prefetch_named(FAR);
        self.prefetch_pointed(NEAR);
        if let Some(&Event::WaveTurn { tenant, .. }) = self.queue.lookahead(0) {
            self.prefetch_wave_device(tenant);
        }
    }

    /// The first stage: what the event `k` places ahead names.
    #[inline]
    fn prefetch_named(&self, k: usize) {
        let Some(&event) = self.queue.lookahead(k) else { return };
        if let Some(device) = event.device() {
            self.prefetch_device(device);
            // Where the search for its tenant starts.
            match (device as usize).checked_sub(self.initial as usize) {
                None => {
                    if let Some(b) = self.tenant_block.get((device >> TENANT_BLOCK) as usize) {
                        prefetch(b);
                    }
                }
                Some(i) => {
                    if let Some(a) = self.activated.get(i) {
                        prefetch(a);
                    }
                }
            }
        } else if let Event::WaveTurn { tenant, .. } | Event::Arrival { tenant } | Event::Change { tenant, .. } = event
        {
            let t = tenant as usize;
            if let Some(tn) = self.tenants.get(t) {
                memory::prefetch_all(tn);
            }
            if let Some(first) = self.tenant_first.get(t) {
                prefetch(first);
            }
        }
    }

    /// The second stage, on memory the first brought in: a device's tenant,
    /// a wave turn's wave and the start of its tenant's devices.
    #[inline]
    fn prefetch_pointed(&self, k: usize) {
        let Some(&event) = self.queue.lookahead(k) else { return };
        if let Some(device) = event.device() {
            if (device as usize) < self.state.len()
                && let Some(tn) = self.tenants.get(self.tenant_of(device) as usize)
            {
                memory::prefetch_all(tn);
            }
        } else if let Event::WaveTurn { tenant, .. } = event {
            let t = tenant as usize;
            if let Some(w) = self.tenants.get(t).and_then(|tn| tn.wave.as_deref()) {
                memory::prefetch_all(w);
            }
            if let Some(state) = self.tenant_first.get(t).and_then(|&d| self.state.get(d as usize)) {
                prefetch(state);
            }
        }
    }

    /// The last stage of a wave turn: the device whose turn it is likely to
    /// be (the next in the wave's order, unless that one is not eligible).
    #[inline]
    fn prefetch_wave_device(&self, tenant: u32) {
        let Some(tn) = self.tenants.get(tenant as usize) else {
            return;
        };
        let Some(i) = tn.wave.as_deref().and_then(|w| w.peek_index()) else {
            return;
        };
        self.prefetch_device(tn.device(i));
    }

    /// A device's state byte, flow counter and `Track` slot.
    #[inline]
    fn prefetch_device(&self, device: u32) {
        let d = device as usize;
        if let (Some(state), Some(flow)) = (self.state.get(d), self.flow.get(d)) {
            prefetch(state);
            prefetch(flow);
        }
        self.tracks.prefetch(device);
    }

    fn close_bucket(&mut self) {
        let b = self.bucket;
        if b < self.series.len() {
            let end = self.bucket_end.min(self.sc.horizon);
            self.count_unmanaged_polls(end);
            self.series.quarantined[b] = self.quarantined;
            self.series.blocked[b] = self.blocked;
            self.series.wait[b] = self.waits.take();
        }
        self.bucket += 1;
        self.bucket_end = self.bucket_end + self.sc.bucket;
        self.tidy_in_flight();
        // Waits of evaluations completing in the new bucket, known earlier.
        if !self.later_waits.is_empty() {
            let now = self.bucket as u32;
            let waits = &mut self.waits;
            self.later_waits.retain(|&(b, wait)| {
                if b == now {
                    waits.record(wait);
                }
                b != now
            });
        }
    }

    fn finish(mut self) -> PoolResult {
        while self.bucket < self.series.len() {
            self.close_bucket();
        }
        debug_assert!(self.later_waits.is_empty());
        self.check_quiet_counts();
        for t in self.tracks.values() {
            for &cell in &t.episode_cell[..(t.episodes as usize).min(2)] {
                self.delays.record_unsynced(cell as usize);
            }
        }
        for episodes in self.more_episodes.values() {
            for &(_, cell) in episodes {
                self.delays.record_unsynced(cell as usize);
            }
        }
        self.counters.evaluations_rejected = self.servers.stats.rejected;
        PoolResult {
            pool: self.pool,
            counters: self.counters,
            delays: self.delays,
            load: self.servers.into_stats(),
            series: self.series,
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Poll {
                device,
                slot,
                generation,
            } => self.on_poll(device, slot, generation),
            Event::EvalDone {
                device,
                slot,
                generation,
            } => self.on_eval_done(device, slot, generation),
            Event::Arrival { tenant } => self.on_arrival(tenant),
            Event::Change { tenant, change } => self.on_change(tenant, change as usize),
            Event::WaveTurn { tenant, epoch } => self.on_wave_turn(tenant, epoch),
            Event::Deliver { device, flow } => self.on_deliver(device, flow),
            Event::Release { device, flow } => self.on_release(device, flow),
            Event::Choose { device, flow } => self.on_choose(device, flow),
            Event::OutlookReady { device, flow } => self.on_outlook_ready(device, flow),
            Event::Abandon { device } => self.on_abandon(device),
        }
    }
}
