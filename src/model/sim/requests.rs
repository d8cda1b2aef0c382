//! Requests, evaluation and syncs (SPEC §1 "Requests and the quarantine evaluation service").

use super::*;

impl<'a, O: Observer> PoolSim<'a, O> {
    #[inline]
    pub(super) fn poll_interval(&mut self, state: State) -> SimTime {
        let d = &self.sc.devices;
        let dist = if state == State::Active {
            &d.poll_interval
        } else {
            &d.quarantined_poll_interval
        };
        // At least 1 µs, so that a zero draw cannot stall the clock.
        dist.sample(&mut self.rng).max(SimTime(1))
    }

    #[inline]
    pub(super) fn on_poll(&mut self, device: u32, slot: u8, generation: u16) {
        let c = self.hot[device as usize].conn[slot as usize];
        if c.generation != generation || c.state == State::Empty {
            return; // the connection was replaced or removed
        }
        self.request(device, slot, Kind::Poll);
        let next = self.now + self.poll_gap(device, slot as usize, c.state);
        self.schedule(
            next,
            Event::Poll {
                device,
                slot,
                generation,
            },
        );
    }

    /// A connection sends a request now: synced at once in an unmanaged
    /// tenant, otherwise queued for a quarantine evaluation.
    #[inline]
    pub(super) fn request(&mut self, device: u32, slot: u8, kind: Kind) {
        let h = &self.hot[device as usize];
        let c = h.conn[slot as usize];
        let tenant = h.tenant as usize;
        self.counters.requests += 1;
        if self.tenants[tenant].policy == Policy::Unmanaged {
            if c.state == State::Active {
                self.sync(device);
            }
            return;
        }
        if O::ACTIVE
            && let Some(decision) = wire::access_of(c.state)
        {
            let event = WireEvent::Request {
                tenant: self.tenants[tenant].global,
                device,
                app: if slot == App::Outlook as u8 {
                    App::Outlook
                } else {
                    App::ThirdParty
                },
                kind,
                decision,
            };
            self.observer.on(self.now, event);
        }
        self.counters.evaluations += 1;
        if self.clocked.is_some() {
            self.count_week(h.tenant, WeekKind::Evaluations);
        }
        self.series.evaluations[self.bucket] += 1;
        let req = Request {
            arrival: self.now,
            device,
            slot,
            generation: c.generation,
        };
        let (width, buckets) = (self.sc.bucket, self.series.len());
        let rejected = &mut self.series.rejected;
        if let Some((server, at)) = self
            .eval
            .arrive(req, &mut self.rng, &mut |t| rejected[bucket_of(t, width, buckets)] += 1)
        {
            self.schedule(at, Event::EvalDone { server });
        }
    }

    #[inline]
    pub(super) fn on_eval_done(&mut self, server: u32) {
        let (width, buckets) = (self.sc.bucket, self.series.len());
        let rejected = &mut self.series.rejected;
        let (req, next) = self
            .eval
            .complete(self.now, server, &mut self.rng, &mut self.waits, &mut |t| {
                rejected[bucket_of(t, width, buckets)] += 1
            });
        if let Some((server, at)) = next {
            self.schedule(at, Event::EvalDone { server });
        }
        let c = self.hot[req.device as usize].conn[req.slot as usize];
        // The evaluation allows access only if the connection still exists
        // and is neither quarantined nor blocked when the answer is given.
        if c.generation == req.generation && c.state == State::Active {
            self.sync(req.device);
        }
    }

    /// Data moved on the device: ends its open sync-delay episodes.
    #[inline]
    pub(super) fn sync(&mut self, device: u32) {
        self.series.syncs[self.bucket] += 1;
        let h = &mut self.hot[device as usize];
        if h.episodes > 0 {
            let open = std::mem::take(&mut h.episodes) as usize;
            let d = &self.devices[device as usize];
            for i in 0..open.min(2) {
                self.delays
                    .record(d.episode_cell[i] as usize, (self.now - d.episode_start[i]).0);
            }
            if open > 2 {
                for (start, cell) in self.more_episodes.remove(&device).unwrap_or_default() {
                    self.delays.record(cell as usize, (self.now - start).0);
                }
            }
        }
    }
}
