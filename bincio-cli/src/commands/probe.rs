//! `bincio probe URL`: one plain-HTTP GET, exit 0 on a 2xx answer and 1
//! otherwise. The container image's `HEALTHCHECK` runs it against
//! `/readyz`, so the runtime image needs no curl or wget.
//!
//! Deliberately tiny: `http://` only (a probe talks to the local listener,
//! never through TLS), no redirects, and a total time bound so a hung
//! server fails the probe instead of hanging it.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;

/// Most bytes of the answer read (the status line is all that counts).
const MAX_READ: u64 = 64 * 1024;

#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// `http://HOST:PORT/PATH`, e.g. http://127.0.0.1:4041/readyz.
    pub url: String,
    /// Seconds the whole probe may take.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,
}

/// Host, port and path of an `http://` URL.
fn parse(url: &str) -> anyhow::Result<(String, u16, String)> {
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("{url:?}: only http:// URLs are probed (point it at the local listener)");
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        bail!("{url:?}: expected http://HOST[:PORT]/PATH");
    }
    let bad_port = |p: &str| format!("{url:?}: bad port {p:?}");
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .with_context(|| format!("{url:?}: unclosed [ in the host"))?;
        match after.strip_prefix(':') {
            Some(p) => (h, p.parse::<u16>().with_context(|| bad_port(p))?),
            None if after.is_empty() => (h, 80),
            None => bail!("{url:?}: expected http://[ADDR]:PORT/PATH"),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().with_context(|| bad_port(p))?),
            None => (authority, 80),
        }
    };
    if path.chars().any(|c| c.is_ascii_control() || c == ' ') {
        bail!("{url:?}: the path holds spaces or control characters");
    }
    Ok((host.to_owned(), port, path.to_owned()))
}

pub fn run(args: &ProbeArgs) -> anyhow::Result<()> {
    let (host, port, path) = parse(&args.url)?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let left = || {
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    };
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .with_context(|| format!("{}: cannot resolve {host}", args.url))?
        .next()
        .with_context(|| format!("{}: {host} has no address", args.url))?;
    let mut s = TcpStream::connect_timeout(&addr, left())
        .with_context(|| format!("{}: cannot connect", args.url))?;
    s.set_write_timeout(Some(left()))?;
    let host_header = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: bincio-probe\r\nConnection: close\r\n\r\n"
    )
    .with_context(|| format!("{}: cannot send the request", args.url))?;
    // Read until the status line is complete (or the bound).
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    let mut reader = (&mut s).take(MAX_READ);
    while !head.contains(&b'\n') {
        reader.get_mut().set_read_timeout(Some(left()))?;
        let n = reader
            .read(&mut buf)
            .with_context(|| format!("{}: no answer", args.url))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
        if Instant::now() >= deadline {
            break;
        }
    }
    let line = String::from_utf8_lossy(&head);
    let line = line.lines().next().unwrap_or("").trim();
    let status: u16 = line
        .strip_prefix("HTTP/1.")
        .and_then(|r| r.get(2..5))
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("{}: not an HTTP answer: {line:?}", args.url))?;
    if !(200..300).contains(&status) {
        bail!("{}: {line}", args.url);
    }
    println!("{}: {line}", args.url);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn urls() {
        assert_eq!(
            parse("http://127.0.0.1:4041/readyz").unwrap(),
            ("127.0.0.1".into(), 4041, "/readyz".into())
        );
        assert_eq!(
            parse("http://localhost").unwrap(),
            ("localhost".into(), 80, "/".into())
        );
        assert_eq!(
            parse("http://[::1]:8080/healthz").unwrap(),
            ("::1".into(), 8080, "/healthz".into())
        );
        assert_eq!(
            parse("http://[::1]/").unwrap(),
            ("::1".into(), 80, "/".into())
        );
        assert!(parse("https://x/readyz").is_err());
        assert!(parse("http://x:99999/").is_err());
        assert!(parse("http://u:p@x/").is_err());
        assert!(parse("http:///readyz").is_err());
    }
}
