//! `bincio doctor`: check an instance (data directory and store) and print
//! what to fix.
//!
//! Read-only apart from what opening the store always does (SQLite applies
//! pending migrations on open, as `bincio serve` would; MongoDB ensures its
//! indexes). It never *creates* an instance: a SQLite data directory
//! without `instance.db` is reported, not initialised.
//!
//! Each check prints one line `ok` / `warn` / `FAIL` / `skip` and, unless
//! ok, a `fix:` line. Exit status: 1 when a check failed (or, with
//! `--strict`, warned), else 0 — so a cron job or a deploy script can gate
//! on it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;
use bincio_core::accounts::settings;
use bincio_core::model::Role;
use clap::{Args, Parser};

use crate::cli::{Cli, Command, StoreArgs};
use crate::stores::{self, Stores};

/// How long the store may take to answer before it counts as unreachable
/// (a MongoDB driver would otherwise wait out its 15 s server selection).
const STORE_TIMEOUT: Duration = Duration::from_secs(10);

/// Key files (`*.key`) must not be readable by anyone but their owner.
const KEY_EXTENSION: &str = "key";

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Instance data directory [default: ./bincio_data, or the config's].
    #[arg(long, env = "BINCIO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Store URL: `sqlite:PATH` or `mongodb://host:port/db`
    /// [default: sqlite:<data-dir>/instance.db, or the config's].
    #[arg(long, env = "BINCIO_STORE")]
    pub store: Option<String>,
    /// Check the instance this `bincio serve` config file names (its
    /// `data_dir`, `store` / `store_file`), with serve's precedence: a
    /// flag or environment variable wins over the file.
    #[arg(long, env = "BINCIO_CONFIG")]
    pub config: Option<PathBuf>,
    /// Warn when the data directory's filesystem has less free space (MiB).
    #[arg(long, default_value_t = 1024)]
    pub min_free_mib: u64,
    /// Exit 1 on warnings too, not only on failures.
    #[arg(long)]
    pub strict: bool,
    /// Remove the stored pieces no activity reaches (leftovers of a
    /// process killed mid-write), older than an hour so no write in
    /// progress is touched. Without it they are only counted.
    #[arg(long)]
    pub remove_orphans: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Ok,
    Skip,
    Warn,
    Fail,
}

/// One check's outcome.
struct Finding {
    level: Level,
    what: String,
    fix: Option<String>,
}

