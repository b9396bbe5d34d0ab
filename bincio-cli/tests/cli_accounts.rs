//! The `bincio` binary: init, users, settings (assert_cmd).

use assert_cmd::Command;
use predicates::prelude::*;

fn bincio(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.env("BINCIO_DATA_DIR", dir)
        .env_remove("BINCIO_STORE")
        .env_remove("BINCIO_ADMIN_PASSWORD")
        .env_remove("BINCIO_PASSWORD")
        .env("BINCIO_LOG", "warn");
    c
}

fn invite_code(stdout: &[u8]) -> String {
    let s = String::from_utf8_lossy(stdout);
    let line = s
        .lines()
        .find(|l| l.contains("code="))
        .expect("invite link");
    line.rsplit("code=").next().unwrap().trim().to_owned()
}

#[test]
fn init_twice_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let first = bincio(dir.path())
        .args([
            "init",
            "--handle",
            "admin",
            "--name",
            "Test",
            "--max-users",
            "10",
            "--password-stdin",
        ])
        .write_stdin("admin-password\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("Created admin account admin"))
        .stdout(predicate::str::contains("/register/?code="));
    let code1 = invite_code(&first.get_output().stdout);
    assert_eq!(code1.len(), 8);
    assert!(dir.path().join("instance.db").exists());

    // Second run: no password needed, same admin, same unused invite.
    let second = bincio(dir.path())
        .args(["init", "--handle", "admin"])
        .assert()
        .success()
        .stdout(predicate::str::contains("already exists"));
    assert_eq!(invite_code(&second.get_output().stdout), code1);

    bincio(dir.path())
        .args(["users", "list"])
        .assert()
        .success()
        .stdout(predicate::str::is_match("(?m)^admin ").unwrap().count(1));
    bincio(dir.path())
        .args(["settings", "get", "max_users"])
        .assert()
        .success()
        .stdout("10\n");
    bincio(dir.path())
        .args(["settings", "get", "instance_name"])
        .assert()
        .success()
        .stdout("Test\n");
}

#[test]
fn init_without_password_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    bincio(dir.path())
        .args(["init", "--handle", "admin"])
        .assert()
        .failure()
        .stderr(predicate::str::starts_with("error: no admin password"));
    bincio(dir.path())
        .args(["init", "--handle", "../evil", "--password-stdin"])
        .write_stdin("admin-password\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("Handle must be"));
}

#[test]
fn init_reads_password_from_env() {
    let dir = tempfile::tempdir().unwrap();
    bincio(dir.path())
        .env("BINCIO_ADMIN_PASSWORD", "env-password")
        .args(["init", "--handle", "root", "--store-originals", "false"])
        .assert()
        .success();
    bincio(dir.path())
        .args(["settings", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("store_originals = false"));
}

#[test]
fn users_reset_code_and_roles() {
    let dir = tempfile::tempdir().unwrap();
    bincio(dir.path())
        .args(["init", "--handle", "admin", "--password-stdin"])
        .write_stdin("admin-password\n")
        .assert()
        .success();
    bincio(dir.path())
        .args([
            "users",
            "create",
            "bob",
            "--password-stdin",
            "--display-name",
            "Bob",
        ])
        .write_stdin("bob-password\n")
        .assert()
        .success()
        .stdout("Created bob (user)\n");
    let out = bincio(dir.path())
        .args(["users", "reset-code", "bob"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Reset code for bob: "))
        .stdout(predicate::str::contains("one use"));
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let code = text.split(": ").nth(1).unwrap().split(' ').next().unwrap();
    assert_eq!(code.len(), 8);
    bincio(dir.path())
        .args(["users", "reset-code", "nobody"])
        .assert()
        .failure()
        .stderr("error: User not found\n");
    bincio(dir.path())
        .args(["users", "set-role", "bob", "staff"])
        .assert()
        .success()
        .stdout("bob is now staff\n");
    bincio(dir.path())
        .args(["users", "set-role", "bob", "emperor"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown role"));
    bincio(dir.path())
        .args(["users", "set-admin", "bob"])
        .assert()
        .success()
        .stdout("bob is now admin\n");
    let inv = bincio(dir.path())
        .args(["users", "invite", "bob"])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&inv.get_output().stdout)
            .trim()
            .len(),
        8
    );
    bincio(dir.path())
        .args(["users", "delete", "bob"])
        .assert()
        .success();
    bincio(dir.path())
        .args(["users", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("bob").not());
}

#[test]
fn settings_set_validates() {
    let dir = tempfile::tempdir().unwrap();
    bincio(dir.path())
        .args(["settings", "set", "max_users", "5"])
        .assert()
        .success()
        .stdout("max_users = 5\n");
    bincio(dir.path())
        .args(["settings", "set", "private", "no"])
        .assert()
        .success()
        .stdout("private = false\n");
    bincio(dir.path())
        .args(["settings", "set", "max_users", "lots"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("max_users must be a whole number"));
    bincio(dir.path())
        .args(["settings", "set", "colour", "blue"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown setting"));
    bincio(dir.path())
        .args(["settings", "get", "setup_code_sha256"])
        .assert()
        .failure();
    bincio(dir.path()).args(["--help"]).assert().success();
}

#[test]
fn unknown_store_url_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    bincio(dir.path())
        .args(["users", "list", "--store", "postgres://x"])
        .assert()
        .failure()
        .stderr(predicate::str::starts_with("error: unknown store URL"));
}

#[test]
fn serve_on_empty_dir_prints_setup_code_and_serves() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("bincio"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("BINCIO_DATA_DIR", &data)
        .env("BINCIO_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut code = None;
    let mut addr = None;
    let mut line = String::new();
    while addr.is_none() {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(c) = line.split("one-time code ").nth(1) {
            code = Some(c.trim_end().trim_end_matches("):").to_owned());
        }
        if let Some(a) = line.trim().strip_prefix("bincio listening on http://") {
            addr = Some(a.to_owned());
        }
    }
    let addr = addr.expect("listening line");
    let code = code.expect("setup code printed");
    assert_eq!(code.len(), 12);
    assert!(data.join("instance.db").exists());

    let body = format!(r#"{{"code":"{code}","handle":"boss","password":"boss-password"}}"#);
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "POST /api/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains(r#"{"ok":true,"handle":"boss"}"#), "{resp}");
    bincio(&data)
        .args(["users", "list"])
        .assert()
        .success()
        .stdout(predicate::str::is_match("(?m)^boss +admin").unwrap());
}
