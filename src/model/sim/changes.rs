//! Policy changes (SPEC §1 "Other switches") and the 48 h wave of a switch to prompt-always.

use super::*;

impl<'a, O: Observer> PoolSim<'a, O> {
    /// The tenant's devices, into `self.scratch`.
    pub(super) fn collect_devices(&mut self, tenant: u32) {
        self.scratch.clear();
        let tn = &self.tenants[tenant as usize];
        for u in tn.first_user..tn.first_user + tn.users {
            let mut d = self.users[u as usize].first_device;
            while d != NONE {
                self.scratch.push(d);
                d = self.devices[d as usize].next;
            }
        }
        // Oldest first, so that events scheduled below keep a stable order.
        self.scratch.sort_unstable();
    }

    pub(super) fn on_change(&mut self, tenant: u32, change: usize) {
        let g = self.tenants[tenant as usize].group as usize;
        let new = self.sc.groups[g].changes[change].policy;
        let old = self.tenants[tenant as usize].policy;
        if new == old {
            return;
        }
        if O::ACTIVE {
            let global = self.tenants[tenant as usize].global;
            self.observer.on(
                self.now,
                WireEvent::Policy {
                    tenant: global,
                    policy: new,
                },
            );
        }
        let tn = &mut self.tenants[tenant as usize];
        tn.policy = new;
        tn.wave_epoch = tn.wave_epoch.wrapping_add(1);
        self.collect_devices(tenant);
        let devices = std::mem::take(&mut self.scratch);
        match new {
            Policy::Unmanaged => self.release_all(&devices, true),
            Policy::OutlookOnly => self.block_all(&devices),
            Policy::AnyAppPromptAlways | Policy::AnyAppPromptOnce => {
                if old == Policy::OutlookOnly {
                    self.release_all(&devices, false);
                }
                if new == Policy::AnyAppPromptAlways {
                    self.start_wave(tenant, change, &devices);
                } else {
                    self.exempt_configured(&devices);
                }
            }
        }
        self.scratch = devices;
    }

    /// Ends every quarantine and block of the tenant: pending prompts are
    /// cancelled and the connections sync at once (after evaluation, unless
    /// `to_unmanaged`). Outlook set-ups and removals people chose go on.
    pub(super) fn release_all(&mut self, devices: &[u32], to_unmanaged: bool) {
        let tp = App::ThirdParty.slot();
        for &device in devices {
            let flags = self.devices[device as usize].flags;
            // The user answered the prompt, or chose Outlook after a block.
            let acted = flags & IN_FLOW == 0 || flags & OUTLOOK_PENDING != 0;
            self.cancel_flow(device);
            if !matches!(
                self.hot[device as usize].conn[tp].state,
                State::Quarantined | State::Blocked
            ) {
                continue;
            }
            // The sync below ends the device's wait. Whoever had acted keeps
            // the outcome of that action; where nobody had, the admin ended
            // the wait: `released` (SPEC §1, §2).
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
            if self.pushes(device) {
                self.request(device, tp as u8, Kind::Push);
            }
        }
    }

    /// Prompt-once does not prompt previously configured connections: their
    /// devices count as prompted, as under a prompt-once policy in force at t=0.
    pub(super) fn exempt_configured(&mut self, devices: &[u32]) {
        for &device in devices {
            if self.hot[device as usize].conn[App::ThirdParty.slot()].state != State::Empty {
                self.devices[device as usize].flags |= PROMPTED;
            }
        }
    }

    /// Prompt-always: every existing third-party connection's turn comes
    /// within the wave window.
    pub(super) fn start_wave(&mut self, tenant: u32, change: usize, devices: &[u32]) {
        let epoch = self.tenants[tenant as usize].wave_epoch;
        let global = self.tenants[tenant as usize].global as u64;
        for &device in devices {
            let d = self.devices[device as usize];
            if self.hot[device as usize].conn[App::ThirdParty.slot()].state != State::Active || d.flags & IN_FLOW != 0 {
                continue;
            }
            let mut rng = self
                .streams
                .stream(Purpose::Wave, (global << 32) | d.uid as u64, change as u64);
            let at = self.now + self.sc.behavior.wave.sample(&mut rng);
            self.schedule(at, Event::Wave { device, epoch });
        }
    }

    pub(super) fn on_wave(&mut self, device: u32, epoch: u16) {
        let (d, h) = (self.devices[device as usize], self.hot[device as usize]);
        let tn = &self.tenants[h.tenant as usize];
        if tn.wave_epoch != epoch {
            return; // the tenant switched again before this connection's turn
        }
        let state = h.conn[App::ThirdParty.slot()].state.access();
        if !state.is_some_and(|s| decide::wave_prompts(App::ThirdParty, tn.policy, s)) || d.flags & IN_FLOW != 0 {
            return;
        }
        self.devices[device as usize].flags |= PROMPTED;
        let (flow, plan) = self.start_prompt(device);
        self.schedule(self.now + plan.mail, Event::Deliver { device, flow });
    }
}
