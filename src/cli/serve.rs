//! `serve`: every scenario on its own port until SIGINT (Ctrl-C) or SIGTERM; then the
//! connections in flight get a grace period, and everything is recorded before exit.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use quirktls::observe::create_private;
use quirktls::pki::{Pki, PkiSpec, P12_PASSWORD};
use quirktls::scenario::{self, parse_duration};
use quirktls::server::{EventSink, ScenarioServer, ServerOptions};

use super::wire::{raise_fd_limit, LimitArgs, WireArgs};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Scenario files, directories or built-in names (default: every built-in scenario).
    paths: Vec<PathBuf>,
    /// Print one JSON ready line per scenario instead of the table.
    #[arg(long)]
    json: bool,
    /// Write every connection's events as JSON lines to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE|-")]
    events: Option<String>,
    #[command(flatten)]
    wire: WireArgs,
    #[command(flatten)]
    limits: LimitArgs,
    /// On SIGINT or SIGTERM, how long connections in flight may still take before they
    /// are cut (recorded as `closed how=shutdown`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "5s")]
    grace: Duration,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Allow --bind to a non-loopback address (this server is deliberately insecure).
    #[arg(long)]
    allow_non_loopback: bool,
    /// Do not print the per-connection log line on stderr.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: ServeArgs, spec_path: &Path, certs_dir: &Path) -> anyhow::Result<ExitCode> {
    if !args.bind.is_loopback() {
        if !args.allow_non_loopback {
            bail!(
                "--bind {} is not a loopback address (hint: add --allow-non-loopback if you really want this deliberately insecure server reachable from elsewhere)",
                args.bind
            );
        }
        eprintln!(
            "warning: listening on {}: every scenario here is deliberately insecure",
            args.bind
        );
    }
    raise_fd_limit();
    let spec = PkiSpec::load(spec_path)?;
    let paths = if args.paths.is_empty() {
        vec![scenario::builtin_dir()]
    } else {
        args.paths.clone()
    };
    let scenarios = scenario::load_paths(&paths, &spec)?;
    if scenarios.is_empty() {
        bail!(
            "no scenarios found in {:?} (hint: pass scenario files or directories)",
            paths
        );
    }
    let pki = Pki::ensure(&spec, certs_dir)?;
    let events: Option<EventSink> = match args.events.as_deref() {
        None => None,
        Some("-") => Some(Arc::new(Mutex::new(Box::new(std::io::stdout())))),
        Some(path) => {
            let file = create_private(Path::new(path))
                .with_context(|| format!("cannot create --events file {path}"))?;
            Some(Arc::new(Mutex::new(Box::new(file))))
        }
    };
    let options = args
        .wire
        .server_options(args.limits.server_options(ServerOptions {
            bind: args.bind,
            log: !args.quiet,
            events: events.clone(),
            ..ServerOptions::default()
        }))?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let mut servers = Vec::new();
        for s in scenarios {
            servers.push(ScenarioServer::start(s, &pki, &options).await?);
        }
        announce(&servers, &pki, args.json)?;
        let signal = until_stopped().await?;
        for server in &servers {
            server.shutdown();
        }
        let in_flight: usize = servers.iter().map(ScenarioServer::in_flight).sum();
        eprintln!(
            "{signal}: stopped accepting; {in_flight} connection(s) in flight get {:?}",
            args.grace
        );
        let grace_end = tokio::time::Instant::now() + args.grace;
        // One grace period for all: they run concurrently, so waiting on each in turn
        // until the same instant costs no more than waiting on all at once.
        let mut cut = 0;
        for server in &servers {
            cut += server.stop(grace_end).await;
        }
        if cut > 0 {
            eprintln!("{signal}: cut {cut} connection(s) after the grace period");
        }
        Ok::<_, anyhow::Error>(())
    })?;
    // Every connection is recorded; the pcap and key log are written through (unbuffered,
    // a line or a connection per write), the events sink is flushed per line: flush once
    // more for a sink that buffers.
    if let Some(sink) = &events {
        if let Ok(mut out) = sink.lock() {
            out.flush().context("cannot flush the --events file")?;
        }
    }
    drop(runtime);
    Ok(ExitCode::SUCCESS)
}

/// Wait for SIGINT or SIGTERM; the signal's name.
async fn until_stopped() -> anyhow::Result<&'static str> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

fn announce(servers: &[ScenarioServer], pki: &Pki, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let ca = pki.ca_bundle();
    let width = servers
        .iter()
        .map(|s| s.scenario().name.len())
        .max()
        .unwrap_or(8);
    if !json {
        writeln!(
            out,
            "{:width$}  {:21}  {:22}  CA file",
            "scenario", "address", "server name"
        )?;
    }
    for server in servers {
        let s = server.scenario();
        let addr = server.addr();
        if !json {
            writeln!(
                out,
                "{:width$}  {:21}  {:22}  {}",
                s.name,
                addr.to_string(),
                s.server_name(),
                ca.display()
            )?;
            continue;
        }
        let mut line = serde_json::json!({
            "event": "ready",
            "scenario": s.name,
            "engine": s.engine,
            "addr": addr.to_string(),
            "host": addr.ip().to_string(),
            "port": addr.port(),
            "server_name": s.server_name(),
            "url": format!("https://{}:{}/", s.server_name(), addr.port()),
            "ca_file": ca,
            "truststore": pki.truststore(),
            "truststore_password": P12_PASSWORD,
            "client_auth": s.tls.client_auth.mode,
        });
        if let Some(name) = s.client_identity() {
            let id = pki.entity(name)?;
            line["client_cert"] = serde_json::json!(id.chain_pem);
            line["client_key"] = serde_json::json!(id.key_pem);
            line["client_p12"] = serde_json::json!(id.p12);
            line["client_p12_password"] = serde_json::json!(P12_PASSWORD);
        }
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}
