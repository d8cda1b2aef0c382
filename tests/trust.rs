//! Trust: mailsim never replaces what it did not write, never cries wolf in
//! `compare`, and its exit codes and JSON say what happened.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

fn mailsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsim")).args(args).output().unwrap()
}

fn mailsim_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsim"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The small test scenario, as an absolute path (tests also run elsewhere).
fn small() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/small.toml")
        .display()
        .to_string()
}

/// A user's own folder with a file in it.
fn user_folder(dir: &Path, name: &str) -> String {
    let f = dir.join(name);
    std::fs::create_dir_all(&f).unwrap();
    std::fs::write(f.join("plan.txt"), "my plan").unwrap();
    f.display().to_string()
}

/// Everything in `dir`, hidden names included, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn refused(o: &Output, path: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    let err = stderr(o);
    assert!(err.contains(path), "the message names {path}: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn run_refuses_a_folder_it_did_not_write_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let notes = user_folder(dir.path(), "notes");
    let o = mailsim(&["run", &small(), "--out", &notes, "-q"]);
    refused(&o, &notes);
    assert!(stderr(&o).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(Path::new(&notes).join("plan.txt")).unwrap(),
        "my plan"
    );
    assert_eq!(listing(dir.path()), ["notes"], "nothing written beside it");
    // With --force the user asked for it.
    let o = mailsim(&["run", &small(), "--out", &notes, "-q", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!Path::new(&notes).join("plan.txt").exists());
    assert!(Path::new(&notes).join(".mailsim-output").is_file());
    // Its own folder it replaces without being asked.
    assert!(mailsim(&["run", &small(), "--out", &notes, "-q"]).status.success());
    assert_eq!(listing(dir.path()), ["notes"]);
}

#[test]
fn a_file_the_working_folder_and_the_scenario_folder_are_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("afile");
    std::fs::write(&file, "mine").unwrap();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir(&scenarios).unwrap();
    std::fs::copy(small(), scenarios.join("s.toml")).unwrap();
    for force in [&[][..], &["--force"][..]] {
        let o = mailsim(&[&["run", &small(), "--out", file.to_str().unwrap(), "-q"][..], force].concat());
        refused(&o, file.to_str().unwrap());
        let o = mailsim_in(
            dir.path(),
            &[&["run", "scenarios/s.toml", "--out", ".", "-q"][..], force].concat(),
        );
        refused(&o, ".");
        let o = mailsim_in(
            dir.path(),
            &[&["run", "scenarios/s.toml", "--out", "scenarios", "-q"][..], force].concat(),
        );
        refused(&o, "scenarios");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    assert_eq!(listing(dir.path()), ["afile", "scenarios"], "no hidden leftovers");
    assert_eq!(listing(&scenarios), ["s.toml"]);
}

#[test]
fn every_command_that_writes_a_folder_follows_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = d.join("run").display().to_string();
    assert!(mailsim(&["run", &small(), "--out", &run, "-q"]).status.success());
    let s0 = d.join("s0").display().to_string();
    let s1 = d.join("s1").display().to_string();
    for (i, s) in [&s0, &s1].iter().enumerate() {
        let shard = format!("{i}/2");
        assert!(
            mailsim(&["run", &small(), "--shard", &shard, "--out", s, "-q"])
                .status
                .success()
        );
    }
    let notes = user_folder(d, "notes");
    // merge
    refused(&mailsim(&["merge", &notes, &s0, &s1, "-q"]), &notes);
    refused(&mailsim(&["merge", &s0, &s0, &s1, "-q"]), &s0);
    // sweep
    refused(
        &mailsim(&[
            "sweep",
            &small(),
            "--set",
            "evaluator.servers=1,2",
            "--out",
            &notes,
            "-q",
        ]),
        &notes,
    );
    // report: redraws only a mailsim folder
    refused(&mailsim(&["report", &notes, "-q"]), &notes);
    assert!(mailsim(&["report", &run, "-q"]).status.success());
    // compare --out
    refused(&mailsim(&["compare", &run, &run, "--out", &notes, "-q"]), &notes);
    assert_eq!(listing(Path::new(&notes)), ["plan.txt"]);
    let fresh = d.join("fresh").display().to_string();
    assert!(
        mailsim(&["compare", &run, &run, "--out", &fresh, "-q"])
            .status
            .success()
    );
    assert_eq!(listing(Path::new(&fresh)), [".mailsim-output", "compare.csv"]);
    // compare into NEW keeps NEW's results.
    assert!(mailsim(&["compare", &run, &run, "-q"]).status.success());
    assert!(Path::new(&run).join("summary.csv").is_file() && Path::new(&run).join("compare.csv").is_file());
    let leftovers: Vec<String> = listing(d).into_iter().filter(|n| n.starts_with('.')).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn compare_refuses_a_shard_as_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let shard = dir.path().join("s0").display().to_string();
    assert!(
        mailsim(&["run", &small(), "--shard", "0/2", "--out", &shard, "-q"])
            .status
            .success()
    );
    let run = dir.path().join("run").display().to_string();
    assert!(mailsim(&["run", &small(), "--out", &run, "-q"]).status.success());
    let o = mailsim(&["compare", &run, &shard]);
    refused(&o, &shard);
    assert!(stderr(&o).contains("merge"));
}

