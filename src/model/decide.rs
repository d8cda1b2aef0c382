//! The access rules of SPEC §1 as small pure functions over plain data.
//!
//! Both the simulator and the live service (`mailsim serve`) decide with
//! these, so that there is one copy of the rules. Nothing here knows about
//! time, randomness, events or HTTP: the callers own the state and the
//! clock, and ask what a rule says about one third-party or Outlook
//! connection.

use crate::model::{App, Policy};

/// What the quarantine evaluation service answers about one connection,
/// which is also the state the connection is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// The connection syncs.
    Allow,
    /// The connection is quarantined: its requests are answered, no data moves.
    Quarantine,
    /// The connection is blocked (outlook-only): it never syncs.
    Block,
}

impl Access {
    /// The key used in files and in the service's JSON.
    pub fn key(self) -> &'static str {
        match self {
            Access::Allow => "allow",
            Access::Quarantine => "quarantine",
            Access::Block => "block",
        }
    }
}

/// A user's answer to a prompt email.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Choice {
    /// Keep the third-party app: the quarantine ends at once.
    ThirdParty,
    /// Set up Outlook: the third-party connection stays quarantined.
    Outlook,
    /// Do nothing: the quarantine ends when the prompt times out.
    Ignore,
}

/// A tenant's effective policy: MDM tenants cannot use the setting and stay
/// unmanaged whatever they are given.
pub fn effective_policy(policy: Policy, mdm: bool) -> Policy {
    if mdm { Policy::Unmanaged } else { policy }
}

/// A new connection (an activation or a re-add) of `app` in a tenant under
/// `policy`, on a device that was (`device_prompted`) or was not prompted
/// before. `Quarantine` means the connection is prompted now: a prompt
/// email goes out and the device counts as prompted from then on.
pub fn on_new_connection(app: App, policy: Policy, device_prompted: bool) -> Access {
    match (app, policy) {
        (App::Outlook, _) | (_, Policy::Unmanaged) => Access::Allow,
        (_, Policy::AnyAppPromptOnce) if device_prompted => Access::Allow,
        (_, Policy::OutlookOnly) => Access::Block,
        _ => Access::Quarantine,
    }
}

/// What a switch of the tenant from `old` to `new` does at once to a
/// connection of `app` in state `state` (SPEC §1 "Other switches"):
/// to `unmanaged` releases every quarantined and blocked connection; to
/// `outlook_only` blocks every third-party connection (pending prompts are
/// cancelled); leaving `outlook_only` for a prompt policy releases blocked
/// connections; between the two prompt policies prompts in flight go on.
/// Outlook connections are never touched.
pub fn on_switch(app: App, old: Policy, new: Policy, state: Access) -> Access {
    if app == App::Outlook || old == new {
        return state;
    }
    match new {
        Policy::Unmanaged => Access::Allow,
        Policy::OutlookOnly => Access::Block,
        Policy::AnyAppPromptAlways | Policy::AnyAppPromptOnce => {
            if old == Policy::OutlookOnly && state == Access::Block {
                Access::Allow
            } else {
                state
            }
        }
    }
}

/// Whether a switch from `old` to `new` makes every device that holds a
/// third-party connection count as prompted: prompt-once does not prompt
/// previously configured connections, nor re-adds on their devices.
pub fn switch_exempts_configured(old: Policy, new: Policy) -> bool {
    new == Policy::AnyAppPromptOnce && old != new
}

/// The state of a previously configured connection of `app` that a tenant
/// under `policy` already had: as if the policy had been switched on long
/// ago (SPEC §1: no wave; outlook-only has blocked it).
pub fn configured_connection(app: App, policy: Policy) -> Access {
    on_switch(app, Policy::Unmanaged, policy, Access::Allow)
}

/// Whether a previously configured connection of `app` under `policy`
/// counts as prompted: under a prompt policy in force since long ago, its
/// device was prompted long ago (SPEC §1, "Selecting tenants").
pub fn configured_counts_as_prompted(app: App, policy: Policy) -> bool {
    app == App::ThirdParty && policy.prompts()
}

/// Whether a connection's turn in a prompt-always wave prompts it: only a
/// third-party connection that still has access, while the tenant is
/// still under prompt-always (a turn after a switch away is cancelled).
pub fn wave_prompts(app: App, policy: Policy, state: Access) -> bool {
    app == App::ThirdParty && policy == Policy::AnyAppPromptAlways && state == Access::Allow
}

/// What a user's `choice` on a pending prompt does to the prompted
/// connection: keeping the app ends the quarantine; choosing Outlook or
/// ignoring leaves it quarantined (Outlook for good, ignore until the
/// prompt times out). A choice never releases a blocked connection.
pub fn on_choice(choice: Choice, state: Access) -> Access {
    match (choice, state) {
        (Choice::ThirdParty, Access::Quarantine) => Access::Allow,
        _ => state,
    }
}

/// Whether a user's choice stops the prompt's 24 h timeout: acting on the
/// prompt (keeping the app or choosing Outlook) does; ignoring it does not.
pub fn choice_ends_timeout(choice: Choice) -> bool {
    choice != Choice::Ignore
}

