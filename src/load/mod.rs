//! `mailsim load`: a scenario drives a real HTTP service. The simulation
//! decides who sends what and when; the sender sends it, at those
//! instants ÷ `--speedup`, to the target; the same run predicts what the
//! target's pool should do with that load, so that predicted and measured
//! stand side by side.
//!
//! Parts: [`schedule`] (one pool simulated ahead of the wall clock, calls
//! through a bounded channel, and the prediction), [`send`] (the open-loop
//! HTTP/1.1 sender), [`template`] (calls as HTTP requests, decisions read
//! from answers), [`record`] (what was measured), [`decisions`] (answers
//! checked against the model). This module knows nothing of files: `output`
//! writes the results and `report` draws them.
//!
//! **Which pool the target stands for.** The target is one evaluator pool,
//! as `mailsim serve` is: `load` simulates one pool of the scenario (`--pool
//! P`, default 0) and sends that pool's requests. Its prediction is the
//! scenario's evaluator (`servers`, `service_time`, `queue_timeout`, taken
//! as wall time: they describe the target) fed with exactly the requests
//! scheduled, at their wall instants; so under `--speedup K` the prediction
//! is for K times the rate against the same service time.

pub mod decisions;
pub mod record;
pub mod schedule;
pub mod send;
pub mod template;

use crate::engine::{Progress, SimTime};
use crate::error::BadInput;
use crate::model::PoolResult;
use crate::scenario::Scenario;
use decisions::DecisionCounts;
use hdrhistogram::Histogram;
use record::{Bucket, Measured};
use schedule::{Prediction, Scheduled};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;
use template::Template;

/// Where to send: an `http://` URL, parsed and resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetUrl {
    /// The URL as given.
    pub url: String,
    /// `host:port` for the Host header.
    pub authority: String,
    /// The address connected to.
    pub addr: SocketAddr,
    /// The URL's path without a trailing `/`, put before every call's path.
    pub base_path: String,
}

impl TargetUrl {
    /// Parses and resolves `url`; a bad one is bad input naming it.
    pub fn parse(url: &str) -> Result<TargetUrl, BadInput> {
        let bad = |why: &str| BadInput(format!("--target {url:?}: {why}"));
        let uri: hyper::Uri = url
            .parse()
            .map_err(|_| bad("not a URL; write http://HOST:PORT, e.g. http://127.0.0.1:8080"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => return Err(bad("https is not supported; load an http:// address")),
            Some(other) => return Err(bad(&format!("scheme {other:?} is not supported; use http://"))),
            None => return Err(bad("no scheme; write http://HOST:PORT")),
        }
        let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(|| bad("no host"))?;
        if uri.query().is_some() {
            return Err(bad("a query cannot be part of the target; put it in a --template"));
        }
        let port = uri.port_u16().unwrap_or(80);
        let addr = (host.trim_start_matches('[').trim_end_matches(']'), port)
            .to_socket_addrs()
            .map_err(|e| bad(&format!("cannot resolve {host}: {e}")))?
            .next()
            .ok_or_else(|| bad(&format!("{host} has no address")))?;
        Ok(TargetUrl {
            url: url.to_string(),
            authority: uri.authority().map_or_else(|| host.to_string(), |a| a.to_string()),
            addr,
            base_path: uri.path().trim_end_matches('/').to_string(),
        })
    }

    /// Connects once, so that an unreachable target is bad input before
    /// anything runs or is written.
    pub fn check_reachable(&self, timeout: Duration) -> Result<(), BadInput> {
        std::net::TcpStream::connect_timeout(&self.addr, timeout.min(Duration::from_secs(5)))
            .map(|_| ())
            .map_err(|e| {
                BadInput(format!(
                    "--target {}: cannot connect to {}: {e}; is the service running?",
                    self.url, self.addr
                ))
            })
    }
}

/// Settings the simulation side needs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The pool loaded.
    pub pool: u32,
    /// Simulated time per wall time.
    pub speedup: f64,
    /// Polls and pushes sent per poll or push of the model (thinned below 1).
    pub rate_scale: f64,
    /// Run number in the ids' high bits (0: plain ids).
    pub id_run: u64,
}

/// How to run a load (`mailsim load`'s flags, see `cmd::load`).
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// The target.
    pub target: TargetUrl,
    /// Simulated time runs this many times faster than wall time.
    pub speedup: f64,
    /// Stop after this much wall time (else at the horizon).
    pub duration: Option<Duration>,
    /// Polls and pushes per model poll or push.
    pub rate_scale: f64,
    /// The pool of the scenario the target stands for.
    pub pool: u32,
    /// Keep-alive connections.
    pub connections: usize,
    /// Sender threads (each runs a share of the connections).
    pub threads: usize,
    /// Polls and pushes are dropped when this many calls are outstanding.
    pub max_in_flight: usize,
    /// A call unanswered after this is a timeout.
    pub timeout: Duration,
    /// Requests and answers (`mailsim serve`'s API by default).
    pub template: Template,
    /// Run number for the ids.
    pub id_run: u64,
    /// Where to report progress.
    pub progress: Option<Arc<Progress>>,
}

impl LoadConfig {
    /// The simulated instant the load stops at: the horizon, or
    /// `--duration` × speed-up if sooner.
    pub fn stop(&self, sc: &Scenario) -> SimTime {
        match self.duration {
            Some(d) => SimTime(((d.as_secs_f64() * 1e6 * self.speedup) as u64).min(sc.horizon.0)).max(SimTime(1)),
            None => sc.horizon,
        }
    }
}

