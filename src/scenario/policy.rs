//! The words of the admin page and of SPEC §2 that scenarios, the model and
//! the results share: the four policies, the apps, and the cohorts and
//! outcomes that sync delays are grouped by.

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

/// Whether a connection was new or already configured when it lost access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cohort {
    /// A new activation or a re-add.
    New = 0,
    /// A previously configured connection that lost access.
    Existing = 1,
}

impl Cohort {
    /// Both cohorts, in report order.
    pub const ALL: [Cohort; 2] = [Cohort::New, Cohort::Existing];

    /// The CSV key.
    pub fn key(self) -> &'static str {
        match self {
            Cohort::New => "new",
            Cohort::Existing => "existing",
        }
    }
}

/// How a connection's wait for mail ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Not prompted or blocked: synced at its first allowed request.
    Direct = 0,
    /// Prompted; the user kept the third-party app.
    Continued = 1,
    /// Prompted; the user set up Outlook.
    Outlook = 2,
    /// Prompted; nobody acted within 24 h and quarantine ended by itself.
    Timeout = 3,
    /// A switch to unmanaged ended the wait before the user acted.
    Released = 4,
    /// Blocked by outlook-only; the user did not switch.
    Blocked = 5,
    /// Blocked by outlook-only; the user set up Outlook.
    Switched = 6,
}

impl Outcome {
    /// Every outcome, in report order (SPEC §2).
    pub const ALL: [Outcome; 7] = [
        Outcome::Direct,
        Outcome::Continued,
        Outcome::Outlook,
        Outcome::Timeout,
        Outcome::Released,
        Outcome::Blocked,
        Outcome::Switched,
    ];

    /// The CSV key.
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Direct => "direct",
            Outcome::Continued => "continued",
            Outcome::Outlook => "outlook",
            Outcome::Timeout => "timeout",
            Outcome::Released => "released",
            Outcome::Blocked => "blocked",
            Outcome::Switched => "switched",
        }
    }

    /// Number of outcomes.
    pub const COUNT: usize = Outcome::ALL.len();

    /// From the dense index.
    pub fn from_index(i: u8) -> Outcome {
        Outcome::ALL[i as usize % Outcome::COUNT]
    }
}
