//! `bincio serve`'s connection hygiene as an operator configures it: the
//! flags and environment variables reach the serving loop, and running out
//! of file descriptors neither stops nor spins the accept loop.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `bincio serve` child on a fresh data dir and a free port, started by
/// `sh -c PREFIX "$@"` (so a test can set limits first). Returns the child
/// and its address; the child is killed when the guard drops.
struct Server {
    child: Child,
    addr: String,
    /// Everything the server logged so far (`BINCIO_LOG=warn`).
    log: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(prefix: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("{prefix} exec \"$@\""))
        .arg("sh")
        .arg(assert_cmd::cargo::cargo_bin("bincio"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env("BINCIO_DATA_DIR", dir.path().join("data"))
        .env_remove("BINCIO_STORE")
        .env("BINCIO_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let sink = log.clone();
    std::thread::spawn(move || {
        let mut line = String::new();
        while err.read_line(&mut line).is_ok_and(|n| n > 0) {
            sink.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
    let addr = support::listening_addr(&mut child);
    Server {
        child,
        addr,
        log,
        _dir: dir,
    }
}

/// Whether the server closes `s` within `within` (EOF or reset).
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

fn healthz(addr: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    Some(resp)
}

#[test]
fn flags_and_env_reach_the_serving_loop() {
    let server = serve(
        "",
        &["--header-read-timeout", "2"],
        &[("BINCIO_MAX_CONNECTIONS_PER_CLIENT", "2")],
    );
    let mut held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(&server.addr).unwrap())
        .collect();
    // Over the per-client bound: closed at once — well before the 2 s
    // header timeout, which cannot fire early.
    let mut third = TcpStream::connect(&server.addr).unwrap();
    assert!(closed_within(&mut third, Duration::from_millis(1500)));
    // The held, silent ones: closed by the header timeout.
    assert!(closed_within(&mut held[0], Duration::from_secs(15)));
}

/// `ulimit -n 64` (soft and hard, so `serve` cannot raise it): 150 held
/// connections exhaust the descriptors and `accept` fails with EMFILE. The
/// loop backs off instead of spinning, and serves again once they close.
#[test]
#[cfg(target_os = "linux")]
fn descriptor_exhaustion_neither_stops_nor_spins_the_loop() {
    let server = serve(
        "ulimit -n 64 &&",
        &[
            "--max-connections-per-client",
            "0",
            "--header-read-timeout",
            "120",
        ],
        &[],
    );
    let held: Vec<TcpStream> = (0..150)
        .map(|_| TcpStream::connect(&server.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let cpu_ticks = || {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", server.child.id())).unwrap();
        let after_name = stat.rsplit_once(')').unwrap().1;
        let f: Vec<u64> = after_name
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        // utime and stime are fields 14 and 15 of stat (11th and 12th after
        // the state letter, which does not parse as a number).
        f[10] + f[11]
    };
    let before = cpu_ticks();
    std::thread::sleep(Duration::from_secs(2));
    let spent = cpu_ticks() - before;
    // Clock ticks are 1/100 s: a spinning loop would burn ~200.
    assert!(spent < 60, "the accept loop spins: {spent} ticks in 2 s");
    assert!(
        server.log.lock().unwrap().contains("accept error"),
        "descriptors were exhausted: {}",
        server.log.lock().unwrap()
    );
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(resp) = healthz(&server.addr) {
            if resp.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the server never recovered");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One request to `addr` with extra header lines; the raw response.
fn get(addr: &str, path: &str, headers: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp
}

/// The `x-request-id` response header.
fn request_id(resp: &str) -> Option<String> {
    resp.split("\r\n\r\n").next()?.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("x-request-id")
            .then(|| v.trim().to_owned())
    })
}

/// `--log-format json`: one JSON object per line, and each request's lines
/// carry its `request_id` — the proxy's when it is a safe token, a fresh
/// one otherwise — which the response echoes in `x-request-id`.
#[test]
fn json_logs_carry_the_request_id_the_response_echoes() {
    let server = serve(
        "",
        &["--log-format", "json"],
        &[("BINCIO_LOG", "info,tower_http=debug")],
    );
    let kept = get(&server.addr, "/api/me", "X-Request-Id: proxy-req.42\r\n");
    assert_eq!(request_id(&kept).as_deref(), Some("proxy-req.42"), "{kept}");
    // A forged id (a newline, quotes, too long) is replaced, never logged.
    let forged = format!("X-Request-Id: a\"b{}\r\n", "x".repeat(80));
    let minted = request_id(&get(&server.addr, "/healthz", &forged)).unwrap();
    assert_eq!(minted.len(), 16, "{minted}");
    assert!(minted.bytes().all(|b| b.is_ascii_hexdigit()));
    // A path no route matches (the fallback's 404) wears it too.
    let unmatched = get(&server.addr, "/no/such/page", "");
    assert!(request_id(&unmatched).is_some(), "{unmatched}");

    let t = Instant::now();
    let lines = loop {
        let log = server.log.lock().unwrap().clone();
        if log.contains("proxy-req.42") && log.contains(&minted) {
            break log;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "not logged: {log}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut with_kept = 0;
    for line in lines.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            v["level"].is_string() && v["timestamp"].is_string(),
            "{line}"
        );
        let request = v["spans"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == "request"));
        if let Some(r) = request.filter(|r| r["request_id"] == "proxy-req.42") {
            with_kept += 1;
            assert_eq!(r["route"], "/api/me", "{line}");
        }
    }
    assert!(with_kept >= 1, "{lines}");
    assert!(!lines.contains("a\\\"b"), "the forged id reached the log");
}
