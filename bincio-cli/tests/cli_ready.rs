//! `GET /readyz` of a real `bincio serve`: 200 when the store answers with
//! a current schema, 503 when it does not — a SQLite database missing a
//! migration, a MongoDB server that was stopped — and 200 again once it is
//! back. `GET /healthz` (liveness) keeps answering.
//!
//! The MongoDB case stops its server, so it runs a throw-away SecantusDB of
//! its own (`BINCIO_TEST_SECANTUS`, set by `scripts/test.sh`), never the
//! suite's shared one; without it the test fails unless `BINCIO_SKIP_MONGO=1`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;

mod support;

/// `GET path` → (status, body), or `None` when the server did not answer.
fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let status = resp.split(' ').nth(1)?.parse().ok()?;
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    Some((status, body))
}

/// Poll `path` until it answers `want` (or panic after `within`).
fn wait_for(addr: &str, path: &str, want: u16, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        if let Some((s, body)) = get(addr, path) {
            if s == want {
                return body;
            }
        }
        assert!(Instant::now() < deadline, "{path} never answered {want}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(data: &Path, store: Option<&str>) -> (Serve, String) {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env_remove("BINCIO_CONFIG")
        .env_remove("BINCIO_STORE")
        .env("BINCIO_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(s) = store {
        c.args(["--store", s]);
    }
    let mut child = c.spawn().unwrap();
    let addr = support::listening_addr(&mut child);
    (Serve(child), addr)
}

#[test]
fn readyz_on_sqlite_checks_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_server, addr) = serve(&data, None);
    assert_eq!(
        get(&addr, "/readyz").unwrap(),
        (200, r#"{"ok":true,"store":"sqlite"}"#.to_owned())
    );
    // A database whose schema is older than this build (a migration row
    // gone, as after restoring an old file underneath): not ready.
    let db = rusqlite::Connection::open(data.join("instance.db")).unwrap();
    let (id, at): (String, i64) = db
        .query_row(
            "SELECT id, applied_at FROM bincio_migrations ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    db.execute("DELETE FROM bincio_migrations WHERE id = ?1", [&id])
        .unwrap();
    let (status, body) = get(&addr, "/readyz").unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains(r#""ok":false"#) && body.contains("schema"),
        "{body}"
    );
    assert!(
        !body.contains(&id) && !body.contains("/"),
        "no details leak: {body}"
    );
    assert_eq!(get(&addr, "/healthz").unwrap().0, 200, "still alive");
    db.execute(
        "INSERT INTO bincio_migrations (id, applied_at) VALUES (?1, ?2)",
        rusqlite::params![id, at],
    )
    .unwrap();
    assert_eq!(get(&addr, "/readyz").unwrap().0, 200);
}

/// A SecantusDB server on a fixed port and storage dir, restartable.
struct Secantus {
    bin: String,
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Secantus {
    fn start(bin: String) -> Secantus {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Secantus {
            bin,
            port: 0,
            dir,
            child: None,
        };
        s.port = s.run(0);
        s
    }

    /// Start on `port` (0 = any) and return the port it listens on.
    fn run(&mut self, port: u16) -> u16 {
        let log = self.dir.path().join(format!("secantusd-{port}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(&self.bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--storage-path")
            .arg(self.dir.path().join("db"))
            .stderr(out.try_clone().unwrap())
            .stdout(out)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(rest) = text.split("listening on 127.0.0.1:").nth(1) {
                let p: String = rest.chars().take_while(char::is_ascii_digit).collect();
                return p.parse().unwrap();
            }
            assert!(
                Instant::now() < deadline,
                "SecantusDB did not start: {text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Secantus {
    fn drop(&mut self) {
        self.stop();
    }
}

#[test]
fn readyz_follows_the_mongodb_server_down_and_back() {
    let Ok(bin) = std::env::var("BINCIO_TEST_SECANTUS") else {
        if std::env::var("BINCIO_SKIP_MONGO").is_ok_and(|v| v == "1") {
            eprintln!("NOTICE: readyz on MongoDB NOT RUN (BINCIO_SKIP_MONGO=1)");
            return;
        }
        panic!(
            "BINCIO_TEST_SECANTUS (the secantusd-py binary) is not set: this test stops its \
             own MongoDB server; run `bash scripts/test.sh`"
        );
    };
    let mut mongo = Secantus::start(bin);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("mongodb://127.0.0.1:{}/readyz", mongo.port);
    let (_server, addr) = serve(dir.path(), Some(&url));
    assert_eq!(
        get(&addr, "/readyz").unwrap(),
        (200, r#"{"ok":true,"store":"mongodb"}"#.to_owned())
    );
    mongo.stop();
    let t = Instant::now();
    let body = wait_for(&addr, "/readyz", 503, Duration::from_secs(30));
    assert!(body.contains(r#""ok":false"#), "{body}");
    assert!(
        t.elapsed() < Duration::from_secs(15),
        "a probe gets its answer, not the driver's server-selection wait"
    );
    let port = mongo.port;
    assert_eq!(mongo.run(port), port, "restarted on the same port");
    wait_for(&addr, "/readyz", 200, Duration::from_secs(60));
}