#[cfg(test)]
mod tests {
    use super::*;
    use Access::*;
    use Policy::*;

    #[test]
    fn new_connections_follow_the_policy_table() {
        for policy in Policy::ALL {
            for prompted in [false, true] {
                assert_eq!(on_new_connection(App::Outlook, policy, prompted), Allow);
            }
        }
        let tp = App::ThirdParty;
        assert_eq!(on_new_connection(tp, Unmanaged, false), Allow);
        assert_eq!(on_new_connection(tp, OutlookOnly, false), Block);
        assert_eq!(on_new_connection(tp, OutlookOnly, true), Block);
        assert_eq!(on_new_connection(tp, AnyAppPromptAlways, false), Quarantine);
        assert_eq!(on_new_connection(tp, AnyAppPromptAlways, true), Quarantine);
        assert_eq!(on_new_connection(tp, AnyAppPromptOnce, false), Quarantine);
        assert_eq!(on_new_connection(tp, AnyAppPromptOnce, true), Allow);
    }

    #[test]
    fn mdm_tenants_stay_unmanaged() {
        for policy in Policy::ALL {
            assert_eq!(effective_policy(policy, true), Unmanaged);
            assert_eq!(effective_policy(policy, false), policy);
        }
    }

    #[test]
    fn switches_release_block_or_leave_alone() {
        let tp = App::ThirdParty;
        for old in Policy::ALL {
            for state in [Allow, Quarantine, Block] {
                assert_eq!(on_switch(App::Outlook, old, OutlookOnly, state), state);
                assert_eq!(on_switch(tp, old, old, state), state);
                if old != Unmanaged {
                    assert_eq!(on_switch(tp, old, Unmanaged, state), Allow);
                }
                if old != OutlookOnly {
                    assert_eq!(on_switch(tp, old, OutlookOnly, state), Block);
                }
            }
        }
        assert_eq!(on_switch(tp, OutlookOnly, AnyAppPromptAlways, Block), Allow);
        assert_eq!(on_switch(tp, OutlookOnly, AnyAppPromptOnce, Block), Allow);
        assert_eq!(
            on_switch(tp, AnyAppPromptAlways, AnyAppPromptOnce, Quarantine),
            Quarantine
        );
        assert_eq!(
            on_switch(tp, AnyAppPromptOnce, AnyAppPromptAlways, Quarantine),
            Quarantine
        );
        assert_eq!(on_switch(tp, Unmanaged, AnyAppPromptAlways, Allow), Allow);
    }

    #[test]
    fn configured_connections_are_blocked_only_by_outlook_only() {
        assert_eq!(configured_connection(App::ThirdParty, OutlookOnly), Block);
        assert_eq!(configured_connection(App::ThirdParty, AnyAppPromptAlways), Allow);
        assert_eq!(configured_connection(App::ThirdParty, AnyAppPromptOnce), Allow);
        assert_eq!(configured_connection(App::Outlook, OutlookOnly), Allow);
        assert!(configured_counts_as_prompted(App::ThirdParty, AnyAppPromptAlways));
        assert!(configured_counts_as_prompted(App::ThirdParty, AnyAppPromptOnce));
        assert!(!configured_counts_as_prompted(App::ThirdParty, OutlookOnly));
        assert!(!configured_counts_as_prompted(App::Outlook, AnyAppPromptOnce));
        assert!(switch_exempts_configured(Unmanaged, AnyAppPromptOnce));
        assert!(!switch_exempts_configured(AnyAppPromptOnce, AnyAppPromptOnce));
        assert!(!switch_exempts_configured(Unmanaged, AnyAppPromptAlways));
    }

    #[test]
    fn wave_turns_prompt_only_active_third_party_under_prompt_always() {
        assert!(wave_prompts(App::ThirdParty, AnyAppPromptAlways, Allow));
        assert!(!wave_prompts(App::ThirdParty, AnyAppPromptAlways, Quarantine));
        assert!(!wave_prompts(App::ThirdParty, AnyAppPromptAlways, Block));
        assert!(!wave_prompts(App::ThirdParty, AnyAppPromptOnce, Allow));
        assert!(!wave_prompts(App::ThirdParty, Unmanaged, Allow));
        assert!(!wave_prompts(App::Outlook, AnyAppPromptAlways, Allow));
    }

    #[test]
    fn choices_release_only_a_quarantine_kept_by_the_user() {
        assert_eq!(on_choice(Choice::ThirdParty, Quarantine), Allow);
        assert_eq!(on_choice(Choice::Outlook, Quarantine), Quarantine);
        assert_eq!(on_choice(Choice::Ignore, Quarantine), Quarantine);
        for c in [Choice::ThirdParty, Choice::Outlook, Choice::Ignore] {
            assert_eq!(on_choice(c, Block), Block, "a choice never unblocks");
            assert_eq!(on_choice(c, Allow), Allow);
        }
        assert!(choice_ends_timeout(Choice::Outlook));
        assert!(!choice_ends_timeout(Choice::Ignore));
    }
}
