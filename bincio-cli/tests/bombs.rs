//! Decompression bombs through the binary: a `bincio serve` child under four
//! concurrent gzip-bomb uploads keeps its peak memory (`VmHWM`, read from
//! `/proc/PID/status`, so nothing in this test process pollutes it) well
//! under 100 MiB on SQLite and on MongoDB; `bincio extract` refuses a bomb
//! by name and extracts the good file next to it, into a tree or a store.
//!
//! Two bombs of 1 GiB each ([`gzip_bomb`], built at run time): pure zeros
//! (~1 MiB, ~1000×: refused by the ratio check after its first MiB) and
//! zeros with a pseudo-random byte every KiB (~4 MiB, ~250×: only the
//! 128 MiB GPX limit stops it, the costliest refusal).

mod support;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::OnceLock;

use assert_cmd::Command;
use bincio_core::extract::expand::gzip_bomb;
use bincio_store_mongo::testkit::{base_url, DropDb};
use predicates::prelude::*;

/// The two bombs of 1 GiB, built once per test binary.
fn bomb(noisy: bool) -> &'static [u8] {
    static BOMBS: [OnceLock<Vec<u8>>; 2] = [OnceLock::new(), OnceLock::new()];
    BOMBS[noisy as usize].get_or_init(|| gzip_bomb(1024, noisy))
}

/// How each bomb is refused.
const RATIO_REFUSAL: &str = "decompresses to more than 500 times its compressed size";
const SIZE_REFUSAL: &str = "decompresses to more than 128 MiB";

fn brut() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/activities/brut")
}

fn bincio(data: &Path, store: Option<&str>) -> Command {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.env("BINCIO_DATA_DIR", data)
        .env("BINCIO_LOG", "warn")
        .env_remove("BINCIO_ADMIN_PASSWORD");
    match store {
        Some(s) => c.env("BINCIO_STORE", s),
        None => c.env_remove("BINCIO_STORE"),
    };
    c
}

/// `bincio init` with an admin `rider` / `rider-password`.
fn init(data: &Path, store: Option<&str>) {
    bincio(data, store)
        .env("BINCIO_ADMIN_PASSWORD", "rider-password")
        .args(["init", "--handle", "rider"])
        .assert()
        .success();
}

