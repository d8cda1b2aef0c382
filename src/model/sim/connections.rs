//! Connections: their state, new activations and re-adds (SPEC §1 "Connections", "Re-adds").

use super::*;

impl<'a, O: Observer> PoolSim<'a, O> {
    pub(super) fn set_state(&mut self, device: u32, slot: usize, state: State) {
        let c = &mut self.hot[device as usize].conn[slot];
        let old = c.state;
        c.state = state;
        self.quarantined -= (old == State::Quarantined) as u64;
        self.blocked -= (old == State::Blocked) as u64;
        self.quarantined += (state == State::Quarantined) as u64;
        self.blocked += (state == State::Blocked) as u64;
        self.counters.quarantines += (state == State::Quarantined && old != State::Quarantined) as u64;
        self.mode_state_change(device, slot, old, state);
        if O::ACTIVE && old != state {
            let app = if slot == App::Outlook.slot() {
                App::Outlook
            } else {
                App::ThirdParty
            };
            let event = WireEvent::Transition {
                device,
                app,
                access: wire::access_of(state),
            };
            self.observer.on(self.now, event);
        }
    }

    /// A connection is (re)created in `app`'s slot: the start of a new
    /// activation's or re-add's sync-delay episode. `kind` is what it says
    /// on the wire: an activation or a re-add.
    pub(super) fn new_connection(&mut self, device: u32, app: App, kind: Kind) {
        let slot = app.slot();
        if self.hot[device as usize].conn[slot].state != State::Empty {
            self.set_state(device, slot, State::Empty);
        }
        if app == App::ThirdParty {
            // The service's prompt starts again; an Outlook set-up the person
            // chose goes on (SPEC §1 "What people already did stands").
            self.cancel_flow(device);
        }
        let policy = self.tenants[self.hot[device as usize].tenant as usize].policy;
        let h = &mut self.hot[device as usize];
        h.conn[slot].generation = h.conn[slot].generation.wrapping_add(1);
        let generation = h.conn[slot].generation;
        let d = &mut self.devices[device as usize];
        match app {
            App::Outlook => d.flags |= CURRENT_OUTLOOK,
            App::ThirdParty => d.flags &= !CURRENT_OUTLOOK,
        }
        let prompted = d.flags & PROMPTED != 0;
        let state = State::of(decide::on_new_connection(app, policy, prompted));
        self.set_state(device, slot, state);
        match state {
            State::Blocked => self.start_block(device, Cohort::New),
            State::Quarantined => {
                // A new connection has never synced: quarantined from activation.
                self.devices[device as usize].flags |= PROMPTED;
                let (flow, plan) = self.start_prompt(device);
                self.open_episode(device, Cohort::New, plan.outcome);
                self.schedule(self.now + plan.mail, Event::Deliver { device, flow });
            }
            _ => self.open_episode(device, Cohort::New, Outcome::Direct),
        }
        self.request(device, slot as u8, kind);
        let next = self.now + self.poll_gap(device, slot, state);
        self.schedule(
            next,
            Event::Poll {
                device,
                slot: slot as u8,
                generation,
            },
        );
    }

    pub(super) fn remove_connection(&mut self, device: u32, slot: usize) {
        self.set_state(device, slot, State::Empty);
        let c = &mut self.hot[device as usize].conn[slot];
        c.generation = c.generation.wrapping_add(1);
    }

    pub(super) fn on_arrival(&mut self, tenant: u32) {
        let tn = &mut self.tenants[tenant as usize];
        let k = tn.arrivals;
        tn.arrivals += 1;
        let (global, rate) = (tn.global as u64, tn.arrival_rate);
        let mut rng = self.streams.stream(Purpose::Arrival, global, k);
        // The stream's first draw was this arrival's gap, used when it was
        // scheduled; skip it so the draws below are the same in any run.
        let _this_gap = exp_gap(&mut rng, rate);
        let (u_kind, u_user, u_app, u_device): (f64, f64, f64, f64) =
            (rng.r#gen(), rng.r#gen(), rng.r#gen(), rng.r#gen());
        let next = self.arrival_after(
            tenant,
            self.now,
            &mut self.streams.stream(Purpose::Arrival, global, k + 1),
            rate,
        );
        self.schedule(next, Event::Arrival { tenant });

        let tn = &self.tenants[tenant as usize];
        if tn.users == 0 {
            return;
        }
        let user = tn.first_user + ((u_user * tn.users as f64) as u32).min(tn.users - 1);
        if u_kind < tn.activation_share {
            let app = if u_app < tn.third_party_share {
                App::ThirdParty
            } else {
                App::Outlook
            };
            let device = self.add_device(tenant, user);
            self.counters.activations += 1;
            self.count_week(tenant, WeekKind::Activations);
            self.new_connection(device, app, Kind::Activation);
        } else {
            let u = self.users[user as usize];
            if u.devices == 0 {
                return; // a user without devices has nothing to re-add
            }
            let mut device = u.first_device;
            for _ in 0..((u_device * u.devices as f64) as u32).min(u.devices - 1) {
                device = self.devices[device as usize].next;
            }
            let app = if self.devices[device as usize].flags & CURRENT_OUTLOOK != 0 {
                App::Outlook
            } else {
                App::ThirdParty
            };
            self.counters.readds += 1;
            self.count_week(tenant, WeekKind::Readds);
            self.new_connection(device, app, Kind::Readd);
        }
    }
}
