//! Choosing the simulation engine: `--engine` on the command line, the
//! engine recorded in run.json, and what each engine refuses.

mod common;
use std::process::Command;

const SMALL: &str = include_str!("data/small.toml");

fn run_json(out: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap()
}

#[test]
fn run_json_records_the_engine_asked_for() {
    let r = common::run(SMALL, &["--engine", "per-connection"]);
    assert_eq!(run_json(&r.out)["engine"], "per-connection");
}

#[test]
fn an_unknown_engine_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(&file, SMALL).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_mailsim"))
        .args(["run", "--engine", "warp"])
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("fast, per-connection"), "{err}");
    assert!(!dir.path().join("out").exists());
}
