//! The prompt flow (SPEC §1 steps 1–4); as `sim/prompt.rs`, with the flow
//! counter in the device's dense array and the flow flags in its record.

use super::*;

impl<'a> FleetSim<'a> {
    /// Numbers a new flow on the device (a prompt or a block), for its draws.
    pub(super) fn next_flow(&mut self, device: u32) -> (u16, FlowPlan) {
        let f = &mut self.flow[device as usize];
        *f = f.wrapping_add(1);
        let flow = *f;
        (flow, self.flow_plan(device, flow))
    }

    /// Starts a prompt flow on the device; any prompt before it is cancelled.
    pub(super) fn start_prompt(&mut self, device: u32) -> (u16, FlowPlan) {
        self.ensure_tracked(device).flags |= IN_FLOW;
        self.next_flow(device)
    }

    /// Cancels what the service still has to do in the device's prompt;
    /// what the person already decided goes on (as `sim`'s `cancel_flow`).
    pub(super) fn cancel_flow(&mut self, device: u32) {
        if self.flags(device) & IN_FLOW != 0 {
            let f = &mut self.flow[device as usize];
            *f = f.wrapping_add(1);
            self.track_mut(device).flags &= !IN_FLOW;
        }
    }

    pub(super) fn flow_valid(&self, device: u32, flow: u16) -> bool {
        self.flags(device) & IN_FLOW != 0 && self.flow[device as usize] == flow
    }

    /// The draws of the device's flow number `flow`, keyed as the
    /// per-connection engine keys them (tenant, device, flow number).
    pub(super) fn flow_plan(&self, device: u32, flow: u16) -> FlowPlan {
        let tenant = self.tenants[self.tenant_of(device) as usize].global;
        FlowPlan::draw(self.sc, &self.streams, tenant, self.uid_of(device), flow)
    }

    pub(super) fn on_deliver(&mut self, device: u32, flow: u16) {
        if !self.flow_valid(device, flow) {
            return;
        }
        let plan = self.flow_plan(device, flow);
        let tp = App::ThirdParty.slot();
        match self.slot_state(device, tp) {
            State::Active => {
                // A previously configured connection loses access on receipt.
                self.set_state(device, tp, State::Quarantined);
                if self.state[device as usize] & OUTLOOK == 0 {
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
        self.track_mut(device).flags &= !IN_FLOW;
        if self.slot_state(device, tp) == State::Quarantined {
            self.set_state(device, tp, State::Active);
            self.request(device, tp as u8); // the server pushes: sync at once
        }
        self.maybe_untrack(device);
    }

    /// The user answers the prompt with Outlook: the prompt is over, and the
    /// set-up they started now completes whatever the service does next.
    pub(super) fn on_choose(&mut self, device: u32, flow: u16) {
        if !self.flow_valid(device, flow) {
            return;
        }
        self.track_mut(device).flags &= !IN_FLOW;
        let setup = self.flow_plan(device, flow).setup;
        self.set_up_outlook(device, flow, setup);
        self.maybe_untrack(device);
    }

    /// The person has decided to set up Outlook, ready `after` from now.
    pub(super) fn set_up_outlook(&mut self, device: u32, flow: u16, after: SimTime) {
        if self.state[device as usize] & OUTLOOK == 0 {
            self.ensure_tracked(device).flags |= OUTLOOK_PENDING;
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
        if self.is_tracked(device) {
            self.track_mut(device).flags &= !OUTLOOK_PENDING;
        }
        // Choosing Outlook on a device whose Outlook connection works changes
        // nothing on that connection (SPEC §1): no new one, no extra request.
        if self.slot_state(device, slot) == State::Empty {
            let t = self.ensure_tracked(device);
            t.generation[slot] = t.generation[slot].wrapping_add(1);
            t.flags |= INDIVIDUAL << slot;
            let generation = t.generation[slot];
            self.set_state(device, slot, State::Active);
            self.request(device, slot as u8);
            let next = self.now + self.poll_gap(State::Active);
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
        self.counters.outlook_setups_done += (self.slot_state(device, slot) == State::Active) as u64;
        // The third-party connection stays quarantined or blocked, polling,
        // until it is removed (if people ever remove it), whatever the policy.
        if let Some(after) = plan.abandon
            && self.slot_state(device, App::ThirdParty.slot()) != State::Empty
        {
            self.schedule(self.now + after, Event::Abandon { device });
        }
        self.maybe_untrack(device);
    }

    /// The person removes the left-over third-party app, if it is still there.
    pub(super) fn on_abandon(&mut self, device: u32) {
        if self.slot_state(device, App::ThirdParty.slot()) != State::Empty {
            self.remove_connection(device, App::ThirdParty.slot());
        }
        self.maybe_untrack(device);
    }
}
