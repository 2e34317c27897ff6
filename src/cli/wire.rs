//! The flags that record what crossed the wire, shared by `serve` and `run`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use quirktls::observe::{KeyLog, PcapSink};
use quirktls::server::ServerOptions;

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
