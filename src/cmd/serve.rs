//! `mailsim serve`: the flags of the live service; the service itself is
//! the top-level `serve` module.

use crate::scenario::Dist;
use crate::serve::{Fault, ServeConfig};
use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::time::Duration;

/// A fault to inject, for testing the testers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FaultArg {
    /// Answer `allow` to every evaluation (a broken build of the service).
    AllowAll,
}

/// Arguments of `mailsim serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed on stderr).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Evaluator worker threads behind the one FIFO queue.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub servers: u32,
    /// Service time per evaluation (wall time): "fixed 2ms", "uniform 1ms 9ms",
    /// "exponential 5ms" or "lognormal 5ms 0.5" (median, sigma); "fixed 0" for none.
    #[arg(long, default_value = "exponential 5ms", value_parser = crate::serve::flags::parse_service_time)]
    pub service_time: Dist,
    /// Answer 503 to an evaluation that waited this long for a worker [default: wait forever].
    #[arg(long, value_parser = crate::serve::flags::parse_wall)]
    pub queue_timeout: Option<Duration>,
    /// Run the service clock (quarantine timeouts) this many times faster than wall time.
    #[arg(long, default_value = "1", allow_negative_numbers = true, value_parser = crate::serve::flags::parse_speedup)]
    pub speedup: f64,
    /// Fault: stall every worker this long after start (wall time)...
    #[arg(long, requires = "pause_for", value_parser = crate::serve::flags::parse_wall)]
    pub pause_at: Option<Duration>,
    /// ...for this long (a garbage-collection pause or a failover).
    #[arg(long, requires = "pause_at", value_parser = crate::serve::flags::parse_wall)]
    pub pause_for: Option<Duration>,
    /// Fault to inject.
    #[arg(long, value_enum)]
    pub fault: Option<FaultArg>,
    /// Seed of the service-time draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Threads that run HTTP (tokio workers).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub io_threads: u32,
}

/// Runs the service until SIGINT or SIGTERM.
pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    crate::serve::run(&ServeConfig {
        listen: args.listen,
        servers: args.servers,
        service_time: args.service_time.clone(),
        queue_timeout: args.queue_timeout,
        speedup: args.speedup,
        pause_at: args.pause_at,
        pause_for: args.pause_for,
        fault: args.fault.map(|FaultArg::AllowAll| Fault::AllowAll),
        seed: args.seed,
        io_threads: args.io_threads,
    })
}
