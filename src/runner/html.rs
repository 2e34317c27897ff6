//! The HTML report: one self-contained page (inline CSS, no script, nothing fetched) with
//! scenarios as rows and clients as columns. Each cell is coloured by its verdict, carries
//! `data-scenario`, `data-client` and `data-verdict`, and links to that connection's
//! details, which CSS `:target` shows over the table.

use std::collections::HashMap;
use std::fmt::Write;

use super::{Outcome, RunVerdict};

const STYLE: &str = "\
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse}\
th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}\
td.verdict{padding:0}\
td.verdict a{display:block;padding:.25em .6em;color:inherit;text-decoration:none;font-weight:600}\
td.pass{background:#bfe8bf}td.fail{background:#f4b8b8}td.missing,td.not_run{background:#eee}\
.detail{display:none;position:fixed;inset:4% 6%;overflow:auto;background:#fff;\
border:2px solid #777;padding:0 1.5em 1em;box-shadow:0 0 0 100vmax rgba(0,0,0,.4)}\
.detail:target{display:block}\
.detail.pass h2{color:#176317}.detail.fail h2{color:#a31515}.detail.not_run h2{color:#555}\
.close{float:right;margin-top:1em}\
pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap;overflow-wrap:anywhere}";

/// The page for `outcomes`: rows and columns in order of first appearance.
pub fn html(outcomes: &[Outcome]) -> String {
    let scenarios = first_seen(outcomes.iter().map(|o| o.scenario.as_str()));
    let clients = first_seen(outcomes.iter().map(|o| o.client.as_str()));
    let cells: HashMap<(&str, &str), usize> = outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| ((o.scenario.as_str(), o.client.as_str()), i))
        .collect();
    let count = |v: RunVerdict| outcomes.iter().filter(|o| o.verdict == v).count();
    let not_run = match count(RunVerdict::NotRun) {
        0 => String::new(),
        n => format!(", {n} not run (interrupted)"),
    };

    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>quirktls run</title><style>{STYLE}</style></head><body>\n\
         <h1>quirktls run</h1>\n<p class=\"summary\">{} passed, {} failed{not_run} \
         ({} scenarios × {} clients); click a cell for its connection.</p>\n\
         <table id=\"verdicts\"><thead><tr><th>scenario</th>",
        count(RunVerdict::Pass),
        count(RunVerdict::Fail),
        scenarios.len(),
        clients.len(),
    );
    for client in &clients {
        let _ = write!(page, "<th>{}</th>", esc(client));
    }
    page.push_str("</tr></thead><tbody>\n");
    for scenario in &scenarios {
        let _ = write!(page, "<tr><th scope=\"row\">{}</th>", esc(scenario));
        for client in &clients {
            match cells.get(&(scenario, client)) {
                Some(&i) => cell(&mut page, i, &outcomes[i]),
                None => page.push_str("<td class=\"missing\">not run</td>"),
            }
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody></table>\n");
    for (i, o) in outcomes.iter().enumerate() {
        detail(&mut page, i, o);
    }
    page.push_str("</body></html>\n");
    page
}

/// The distinct items, in order of first appearance.
fn first_seen<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// The class and `data-verdict`: `pass`, `fail` or `not_run`.
fn verdict(o: &Outcome) -> &'static str {
    o.verdict.as_str()
}

/// What the cell shows.
fn label(o: &Outcome) -> &'static str {
    o.verdict.label()
}

fn exit(o: &Outcome) -> String {
    match (o.verdict, o.exit) {
        (RunVerdict::NotRun, _) => "not run: the run was interrupted".into(),
        (_, Some(c)) => format!("exit {c}"),
        (_, None) => "killed or timed out".into(),
    }
}

fn cell(page: &mut String, i: usize, o: &Outcome) {
    let v = verdict(o);
    let _ = write!(
        page,
        "<td class=\"verdict {v}\" data-scenario=\"{}\" data-client=\"{}\" data-verdict=\"{v}\" \
         title=\"{}\"><a href=\"#o{i}\">{}</a></td>",
        esc(&o.scenario),
        esc(&o.client),
        esc(&exit(o)),
        label(o),
    );
}

