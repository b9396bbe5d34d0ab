//! `bincio_http::serve` over real sockets: header-read, idle and body-read
//! timeouts, and the connection bounds (global and per client). Timeouts are
//! shortened to fractions of a second; the only timing assertions are
//! "closed within a generous bound" and "not before the deadline" (timers
//! never fire early). The serving loop never touches a store, so SQLite
//! suffices.

use support::ccip as ccip_common;
#[macro_use]
mod support;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use bincio_http::ServeConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{timeout, Instant};

use support::http::TestApp;

/// Ample bound for "the server closed it" (the deadlines are ≤ 1 s).
const CLOSED_WITHIN: Duration = Duration::from_secs(10);

/// Long enough never to fire during a test.
const LONG: Duration = Duration::from_secs(600);

fn config() -> ServeConfig {
    ServeConfig {
        header_read_timeout: LONG,
        idle_timeout: LONG,
        body_read_timeout: LONG,
        max_connections: 64,
        max_connections_per_client: 0,
        shutdown_grace: Duration::from_secs(1),
    }
}

/// Serve `router` on a free loopback port (for the test's lifetime).
async fn start(router: Router, config: ServeConfig) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(bincio_http::serve(
        listener,
        router,
        config,
        std::future::pending(),
    ));
    addr
}

/// An app on SQLite served with `config` on a free loopback port. Keep
/// the app alive: it owns the database's directory.
async fn serving(config: ServeConfig) -> (TestApp, SocketAddr) {
    let app = TestApp::new(&support::Sqlite).await;
    let addr = start(app.router.clone(), config).await;
    (app, addr)
}

/// Connect from a chosen loopback source address (Linux routes all of
/// 127.0.0.0/8 to lo), so one test can play several clients.
async fn connect_from(source: &str, addr: SocketAddr) -> TcpStream {
    let s = TcpSocket::new_v4().expect("socket");
    s.bind(format!("{source}:0").parse().expect("source"))
        .expect("bind source");
    s.connect(addr).await.expect("connect")
}

/// Read until the server closes; the bytes read. A reset counts as closed.
async fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
        }
    }
}

/// Wait (bounded) for the server to close `s`; the bytes it sent first.
async fn closed(s: &mut TcpStream) -> Vec<u8> {
    timeout(CLOSED_WITHIN, read_to_close(s))
        .await
        .expect("the server closes the connection")
}

/// Read one HTTP/1.1 response with a `content-length` body: (status, body).
async fn read_response(s: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = timeout(CLOSED_WITHIN, s.read(&mut byte))
            .await
            .expect("response in time")
            .expect("read");
        assert_eq!(n, 1, "closed mid-head: {}", String::from_utf8_lossy(&buf));
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let status = head[9..12].parse().expect("status");
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().expect("length"))
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    timeout(CLOSED_WITHIN, s.read_exact(&mut body))
        .await
        .expect("body in time")
        .expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn get(s: &mut TcpStream, path: &str) -> (u16, String) {
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes())
        .await
        .expect("write");
    read_response(s).await
}

#[tokio::test]
async fn silent_connection_is_closed_after_the_header_timeout() {
    let header = Duration::from_millis(300);
    let (_app, addr) = serving(ServeConfig {
        header_read_timeout: header,
        ..config()
    })
    .await;
    let t0 = Instant::now();
    let mut s = TcpStream::connect(addr).await.expect("connect");
    assert!(closed(&mut s).await.is_empty(), "closed without an answer");
    assert!(t0.elapsed() >= header, "not before the deadline");
}

