//! mailsim: a discrete-event simulator of mobile-mail-app policies, their
//! prompts and quarantines, and the load they put on the quarantine
//! evaluation service.
//!
//! The library is the whole tool; `main.rs` only parses arguments. Layers,
//! from the bottom (docs/architecture.md is the map): [`engine`] (clock,
//! event queue, random streams), [`scenario`] (the vocabulary, files to
//! validated types), [`stats`] (mergeable results, key metrics and the
//! judging of runs), [`model`] (tenants, devices, connections, policies,
//! evaluator pools), [`run`] (replications and pools in parallel),
//! [`output`] (result files), [`report`] (charts, report, summary),
//! [`cmd`] (one module per subcommand) and [`cli`].

pub mod cli;
pub mod cmd;
pub mod engine;
pub mod error;
pub mod load;
pub mod model;
pub mod output;
pub mod report;
pub mod run;
pub mod scenario;
pub mod serve;
pub mod stats;
