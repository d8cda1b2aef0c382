//! The open-loop sender: every call goes out at its intended instant
//! (simulated time ÷ speed-up) whatever the earlier answers do, over a
//! fixed pool of HTTP/1.1 keep-alive connections (hyper; `threads` sender
//! threads, each a single-thread tokio runtime with its share of the
//! connections, every call about one device on the same thread), and its
//! latency is counted from that intended instant, as wrk2 does, so that a
//! stall of the target is charged to every request it delayed (no
//! coordinated omission).
//!
//! A dispatcher thread walks the schedule and sleeps until each instant
//! (`std::thread::sleep`, a high-resolution timer, with the thread's timer
//! slack cut to 1 µs; tokio's timer has a 1 ms resolution), waking at most
//! once per [`QUANTUM`], then hands the calls due, in batches, to the
//! sender threads, which run the connections. Sleeping rather than spinning leaves the cores to the
//! target, which shares this machine in tests. A due call goes to an idle
//! connection, or waits in one FIFO queue until a connection is free; polls
//! and pushes are dropped (and counted) when `max_in_flight` calls are
//! already queued or on the wire. Calls that change what the service knows
//! (policies, prompts, choices, activations, re-adds, registrations) are
//! never dropped, and those about one device go out one after the other:
//! a prompt sent on one connection must not overtake, on another, the
//! registration it depends on. The send lag (put on a connection −
//! intended) is recorded; the dispatcher's own lag too, which tells a
//! generator that cannot keep up from a target that holds every connection.

use super::record::{LATE, Recorder, record};
use super::schedule::{Call, Ids, Op};
use super::template::Template;
use crate::engine::{Progress, SimTime};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{SendRequest, handshake};
use hyper::header::{HOST, HeaderValue};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// A call due within this is handed on now with the others due, rather
/// than slept for: a sleep costs a wake-up, and overshoots by about as much.
pub const EARLY: Duration = Duration::from_micros(20);

/// The dispatcher wakes at most once per quantum: at high rates the calls
/// due go out together, up to this late, instead of one wake-up (and one
/// of the target's) per call. Well under the 1 ms that counts as late.
pub const QUANTUM: Duration = Duration::from_micros(250);

/// Calls handed to the connections' thread at once, at most.
const HANDOFF: usize = 256;
/// A due call waits at most this long for others to be handed on with it:
/// one wake-up of the connections' thread per batch, not per call.
const HOLD: Duration = Duration::from_micros(100);

/// How to send.
#[derive(Clone, Debug)]
pub struct SendSettings {
    /// The target's address.
    pub addr: SocketAddr,
    /// The Host header: the URL's authority.
    pub host: HeaderValue,
    /// The URL's path, put before every call's path ("" for none).
    pub base_path: String,
    /// Keep-alive connections, over all sender threads.
    pub connections: usize,
    /// Sender threads, each with its own runtime and share of the connections.
    pub threads: usize,
    /// Polls and pushes are dropped when this many calls are queued or on the wire.
    pub max_in_flight: usize,
    /// A call not answered within this is a timeout.
    pub timeout: Duration,
    /// Simulated time runs this many times faster than wall time.
    pub speedup: f64,
    /// Width of a time bucket (simulated).
    pub bucket: SimTime,
    /// Number of buckets.
    pub buckets: usize,
    /// Requests and answers.
    pub template: Arc<Template>,
    /// Where to report how far the schedule got.
    pub progress: Option<Arc<Progress>>,
}

/// What the sender did.
pub struct Sent {
    /// Everything measured.
    pub recorder: Recorder,
    /// From the schedule's t=0 to the last call dispatched.
    pub dispatch_span: Duration,
    /// From the schedule's t=0 to the last answer.
    pub wall: Duration,
    /// Calls the template does not send (control calls of another API).
    pub not_sent: u64,
    /// Calls that waited in the queue for a free connection.
    pub queued: u64,
    /// Evaluations still waiting for a connection when the drain time ran
    /// out: dropped unsent (also counted in `dropped`).
    pub abandoned: u64,
}

#[derive(Clone, Copy)]
struct Job {
    call: Call,
    intended: Instant,
}

struct Queue {
    pending: VecDeque<Job>,
    idle: Vec<usize>,
    busy: usize,
    slots: Vec<mpsc::UnboundedSender<Job>>,
    /// State-changing calls out per device, and the ones waiting behind them.
    ordered: HashMap<u64, VecDeque<Job>>,
    /// Calls held in `ordered` behind another.
    held: usize,
    /// Calls that waited in `pending` for a free connection.
    queued: u64,
}

