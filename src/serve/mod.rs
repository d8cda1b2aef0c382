//! `mailsim serve`: a live quarantine-evaluation service to test against.
//!
//! It decides with the same pure rules as the simulator
//! ([`crate::model::decide`]) and emulates the capacity of one simulated
//! evaluator pool with real threads, sockets and queues. Layers:
//! [`api`] (HTTP, JSON) → [`pool`] (workers, FIFO queue, service times,
//! queue timeout, pause fault) → [`state`] (tenants and devices) → the
//! rules; [`clock`] runs the rules' time faster; [`metrics`] counts.
//! This module does not know about the simulator's engine or output.

pub mod api;
pub mod clock;
pub mod flags;
pub mod metrics;
pub mod pool;
pub mod state;

use crate::error::BadInput;
use crate::scenario::Dist;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// A fault to inject, for testing the testers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer `allow` to every evaluation (a broken build of the service).
    AllowAll,
}

/// How to run the service (`mailsim serve`'s flags, see `cmd::serve`).
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Evaluator worker threads behind the one FIFO queue.
    pub servers: u32,
    /// Service time per evaluation, in wall time.
    pub service_time: Dist,
    /// A request that waited this long for a worker is answered 503.
    pub queue_timeout: Option<Duration>,
    /// How many times faster than wall time the service clock runs.
    pub speedup: f64,
    /// Stall every worker this long after start...
    pub pause_at: Option<Duration>,
    /// ...for this long.
    pub pause_for: Option<Duration>,
    /// A fault to inject.
    pub fault: Option<Fault>,
    /// Seed of the service-time draws.
    pub seed: u64,
    /// Threads that run HTTP (tokio workers).
    pub io_threads: u32,
}

/// Runs the service until SIGINT or SIGTERM, then finishes the requests in
/// flight and prints its counters on stdout.
pub fn run(args: &ServeConfig) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.io_threads as usize)
        .thread_name("serve-io")
        .enable_all()
        .build()?;
    runtime.block_on(serve(args))
}

async fn serve(args: &ServeConfig) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    // Listen for signals before anyone can learn the address, so that an
    // early SIGTERM already shuts down cleanly.
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| BadInput(format!("--listen {}: {e}", args.listen)))?;
    let addr = listener.local_addr()?;

    let clock = clock::Clock::new(args.speedup);
    let registry = Arc::new(state::Registry::new());
    let metrics = Arc::new(metrics::Metrics::default());
    let config = pool::PoolConfig {
        servers: args.servers as usize,
        service_time: args.service_time.clone(),
        queue_timeout: args.queue_timeout,
        pause: args.pause_at.zip(args.pause_for),
        seed: args.seed,
        allow_all: args.fault == Some(Fault::AllowAll),
    };
    let pool = pool::Pool::start(config, registry.clone(), clock, metrics.clone())?;
    let state = Arc::new(api::AppState {
        pool,
        registry,
        clock,
        metrics,
        retry_after_s: 1,
    });
    eprintln!("listening on {addr}");
    axum::serve(listener, api::router(state.clone()))
        .with_graceful_shutdown(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            eprintln!("shutting down: finishing the requests in flight");
        })
        .await?;
    state.pool.shutdown();
    println!("{}", summary(&state));
    Ok(())
}

/// The counters printed at shutdown.
fn summary(st: &api::AppState) -> String {
    use crate::model::decide::Access;
    let m = &st.metrics;
    let served = m.service.count();
    let held = m.service.sum_secs();
    let drawn = m.drawn_us.load(Relaxed) as f64 / 1e6;
    let uptime = st.clock.wall().as_secs_f64();
    let mean_ms = |h: &metrics::Histogram| {
        if h.count() == 0 {
            0.0
        } else {
            h.sum_secs() * 1e3 / h.count() as f64
        }
    };
    format!(
        "mailsim serve: {} evaluations in {uptime:.1} s: {served} served, {} rejected; \
         decisions allow {}, quarantine {}, block {}; {} prompts; {} bad requests\n  \
         mean wait {:.3} ms, mean service held {:.3} ms (drawn {:.3} ms), utilization {:.3}",
        m.arrivals.load(Relaxed),
        m.rejected.load(Relaxed),
        m.decisions_of(Access::Allow),
        m.decisions_of(Access::Quarantine),
        m.decisions_of(Access::Block),
        m.prompts.load(Relaxed),
        m.bad_requests.load(Relaxed),
        mean_ms(&m.wait),
        mean_ms(&m.service),
        if served == 0 { 0.0 } else { drawn * 1e3 / served as f64 },
        if uptime > 0.0 {
            held / (uptime * st.pool.servers() as f64)
        } else {
            0.0
        },
    )
}
