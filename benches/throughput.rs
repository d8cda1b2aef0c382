//! Simulation speed, in simulated device requests per second.
//!
//! `cargo bench --bench throughput` measures `scenarios/scale.toml` scaled
//! to 10k, 100k and 1M connections (10M with `MAILSIM_BENCH_10M=1`) on one
//! thread, and the event queue on its own against std's `BinaryHeap` with
//! 10k and 1M pending events. `bare_loop` puts mailsim's two engines beside
//! a bare per-connection heap loop of the same polling and evaluation at 1M
//! connections, in one run. docs/performance.md has the figures and the
//! commands for memory and thread scaling.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mailsim::engine::Engine;
use mailsim::engine::{EventQueue, SimTime};
use mailsim::run::{run_replication, run_replication_on};
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

/// The floor mailsim is measured against: every connection of `sc` polls
/// at exponential intervals from one binary heap, and a poll of a managed
/// tenant (`managed` of them) is evaluated by its pool's servers (FIFO, the
/// Kiefer–Wolfowitz step over their free times, exponential service) with
/// its wait recorded. No policies, prompts, arrivals or episodes: the least
/// a per-connection simulation of this load must do. Returns the requests.
fn bare_heap_loop(connections: u32, managed: f64, sc: &Scenario) -> u64 {
    use rand::{Rng, SeedableRng};
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let horizon = sc.horizon.0;
    let mean_poll = sc.devices.poll_interval.mean_us();
    let mean_service = sc.evaluator.service_time.mean_us();
    let pools = sc.evaluator.pools as usize;
    let servers = sc.evaluator.servers as usize;
    let exp = |rng: &mut rand_chacha::ChaCha8Rng, mean: f64| (-(1.0 - rng.r#gen::<f64>()).ln() * mean) as u64;
    let mut free = vec![vec![0u64; servers]; pools];
    let mut waits = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
    let mut heap = BinaryHeap::with_capacity(connections as usize);
    for c in 0..connections {
        // Steady state: the first poll is a residual life, exponential too.
        heap.push(Reverse((exp(&mut rng, mean_poll), c)));
    }
    let managed_below = (managed * connections as f64) as u32;
    let mut requests = 0u64;
    while let Some(Reverse((t, c))) = heap.pop() {
        if t >= horizon {
            break;
        }
        requests += 1;
        if c < managed_below {
            let f = &mut free[c as usize % pools];
            let (i, first) = f.iter().enumerate().min_by_key(|x| *x.1).map(|(i, &v)| (i, v)).unwrap();
            let start = first.max(t);
            f[i] = start + exp(&mut rng, mean_service);
            waits.saturating_record(start - t);
        }
        heap.push(Reverse((t + exp(&mut rng, mean_poll), c)));
    }
    black_box(waits.len());
    requests
}

fn bare_loop(c: &mut Criterion) {
    let mut group = c.benchmark_group("bare_loop");
    group.sample_size(10);
    let sc = scaled(1_000_000);
    let connections = run_replication(&sc, 0, None).counters.connections_initial as u32;
    // The share of requests the scenario evaluates, so the bare loop does as
    // many evaluations as mailsim.
    let r = run_replication(&sc, 0, None).counters;
    let managed = r.evaluations as f64 / r.requests as f64;
    let bare_requests = bare_heap_loop(connections, managed, &sc);
    group.throughput(Throughput::Elements(bare_requests));
    group.bench_function("bare_heap_loop_1M", |b| {
        b.iter(|| black_box(bare_heap_loop(connections, managed, &sc)))
    });
    for engine in [Engine::Fast, Engine::PerConnection] {
        group.throughput(Throughput::Elements(r.requests));
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        group.bench_function(format!("mailsim_{engine}_1M"), |b| {
            b.iter(|| pool.install(|| black_box(run_replication_on(&sc, 0, engine).counters.requests)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Criterion's own plots would need a system font; the numbers are what count.
    config = Criterion::default().without_plots();
    targets = whole_scenario, event_queue, bare_loop
}
criterion_main!(benches);