struct Shared {
    s: SendSettings,
    queue: RefCell<Queue>,
    rec: RefCell<Recorder>,
    not_sent: RefCell<u64>,
}

/// What the dispatcher thread measured.
struct Dispatched {
    lag: hdrhistogram::Histogram<u64>,
    start: Instant,
    last: Instant,
}

/// How one exchange ended.
enum Exchange {
    Answered(StatusCode, Bytes),
    Timeout,
    Broken,
}

/// Sends every call of `rx` at its instant; returns when the schedule is
/// done and the last answer is in (or the drain time ran out).
pub fn send(s: SendSettings, rx: mpsc::Receiver<Vec<Call>>) -> anyhow::Result<Sent> {
    let threads = s.threads.clamp(1, s.connections.max(1));
    let (mut txs, mut rxs) = (Vec::new(), Vec::new());
    for _ in 0..threads {
        let (tx, jobs) = mpsc::unbounded_channel();
        txs.push(tx);
        rxs.push(jobs);
    }
    let (speedup, progress) = (s.speedup, s.progress.clone());
    let dispatcher = std::thread::Builder::new()
        .name("load-dispatch".into())
        .spawn(move || dispatch_thread(rx, txs, speedup, progress.as_deref()))?;
    // Each sender thread has its share of the connections and of the
    // in-flight bound, and its own runtime; the last one is this thread.
    let mut shard = s.clone();
    shard.connections = s.connections.max(1).div_ceil(threads);
    shard.max_in_flight = s.max_in_flight.div_ceil(threads).max(1);
    let mut others = Vec::new();
    let last = rxs.pop().expect("one thread at least");
    for (i, jobs) in rxs.into_iter().enumerate() {
        let shard = shard.clone();
        others.push(
            std::thread::Builder::new()
                .name(format!("load-send-{i}"))
                .spawn(move || run_thread(shard, jobs))?,
        );
    }
    let mut sent = run_thread(shard, last);
    for t in others {
        let theirs = t.join().map_err(|_| anyhow::anyhow!("a load sender thread panicked"))?;
        match (&mut sent, theirs) {
            (Ok(mine), Ok(theirs)) => mine.merge(&theirs),
            (Ok(_), Err(e)) => sent = Err(e),
            (Err(_), _) => {}
        }
    }
    let d = dispatcher
        .join()
        .map_err(|_| anyhow::anyhow!("the load's dispatcher panicked"))?;
    let mut sent = sent?;
    sent.dispatch_span = d.last.saturating_duration_since(d.start);
    sent.wall = d.start.elapsed();
    sent.recorder.dispatch_lag = Some(d.lag);
    Ok(sent)
}

/// One sender thread: a single-thread runtime running its connections.
fn run_thread(s: SendSettings, jobs: mpsc::UnboundedReceiver<Vec<Job>>) -> anyhow::Result<Sent> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run(s, jobs))
}

impl Sent {
    /// Adds another sender thread's measurements.
    fn merge(&mut self, o: &Sent) {
        self.recorder.merge(&o.recorder);
        self.not_sent += o.not_sent;
        self.queued += o.queued;
        self.abandoned += o.abandoned;
    }
}

/// The sender thread of a call: every call about one device goes to the
/// same one, so that its state-changing calls stay in order.
fn thread_of(op: &Op, threads: usize) -> usize {
    op.device().map_or(0, |d| (d % threads as u64) as usize)
}

/// Cuts this thread's timer slack (Linux: 50 µs by default) to 1 ns, so
/// that its sleeps end when asked; elsewhere nothing.
fn precise_timers() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_TIMERSLACK) takes plain integers and only
    // changes this thread's timer slack.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
    }
}

