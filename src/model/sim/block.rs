//! Outlook only (SPEC §1 "Outlook only"): blocking third-party connections, and the people who set up Outlook instead.

use super::*;

impl<'a, O: Observer> PoolSim<'a, O> {
    /// Outlook only: every third-party connection is blocked; pending
    /// prompts are cancelled; some people set up Outlook.
    pub(super) fn block_all(&mut self, devices: &[u32]) {
        let tp = App::ThirdParty.slot();
        for &device in devices {
            let h = self.hot[device as usize];
            if matches!(h.conn[tp].state, State::Empty | State::Blocked) {
                continue;
            }
            self.cancel_flow(device);
            self.set_state(device, tp, State::Blocked);
            if h.conn[App::Outlook.slot()].state != State::Empty {
                continue; // mail still reaches this device through Outlook
            }
            self.start_block(device, Cohort::Existing);
        }
    }

    /// A third-party connection was just blocked: the person waits for mail
    /// and, with probability `blocked_switch`, sets up Outlook later.
    pub(super) fn start_block(&mut self, device: u32, cohort: Cohort) {
        if self.devices[device as usize].flags & OUTLOOK_PENDING != 0 {
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
