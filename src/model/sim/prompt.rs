//! The prompt flow (SPEC §1 steps 1–4): the draws of a flow, the prompt email, the user's choice, Outlook set-up, the 24 h timeout and the removal of the left-over app.

use super::*;
use crate::model::decide::Choice;

impl<'a, O: Observer> PoolSim<'a, O> {
    /// Numbers a new flow on the device (a prompt or a block), for its draws.
    pub(super) fn next_flow(&mut self, device: u32) -> (u16, FlowPlan) {
        let d = &mut self.devices[device as usize];
        d.flow = d.flow.wrapping_add(1);
        let flow = d.flow;
        (flow, self.flow_plan(device, flow))
    }

    /// Starts a prompt flow on the device; any prompt before it is cancelled.
    pub(super) fn start_prompt(&mut self, device: u32) -> (u16, FlowPlan) {
        self.devices[device as usize].flags |= IN_FLOW;
        let (flow, plan) = self.next_flow(device);
        (flow, self.clocked_plan(device, plan, self.now + plan.mail))
    }

    /// Cancels what the service still has to do in the device's prompt (the
    /// email, the 24 h timeout, waiting for the answer). What the person
    /// already decided (an Outlook set-up, removing the left-over app) is
    /// not part of it and goes on (SPEC §1 "What people already did stands").
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

    /// The draws of the device's flow number `flow`. Keyed by (tenant,
    /// device, flow number), so the same person answers the same way in any
    /// policy and on either engine.
    pub(super) fn flow_plan(&self, device: u32, flow: u16) -> FlowPlan {
        let d = &self.devices[device as usize];
        let tenant = &self.tenants[self.hot[device as usize].tenant as usize];
        FlowPlan::draw(self.sc, &self.streams, tenant.global, d.uid, flow)
    }

    pub(super) fn on_deliver(&mut self, device: u32, flow: u16) {
        if !self.flow_valid(device, flow) {
            return;
        }
        let plan = self.clocked_plan(device, self.flow_plan(device, flow), self.now);
        let tp = App::ThirdParty.slot();
        let h = self.hot[device as usize];
        match h.conn[tp].state {
            State::Active => {
                // A previously configured connection loses access on receipt.
                if O::ACTIVE {
                    let tenant = self.tenants[h.tenant as usize].global;
                    self.observer.on(self.now, WireEvent::Prompt { tenant, device });
                }
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
        if self.clocked.is_some() {
            self.count_week(h.tenant, WeekKind::Prompts);
            if plan.outcome == Outcome::Timeout {
                self.count_week(h.tenant, WeekKind::Timeouts);
            }
        }
        let event = match plan.outcome {
            Outcome::Continued => (self.now + plan.reaction, Event::Release { device, flow }),
            Outcome::Outlook => (self.now + plan.reaction, Event::Choose { device, flow }),
            _ => (self.now + PROMPT_TIMEOUT, Event::Release { device, flow }),
        };
        self.schedule(event.0, event.1);
    }

    /// Quarantine ends: the user kept the app, or 24 h passed.
    pub(super) fn on_release(&mut self, device: u32, flow: u16) {
        if !self.flow_valid(device, flow) {
            return;
        }
        let tp = App::ThirdParty.slot();
        self.devices[device as usize].flags &= !IN_FLOW;
        if O::ACTIVE && self.flow_plan(device, flow).outcome == Outcome::Continued {
            // The user kept the app (a timeout is the service's own doing).
            self.choice(device, Choice::ThirdParty);
        }
        if self.hot[device as usize].conn[tp].state == State::Quarantined {
            self.set_state(device, tp, State::Active);
            if self.pushes(device) {
                self.request(device, tp as u8, Kind::Push); // the server pushes: sync at once
            }
        }
    }

    /// The user answers the prompt with Outlook: the prompt is over, and the
    /// set-up they started now completes whatever the service does next.
    pub(super) fn on_choose(&mut self, device: u32, flow: u16) {
        if !self.flow_valid(device, flow) {
            return;
        }
        self.devices[device as usize].flags &= !IN_FLOW;
        if O::ACTIVE {
            self.choice(device, Choice::Outlook);
        }
        let setup = self.flow_plan(device, flow).setup;
        self.set_up_outlook(device, flow, setup);
    }

    /// The person has decided to set up Outlook, ready `after` from now. No
    /// switch or re-add cancels it: `OutlookReady` carries no validity.
    pub(super) fn set_up_outlook(&mut self, device: u32, flow: u16, after: SimTime) {
        if self.hot[device as usize].conn[App::Outlook.slot()].state == State::Empty {
            self.devices[device as usize].flags |= OUTLOOK_PENDING;
        }
        self.counters.outlook_setups += 1;
        let at = self.now + after;
        if at >= self.sc.horizon {
            self.counters.outlook_setups_after_horizon += 1;
        }
        self.schedule(at, Event::OutlookReady { device, flow });
    }

    pub(super) fn on_outlook_ready(&mut self, device: u32, flow: u16) {
        let plan = self.flow_plan(device, flow);
        let slot = App::Outlook.slot();
        self.devices[device as usize].flags &= !OUTLOOK_PENDING;
        // Choosing Outlook on a device whose Outlook connection works changes
        // nothing on that connection (SPEC §1): no new one, no extra request.
        if self.hot[device as usize].conn[slot].state == State::Empty {
            let h = &mut self.hot[device as usize];
            h.conn[slot].generation = h.conn[slot].generation.wrapping_add(1);
            let generation = h.conn[slot].generation;
            self.devices[device as usize].flags |= CURRENT_OUTLOOK;
            self.set_state(device, slot, State::Active);
            // Outlook set up: on the wire, the new connection's activation.
            self.request(device, slot as u8, Kind::Activation);
            let next = self.now + self.poll_interval(State::Active);
            self.schedule(
                next,
                Event::Poll {
                    device,
                    slot: slot as u8,
                    generation,
                },
            );
        }
        self.counters.outlook_setups_done += (self.hot[device as usize].conn[slot].state == State::Active) as u64;
        // The third-party connection stays quarantined or blocked, polling,
        // until it is removed (if people ever remove it): whatever the policy
        // by then, that removal is the person's and goes ahead.
        let tp = self.hot[device as usize].conn[App::ThirdParty.slot()];
        if let Some(after) = plan.abandon
            && tp.state != State::Empty
        {
            let generation = tp.generation;
            self.schedule(self.now + after, Event::Abandon { device, generation });
        }
    }

    /// Tells the observer that the device's user answered its prompt.
    fn choice(&mut self, device: u32, choice: Choice) {
        let tenant = self.tenants[self.hot[device as usize].tenant as usize].global;
        self.observer.on(self.now, WireEvent::Choice { tenant, device, choice });
    }

    /// The person removes the left-over third-party app, if it is still the
    /// connection they left over.
    pub(super) fn on_abandon(&mut self, device: u32, generation: u16) {
        let tp = App::ThirdParty.slot();
        let c = self.hot[device as usize].conn[tp];
        if c.generation == generation && c.state != State::Empty {
            self.remove_connection(device, tp);
        }
    }
}
