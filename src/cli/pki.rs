//! `pki generate`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use clap::Subcommand;
use quirktls::pki::{Pki, PkiSpec};

#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Generate (or reuse, when unchanged) every certificate of the spec.
    Generate,
}

pub fn run(cmd: PkiCommand, spec_path: &Path, out: &Path) -> anyhow::Result<ExitCode> {
    match cmd {
        PkiCommand::Generate => {
            let started = Instant::now();
            let spec = PkiSpec::load(spec_path)?;
            let pki = Pki::ensure(&spec, out)?;
            let mut out = std::io::stdout().lock();
            for name in spec.names() {
                let m = pki.entity(&name)?;
                writeln!(out, "{name:28} {}", m.cert_pem.display())?;
            }
            writeln!(out, "CA bundle:  {}", pki.ca_bundle().display())?;
            let password = quirktls::pki::P12_PASSWORD;
            writeln!(
                out,
                "truststore: {} (password {password})",
                pki.truststore().display()
            )?;
            eprintln!("done in {} ms", started.elapsed().as_millis());
            Ok(ExitCode::SUCCESS)
        }
    }
}
