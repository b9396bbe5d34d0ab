//! CCIP load benchmark: `/status` and `/use` at 64 concurrent keep-alive
//! connections against a server started in-process on 127.0.0.1:0, over a
//! temporary SQLite store holding the fixture event and 10 000 synthetic
//! attendees. Prints requests per second and latency percentiles.
//!
//! Run: `cargo bench -p bincio-http --bench ccip_load`
//! (`BENCH_SECS` sets the duration of the `/status` phase, default 5).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bincio_core::event::puzzle::SeededRng;
use bincio_core::event::{EventConfig, EventService};
use bincio_core::{Clock, ManualClock};
use bincio_http::ccip::{self, CcipState};
use bincio_store_sqlite::SqliteStore;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const CONNECTIONS: usize = 64;
const ATTENDEES: usize = 10_000;
/// `2030/05/01 09:00 +0800`: inside the check-in window of the fixture.
const MORNING: i64 = 1_903_827_600;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/event")
}

fn token(i: usize) -> String {
    format!("{:032x}", 0xbe0c_0000_0000u64 + i as u64)
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    rd: BufReader<tokio::net::tcp::OwnedReadHalf>,
    wr: tokio::net::tcp::OwnedWriteHalf,
    line: String,
    body: Vec<u8>,
}

impl Conn {
    async fn open(addr: std::net::SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).await.expect("connect");
        s.set_nodelay(true).expect("nodelay");
        let (r, w) = s.into_split();
        Conn {
            rd: BufReader::new(r),
            wr: w,
            line: String::new(),
            body: Vec::new(),
        }
    }

    /// GET `path`; returns the status code.
    async fn get(&mut self, path: &str) -> u16 {
        let req = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
        self.wr.write_all(req.as_bytes()).await.expect("write");
        self.line.clear();
        self.rd
            .read_line(&mut self.line)
            .await
            .expect("status line");
        let status: u16 = self
            .line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        let mut len = 0usize;
        loop {
            self.line.clear();
            self.rd.read_line(&mut self.line).await.expect("header");
            let l = self.line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().expect("length");
                }
            }
        }
        self.body.resize(len, 0);
        self.rd.read_exact(&mut self.body).await.expect("body");
        status
    }
}

/// CPU seconds (user + system) used by this process so far (Linux; 0
/// elsewhere). Server and clients share the process, so CPU per request
/// includes the client's side.
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the
    // 12th and 13th of them, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

struct Report {
    cpu: f64,
    requests: usize,
    elapsed: Duration,
    lat_us: Vec<u32>,
    statuses: std::collections::BTreeMap<u16, usize>,
}

impl Report {
    fn print(&mut self, name: &str) {
        self.lat_us.sort_unstable();
        let pct = |p: f64| {
            let i =
                ((self.lat_us.len() as f64 * p).ceil() as usize).clamp(1, self.lat_us.len()) - 1;
            f64::from(self.lat_us[i]) / 1000.0
        };
        println!(
            "{name:<26} {:>6} req in {:>5.2} s = {:>6.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  {:>4.0} us CPU/req  {:?}",
            self.requests,
            self.elapsed.as_secs_f64(),
            self.requests as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            self.cpu * 1e6 / self.requests as f64,
            self.statuses
        );
    }
}

/// Run `CONNECTIONS` clients; client `c` sends `path(c, n)` for its n-th
/// request until `path` returns `None` or `until` passes.
async fn load<F>(addr: std::net::SocketAddr, until: Duration, path: F) -> Report
where
    F: Fn(usize, usize) -> Option<String> + Send + Sync + 'static,
{
    let path = Arc::new(path);
    let cpu0 = cpu_secs();
    let start = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|c| {
            let path = path.clone();
            tokio::spawn(async move {
                let mut conn = Conn::open(addr).await;
                let mut lat = Vec::new();
                let mut statuses = std::collections::BTreeMap::new();
                let mut n = 0;
                while start.elapsed() < until {
                    let Some(p) = path(c, n) else { break };
                    let t = Instant::now();
                    let s = conn.get(&p).await;
                    lat.push(t.elapsed().as_micros() as u32);
                    *statuses.entry(s).or_insert(0usize) += 1;
                    n += 1;
                }
                (lat, statuses)
            })
        })
        .collect();
    let mut r = Report {
        cpu: 0.0,
        requests: 0,
        elapsed: Duration::ZERO,
        lat_us: Vec::new(),
        statuses: Default::default(),
    };
    for t in tasks {
        let (lat, st) = t.await.expect("client");
        r.requests += lat.len();
        r.lat_us.extend(lat);
        for (k, v) in st {
            *r.statuses.entry(k).or_insert(0) += v;
        }
    }
    r.elapsed = start.elapsed();
    r.cpu = cpu_secs() - cpu0;
    r
}

