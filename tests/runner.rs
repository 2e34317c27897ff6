//! `quirktls run`: real clients against every built-in scenario, one verdict each.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_quirktls");
const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .arg("run")
        .args(args)
        .output()
        .expect("run quirktls");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.code(),
        text + &String::from_utf8_lossy(&out.stderr),
    )
}

fn builtin_count() -> usize {
    std::fs::read_dir(SCENARIOS)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yaml")
        })
        .count()
}

/// Scenario names whose verdict line says FAIL.
fn failed(table: &str) -> Vec<String> {
    table
        .lines()
        .filter(|l| l.contains("  FAIL  "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect()
}

#[test]
fn curl_and_openssl_get_a_verdict_for_every_builtin_scenario() {
    for client in ["curl", "openssl"] {
        let (code, out) = run(&["--client", client, "-j", "2", SCENARIOS]);
        let verdicts = out
            .lines()
            .filter(|l| l.contains("  pass  ") || l.contains("  FAIL  "))
            .count();
        assert_eq!(verdicts, builtin_count(), "{client}:\n{out}");
        // Both accept a CN-only certificate and an X.509 v1 leaf: the quirks they miss.
        assert_eq!(
            failed(&out),
            ["no-san-cn-only", "x509v1-leaf"],
            "{client}:\n{out}"
        );
        assert!(
            out.contains(&format!("{} passed, 2 failed", builtin_count() - 2)),
            "{out}"
        );
        assert_eq!(code, Some(1), "{client}: any failure exits 1");
    }
}

#[test]
fn a_wrong_expectation_flips_to_fail_and_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(format!("{SCENARIOS}/modern-baseline.yaml")).unwrap();
    std::fs::write(
        dir.path().join("modern-baseline.yaml"),
        text.replace("version: tls1.3", "version: tls1.2"),
    )
    .unwrap();
    let (code, out) = run(&["--client", "curl", dir.path().to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("version: expected TLS 1.2, observed TLS 1.3"),
        "{out}"
    );

    let (code, out) = run(&["--client", "curl", "modern-baseline"]);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_client_template_and_json_lines_work() {
    let (code, out) = run(&[
        "--json",
        "modern-baseline",
        "sni-required",
        "--",
        "curl",
        "-sS",
        "--cacert",
        "{ca_file}",
        "--resolve",
        "{sni}:{port}:{host}",
        "{url}",
    ]);
    assert_eq!(code, Some(0), "{out}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["scenario"], "modern-baseline");
    assert_eq!(lines[0]["client"], "curl");
    assert_eq!(lines[0]["passed"], true);
    assert_eq!(lines[0]["exit"], 0);
    assert!(lines[1]["server_log"]
        .as_str()
        .unwrap()
        .contains("SNI=server.quirktls.test"));
}

#[test]
fn usage_errors_exit_2() {
    let (code, out) = run(&["modern-baseline"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("--client"), "{out}");
}

#[test]
fn junit_report_has_one_case_per_scenario_and_the_right_failure_count() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("report.xml");
    let (code, out) = run(&[
        "--client",
        "openssl",
        "-j",
        "2",
        "--junit",
        xml.to_str().unwrap(),
        SCENARIOS,
    ]);
    assert_eq!(code, Some(1), "{out}");
    // Parse with an independent XML parser (Python's ElementTree).
    let script = "import sys,xml.etree.ElementTree as E\n\
                  r=E.parse(sys.argv[1]).getroot()\n\
                  cases=r.findall('.//testcase')\n\
                  failed=sorted(c.get('classname') for c in cases if c.find('failure') is not None)\n\
                  print(len(cases), r.get('tests'), r.get('failures'), ','.join(failed))";
    let parsed = Command::new("python3")
        .args(["-c", script, xml.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let n = builtin_count();
    assert_eq!(
        String::from_utf8_lossy(&parsed.stdout).trim(),
        format!("{n} {n} 2 no-san-cn-only,x509v1-leaf")
    );
}
