//! `pki generate`.

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
            for name in spec.names() {
                let m = pki.entity(&name)?;
                println!("{name:28} {}", m.cert_pem.display());
            }
            println!("CA bundle:  {}", pki.ca_bundle().display());
            println!("truststore: {} (password {})", pki.truststore().display(), quirktls::pki::P12_PASSWORD);
            eprintln!("done in {} ms", started.elapsed().as_millis());
            Ok(ExitCode::SUCCESS)
        }
    }
}
