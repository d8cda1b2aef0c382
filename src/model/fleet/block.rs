//! Outlook only (SPEC §1 "Outlook only"); as `sim/block.rs`.

use super::*;

impl<'a> FleetSim<'a> {
    /// Outlook only: every third-party connection of the tenant is blocked;
    /// pending prompts are cancelled; some people set up Outlook.
    pub(super) fn block_all(&mut self, tenant: u32) {
        let tp = App::ThirdParty.slot();
        for i in 0..self.tenants[tenant as usize].device_count() {
            let device = self.tenants[tenant as usize].device(i);
            if matches!(self.slot_state(device, tp), State::Empty | State::Blocked) {
                continue;
            }
            self.cancel_flow(device);
            self.set_state(device, tp, State::Blocked);
            if self.state[device as usize] & OUTLOOK == 0 {
                self.start_block(device, Cohort::Existing);
            }
            self.maybe_untrack(device);
        }
    }

    /// A third-party connection was just blocked: the person waits for mail
    /// and, with probability `blocked_switch`, sets up Outlook later.
    pub(super) fn start_block(&mut self, device: u32, cohort: Cohort) {
        if self.flags(device) & OUTLOOK_PENDING != 0 {
            // The person already chose Outlook and it is on its way: no second
            // decision, and the wait ends when it is set up.
            self.open_episode(device, cohort, Outcome::Switched);
            return;
        }
        let (flow, plan) = self.next_flow(device);
        let outcome = if plan.switch {
            Outcome::Switched
        } else {
            Outcome::Blocked
        };
        self.open_episode(device, cohort, outcome);
        if plan.switch {
            // Decided at the block: from now on the set-up is the person's.
            self.set_up_outlook(device, flow, plan.switch_delay);
        }
    }
}
