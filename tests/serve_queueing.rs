//! The live pool against queueing theory: `mailsim serve --servers 4` with
//! exponential service, driven open loop with Poisson arrivals at
//! utilization 0.7 over loopback, must give the M/M/4 mean response of
//! Erlang C and the utilization it was offered.
//!
//! **Timings.** Mean service 50 ms at 56 requests/s: ρ = 56 × 0.05 / 4 =
//! 0.7. This 2-core virtual machine's `sleep` overshoots by about 0.13 ms
//! at the median, 0.5 ms at p90 and 2.5 ms at p99, and client and server
//! share its cores. At a 5 ms service time those errors are 3–50 % of a
//! service and would be measured instead of the pool; at 50 ms they are
//! under 1 % at p90, the server's hold corrects most of them (it sleeps to
//! 1 ms before the deadline and yields the rest), and a few hundred
//! microseconds of HTTP on loopback are < 1 % of the 68 ms mean response.
//! At 56 requests/s the client and server use a few percent of a core, so
//! the machine does not queue the requests itself.
//!
//! **Sample size and tolerance.** 70 s of measurement after 5 s of warm-up:
//! about 3,900 requests. Simulating M/M/4 at ρ = 0.7 for 70 s gives a
//! mean response whose standard deviation across runs is 5.4 % of the
//! mean, mostly from how many requests arrived and how long their draws
//! were. So the prediction here is Erlang C at the *realized* arrival rate
//! and mean drawn service time (both read from the server's counters),
//! which leaves a standard deviation of 3.5 %: 10 % is 2.8 of them. On
//! top, both random streams are seeded (the client's arrival times and the
//! server's service draws, which it makes in arrival order), so every run
//! replays the same sample path and only the machine's timing varies from
//! run to run. The test also prints a batch-means standard error. The
//! utilization's standard deviation over 70 s is 0.016 when the load is
//! random; with the seeded path it is the path's own value (printed) plus
//! the emulation's overshoot, well within 0.03. A 5-server pool (Erlang C
//! 55 ms) lies 19 % away, outside the band: the test can tell them apart.
//!
//! **The same sample path, ideal.** Because the server draws its service
//! times in arrival order from a seeded stream with the crate's sampler,
//! the test replays the draws and computes what an ideal FIFO pool of 4
//! gives on exactly these arrivals and services. Measured: Erlang C 66.7
//! ms, ideal pool 63.6 ms, live 64.4–65.0 ms. The 3–4 % between Erlang C
//! and the live pool is the sample path's own; the live pool is within
//! 1.3–2.3 % of the ideal one on the same path (the more so when other
//! work shares the machine), and must stay within 5 %.

mod serve_common;

use mailsim::scenario::Dist;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serve_common::{Client, Server};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SERVERS: usize = 4;
const MEAN_SERVICE_S: f64 = 0.050;
const RATE: f64 = 56.0;
const WARMUP_S: f64 = 5.0;
const MEASURE_S: f64 = 70.0;
const CLIENT_THREADS: usize = 32;
/// The server's `--seed`: the test replays its service-time stream.
const SERVER_SEED: u64 = 7;

/// The mean response an ideal FIFO pool of `c` servers gives on this exact
/// sample path (arrival times in seconds, the i-th arrival's service time),
/// over the arrivals with index in `measured`: each request starts when it
/// arrives or when the earliest server frees, whichever is later.
fn ideal_mean_response(arrivals: &[f64], services: &[f64], c: usize, measured: &[usize]) -> f64 {
    let mut free = vec![0.0f64; c];
    let mut response = vec![0.0; arrivals.len()];
    for (i, (&a, &s)) in arrivals.iter().zip(services).enumerate() {
        let k = (0..c).min_by(|&x, &y| free[x].total_cmp(&free[y])).unwrap();
        let done = a.max(free[k]) + s;
        free[k] = done;
        response[i] = done - a;
    }
    measured.iter().map(|&i| response[i]).sum::<f64>() / measured.len() as f64
}

