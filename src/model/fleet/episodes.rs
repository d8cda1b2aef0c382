//! Sync-delay episodes (SPEC §2); as `sim/episodes.rs`. A device that starts
//! waiting has its active connections poll on their own, since the next
//! sync of any of them ends the wait.

use super::*;

impl<'a> FleetSim<'a> {
    /// Opens a sync-delay episode for a connection that starts waiting (the
    /// rules are those of `sim`'s `open_episode`).
    pub(super) fn open_episode(&mut self, device: u32, cohort: Cohort, outcome: Outcome) {
        self.ensure_tracked(device);
        let outcome = if self.flags(device) & OUTLOOK_PENDING != 0 {
            match self.episode_outcome(device) {
                Some(chosen @ (Outcome::Outlook | Outcome::Switched)) => chosen,
                _ if matches!(outcome, Outcome::Blocked | Outcome::Switched) => Outcome::Switched,
                _ => Outcome::Outlook,
            }
        } else {
            outcome
        };
        let now = self.now;
        let tenant = self.track_mut(device).tenant;
        let policy = self.tenants[tenant as usize].policy;
        self.relabel(device, outcome);
        let open = self.track_mut(device).episodes as usize;
        if open == 0 || cohort == Cohort::New {
            let cell = cell_index(policy, cohort, outcome) as u8;
            if open < 2 {
                let t = self.track_mut(device);
                t.episode_start[open] = now;
                t.episode_cell[open] = cell;
            } else {
                self.more_episodes.entry(device).or_default().push((now, cell));
            }
            let t = self.track_mut(device);
            t.episodes = t.episodes.saturating_add(1);
        }
        // Whose sync ends the wait must be known: quiet active connections
        // of the device poll on their own from now on.
        for slot in 0..2 {
            let state = self.slot_state(device, slot);
            if state == State::Active && self.in_class(device, slot) {
                self.claim_in_flight(device, tenant, slot, state.class(), true);
                self.leave_class(self.tenant_managed(tenant), state);
                self.go_individual(device, slot, state);
            }
        }
    }

    /// Gives the device's open episodes another outcome.
    pub(super) fn relabel(&mut self, device: u32, outcome: Outcome) {
        let Some(t) = self.tracks.get_mut(device) else { return };
        let open = t.episodes as usize;
        let with = |cell: u8| with_outcome(cell as usize, outcome) as u8;
        for cell in &mut t.episode_cell[..open.min(2)] {
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
        let t = self.track(device)?;
        (t.episodes > 0).then(|| cell_key(t.episode_cell[0] as usize).2)
    }
}