impl Finding {
    fn ok(what: impl Into<String>) -> Self {
        Self {
            level: Level::Ok,
            what: what.into(),
            fix: None,
        }
    }
    fn skip(what: impl Into<String>) -> Self {
        Self {
            level: Level::Skip,
            what: what.into(),
            fix: None,
        }
    }
    fn warn(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            level: Level::Warn,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }
    fn fail(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            level: Level::Fail,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Where the instance is: the flags, else what `bincio serve --config`
/// would use — resolved by the same code (`config_file::apply` and serve's
/// parser), so doctor checks exactly the store that serve opens.
fn store_args(args: &DoctorArgs) -> anyhow::Result<StoreArgs> {
    let Some(config) = &args.config else {
        return Ok(StoreArgs {
            data_dir: args
                .data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("./bincio_data")),
            store: args.store.clone(),
        });
    };
    let mut argv: Vec<std::ffi::OsString> = vec!["bincio".into(), "serve".into()];
    argv.extend(["--config".into(), config.clone().into_os_string()]);
    if let Some(d) = &args.data_dir {
        argv.extend(["--data-dir".into(), d.clone().into_os_string()]);
    }
    if let Some(s) = &args.store {
        argv.extend(["--store".into(), s.into()]);
    }
    let applied = crate::config_file::apply(argv).map_err(|e| anyhow::anyhow!(e))?;
    match Cli::try_parse_from(&applied.args) {
        Ok(Cli {
            command: Command::Serve(serve),
        }) => Ok(serve.store),
        Ok(_) => bail!(
            "config file {}: not a serve configuration",
            config.display()
        ),
        Err(e) => bail!(
            "config file {}: {}",
            config.display(),
            e.to_string().lines().next().unwrap_or_default()
        ),
    }
}

pub async fn run(args: DoctorArgs) -> anyhow::Result<()> {
    let store_args = store_args(&args)?;
    let mut found = vec![Finding::ok(format!("bincio {}", env!("CARGO_PKG_VERSION")))];
    let dir = &store_args.data_dir;
    let sqlite_path = match &store_args.store {
        None => Some(dir.join("instance.db")),
        Some(u) => u.strip_prefix("sqlite:").map(PathBuf::from),
    };
    found.extend(data_dir(dir, sqlite_path.is_some(), args.min_free_mib));
    match &sqlite_path {
        Some(db) if !db.exists() => found.push(Finding::fail(
            format!("no database at {}", db.display()),
            "run `bincio init --handle ADMIN` (or `bincio serve` and use its set-up code), \
             or point --data-dir / --store at the instance",
        )),
        _ => found.extend(store(&store_args, args.remove_orphans).await),
    }
    for f in &found {
        let tag = match f.level {
            Level::Ok => "ok  ",
            Level::Skip => "skip",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        };
        println!("{tag}  {}", f.what);
        if let Some(fix) = &f.fix {
            println!("      fix: {fix}");
        }
    }
    let bar = if args.strict {
        Level::Warn
    } else {
        Level::Fail
    };
    let bad = found.iter().filter(|f| f.level >= bar).count();
    let warned = found.iter().filter(|f| f.level == Level::Warn).count();
    if bad > 0 {
        bail!(
            "{bad} problem{} to fix (see above)",
            if bad == 1 { "" } else { "s" }
        );
    }
    if warned > 0 {
        println!("all checks passed, {warned} warning(s)");
    } else {
        println!("all checks passed");
    }
    Ok(())
}

/// The data directory: present, writable, private, enough free space, and
/// its key files readable by the owner only.
fn data_dir(dir: &Path, sqlite: bool, min_free_mib: u64) -> Vec<Finding> {
    let shown = dir.display();
    let meta = match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => m,
        Ok(_) => {
            return vec![Finding::fail(
                format!("data dir {shown} is not a directory"),
                "point --data-dir (BINCIO_DATA_DIR) at the instance's directory",
            )]
        }
        Err(_) if !sqlite => {
            return vec![Finding::skip(format!(
                "data dir {shown} absent (the MongoDB store keeps everything in the database)"
            ))]
        }
        Err(e) => {
            return vec![Finding::fail(
                format!("data dir {shown}: {e}"),
                "create it (`bincio init`) or point --data-dir at the instance",
            )]
        }
    };
    let mut out = Vec::new();
    out.extend(writable(dir));
    out.extend(private_dir(dir, &meta));
    out.push(free_space(dir, min_free_mib));
    out.extend(key_files(dir));
    out
}

#[cfg(unix)]
fn writable(dir: &Path) -> Option<Finding> {
    use rustix::fs::{access, Access};
    match access(dir, Access::WRITE_OK | Access::EXEC_OK) {
        Ok(()) => None,
        Err(e) => Some(Finding::fail(
            format!(
                "data dir {} is not writable by this user: {e}",
                dir.display()
            ),
            "run as the account that owns it (e.g. `sudo -u bincio bincio …`) or chown it",
        )),
    }
}

#[cfg(not(unix))]
fn writable(_dir: &Path) -> Option<Finding> {
    None
}

/// The data dir holds password hashes (instance.db) and keys: other users
/// of the machine should not be able to enter it.
#[cfg(unix)]
fn private_dir(dir: &Path, meta: &std::fs::Metadata) -> Option<Finding> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    (mode & 0o007 != 0).then(|| {
        Finding::warn(
            format!(
                "data dir {} is open to other users (mode {mode:04o}); it holds password hashes",
                dir.display()
            ),
            format!("chmod 700 {}", dir.display()),
        )
    })
}

#[cfg(not(unix))]
fn private_dir(_dir: &Path, _meta: &std::fs::Metadata) -> Option<Finding> {
    None
}

