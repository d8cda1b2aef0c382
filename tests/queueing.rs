//! The evaluator against queueing theory. A population of connections with
//! exponential poll intervals sends a Poisson stream of requests (a
//! superposition of independent Poisson processes), so a pool is an M/M/c
//! queue with exponential service and M/D/1 with fixed service.
//!
//! Each test runs on both engines (the fast engine's pool is a
//! Kiefer–Wolfowitz recursion fed by one aggregated Poisson stream; the
//! per-connection engine's is event-driven, fed by every connection's own
//! polls). Each runs 10 independent replications and compares the mean of
//! their mean waits with theory, allowing 4 standard errors measured from
//! the spread across replications (a false alarm about 1 in 16,000 runs).
//! It also requires that standard error to be under 4 % of the expected
//! value, so the test has the power to catch a wrong model.

mod common;
use common::{num, rows, run};

fn scenario(servers: u32, service: &str, connections: u32) -> String {
    format!(
        r#"name = "queueing theory"
seed = 11
horizon = "1000s"
replications = 10
bucket = "100s"

[evaluator]
servers = {servers}
service_time = {service}

[devices]
poll_interval = {{ dist = "exponential", mean = "1s" }}

[[tenants]]
name = "one"
count = 1
users = {{ dist = "fixed", value = {connections} }}
devices_per_user = {{ dist = "fixed", value = 1 }}
third_party_share = 0.0
policy = "any_app_prompt_once"
"#
    )
}

/// Per-replication values of an evaluator column (pool `all`).
fn per_replication(out: &std::path::Path, col: &str) -> Vec<f64> {
    rows(out, "evaluator.csv")
        .iter()
        .filter(|r| r["pool"] == "all" && r["replication"] != "all")
        .map(|r| num(r, col))
        .collect()
}

fn mean_and_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

fn check(name: &str, xs: &[f64], expected: f64) {
    let (mean, se) = mean_and_se(xs);
    eprintln!("{name}: measured {mean:.4} ± {se:.4} (1 se), theory {expected:.4}");
    assert!(
        se < 0.04 * expected,
        "{name}: too noisy to judge (se {se}, expected {expected})"
    );
    assert!(
        (mean - expected).abs() <= 4.0 * se,
        "{name}: measured {mean} ± {se}, theory {expected}"
    );
}

/// Erlang C: probability that an arrival waits in M/M/c with offered load a = λ/μ.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / k as f64;
        }
        sum += term;
    }
    let last = term * a / c as f64 * c as f64 / (c as f64 - a);
    last / (sum + last)
}

#[test]
fn erlang_c_is_3_over_5_point_3() {
    // Sanity of the formula itself: c = 4, a = 3 gives 13.5 / 26.5.
    assert!((erlang_c(4, 3.0) - 13.5 / 26.5).abs() < 1e-12);
}

const ENGINES: [&str; 2] = ["fast", "per-connection"];

#[test]
fn mmc_mean_wait_matches_erlang_c() {
    // λ = 300/s (300 connections polling every 1 s on average), μ = 100/s, c = 4.
    let (lambda, mu, c) = (300.0, 100.0, 4);
    for engine in ENGINES {
        let r = run(
            &scenario(c, r#"{ dist = "exponential", mean = "10ms" }"#, 300),
            &["--engine", engine],
        );
        let expected_wait_ms = erlang_c(c, lambda / mu) / (c as f64 * mu - lambda) * 1e3;
        check(
            &format!("{engine}: M/M/4 mean wait (ms)"),
            &per_replication(&r.out, "wait_mean_ms"),
            expected_wait_ms,
        );
        check(
            &format!("{engine}: M/M/4 utilization"),
            &per_replication(&r.out, "utilization"),
            lambda / (c as f64 * mu),
        );
    }
}

#[test]
fn md1_mean_wait_matches_pollaczek_khinchine() {
    // λ = 75/s, fixed 10 ms service, one server: ρ = 0.75, W = ρ / (2μ(1-ρ)) = 15 ms.
    for engine in ENGINES {
        let r = run(
            &scenario(1, r#"{ dist = "fixed", value = "10ms" }"#, 75),
            &["--engine", engine],
        );
        check(
            &format!("{engine}: M/D/1 mean wait (ms)"),
            &per_replication(&r.out, "wait_mean_ms"),
            15.0,
        );
        check(
            &format!("{engine}: M/D/1 utilization"),
            &per_replication(&r.out, "utilization"),
            0.75,
        );
    }
}