/// The dispatcher thread: sleeps until each call's instant and hands the
/// calls due to the connections' thread.
fn dispatch_thread(
    mut rx: mpsc::Receiver<Vec<Call>>,
    txs: Vec<mpsc::UnboundedSender<Vec<Job>>>,
    speedup: f64,
    progress: Option<&Progress>,
) -> Dispatched {
    precise_timers();
    let mut lag = super::record::latency_histogram();
    // t=0 a little ahead, so that the connections (each opens its own as
    // it starts) are open before the first calls.
    let start = Instant::now() + Duration::from_millis(50);
    let mut last = start;
    let mut woke = start;
    let n = txs.len();
    let mut out: Vec<Vec<Job>> = (0..n).map(|_| Vec::with_capacity(HANDOFF)).collect();
    // The intended instant of the oldest call not handed on yet.
    let mut oldest: Option<Instant> = None;
    // Hands on every thread's calls; false when the senders are gone.
    let flush = |out: &mut Vec<Vec<Job>>, oldest: &mut Option<Instant>| -> bool {
        *oldest = None;
        out.iter_mut()
            .zip(&txs)
            .all(|(o, tx)| o.is_empty() || tx.send(std::mem::replace(o, Vec::with_capacity(HANDOFF))).is_ok())
    };
    'calls: while let Some(batch) = rx.blocking_recv() {
        for call in batch {
            let intended = start + Duration::from_nanos((call.at.0 as f64 * 1e3 / speedup) as u64);
            let mut now = Instant::now();
            if intended > now + EARLY {
                // Hand on what is due before sleeping.
                if !flush(&mut out, &mut oldest) {
                    break 'calls;
                }
                let wake = intended.max(woke + QUANTUM);
                std::thread::sleep(wake.saturating_duration_since(now));
                now = Instant::now();
                woke = now;
            }
            record(&mut lag, now.saturating_duration_since(intended));
            if let Some(p) = progress {
                p.simulated_us.store(call.at.0, Relaxed);
                p.events.fetch_add(1, Relaxed);
            }
            let t = thread_of(&call.op, n);
            out[t].push(Job { call, intended });
            last = now;
            let first = *oldest.get_or_insert(intended);
            if (out[t].len() >= HANDOFF || now.saturating_duration_since(first) >= HOLD)
                && !flush(&mut out, &mut oldest)
            {
                break 'calls;
            }
        }
        // The schedule's batch is done: what is due goes now.
        if !flush(&mut out, &mut oldest) {
            break;
        }
    }
    Dispatched { lag, start, last }
}

async fn run(s: SendSettings, mut jobs: mpsc::UnboundedReceiver<Vec<Job>>) -> anyhow::Result<Sent> {
    let n = s.connections.max(1);
    let buckets = s.buckets;
    let drain = s.timeout + Duration::from_secs(1);
    let sh = Rc::new(Shared {
        s,
        queue: RefCell::new(Queue {
            pending: VecDeque::new(),
            idle: (0..n).rev().collect(),
            busy: 0,
            slots: Vec::with_capacity(n),
            ordered: HashMap::new(),
            held: 0,
            queued: 0,
        }),
        rec: RefCell::new(Recorder::new(buckets)),
        not_sent: RefCell::new(0),
    });
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (tx, job_rx) = mpsc::unbounded_channel();
        sh.queue.borrow_mut().slots.push(tx);
        tasks.push(tokio::task::spawn_local(connection(i, sh.clone(), job_rx)));
    }
    while let Some(batch) = jobs.recv().await {
        for job in batch {
            dispatch(&sh, job);
        }
    }
    let dispatch_span = Duration::ZERO;
    // No more calls: connections finish the queue, then stop.
    sh.queue.borrow_mut().slots.clear();
    let mut abandoned = 0;
    let joined = tokio::time::timeout(drain, async {
        for t in &mut tasks {
            let _ = t.await;
        }
    })
    .await;
    if joined.is_err() {
        let mut q = sh.queue.borrow_mut();
        let mut rec = sh.rec.borrow_mut();
        // Calls still waiting for a connection never went out: dropped,
        // not failed. Calls on the wire did go out and got no answer.
        let held: Vec<Job> = q.ordered.drain().flat_map(|(_, w)| w.into_iter().skip(1)).collect();
        for job in q.pending.drain(..).chain(held) {
            if matches!(job.call.op, Op::Evaluate { .. }) {
                abandoned += 1;
                rec.evaluations.counts.dropped += 1;
                rec.bucket(bucket_of(&sh, job.call.at)).dropped += 1;
            } else {
                rec.control.counts.dropped += 1;
            }
        }
        rec.evaluations.counts.sent += q.busy as u64;
        rec.evaluations.counts.err_timeout += q.busy as u64;
        for t in &tasks {
            t.abort();
        }
    }
    let recorder = sh.rec.borrow().clone();
    let not_sent = *sh.not_sent.borrow();
    let queued = sh.queue.borrow().queued;
    let wall = Duration::ZERO;
    Ok(Sent {
        recorder,
        dispatch_span,
        wall,
        not_sent,
        queued,
        abandoned,
    })
}

