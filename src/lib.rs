//! mailsim: a discrete-event simulator of mobile-mail-app policies, their
//! prompts and quarantines, and the load they put on the quarantine
//! evaluation service.
//!
//! The library is the whole tool; `main.rs` only parses arguments. Layers,
//! from the bottom: [`engine`] (clock, event queue, random streams),
//! [`scenario`] (files to validated types), [`model`] (tenants, devices,
//! connections, policies, evaluator pools), [`stats`] (mergeable results),
//! [`run`] (replications and pools in parallel), [`output`] (CSV files and
//! run.json) and [`cli`].

pub mod cli;
pub mod cmd;
pub mod engine;
pub mod error;
pub mod model;
pub mod output;
pub mod run;
pub mod scenario;
pub mod serve;
pub mod stats;