fn detail(page: &mut String, i: usize, o: &Outcome) {
    let v = verdict(o);
    let _ = write!(
        page,
        "<section id=\"o{i}\" class=\"detail {v}\" data-scenario=\"{}\" data-client=\"{}\" \
         data-verdict=\"{v}\"><a class=\"close\" href=\"#verdicts\">close</a>\
         <h2>{} × {}: {}</h2>\n<h3>Server</h3>",
        esc(&o.scenario),
        esc(&o.client),
        esc(&o.scenario),
        esc(&o.client),
        label(o),
    );
    block(page, "server-log", &o.server_log, "no connection observed");
    page.push_str("<h3>Expectations</h3>");
    if o.mismatches.is_empty() {
        page.push_str("<p class=\"mismatches\">all held</p>");
    } else {
        page.push_str(
            "<table class=\"mismatches\"><tr><th>field</th><th>expected</th><th>observed</th></tr>",
        );
        for m in &o.mismatches {
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(m.field),
                esc(&m.expected),
                esc(&m.observed)
            );
        }
        page.push_str("</table>");
    }
    let _ = write!(
        page,
        "\n<h3>Client</h3><p class=\"exit\">{}</p>",
        esc(&exit(o))
    );
    block(page, "output", &o.output_tail, "no output");
    page.push_str("<h3>Transcript</h3>");
    block(page, "transcript", &o.transcript, "no transcript");
    page.push_str("</section>\n");
}

/// `text` preformatted, or `empty` as a paragraph.
fn block(page: &mut String, class: &str, text: &str, empty: &str) {
    let _ = if text.trim().is_empty() {
        write!(page, "<p class=\"{class}\">{empty}</p>")
    } else {
        write!(page, "<pre class=\"{class}\">{}</pre>", esc(text))
    };
}

/// Text safe in element content and quoted attributes (client output is untrusted).
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Mismatch;

    fn outcome(scenario: &str, client: &str, passed: bool) -> Outcome {
        Outcome {
            scenario: scenario.into(),
            client: client.into(),
            passed,
            verdict: if passed {
                RunVerdict::Pass
            } else {
                RunVerdict::Fail
            },
            mismatches: Vec::new(),
            exit: Some(0),
            output_tail: String::new(),
            server_log: format!("[{scenario} #1] log"),
            transcript: String::new(),
        }
    }

    #[test]
    fn untrusted_text_is_escaped_everywhere() {
        let mut o = outcome("s", "c", false);
        o.output_tail = "</pre><script>alert(1)</script>\"'&".into();
        o.mismatches.push(Mismatch {
            field: "sni",
            expected: "<a>".into(),
            observed: "\"b\"".into(),
        });
        let page = html(&[o]);
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<a>"), "{page}");
        assert!(page.contains("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
        assert!(page.contains("<td>&lt;a&gt;</td><td>&quot;b&quot;</td>"));
    }

    #[test]
    fn rows_are_scenarios_and_columns_clients_in_order_with_gaps_marked() {
        let page = html(&[
            outcome("b", "curl", true),
            outcome("b", "java", false),
            outcome("a", "curl", true),
        ]);
        let header = page.find("<th>curl</th><th>java</th>").unwrap();
        let row_b = page.find("<th scope=\"row\">b</th>").unwrap();
        let row_a = page.find("<th scope=\"row\">a</th>").unwrap();
        assert!(header < row_b && row_b < row_a);
        assert!(page.contains(
            "data-scenario=\"b\" data-client=\"java\" data-verdict=\"fail\" title=\"exit 0\">\
             <a href=\"#o1\">FAIL</a>"
        ));
        assert_eq!(page.matches("not run").count(), 1);
        assert!(page.contains("<p class=\"transcript\">no transcript</p>"));
        assert!(page.contains("2 passed, 1 failed (2 scenarios × 2 clients)"));
    }

    #[test]
    fn not_run_cells_are_grey_labelled_and_counted() {
        let page = html(&[outcome("a", "curl", true), Outcome::not_run("b", "curl")]);
        assert!(page.contains(
            "<td class=\"verdict not_run\" data-scenario=\"b\" data-client=\"curl\" \
             data-verdict=\"not_run\" title=\"not run: the run was interrupted\">\
             <a href=\"#o1\">not run</a></td>"
        ));
        assert!(page.contains("<h2>b × curl: not run</h2>"), "{page}");
        assert!(page.contains("1 passed, 0 failed, 1 not run (interrupted) (2 scenarios"));
    }
}