/// A `bincio serve` child, killed on drop.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(data: &Path, store: Option<&str>) -> Self {
        let mut cmd = Process::new(assert_cmd::cargo::cargo_bin("bincio"));
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .env("BINCIO_DATA_DIR", data)
            .env("BINCIO_LOG", "warn")
            .stdout(Stdio::piped());
        match store {
            Some(s) => cmd.env("BINCIO_STORE", s),
            None => cmd.env_remove("BINCIO_STORE"),
        };
        let mut child = cmd.spawn().unwrap();
        let addr = support::listening_addr(&mut child);
        Self { child, addr }
    }

    /// A `/proc/PID/status` figure of the server, KiB: `VmHWM` (peak
    /// resident set so far) or `VmRSS` (resident now).
    fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("field in /proc/PID/status")
    }

    /// One HTTP/1.1 request (`Connection: close`) → status and body.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let mut s = std::net::TcpStream::connect(&self.addr).unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).unwrap();
        let resp = String::from_utf8_lossy(&resp).into_owned();
        let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let chunked = head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        (
            status,
            if chunked {
                dechunk(body)
            } else {
                body.to_owned()
            },
        )
    }

    /// A Bearer token for `rider`.
    fn token(&self) -> String {
        let (status, body) = self.request(
            "POST",
            "/api/auth/token",
            &[("Content-Type", "application/json")],
            br#"{"handle":"rider","password":"rider-password"}"#,
        );
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["token"].as_str().unwrap().to_owned()
    }

    fn activities_count(&self, auth: &str) -> serde_json::Value {
        let (_, body) = self.request("GET", "/api/me/storage", &[("Authorization", auth)], b"");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["activities_count"].clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn multipart(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "bincio-bomb-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Four concurrent bomb uploads: each refused by name, nothing stored, and
/// the server's peak resident memory stays far below 100 MiB.
fn four_concurrent_bombs(store: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path(), store);
    let server = Server::start(dir.path(), store);
    let auth = format!("Bearer {}", server.token());
    // The login's argon2 hash (~46 MiB in a debug build) is the peak so
    // far; what is resident now is the base the bombs add to.
    let resident = server.memory_kib("VmRSS");
    let uploads: Vec<(String, Vec<u8>)> = (0..4)
        .map(|i| multipart("bomb.gpx.gz", bomb(i % 2 == 1)))
        .collect();
    let answers: Vec<(u16, String)> = std::thread::scope(|s| {
        let running: Vec<_> = uploads
            .iter()
            .map(|(content_type, body)| {
                s.spawn(|| {
                    server.request(
                        "POST",
                        "/api/upload?stream=false",
                        &[("Content-Type", content_type), ("Authorization", &auth)],
                        body,
                    )
                })
            })
            .collect();
        running.into_iter().map(|u| u.join().unwrap()).collect()
    });
    let peak = server.memory_kib("VmHWM");
    eprintln!(
        "bincio serve ({}): {resident} KiB resident before four concurrent bombs, peak {peak} KiB",
        store.map_or("sqlite", |_| "mongodb"),
    );
    for (i, (status, text)) in answers.into_iter().enumerate() {
        assert_eq!(status, 200, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["done"]["errors"], 1, "{text}");
        let expected = if i % 2 == 1 {
            SIZE_REFUSAL
        } else {
            RATIO_REFUSAL
        };
        let detail = v["results"][0]["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("bomb.gpx.gz: too large: ") && detail.contains(expected),
            "{detail}"
        );
    }
    assert!(peak < 100 << 10, "peak {peak} KiB under four bombs");
    assert!(
        peak - resident < 48 << 10,
        "four bombs added {} KiB",
        peak - resident
    );
    assert_eq!(server.activities_count(&auth), 0);
}

/// One `#[test]` per backend for a case taking the store URL (`None`:
/// SQLite in the data directory).
macro_rules! on_both_backends {
    ($case:ident: $sqlite:ident, $mongo:ident) => {
        #[test]
        fn $sqlite() {
            $case(None);
        }

        #[test]
        fn $mongo() {
            let Some(base) = base_url(stringify!($mongo)) else {
                return;
            };
            let (url, _guard) = DropDb::fresh(&base);
            $case(Some(&url));
        }
    };
}

on_both_backends!(four_concurrent_bombs:
    four_concurrent_gzip_bombs_keep_serve_small_sqlite,
    four_concurrent_gzip_bombs_keep_serve_small_mongo);

/// An input directory holding both bombs and one real gzipped GPX.
fn bombs_and_good_file() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dense.gpx.gz"), bomb(false)).unwrap();
    std::fs::write(dir.path().join("noisy.gpx.gz"), bomb(true)).unwrap();
    std::fs::copy(
        brut().join("947905012.gpx.gz"),
        dir.path().join("947905012.gpx.gz"),
    )
    .unwrap();
    dir
}

/// `cmd extract --handle rider --input <both bombs and a good file> …extra`
/// succeeds, prints `summary` and names both bombs with their reasons.
fn extract_bombs(mut cmd: Command, extra: &[&std::ffi::OsStr], summary: &str) {
    let input = bombs_and_good_file();
    cmd.args(["extract", "--handle", "rider", "--input"])
        .arg(input.path())
        .args(extra)
        .assert()
        .success()
        .stdout(predicate::str::contains(summary))
        .stderr(
            predicate::str::is_match(format!("dense.gpx.gz: .*{RATIO_REFUSAL}"))
                .unwrap()
                .and(predicate::str::is_match(format!("noisy.gpx.gz: .*{SIZE_REFUSAL}")).unwrap()),
        );
}

#[test]
fn extract_to_a_tree_refuses_the_bomb_by_name() {
    let out = tempfile::tempdir().unwrap();
    extract_bombs(
        Command::cargo_bin("bincio").unwrap(),
        &["--output".as_ref(), out.path().as_os_str()],
        "1 extracted, 0 unchanged, 0 duplicates, 2 errors",
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("rider/index.json")).unwrap())
            .unwrap();
    let listed = index["activities"].as_array().unwrap().len();
    assert_eq!(listed, 1, "only the good file is written");
}

fn extract_into_store(store: Option<&str>) {
    let data = tempfile::tempdir().unwrap();
    init(data.path(), store);
    extract_bombs(
        bincio(data.path(), store),
        &[],
        "stored 1 activities for rider, 0 already there, 2 errors",
    );
}

on_both_backends!(extract_into_store:
    extract_into_the_store_refuses_the_bomb_sqlite,
    extract_into_the_store_refuses_the_bomb_mongo);
