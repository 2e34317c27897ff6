//! The runner's overhead per scenario: wall time of `quirktls run --client curl` beyond
//! curl's own, where curl's own is the same command line run alone against an
//! already-started `quirktls serve` (target < 20 ms). Also the wall time of
//! `quirktls run --client curl scenarios/ -j 2`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_quirktls");
const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
/// Copies of modern-baseline in one run, so the process start is shared as in real use.
const COPIES: usize = 20;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn timed(mut command: Command) -> (Duration, std::process::Output) {
    let started = Instant::now();
    let out = command.output().expect("run the command");
    (started.elapsed(), out)
}

/// curl against an already-started modern-baseline, the runner's curl profile line.
fn curl_alone(runs: usize) -> Duration {
    let mut serve = Command::new(BIN)
        .args(["serve", "--json", "--quiet", "modern-baseline"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn quirktls serve");
    let mut line = String::new();
    BufReader::new(serve.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let ready: serde_json::Value = serde_json::from_str(&line).expect("ready JSON");
    let field = |k: &str| ready[k].as_str().expect(k).to_string();
    let resolve = format!(
        "{}:{}:{}",
        field("server_name"),
        ready["port"],
        field("host")
    );
    let curl = || {
        let mut c = Command::new("curl");
        c.args(["-sS", "--max-time", "10", "--cacert", &field("ca_file")])
            .args(["--resolve", &resolve, &field("url")]);
        c
    };
    let (_, warm) = timed(curl());
    assert!(warm.status.success(), "curl alone failed: {warm:?}");
    let times = (0..runs).map(|_| timed(curl()).0).collect();
    let _ = serve.kill();
    let _ = serve.wait();
    median(times)
}

/// `quirktls run --client curl` over `paths`; the wall time and the outcomes (JSON lines).
fn run(paths: &[&Path], jobs: usize) -> (Duration, Vec<serde_json::Value>) {
    let mut c = Command::new(BIN);
    c.args(["run", "--client", "curl", "--json", "-j", &jobs.to_string()])
        .args(paths);
    let (wall, out) = timed(c);
    let outcomes: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    (wall, outcomes)
}

fn main() {
    let alone = curl_alone(15);

    let dir = tempfile::tempdir().expect("tempdir");
    let base = std::fs::read_to_string(format!("{SCENARIOS}/modern-baseline.yaml"))
        .expect("modern-baseline.yaml");
    for i in 0..COPIES {
        let text = base.replacen(
            "name: modern-baseline",
            &format!("name: modern-baseline-{i:02}"),
            1,
        );
        std::fs::write(dir.path().join(format!("copy-{i:02}.yaml")), text).expect("write copy");
    }
    let (_, warm) = run(&[dir.path()], 1);
    assert_eq!(warm.len(), COPIES, "one outcome per copy");
    assert!(warm.iter().all(|o| o["passed"] == true), "{warm:?}");
    let batch = median((0..3).map(|_| run(&[dir.path()], 1).0).collect());
    let per_scenario = batch.saturating_sub(alone * COPIES as u32) / COPIES as u32;

    let single_path = Path::new(SCENARIOS).join("modern-baseline.yaml");
    let single = median((0..9).map(|_| run(&[&single_path], 1).0).collect());

    let builtin = Path::new(SCENARIOS);
    let (_, outcomes) = run(&[builtin], 2);
    let count = outcomes.len();
    let all = median((0..3).map(|_| run(&[builtin], 2).0).collect());

    println!(
        "runner: curl alone against a started server {:7.1} ms (median of 15)",
        ms(alone)
    );
    println!(
        "  {COPIES} scenarios in one run, -j 1:      {:7.1} ms; per scenario {:6.1} ms beyond curl's own (target < 20 ms) {}",
        ms(batch),
        ms(per_scenario),
        if per_scenario < Duration::from_millis(20) { "ok" } else { "MISSED" }
    );
    println!(
        "  one scenario, whole process:        {:7.1} ms; {:6.1} ms beyond curl's own (ratio {:.2})",
        ms(single),
        ms(single.saturating_sub(alone)),
        single.as_secs_f64() / alone.as_secs_f64()
    );
    println!(
        "  run --client curl scenarios/ -j 2:  {:7.1} ms for {count} scenarios (median of 3)",
        ms(all)
    );
}
