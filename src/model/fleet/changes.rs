//! Policy changes (SPEC §1 "Other switches"); as `sim/changes.rs`, and a
//! switch between managed and unmanaged moves the tenant's quiet
//! connections between the pool's streams.

use super::*;

impl<'a> FleetSim<'a> {
    pub(super) fn on_change(&mut self, tenant: u32, change: usize) {
        let g = self.tenants[tenant as usize].group as usize;
        let new = self.sc.groups[g].changes[change].policy;
        let old = self.tenants[tenant as usize].policy;
        if new == old {
            return;
        }
        let (was_managed, managed) = (old != Policy::Unmanaged, new != Policy::Unmanaged);
        let devices = self.tenants[tenant as usize].device_count();
        if was_managed != managed {
            // The tenant's quiet connections change streams.
            let mut n = [0u64; 2];
            for i in 0..devices {
                let device = self.tenants[tenant as usize].device(i);
                for slot in 0..2 {
                    if self.in_class(device, slot) {
                        n[self.slot_state(device, slot).class()] += 1;
                    }
                }
            }
            for (class, n) in n.into_iter().enumerate() {
                self.move_class(was_managed, class, n);
            }
            let tn = &mut self.tenants[tenant as usize];
            tn.managed_switches.push(self.now);
            tn.last_managed_switch = self.now;
        }
        let tn = &mut self.tenants[tenant as usize];
        tn.policy = new;
        tn.wave_epoch = tn.wave_epoch.wrapping_add(1);
        if tn.wave.take().is_some() {
            // The running wave is cancelled: the turns still to come.
            for i in 0..devices {
                let device = self.tenants[tenant as usize].device(i);
                self.state[device as usize] &= !WAVE;
            }
        }
        match new {
            Policy::Unmanaged => self.release_all(tenant, true),
            Policy::OutlookOnly => self.block_all(tenant),
            Policy::AnyAppPromptAlways | Policy::AnyAppPromptOnce => {
                if old == Policy::OutlookOnly {
                    self.release_all(tenant, false);
                }
                if new == Policy::AnyAppPromptAlways {
                    self.start_wave(tenant, change);
                } else {
                    self.exempt_configured(tenant);
                }
            }
        }
    }

    /// Ends every quarantine and block of the tenant (as `sim`'s `release_all`).
    pub(super) fn release_all(&mut self, tenant: u32, to_unmanaged: bool) {
        let tp = App::ThirdParty.slot();
        for i in 0..self.tenants[tenant as usize].device_count() {
            let device = self.tenants[tenant as usize].device(i);
            let flags = self.flags(device);
            // The user answered the prompt, or chose Outlook after a block.
            let acted = flags & IN_FLOW == 0 || flags & OUTLOOK_PENDING != 0;
            self.cancel_flow(device);
            if !matches!(self.slot_state(device, tp), State::Quarantined | State::Blocked) {
                self.maybe_untrack(device);
                continue;
            }
            if to_unmanaged {
                let released = match self.episode_outcome(device) {
                    Some(Outcome::Blocked) => true,
                    Some(Outcome::Continued | Outcome::Outlook | Outcome::Timeout) => !acted,
                    _ => false,
                };
                if released {
                    self.relabel(device, Outcome::Released);
                }
            }
            self.set_state(device, tp, State::Active);
            self.request(device, tp as u8);
            self.maybe_untrack(device);
        }
    }

    /// Prompt-once does not prompt previously configured connections.
    pub(super) fn exempt_configured(&mut self, tenant: u32) {
        for i in 0..self.tenants[tenant as usize].device_count() {
            let device = self.tenants[tenant as usize].device(i);
            if self.slot_state(device, App::ThirdParty.slot()) != State::Empty {
                self.state[device as usize] |= PROMPTED;
            }
        }
    }

    /// Prompt-always: every active third-party connection not in a prompt
    /// gets a turn within the wave window. The turns are drawn in time
    /// order and given out in a random order (`wave.rs`).
    pub(super) fn start_wave(&mut self, tenant: u32, change: usize) {
        let tp = App::ThirdParty.slot();
        let space = self.tenants[tenant as usize].device_count();
        let mut eligible = 0u64;
        for i in 0..space {
            let device = self.tenants[tenant as usize].device(i);
            if self.slot_state(device, tp) == State::Active && self.flags(device) & IN_FLOW == 0 {
                self.state[device as usize] |= WAVE;
                eligible += 1;
            }
        }
        if eligible == 0 {
            return;
        }
        let tn = &self.tenants[tenant as usize];
        let mut w = Box::new(wave::Wave::new(
            &self.streams,
            tn.global,
            change,
            tn.wave_epoch,
            space,
            eligible,
            self.now,
        ));
        let first = w.next_time(&self.sc.behavior.wave);
        let epoch = w.epoch;
        self.tenants[tenant as usize].wave = Some(w);
        if !self.schedule(first, Event::WaveTurn { tenant, epoch }) {
            self.end_wave(tenant);
        }
    }

    /// A turn of the tenant's wave: the next eligible device in the wave's
    /// order is prompted, if it still has access and no prompt.
    pub(super) fn on_wave_turn(&mut self, tenant: u32, epoch: u16) {
        let tn = &mut self.tenants[tenant as usize];
        if tn.wave_epoch != epoch {
            return; // the tenant switched again before this turn
        }
        let Some(mut w) = tn.wave.take() else { return };
        let device = loop {
            let i = w.next_index();
            let device = self.tenants[tenant as usize].device(i);
            if self.state[device as usize] & WAVE != 0 {
                break device;
            }
        };
        self.state[device as usize] &= !WAVE;
        // As `sim`'s `on_wave`: the tenant is still under prompt-always.
        if self.slot_state(device, App::ThirdParty.slot()) == State::Active && self.flags(device) & IN_FLOW == 0 {
            self.state[device as usize] |= PROMPTED;
            let (flow, plan) = self.start_prompt(device);
            self.schedule(self.now + plan.mail, Event::Deliver { device, flow });
        }
        self.maybe_untrack(device);
        if w.remaining() > 0 {
            let next = w.next_time(&self.sc.behavior.wave);
            self.tenants[tenant as usize].wave = Some(w);
            if !self.schedule(next, Event::WaveTurn { tenant, epoch }) {
                self.end_wave(tenant);
            }
        }
    }

    /// The rest of the wave falls after the horizon: its turns never come.
    fn end_wave(&mut self, tenant: u32) {
        self.tenants[tenant as usize].wave = None;
        for i in 0..self.tenants[tenant as usize].device_count() {
            let device = self.tenants[tenant as usize].device(i);
            self.state[device as usize] &= !WAVE;
        }
    }
}