#[cfg(unix)]
fn free_space(dir: &Path, min_free_mib: u64) -> Finding {
    const MIB: u64 = 1024 * 1024;
    match rustix::fs::statvfs(dir) {
        Ok(s) => {
            let unit = if s.f_frsize > 0 {
                s.f_frsize
            } else {
                s.f_bsize
            };
            let free = s.f_bavail.saturating_mul(unit) / MIB;
            if free < min_free_mib {
                Finding::warn(
                    format!(
                        "free disk: {free} MiB on the filesystem of {} (under {min_free_mib} MiB)",
                        dir.display()
                    ),
                    "free space or move the data dir to a larger filesystem \
                     (uploads and SQLite's WAL need room)",
                )
            } else {
                Finding::ok(format!("free disk: {free} MiB"))
            }
        }
        Err(e) => Finding::warn(
            format!("free disk of {}: cannot measure: {e}", dir.display()),
            "check the filesystem by hand (`df -h`)",
        ),
    }
}

#[cfg(not(unix))]
fn free_space(dir: &Path, _min_free_mib: u64) -> Finding {
    Finding::skip(format!(
        "free disk of {}: only measured on Unix",
        dir.display()
    ))
}

/// Every `*.key` file in the data dir and one level below: mode 0600 (or
/// stricter) expected. Generic on purpose — whichever feature keeps a key
/// there, a key readable by the group or others is a leak.
fn key_files(dir: &Path) -> Vec<Finding> {
    let mut keys = Vec::new();
    let mut dirs = vec![(dir.to_path_buf(), 0)];
    while let Some((d, depth)) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() && depth < 1 {
                dirs.push((p, depth + 1));
            } else if ft.is_file() && p.extension().is_some_and(|x| x == KEY_EXTENSION) {
                keys.push(p);
            }
        }
    }
    keys.sort();
    if keys.is_empty() {
        return vec![Finding::ok("key files: none in the data dir")];
    }
    keys.iter().map(|k| key_mode(k)).collect()
}

#[cfg(unix)]
fn key_mode(key: &Path) -> Finding {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(key) {
        Ok(m) => {
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 == 0 {
                Finding::ok(format!("key file {} (mode {mode:04o})", key.display()))
            } else {
                Finding::fail(
                    format!(
                        "key file {} is readable beyond its owner (mode {mode:04o}, 0600 expected)",
                        key.display()
                    ),
                    format!("chmod 600 {}", key.display()),
                )
            }
        }
        Err(e) => Finding::fail(
            format!("key file {}: {e}", key.display()),
            "make it readable by the instance's account",
        ),
    }
}

#[cfg(not(unix))]
fn key_mode(key: &Path) -> Finding {
    Finding::skip(format!(
        "key file {}: permissions only checked on Unix",
        key.display()
    ))
}

/// The store: reachable with a current schema, then its contents.
async fn store(args: &StoreArgs, remove_orphans: bool) -> Vec<Finding> {
    let url = args
        .store
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", args.data_dir.join("instance.db").display()));
    let opened = match tokio::time::timeout(STORE_TIMEOUT, stores::open(args)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            return vec![Finding::fail(
                format!("store {}: cannot open: {e:#}", redact(&url)),
                "check --store / BINCIO_STORE, that the server runs and the file is readable",
            )]
        }
        Err(_) => {
            return vec![Finding::fail(
                format!(
                    "store {}: no answer within {} s",
                    redact(&url),
                    STORE_TIMEOUT.as_secs()
                ),
                "start the database server or fix the host/port in --store",
            )]
        }
    };
    let ready = tokio::time::timeout(STORE_TIMEOUT, opened.users.ready()).await;
    let head = match ready {
        Ok(Ok(())) => Finding::ok(format!(
            "store {} ({}): reachable, schema current",
            redact(&url),
            opened.users.backend_name()
        )),
        Ok(Err(e)) => {
            return vec![Finding::fail(
                format!("store {}: not ready: {e}", redact(&url)),
                "run this version of bincio against it once (`bincio serve` applies migrations); \
                 a database from a newer bincio needs that newer binary",
            )]
        }
        Err(_) => {
            return vec![Finding::fail(
                format!(
                    "store {}: no answer within {} s",
                    redact(&url),
                    STORE_TIMEOUT.as_secs()
                ),
                "start the database server or fix the host/port in --store",
            )]
        }
    };
    let mut out = vec![head];
    out.extend(contents(&opened).await);
    out.push(orphans(&opened, remove_orphans).await);
    out
}

