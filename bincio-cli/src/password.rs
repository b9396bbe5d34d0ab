//! Reading a password without putting it on the command line.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context};

/// From `env_var`, else stdin (when `from_stdin`), else an interactive
/// prompt with confirmation. Fails clearly when none is possible.
pub fn read(env_var: &str, from_stdin: bool, what: &str) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let pw = line.trim_end_matches(['\r', '\n']).to_owned();
        if pw.is_empty() {
            bail!("empty password on standard input");
        }
        return Ok(pw);
    }
    if let Ok(pw) = std::env::var(env_var) {
        if !pw.is_empty() {
            return Ok(pw);
        }
    }
    if !std::io::stdin().is_terminal() {
        bail!("no {what} password: pass --password-stdin or set {env_var}");
    }
    let pw = rpassword::prompt_password(format!("{what} password: "))?;
    let again = rpassword::prompt_password("again: ")?;
    if pw != again {
        bail!("the passwords do not match");
    }
    Ok(pw)
}
