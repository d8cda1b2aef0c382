//! The progress bar on stderr while a run simulates: simulated time,
//! events per second and ETA. Hidden when stderr is not a terminal or with
//! `--quiet`, so logs and pipes stay clean.

use crate::engine::Progress;
use crate::engine::SimTime;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running progress display; `finish` removes it.
pub struct ProgressDisplay {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ProgressDisplay {
    /// Starts drawing `progress` (out of `total_us` simulated microseconds,
    /// `horizon` per pool) unless hidden.
    pub fn start(progress: &Arc<Progress>, total_us: u64, horizon: SimTime, quiet: bool) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        if quiet || !std::io::stderr().is_terminal() || total_us == 0 {
            return ProgressDisplay { stop, thread: None };
        }
        let (progress, flag) = (Arc::clone(progress), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let bar = ProgressBar::new(total_us);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{bar:30}] {percent:>3}%  {msg}  ETA {eta}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            let started = Instant::now();
            let units = (total_us / horizon.0.max(1)).max(1);
            while !flag.load(Ordering::Relaxed) {
                let done = progress.simulated_us.load(Ordering::Relaxed);
                let events = progress.events.load(Ordering::Relaxed);
                let rate = events as f64 / started.elapsed().as_secs_f64().max(1e-3);
                bar.set_position(done.min(total_us));
                bar.set_message(format!(
                    "{} of {} simulated × {units} pool-runs, {:.1} M events/s",
                    short(done / units),
                    short(horizon.0),
                    rate / 1e6
                ));
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        ProgressDisplay {
            stop,
            thread: Some(thread),
        }
    }

    /// Starts drawing a load's progress: how far its schedule got (`stop`
    /// is where it ends, simulated) and the calls sent per second.
    pub fn start_load(progress: &Arc<Progress>, stop: SimTime, speedup: f64, quiet: bool) -> Self {
        let stop_flag = Arc::new(AtomicBool::new(false));
        if quiet || !std::io::stderr().is_terminal() || stop.0 == 0 {
            return ProgressDisplay {
                stop: stop_flag,
                thread: None,
            };
        }
        let (progress, flag) = (Arc::clone(progress), Arc::clone(&stop_flag));
        let thread = std::thread::spawn(move || {
            let bar = ProgressBar::new(stop.0);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{bar:30}] {percent:>3}%  {msg}  ETA {eta}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            let started = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                let done = progress.simulated_us.load(Ordering::Relaxed);
                let calls = progress.events.load(Ordering::Relaxed);
                let rate = calls as f64 / started.elapsed().as_secs_f64().max(1e-3);
                bar.set_position(done.min(stop.0));
                bar.set_message(format!(
                    "{} of {} simulated (×{speedup}), {rate:.0} calls/s sent",
                    short(done),
                    short(stop.0),
                ));
                std::thread::sleep(Duration::from_millis(200));
            }
            bar.finish_and_clear();
        });
        ProgressDisplay {
            stop: stop_flag,
            thread: Some(thread),
        }
    }

    /// Stops and clears the display.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Simulated time, rounded for a progress line: "3.2 d", "5.0 h".
fn short(us: u64) -> String {
    crate::report::summary::duration(us as f64 / 1e6)
}