#[tokio::test]
async fn slow_loris_is_closed_however_many_bytes_trickle_in() {
    let (_app, addr) = serving(ServeConfig {
        header_read_timeout: Duration::from_millis(500),
        ..config()
    })
    .await;
    let (mut rd, mut wr) = TcpStream::connect(addr)
        .await
        .expect("connect")
        .into_split();
    let reader = tokio::spawn(async move {
        let mut all = Vec::new();
        let _ = timeout(CLOSED_WITHIN, rd.read_to_end(&mut all)).await;
        all
    });
    // One byte every 50 ms: a head the server would otherwise wait for
    // forever (about 30 s of padding).
    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(600)
    );
    let mut sent = 0;
    for b in head.bytes() {
        if reader.is_finished() || wr.write_all(&[b]).await.is_err() {
            break;
        }
        sent += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answered = reader.await.expect("reader");
    assert!(sent < head.len(), "closed before the head was complete");
    assert!(answered.is_empty(), "no answer to a partial head");
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed() {
    let idle = Duration::from_millis(300);
    let (_app, addr) = serving(ServeConfig {
        idle_timeout: idle,
        ..config()
    })
    .await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    assert_eq!(get(&mut s, "/healthz").await.0, 200);
    let t0 = Instant::now();
    assert!(closed(&mut s).await.is_empty());
    assert!(t0.elapsed() >= idle, "not before the deadline");
}

/// The header timeout bounds a head, not the pause before it: a kept-alive
/// connection may wait longer than the header timeout (up to the idle
/// timeout) before its next request.
#[tokio::test]
async fn keep_alive_outlives_the_header_timeout() {
    let (_app, addr) = serving(ServeConfig {
        header_read_timeout: Duration::from_millis(200),
        ..config()
    })
    .await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    assert_eq!(get(&mut s, "/healthz").await.0, 200);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(get(&mut s, "/healthz").await.0, 200);
}

/// One client holding its per-client maximum of idle sockets: its next
/// socket is closed at once, and another client's `/healthz` answers.
#[tokio::test]
async fn one_client_cannot_starve_another() {
    let per_client = 4;
    let (_app, addr) = serving(ServeConfig {
        max_connections: 8,
        max_connections_per_client: per_client,
        ..config()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..per_client {
        held.push(connect_from("127.0.0.1", addr).await);
    }
    // Make sure the server has accepted (and counted) all of them.
    let (status, _) = get(&mut held[per_client - 1], "/healthz").await;
    assert_eq!(status, 200);
    let mut extra = connect_from("127.0.0.1", addr).await;
    assert!(
        closed(&mut extra).await.is_empty(),
        "over the per-client bound"
    );
    let mut other = connect_from("127.0.0.2", addr).await;
    assert_eq!(get(&mut other, "/healthz").await.0, 200);
    // Closing one socket gives the first client room again.
    drop(held.pop());
    let deadline = Instant::now() + CLOSED_WITHIN;
    loop {
        let mut s = connect_from("127.0.0.1", addr).await;
        let ok = s
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .is_ok();
        let mut first = [0u8; 12];
        if ok
            && timeout(Duration::from_secs(2), s.read_exact(&mut first))
                .await
                .is_ok_and(|r| r.is_ok())
        {
            assert_eq!(&first, b"HTTP/1.1 200");
            break;
        }
        assert!(Instant::now() < deadline, "the permit was never released");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// At the global bound new connections wait (they are not accepted) and
/// are served as soon as a slot frees.
#[tokio::test]
async fn at_the_global_bound_new_connections_wait() {
    let (_app, addr) = serving(ServeConfig {
        max_connections: 2,
        ..config()
    })
    .await;
    let mut a = TcpStream::connect(addr).await.expect("a");
    assert_eq!(get(&mut a, "/healthz").await.0, 200);
    let mut b = TcpStream::connect(addr).await.expect("b");
    assert_eq!(get(&mut b, "/healthz").await.0, 200);
    let mut c = TcpStream::connect(addr).await.expect("c (kernel backlog)");
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("write");
    let mut first = [0u8; 1];
    assert!(
        timeout(Duration::from_millis(300), c.read(&mut first))
            .await
            .is_err(),
        "not served while two connections are open"
    );
    drop(a);
    let mut rest = [0u8; 12];
    timeout(CLOSED_WITHIN, c.read_exact(&mut rest))
        .await
        .expect("served once a slot frees")
        .expect("read");
    assert_eq!(&rest, b"HTTP/1.1 200");
}

/// A request body that stops arriving: 408 in the route's format, then the
/// connection is closed (the rest of the body will not come).
#[tokio::test]
async fn stalled_upload_body_times_out() {
    let (app, addr) = serving(ServeConfig {
        body_read_timeout: Duration::from_millis(300),
        ..config()
    })
    .await;
    let admin = app.admin().await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let part =
        "--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.gpx\"\r\n\r\n<gpx";
    let head = format!(
        "POST /api/upload?stream=false HTTP/1.1\r\nHost: t\r\nCookie: bincio_session={admin}\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n{part}"
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let t0 = Instant::now();
    let (status, body) = read_response(&mut s).await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(body, r#"{"detail":"Request body timed out"}"#);
    assert!(t0.elapsed() >= Duration::from_millis(300));
    closed(&mut s).await;
}

/// The same on a CCIP route: CCIP's `{"message": …}`.
#[tokio::test]
async fn stalled_ccip_form_times_out_in_ccip_format() {
    let app = ccip_common::CcipApp::new(&support::Sqlite).await;
    let addr = start(
        app.router.clone(),
        ServeConfig {
            body_read_timeout: Duration::from_millis(300),
            ..config()
        },
    )
    .await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /announcement HTTP/1.1\r\nHost: t\r\nccip: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nmsg_en=hel",
        ccip_common::STAFF_KEY
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let (status, body) = read_response(&mut s).await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(body, "{\"message\":\"Request body timed out\"}\n");
    closed(&mut s).await;
    assert_eq!(app.get("/announcement").await.text, "[]");
}