fn main() {
    // Under `cargo test` (no `--bench` argument) a 1 s smoke run.
    let default_secs = if std::env::args().any(|a| a == "--bench") {
        5
    } else {
        1
    };
    let secs: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_secs);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(SqliteStore::open(dir.path().join("instance.db")).expect("store"));
        let clock = Arc::new(ManualClock::at(MORNING));
        let service = Arc::new(
            EventService::new(
                EventConfig::load(fixture()).expect("fixture event"),
                store.clone(),
                store.clone(),
                clock.clone() as Arc<dyn Clock>,
            )
            .with_rng(Arc::new(SeededRng::new(1))),
        );
        service.init().await.expect("init");
        let mut csv = String::from("token,display_name,title,diet,sponsor,shirt_size\n");
        for i in 0..ATTENDEES {
            csv.push_str(&format!("{},Attendee {i},,veg,N,M\n", token(i)));
        }
        let t = Instant::now();
        service.import_csv("audience", csv.as_bytes()).await.expect("import");
        println!("import of {ATTENDEES} attendees: {:.2} s", t.elapsed().as_secs_f64());

        // Store read cost alone (no HTTP): sequential and 64 concurrent.
        {
            use bincio_core::store::AttendeeStore;
            let n = 20_000;
            let cpu0 = cpu_secs();
            let t = Instant::now();
            for _ in 0..n {
                tokio::task::spawn_blocking(|| ()).await.expect("noop");
            }
            println!(
                "spawn_blocking no-op round trip: {:.1} us/call wall, {:.1} us CPU/call",
                t.elapsed().as_secs_f64() * 1e6 / n as f64,
                (cpu_secs() - cpu0) * 1e6 / n as f64
            );
            let cpu0 = cpu_secs();
            let t = Instant::now();
            for i in 0..n {
                store.get_attendee(&token(i % ATTENDEES)).await.expect("read");
            }
            println!(
                "store.get_attendee sequential: {:.1} us/call wall, {:.1} us CPU/call",
                t.elapsed().as_secs_f64() * 1e6 / n as f64,
                (cpu_secs() - cpu0) * 1e6 / n as f64
            );
            let cpu0 = cpu_secs();
            let t = Instant::now();
            let tasks: Vec<_> = (0..CONNECTIONS)
                .map(|c| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        for i in 0..n / CONNECTIONS {
                            store.get_attendee(&token((c * 977 + i) % ATTENDEES)).await.expect("read");
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("task");
            }
            println!(
                "store.get_attendee x{CONNECTIONS} concurrent: {:.0} calls/s, {:.1} us CPU/call",
                n as f64 / t.elapsed().as_secs_f64(),
                (cpu_secs() - cpu0) * 1e6 / n as f64
            );
        }

        let app = ccip::router(CcipState::new(service, None));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });

        let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        println!(
            "{CONNECTIONS} keep-alive connections; server and clients in one process; {} cores; load average before: {}",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            loadavg.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
        );
        let per_conn = ATTENDEES / CONNECTIONS;
        // First /status of each attendee: sets first_use and creates the
        // puzzle bucket (two write transactions).
        let mut r = load(addr, Duration::from_secs(120), move |c, n| {
            (n < per_conn).then(|| format!("/status?token={}", token(c * per_conn + n)))
        })
        .await;
        r.print("GET /status (first call)");
        // HTTP baseline: a route that touches no store.
        let mut r = load(addr, Duration::from_secs(secs), |_, _| Some("/roles".to_owned())).await;
        r.print("GET /roles (no store)");
        // Steady state: reads only.
        let mut r = load(addr, Duration::from_secs(secs), move |c, n| {
            Some(format!("/status?token={}", token((c * 131 + n * 7) % (per_conn * CONNECTIONS))))
        })
        .await;
        r.print("GET /status");
        // Every /use is a first use of `checkin` by a distinct attendee
        // (atomic use + related effects + one puzzle piece delivered).
        let mut r = load(addr, Duration::from_secs(120), move |c, n| {
            (n < per_conn).then(|| format!("/use/checkin?token={}", token(c * per_conn + n)))
        })
        .await;
        r.print("GET /use (first use)");
        // Repeated uses: refused inside the atomic step (400 has been used).
        let mut r = load(addr, Duration::from_secs(secs), move |c, n| {
            Some(format!("/use/checkin?token={}", token((c * per_conn + n) % (per_conn * CONNECTIONS))))
        })
        .await;
        r.print("GET /use (already used)");
    });
}
