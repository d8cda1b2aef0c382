//! Which failures are the user's input (exit 2) and which are not (exit 1).

use crate::scenario::ScenarioError;
use std::fmt;

/// A bad command line: exit code 2, like a bad scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Exit code for bad input (scenario or command line).
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for any other failure.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code when a run completed but an SLO failed (or `compare` found a regression).
pub const EXIT_THRESHOLD: i32 = 3;

/// The process exit code for an error.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if err.downcast_ref::<crate::output::slo::SloFailed>().is_some()
        || err.downcast_ref::<crate::cmd::compare::Regression>().is_some()
    {
        return EXIT_THRESHOLD;
    }
    if err.downcast_ref::<ScenarioError>().is_some() || err.downcast_ref::<BadInput>().is_some() {
        EXIT_BAD_INPUT
    } else {
        EXIT_FAILURE
    }
}
