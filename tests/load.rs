//! `mailsim load` against a live `mailsim serve` on loopback: prediction
//! meets measurement, a stall of the target shows in the percentiles (no
//! coordinated omission), decisions are checked (and a broken service is
//! caught), the generator says when it cannot keep the schedule, and bad
//! input exits 2 writing nothing.
//!
//! The live tests take the machine's timing, so they run one at a time
//! (a lock), each bounded to about 30 s of load. Service times are tens of
//! milliseconds where latencies are compared: this machine's sleeps
//! overshoot by 0.1–2.5 ms.

mod serve_common;

use serve_common::Server;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

static LIVE: Mutex<()> = Mutex::new(());

fn live() -> std::sync::MutexGuard<'static, ()> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

fn mailsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsim"))
        .args(args)
        .output()
        .expect("run mailsim")
}

/// Runs `mailsim load SCENARIO --target http://ADDR --out DIR/load ARGS`;
/// returns the output and the folder.
fn load(scenario: &str, server: &Server, dir: &Path, args: &[&str]) -> (Output, PathBuf) {
    load_into(scenario, server, &dir.join("load"), args)
}

/// As `load`, into `out`.
fn load_into(scenario: &str, server: &Server, out: &Path, args: &[&str]) -> (Output, PathBuf) {
    let out = out.to_path_buf();
    let target = format!("http://{}", server.addr);
    let mut all = vec!["load", scenario, "--target", &target, "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let o = mailsim(&all);
    (o, out)
}

/// `load.csv`'s row `pool` as column → value.
fn load_row(dir: &Path, pool: &str) -> std::collections::HashMap<String, String> {
    let mut r = csv::Reader::from_path(dir.join("load.csv")).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[0] == pool {
            return head.iter().cloned().zip(rec.iter().map(str::to_string)).collect();
        }
    }
    panic!("no row {pool} in load.csv")
}

fn num(row: &std::collections::HashMap<String, String>, col: &str) -> f64 {
    row[col].parse().unwrap_or_else(|_| panic!("{col} = {:?}", row[col]))
}

/// `decisions.csv` as kind → count.
fn decisions(dir: &Path) -> std::collections::HashMap<String, u64> {
    let mut r = csv::Reader::from_path(dir.join("decisions.csv")).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].parse().unwrap())
        })
        .collect()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn prediction_meets_measurement_at_utilization_0_7() {
    let _g = live();
    // Four workers holding 20 ms each, 140 requests per second: ρ = 0.7.
    let server = Server::start(&["--servers", "4", "--service-time", "fixed 20ms", "--speedup", "60"]);
    let dir = tempfile::tempdir().unwrap();
    // A load that misses the bound is measured once more: the two cores are
    // shared with whatever else runs (a compiler, the other tests' servers),
    // and a stolen time slice of a worker lengthens its hold; a real fault
    // of the model or the generator misses both times.
    let mut last = String::new();
    for attempt in 0..2 {
        let out_dir = dir.path().join(format!("attempt{attempt}"));
        std::fs::create_dir(&out_dir).unwrap();
        let (o, out) = load("tests/data/load_steady.toml", &server, &out_dir, &["--speedup", "60"]);
        ok(&o);
        let row = load_row(&out, "all");
        let (sent, measured, predicted) = (
            num(&row, "sent"),
            num(&row, "latency_mean_ms"),
            num(&row, "predicted_mean_ms"),
        );
        let gap = measured / predicted - 1.0;
        last = format!(
            "agreement: {sent} requests, measured mean {measured:.3} ms, predicted {predicted:.3} ms ({:+.2} %); \
             p99 measured {} ms, predicted {} ms; send lag p99 {} ms",
            gap * 100.0,
            row["latency_p99_ms"],
            row["predicted_p99_ms"],
            row["send_lag_p99_ms"]
        );
        eprintln!("{last}");
        assert!(sent > 3_500.0, "about 4,200 requests in 30 s: {sent}");
        assert_eq!(num(&row, "errors_connect") + num(&row, "errors_timeout"), 0.0);
        assert!(
            measured >= predicted * 0.97,
            "a real service cannot beat the model's exact service time: {last}"
        );
        // The same arrival instants meet the same fixed service time in both, so
        // what remains is the HTTP round trip on loopback (~0.1–0.3 ms), parsing,
        // and the workers' holds overshooting their 20 ms by the timer's slack.
        if gap.abs() < 0.10 {
            return;
        }
    }
    panic!("measured and predicted mean latency differ by 10 % or more twice: {last}");
}