fn bucket_of(sh: &Shared, at: SimTime) -> usize {
    (at.0 / sh.s.bucket.0.max(1)) as usize
}

/// The device whose calls must go out in order: that of a call that
/// changes what the service knows about a device.
fn ordered_device(op: &Op) -> Option<u64> {
    if op.changes_state() { op.device() } else { None }
}

fn dispatch(sh: &Shared, job: Job) {
    if !sh.s.template.sends(&job.call.op) {
        *sh.not_sent.borrow_mut() += 1;
        return;
    }
    let mut q = sh.queue.borrow_mut();
    if !job.call.op.changes_state() && q.pending.len() + q.busy + q.held >= sh.s.max_in_flight {
        let mut rec = sh.rec.borrow_mut();
        rec.evaluations.counts.dropped += 1;
        rec.bucket(bucket_of(sh, job.call.at)).dropped += 1;
        return;
    }
    if let Some(d) = ordered_device(&job.call.op) {
        // The first call of a device stands for itself in its line; the
        // ones behind it wait for it to be answered.
        let line = q.ordered.entry(d).or_default();
        if !line.is_empty() {
            line.push_back(job);
            q.held += 1;
            return;
        }
        line.push_back(job);
    }
    start(&mut q, job);
}

/// Puts a call on an idle connection, or in the queue for the next free one.
fn start(q: &mut Queue, job: Job) {
    match q.idle.pop() {
        Some(c) => {
            q.busy += 1;
            // A connection task lives until its slot is dropped.
            let _ = q.slots[c].send(job);
        }
        None => {
            q.queued += 1;
            q.pending.push_back(job);
        }
    }
}

/// A state-changing call of a device was answered: the next in its line goes.
fn release(sh: &Shared, device: u64) {
    let mut q = sh.queue.borrow_mut();
    let Some(line) = q.ordered.get_mut(&device) else { return };
    line.pop_front();
    match line.front().copied() {
        Some(next) => {
            q.held -= 1;
            start(&mut q, next);
        }
        None => {
            q.ordered.remove(&device);
        }
    }
}

async fn connection(i: usize, sh: Rc<Shared>, mut rx: mpsc::UnboundedReceiver<Job>) {
    let mut conn = connect(&sh.s).await;
    let mut next: Option<Job> = None;
    loop {
        let job = match next.take() {
            Some(j) => j,
            None => match rx.recv().await {
                Some(j) => j,
                None => break,
            },
        };
        let device = ordered_device(&job.call.op);
        exchange(&sh, &mut conn, job).await;
        if let Some(d) = device {
            release(&sh, d);
        }
        let mut q = sh.queue.borrow_mut();
        match q.pending.pop_front() {
            Some(j) => next = Some(j),
            None => {
                q.busy -= 1;
                q.idle.push(i);
            }
        }
    }
}

async fn connect(s: &SendSettings) -> Option<SendRequest<Full<Bytes>>> {
    let tcp = tokio::time::timeout(s.timeout, tokio::net::TcpStream::connect(s.addr))
        .await
        .ok()?
        .ok()?;
    let _ = tcp.set_nodelay(true);
    let (sender, conn) = handshake(TokioIo::new(tcp)).await.ok()?;
    tokio::task::spawn_local(async move {
        let _ = conn.await;
    });
    Some(sender)
}

async fn exchange(sh: &Shared, conn: &mut Option<SendRequest<Full<Bytes>>>, job: Job) {
    let s = &sh.s;
    let Some(prep) = s.template.prepare(&job.call.op) else {
        return; // `dispatch` only passes calls the template sends
    };
    if conn.as_ref().is_none_or(|c| c.is_closed()) {
        *conn = connect(s).await;
    }
    let sent = Instant::now();
    let outcome = match conn.as_mut() {
        None => Exchange::Broken,
        Some(sender) => {
            let mut b = Request::builder()
                .method(prep.method)
                .uri(format!("{}{}", s.base_path, prep.path))
                .header(HOST, s.host.clone());
            for (name, value) in prep.headers {
                b = b.header(name, value);
            }
            match b.body(Full::new(Bytes::from(prep.body))) {
                Err(_) => Exchange::Broken,
                Ok(req) => {
                    let call = async {
                        sender.ready().await?;
                        let resp = sender.send_request(req).await?;
                        let status = resp.status();
                        let body = resp.into_body().collect().await?.to_bytes();
                        Ok::<_, hyper::Error>((status, body))
                    };
                    match tokio::time::timeout(s.timeout, call).await {
                        Ok(Ok((status, body))) => Exchange::Answered(status, body),
                        Ok(Err(_)) => Exchange::Broken,
                        Err(_) => Exchange::Timeout,
                    }
                }
            }
        }
    };
    if !matches!(outcome, Exchange::Answered(..)) {
        *conn = None; // an unknown state: start afresh
    }
    note(sh, &job, sent, Instant::now(), outcome);
}

