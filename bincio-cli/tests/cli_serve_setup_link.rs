//! `bincio serve` on an empty instance prints a set-up link that opens the
//! web page creating the first admin (issue 12: the link used to answer
//! `{"detail":"Not Found"}`).

use std::io::{BufRead, BufReader, Read, Write};

fn get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp
}

#[test]
fn printed_setup_link_opens_the_setup_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("bincio"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("BINCIO_DATA_DIR", dir.path().join("fresh"))
        .env("BINCIO_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut link, mut addr) = (None, None);
    let mut line = String::new();
    while addr.is_none() {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            break;
        }
        let l = line.trim();
        if l.contains("/setup/?code=") {
            link = Some(l.to_owned());
        }
        if let Some(a) = l.strip_prefix("bincio listening on http://") {
            addr = Some(a.to_owned());
        }
    }
    let addr = addr.expect("listening line");
    let link = link.expect("a set-up link is printed");
    // Bound to port 0, the link names the --bind address; the page is the
    // same on the real one.
    let path = &link[link.find("/setup/").unwrap()..];
    let code = path.trim_start_matches("/setup/?code=");
    assert_eq!(code.len(), 12, "{link}");
    let resp = get(&addr, path);
    child.kill().unwrap();
    let _ = child.wait();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(
        resp.to_ascii_lowercase()
            .contains("content-type: text/html"),
        "{resp}"
    );
    assert!(
        resp.contains(&format!("value=\"{code}\"")),
        "the code is filled in: {resp}"
    );
    assert!(resp.contains("action=\"/setup/\""), "{resp}");
}
