//! The service's registry of tenants and devices, changed only through the
//! pure rules of [`crate::model::decide`].
//!
//! A device is known by its id alone (the device routes carry nothing
//! else) and belongs to the tenant of its first request. Per device the
//! registry keeps one connection per app slot, whether the device was ever
//! prompted (prompt-once's memory), and for a quarantined connection the
//! service time its pending prompt times out (none once the user chose
//! Outlook: that connection stays quarantined). Quarantine timeouts are
//! applied when the connection is next looked at, so nothing runs in the
//! background. One mutex guards it all: an evaluation holds it for well
//! under a microsecond, far below a service time.

use crate::engine::SimTime;
use crate::model::decide::{self, Access, Choice};
use crate::model::{App, Policy};
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

/// How long a prompt keeps its connection quarantined when nobody acts.
pub const PROMPT_TIMEOUT: SimTime = SimTime::DAY;

/// What kind of request a connection sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A regular poll: decided from the connection's state.
    Poll,
    /// A push (a sync the server asked for): decided like a poll.
    Push,
    /// A new connection on a device.
    Activation,
    /// The account re-added on a device: the connection is replaced.
    Readd,
}

/// The answer to one evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Allow, quarantine or block.
    pub access: Access,
    /// A prompt email is sent because of this request.
    pub prompt: bool,
    /// When the quarantine ends by itself (service clock), if it does.
    pub until: Option<SimTime>,
    /// The service time the rules were applied at.
    pub now: SimTime,
}

/// The third-party connection of a device after a prompt or a choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceView {
    /// Whether the prompt or choice changed anything.
    pub applied: bool,
    /// The third-party connection's state, if the device has one.
    pub access: Option<Access>,
    /// When its quarantine ends by itself, if it does.
    pub until: Option<SimTime>,
    /// The service time the rules were applied at.
    pub now: SimTime,
}

/// A tenant's settings after a policy change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TenantView {
    /// The policy asked for.
    pub policy: Policy,
    /// Whether the tenant manages devices itself.
    pub mdm: bool,
    /// The policy in force (unmanaged under MDM).
    pub effective: Policy,
    /// Devices of the tenant the service knows.
    pub devices: usize,
}

/// A request the registry cannot apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateError {
    /// The device id is already known as a device of another tenant.
    WrongTenant {
        /// The device.
        device: u64,
        /// The tenant it belongs to.
        owner: u64,
        /// The tenant the request named.
        named: u64,
    },
    /// The device has never sent a request.
    UnknownDevice(u64),
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::WrongTenant { device, owner, named } => write!(
                f,
                "device {device} belongs to tenant {owner}, not {named}: a device keeps the tenant of its first request"
            ),
            StateError::UnknownDevice(d) => {
                write!(f, "device {d} is unknown: it has sent no evaluation request yet")
            }
        }
    }
}

impl std::error::Error for StateError {}

#[derive(Clone, Copy, Debug)]
struct Conn {
    access: Access,
    /// For a quarantine: when its pending prompt times out; `None` once the
    /// user acted (chose Outlook), so it stays quarantined.
    until: Option<SimTime>,
}

impl Conn {
    fn new(access: Access) -> Self {
        Conn { access, until: None }
    }

    /// Applies a timeout that has passed.
    fn settle(&mut self, now: SimTime) {
        if self.access == Access::Quarantine && self.until.is_some_and(|u| now >= u) {
            *self = Conn::new(Access::Allow);
        }
    }
}

#[derive(Debug)]
struct Device {
    tenant: u64,
    conn: [Option<Conn>; 2],
    prompted: bool,
}

#[derive(Debug, Default)]
struct Tenant {
    policy: Option<Policy>,
    mdm: bool,
    devices: Vec<u64>,
}

impl Tenant {
    fn effective(&self) -> Policy {
        decide::effective_policy(self.policy.unwrap_or(Policy::Unmanaged), self.mdm)
    }
}

#[derive(Debug, Default)]
struct Inner {
    tenants: HashMap<u64, Tenant>,
    devices: HashMap<u64, Device>,
}

