//! Finding, reading and parsing scenario files.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_saphyr::{Location, MessageFormatter, UserMessageFormatter};

use super::raw::RawScenario;
use super::validate::Validator;
use super::{Scenario, ScenarioError};
use crate::pki::PkiSpec;

/// Directory of the built-in scenarios (`scenarios/` in the source tree).
pub fn builtin_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
}

/// Load and validate one scenario file.
pub fn load_file(path: &Path, pki: &PkiSpec) -> Result<Scenario, ScenarioError> {
    load_located(path, pki).map(|(scenario, _)| scenario)
}

/// Load and validate a scenario from text; `origin` names it in errors.
pub fn load_str(text: &str, origin: &str, pki: &PkiSpec) -> Result<Scenario, ScenarioError> {
    let origin = Path::new(origin);
    Validator::new(origin, pki).scenario(parse(text, origin)?)
}

/// Load files; directories (every `*.yaml` inside, sorted by file name); and bare names of
/// built-in scenarios (`sni-required`), in the order given. Scenario names must be unique.
pub fn load_paths(paths: &[PathBuf], pki: &PkiSpec) -> Result<Vec<Scenario>, ScenarioError> {
    let mut scenarios = Vec::new();
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for path in paths {
        for file in scenario_files(path)? {
            let (scenario, name_at) = load_located(&file, pki)?;
            if let Some(first) = seen.insert(scenario.name.clone(), file.clone()) {
                return Err(ScenarioError::at(
                    &file,
                    name_at,
                    format!("duplicate scenario name `{}`", scenario.name),
                    format!("also defined in {}", first.display()),
                ));
            }
            scenarios.push(scenario);
        }
    }
    Ok(scenarios)
}

/// The scenario and where its name is written, for duplicate-name errors.
fn load_located(path: &Path, pki: &PkiSpec) -> Result<(Scenario, Location), ScenarioError> {
    let text = fs::read_to_string(path).map_err(|error| ScenarioError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let raw = parse(&text, path)?;
    let name_at = raw.name.referenced;
    let mut scenario = Validator::new(path, pki).scenario(raw)?;
    scenario.source = Some(path.to_path_buf());
    Ok((scenario, name_at))
}

fn parse(text: &str, origin: &Path) -> Result<RawScenario, ScenarioError> {
    // Our error carries the location itself; a snippet would repeat it over several lines.
    let options = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::from_str_with_options(text, options).map_err(|err| {
        ScenarioError::at(
            origin,
            err.location().unwrap_or(Location::UNKNOWN),
            Messages.format_message(&err),
            "`quirktls schema` prints the scenario format",
        )
    })
}

/// serde-saphyr's user-facing messages, with the one terse case spelled out.
struct Messages;

impl MessageFormatter for Messages {
    fn format_message<'a>(&self, err: &'a serde_saphyr::Error) -> Cow<'a, str> {
        match err {
            // Ports and HTTP statuses are the u16 fields; the default says "invalid u16".
            serde_saphyr::Error::InvalidScalar { ty: "u16", .. } => {
                Cow::Borrowed("expected an integer from 0 to 65535")
            }
            _ => UserMessageFormatter.format_message(err),
        }
    }
}

/// The files `path` stands for; a bare name that is not a path is a built-in scenario.
fn scenario_files(path: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    if path.is_dir() {
        return yaml_files_in(path);
    }
    let bare = path.components().count() == 1 && path.extension().is_none();
    if path.exists() || !bare {
        // A missing path is reported when it is read.
        return Ok(vec![path.to_path_buf()]);
    }
    let builtin = builtin_dir().join(path).with_extension("yaml");
    if builtin.is_file() {
        return Ok(vec![builtin]);
    }
    let builtins = yaml_files_in(&builtin_dir())?
        .iter()
        .filter_map(|f| f.file_stem()?.to_str().map(str::to_owned))
        .collect::<Vec<_>>();
    Err(ScenarioError::UnknownBuiltin {
        name: path.display().to_string(),
        builtins: builtins.join(", "),
    })
}

/// Every `*.yaml` file directly inside `dir`, sorted by name.
fn yaml_files_in(dir: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    let read_error = |error| ScenarioError::Read {
        path: dir.to_path_buf(),
        error,
    };
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
