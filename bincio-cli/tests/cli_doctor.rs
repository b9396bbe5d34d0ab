//! `bincio doctor` and `bincio probe` through the binary: exit 0 when all
//! is well, 1 with a `fix:` line when something needs fixing — on SQLite
//! and on MongoDB.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Stdio};

use assert_cmd::Command;
use bincio_store_mongo::testkit::{base_url, DropDb};
use predicates::prelude::*;

mod support;

fn bincio(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.env("BINCIO_DATA_DIR", dir)
        .env_remove("BINCIO_STORE")
        .env_remove("BINCIO_CONFIG")
        .env("BINCIO_LOG", "warn");
    c
}

fn init(dir: &Path, store: Option<&str>) {
    let mut c = bincio(dir);
    if let Some(s) = store {
        c.env("BINCIO_STORE", s);
    }
    c.args(["init", "--handle", "admin", "--password-stdin"])
        .write_stdin("admin-password\n")
        .assert()
        .success();
}

/// A data dir of mode 0700 (what `tempdir` makes).
fn private_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    d
}

#[test]
fn doctor_on_a_healthy_sqlite_instance_passes() {
    let d = private_dir();
    init(d.path(), None);
    std::fs::write(d.path().join("tokens.key"), b"k").unwrap();
    std::fs::set_permissions(
        d.path().join("tokens.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    bincio(d.path())
        .args(["doctor", "--min-free-mib", "0"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "ok    bincio {}",
            env!("CARGO_PKG_VERSION")
        )))
        .stdout(predicate::str::contains(
            "(sqlite): reachable, schema current",
        ))
        .stdout(predicate::str::contains("tokens.key (mode 0600)"))
        .stdout(predicate::str::contains("accounts: 1 (1 admin)"))
        .stdout(predicate::str::contains("all valid"))
        .stdout(predicate::str::contains("ok    orphaned data: none"))
        .stdout(predicate::str::contains("all checks passed"))
        .stdout(predicate::str::contains("FAIL").not());
}

#[test]
fn doctor_names_each_problem_and_its_fix() {
    let d = private_dir();
    init(d.path(), None);
    // A key file others can read, one level down; a setting gone bad
    // underneath (written straight into the database); a dir open to all.
    std::fs::create_dir(d.path().join("secrets")).unwrap();
    let key = d.path().join("secrets").join("oauth.key");
    std::fs::write(&key, b"k").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let db = rusqlite::Connection::open(d.path().join("instance.db")).unwrap();
    db.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES ('max_users', 'lots')",
        [],
    )
    .unwrap();
    // A photo of no activity (only a database edited with foreign keys
    // off can hold one on SQLite).
    db.execute_batch(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO activity_blobs (handle, id, kind, name, content_type, size, bytes)
             VALUES ('admin', 'gone', 'image', 'p.jpg', 'image/jpeg', 1, x'01');",
    )
    .unwrap();
    drop(db);
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    bincio(d.path())
        .args(["doctor", "--min-free-mib", "0"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "FAIL  key file {} is readable beyond its owner (mode 0644",
            key.display()
        )))
        .stdout(predicate::str::contains(format!(
            "fix: chmod 600 {}",
            key.display()
        )))
        .stdout(predicate::str::contains(
            "FAIL  setting max_users = \"lots\"",
        ))
        .stdout(predicate::str::contains(
            "fix: `bincio settings set max_users VALUE`",
        ))
        .stdout(predicate::str::contains("warn  data dir"))
        .stdout(predicate::str::contains(
            "warn  orphaned data: 0 tracks, 1 photos/originals, 0 chunk groups",
        ))
        .stdout(predicate::str::contains(
            "fix: `bincio doctor --remove-orphans`",
        ))
        .stdout(predicate::str::contains(format!(
            "fix: chmod 700 {}",
            d.path().display()
        )))
        .stderr(predicate::str::contains("error: 2 problems to fix"));
    // Fixed as told: all clear again.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    bincio(d.path())
        .args(["settings", "set", "max_users", "10"])
        .assert()
        .success();
    bincio(d.path())
        .args(["doctor", "--min-free-mib", "0", "--remove-orphans"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "ok    orphaned data: 0 tracks, 1 photos/originals, 0 chunk groups no activity reaches — removed",
        ));
    bincio(d.path())
        .args(["doctor", "--min-free-mib", "0", "--strict"])
        .assert()
        .success()
        .stdout(predicate::str::contains("all checks passed\n"));
}