/// Pieces older than this are judged by the orphan check: a write still in
/// progress is younger.
const ORPHAN_GRACE_SECS: i64 = 3600;

/// Tracks, photos, originals and payload chunks no activity reaches.
async fn orphans(s: &Stores, remove: bool) -> Finding {
    let cutoff = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        - ORPHAN_GRACE_SECS;
    match s.activities.orphans(remove, cutoff).await {
        Ok(o) if o.total() == 0 => Finding::ok("orphaned data: none"),
        Ok(o) => {
            let what = format!(
                "orphaned data: {} tracks, {} photos/originals, {} chunk groups no activity reaches",
                o.tracks, o.blobs, o.chunks
            );
            if remove {
                Finding::ok(format!("{what} — removed"))
            } else {
                Finding::warn(
                    what,
                    "`bincio doctor --remove-orphans` (leftovers of a process killed mid-write; \
                     unreachable, they only take space)",
                )
            }
        }
        Err(e) => Finding::fail(
            format!("orphaned data: cannot check: {e}"),
            "check the store's log",
        ),
    }
}

/// Accounts and settings.
async fn contents(s: &Stores) -> Vec<Finding> {
    let mut out = Vec::new();
    match s.users.list_users().await {
        Ok(users) if users.is_empty() => out.push(Finding::warn(
            "accounts: none yet",
            "run `bincio init --handle ADMIN`, or start `bincio serve` and open the set-up \
             link it prints",
        )),
        Ok(users) => {
            let admins = users.iter().filter(|u| u.role == Role::Admin).count();
            if admins == 0 {
                out.push(Finding::warn(
                    format!("accounts: {} but no admin", users.len()),
                    "`bincio users set-role HANDLE admin`",
                ));
            } else {
                out.push(Finding::ok(format!(
                    "accounts: {} ({admins} admin)",
                    users.len()
                )));
            }
        }
        Err(e) => out.push(Finding::fail(
            format!("accounts: cannot list: {e}"),
            "check the store's log",
        )),
    }
    match s.users.list_settings().await {
        Ok(all) => {
            let mut bad = 0;
            for (k, v) in &all {
                if settings::is_secret(k) {
                    continue;
                }
                if settings::KNOWN.iter().any(|(known, _)| known == k) {
                    if let Err(e) = settings::validate(k, v) {
                        bad += 1;
                        out.push(Finding::fail(
                            format!("setting {k} = {v:?}: {e}"),
                            format!("`bincio settings set {k} VALUE` (see `bincio settings list`)"),
                        ));
                    }
                } else {
                    bad += 1;
                    out.push(Finding::warn(
                        format!("setting {k}: unknown to this version (ignored)"),
                        "leave it if a newer bincio wrote it; otherwise it is harmless clutter",
                    ));
                }
            }
            if bad == 0 {
                out.push(Finding::ok(format!(
                    "settings: {} set, all valid",
                    all.keys().filter(|k| !settings::is_secret(k)).count()
                )));
            }
        }
        Err(e) => out.push(Finding::fail(
            format!("settings: cannot read: {e}"),
            "check the store's log",
        )),
    }
    out
}

/// A store URL without its password (`mongodb://user:pw@host` → `user:***`).
/// `url` with the password of its user-info (if any) as `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (auth_host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match auth_host.rsplit_once('@') {
        Some((auth, host)) => {
            let user = auth.split_once(':').map_or(auth, |(u, _)| u);
            format!("{scheme}://{user}:***@{host}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(
            redact("mongodb://bincio:s3cret@db:27017/bincio"),
            "mongodb://bincio:***@db:27017/bincio"
        );
        assert_eq!(redact("mongodb://db:27017/x"), "mongodb://db:27017/x");
        assert_eq!(redact("sqlite:/var/lib/x.db"), "sqlite:/var/lib/x.db");
    }
}
