//! Capacity planning: key metrics per replication, confidence intervals
//! across replications, and SLOs that set the exit code.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

fn run(scenario: &str, extra: &[&str]) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(&file, scenario).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_mailsim"))
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .args(extra)
        .output()
        .unwrap();
    (dir, o)
}

fn base() -> String {
    std::fs::read_to_string("tests/data/small.toml").unwrap()
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

#[test]
fn replications_csv_holds_mean_sd_and_student_t_half_width() {
    let (dir, o) = run(&base(), &["--replications", "4", "-q"]);
    assert!(o.status.success());
    let out = dir.path().join("out");
    let metrics = csv_rows(&out.join("metrics.csv"));
    let stats = csv_rows(&out.join("replications.csv"));
    assert!(stats.len() > 10);
    for name in [
        "evaluator.utilization",
        "outcome_share.continued",
        "evaluator.peak_evaluations_per_s",
    ] {
        let xs: Vec<f64> = (0..4)
            .map(|rep| {
                metrics
                    .iter()
                    .find(|m| m["replication"] == rep.to_string() && m["metric"] == name)
                    .unwrap()["value"]
                    .parse()
                    .unwrap()
            })
            .collect();
        // By hand: mean, sample sd, t(0.975, 3) = 3.182.
        let mean = xs.iter().sum::<f64>() / 4.0;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
        let half = 3.182 * sd / 2.0;
        let row = stats.iter().find(|s| s["metric"] == name).unwrap();
        let get = |k: &str| row[k].parse::<f64>().unwrap();
        assert_eq!(row["n"], "4");
        assert!((get("mean") - mean).abs() < 2e-6, "{name} mean");
        assert!((get("sd") - sd).abs() < 2e-6, "{name} sd");
        assert!((get("ci95_half_width") - half).abs() < 2e-6, "{name} half-width");
        assert!(sd > 0.0, "{name}: replications must differ");
    }
    let text = String::from_utf8(run(&base(), &["--replications", "3"]).1.stdout).unwrap();
    assert!(text.contains("across 3 replications") && text.contains(" ± "), "{text}");
}

#[test]
fn one_replication_writes_no_replications_csv() {
    let (dir, o) = run(&base(), &["-q"]);
    assert!(o.status.success());
    assert!(!dir.path().join("out/replications.csv").exists());
    assert!(dir.path().join("out/metrics.csv").exists());
}

const SLOS: &str = r#"
[[slo]]
metric = "evaluator.utilization"
max = 0.5

[[slo]]
metric = "outcome_share.timeout"
min = 0.01
max = 0.5
"#;

#[test]
fn slos_that_pass_exit_0_and_a_failing_one_exits_3() {
    let (dir, o) = run(&(base() + SLOS), &["-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let slo = csv_rows(&dir.path().join("out/slo.csv"));
    assert_eq!(slo.len(), 3);
    assert!(slo.iter().all(|s| s["verdict"] == "pass"), "{slo:?}");

    let failing = base() + SLOS + "\n[[slo]]\nmetric = \"sync_delay.new.continued.p99_s\"\nmax = 120\n";
    let (dir, o) = run(&failing, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("1 of 4 SLO bound(s) failed"));
    let slo = csv_rows(&dir.path().join("out/slo.csv"));
    let row = slo
        .iter()
        .find(|s| s["metric"] == "sync_delay.new.continued.p99_s")
        .unwrap();
    assert_eq!(row["verdict"], "fail");
    assert!(row["value"].parse::<f64>().unwrap() > 120.0);
    // The results are written all the same, and the JSON summary says which failed.
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        json["slos"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["pass"] == false)
            .count(),
        1
    );
    assert!(dir.path().join("out/report.html").exists());
}

#[test]
fn an_unknown_slo_metric_is_bad_input_listing_the_metrics() {
    let (dir, o) = run(
        &(base() + "\n[[slo]]\nmetric = \"evaluator.wait_p98_ms\"\nmax = 1\n"),
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("slo[0].metric") && err.contains("evaluator.wait_p99_ms"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn set_changes_any_key_by_its_dotted_path() {
    let (dir, o) = run(
        &base(),
        &[
            "-q",
            "--set",
            "evaluator.servers=3",
            "--set",
            "tenants[0].changes[0].share=0.5",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let copy = std::fs::read_to_string(dir.path().join("out/scenario.toml")).unwrap();
    assert!(copy.contains("servers = 3") && copy.contains("share = 0.5"), "{copy}");
    let evaluator = csv_rows(&dir.path().join("out/evaluator.csv"));
    let (_, plain) = run(&base(), &["-q"]);
    assert!(plain.status.success());
    assert!(evaluator.iter().any(|r| r["pool"] == "all"));

    let (dir, o) = run(&base(), &["--set", "evaluator.servers=0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("evaluator.servers"));
    assert!(!dir.path().join("out").exists());
    let (_, o) = run(&base(), &["--set", "evaluator"]);
    assert_eq!(o.status.code(), Some(2));
}

fn mailsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsim")).args(args).output().unwrap()
}

/// Runs tests/data/small.toml with 5 replications and `extra` into `dir/name`.
fn small_run(dir: &Path, name: &str, extra: &[&str]) -> String {
    let out = dir.join(name).display().to_string();
    let mut args = vec![
        "run",
        "tests/data/small.toml",
        "--replications",
        "5",
        "-q",
        "--out",
        &out,
    ];
    args.extend_from_slice(extra);
    assert!(mailsim(&args).status.success());
    out
}

fn verdicts(dir: &str) -> HashMap<String, String> {
    csv_rows(&Path::new(dir).join("compare.csv"))
        .into_iter()
        .map(|r| (r["metric"].clone(), r["verdict"].clone()))
        .collect()
}

#[test]
fn compare_finds_identical_runs_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (small_run(dir.path(), "a", &[]), small_run(dir.path(), "b", &[]));
    let o = mailsim(&["compare", &a, &b]);
    assert_eq!(o.status.code(), Some(0));
    let v = verdicts(&b);
    assert!(v.len() > 20 && v.values().all(|x| x == "same"), "{v:?}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("the same keys and values"));
}

#[test]
fn compare_flags_fewer_servers_as_worse_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let slow = ["--set", "evaluator.service_time.mean=1s"];
    let a = small_run(
        dir.path(),
        "a",
        &[&slow[..], &["--set", "evaluator.servers=3"]].concat(),
    );
    let b = small_run(
        dir.path(),
        "b",
        &[&slow[..], &["--set", "evaluator.servers=1"]].concat(),
    );
    let o = mailsim(&["compare", &a, &b]);
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stderr));
    let v = verdicts(&b);
    assert_eq!(v["evaluator.wait_p99_ms"], "worse");
    assert_eq!(v["evaluator.utilization"], "worse");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("evaluator.servers") && text.contains("3 → 1"), "{text}");
}

#[test]
fn compare_sees_no_regression_between_two_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let a = small_run(dir.path(), "a", &[]);
    let b = small_run(dir.path(), "b", &["--seed", "77"]);
    let o = mailsim(&["compare", &a, &b]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(!verdicts(&b).values().any(|x| x == "worse"));
    assert!(String::from_utf8_lossy(&o.stdout).contains("seed"));
}

#[test]
fn compare_refuses_different_scenarios_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let a = small_run(dir.path(), "a", &[]);
    let b = small_run(dir.path(), "b", &["--set", "name=another"]);
    let o = mailsim(&["compare", &a, &b]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_ne!(mailsim(&["compare", "--force", "-q", &a, &b]).status.code(), Some(2));
}

#[test]
fn sweep_over_servers_utilization_falls_as_one_over_servers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = mailsim(&[
        "sweep",
        "tests/data/small.toml",
        "--set",
        "evaluator.servers=1..4",
        "--set",
        "replications=2",
        "--slo",
        "evaluator.utilization<=0.004",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = csv_rows(&out.join("sweep.csv"));
    assert_eq!(rows.len(), 4);
    let util = |i: usize| rows[i]["evaluator.utilization"].parse::<f64>().unwrap();
    // The same people poll the same way at every point (common random
    // numbers), so busy time barely moves and utilization × servers stays put.
    for s in 2..=4 {
        let ratio = util(s - 1) * s as f64 / util(0);
        assert!((ratio - 1.0).abs() < 0.02, "servers {s}: ratio {ratio}");
    }
    assert!(
        !rows[0]["evaluator.utilization_ci95"].is_empty(),
        "two replications give a half-width"
    );
    // 1 server: ~0.9 %; 3 servers: ~0.3 % is the first below 0.4 % with confidence.
    let cheapest: Vec<&str> = rows.iter().map(|r| r["meets_slos"].as_str()).collect();
    assert_eq!(cheapest.iter().filter(|v| **v == "cheapest").count(), 1, "{cheapest:?}");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("cheapest point meeting every SLO with confidence: evaluator.servers="),
        "{text}"
    );
    for f in ["sweep.png", "sweep.svg"] {
        assert!(std::fs::metadata(out.join(f)).unwrap().len() > 5_000, "{f}");
    }
}

#[test]
fn sweep_rejects_bad_values_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = mailsim(&[
        "sweep",
        "tests/data/small.toml",
        "--set",
        "evaluator.servers=0..2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("evaluator.servers"));
    assert!(!out.exists());
    let o = mailsim(&[
        "sweep",
        "tests/data/small.toml",
        "--set",
        "evaluator.servers=1..2",
        "--slo",
        "nonsense<=1",
    ]);
    assert_eq!(o.status.code(), Some(2));
}
