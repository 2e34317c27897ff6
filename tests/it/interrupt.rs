//! `quirktls run` stopped by SIGINT or SIGTERM mid-run: every report is written, with
//! the runs that did not finish marked not run, the exit status is 130, and no client
//! process (nor one it started) outlives it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{kill_process, Pid, Signal};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_quirktls");
const SCENARIOS: [&str; 4] = ["modern-baseline", "tls12-only", "sni-required", "expired"];

/// A client template: curl against modern-baseline, so one run finishes; against the
/// others a shell that records its pid and that of a `sleep` it starts, then waits.
const CLIENT: &str = r#"
if [ "$1" = modern-baseline ]; then
  exec curl -sS --max-time 20 --cacert "$2" --resolve "$3:$4:127.0.0.1" "https://$3:$4/"
fi
echo $$ >> "$5"
sleep 600 &
echo $! >> "$5"
wait
"#;

/// Whether `pid` is still a live process (a zombie, killed but not yet reaped by init,
/// is not).
fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        !state.starts_with('Z')
    })
}

fn interrupt_mid_run(signal: Signal, jobs: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let pids = path("pids");
    let mut child = Command::new(BIN)
        .args(["run", "--json", "-j", jobs, "--junit"])
        .arg(path("r.xml"))
        .arg("--html")
        .arg(path("r.html"))
        .args(SCENARIOS)
        .args(["--", "sh", "-c", CLIENT, "sh"])
        .args(["{scenario}", "{ca_file}", "{sni}", "{port}"])
        .arg(&pids)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until `jobs` sleeping clients have each started their sleep (two pids each).
    let want = 2 * jobs.parse::<usize>().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let started = loop {
        let text = std::fs::read_to_string(&pids).unwrap_or_default();
        let started: Vec<String> = text.lines().map(str::to_string).collect();
        if started.len() >= want {
            break started;
        }
        assert!(Instant::now() < deadline, "clients did not start: {text:?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(started.iter().all(|p| alive(p)), "{started:?}");
    kill_process(Pid::from_child(&child), signal).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "run did not stop on {signal:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let started: Vec<String> = std::fs::read_to_string(&pids)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let survivors: Vec<&String> = started.iter().filter(|p| alive(p)).collect();
    assert!(
        survivors.is_empty(),
        "clients outlived the run: {survivors:?}"
    );

    // JSON lines: one per scenario, in order; the finished one passed, the rest not run.
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let rows: Vec<(&str, &str, bool)> = lines
        .iter()
        .map(|o| {
            (
                o["scenario"].as_str().unwrap(),
                o["verdict"].as_str().unwrap(),
                o["passed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("modern-baseline", "pass", true),
            ("tls12-only", "not_run", false),
            ("sni-required", "not_run", false),
            ("expired", "not_run", false),
        ],
        "{stderr}"
    );
    assert_eq!(lines[0]["exit"], 0);
    assert!(lines[1]["exit"].is_null());

    // JUnit, parsed by Python's ElementTree: the three not run are skipped.
    let script = "import sys,xml.etree.ElementTree as E\n\
                  r=E.parse(sys.argv[1]).getroot()\n\
                  print(r.get('tests'), r.get('skipped'), r.get('failures'))\n\
                  for c in r.findall('.//testcase'):\n\
                  \x20   s=c.find('skipped')\n\
                  \x20   print(c.get('name'), 'skipped' if s is not None else 'ran')";
    let parsed = Command::new("python3")
        .args(["-c", script])
        .arg(path("r.xml"))
        .output()
        .unwrap();
    assert!(parsed.status.success(), "{parsed:?}");
    assert_eq!(
        String::from_utf8_lossy(&parsed.stdout),
        "4 3 0\nmodern-baseline × sh ran\ntls12-only × sh skipped\n\
         sni-required × sh skipped\nexpired × sh skipped\n"
    );

    // HTML: a row per scenario, its cell carrying the verdict.
    let page = std::fs::read_to_string(path("r.html")).unwrap();
    for (scenario, verdict, _) in &rows {
        assert!(
            page.contains(&format!("<th scope=\"row\">{scenario}</th>")),
            "{scenario}"
        );
        assert!(
            page.contains(&format!(
                "data-scenario=\"{scenario}\" data-client=\"sh\" data-verdict=\"{verdict}\""
            )),
            "{scenario}: {verdict}"
        );
    }
    assert!(page.contains("1 passed, 0 failed, 3 not run (interrupted)"));
}

#[test]
fn sigint_mid_run_writes_every_report_kills_the_clients_and_exits_130() {
    interrupt_mid_run(Signal::INT, "1");
}

/// Two clients sleeping at once, both stopped by SIGTERM.
#[test]
fn sigterm_stops_every_run_under_way() {
    interrupt_mid_run(Signal::TERM, "2");
}

/// The table says it too.
#[test]
fn the_table_marks_runs_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let mut child = Command::new(BIN)
        .args(["run", "modern-baseline", "tls12-only"])
        .args(["--", "sh", "-c", CLIENT, "sh"])
        .args(["{scenario}", "{ca_file}", "{sni}", "{port}"])
        .arg(&pids)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&pids)
        .unwrap_or_default()
        .lines()
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "the client did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    kill_process(Pid::from_child(&child), Signal::INT).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "run did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let table: String = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") + "\n")
        .collect();
    assert_eq!(
        table,
        "modern-baseline sh pass (exit 0)\n\
         tls12-only sh not run (interrupted)\n\
         1 passed, 0 failed, 1 not run (interrupted)\n"
    );
}
