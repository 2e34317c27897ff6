//! The flags shared by `serve` and `run`: what crossed the wire is recorded where, and
//! the deadlines and limits of every connection.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use quirktls::observe::{KeyLog, PcapSink};
use quirktls::scenario::{parse_duration, Deadlines};
use quirktls::server::{ConnectionBudget, ServerOptions};

/// Deadlines (DURATION: a whole number of ms, s or m, e.g. 500ms, 10s, 2m) and limits of
/// every connection; a scenario's `deadlines:` and `limits:` keys replace them.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// From accept to the complete ClientHello [default: 10s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    first_flight_timeout: Option<Duration>,
    /// The whole handshake, from the ClientHello, however many records [default: 10s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    handshake_timeout: Option<Duration>,
    /// From the handshake's end to the end of the HTTP request head [default: 10s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    request_head_timeout: Option<Duration>,
    /// Between two application reads [default: 10s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    idle_timeout: Option<Duration>,
    /// For one write to be taken by the socket (a client that never reads) [default: 10s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    write_timeout: Option<Duration>,
    /// From accept to the end of the connection, whatever it does [default: 120s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    connection_timeout: Option<Duration>,
    /// Concurrent connections of the whole process; more are accepted and closed at once.
    #[arg(long, value_name = "N", default_value_t = ConnectionBudget::DEFAULT,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
    /// Concurrent connections of each scenario [default: only --max-connections].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_scenario_connections: Option<u64>,
    /// Bytes read and written on one connection before it is cut [default: 64 MiB].
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    max_bytes: Option<u64>,
}

impl LimitArgs {
    /// `base` with the deadlines and limits these flags set.
    pub fn server_options(&self, base: ServerOptions) -> ServerOptions {
        let d = Deadlines::default();
        ServerOptions {
            deadlines: Deadlines {
                first_flight: self.first_flight_timeout.unwrap_or(d.first_flight),
                handshake: self.handshake_timeout.unwrap_or(d.handshake),
                request_head: self.request_head_timeout.unwrap_or(d.request_head),
                idle: self.idle_timeout.unwrap_or(d.idle),
                write: self.write_timeout.unwrap_or(d.write),
                connection: self.connection_timeout.unwrap_or(d.connection),
            },
            connections: ConnectionBudget::new(self.max_connections),
            scenario_connections: self.max_scenario_connections,
            max_bytes: self.max_bytes.unwrap_or(base.max_bytes),
            ..base
        }
    }
}

/// Raise the soft limit on open files to the hard limit: every connection is a
/// descriptor, and the usual soft limit of 1024 would stop every scenario answering long
/// before `--max-connections`. A failure leaves the limit as it was.
pub fn raise_fd_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        limit.current = limit.maximum;
        if let Err(e) = setrlimit(Resource::Nofile, limit) {
            eprintln!("warning: cannot raise the open-files limit: {e}");
        }
    }
}

#[derive(Debug, Args)]
pub struct WireArgs {
    /// Append the NSS key log of every handshake to FILE (for Wireshark / tshark).
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// Write each connection's handshake transcript (OpenSSL -msg style: message by
    /// message for engine scripted, record by record off the wire otherwise) to
    /// DIR/SCENARIO-CONN.txt.
    #[arg(long, value_name = "DIR")]
    transcript: Option<PathBuf>,
    /// Write every connection to FILE (created or truncated) as a pcap capture of
    /// Ethernet/IP/TCP frames; with --keylog, tshark and Wireshark decrypt it.
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
}

impl WireArgs {
    /// `base` with the key log, transcript directory and pcap sink these flags ask for.
    pub fn server_options(&self, base: ServerOptions) -> anyhow::Result<ServerOptions> {
        if let Some(dir) = &self.transcript {
            std::fs::create_dir_all(dir).with_context(|| {
                format!("cannot create --transcript directory {}", dir.display())
            })?;
        }
        let keylog = match &self.keylog {
            None => None,
            Some(path) => Some(
                KeyLog::append_to(path)
                    .with_context(|| format!("cannot open --keylog file {}", path.display()))?,
            ),
        };
        let pcap = match &self.pcap {
            None => None,
            Some(path) => Some(PcapSink::create(path).context("--pcap")?),
        };
        Ok(ServerOptions {
            keylog,
            transcript_dir: self.transcript.clone(),
            pcap,
            ..base
        })
    }
}
