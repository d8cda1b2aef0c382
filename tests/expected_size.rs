//! `mailsim validate`'s estimates: events within 25 % of a run on each
//! engine for every sample scenario (scaled down), and a warning, not a
//! failure, when a scenario needs more memory than the machine has.

use mailsim::engine::Engine;
use mailsim::run::{engine_choice, run_replication_on};
use mailsim::scenario::Scenario;
use std::process::Command;

/// A sample scenario with a twentieth of the tenants of its large groups
/// (groups of up to 20 tenants stay whole), or fewer still so that it has
/// at most about half a million connections (fleet.toml has 4×10⁸), so
/// that the check runs in seconds.
fn scaled_down(file: &str) -> Scenario {
    let path = format!("{}/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
    let full = std::fs::read_to_string(&path).unwrap();
    let connections = Scenario::parse(&full, file).unwrap().expected_size().connections;
    let divide = (connections / 500_000.0).ceil().max(20.0) as u32;
    let text: String = full
        .lines()
        .map(|line| match line.trim_start().strip_prefix("count = ") {
            Some(rest) => {
                let n: u32 = rest.split_whitespace().next().unwrap().parse().unwrap();
                format!("count = {}\n", (n / divide).max(n.min(20)))
            }
            None => format!("{line}\n"),
        })
        .collect();
    Scenario::parse(&text, file).unwrap()
}

#[test]
fn estimated_events_are_within_25_percent_of_a_run_for_every_sample_scenario() {
    let dir = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    let mut table = String::new();
    for file in &files {
        let sc = scaled_down(file);
        let size = sc.expected_size();
        for asked in [Engine::PerConnection, Engine::Fast] {
            // A scenario the fast engine does not simulate runs per connection.
            let engine = engine_choice(&sc, Some(asked)).0;
            let run = run_replication_on(&sc, 0, engine).counters;
            // Per connection at t=0: a few dozen tenants draw a population
            // some percent off its mean, which says nothing about the estimate.
            let estimated = size.events_on(engine) / size.connections;
            let actual = run.events as f64 / run.connections_initial as f64;
            let ratio = estimated / actual;
            table += &format!(
                "{file} ({engine}): events per connection estimated {estimated:.1}, simulated {actual:.1}, ratio {ratio:.3}\n"
            );
            assert!((0.75..=1.25).contains(&ratio), "{table}");
        }
    }
    eprint!("{table}");
}

#[cfg(target_os = "linux")]
#[test]
fn validate_warns_when_the_scenario_needs_more_memory_than_the_machine() {
    let dir = tempfile::tempdir().unwrap();
    let validate = |users: &str| {
        let file = dir.path().join("s.toml");
        std::fs::write(
            &file,
            format!(
                "name = \"big\"\nhorizon = \"1h\"\n[evaluator]\nservers = 1\nservice_time = {{ dist = \"fixed\", value = \"1ms\" }}\n\
                 [devices]\npoll_interval = {{ dist = \"fixed\", value = \"15m\" }}\n\
                 [[tenants]]\nname = \"g\"\ncount = 100000\nusers = {{ dist = \"fixed\", value = {users} }}\n"
            ),
        )
        .unwrap();
        Command::new(env!("CARGO_BIN_EXE_mailsim"))
            .arg("validate")
            .arg(&file)
            .output()
            .unwrap()
    };
    // Ten million users in each of 100,000 tenants: far more than any machine.
    let huge = validate("10000000");
    assert!(huge.status.success(), "a warning, not a failure");
    let stderr = String::from_utf8_lossy(&huge.stderr);
    assert!(stderr.starts_with("warning: "), "{stderr}");
    assert!(stderr.contains("memory"), "{stderr}");
    assert!(String::from_utf8_lossy(&huge.stdout).contains("memory"));

    let small = validate("10");
    assert!(small.status.success());
    assert_eq!(String::from_utf8_lossy(&small.stderr), "");
}