/// Records how a call ended.
fn note(sh: &Shared, job: &Job, sent: Instant, done: Instant, outcome: Exchange) {
    let mut rec = sh.rec.borrow_mut();
    let rec = &mut *rec;
    let op = job.call.op;
    let eval = matches!(op, Op::Evaluate { .. });
    let lag = sent.saturating_duration_since(job.intended);
    let latency = done.saturating_duration_since(job.intended);
    let b = bucket_of(sh, job.call.at);
    let mut ok = false;
    let mut answered = false;
    {
        let m = if eval { &mut rec.evaluations } else { &mut rec.control };
        m.counts.sent += 1;
        record(&mut m.lag, lag);
        if lag > LATE {
            m.counts.late += 1;
        }
    }
    let mut mismatch = None;
    match outcome {
        Exchange::Answered(status, body) if status.is_success() => {
            answered = true;
            match (op, eval) {
                (Op::Evaluate { expect, .. }, true) => match sh.s.template.read(&body) {
                    Ok(answer) => {
                        ok = true;
                        if let (Some(e), Some(a)) = (expect, answer) {
                            rec.decisions.compared += 1;
                            let prompt_ok = a.prompt.is_none_or(|p| p == e.prompt);
                            if a.decision == e.decision && prompt_ok {
                                rec.decisions.matched += 1;
                            } else {
                                mismatch = Some((e, a));
                            }
                        }
                    }
                    Err(_) => rec.evaluations.counts.err_body += 1,
                },
                _ => ok = true,
            }
        }
        Exchange::Answered(StatusCode::SERVICE_UNAVAILABLE, _) => {
            answered = true;
            let m = if eval { &mut rec.evaluations } else { &mut rec.control };
            m.counts.rejected += 1;
        }
        Exchange::Answered(..) => {
            let m = if eval { &mut rec.evaluations } else { &mut rec.control };
            m.counts.err_status += 1;
        }
        Exchange::Timeout => {
            let m = if eval { &mut rec.evaluations } else { &mut rec.control };
            m.counts.err_timeout += 1;
        }
        Exchange::Broken => {
            let m = if eval { &mut rec.evaluations } else { &mut rec.control };
            m.counts.err_connect += 1;
        }
    }
    {
        let m = if eval { &mut rec.evaluations } else { &mut rec.control };
        if ok {
            m.counts.ok += 1;
        }
        if answered {
            record(&mut m.latency, latency);
            m.latency_sum_us += latency.as_micros().max(1);
        }
    }
    let device = op.device();
    if let Some((e, a)) = mismatch {
        let device = device.unwrap_or(0);
        let Op::Evaluate { app, .. } = op else {
            unreachable!("only evaluations are compared")
        };
        rec.decisions.mismatches.push(super::decisions::Mismatch {
            key: Ids::key((device & 0xffff_ffff) as u32, app),
            tenant: op.tenant(),
            device,
            intended: job.intended,
            service_behind: false,
            at: job.call.at,
            flight: latency,
            service: a.decision,
            model: e.decision,
            prompt_only: a.decision == e.decision,
            new_since: e.new_since,
            after_failure: rec.failed_devices.contains(&device) || rec.failed_tenants.contains(&op.tenant()),
        });
    }
    if op.changes_state() {
        rec.changes.push(super::record::ChangeCall {
            device,
            tenant: op.tenant(),
            intended: job.intended,
            answered: done,
        });
    }
    if !ok && op.changes_state() {
        match op {
            Op::Policy { tenant, .. } => {
                rec.failed_tenants.insert(tenant);
            }
            _ => {
                if let Some(d) = device {
                    rec.failed_devices.insert(d);
                }
            }
        }
    }
    let bucket = rec.bucket(b);
    if eval {
        bucket.sent += 1;
        if ok {
            bucket.ok += 1;
        } else {
            bucket.errors += 1;
        }
        if answered {
            record(
                bucket.latency.get_or_insert_with(super::schedule::bucket_histogram),
                latency,
            );
        }
        record(bucket.lag.get_or_insert_with(super::schedule::bucket_histogram), lag);
    } else {
        bucket.control += 1;
    }
}
