//! The four mobile-mail-access policies of the admin page, and the apps.

use std::fmt;

/// A tenant's mobile email app policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Policy {
    /// Feature not used: every app syncs, nothing is evaluated.
    Unmanaged,
    /// "Outlook only": third-party apps are blocked.
    OutlookOnly,
    /// "Any email app – all users prompted".
    AnyAppPromptAlways,
    /// "Any email app – new users or devices prompted once".
    AnyAppPromptOnce,
}

impl Policy {
    /// Every policy, in report order.
    pub const ALL: [Policy; 4] = [
        Policy::Unmanaged,
        Policy::OutlookOnly,
        Policy::AnyAppPromptAlways,
        Policy::AnyAppPromptOnce,
    ];

    /// The scenario-file key.
    pub fn key(self) -> &'static str {
        match self {
            Policy::Unmanaged => "unmanaged",
            Policy::OutlookOnly => "outlook_only",
            Policy::AnyAppPromptAlways => "any_app_prompt_always",
            Policy::AnyAppPromptOnce => "any_app_prompt_once",
        }
    }

    /// True for the two "any email app" policies, which prompt.
    pub fn prompts(self) -> bool {
        matches!(self, Policy::AnyAppPromptAlways | Policy::AnyAppPromptOnce)
    }

    /// Dense index, for tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A mail app on a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum App {
    /// Outlook for iOS/Android: never prompted, quarantined or blocked.
    Outlook = 0,
    /// Any other mail app.
    ThirdParty = 1,
}

impl App {
    /// Dense index of a device's connection slot.
    pub fn slot(self) -> usize {
        self as usize
    }
}
