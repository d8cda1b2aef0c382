//! The error every layer may raise for input the user got wrong; the
//! command line maps it to exit code 2 (see `cli::exit_code`).

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
