//! `bincio serve` on SIGTERM: it stops accepting, gives requests in flight
//! `--shutdown-grace` seconds, exits 0 within that bound, and leaves
//! nothing half-written — an upload whose body was still arriving is not
//! stored at all, one that completed within the grace is stored whole.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;

mod support;

const PASSWORD: &str = "shutdown-password-1";
const BOUNDARY: &str = "bincio-shutdown-test";

fn bincio(args: &[&str], data: &Path) -> Command {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("BINCIO_CONFIG")
        .env_remove("BINCIO_STORE")
        .env("BINCIO_LOG", "warn");
    c
}

fn init(data: &Path) {
    let mut child = bincio(&["init", "--handle", "admin", "--password-stdin"], data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(child.wait().unwrap().success());
}

fn request(addr: &str, head: &str, body: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn token(addr: &str) -> String {
    let body = format!(r#"{{"handle":"admin","password":"{PASSWORD}"}}"#);
    let resp = request(
        addr,
        &format!(
            "POST /api/auth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        ),
        body.as_bytes(),
    );
    let json = resp.split("\r\n\r\n").nth(1).unwrap();
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["token"].as_str().unwrap().to_owned()
}

/// A one-file multipart upload of a fixture GPX: (head, body).
fn upload(token: &str) -> (String, Vec<u8>) {
    let gpx = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/activities/dave/1024000610.gpx"),
    )
    .unwrap();
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"ride.gpx\"\r\n\
         Content-Type: application/gpx+xml\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&gpx);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let head = format!(
        "POST /api/upload?stream=false HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    (head, body)
}

/// A fresh instance served with `--shutdown-grace grace`, and an upload
/// request for it: (server, address, request head, body).
fn serve_with_upload(data: &Path, grace: &str) -> (Child, String, String, Vec<u8>) {
    init(data);
    let mut child = bincio(
        &["serve", "--bind", "127.0.0.1:0", "--shutdown-grace", grace],
        data,
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let addr = support::listening_addr(&mut child);
    let (head, body) = upload(&token(&addr));
    (child, addr, head, body)
}

fn term(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM");
}

/// Wait for the child to exit; its exit status and how long it took.
fn exit_within(child: &mut Child, bound: Duration) -> (std::process::ExitStatus, Duration) {
    let t = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return (st, t.elapsed());
        }
        if t.elapsed() > bound {
            let _ = child.kill();
            panic!("serve did not exit within {bound:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn activities(data: &Path) -> i64 {
    let db = rusqlite::Connection::open(data.join("instance.db")).unwrap();
    db.query_row("SELECT COUNT(*) FROM activities", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn sigterm_during_an_upload_stores_nothing_half_and_exits_within_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut child, addr, head, body) = serve_with_upload(&data, "2");

    // Half a body sent, then SIGTERM: the request cannot finish in time.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(head.as_bytes()).unwrap();
    slow.write_all(&body[..body.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    term(&child);
    // Stops accepting: a new connection is refused or closed unanswered.
    let (status, took) = exit_within(&mut child, Duration::from_secs(15));
    assert!(status.success(), "exit status {status:?}");
    assert!(
        took >= Duration::from_millis(1500),
        "the request in flight got its grace ({took:?})"
    );
    assert!(TcpStream::connect(&addr).is_err(), "no longer accepting");
    assert_eq!(activities(&data), 0, "the cut upload stored nothing");
    let mut rest = String::new();
    let _ = slow.read_to_string(&mut rest);
    assert!(!rest.contains("\"added\":1"), "not reported stored: {rest}");
}

#[test]
fn an_upload_that_completes_within_the_grace_is_stored_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut child, addr, head, body) = serve_with_upload(&data, "20");
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body[..body.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    term(&child);
    std::thread::sleep(Duration::from_millis(300));
    // The rest arrives after SIGTERM, within the grace: the request is
    // served and stored whole, then the server exits.
    s.write_all(&body[body.len() / 2..]).unwrap();
    let mut resp = Vec::new();
    let mut r = BufReader::new(&mut s);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    r.read_to_end(&mut resp).unwrap();
    let text = String::from_utf8_lossy(&resp);
    assert!(text.contains("\"added\":1"), "{text}");
    let (status, _) = exit_within(&mut child, Duration::from_secs(20));
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(activities(&data), 1);
}
