//! `validate`, `list`, `schema`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use quirktls::pki::PkiSpec;
use quirktls::scenario;

pub fn validate(paths: &[PathBuf], pki: &Path) -> anyhow::Result<ExitCode> {
    let spec = PkiSpec::load(pki)?;
    let mut failed = false;
    for path in expand(paths)? {
        match scenario::load_file(&path, &spec) {
            Ok(s) => writeln!(std::io::stdout(), "ok {} ({})", s.name, path.display())?,
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Files as given; directories become their `*.yaml` files, sorted.
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read directory {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            inside.sort();
            files.extend(inside);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

pub fn list(pki: &Path) -> anyhow::Result<ExitCode> {
    let spec = PkiSpec::load(pki)?;
    let all = scenario::load_paths(&[scenario::builtin_dir()], &spec)?;
    let width = all.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for s in &all {
        let engine = format!("{:?}", s.engine).to_lowercase();
        writeln!(out, "{:width$}  {engine:7}  {}", s.name, s.summary())?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn schema() -> anyhow::Result<ExitCode> {
    let schema = serde_json::to_string_pretty(&scenario::json_schema())?;
    writeln!(std::io::stdout(), "{schema}")?;
    Ok(ExitCode::SUCCESS)
}