/// Every tenant and device the service has heard of.
#[derive(Debug, Default)]
pub struct Registry {
    inner: Mutex<Inner>,
}

const APPS: [App; 2] = [App::Outlook, App::ThirdParty];

impl Registry {
    /// An empty registry: every tenant unmanaged.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave the maps half-changed (every change
        // is a plain assignment), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Evaluates one request of `app` on `device` of `tenant` at service time `now`.
    pub fn evaluate(
        &self,
        now: SimTime,
        tenant: u64,
        device: u64,
        app: App,
        kind: Kind,
    ) -> Result<Verdict, StateError> {
        let mut g = self.lock();
        let Inner { tenants, devices } = &mut *g;
        let tn = tenants.entry(tenant).or_default();
        let policy = tn.effective();
        let d = devices.entry(device).or_insert_with(|| {
            tn.devices.push(device);
            Device {
                tenant,
                conn: [None, None],
                prompted: false,
            }
        });
        if d.tenant != tenant {
            return Err(StateError::WrongTenant {
                device,
                owner: d.tenant,
                named: tenant,
            });
        }
        let slot = &mut d.conn[app.slot()];
        let mut prompt = false;
        let conn = match (kind, slot.as_mut()) {
            (Kind::Activation | Kind::Readd, _) => {
                let access = decide::on_new_connection(app, policy, d.prompted);
                let mut c = Conn::new(access);
                if access == Access::Quarantine {
                    // A new connection has never synced: quarantined from now,
                    // and the prompt email goes out now.
                    c.until = Some(now.after(PROMPT_TIMEOUT));
                    d.prompted = true;
                    prompt = true;
                }
                *slot = Some(c);
                c
            }
            (Kind::Poll | Kind::Push, Some(c)) => {
                c.settle(now);
                *c
            }
            (Kind::Poll | Kind::Push, None) => {
                // A connection configured before the service first heard of it.
                let c = Conn::new(decide::configured_connection(app, policy));
                d.prompted |= decide::configured_counts_as_prompted(app, policy);
                *slot = Some(c);
                c
            }
        };
        Ok(Verdict {
            access: conn.access,
            prompt,
            until: conn.until,
            now,
        })
    }

    /// Sets a tenant's policy (and MDM flag) at service time `now`, applying
    /// the switch to every device of the tenant at once.
    pub fn set_policy(&self, now: SimTime, tenant: u64, policy: Policy, mdm: bool) -> TenantView {
        let mut g = self.lock();
        let Inner { tenants, devices } = &mut *g;
        let tn = tenants.entry(tenant).or_default();
        let old = tn.effective();
        tn.policy = Some(policy);
        tn.mdm = mdm;
        let new = tn.effective();
        if old != new {
            let exempt = decide::switch_exempts_configured(old, new);
            for id in &tn.devices {
                let Some(d) = devices.get_mut(id) else { continue };
                for app in APPS {
                    let Some(c) = d.conn[app.slot()].as_mut() else { continue };
                    c.settle(now);
                    let access = decide::on_switch(app, old, new, c.access);
                    if access != c.access {
                        // Released or blocked: any pending prompt is cancelled.
                        *c = Conn::new(access);
                    }
                }
                if exempt && d.conn[App::ThirdParty.slot()].is_some() {
                    d.prompted = true;
                }
            }
        }
        TenantView {
            policy,
            mdm,
            effective: new,
            devices: tn.devices.len(),
        }
    }

    /// A device's turn in a prompt-always wave at service time `now`: its
    /// third-party connection is prompted (quarantined, prompt email sent)
    /// if the rules say so.
    pub fn prompt(&self, now: SimTime, device: u64) -> Result<DeviceView, StateError> {
        let mut g = self.lock();
        let Inner { tenants, devices } = &mut *g;
        let d = devices.get_mut(&device).ok_or(StateError::UnknownDevice(device))?;
        let policy = tenants.get(&d.tenant).map_or(Policy::Unmanaged, Tenant::effective);
        let Some(c) = d.conn[App::ThirdParty.slot()].as_mut() else {
            return Ok(DeviceView {
                applied: false,
                access: None,
                until: None,
                now,
            });
        };
        c.settle(now);
        let applied = decide::wave_prompts(App::ThirdParty, policy, c.access);
        if applied {
            *c = Conn {
                access: Access::Quarantine,
                until: Some(now.after(PROMPT_TIMEOUT)),
            };
            d.prompted = true;
        }
        Ok(DeviceView {
            applied,
            access: Some(c.access),
            until: c.until,
            now,
        })
    }

