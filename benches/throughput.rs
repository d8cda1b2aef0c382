//! Simulation speed, in simulated device requests per second.
//!
//! `cargo bench --bench throughput` measures whole pools of a steady-polling
//! population with a prompt-always wave, at several sizes, plus the event
//! queue on its own. For the full million-connection scenario use
//! `/usr/bin/time -v target/release/mailsim run scenarios/scale.toml`
//! (see README, "Performance").

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mailsim::engine::{EventQueue, SimTime};
use mailsim::run::run_replication;
use mailsim::scenario::Scenario;
use std::hint::black_box;

/// One pool, `tenants` tenants of ~50 connections, 6 simulated hours.
fn scenario(tenants: u32) -> Scenario {
    let text = format!(
        r#"name = "bench"
horizon = "6h"
bucket = "5m"
[evaluator]
servers = 64
service_time = {{ dist = "exponential", mean = "2ms" }}
queue_timeout = "30s"
[devices]
poll_interval = {{ dist = "exponential", mean = "15m" }}
quarantined_poll_interval = {{ dist = "exponential", mean = "5m" }}
[behavior]
wave = {{ dist = "uniform", min = "0s", max = "4h" }}
[[tenants]]
name = "bench"
count = {tenants}
users = {{ dist = "uniform", min = 20, max = 60 }}
devices_per_user = {{ dist = "poisson", mean = 1.2 }}
activations_per_user_day = 0.02
readds_per_user_day = 0.01
[[tenants.changes]]
at = "1h"
policy = "any_app_prompt_always"
"#
    );
    Scenario::parse(&text, "bench").expect("bench scenario is valid")
}

fn whole_pool(c: &mut Criterion) {
    let mut group = c.benchmark_group("pool");
    group.sample_size(10);
    for tenants in [200u32, 2_000, 20_000] {
        let sc = scenario(tenants);
        let requests = run_replication(&sc, 0, None).counters.requests;
        group.throughput(Throughput::Elements(requests));
        group.bench_with_input(BenchmarkId::new("requests", tenants * 48), &sc, |b, sc| {
            b.iter(|| black_box(run_replication(sc, 0, None).counters.requests))
        });
    }
    group.finish();
}

fn event_queue(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_queue");
    for pending in [10_000u64, 1_000_000] {
        group.throughput(Throughput::Elements(pending));
        group.bench_with_input(BenchmarkId::new("hold", pending), &pending, |b, &pending| {
            // The "hold" model: pop the earliest, push it back a random step later.
            let mut q = EventQueue::new();
            let mut x = 0x9E37_79B9_7F4A_7C15u64;
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % 1_000_000
            };
            for i in 0..pending {
                q.push(SimTime(next()), i as u32);
            }
            b.iter(|| {
                for _ in 0..pending {
                    let (t, e) = q.pop().unwrap();
                    q.push(SimTime(t.0 + next()), e);
                }
            })
        });
        group.bench_with_input(
            BenchmarkId::new("hold_binary_heap", pending),
            &pending,
            |b, &pending| {
                use std::cmp::Reverse;
                use std::collections::BinaryHeap;
                let mut q = BinaryHeap::new();
                let mut x = 0x9E37_79B9_7F4A_7C15u64;
                let mut next = || {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x % 1_000_000
                };
                let mut seq = 0u64;
                for i in 0..pending {
                    q.push(Reverse((next(), seq, i as u32)));
                    seq += 1;
                }
                b.iter(|| {
                    for _ in 0..pending {
                        let Reverse((t, _, e)) = q.pop().unwrap();
                        q.push(Reverse((t + next(), seq, e)));
                        seq += 1;
                    }
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, whole_pool, event_queue);
criterion_main!(benches);
