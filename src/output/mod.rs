//! Writing results: the CSV files of SPEC §5, `run.json`, and the atomic
//! output folder (written beside the target, renamed into place).

pub mod csv;
pub mod folder;
pub mod json;

pub use folder::write_atomically;
