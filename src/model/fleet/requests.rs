//! Individual requests, evaluation and syncs (SPEC §1 "Requests and the
//! quarantine evaluation service"); as `sim/requests.rs`, and an individual
//! connection rejoins its class at a poll once nothing needs its own.

use super::*;

impl<'a> FleetSim<'a> {
    /// An individual connection's poll.
    pub(super) fn on_poll(&mut self, device: u32, slot: u8, generation: u16) {
        let s = slot as usize;
        let t = self.track_mut(device);
        t.pending -= 1;
        let current = t.generation[s] == generation && t.flags & (INDIVIDUAL << s) != 0;
        let state = self.slot_state(device, s);
        if !current || state == State::Empty {
            self.maybe_untrack(device); // the connection was replaced or removed
            return;
        }
        self.request(device, slot);
        // From here on the connection polls at its state's interval. It
        // rejoins its class unless its polls must stay its own: the class is
        // not exponential, or it can sync while its device waits for mail.
        let waiting = self.track(device).is_some_and(|t| t.episodes > 0);
        if self.quiet.joinable[state.class()] && !(state == State::Active && waiting) {
            self.track_mut(device).flags &= !(INDIVIDUAL << s);
            let tenant = self.tenant_of(device);
            self.join_class(self.tenant_managed(tenant), state);
            self.note_join(device, s);
        } else {
            let next = self.now + self.poll_gap(state);
            self.schedule_pending(
                device,
                next,
                Event::Poll {
                    device,
                    slot,
                    generation,
                },
            );
        }
        self.maybe_untrack(device);
    }

    /// A connection of a tracked device sends a request now: synced at once
    /// in an unmanaged tenant, otherwise evaluated; its completion, if before
    /// the horizon, is an event that names it.
    pub(super) fn request(&mut self, device: u32, slot: u8) {
        let s = slot as usize;
        let t = self
            .track(device)
            .expect("an individual request comes from a tracked device");
        let (tenant, generation) = (t.tenant, t.generation[s]);
        self.counters.requests += 1;
        if !self.tenant_managed(tenant) {
            if self.slot_state(device, s) == State::Active {
                self.sync(device);
            }
            return;
        }
        self.counters.evaluations += 1;
        self.series.evaluations[self.bucket] += 1;
        let (width, buckets) = (self.sc.bucket, self.series.len());
        match self.servers.arrive(self.now, &mut self.rng) {
            Verdict::Served { done, wait } => {
                let b = bucket_of(done, width, buckets);
                if b == self.bucket {
                    self.waits.record(wait);
                } else {
                    self.later_waits.push((b as u32, wait));
                }
                self.schedule_pending(
                    device,
                    done,
                    Event::EvalDone {
                        device,
                        slot,
                        generation,
                    },
                );
            }
            Verdict::Rejected { at } => self.series.rejected[bucket_of(at, width, buckets)] += 1,
            Verdict::Unfinished => {}
        }
    }

    /// An individual request's evaluation completes: it allows access only
    /// if the connection still exists and is neither quarantined nor blocked.
    pub(super) fn on_eval_done(&mut self, device: u32, slot: u8, generation: u16) {
        let t = self.track_mut(device);
        t.pending -= 1;
        if t.generation[slot as usize] == generation && self.slot_state(device, slot as usize) == State::Active {
            self.sync(device);
        }
        self.maybe_untrack(device);
    }

    /// Data moved on the device: ends its open sync-delay episodes.
    pub(super) fn sync(&mut self, device: u32) {
        self.series.syncs[self.bucket] += 1;
        if !self.is_tracked(device) {
            return;
        }
        let now = self.now;
        let t = self.track_mut(device);
        if t.episodes > 0 {
            let open = std::mem::take(&mut t.episodes) as usize;
            let (cells, starts) = (t.episode_cell, t.episode_start);
            for i in 0..open.min(2) {
                self.delays.record(cells[i] as usize, (now - starts[i]).0);
            }
            if open > 2 {
                for (start, cell) in self.more_episodes.remove(&device).unwrap_or_default() {
                    self.delays.record(cell as usize, (now - start).0);
                }
            }
        }
    }
}
