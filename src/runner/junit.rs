//! JUnit XML of a run: one test case per scenario × client, readable by CI systems.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{Outcome, RunVerdict};

/// The report as XML text; runs an interrupt stopped are skipped test cases.
pub fn junit(outcomes: &[Outcome]) -> Result<String, quick_junit::SerializeError> {
    let mut suite = TestSuite::new("quirktls");
    for o in outcomes {
        let status = if o.verdict == RunVerdict::NotRun {
            let mut status = TestCaseStatus::skipped();
            status.set_message("not run: the run was interrupted");
            status
        } else if o.passed {
            TestCaseStatus::success()
        } else {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let diff: Vec<String> = o
                .mismatches
                .iter()
                .map(|m| {
                    format!(
                        "{}: expected {}, observed {}",
                        m.field, m.expected, m.observed
                    )
                })
                .collect();
            status.set_message(diff.join("; "));
            status
        };
        let mut case = TestCase::new(format!("{} × {}", o.scenario, o.client), status);
        case.set_classname(o.scenario.clone());
        case.set_system_out(format!("{}\n{}", o.server_log, o.output_tail));
        suite.add_test_case(case);
    }
    let mut report = Report::new("quirktls run");
    report.add_test_suite(suite);
    report.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_run_is_skipped_and_counted_as_such() {
        let mut pass = Outcome::not_run("a", "curl");
        (pass.passed, pass.verdict) = (true, RunVerdict::Pass);
        let xml = junit(&[pass, Outcome::not_run("b", "curl")]).unwrap();
        assert!(xml.contains("tests=\"2\""), "{xml}");
        assert!(xml.contains("skipped=\"1\""), "{xml}");
        assert!(xml.contains("failures=\"0\""), "{xml}");
        assert!(
            xml.contains("<skipped message=\"not run: the run was interrupted\"/>"),
            "{xml}"
        );
    }
}
