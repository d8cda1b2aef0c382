//! Sync-delay episodes (SPEC §2): opened when a connection starts waiting, labelled with the outcome of the device's latest flow, ended by the next sync on the device.

use super::*;

impl<'a, O: Observer> PoolSim<'a, O> {
    /// Opens a sync-delay episode for a connection that starts waiting.
    ///
    /// Every activation and re-add is a record of cohort `new` (SPEC §1),
    /// even on a device already waiting: up to two records are open at
    /// once, and the next sync on the device ends both. A previously
    /// configured connection that loses access while its device already
    /// waits adds no record. Every open record takes the outcome of the
    /// latest flow, which decides how the device's wait ends.
    ///
    /// While an Outlook set-up the person chose is on its way, it decides how
    /// the wait ends: the device's records keep `outlook` or `switched`
    /// whatever prompt or block comes meanwhile (a re-add, a switch).
    pub(super) fn open_episode(&mut self, device: u32, cohort: Cohort, outcome: Outcome) {
        let outcome = if self.devices[device as usize].flags & OUTLOOK_PENDING != 0 {
            match self.episode_outcome(device) {
                Some(chosen @ (Outcome::Outlook | Outcome::Switched)) => chosen,
                _ if matches!(outcome, Outcome::Blocked | Outcome::Switched) => Outcome::Switched,
                _ => Outcome::Outlook,
            }
        } else {
            outcome
        };
        let now = self.now;
        let policy = self.tenants[self.hot[device as usize].tenant as usize].policy;
        self.relabel(device, outcome);
        let open = self.hot[device as usize].episodes as usize;
        if open == 0 || cohort == Cohort::New {
            let cell = cell_index(policy, cohort, outcome) as u8;
            if open < 2 {
                let d = &mut self.devices[device as usize];
                d.episode_start[open] = now;
                d.episode_cell[open] = cell;
            } else {
                self.more_episodes.entry(device).or_default().push((now, cell));
            }
            let h = &mut self.hot[device as usize];
            h.episodes = h.episodes.saturating_add(1);
        }
    }

    /// Gives the device's open episodes another outcome.
    pub(super) fn relabel(&mut self, device: u32, outcome: Outcome) {
        let open = self.hot[device as usize].episodes as usize;
        let with = |cell: u8| with_outcome(cell as usize, outcome) as u8;
        for cell in &mut self.devices[device as usize].episode_cell[..open.min(2)] {
            *cell = with(*cell);
        }
        if open > 2
            && let Some(more) = self.more_episodes.get_mut(&device)
        {
            more.iter_mut().for_each(|(_, cell)| *cell = with(*cell));
        }
    }

    /// The outcome the device's open episodes carry (all the same), if any.
    pub(super) fn episode_outcome(&self, device: u32) -> Option<Outcome> {
        let open = self.hot[device as usize].episodes as usize;
        (open > 0).then(|| cell_key(self.devices[device as usize].episode_cell[0] as usize).2)
    }
}
