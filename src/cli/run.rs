//! `run`: point clients at scenarios and report a verdict per scenario × client.

use std::fs::Permissions;
use std::io::{IsTerminal, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use quirktls::pki::{Pki, PkiSpec};
use quirktls::runner::{self, Client, Outcome, Profile, RunOptions, RunVerdict};
use quirktls::scenario;
use quirktls::server::ServerOptions;

use super::wire::{raise_fd_limit, LimitArgs, WireArgs};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files, directories or built-in names (default: every built-in scenario).
    paths: Vec<PathBuf>,
    /// A built-in client profile; repeat for several clients.
    #[arg(long = "client", value_enum, value_name = "PROFILE")]
    clients: Vec<Profile>,
    /// Scenario × client runs at once.
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
    /// Also write an HTML report (scenarios × clients, each cell opening its connection) to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    #[command(flatten)]
    wire: WireArgs,
    #[command(flatten)]
    limits: LimitArgs,
    /// A client command after `--` (one more client, named by its program), with {host}
    /// {port} {addr} {url} {sni} {ca_file} {ca_p12} {client_cert} {client_key}
    /// {client_p12} {scenario} {p12_password}.
    #[arg(last = true)]
    command: Vec<String>,
}

pub fn run(args: RunArgs, spec_path: &Path, certs_dir: &Path) -> anyhow::Result<ExitCode> {
    if args.clients.is_empty() && args.command.is_empty() {
        bail!("give --client PROFILE (repeatable) and/or `-- CMD ARGS…` (hint: `quirktls run --client curl scenarios/`)");
    }
    raise_fd_limit();
    let spec = PkiSpec::load(spec_path)?;
    let paths = if args.paths.is_empty() {
        vec![scenario::builtin_dir()]
    } else {
        args.paths.clone()
    };
    let scenarios = scenario::load_paths(&paths, &spec)?;
    let clients = clients(&args)?;
    let pki = Arc::new(Pki::ensure(&spec, certs_dir)?);
    let options = RunOptions {
        jobs: args.jobs,
        timeout: Duration::from_secs(args.timeout),
        progress: progress_bar((scenarios.len() * clients.len()) as u64),
        // Captured always: the HTML report shows every connection's transcript.
        server: args
            .wire
            .server_options(args.limits.server_options(ServerOptions {
                capture: true,
                ..ServerOptions::default()
            }))?,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let report = runtime.block_on(async {
        let interrupt = interrupted().context("cannot listen for SIGINT and SIGTERM")?;
        Ok::<_, anyhow::Error>(runner::run(scenarios, pki, &clients, &options, interrupt).await?)
    });
    options.progress.finish_and_clear();
    let report = report?;
    let outcomes = report.outcomes;
    if let Some(path) = &args.junit {
        write_report(path, "--junit", runner::junit(&outcomes)?.as_bytes())?;
    }
    if let Some(path) = &args.html {
        write_report(path, "--html", runner::html(&outcomes).as_bytes())?;
    }
    if args.json {
        let mut out = std::io::stdout().lock();
        for o in &outcomes {
            writeln!(out, "{}", serde_json::to_string(o)?)?;
        }
    } else {
        table(&outcomes)?;
    }
    Ok(if report.interrupted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if outcomes.iter().all(|o| o.passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The exit status of a run stopped by SIGINT or SIGTERM, as a shell reports Ctrl-C.
const EXIT_INTERRUPTED: u8 = 130;

/// Completes at the first SIGINT or SIGTERM. The handlers are installed here, before any
/// client starts, and stay for the rest of the process: a second signal while the
/// reports are written does not cut them short.
fn interrupted() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

/// The profiles, then the command; a command named like a profile gets ` (command)`.
fn clients(args: &RunArgs) -> anyhow::Result<Vec<Client>> {
    let mut clients = args
        .clients
        .iter()
        .map(|&p| Client::profile(p))
        .collect::<Result<Vec<_>, _>>()?;
    if !args.command.is_empty() {
        let mut command = Client::command(args.command.clone())?;
        if clients.iter().any(|c| c.name == command.name) {
            command.name += " (command)";
        }
        clients.push(command);
    }
    Ok(clients)
}

/// A bar on stderr when it is a terminal; hidden otherwise, so pipes and logs see nothing.
fn progress_bar(runs: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(runs);
    if let Ok(style) = ProgressStyle::with_template("[{elapsed}] {bar:30} {pos}/{len} {wide_msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn table(outcomes: &[Outcome]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let width = outcomes.iter().map(|o| o.scenario.len()).max().unwrap_or(8);
    let client_width = outcomes.iter().map(|o| o.client.len()).max().unwrap_or(8);
    for o in outcomes {
        let verdict = o.verdict.label();
        let exit = match (o.verdict, o.exit) {
            (RunVerdict::NotRun, _) => "interrupted".to_string(),
            (_, exit) => exit.map_or("timeout".to_string(), |c| format!("exit {c}")),
        };
        writeln!(
            out,
            "{:width$}  {:client_width$}  {verdict}  ({exit})",
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
    let count = |v: RunVerdict| outcomes.iter().filter(|o| o.verdict == v).count();
    write!(
        out,
        "{} passed, {} failed",
        count(RunVerdict::Pass),
        count(RunVerdict::Fail)
    )?;
    match count(RunVerdict::NotRun) {
        0 => writeln!(out)?,
        n => writeln!(out, ", {n} not run (interrupted)")?,
    }
    Ok(())
}

/// Write `bytes` to `path` atomically: a temporary file beside it, then a rename, so a
/// reader never sees half a report.
fn write_report(path: &Path, flag: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let hint = || {
        format!(
            "cannot write {flag} {} (hint: does the directory exist and is it writable?)",
            path.display()
        )
    };
    let mut file = tempfile::Builder::new()
        .prefix(".quirktls-report-")
        // What a plain create gives (0666 less the umask), not a temporary file's 0600.
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(hint)?;
    file.write_all(bytes).with_context(hint)?;
    file.persist(path).map_err(|e| e.error).with_context(hint)?;
    Ok(())
}
