//! Time from `quirktls serve` process start to every built-in scenario ready, with a warm
//! PKI cache and a cold one (empty certs dir). Targets: < 100 ms warm, < 3 s cold.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_quirktls");

fn time_to_ready(certs_dir: &Path, expected: usize) -> Duration {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(["--certs-dir"])
        .arg(certs_dir)
        .args(["serve", "--json", "--quiet"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn quirktls serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut ready = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read ready line");
        if line.contains("\"event\":\"ready\"") {
            ready += 1;
            if ready == expected {
                break;
            }
        }
    }
    let elapsed = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ready, expected, "not every scenario became ready");
    elapsed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let expected = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
        .expect("scenarios dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        })
        .count();
    let cold: Vec<Duration> = (0..3)
        .map(|_| {
            let dir = tempfile::tempdir().expect("tempdir");
            time_to_ready(dir.path(), expected)
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    time_to_ready(dir.path(), expected);
    let warm: Vec<Duration> = (0..7)
        .map(|_| time_to_ready(dir.path(), expected))
        .collect();
    let (cold, warm) = (median(cold), median(warm));
    println!("startup: {expected} scenarios ready");
    println!(
        "  warm PKI cache: {:7.1} ms (target < 100 ms) {}",
        warm.as_secs_f64() * 1e3,
        if warm < Duration::from_millis(100) {
            "ok"
        } else {
            "MISSED"
        }
    );
    println!(
        "  cold PKI cache: {:7.1} ms (target < 3000 ms) {}",
        cold.as_secs_f64() * 1e3,
        if cold < Duration::from_secs(3) {
            "ok"
        } else {
            "MISSED"
        }
    );
}