#[test]
fn a_stall_of_the_target_shows_in_the_percentiles() {
    let _g = live();
    // Every worker stalls for 2 s, 10 s after the service starts; the load
    // runs 30 s at ~140 requests per second.
    let server = Server::start(&[
        "--servers",
        "4",
        "--service-time",
        "fixed 10ms",
        "--speedup",
        "60",
        "--pause-at",
        "10s",
        "--pause-for",
        "2s",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let (o, out) = load("tests/data/load_steady.toml", &server, dir.path(), &["--speedup", "60"]);
    // The stall makes the generator late: the summary says so, exit stays 0.
    ok(&o);
    let row = load_row(&out, "all");
    let p99 = num(&row, "latency_p99_ms");
    eprintln!(
        "coordinated omission: {} requests, p50 {} ms, p99 {p99} ms, max {} ms",
        row["sent"], row["latency_p50_ms"], row["latency_max_ms"]
    );
    // Open loop: the ~280 requests due during the stall keep their intended
    // instants, so their latency includes the wait for the stall to end (up
    // to 2 s) and the top 1 % of 4,200 lies inside it. A closed-loop tool
    // with 64 connections would have had 64 requests stuck (one per
    // connection, 1.5 % of 4,200 at best) and sent nothing else meanwhile:
    // the 280 requests it never sent would be missing from its count, and
    // its p99 would sit at the 10 ms service time.
    assert!(p99 >= 1_000.0, "p99 {p99} ms");
    assert!(num(&row, "latency_p50_ms") < 100.0, "the rest of the run is fast");
}

#[test]
fn decisions_match_the_model_and_a_broken_service_is_caught() {
    let _g = live();
    let server = Server::start(&["--servers", "4", "--service-time", "fixed 1ms", "--speedup", "3600"]);
    let dir = tempfile::tempdir().unwrap();
    let (o, good) = load_into(
        "tests/data/load_wave.toml",
        &server,
        &dir.path().join("good"),
        &["--speedup", "3600"],
    );
    let out = good.clone();
    ok(&o);
    let d = decisions(&out);
    eprintln!("decisions against serve: {d:?}");
    let row = load_row(&out, "all");
    assert_eq!(num(&row, "sent"), num(&row, "ok"), "every evaluation answered: {row:?}");
    let control = load_row(&out, "control");
    assert_eq!(
        num(&control, "sent"),
        num(&control, "ok"),
        "every control call answered: {control:?}"
    );
    assert!(d["compared"] > 10_000, "{d:?}");
    for (kind, n) in &d {
        if !matches!(kind.as_str(), "compared" | "matched" | "raced") {
            assert_eq!(*n, 0, "{kind}: {d:?}");
        }
    }
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let s = &run["load"]["scheduled"];
    assert!(s["prompts"].as_u64().unwrap() > 100, "the wave prompts: {s}");
    assert!(s["choices"].as_u64().unwrap() > 50, "people answer: {s}");
    drop(server);

    // A broken build that allows everything is a security finding.
    let server = Server::start(&[
        "--servers",
        "4",
        "--service-time",
        "fixed 1ms",
        "--speedup",
        "3600",
        "--fault",
        "allow-all",
    ]);
    let (o, out) = load_into(
        "tests/data/load_wave.toml",
        &server,
        &dir.path().join("broken"),
        &["--speedup", "3600", "--duration", "8s"],
    );
    ok(&o);
    let d = decisions(&out);
    assert!(d["allowed_but_quarantined"] > 0, "{d:?}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("SECURITY: the service allowed"), "{stdout}");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("SECURITY"), "the report names the finding");

    // `compare` reads two load folders: the broken build is a regression.
    let o = mailsim(&["compare", good.to_str().unwrap(), out.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(3), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("load.security_findings") && l.contains("worse")),
        "{text}"
    );
}

#[test]
fn the_generator_says_when_it_cannot_keep_the_schedule() {
    let _g = live();
    // One worker of 50 ms (20 per second) against 140 per second, over two
    // connections and at most 20 calls outstanding: calls wait and drop.
    let server = Server::start(&["--servers", "1", "--service-time", "fixed 50ms", "--speedup", "60"]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("load");
    let target = format!("http://{}", server.addr);
    let o = mailsim(&[
        "load",
        "tests/data/load_steady.toml",
        "--target",
        &target,
        "--speedup",
        "60",
        "--duration",
        "3s",
        "--connections",
        "2",
        "--max-in-flight",
        "20",
        "--slo",
        "load.dropped_share<=0",
        "--out",
        out.to_str().unwrap(),
    ]);
    // The SLO on a live metric fails: exit 3, every file written.
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("slo.csv").is_file() && out.join("report.html").is_file());
    let row = load_row(&out, "all");
    assert!(num(&row, "dropped") > 0.0 && num(&row, "late") > 0.0, "{row:?}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("could not keep the schedule"), "{stdout}");
    assert!(stdout.contains("dropped at --max-in-flight 20"), "{stdout}");

    // With no limit but a 1 s timeout, the calls still queued for a
    // connection when the drain runs out are dropped unsent, not counted
    // as sent and failed: every call sent ends one way only.
    let out = dir.path().join("drain");
    let o = mailsim(&[
        "load",
        "tests/data/load_steady.toml",
        "--target",
        &target,
        "--speedup",
        "60",
        "--duration",
        "3s",
        "--connections",
        "2",
        "--timeout",
        "1s",
        "--out",
        out.to_str().unwrap(),
    ]);
    ok(&o);
    let row = load_row(&out, "all");
    let ended: f64 = [
        "ok",
        "rejected",
        "errors_connect",
        "errors_timeout",
        "errors_status",
        "errors_body",
    ]
    .iter()
    .map(|c| num(&row, c))
    .sum();
    assert_eq!(num(&row, "sent"), ended, "{row:?}");
    assert!(num(&row, "dropped") > 0.0, "{row:?}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("dropped unsent"), "{stdout}");
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let bad_template = dir.path().join("t.toml");
    std::fs::write(&bad_template, "[evaluate]\nmethod = \"POST\"\npath = \"/e/{tenat}\"\n").unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["--target", "http://127.0.0.1:1"], "http://127.0.0.1:1"),
        (&["--target", "127.0.0.1:8080"], "127.0.0.1:8080"),
        (&["--target", "https://127.0.0.1:1"], "https is not supported"),
        (
            &[
                "--target",
                "http://127.0.0.1:1",
                "--template",
                bad_template.to_str().unwrap(),
            ],
            "{tenat}",
        ),
        (&["--target", "http://127.0.0.1:1", "--pool", "3"], "--pool 3"),
    ];
    for (args, needle) in cases {
        let mut all = vec!["load", "tests/data/load_steady.toml", "--out", out.to_str().unwrap()];
        all.extend_from_slice(args);
        let o = mailsim(&all);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "only the template file"
        );
    }
}
