//! The prompt flow (SPEC §1 steps 1–4): the draws of a flow, the prompt email, the user's choice, Outlook set-up, the 24 h timeout and the removal of the left-over app.

use super::*;

impl<'a> PoolSim<'a> {
    /// Starts a new flow on the device, cancelling any before it.
    pub(super) fn start_flow(&mut self, device: u32) -> (u16, FlowPlan) {
        let d = &mut self.devices[device as usize];
        d.flow = d.flow.wrapping_add(1);
        d.flags |= IN_FLOW;
        (d.flow, self.flow_plan(device))
    }

    pub(super) fn cancel_flow(&mut self, device: u32) {
        let d = &mut self.devices[device as usize];
        if d.flags & IN_FLOW != 0 {
            d.flow = d.flow.wrapping_add(1);
            d.flags &= !IN_FLOW;
        }
    }

    pub(super) fn flow_valid(&self, device: u32, flow: u16) -> bool {
        let d = &self.devices[device as usize];
        d.flags & IN_FLOW != 0 && d.flow == flow
    }

    /// The draws of the device's current flow. Keyed by (tenant, device,
    /// flow number), so the same person answers the same way in any policy.
    pub(super) fn flow_plan(&self, device: u32) -> FlowPlan {
        let d = &self.devices[device as usize];
        let tenant = &self.tenants[self.hot[device as usize].tenant as usize];
        let entity = ((tenant.global as u64) << 32) | d.uid as u64;
        let mut rng = self.streams.stream(Purpose::Flow, entity, d.flow as u64);
        let b = &self.sc.behavior;
        let mail = self.sc.devices.mail_delivery.sample(&mut rng);
        let u_choice: f64 = rng.r#gen();
        let reaction = b.reaction.sample(&mut rng);
        let setup = b.outlook_setup.sample(&mut rng);
        let abandon = b.abandon_after.as_ref().map(|a| a.sample(&mut rng));
        let switch = rng.r#gen::<f64>() < b.blocked_switch;
        let switch_delay = b.blocked_switch_delay.sample(&mut rng);
        let outcome = if reaction >= PROMPT_TIMEOUT || u_choice >= b.choice.outlook + b.choice.third_party {
            Outcome::Timeout
        } else if u_choice < b.choice.outlook {
            Outcome::Outlook
        } else {
            Outcome::Continued
        };
        FlowPlan {
            mail,
            outcome,
            reaction,
            setup,
            abandon,
            switch,
            switch_delay,
        }
    }

    pub(super) fn on_deliver(&mut self, device: u32, flow: u16) {
        if !self.flow_valid(device, flow) {
            return;
        }
        let plan = self.flow_plan(device);
        let tp = App::ThirdParty.slot();
        let h = self.hot[device as usize];
        match h.conn[tp].state {
            State::Active => {
                // A previously configured connection loses access on receipt.
                self.set_state(device, tp, State::Quarantined);
                if h.conn[App::Outlook.slot()].state == State::Empty {
                    self.open_episode(device, Cohort::Existing, plan.outcome);
                }
            }
            State::Quarantined => {}
            State::Empty | State::Blocked => return,
        }
        self.counters.prompts += 1;
        self.series.prompts[self.bucket] += 1;
        let event = match plan.outcome {
            Outcome::Continued => (self.now + plan.reaction, Event::Release { device, flow }),
            Outcome::Outlook => (
                self.now + plan.reaction + plan.setup,
                Event::OutlookReady { device, flow },
            ),
            _ => (self.now + PROMPT_TIMEOUT, Event::Release { device, flow }),
        };
        self.schedule(event.0, event.1);
    }

    pub(super) fn on_release(&mut self, device: u32, flow: u16) {
        if !self.flow_valid(device, flow) {
            return;
        }
        let tp = App::ThirdParty.slot();
        self.devices[device as usize].flags &= !IN_FLOW;
        if self.hot[device as usize].conn[tp].state == State::Quarantined {
            self.set_state(device, tp, State::Active);
            self.request(device, tp as u8); // the server pushes: sync at once
        }
    }

    pub(super) fn on_outlook_ready(&mut self, device: u32, flow: u16) {
        if !self.flow_valid(device, flow) {
            return;
        }
        let plan = self.flow_plan(device);
        let slot = App::Outlook.slot();
        if self.hot[device as usize].conn[slot].state != State::Empty {
            self.set_state(device, slot, State::Empty);
        }
        let h = &mut self.hot[device as usize];
        h.conn[slot].generation = h.conn[slot].generation.wrapping_add(1);
        let generation = h.conn[slot].generation;
        self.devices[device as usize].flags |= CURRENT_OUTLOOK;
        self.set_state(device, slot, State::Active);
        self.request(device, slot as u8);
        let next = self.now + self.poll_interval(State::Active);
        self.schedule(
            next,
            Event::Poll {
                device,
                slot: slot as u8,
                generation,
            },
        );
        // The third-party connection stays quarantined or blocked, polling,
        // until it is removed (if people ever remove it).
        if let Some(after) = plan.abandon {
            self.schedule(self.now + after, Event::Abandon { device, flow });
        }
    }

    pub(super) fn on_abandon(&mut self, device: u32, flow: u16) {
        if !self.flow_valid(device, flow) {
            return;
        }
        self.devices[device as usize].flags &= !IN_FLOW;
        let tp = App::ThirdParty.slot();
        if self.hot[device as usize].conn[tp].state != State::Empty {
            self.remove_connection(device, tp);
        }
    }
}
