//! Simulation speed, in simulated device requests per second.
//!
//! `cargo bench --bench throughput` measures `scenarios/scale.toml` scaled
//! to 10k, 100k and 1M connections (10M with `MAILSIM_BENCH_10M=1`) on one
//! thread, and the event queue on its own against std's `BinaryHeap` with
//! 10k and 1M pending events. docs/performance.md has the figures and the
//! commands for memory and thread scaling.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mailsim::engine::{EventQueue, SimTime};
use mailsim::run::run_replication;
use mailsim::scenario::Scenario;
use std::hint::black_box;

/// `scenarios/scale.toml` (steady polling, a prompt-always wave, 8 pools)
/// scaled to about `connections` connections and cut to 6 simulated hours,
/// so that every size measures the same mix of work.
pub fn scaled(connections: u64) -> Scenario {
    let factor = connections as f64 / 1_020_000.0;
    let count = |n: f64| ((n * factor).round() as u64).max(1);
    let text = include_str!("../scenarios/scale.toml")
        .replace("count = 18000", &format!("count = {}", count(18_000.0)))
        .replace("count = 2000 ", &format!("count = {} ", count(2_000.0)))
        .replace("horizon = \"1d\"", "horizon = \"6h\"");
    Scenario::parse(&text, "scale.toml (scaled)").expect("scaled scale.toml is valid")
}

fn whole_scenario(c: &mut Criterion) {
    let mut group = c.benchmark_group("scenario");
    group.sample_size(10);
    let mut sizes = vec![10_000u64, 100_000, 1_000_000];
    // Ten million connections take about a minute a run: opt in.
    if std::env::var_os("MAILSIM_BENCH_10M").is_some() {
        sizes.push(10_000_000);
    }
    for connections in sizes {
        let sc = scaled(connections);
        let requests = run_replication(&sc, 0, None).counters.requests;
        group.throughput(Throughput::Elements(requests));
        group.bench_with_input(BenchmarkId::new("requests", connections), &sc, |b, sc| {
            // One thread: the cost of a request, not the parallel speed-up.
            let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
            b.iter(|| pool.install(|| black_box(run_replication(sc, 0, None).counters.requests)))
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

criterion_group! {
    name = benches;
    // Criterion's own plots would need a system font; the numbers are what count.
    config = Criterion::default().without_plots();
    targets = whole_scenario, event_queue
}
criterion_main!(benches);