/// Mean response time of M/M/c (Erlang C): wait C(c, a) / (cμ − λ) plus service.
fn erlang_c_response(lambda: f64, service_s: f64, c: usize) -> f64 {
    let a = lambda * service_s;
    let rho = a / c as f64;
    assert!(rho < 1.0);
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / k as f64;
        }
        sum += term;
    }
    let last = term * a / c as f64 / (1.0 - rho);
    let prob_wait = last / (sum + last);
    prob_wait / (c as f64 / service_s - lambda) + service_s
}

#[derive(Clone, Copy, Debug, Default)]
struct Snapshot {
    at: Option<Instant>,
    arrivals: f64,
    served: f64,
    held_s: f64,
    drawn_s: f64,
    wait_s: f64,
}

fn snapshot(c: &mut Client) -> Snapshot {
    let at = Instant::now();
    Snapshot {
        at: Some(at),
        arrivals: c.metric("mailsim_evaluations_total"),
        served: c.metric("mailsim_service_seconds_count"),
        held_s: c.metric("mailsim_service_seconds_sum"),
        drawn_s: c.metric("mailsim_service_drawn_seconds_total"),
        wait_s: c.metric("mailsim_wait_seconds_sum"),
    }
}

/// One measured window against a fresh server; `Err` with the report when
/// a bound is missed.
fn measure_once() -> Result<(), String> {
    let server = Server::start(&["--servers", "4", "--service-time", "exponential 50ms", "--seed", "7"]);
    // Poisson arrival times, seeded.
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut times = Vec::new();
    let mut t = 0.0;
    loop {
        t += -(1.0 - rng.r#gen::<f64>()).ln() / RATE;
        if t >= WARMUP_S + MEASURE_S {
            break;
        }
        times.push(t);
    }

    let start = Instant::now() + Duration::from_millis(200);
    let (tx, rx) = crossbeam_channel::unbounded::<(usize, Instant)>();
    let responses = Arc::new(Mutex::new(Vec::with_capacity(times.len())));
    let mut clients = Vec::new();
    for _ in 0..CLIENT_THREADS {
        let (rx, responses, mut c) = (rx.clone(), responses.clone(), server.client());
        clients.push(std::thread::spawn(move || {
            for (i, intended) in rx {
                let body = format!(r#"{{"tenant":1,"device":{i},"app":"outlook","kind":"poll"}}"#);
                let a = c.request("POST", "/v1/evaluate", body.as_bytes());
                // Open loop: charged from the intended send time, so a late
                // send (busy client, sleep overshoot) counts against us.
                let response = intended.elapsed().as_secs_f64();
                assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
                responses.lock().unwrap().push((i, response));
            }
        }));
    }
    drop(rx);
    // Counters at the start and the end of the measured window.
    let window = {
        let mut c = server.client();
        std::thread::spawn(move || {
            let mut snaps = [Snapshot::default(); 2];
            for (k, at) in [WARMUP_S, WARMUP_S + MEASURE_S].into_iter().enumerate() {
                let when = start + Duration::from_secs_f64(at);
                std::thread::sleep(when.saturating_duration_since(Instant::now()));
                snaps[k] = snapshot(&mut c);
            }
            snaps
        })
    };
    for (i, &t) in times.iter().enumerate() {
        let intended = start + Duration::from_secs_f64(t);
        std::thread::sleep(intended.saturating_duration_since(Instant::now()));
        tx.send((i, intended)).unwrap();
    }
    drop(tx);
    for c in clients {
        c.join().unwrap();
    }
    let [a, b] = window.join().unwrap();

    let mut measured: Vec<(usize, f64)> = responses
        .lock()
        .unwrap()
        .iter()
        .copied()
        .filter(|&(i, _)| times[i] >= WARMUP_S)
        .collect();
    measured.sort_unstable_by_key(|&(i, _)| i);
    let n = measured.len();
    let mean = measured.iter().map(|r| r.1).sum::<f64>() / n as f64;
    // Batch means over 20 batches in arrival order: a standard error that
    // accounts for the correlation between successive waits.
    let batches = 20;
    let per = n / batches;
    let bm: Vec<f64> = (0..batches)
        .map(|k| measured[k * per..(k + 1) * per].iter().map(|r| r.1).sum::<f64>() / per as f64)
        .collect();
    let bmean = bm.iter().sum::<f64>() / batches as f64;
    let se = (bm.iter().map(|x| (x - bmean).powi(2)).sum::<f64>() / (batches - 1) as f64 / batches as f64).sqrt();

    let span = b.at.unwrap().duration_since(a.at.unwrap()).as_secs_f64();
    let lambda = (b.arrivals - a.arrivals) / span;
    let served = b.served - a.served;
    let drawn = (b.drawn_s - a.drawn_s) / served;
    let held = (b.held_s - a.held_s) / served;
    let utilization = (b.held_s - a.held_s) / (SERVERS as f64 * span);
    let server_wait = (b.wait_s - a.wait_s) / served;
    let predicted = erlang_c_response(lambda, drawn, SERVERS);
    let nominal = erlang_c_response(RATE, MEAN_SERVICE_S, SERVERS);
    let five = erlang_c_response(RATE, MEAN_SERVICE_S, 5);
    // The server draws service times in arrival order from one stream
    // seeded with --seed, with the crate's own sampler: replay it.
    let dist = Dist::Exponential {
        mean: MEAN_SERVICE_S * 1e6,
    };
    let mut server_rng = ChaCha8Rng::seed_from_u64(SERVER_SEED);
    let services: Vec<f64> = times
        .iter()
        .map(|_| dist.sample(&mut server_rng).0 as f64 / 1e6)
        .collect();
    let indexes: Vec<usize> = measured.iter().map(|r| r.0).collect();
    let ideal = ideal_mean_response(&times, &services, SERVERS, &indexes);
    let report = format!(
        "n = {n} requests over {span:.1} s: λ = {lambda:.2}/s, service drawn {:.3} ms, held {:.3} ms \
         (+{:.3} ms); offered ρ = {:.4}, utilization {utilization:.4}\n\
         mean response {:.2} ms ± {:.2} ms (batch-means SE), server-side wait {:.2} ms\n\
         Erlang C at the realized λ and service: {:.2} ms (ratio {:.4}); at the nominal 56/s and 50 ms: \
         {:.2} ms; with 5 servers: {:.2} ms\n\
         an ideal FIFO pool on the same arrivals and service draws: {:.2} ms (live / ideal {:.4})",
        drawn * 1e3,
        held * 1e3,
        (held - drawn) * 1e3,
        lambda * drawn / SERVERS as f64,
        mean * 1e3,
        se * 1e3,
        server_wait * 1e3,
        predicted * 1e3,
        mean / predicted,
        nominal * 1e3,
        five * 1e3,
        ideal * 1e3,
        mean / ideal,
    );
    eprintln!("{report}");
    let ended = server.signal_and_wait("TERM");
    assert!(ended.status.success(), "{}", ended.stderr);
    // The band has power: a 5-server pool's prediction lies outside it.
    assert!((five / nominal - 1.0).abs() > 0.10);
    if n <= 3_500 {
        return Err(format!("too few requests: {report}"));
    }
    if (mean / predicted - 1.0).abs() > 0.10 {
        return Err(format!("mean response off Erlang C: {report}"));
    }
    if (utilization - 0.7).abs() > 0.03 {
        return Err(format!("utilization off 0.7: {report}"));
    }
    // On the same sample path, only the machine separates the live pool
    // from an ideal one: HTTP on loopback, the client's sleep overshoot,
    // thread wake-ups and the hold's overshoot, together about 0.8 ms here.
    if (mean / ideal - 1.0).abs() > 0.03 {
        return Err(format!("live pool off the ideal one: {report}"));
    }
    Ok(())
}

/// The live pool against Erlang C. Client, server and whatever else runs
/// share this machine's two cores; a window in which another process took
/// a core shows as the live pool drifting from the ideal pool on the same
/// sample path (measured 1.21 once with a compiler and two benchmarks
/// running, 1.01–1.02 alone). Such a window is measured again, once: a real
/// fault of the service fails both, since both replay the same arrivals
/// and service draws.
#[test]
fn four_servers_at_utilization_0_7_match_erlang_c() {
    if let Err(first) = measure_once() {
        eprintln!("first window missed a bound (the machine may have been busy); measuring again:\n{first}");
        if let Err(second) = measure_once() {
            panic!("both windows missed a bound:\nfirst: {first}\nsecond: {second}");
        }
    }
}
