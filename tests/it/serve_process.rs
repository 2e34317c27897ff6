//! `quirktls serve` as a child process: its ready lines, its stderr log lines as they
//! come, and a stop that waits for it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_quirktls");

/// A running `quirktls serve --json`, killed on drop.
pub struct Serve {
    child: Child,
    /// One ready line per scenario.
    pub ready: Vec<Value>,
    stderr: Receiver<String>,
}

impl Serve {
    /// Start `serve --json ARGS...` and wait for a ready line per scenario in `scenarios`.
    pub fn start(args: &[&str], scenarios: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--json"])
            .args(args)
            .args(scenarios)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start quirktls serve");
        let (tx, stderr) = channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut ready = Vec::new();
        while ready.len() < scenarios.len() {
            let mut line = String::new();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "serve ended before it was ready"
            );
            ready.push(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}")));
        }
        Self {
            child,
            ready,
            stderr,
        }
    }

    /// The address of `scenario`.
    pub fn addr(&self, scenario: &str) -> std::net::SocketAddr {
        let line = self
            .ready
            .iter()
            .find(|r| r["scenario"] == scenario)
            .unwrap_or_else(|| panic!("no ready line for {scenario}"));
        line["addr"].as_str().unwrap().parse().unwrap()
    }

    /// The next stderr line, within 15 s.
    pub fn log_line(&self) -> String {
        self.stderr
            .recv_timeout(Duration::from_secs(15))
            .expect("a log line on stderr within 15 s")
    }

    /// Stop it with SIGINT (Ctrl-C) and wait, at most 15 s, for it to exit.
    pub fn stop(mut self) {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "serve did not stop on SIGINT");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