/// What a load measured and predicted.
#[derive(Clone, Debug)]
pub struct LoadResult {
    /// The pool loaded.
    pub pool: u32,
    /// Evaluations, measured.
    pub evaluations: Measured,
    /// Control calls (policies, prompts, choices), measured.
    pub control: Measured,
    /// Per bucket of the simulated clock.
    pub buckets: Vec<Bucket>,
    /// The dispatcher's own lag.
    pub dispatch_lag: Histogram<u64>,
    /// The model's prediction for the compressed load.
    pub prediction: Prediction,
    /// Decisions compared, by kind.
    pub decisions: DecisionCounts,
    /// What was scheduled.
    pub scheduled: Scheduled,
    /// Calls the template does not send.
    pub not_sent: u64,
    /// Calls that waited for a free connection.
    pub queued: u64,
    /// Evaluations dropped unsent when the drain time ran out.
    pub abandoned: u64,
    /// From t=0 to the last call dispatched.
    pub dispatch_span: Duration,
    /// From t=0 to the last answer.
    pub wall: Duration,
    /// Simulated instant the load stopped at.
    pub stop: SimTime,
}

/// A load's results: the loaded pool's simulation and the measurements.
pub struct LoadRun {
    /// The pool's simulation, as one replication of one pool.
    pub pool: PoolResult,
    /// What was measured and predicted.
    pub load: LoadResult,
}

/// Runs the load of `sc` against `cfg.target`.
pub fn run(sc: &Scenario, cfg: &LoadConfig) -> anyhow::Result<LoadRun> {
    let stop = cfg.stop(sc);
    let mut sc = sc.clone();
    sc.horizon = stop;
    sc.replications = 1;
    let settings = Settings {
        pool: cfg.pool,
        speedup: cfg.speedup,
        rate_scale: cfg.rate_scale,
        id_run: cfg.id_run,
    };
    let (tx, rx) = tokio::sync::mpsc::channel(schedule::AHEAD);
    let sim_sc = sc.clone();
    let sim = std::thread::Builder::new()
        .name("load-schedule".into())
        .spawn(move || schedule::simulate(&sim_sc, &settings, tx))?;
    let send_settings = send::SendSettings {
        addr: cfg.target.addr,
        host: hyper::header::HeaderValue::from_str(&cfg.target.authority)
            .map_err(|_| BadInput(format!("--target {}: not a valid host", cfg.target.url)))?,
        base_path: cfg.target.base_path.clone(),
        connections: cfg.connections,
        threads: cfg.threads,
        max_in_flight: cfg.max_in_flight,
        timeout: cfg.timeout,
        speedup: cfg.speedup,
        bucket: sc.bucket,
        buckets: sc.bucket_count(),
        template: Arc::new(cfg.template.clone()),
        progress: cfg.progress.clone(),
    };
    let sent = send::send(send_settings, rx);
    let out = sim
        .join()
        .map_err(|_| anyhow::anyhow!("the schedule's simulation panicked"))?;
    let sent = sent?;
    let mut rec = sent.recorder;
    // A tenant's policy calls go out on one sender thread and its devices'
    // calls on others: a failed policy call taints them all.
    for m in &mut rec.decisions.mismatches {
        m.after_failure |= rec.failed_tenants.contains(&m.tenant);
    }
    mark_service_behind(&mut rec);
    let decisions = decisions::classify(
        rec.decisions.compared,
        rec.decisions.matched,
        &rec.decisions.mismatches,
        out.transitions,
        cfg.speedup,
    );
    Ok(LoadRun {
        pool: out.result,
        load: LoadResult {
            pool: cfg.pool,
            evaluations: rec.evaluations,
            control: rec.control,
            buckets: rec.buckets,
            dispatch_lag: rec.dispatch_lag.unwrap_or_else(record::latency_histogram),
            prediction: out.prediction,
            decisions,
            scheduled: out.scheduled,
            not_sent: sent.not_sent,
            queued: sent.queued,
            abandoned: sent.abandoned,
            dispatch_span: sent.dispatch_span,
            wall: sent.wall,
            stop,
        },
    })
}

/// Marks the disagreements the service may have made before it learned of
/// a change (`decisions::behind`): changes indexed by device and by tenant,
/// so that a broken service's many disagreements stay cheap to check.
fn mark_service_behind(rec: &mut record::Recorder) {
    use std::collections::HashMap;
    let mut by_device: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut by_tenant: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, c) in rec.changes.iter().enumerate() {
        match c.device {
            Some(d) => by_device.entry(d).or_default().push(i),
            None => by_tenant.entry(c.tenant).or_default().push(i),
        }
    }
    let changes = &rec.changes;
    for m in &mut rec.decisions.mismatches {
        let of = |ix: Option<&Vec<usize>>| ix.is_some_and(|v| v.iter().any(|&i| decisions::behind(m, &changes[i])));
        m.service_behind = of(by_device.get(&m.device)) || of(by_tenant.get(&m.tenant));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_urls_are_checked() {
        let t = TargetUrl::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!((t.authority.as_str(), t.base_path.as_str()), ("127.0.0.1:8080", ""));
        assert_eq!(t.addr, "127.0.0.1:8080".parse().unwrap());
        let t = TargetUrl::parse("http://127.0.0.1:9/api/").unwrap();
        assert_eq!(t.base_path, "/api");
        for bad in [
            "127.0.0.1:8080",
            "https://127.0.0.1",
            "ftp://x",
            "http://",
            "not a url",
            "http://127.0.0.1:8080/?q=1",
        ] {
            let e = TargetUrl::parse(bad).unwrap_err();
            assert!(e.0.contains(bad), "{bad}: {}", e.0);
        }
    }
}
