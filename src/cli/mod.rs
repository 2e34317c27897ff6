//! Command-line definitions and subcommands.

mod pki;
mod run;
mod scenarios;
mod serve;
mod wire;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// TLS interop test server that plays quirky peers from scenario files.
#[derive(Debug, Parser)]
#[command(name = "quirktls", version, about, long_about = None)]
pub struct Cli {
    /// PKI spec file.
    #[arg(long, global = true, value_name = "FILE", default_value_os_t = quirktls::pki::default_spec_path())]
    pki: PathBuf,
    /// Directory for generated keys and certificates.
    #[arg(long, global = true, value_name = "DIR", default_value_os_t = quirktls::pki::default_out_dir())]
    certs_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve scenarios, each on its own port, until Ctrl-C.
    Serve(serve::ServeArgs),
    /// Point a client at scenarios and report a verdict per scenario (exit 1 if any fails).
    Run(run::RunArgs),
    /// Check scenario files; exit 2 with FILE:LINE:COL on the first problem in each.
    Validate {
        /// Scenario files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List the built-in scenarios with their one-line descriptions.
    List,
    /// Print the JSON Schema of the scenario format.
    Schema,
    /// Test PKI commands.
    #[command(subcommand)]
    Pki(pki::PkiCommand),
}

/// Parse the command line and run it.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::run(args, &cli.pki, &cli.certs_dir),
        Command::Run(args) => run::run(args, &cli.pki, &cli.certs_dir),
        Command::Validate { paths } => scenarios::validate(&paths, &cli.pki),
        Command::List => scenarios::list(&cli.pki),
        Command::Schema => scenarios::schema(),
        Command::Pki(cmd) => pki::run(cmd, &cli.pki, &cli.certs_dir),
    }
}
