//! Helpers for the `mailsim serve` tests: start the real binary on a free
//! loopback port, talk HTTP/1.1 to it over keep-alive connections with
//! a plain `TcpStream`, and always stop it (a guard kills it on drop).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `mailsim serve`; killed when dropped.
pub struct Server {
    child: Option<Child>,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    stderr: mpsc::Receiver<String>,
}

/// How the server ended.
pub struct Ended {
    /// Its exit status.
    pub status: ExitStatus,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
}

impl Server {
    /// Starts `mailsim serve --listen 127.0.0.1:0 ARGS` and waits for its address.
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mailsim"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mailsim serve");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        // Drain stderr for good, so that the pipe never fills.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("listening on ") {
                        return Server {
                            child: Some(child),
                            addr: addr.trim().to_string(),
                            stderr: rx,
                        };
                    }
                    seen.push_str(&line);
                    seen.push('\n');
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("mailsim serve {args:?} did not start: {seen}");
                }
            }
        }
    }

    /// A new keep-alive connection.
    pub fn client(&self) -> Client {
        Client::connect(&self.addr)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Sends `signal` (e.g. "TERM") and waits for the exit, at most 30 s.
    pub fn signal_and_wait(mut self, signal: &str) -> Ended {
        let pid = self.pid().to_string();
        let ok = Command::new("kill").args(["-s", signal, &pid]).status().unwrap();
        assert!(ok.success(), "kill -s {signal} {pid}");
        self.wait(Duration::from_secs(30))
    }

    /// Waits for the process to exit by itself, at most `limit`.
    pub fn wait(&mut self, limit: Duration) -> Ended {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("mailsim serve did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut stdout = String::new();
        child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
        let mut stderr = String::new();
        // The reader thread ends at EOF, so this drains what is left.
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_secs(2)) {
            stderr.push_str(&line);
            stderr.push('\n');
        }
        Ended { status, stdout, stderr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&self.body)))
    }
}

/// A keep-alive HTTP/1.1 connection.
pub struct Client {
    addr: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Client {
    /// Connects lazily to `addr`.
    pub fn connect(addr: &str) -> Client {
        Client {
            addr: addr.to_string(),
            stream: None,
        }
    }

    fn stream(&mut self) -> std::io::Result<&mut BufReader<TcpStream>> {
        if self.stream.is_none() {
            let s = TcpStream::connect(&self.addr)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(Duration::from_secs(60)))?;
            self.stream = Some(BufReader::new(s));
        }
        Ok(self.stream.as_mut().unwrap())
    }

    /// Sends one request and reads its answer; an I/O error drops the connection.
    pub fn try_request(&mut self, method: &str, path: &str, body: &[u8]) -> std::io::Result<Answer> {
        let r = self.exchange(method, path, body);
        if r.is_err() {
            self.stream = None;
        }
        r
    }

    /// Sends one request and reads its answer (panics on I/O errors).
    pub fn request(&mut self, method: &str, path: &str, body: &[u8]) -> Answer {
        self.try_request(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Sends a JSON (or any text) body; returns the status and the JSON answer.
    pub fn call(&mut self, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        let a = self.request(method, path, body.as_bytes());
        (a.status, a.json())
    }

    fn exchange(&mut self, method: &str, path: &str, body: &[u8]) -> std::io::Result<Answer> {
        let host = self.addr.clone();
        let s = self.stream()?;
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(body);
        s.get_mut().write_all(&req)?;
        let mut line = String::new();
        if s.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed"));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            s.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((n, v)) = l.split_once(':') {
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| std::io::Error::other("no content-length"))?;
        let mut body = vec![0; len];
        s.read_exact(&mut body)?;
        if headers
            .iter()
            .any(|(n, v)| n == "connection" && v.eq_ignore_ascii_case("close"))
        {
            self.stream = None;
        }
        Ok(Answer { status, headers, body })
    }

    /// `POST /v1/evaluate`; returns the status and the JSON answer.
    pub fn evaluate(&mut self, tenant: u64, device: u64, app: &str, kind: &str) -> (u16, serde_json::Value) {
        let body = format!(r#"{{"tenant":{tenant},"device":{device},"app":"{app}","kind":"{kind}"}}"#);
        self.call("POST", "/v1/evaluate", &body)
    }

    /// `PUT /v1/tenants/{tenant}/policy`; panics unless 200.
    pub fn set_policy(&mut self, tenant: u64, policy: &str, mdm: bool) -> serde_json::Value {
        let body = format!(r#"{{"policy":"{policy}","mdm":{mdm}}}"#);
        let (status, v) = self.call("PUT", &format!("/v1/tenants/{tenant}/policy"), &body);
        assert_eq!(status, 200, "{v}");
        v
    }

    /// The value of an unlabelled metric, or of a labelled line given in full.
    pub fn metric(&mut self, line_start: &str) -> f64 {
        let a = self.request("GET", "/metrics", b"");
        let text = String::from_utf8(a.body).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(line_start).and_then(|rest| rest.strip_prefix(' ')))
            .unwrap_or_else(|| panic!("no metric {line_start}"))
            .parse()
            .unwrap()
    }
}
