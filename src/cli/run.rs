//! `run`: point a client at scenarios and report a verdict per scenario.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use quirktls::pki::{Pki, PkiSpec};
use quirktls::runner::{self, Profile};
use quirktls::scenario::{self, ClientAuthMode};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files, directories or built-in names (default: every built-in scenario).
    paths: Vec<PathBuf>,
    /// A built-in client profile.
    #[arg(long, value_enum)]
    client: Option<Profile>,
    /// Scenarios run at once.
    #[arg(short = 'j', long, default_value_t = 1)]
    jobs: usize,
    /// Seconds a client may take.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// One JSON line per outcome instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write a JUnit XML report (one test case per scenario × client) to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// The client command after `--`, with {host} {port} {addr} {url} {sni} {ca_file}
    /// {ca_p12} {client_cert} {client_key} {client_p12} {scenario} {p12_password}.
    #[arg(last = true)]
    command: Vec<String>,
}

pub fn run(args: RunArgs, spec_path: &Path, certs_dir: &Path) -> anyhow::Result<ExitCode> {
    if args.client.is_some() != args.command.is_empty() {
        bail!("give either --client PROFILE or `-- CMD ARGS…` (hint: `quirktls run --client curl scenarios/`)");
    }
    let spec = PkiSpec::load(spec_path)?;
    let paths = if args.paths.is_empty() {
        vec![scenario::builtin_dir()]
    } else {
        args.paths.clone()
    };
    let scenarios = scenario::load_paths(&paths, &spec)?;
    let pki = Pki::ensure(&spec, certs_dir)?;
    let client_name = match args.client {
        Some(p) => format!("{p:?}").to_lowercase(),
        None => args.command[0].clone(),
    };
    let template = |sc: &scenario::Scenario| match args.client {
        Some(profile) => {
            let mtls = std::iter::once(&sc.tls.client_auth)
                .chain(sc.renegotiate.as_ref().map(|r| &r.client_auth))
                .any(|a| a.mode != ClientAuthMode::None);
            profile.template(mtls)
        }
        None => args.command.clone(),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let outcomes = runtime.block_on(runner::run(
        scenarios,
        &pki,
        &client_name,
        template,
        args.jobs,
        Duration::from_secs(args.timeout),
    ))?;
    if let Some(path) = &args.junit {
        let xml = runner::junit(&outcomes)?;
        std::fs::write(path, xml)
            .with_context(|| format!("cannot write --junit {}", path.display()))?;
    }
    let mut out = std::io::stdout().lock();
    let width = outcomes.iter().map(|o| o.scenario.len()).max().unwrap_or(8);
    for o in &outcomes {
        if args.json {
            writeln!(out, "{}", serde_json::to_string(o)?)?;
            continue;
        }
        let exit = o
            .exit
            .map_or("timeout".to_string(), |c| format!("exit {c}"));
        let verdict = if o.passed { "pass" } else { "FAIL" };
        writeln!(
            out,
            "{:width$}  {:8}  {verdict}  ({exit})",
            o.scenario, o.client
        )?;
        for m in &o.mismatches {
            writeln!(
                out,
                "{:width$}    {}: expected {}, observed {}",
                "", m.field, m.expected, m.observed
            )?;
        }
    }
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    if !args.json {
        writeln!(out, "{} passed, {failed} failed", outcomes.len() - failed)?;
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
