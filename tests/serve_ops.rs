//! Operating `mailsim serve`: SIGTERM and SIGINT under load end cleanly
//! (in-flight requests answered, counters printed, exit 0); bad flags and
//! a port in use exit 2 naming the flag or the address.

mod serve_common;

use serve_common::{Client, Server};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn signal_under_load(signal: &str) {
    let server = Server::start(&["--servers", "4", "--service-time", "exponential 2ms"]);
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..8)
        .map(|t| {
            let (stop, answered, addr) = (stop.clone(), answered.clone(), server.addr.clone());
            std::thread::spawn(move || {
                let mut c = Client::connect(&addr);
                let deadline = Instant::now() + Duration::from_secs(10);
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    let body = format!(
                        r#"{{"tenant":{t},"device":{},"app":"third_party","kind":"poll"}}"#,
                        t * 1_000_000 + i
                    );
                    i += 1;
                    match c.try_request("POST", "/v1/evaluate", body.as_bytes()) {
                        // Every answer given is a real one, right to the end.
                        Ok(a) => {
                            assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
                            answered.fetch_add(1, Ordering::Relaxed);
                        }
                        // Closed or refused once shutdown began: stop.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    let before = answered.load(Ordering::Relaxed);
    assert!(before > 100, "under load: {before} answers");
    let ended = server.signal_and_wait(signal);
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    assert_eq!(ended.status.code(), Some(0), "{}", ended.stderr);
    assert!(ended.stderr.contains("shutting down"), "{}", ended.stderr);
    // The counters: at least every answer the clients got was served.
    let served: u64 = ended
        .stdout
        .split_once(" served")
        .and_then(|(head, _)| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no counters printed: {}", ended.stdout));
    assert!(served >= answered.load(Ordering::Relaxed), "{}", ended.stdout);
}

#[test]
fn sigterm_under_load_ends_cleanly() {
    signal_under_load("TERM");
}

#[test]
fn sigint_under_load_ends_cleanly() {
    signal_under_load("INT");
}

fn serve(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mailsim"))
        .arg("serve")
        .args(args)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    let cases: [(&[&str], &str); 8] = [
        (&["--servers", "0"], "--servers"),
        (&["--service-time", "gamma 5ms"], "--service-time"),
        (&["--service-time", "exponential"], "--service-time"),
        (&["--queue-timeout", "30"], "--queue-timeout"),
        (&["--speedup", "-1"], "--speedup"),
        (&["--pause-at", "1s"], "--pause-for"),
        (&["--listen", "localhost"], "--listen"),
        (&["--fault", "crash"], "--fault"),
    ];
    for (args, flag) in cases {
        let (code, stderr) = serve(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?} should name {flag}: {stderr}");
    }
}

#[test]
fn a_port_in_use_exits_2_naming_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stderr) = serve(&["--listen", &addr]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(&addr) && stderr.contains("--listen"), "{stderr}");
}
