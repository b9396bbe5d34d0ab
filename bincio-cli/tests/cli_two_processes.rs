//! Two `bincio serve` processes on one database (issue 17, "many processes,
//! one MongoDB"): over HTTP they share the running jobs, the failed-login
//! budget and the set-up code, and a scheduled drop-folder scan runs once
//! per interval across both — on MongoDB (SecantusDB) and on one SQLite
//! file. Both processes use one data directory, so one key file.
//!
//! The MongoDB case needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh`
//! sets it).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use bincio_store_mongo::testkit::{base_url, DropDb};

const PASSWORD: &str = "two-processes-password";
const BOUNDARY: &str = "bincio-two-processes";
/// `bincio_core::ratelimit::LOGIN_PER_ACCOUNT`.
const LOGIN_PER_ACCOUNT: usize = 10;

struct Serve {
    child: Child,
    addr: String,
    setup_code: Option<String>,
    log: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `bincio serve` on `data` (and `store` when given), scanning drop
/// folders every second; its stderr (with the scheduler's debug lines)
/// goes to `log`.
fn serve(data: &Path, store: Option<&str>, log: PathBuf) -> Serve {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--drop-interval",
        "1",
        "--data-dir",
    ])
    .arg(data)
    .env_remove("BINCIO_CONFIG")
    .env_remove("BINCIO_STORE")
    .env("BINCIO_LOG", "warn,bincio_core::sources=debug")
    .stdout(Stdio::piped())
    .stderr(std::fs::File::create(&log).unwrap());
    if let Some(s) = store {
        c.args(["--store", s]);
    }
    let mut child = c.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut setup_code, mut line) = (None, String::new());
    let addr = loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "bincio serve exited before listening"
        );
        if let Some(i) = line.find("/setup/?code=") {
            setup_code = Some(line[i + "/setup/?code=".len()..].trim().to_owned());
        }
        if let Some(a) = line.trim().strip_prefix("bincio listening on http://") {
            break a.to_owned();
        }
    };
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    Serve {
        child,
        addr,
        setup_code,
        log,
    }
}

/// One request → (status, body).
fn request(addr: &str, method: &str, path: &str, headers: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp.split(' ').nth(1).unwrap().parse().unwrap();
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

fn post_json(addr: &str, path: &str, json: &serde_json::Value) -> (u16, String) {
    request(
        addr,
        "POST",
        path,
        "Content-Type: application/json\r\n",
        json.to_string().as_bytes(),
    )
}

fn jobs(addr: &str, token: &str) -> Vec<serde_json::Value> {
    let (status, body) = request(
        addr,
        "GET",
        "/api/admin/jobs",
        &format!("Authorization: Bearer {token}\r\n"),
        b"",
    );
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// A multipart upload of `n` distinct variants of a fixture GPX.
fn upload_body(n: usize) -> Vec<u8> {
    let gpx = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/activities/dave/1024000610.gpx"),
    )
    .unwrap();
    let mut body = Vec::new();
    for i in 0..n {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; \
                 filename=\"ride{i}.gpx\"\r\nContent-Type: application/gpx+xml\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&gpx);
        body.extend_from_slice(format!("<!-- variant {i} -->\r\n").as_bytes());
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// The scheduler's tick lines in a process's log.
fn ticks(s: &Serve) -> usize {
    std::fs::read_to_string(&s.log)
        .unwrap()
        .lines()
        .filter(|l| l.contains("scheduled drop-folder scan"))
        .count()
}

/// `files`: how many files the upload of (a) carries, enough for it to run
/// a few seconds on the backend (here: 150 on SQLite ≈ 2.5 s after B saw
/// it, 30 on SecantusDB ≈ 5 s).
fn two_processes_share(data: &Path, store: Option<&str>, files: usize) {
    let started = Instant::now();
    let a = serve(data, store, data.join("a.log"));
    let b = serve(data, store, data.join("b.log"));

    // (c) One set-up code: B prints A's, and registering through B with
    // A's code makes the admin.
    let code = a.setup_code.clone().expect("A prints a set-up link");
    assert_eq!(
        b.setup_code.as_deref(),
        Some(code.as_str()),
        "the same link"
    );
    let (status, body) = post_json(
        &b.addr,
        "/api/register",
        &serde_json::json!({ "code": code, "handle": "admin", "password": PASSWORD }),
    );
    assert_eq!(status, 200, "{body}");

    let (status, body) = post_json(
        &a.addr,
        "/api/auth/token",
        &serde_json::json!({ "handle": "admin", "password": PASSWORD }),
    );
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = v["token"].as_str().unwrap().to_owned();

    // (a) A job running on A is listed by B, and gone from B once done.
    let head = format!(
        "Authorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
    );
    let body = upload_body(files);
    let a_addr = a.addr.clone();
    let uploading = std::thread::spawn(move || {
        request(&a_addr, "POST", "/api/upload?stream=false", &head, &body)
    });
    let mut seen_on_b = None;
    while seen_on_b.is_none() && !uploading.is_finished() {
        seen_on_b = jobs(&b.addr, &token)
            .into_iter()
            .find(|j| j["kind"] == "upload" && j["user"] == "admin");
        std::thread::sleep(Duration::from_millis(30));
    }
    let (status, out) = uploading.join().unwrap();
    assert_eq!(status, 200, "{out}");
    let job = seen_on_b.expect("B lists the upload job running on A");
    assert_eq!(job["total"], files, "{job}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !jobs(&b.addr, &token).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the finished job stays listed on B"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // (b) Failed logins spread over A and B share one budget.
    let wrong = serde_json::json!({ "handle": "admin", "password": "wrong-password" });
    for i in 0..LOGIN_PER_ACCOUNT {
        let addr = if i % 2 == 0 { &a.addr } else { &b.addr };
        let (status, body) = post_json(addr, "/api/auth/login", &wrong);
        assert_eq!(status, 401, "failure {i}: {body}");
    }
    for addr in [&a.addr, &b.addr] {
        let (status, body) = post_json(addr, "/api/auth/login", &wrong);
        assert_eq!(status, 429, "the budget is spent on both: {body}");
    }

    // (d) The drop-folder scan runs once per second across both: one
    // process ticks (it holds the lease), about once per second since it
    // started; the other never does.
    std::thread::sleep(Duration::from_secs(3));
    let elapsed = started.elapsed().as_secs() as usize;
    let (ta, tb) = (ticks(&a), ticks(&b));
    assert!(
        ta == 0 || tb == 0,
        "both processes ran scheduled scans: {ta} and {tb}"
    );
    let total = ta + tb;
    assert!(
        total >= 3 && total <= elapsed + 2,
        "{total} scans in {elapsed} s: expected about one per second"
    );

    // (e) The scanning process stops gracefully (SIGTERM): it gives the
    // lease up, so the other takes the scans over at its next tick — well
    // before the lease would have expired (10 s for a 1 s interval).
    let (mut holder, other) = if ta > 0 { (a, b) } else { (b, a) };
    let ok = Command::new("kill")
        .args(["-TERM", &holder.child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM");
    let t = Instant::now();
    while holder.child.try_wait().unwrap().is_none() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let t = Instant::now();
    while ticks(&other) == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(6),
            "the other process did not take the scans over"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_processes_share_one_mongodb() {
    let Some(base) = base_url("two_processes_share_one_mongodb") else {
        return;
    };
    let (url, _guard) = DropDb::fresh(&base);
    let dir = tempfile::tempdir().unwrap();
    two_processes_share(dir.path(), Some(&url), 30);
}

#[test]
fn two_processes_share_one_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    two_processes_share(dir.path(), None, 150);
}
