//! JUnit XML of a run: one test case per scenario × client, readable by CI systems.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::Outcome;

/// The report as XML text.
pub fn junit(outcomes: &[Outcome]) -> Result<String, quick_junit::SerializeError> {
    let mut suite = TestSuite::new("quirktls");
    for o in outcomes {
        let status = if o.passed {
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
