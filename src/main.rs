//! `quirktls`: parse arguments, run the subcommand, map the outcome to an exit code
//! (0 ok, 1 verdict failed, 2 usage or input error).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