#[test]
fn doctor_warns_on_low_disk_and_strict_fails_on_it() {
    let d = private_dir();
    init(d.path(), None);
    let huge = (u64::MAX / 4).to_string();
    bincio(d.path())
        .args(["doctor", "--min-free-mib", &huge])
        .assert()
        .success()
        .stdout(predicate::str::contains("warn  free disk:"))
        .stdout(predicate::str::contains("all checks passed, 1 warning(s)"));
    bincio(d.path())
        .args(["doctor", "--strict", "--min-free-mib", &huge])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("1 problem to fix"));
}

#[test]
fn doctor_reads_the_serve_config_with_serves_precedence() {
    let d = private_dir();
    let inst = d.path().join("inst");
    std::fs::create_dir(&inst).unwrap();
    std::fs::set_permissions(&inst, std::fs::Permissions::from_mode(0o700)).unwrap();
    init(&inst, None);
    let config = d.path().join("bincio.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\npublic_url = \"https://x.example\"\n",
            inst.display().to_string()
        ),
    )
    .unwrap();
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.env_remove("BINCIO_DATA_DIR")
        .env_remove("BINCIO_STORE")
        .env_remove("BINCIO_CONFIG")
        .env("BINCIO_LOG", "warn")
        .current_dir(d.path())
        .args(["doctor", "--min-free-mib", "0", "--config"])
        .arg(&config)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "store sqlite:{}/instance.db (sqlite): reachable",
            inst.display()
        )));
    // BINCIO_DATA_DIR beats the file (here: an empty dir, no database).
    bincio(&d.path().join("elsewhere"))
        .args(["doctor", "--config"])
        .arg(&config)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL  no database at"));
    // A bad config is refused, naming the key.
    std::fs::write(&config, "no_such_key = 1\n").unwrap();
    bincio(&inst)
        .args(["doctor", "--config"])
        .arg(&config)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no_such_key"));
}

#[test]
fn doctor_never_creates_an_instance() {
    let d = private_dir();
    let data = d.path().join("nothing-here");
    bincio(&data)
        .arg("doctor")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL  no database at"))
        .stdout(predicate::str::contains("fix: run `bincio init"));
    assert!(!data.exists(), "doctor created {}", data.display());
}

#[test]
fn doctor_on_mongodb() {
    let Some(base) = base_url("doctor_on_mongodb") else {
        return;
    };
    let (url, _guard) = DropDb::fresh(&base);
    // The data dir is not used by a MongoDB store: absent is fine.
    let d = private_dir();
    let data = d.path().join("unused");
    init(&data, Some(&url));
    // As in the containers: the store URL comes from a secret file named
    // by the serve config (`store_file`), found through BINCIO_CONFIG.
    let secret = d.path().join("store_url");
    std::fs::write(&secret, format!("{url}\n")).unwrap();
    let config = d.path().join("bincio.toml");
    std::fs::write(
        &config,
        format!(
            "trusted_proxy = true\nstore_file = {:?}\n",
            secret.display().to_string()
        ),
    )
    .unwrap();
    bincio(&data)
        .env("BINCIO_CONFIG", &config)
        .arg("doctor")
        .assert()
        .success()
        .stdout(predicate::str::contains("skip  data dir"))
        .stdout(predicate::str::contains(
            "(mongodb): reachable, schema current",
        ))
        .stdout(predicate::str::contains("accounts: 1 (1 admin)"))
        .stdout(predicate::str::contains("ok    orphaned data: none"));
    // Nobody listens on port 1: reported within the bound, exit 1, and
    // the password of the URL is never printed.
    bincio(&data)
        .args([
            "doctor",
            "--store",
            "mongodb://ops:hunter2@127.0.0.1:1/x?serverSelectionTimeoutMS=1000&connectTimeoutMS=1000",
        ])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL  store mongodb://ops:***@127.0.0.1:1/x"))
        .stdout(predicate::str::contains("hunter2").not());
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn probe_answers_the_readiness_of_a_running_server() {
    let d = private_dir();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("bincio"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(d.path())
        .env_remove("BINCIO_CONFIG")
        .env_remove("BINCIO_STORE")
        .env("BINCIO_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr = support::listening_addr(&mut child);
    let _server = Serve(child);
    bincio(d.path())
        .args(["probe", &format!("http://{addr}/readyz")])
        .assert()
        .success()
        .stdout(predicate::str::contains("HTTP/1.1 200 OK"));
    bincio(d.path())
        .args(["probe", &format!("http://{addr}/no-such-page")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("404"));
    bincio(d.path())
        .args(["probe", &format!("https://{addr}/readyz")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("only http:// URLs"));
    // Nothing listens there any more once the server is gone.
    drop(_server);
    bincio(d.path())
        .args(["probe", "--timeout", "2", &format!("http://{addr}/readyz")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot connect"));
}
