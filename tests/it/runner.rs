//! `quirktls run`: real clients against the built-in scenarios, one verdict per
//! scenario × client, as a table, JSON lines, JUnit XML and an HTML page that headless
//! Chromium loads.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_quirktls");
const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");

/// Exit code, stdout, stderr.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .arg("run")
        .args(args)
        .output()
        .expect("run quirktls");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The built-in scenarios in the order `run` takes a directory: by file name.
/// Scenario, client, verdict and exit code of each JSON line.
fn verdict_rows(lines: &[Value]) -> Vec<(&str, &str, bool, i64)> {
    lines
        .iter()
        .map(|o| {
            (
                o["scenario"].as_str().unwrap(),
                o["client"].as_str().unwrap(),
                o["passed"].as_bool().unwrap(),
                o["exit"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn builtin_names() -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(SCENARIOS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// A copy of built-in `name` in `dir` with `from` replaced by `to`; its path.
fn edited(dir: &Path, name: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(format!("{SCENARIOS}/{name}.yaml")).unwrap();
    assert!(text.contains(from), "{name}.yaml has no `{from}`");
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text.replace(from, to)).unwrap();
    path.to_string_lossy().into_owned()
}

/// The DOM of `page` after headless Chromium loaded it (its stderr noise is ignored).
fn chromium_dom(page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium (Debian's `chromium`, installed by .ci/deps)");
    // Read while waiting: the DOM is larger than a pipe holds.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut dom).map(|_| dom)
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "chromium exited with {status}");
    let dom = reader.join().unwrap().expect("chromium's DOM is UTF-8");
    assert!(dom.contains("<table"), "chromium dumped no page: {dom:?}");
    dom
}

/// The page's verdict cells and the details each links to, read from Chromium's DOM with
/// an independent HTML parser (Python's html.parser): one JSON object per cell with its
/// data attributes and the text of the element its link targets.
fn cells(dom: &str) -> Vec<Value> {
    let script = r#"
import html.parser, json, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.cells = []; self.cell = None; self.text = {}; self.open = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'td' and 'data-verdict' in a:
            self.cell = {k: a[k] for k in ('data-scenario', 'data-client', 'data-verdict')}
            self.cell['colour'] = a['class']
            self.cells.append(self.cell)
        if tag == 'a' and self.cell is not None:
            self.cell['href'] = a['href']
        if tag == 'section':
            self.open.append(a['id']); self.text[a['id']] = ''
    def handle_endtag(self, tag):
        if tag == 'td': self.cell = None
        if tag == 'section': self.open.pop()
    def handle_data(self, data):
        for i in self.open: self.text[i] += data
p = P(); p.feed(sys.stdin.read())
for c in p.cells:
    c['details'] = p.text.get(c.get('href', '#')[1:])
    print(json.dumps(c))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dom.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    json_lines(&String::from_utf8(out.stdout).unwrap())
}

/// curl and openssl in one run over every built-in scenario: the JSON lines, the JUnit XML
/// and the HTML page (as Chromium loads it) agree on every verdict, and only the quirks
/// both clients miss fail.
#[test]
fn curl_and_openssl_over_every_builtin_agree_in_json_junit_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let (xml, page) = (dir.path().join("r.xml"), dir.path().join("r.html"));
    let (code, stdout, stderr) = run(&[
        "--client",
        "curl",
        "--client",
        "openssl",
        "-j",
        "2",
        "--json",
        "--junit",
        xml.to_str().unwrap(),
        "--html",
        page.to_str().unwrap(),
        SCENARIOS,
    ]);
    assert_eq!(code, Some(1), "any failure exits 1: {stderr}");
    assert_eq!(stderr, "", "no progress bar when stderr is not a terminal");
    let lines = json_lines(&stdout);

    // Scenario order, then client order.
    let order: Vec<(String, String)> = lines
        .iter()
        .map(|o| {
            (
                o["scenario"].as_str().unwrap().into(),
                o["client"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = builtin_names()
        .into_iter()
        .flat_map(|s| [(s.clone(), "curl".into()), (s, "openssl".into())])
        .collect();
    assert_eq!(order, expected);

    // Both accept a CN-only certificate and an X.509 v1 leaf: the quirks they miss, seen
    // by the server and in their exit status.
    let failed: Vec<String> = lines
        .iter()
        .filter(|o| o["passed"] == false)
        .map(|o| {
            format!(
                "{} × {}",
                o["scenario"].as_str().unwrap(),
                o["client"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        failed,
        [
            "no-san-cn-only × curl",
            "no-san-cn-only × openssl",
            "x509v1-leaf × curl",
            "x509v1-leaf × openssl"
        ],
        "{stdout}"
    );
    for o in lines.iter().filter(|o| o["passed"] == false) {
        let fields: Vec<&str> = o["mismatches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["handshake", "http_request", "client_exit"], "{o}");
        assert_eq!(o["exit"], 0, "{o}");
    }
    // Scripted connections carry their transcript; curl's exit status is in every line.
    let bad_finished = &lines[0];
    assert_eq!(bad_finished["scenario"], "bad-finished");
    assert_eq!(bad_finished["exit"], 35, "curl: SSL connect error");
    assert!(
        bad_finished["transcript"]
            .as_str()
            .unwrap()
            .contains("ClientHello"),
        "{bad_finished}"
    );

    // JUnit, parsed by Python's ElementTree: one case per scenario × client.
    let script = "import sys,xml.etree.ElementTree as E\n\
                  r=E.parse(sys.argv[1]).getroot()\n\
                  cases=r.findall('.//testcase')\n\
                  print(len(cases), r.get('tests'), r.get('failures'))\n\
                  for c in cases:\n\
                  \x20   if c.find('failure') is not None: print(c.get('name'))";
    let parsed = Command::new("python3")
        .args(["-c", script, xml.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let n = lines.len();
    assert_eq!(
        String::from_utf8_lossy(&parsed.stdout),
        format!("{n} {n} 4\n{}\n", failed.join("\n"))
    );

    // The HTML page as Chromium loaded it: one cell per outcome with the JSON line's
    // verdict, coloured by it, opening details with that connection's server log line.
    let by_pair: BTreeMap<(String, String), &Value> = order.iter().cloned().zip(&lines).collect();
    let cells = cells(&chromium_dom(&page));
    assert_eq!(cells.len(), lines.len());
    for cell in &cells {
        let key = (
            cell["data-scenario"].as_str().unwrap().to_string(),
            cell["data-client"].as_str().unwrap().to_string(),
        );
        let o = by_pair[&key];
        let verdict = if o["passed"] == true { "pass" } else { "fail" };
        assert_eq!(cell["data-verdict"], verdict, "{key:?}");
        assert_eq!(cell["colour"], format!("verdict {verdict}"), "{key:?}");
        let details = cell["details"]
            .as_str()
            .unwrap_or_else(|| panic!("{key:?}: no details"));
        let log = o["server_log"].as_str().unwrap();
        assert!(
            !log.is_empty() && details.contains(log),
            "{key:?}: {details}"
        );
        for m in o["mismatches"].as_array().unwrap() {
            assert!(details.contains(m["observed"].as_str().unwrap()), "{key:?}");
        }
        let transcript = o["transcript"].as_str().unwrap();
        let first = transcript.lines().next().unwrap_or("no transcript");
        assert!(details.contains(first), "{key:?}: {details}");
    }
}

#[test]
fn a_wrong_expectation_flips_to_fail_and_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = edited(
        dir.path(),
        "modern-baseline",
        "version: tls1.3",
        "version: tls1.2",
    );
    let (code, out, _) = run(&["--client", "curl", &file]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("version: expected TLS 1.2, observed TLS 1.3"),
        "{out}"
    );
    assert!(out.ends_with("0 passed, 1 failed\n"), "{out}");

    let (code, out, _) = run(&["--client", "curl", "modern-baseline"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.ends_with("1 passed, 0 failed\n"), "{out}");
}

/// The server sees what it expects on `expired` (curl aborts), but the edited scenario
/// says the client should have succeeded: the client's exit status alone fails it.
#[test]
fn a_client_exit_that_differs_from_the_expectation_fails_naming_client_exit() {
    let dir = tempfile::tempdir().unwrap();
    let file = edited(
        dir.path(),
        "expired",
        "client_exit: failure",
        "client_exit: success",
    );
    let (code, out, _) = run(&["--client", "curl", &file]);
    assert_eq!(code, Some(1), "{out}");
    let expected = "expired  curl  FAIL  (exit 60)\n\
                    client_exit: expected success, observed failure (exit 60)\n\
                    0 passed, 1 failed\n";
    let got: String = out.lines().map(|l| l.trim().to_string() + "\n").collect();
    assert_eq!(got, expected, "{out}");
}

#[test]
fn a_bad_client_exit_value_is_an_input_error_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = edited(
        dir.path(),
        "expired",
        "client_exit: failure",
        "client_exit: maybe",
    );
    let line = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .position(|l| l == "  client_exit: maybe")
        .unwrap()
        + 1;
    let at = format!("{file}:{line}:16: ");
    let validate = Command::new(BIN)
        .args(["validate", &file])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&validate.stderr);
    assert_eq!(validate.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&at),
        "expected {at} at the start of: {stderr}"
    );
    assert!(
        stderr.contains("maybe") && stderr.contains("success") && stderr.contains("failure"),
        "{stderr}"
    );

    let (code, out, err) = run(&["--client", "curl", &file]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains(&at), "{err}");
    assert_eq!(out, "", "nothing runs");
}

/// A template next to a profile of the same program: two clients, told apart by name.
#[test]
fn a_client_template_runs_beside_a_profile_in_json_lines() {
    let (code, out, err) = run(&[
        "--json",
        "--client",
        "curl",
        "modern-baseline",
        "sni-required",
        "--",
        "/usr/bin/curl",
        "-sS",
        "--cacert",
        "{ca_file}",
        "--resolve",
        "{sni}:{port}:{host}",
        "{url}",
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    let lines = json_lines(&out);
    let pairs = verdict_rows(&lines);
    assert_eq!(
        pairs,
        [
            ("modern-baseline", "curl", true, 0),
            ("modern-baseline", "curl (command)", true, 0),
            ("sni-required", "curl", true, 0),
            ("sni-required", "curl (command)", true, 0),
        ]
    );
    assert!(lines[3]["server_log"]
        .as_str()
        .unwrap()
        .contains("SNI=server.quirktls.test"));
    // The runner captures every connection: rustls ones get a transcript off the wire.
    let transcript = lines[0]["transcript"].as_str().unwrap();
    assert!(
        transcript.starts_with("<<< TLS 1.0, Handshake") && transcript.contains("ServerHello"),
        "{transcript}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = run(&["modern-baseline"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--client"), "{err}");

    let (code, _, err) = run(&["--client", "curl", "--client", "curl", "modern-baseline"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("client `curl` given twice"), "{err}");

    let (code, _, err) = run(&["--client", "lynx", "modern-baseline"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("java"), "the profiles are listed: {err}");

    let (code, _, err) = run(&[
        "--client",
        "curl",
        "--html",
        "/nonexistent-dir/report.html",
        "modern-baseline",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("cannot write --html /nonexistent-dir/report.html (hint:"),
        "{err}"
    );
}

/// Java's JSSE through the embedded TlsClient.java: the baseline completes, IIS's
/// renegotiation gets the PKCS#12 client certificate, an expired certificate is refused
/// with SSLHandshakeException (exit 3).
#[test]
fn the_java_profile_renegotiates_and_refuses_an_expired_certificate() {
    let (code, out, err) = run(&[
        "--client",
        "java",
        "-j",
        "2",
        "--json",
        "modern-baseline",
        "iis-renegotiation",
        "expired",
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    let lines = json_lines(&out);
    let exits = verdict_rows(&lines);
    assert_eq!(
        exits,
        [
            ("modern-baseline", "java", true, 0),
            ("iis-renegotiation", "java", true, 0),
            ("expired", "java", true, 3),
        ]
    );
    let subject = "CN=quirktls test client,OU=clients,O=quirktls";
    let reneg = &lines[1];
    assert!(
        reneg["server_log"].as_str().unwrap().contains(&format!(
            "client cert: {subject}, renegotiated, request: GET /java"
        )),
        "{reneg}"
    );
    assert!(
        reneg["output_tail"]
            .as_str()
            .unwrap()
            .ends_with(&format!("client cert: {subject}")),
        "the 200 page names the certificate: {reneg}"
    );
    assert!(reneg["transcript"]
        .as_str()
        .unwrap()
        .contains("HelloRequest"));
    assert!(
        lines[2]["output_tail"]
            .as_str()
            .unwrap()
            .contains("error: javax.net.ssl.SSLHandshakeException"),
        "{}",
        lines[2]
    );
}

/// On a terminal (a pty from util-linux `script`) a progress bar counts the runs on stderr
/// and is cleared before the table; the non-terminal tests above see no trace of it.
#[test]
fn a_terminal_gets_a_progress_bar_that_counts_runs() {
    let command = format!("{BIN} run --client curl modern-baseline sni-required expired");
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("run script (util-linux)");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    // Counts out of 3 and names the run under way. indicatif draws at most 20 times a
    // second, so which counts show depends on the machine's speed: at least one does.
    let bars: Vec<&str> = screen
        .split("\x1b[2K")
        .filter(|l| l.starts_with('['))
        .collect();
    assert!(bars.iter().any(|b| b.contains("/3")), "{screen:?}");
    let names = ["modern-baseline", "sni-required", "expired"].map(|s| format!("{s} × curl"));
    assert!(
        bars.iter()
            .any(|b| names.iter().any(|n| b.contains(n.as_str()))),
        "{screen:?}"
    );
    // Cleared (erase line) before the table, which follows on clean lines.
    let cleared = screen.rfind("\x1b[2K").expect("the bar is erased");
    let table = screen
        .find("modern-baseline  curl  pass")
        .expect("the table");
    assert!(cleared < table, "{screen:?}");
    assert!(screen.contains("3 passed, 0 failed"), "{screen:?}");
}
