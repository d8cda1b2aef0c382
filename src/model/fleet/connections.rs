//! Connections: their state, new activations and re-adds (SPEC §1
//! "Connections", "Re-adds"); as `sim/connections.rs`, and where a quiet
//! connection's state changes, it leaves its class.

use super::*;
use crate::model::decide::{self, Access};

impl<'a> FleetSim<'a> {
    /// Writes a connection's state. A quiet connection whose state changes
    /// leaves its class: if it goes on, its next poll is the one it had
    /// scheduled at its old state's interval (memoryless: drawn again now),
    /// after which it learns its new state.
    pub(super) fn set_state(&mut self, device: u32, slot: usize, state: State) {
        let old = self.slot_state(device, slot);
        if old == state {
            return;
        }
        let quiet = self.in_class(device, slot);
        let tenant = if quiet { self.tenant_of(device) } else { NONE };
        if quiet {
            self.claim_in_flight(device, tenant, slot, old.class(), state != State::Empty);
        }
        let bits = &mut self.state[device as usize];
        if slot == App::Outlook.slot() {
            debug_assert!(state != State::Quarantined && state != State::Blocked);
            *bits = (*bits & !OUTLOOK) | if state == State::Active { OUTLOOK } else { 0 };
        } else {
            *bits = (*bits & !TP) | state as u8;
        }
        self.quarantined -= (old == State::Quarantined) as u64;
        self.blocked -= (old == State::Blocked) as u64;
        self.quarantined += (state == State::Quarantined) as u64;
        self.blocked += (state == State::Blocked) as u64;
        self.counters.quarantines += (state == State::Quarantined) as u64;
        if quiet {
            self.leave_class(self.tenant_managed(tenant), old);
            if state != State::Empty {
                self.go_individual(device, slot, old);
            }
        }
    }

    /// A quiet connection in `state` polls on its own from now: its next poll
    /// is a fresh draw of its class's (exponential) interval.
    pub(super) fn go_individual(&mut self, device: u32, slot: usize, state: State) {
        let gap = self.poll_gap(state);
        let t = self.ensure_tracked(device);
        t.flags |= INDIVIDUAL << slot;
        let generation = t.generation[slot];
        self.schedule_pending(
            device,
            self.now + gap,
            Event::Poll {
                device,
                slot: slot as u8,
                generation,
            },
        );
    }

    /// A connection is (re)created in `app`'s slot: the start of a new
    /// activation's or re-add's sync-delay episode.
    pub(super) fn new_connection(&mut self, device: u32, app: App) {
        let slot = app.slot();
        self.ensure_tracked(device);
        if self.slot_state(device, slot) != State::Empty {
            self.set_state(device, slot, State::Empty);
        }
        if app == App::ThirdParty {
            // Only a device without Outlook re-adds its third-party app.
            debug_assert!(self.state[device as usize] & OUTLOOK == 0);
            // The service's prompt starts again; an Outlook set-up the person
            // chose goes on (SPEC §1 "What people already did stands").
            self.cancel_flow(device);
        }
        let tenant = self.track_mut(device).tenant;
        let policy = self.tenants[tenant as usize].policy;
        let prompted = self.state[device as usize] & PROMPTED != 0;
        let t = self.track_mut(device);
        t.generation[slot] = t.generation[slot].wrapping_add(1);
        t.flags |= INDIVIDUAL << slot;
        let generation = t.generation[slot];
        let state = match decide::on_new_connection(app, policy, prompted) {
            Access::Allow => State::Active,
            Access::Quarantine => State::Quarantined,
            Access::Block => State::Blocked,
        };
        self.set_state(device, slot, state);
        match state {
            State::Blocked => self.start_block(device, Cohort::New),
            State::Quarantined => {
                // A new connection has never synced: quarantined from activation.
                self.state[device as usize] |= PROMPTED;
                let (flow, plan) = self.start_prompt(device);
                self.open_episode(device, Cohort::New, plan.outcome);
                self.schedule(self.now + plan.mail, Event::Deliver { device, flow });
            }
            _ => self.open_episode(device, Cohort::New, Outcome::Direct),
        }
        self.request(device, slot as u8);
        let next = self.now + self.poll_gap(state);
        self.schedule_pending(
            device,
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
        if self.is_tracked(device) {
            let t = self.track_mut(device);
            t.generation[slot] = t.generation[slot].wrapping_add(1);
            t.flags &= !(INDIVIDUAL << slot);
        }
    }

    /// A new device of `user` in `tenant`, with no connection yet.
    fn add_device(&mut self, tenant: u32, user: u32) -> u32 {
        let device = self.state.len() as u32;
        let tn = &mut self.tenants[tenant as usize];
        let uid = tn.devices_made;
        tn.devices_made += 1;
        tn.activated.push(device);
        let next = self.user_activated.insert(user, device).unwrap_or(NONE);
        self.activated.push(Activated { tenant, uid, next });
        self.state.push(0);
        self.flow.push(0);
        device
    }

    /// User `user`'s `k`-th device in the per-connection engine's order:
    /// the latest added first (activated ones, then those of t=0).
    fn nth_device_of(&self, user: u32, k: u32) -> u32 {
        let mut k = k;
        let mut d = self.user_activated.get(&user).copied().unwrap_or(NONE);
        while d != NONE {
            if k == 0 {
                return d;
            }
            k -= 1;
            d = self.activated[(d - self.initial) as usize].next;
        }
        let (first, n) = self.users.devices(user);
        first + n - 1 - k
    }

    /// User `user`'s number of devices.
    fn device_count_of(&self, user: u32) -> u32 {
        let mut n = self.users.devices(user).1;
        let mut d = self.user_activated.get(&user).copied().unwrap_or(NONE);
        while d != NONE {
            n += 1;
            d = self.activated[(d - self.initial) as usize].next;
        }
        n
    }

    pub(super) fn on_arrival(&mut self, tenant: u32) {
        let tn = &mut self.tenants[tenant as usize];
        let k = tn.arrivals;
        tn.arrivals += 1;
        let draws = ArrivalDraws::draw(&self.streams, tn.global, k, tn.arrival_rate);
        self.schedule(self.now + draws.next_gap, Event::Arrival { tenant });

        let tn = &self.tenants[tenant as usize];
        if tn.users == 0 {
            return;
        }
        let user = tn.first_user + ((draws.user * tn.users as f64) as u32).min(tn.users - 1);
        if draws.kind < tn.activation_share {
            let app = if draws.app < tn.third_party_share {
                App::ThirdParty
            } else {
                App::Outlook
            };
            let device = self.add_device(tenant, user);
            self.counters.activations += 1;
            self.new_connection(device, app);
            self.maybe_untrack(device);
        } else {
            let devices = self.device_count_of(user);
            if devices == 0 {
                return; // a user without devices has nothing to re-add
            }
            let device = self.nth_device_of(user, ((draws.device * devices as f64) as u32).min(devices - 1));
            let app = if self.state[device as usize] & OUTLOOK != 0 {
                App::Outlook
            } else {
                App::ThirdParty
            };
            self.counters.readds += 1;
            self.new_connection(device, app);
            self.maybe_untrack(device);
        }
    }
}