#[test]
fn a_bare_tolerance_above_one_is_refused() {
    let o = mailsim(&["compare", "a", "b", "--tolerance", "5"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("5%"), "{}", stderr(&o));
}

fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            h.iter()
                .zip(rec.unwrap().iter())
                .map(|(a, b)| (a.into(), b.into()))
                .collect()
        })
        .collect()
}

/// Two seeds of one scenario at one replication: no metric is `worse`, the
/// output says noise was not tested, and the verdict line comes first.
#[test]
fn compare_does_not_cry_wolf_between_two_seeds_at_one_replication() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a").display().to_string();
    let b = dir.path().join("b").display().to_string();
    assert!(mailsim(&["run", &small(), "--out", &a, "-q"]).status.success());
    assert!(
        mailsim(&["run", &small(), "--out", &b, "-q", "--seed", "6"])
            .status
            .success()
    );
    let o = mailsim(&["compare", &a, &b]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("✓ ") && first.ends_with(" same") && !first.contains("worse"),
        "{first}"
    );
    assert!(text.contains("noise: not tested"), "{text}");
    let rows = csv_rows(&Path::new(&b).join("compare.csv"));
    assert!(rows.iter().all(|r| r["verdict"] != "worse"));
    // Floors are settable per kind, and the JSON says which one judged each metric.
    let o = mailsim(&["compare", &a, &b, "--floor", "wait_ms=0.5", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["noise_tested"], false);
    let wait = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "evaluator.wait_p50_ms");
    assert_eq!(wait.unwrap()["floor"], 0.5);
    assert_eq!(v["verdict"], first.trim_start_matches("✓ "));
}

#[test]
fn compare_with_replications_tests_noise_and_still_finds_a_real_regression() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small();
    let run = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name).display().to_string();
        let args = [
            &[
                "run",
                &scenario,
                "--replications",
                "3",
                "-q",
                "--out",
                &out,
                "--set",
                "evaluator.service_time.mean=1s",
            ][..],
            extra,
        ]
        .concat();
        assert!(mailsim(&args).status.success());
        out
    };
    let a = run("a", &["--set", "evaluator.servers=3"]);
    let b = run("b", &["--set", "evaluator.servers=1"]);
    let o = mailsim(&["compare", &a, &b, "--format", "json", "--quiet"]);
    assert_eq!(o.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("--format json prints even with --quiet");
    assert_eq!(v["noise_tested"], true);
    let wait = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "evaluator.wait_p99_ms")
        .unwrap();
    assert_eq!(wait["verdict"], "worse");
    assert!(wait["p_value"].as_f64().unwrap() < 0.05);
}

#[test]
fn sweep_where_no_point_meets_the_slos_exits_3_naming_what_each_row_broke() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep").display().to_string();
    let o = mailsim(&[
        "sweep",
        &small(),
        "--set",
        "evaluator.servers=1,2",
        "--slo",
        "evaluator.utilization<=0.0001",
        "--out",
        &out,
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("✗ breaks evaluator.utilization<=0.0001"),
        "{}",
        stdout(&o)
    );
    let rows = csv_rows(&Path::new(&out).join("sweep.csv"));
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert_eq!(r["meets_slos"], "false");
        assert_eq!(r["failed_slos"], "evaluator.utilization<=0.0001");
    }
    // JSON, even with --quiet.
    let o = mailsim(&[
        "sweep",
        &small(),
        "--set",
        "evaluator.servers=1,2",
        "--slo",
        "evaluator.utilization<=1",
        "--out",
        &out,
        "--format",
        "json",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["cheapest"], "evaluator.servers=1");
    assert_eq!(v["points"].as_array().unwrap().len(), 2);
}

#[test]
fn run_takes_slos_on_the_command_line_and_json_prints_even_when_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out").display().to_string();
    let o = mailsim(&[
        "run",
        &small(),
        "--out",
        &out,
        "--slo",
        "evaluator.utilization<=0.0001",
        "--format",
        "json",
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["slos"].as_array().unwrap().iter().any(|s| s["pass"] == false));
    let slo = csv_rows(&Path::new(&out).join("slo.csv"));
    assert_eq!(slo[0]["metric"], "evaluator.utilization");
    assert_eq!(slo[0]["verdict"], "fail");
    // The SLO is part of the scenario as run: `report` redraws it.
    assert!(
        std::fs::read_to_string(Path::new(&out).join("scenario.toml"))
            .unwrap()
            .contains("[[slo]]")
    );
    assert_eq!(mailsim(&["report", &out, "-q"]).status.code(), Some(0));
    assert!(Path::new(&out).join("slo.csv").is_file());
    // --quiet alone prints nothing.
    let o = mailsim(&["run", &small(), "--out", &out, "--quiet"]);
    assert!(o.status.success() && o.stdout.is_empty());
}
