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
    serve_env(data, store, &[])
}

/// [`serve`] with `/metrics` behind the bearer token `scrape-me`.
fn serve_with_metrics(data: &Path, store: Option<&str>) -> (Serve, String) {
    serve_env(data, store, &[("BINCIO_METRICS_TOKEN", "scrape-me")])
}

fn serve_env(data: &Path, store: Option<&str>, env: &[(&str, &str)]) -> (Serve, String) {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.envs(env.iter().copied());
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

/// `/metrics`: absent without `--metrics-token`; with it, refused without
/// the bearer token, and with it Prometheus text that counts requests
/// under their route template (never the path).
#[test]
fn metrics_are_prometheus_text_behind_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let (_plain, addr) = serve(&dir.path().join("a"), None);
    assert_eq!(get(&addr, "/metrics").unwrap().0, 404, "off by default");

    let (_server, addr) = serve_with_metrics(&dir.path().join("b"), None);
    assert_eq!(get(&addr, "/metrics").unwrap().0, 401, "token needed");
    for _ in 0..3 {
        assert_eq!(get(&addr, "/readyz").unwrap().0, 200);
    }
    get(&addr, "/u/nobody-here/").unwrap();
    let scrape = || {
        let mut s = TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer scrape-me\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert!(
            resp.contains("content-type: text/plain; version=0.0.4"),
            "{resp}"
        );
        resp.split("\r\n\r\n").nth(1).unwrap().to_owned()
    };
    let text = scrape();
    // Every line is a comment or `name{labels} value` with a number.
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(c) = line.strip_prefix("# ") {
            assert!(c.starts_with("HELP ") || c.starts_with("TYPE "), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "value of {line}");
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            assert!(labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')));
        }
    }
    let count = |text: &str, series: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0)
    };
    let ready = r#"bincio_http_requests_total{method="GET",route="/readyz",status="200"}"#;
    assert_eq!(count(&text, ready), 3, "{text}");
    assert!(
        text.contains(r#"route="/u/{handle}/""#) && !text.contains("nobody-here"),
        "templates, never paths: {text}"
    );
    assert!(text.contains("bincio_jobs_running 0"), "{text}");
    assert!(text
        .contains(r#"bincio_http_request_duration_seconds_count{method="GET",route="/readyz"} 3"#));
    get(&addr, "/readyz").unwrap();
    let text = scrape();
    assert_eq!(count(&text, ready), 4, "counts a request");
    // Store calls, by backend and method: /readyz asks the store.
    let calls = r#"bincio_store_call_duration_seconds_count{backend="sqlite",op="ready"}"#;
    assert!(count(&text, calls) >= 4, "{text}");
    assert!(text.contains(
        r#"bincio_store_call_duration_seconds_bucket{backend="sqlite",op="ready",le="0.0001"}"#
    ));
}

/// The store-call histogram on MongoDB too (`backend="mongodb"`).
#[test]
fn store_call_latency_is_measured_on_mongodb() {
    let Some(base) = bincio_store_mongo::testkit::base_url("store_call_latency_on_mongodb") else {
        return;
    };
    let (url, _db) = bincio_store_mongo::testkit::DropDb::fresh(&base);
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr) = serve_with_metrics(dir.path(), Some(&url));
    assert_eq!(get(&addr, "/readyz").unwrap().0, 200);
    let mut s = TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer scrape-me\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(
        resp.contains(r#"bincio_store_call_duration_seconds_count{backend="mongodb",op="ready"}"#),
        "{resp}"
    );
}
