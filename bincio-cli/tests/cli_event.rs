//! `bincio event …` and `bincio serve --event` through the binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

const ADA: &str = "6513270e269e0d37f2a74de452e6b438";

fn event_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/event")
}

fn bincio(data: &Path) -> Command {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.env("BINCIO_DATA_DIR", data)
        .env_remove("BINCIO_STORE")
        .env("BINCIO_LOG", "warn");
    c
}

fn import(data: &Path, role: &str, file: &Path) -> assert_cmd::assert::Assert {
    bincio(data)
        .args(["event", "import", "--event"])
        .arg(event_dir())
        .args(["--role", role])
        .arg(file)
        .assert()
}

#[test]
fn import_twice_show_announce_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = event_dir().join("attendees.csv");
    let first = import(&data, "audience", &csv).success();
    let out1 = String::from_utf8_lossy(&first.get_output().stdout).into_owned();
    assert!(!out1.trim().is_empty(), "prints counts");
    import(&data, "audience", &csv).success();
    import(&data, "staff", &event_dir().join("staff.csv")).success();

    bincio(&data)
        .args(["event", "show", ADA])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("\"user_id\": \"Ada\"")
                .or(predicate::str::contains("\"user_id\":\"Ada\"")),
        );
    bincio(&data)
        .args(["event", "show", "no-such-token"])
        .assert()
        .failure();
    bincio(&data)
        .args(["event", "announce", "--event"])
        .arg(event_dir())
        .args([
            "--msg-en",
            "Lunch is served",
            "--msg-zh",
            "午餐",
            "--role",
            "audience",
            "--role",
            "staff",
        ])
        .assert()
        .success();
    bincio(&data)
        .args(["event", "dashboard", "--event"])
        .arg(event_dir())
        .assert()
        .success()
        .stdout(predicate::str::contains("audience").and(predicate::str::contains("staff")));
    bincio(&data)
        .args(["event", "import", "--event"])
        .arg(event_dir())
        .args(["--role", "nobody"])
        .arg(&csv)
        .assert()
        .failure()
        .stderr(predicate::str::starts_with("error: "));
}

#[test]
fn bad_row_writes_nothing_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut text = std::fs::read_to_string(event_dir().join("attendees.csv")).unwrap();
    text.push_str(",Nobody,,veg,N,M\n");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, &text).unwrap();
    let lines = text.lines().count();
    import(&data, "audience", &bad)
        .failure()
        .stderr(predicate::str::contains(format!("line {lines}")));
    bincio(&data)
        .args(["event", "show", ADA])
        .assert()
        .failure();
}

/// A big file (more rows than the store writes per batch) whose one bad
/// cell is near the end: refused whole, the line and column named, and not
/// one of the rows before it written; the file without it imports whole.
#[test]
fn bad_row_near_the_end_of_a_big_file_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut text = String::from("token,display_name,title,diet,sponsor,shirt_size\n");
    for i in 0..5_000 {
        text.push_str(&format!("big-{i:05},Person {i},,meat,N,M\n"));
    }
    let good = dir.path().join("good.csv");
    std::fs::write(&good, &text).unwrap();
    text.push_str("big-last,Last,,vegan,N,M\n");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, &text).unwrap();
    import(&data, "audience", &bad).failure().stderr(
        predicate::str::contains("bad.csv: nothing imported").and(predicate::str::contains(
            "line 5002: column \"diet\": value \"vegan\" is not mapped",
        )),
    );
    bincio(&data)
        .args(["event", "show", "big-00000"])
        .assert()
        .failure();
    import(&data, "audience", &good)
        .success()
        .stdout(predicate::str::contains(
            "Imported 5000 attendees as audience: 5000 new, 0 updated",
        ));
    bincio(&data)
        .args(["event", "show", "big-04999"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Person 4999"));
}

#[test]
fn serve_with_event_answers_ccip_routes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    import(&data, "audience", &event_dir().join("attendees.csv")).success();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("bincio"))
        .args(["serve", "--bind", "127.0.0.1:0", "--event"])
        .arg(event_dir())
        .env("BINCIO_DATA_DIR", &data)
        .env("BINCIO_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut addr = None;
    let mut line = String::new();
    while addr.is_none() {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(a) = line.trim().strip_prefix("bincio listening on http://") {
            addr = Some(a.to_owned());
        }
    }
    let addr = addr.expect("listening line");
    let get = |path: &str| {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        resp
    };
    let landing = get(&format!("/landing?token={ADA}"));
    let roles = get("/roles");
    let health = get("/healthz");
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        landing.starts_with("HTTP/1.1 200") && landing.contains(r#"{"nickname":"Ada"}"#),
        "{landing}"
    );
    assert!(roles.contains(r#"["audience","staff"]"#), "{roles}");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
}