    /// A user's answer to the prompt pending on the device's third-party
    /// connection, at service time `now`. Without a pending prompt the
    /// choice changes nothing.
    pub fn choose(&self, now: SimTime, device: u64, choice: Choice) -> Result<DeviceView, StateError> {
        let mut g = self.lock();
        let d = g.devices.get_mut(&device).ok_or(StateError::UnknownDevice(device))?;
        let Some(c) = d.conn[App::ThirdParty.slot()].as_mut() else {
            return Ok(DeviceView {
                applied: false,
                access: None,
                until: None,
                now,
            });
        };
        c.settle(now);
        let pending = c.access == Access::Quarantine && c.until.is_some();
        if pending {
            let access = decide::on_choice(choice, c.access);
            if access != Access::Quarantine || decide::choice_ends_timeout(choice) {
                *c = Conn::new(access);
            }
        }
        Ok(DeviceView {
            applied: pending,
            access: Some(c.access),
            until: c.until,
            now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Access::*;

    const T: u64 = 1;

    fn eval(r: &Registry, now: u64, device: u64, app: App, kind: Kind) -> Verdict {
        r.evaluate(SimTime(now), T, device, app, kind).unwrap()
    }

    #[test]
    fn prompt_always_quarantines_until_the_timeout() {
        let r = Registry::new();
        r.set_policy(SimTime(0), T, Policy::AnyAppPromptAlways, false);
        let v = eval(&r, 10, 1, App::ThirdParty, Kind::Activation);
        assert_eq!(
            (v.access, v.prompt, v.until),
            (Quarantine, true, Some(SimTime(10 + PROMPT_TIMEOUT.0)))
        );
        let day = PROMPT_TIMEOUT.0;
        assert_eq!(eval(&r, 9 + day, 1, App::ThirdParty, Kind::Poll).access, Quarantine);
        assert_eq!(eval(&r, 10 + day, 1, App::ThirdParty, Kind::Poll).access, Allow);
        // A re-add is prompted again.
        assert!(eval(&r, 20 + day, 1, App::ThirdParty, Kind::Readd).prompt);
    }

    #[test]
    fn a_device_keeps_its_first_tenant() {
        let r = Registry::new();
        eval(&r, 0, 5, App::Outlook, Kind::Poll);
        let e = r.evaluate(SimTime(0), 2, 5, App::Outlook, Kind::Poll).unwrap_err();
        assert_eq!(
            e,
            StateError::WrongTenant {
                device: 5,
                owner: 1,
                named: 2
            }
        );
        assert_eq!(r.prompt(SimTime(0), 6), Err(StateError::UnknownDevice(6)));
    }

    #[test]
    fn outlook_choice_keeps_the_quarantine_for_good_and_unmanaged_releases_it() {
        let r = Registry::new();
        r.set_policy(SimTime(0), T, Policy::AnyAppPromptAlways, false);
        eval(&r, 0, 1, App::ThirdParty, Kind::Activation);
        let v = r.choose(SimTime(5), 1, Choice::Outlook).unwrap();
        assert_eq!((v.applied, v.access, v.until), (true, Some(Quarantine), None));
        assert_eq!(
            eval(&r, 2 * PROMPT_TIMEOUT.0, 1, App::ThirdParty, Kind::Poll).access,
            Quarantine
        );
        // No prompt is pending any more: a later choice changes nothing.
        assert!(!r.choose(SimTime(6), 1, Choice::ThirdParty).unwrap().applied);
        r.set_policy(SimTime(7), T, Policy::Unmanaged, false);
        assert_eq!(eval(&r, 8, 1, App::ThirdParty, Kind::Poll).access, Allow);
    }
}
