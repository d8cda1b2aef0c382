//! Which simulation engine runs a scenario's pools.
//!
//! Both engines simulate the same rules (SPEC §1) and give the same result
//! types; they differ in how they spend time and memory, and so in the
//! sample path a seed gives (docs/architecture.md, "Two engines").

use std::fmt;

/// A simulation engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// Connections nothing is happening to are simulated in aggregate: their
    /// polls form one Poisson stream per pool (managed tenants) or a Poisson
    /// count (unmanaged ones); a connection has events of its own only while
    /// something happens to it.
    Fast,
    /// Every poll of every connection is its own event: the reference
    /// engine, byte-identical to mailsim before the fast engine existed.
    PerConnection,
}

impl Engine {
    /// Both engines, the default's candidate first.
    pub const ALL: [Engine; 2] = [Engine::Fast, Engine::PerConnection];

    /// The name on the command line and in `run.json`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Fast => "fast",
            Engine::PerConnection => "per-connection",
        }
    }

    /// The engine of a name, as `name` writes it.
    pub fn parse(text: &str) -> Option<Engine> {
        Engine::ALL.into_iter().find(|e| e.name() == text)
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Engine::ALL {
            assert_eq!(Engine::parse(e.name()), Some(e));
        }
        assert_eq!(Engine::parse("auto"), None);
    }
}
