//! `bincio.toml`: every `bincio serve` flag settable in a file.
//!
//! The file is named by `bincio serve --config PATH` or `BINCIO_CONFIG`. Its
//! keys are the flags' long names with `_` for `-` (`bind`, `tile_url`,
//! `trusted_proxy = true`, …), so a flag added to `serve` is a key at once,
//! with nothing to keep in step. Precedence: **flag > environment > file >
//! default** — a key fills a flag only when neither the command line nor
//! its environment variable gave it.
//!
//! `KEY_file = "/path"` reads KEY's value from that file (its content, one
//! trailing newline dropped), so secrets can come from a mounted secret
//! rather than the environment or the config file itself.
//!
//! Refused, naming the key: an unknown key, a key given both directly and
//! as `_file`, a value of the wrong type, an unreadable `_file`. A value
//! clap then rejects (e.g. `bind = "nope"`) is reported by clap with the
//! file named.
//!
//! How: the command line is parsed once to learn each flag's source, the
//! file's keys that are still at their default are appended as flags, and
//! the result is parsed again — so every value goes through the same clap
//! validation as a typed flag.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, CommandFactory};

use crate::cli::Cli;

/// The environment variable naming the config file.
pub const CONFIG_ENV: &str = "BINCIO_CONFIG";

/// Keys that never come from the file.
const NOT_KEYS: &[&str] = &["config", "print_config", "help", "version"];

/// The command line with the config file's values laid in, and which keys
/// came from the file (for `--print-config`).
pub struct Applied {
    /// Arguments to parse (the original ones plus the file's).
    pub args: Vec<OsString>,
    /// The file, when one was used.
    pub file: Option<PathBuf>,
    /// Keys whose value came from the file.
    pub from_file: BTreeSet<String>,
}

/// Lay the config file's values into `args` (a `serve` command line);
/// other commands, and a `serve` without a config file, pass unchanged.
/// Parse errors of the command line itself are left to the caller's parse.
pub fn apply(args: Vec<OsString>) -> Result<Applied, String> {
    let unchanged = |args| Applied {
        args,
        file: None,
        from_file: BTreeSet::new(),
    };
    let Ok(matches) = Cli::command().try_get_matches_from(&args) else {
        return Ok(unchanged(args));
    };
    let Some(("serve", serve)) = matches.subcommand() else {
        return Ok(unchanged(args));
    };
    let file = serve
        .get_one::<PathBuf>("config")
        .cloned()
        .or_else(|| std::env::var_os(CONFIG_ENV).map(PathBuf::from));
    let Some(file) = file else {
        return Ok(unchanged(args));
    };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("config file {}: {e}", file.display()))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| format!("config file {}: {e}", file.display()))?;
    let mut out = args;
    let mut from_file = BTreeSet::new();
    let cmd = Cli::command();
    let serve_cmd = cmd
        .find_subcommand("serve")
        .ok_or("the serve command is missing")?;
    let named = |key: &str| format!("config file {}: key `{key}`", file.display());
    for (key, value) in &table {
        let (target, value) = match key.strip_suffix("_file") {
            Some(base) if known(serve_cmd, base).is_some() => {
                if table.contains_key(base) {
                    return Err(format!("{}: `{base}` is given too", named(key)));
                }
                let path = value
                    .as_str()
                    .ok_or_else(|| format!("{}: expected a file path (a string)", named(key)))?;
                (
                    base,
                    toml::Value::String(read_secret(Path::new(path), &named(key))?),
                )
            }
            _ => (key.as_str(), value.clone()),
        };
        let arg = known(serve_cmd, target).ok_or_else(|| {
            format!(
                "{}: unknown key (the keys are `bincio serve`'s flags with _ for -; see `bincio serve --help`)",
                named(key)
            )
        })?;
        if given(serve, target) {
            continue;
        }
        let long = format!("--{}", arg.get_long().unwrap_or(target));
        match arg.get_action() {
            ArgAction::SetTrue => match value {
                toml::Value::Boolean(true) => out.push(long.into()),
                toml::Value::Boolean(false) => {}
                _ => return Err(format!("{}: expected true or false", named(key))),
            },
            _ => {
                let text = match value {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(f) => f.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    _ => {
                        return Err(format!(
                            "{}: expected a string, number or boolean",
                            named(key)
                        ))
                    }
                };
                out.push(long.into());
                out.push(text.into());
            }
        }
        from_file.insert(target.to_owned());
    }
    Ok(Applied {
        args: out,
        file: Some(file),
        from_file,
    })
}

/// The `serve` flag a key names, if any.
fn known<'a>(serve: &'a clap::Command, key: &str) -> Option<&'a clap::Arg> {
    if NOT_KEYS.contains(&key) {
        return None;
    }
    serve
        .get_arguments()
        .find(|a| a.get_id().as_str() == key && a.get_long().is_some())
}

/// Whether the command line or the environment set `id`.
fn given(m: &ArgMatches, id: &str) -> bool {
    matches!(
        m.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

/// A `_file` key's value: the file's content without its trailing newline.
fn read_secret(path: &Path, named: &str) -> Result<String, String> {
    let s = std::fs::read_to_string(path)
        .map_err(|e| format!("{named}: reading {}: {e}", path.display()))?;
    Ok(s.strip_suffix('\n')
        .map(|s| s.strip_suffix('\r').unwrap_or(s))
        .unwrap_or(&s)
        .to_owned())
}

/// Whether a key holds a secret (never printed).
fn is_secret(key: &str) -> bool {
    ["secret", "password", "token", "key"]
        .iter()
        .any(|w| key.contains(w))
}

/// `bincio serve --print-config`: every key with its effective value and
/// where it came from, as TOML a file could hold (secrets redacted).
pub fn print(serve: &ArgMatches, applied: &Applied) -> String {
    let cmd = Cli::command();
    let Some(serve_cmd) = cmd.find_subcommand("serve") else {
        return String::new();
    };
    let mut out = String::new();
    if let Some(f) = &applied.file {
        out.push_str(&format!("# config file: {}\n", f.display()));
    }
    for arg in serve_cmd.get_arguments() {
        let id = arg.get_id().as_str();
        if known(serve_cmd, id).is_none() {
            continue;
        }
        let source = if applied.from_file.contains(id) {
            "file"
        } else {
            match serve.value_source(id) {
                Some(ValueSource::CommandLine) => "flag",
                Some(ValueSource::EnvVariable) => "env",
                Some(ValueSource::DefaultValue) => "default",
                _ => "unset",
            }
        };
        let raw: Vec<String> = serve
            .get_raw(id)
            .map(|v| v.map(|s| s.to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        let value = match (arg.get_action(), raw.first()) {
            (ArgAction::SetTrue, _) => serve.get_flag(id).to_string(),
            (_, None) => {
                out.push_str(&format!("# {id} (unset)\n"));
                continue;
            }
            (_, Some(_)) if is_secret(id) => "\"<redacted>\"".to_owned(),
            // A store URL may carry a password in its user-info.
            (_, Some(v)) if id == "store" => {
                toml::Value::String(crate::commands::doctor::redact(v)).to_string()
            }
            (_, Some(v)) => toml::Value::String(v.clone()).to_string(),
        };
        out.push_str(&format!("{id} = {value}  # {source}\n"));
    }
    out
}
