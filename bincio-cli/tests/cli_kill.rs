//! Crash safety of the event check-in, through the binary: a child
//! `bincio serve --event` or `bincio event import` is killed with SIGKILL
//! at many points while it works, on SQLite and on MongoDB, and then:
//!
//! * **no check-in without its piece**: every attendee whose `checkin` is
//!   used holds the two pieces that use delivers, once the clients have
//!   retried the `/use` calls that never got an answer (the retry answers
//!   200 or `has been used`, as CCIP-Server's clients expect);
//! * **no acknowledged check-in lost**: every `/use` that answered 200 is
//!   stored as used;
//! * **counters equal buckets**: `/event/puzzle/dashboard` equals what the
//!   buckets hold (`quantity` all pieces, `currency` those in buckets not
//!   revoked);
//! * **imports are all-or-nothing**: after a killed import, either every
//!   row is stored or none, and a killed re-import leaves every name old
//!   or every name new.
//!
//! MongoDB needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).

use std::collections::{BTreeMap, HashMap};
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bincio_store_mongo::testkit::{base_url, DropDb};
use serde_json::Value;

/// Attendees in the serve test: enough that the first kills land while
/// check-ins are still being sent (MongoDB, here SecantusDB, is far
/// slower per check-in than SQLite).
const ATTENDEES_SQLITE: usize = 1500;
const ATTENDEES_MONGO: usize = 150;
/// When the serve test kills, after the load starts (ms). MongoDB gets
/// fewer kills: a killed process's open transaction keeps the documents it
/// wrote locked until the server reaps it (`transactionLifetimeLimitSeconds`,
/// 60 s), which the next round then waits out.
const KILLS_SQLITE: &[u64] = &[40, 120, 250, 500, 900];
const KILLS_MONGO: &[u64] = &[150, 500];
/// Rows in the import test.
const IMPORT_ROWS: usize = 3000;
/// Pieces each check-in delivers (`deliver_puzzle`).
const PIECES_PER_USE: usize = 2;
const BOOTH: &str = "booth-kill";

fn token(i: usize) -> String {
    format!("tok{i:05}")
}

/// An event whose `checkin` is open now and delivers two pieces.
fn write_event(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let files = [
        (
            "event.toml",
            "event_id = \"KILL\"\nannouncement_default_role = \"audience\"\n\
             puzzle_config = \"puzzle-config.json\"\n\
             delivery_permission = \"delivery-permission.json\"\n\
             staff_key = \"kill-staff\"\n\
             [roles]\naudience = \"scenario-audience.json\"\n",
        ),
        (
            "scenario-audience.json",
            r#"{"checkin": {"order": 0, "display_text": {"en-US": "Check-in"},
                "available_time": "2000/01/01 00:00 +0000",
                "expire_time": "2099/01/01 00:00 +0000",
                "countdown": 0, "deliver_puzzle": 2}}"#,
        ),
        ("puzzle-config.json", r#"{"red": 2, "blue": 1, "green": 1}"#),
        (
            "delivery-permission.json",
            &format!(r#"{{"{BOOTH}": "Kill Booth"}}"#),
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn write_csv(path: &Path, rows: usize, name_prefix: &str) {
    let mut s = String::from("token,display_name\n");
    for i in 0..rows {
        s.push_str(&format!("{},{name_prefix}{i}\n", token(i)));
    }
    std::fs::write(path, s).unwrap();
}

/// Where the child's data and store live.
struct Site {
    data: PathBuf,
    event: PathBuf,
    /// `BINCIO_STORE` (unset for SQLite in `data`).
    store: Option<String>,
    /// Attendees of the serve test.
    attendees: usize,
    _tmp: tempfile::TempDir,
    _db: Option<DropDb>,
}

impl Site {
    fn sqlite() -> Site {
        let tmp = tempfile::tempdir().unwrap();
        let event = tmp.path().join("event");
        write_event(&event);
        Site {
            data: tmp.path().join("data"),
            event,
            store: None,
            attendees: ATTENDEES_SQLITE,
            _tmp: tmp,
            _db: None,
        }
    }

    fn mongo(test: &str, server: &MongoServer) -> Option<Site> {
        let base = server.url.clone().or_else(|| base_url(test))?;
        let (url, db) = DropDb::fresh(&base);
        let mut s = Site::sqlite();
        s.store = Some(url);
        s.attendees = ATTENDEES_MONGO;
        s._db = Some(db);
        Some(s)
    }

    fn command(&self) -> Command {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("bincio"));
        c.env("BINCIO_DATA_DIR", &self.data)
            .env("BINCIO_LOG", "warn")
            .stdin(Stdio::null());
        match &self.store {
            Some(url) => c.env("BINCIO_STORE", url),
            None => c.env_remove("BINCIO_STORE"),
        };
        c
    }

    fn import(&self, csv: &Path) -> Child {
        self.command()
            .args(["event", "import", "--event"])
            .arg(&self.event)
            .args(["--role", "audience"])
            .arg(csv)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    fn import_to_end(&self, csv: &Path) {
        let out = self
            .command()
            .args(["event", "import", "--event"])
            .arg(&self.event)
            .args(["--role", "audience"])
            .arg(csv)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `bincio serve --event`, and the address it listens on.
    // The caller kills and waits for the child; only a failed start (a
    // panicking test) leaves it unwaited.
    #[allow(clippy::zombie_processes)]
    fn serve(&self) -> (Child, String) {
        let mut child = self
            .command()
            .args(["serve", "--bind", "127.0.0.1:0", "--event"])
            .arg(&self.event)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr = support::listening_addr(&mut child);
        (child, addr)
    }
}

/// The MongoDB server of a kill test. Killing clients in the middle of
/// transactions is hard on a server, so when `scripts/test.sh` says where
/// SecantusDB is (`BINCIO_TEST_SECANTUS`), each kill test runs its own
/// throw-away instance and the shared one of the rest of the suite is
/// never exposed to it; otherwise the shared `BINCIO_TEST_MONGO_URL`.
struct MongoServer {
    url: Option<String>,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl MongoServer {
    fn start() -> MongoServer {
        let Ok(bin) = std::env::var("BINCIO_TEST_SECANTUS") else {
            return MongoServer {
                url: None,
                child: None,
                _dir: None,
            };
        };
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("secantusd.log");
        let out = std::fs::File::create(&log).unwrap();
        // Waited for in `Drop` once it is in the returned server.
        #[allow(clippy::zombie_processes)]
        let mut child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", "0", "--storage-path"])
            .arg(dir.path().join("db"))
            .stderr(out.try_clone().unwrap())
            .stdout(out)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {bin}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(rest) = text.split("listening on 127.0.0.1:").nth(1) {
                let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                return MongoServer {
                    url: Some(format!("mongodb://127.0.0.1:{port}")),
                    child: Some(child),
                    _dir: Some(dir),
                };
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("SecantusDB did not start: {text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for MongoServer {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One HTTP/1.1 request; `None` when the connection failed or broke (the
/// server was killed), else the status and body.
fn http(addr: &str, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(200))).ok()?;
    // The staff key matters only to the revoke route; the others ignore it.
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nccip: kill-staff\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let status = resp.get(9..12)?.parse().ok()?;
    let body = resp.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

fn get_json(addr: &str, path: &str) -> Value {
    let (status, body) = http(addr, "GET", path, "").expect("server answers");
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// What the clients saw of their `/use` calls.
#[derive(Default)]
struct Seen {
    /// Answered 200.
    acknowledged: Vec<String>,
    /// Answered, with a refusal (checked: only `has been used`).
    refused: Vec<String>,
}

/// Fire `/use/checkin` for `tokens` from 8 client threads, plus booth
/// deliveries and revokes, until the server dies or all are sent.
fn load(
    addr: &str,
    tokens: Vec<String>,
    seen: &Arc<Mutex<Seen>>,
) -> Vec<std::thread::JoinHandle<()>> {
    let queue = Arc::new(Mutex::new(tokens));
    (0..8)
        .map(|w| {
            let (addr, queue, seen) = (addr.to_owned(), queue.clone(), seen.clone());
            std::thread::spawn(move || loop {
                let Some(t) = queue.lock().unwrap().pop() else {
                    return;
                };
                match http(&addr, "GET", &format!("/use/checkin?token={t}"), "") {
                    Some((200, _)) => seen.lock().unwrap().acknowledged.push(t.clone()),
                    Some((400, b)) => {
                        assert!(b.contains("has been used"), "{t}: {b}");
                        seen.lock().unwrap().refused.push(t.clone());
                    }
                    Some((s, b)) => panic!("/use {t}: {s} {b}"),
                    None => return,
                }
                // Side traffic on the same buckets: a booth stamp (worker
                // 0) and a revoke of every tenth attendee (worker 1).
                let n: usize = t[3..].parse().unwrap();
                if w == 0 {
                    let _ = http(
                        &addr,
                        "POST",
                        &format!("/event/puzzle/deliver?token={BOOTH}"),
                        &format!("receiver={t}"),
                    );
                }
                if w == 1 && n.is_multiple_of(10) {
                    let _ = http(&addr, "GET", &format!("/event/puzzle/revoke?token={t}"), "");
                }
            })
        })
        .collect()
}

/// Kill the server `delay` after the load starts, then wait for the
/// clients to notice.
fn kill_under_load(site: &Site, tokens: Vec<String>, delay: Duration, seen: &Arc<Mutex<Seen>>) {
    let (mut child, addr) = site.serve();
    let clients = load(&addr, tokens, seen);
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for c in clients {
        c.join().expect("client thread");
    }
}

/// The checks after the crashes, through a fresh server.
fn check_invariants(site: &Site, seen: &Seen) {
    let (mut child, addr) = site.serve();
    // Clients retry every `/use` that never got an answer.
    let answered: std::collections::HashSet<&String> =
        seen.acknowledged.iter().chain(&seen.refused).collect();
    for i in 0..site.attendees {
        let t = token(i);
        if answered.contains(&t) {
            continue;
        }
        let (status, body) = http(&addr, "GET", &format!("/use/checkin?token={t}"), "").unwrap();
        assert!(
            status == 200 || body.contains("has been used"),
            "retry {t}: {status} {body}"
        );
    }
    let mut from_buckets: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for i in 0..site.attendees {
        let t = token(i);
        let st = get_json(&addr, &format!("/status?token={t}&StaffQuery=true"));
        let used = st["scenarios"][0].get("used").is_some();
        assert!(used, "{t}: every check-in is used after the retries");
        let public = public_token_of(&st);
        let b = get_json(&addr, &format!("/event/puzzle?token={public}"));
        let pieces: Vec<String> = serde_json::from_value(b["puzzles"].clone()).unwrap();
        let stamps = b["deliverers"].as_array().map_or(0, Vec::len);
        assert_eq!(
            pieces.len(),
            PIECES_PER_USE + stamps,
            "{t}: the check-in's pieces plus one per booth stamp: {b}"
        );
        let valid = !b["valid"].is_number();
        for p in pieces
            .iter()
            .map(String::as_str)
            .chain(std::iter::repeat_n("total", pieces.len()))
        {
            let e = from_buckets.entry(p.to_owned()).or_default();
            e.0 += 1;
            e.1 += i64::from(valid);
        }
    }
    for t in &seen.acknowledged {
        let st = get_json(&addr, &format!("/status?token={t}&StaffQuery=true"));
        assert!(
            st["scenarios"][0].get("used").is_some(),
            "acknowledged {t} lost"
        );
    }
    let dash = get_json(&addr, "/event/puzzle/dashboard");
    let counters: BTreeMap<String, (i64, i64)> = dash
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["puzzle"].as_str().unwrap().to_owned(),
                (
                    c["quantity"].as_i64().unwrap(),
                    c["currency"].as_i64().unwrap(),
                ),
            )
        })
        .filter(|(_, v)| *v != (0, 0))
        .collect();
    assert_eq!(counters, from_buckets, "counters must equal the buckets");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The public token, as sha1 of the private one (CS's `public_token`),
/// computed by the core so the test needs no hashing crate.
fn public_token_of(status: &Value) -> String {
    bincio_core::event::model::public_token(status["token"].as_str().unwrap())
}

fn serve_killed_under_load(site: &Site) {
    let csv = site.event.join("attendees.csv");
    write_csv(&csv, site.attendees, "Name");
    site.import_to_end(&csv);
    let seen = Arc::new(Mutex::new(Seen::default()));
    // Kills land at different points of the load: early (start-up, first
    // uses), in the middle and late. Each round resends only what no
    // answer was seen for, in a different order.
    let delays = if site.store.is_some() {
        KILLS_MONGO
    } else {
        KILLS_SQLITE
    };
    let mut cut_short = 0;
    for (round, ms) in delays.iter().enumerate() {
        let answered: std::collections::HashSet<String> = {
            let s = seen.lock().unwrap();
            s.acknowledged.iter().chain(&s.refused).cloned().collect()
        };
        let mut pending: Vec<String> = (0..site.attendees)
            .map(token)
            .filter(|t| !answered.contains(t))
            .collect();
        if pending.is_empty() {
            break;
        }
        if round % 2 == 1 {
            pending.reverse();
        }
        let before = pending.len();
        kill_under_load(site, pending, Duration::from_millis(*ms), &seen);
        let s = seen.lock().unwrap();
        if s.acknowledged.len() + s.refused.len() < answered.len() + before {
            cut_short += 1;
        }
    }
    assert!(
        cut_short >= 2,
        "the kills must land while check-ins are in flight ({cut_short} rounds did)"
    );
    let seen = Arc::try_unwrap(seen).ok().unwrap().into_inner().unwrap();
    check_invariants(site, &seen);
}

/// Attendee count and the names of the audience, read through the
/// library (the same store the child wrote).
fn names(site: &Site) -> HashMap<String, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store: Arc<dyn bincio_core::store::AttendeeStore> = match &site.store {
            Some(url) => Arc::new(bincio_store_mongo::MongoStore::connect(url).await.unwrap()),
            None => {
                let db = site.data.join("instance.db");
                if !db.exists() {
                    return HashMap::new();
                }
                Arc::new(bincio_store_sqlite::SqliteStore::open(db).unwrap())
            }
        };
        store
            .list_attendees("audience")
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.token, a.user_id))
            .collect()
    })
}

fn import_killed_at_many_points(site: &Site) {
    let first = site.event.join("first.csv");
    let second = site.event.join("second.csv");
    write_csv(&first, IMPORT_ROWS, "Old");
    write_csv(&second, IMPORT_ROWS, "New");
    // Kill the first import at growing delays (from the process start,
    // through reading the CSV, into the write) until one completes.
    let mut kills = 0;
    let mut delay = 5u64;
    loop {
        let start = Instant::now();
        let mut child = site.import(&first);
        std::thread::sleep(Duration::from_millis(delay));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok();
        child.wait().unwrap();
        let n = names(site).len();
        assert!(n == 0 || n == IMPORT_ROWS, "killed import left {n} rows");
        if finished || n == IMPORT_ROWS {
            break;
        }
        kills += 1;
        assert!(start.elapsed() < Duration::from_secs(120));
        delay = delay * 5 / 4 + 1;
    }
    assert!(
        kills >= 3,
        "the import must have been killed mid-way a few times"
    );
    site.import_to_end(&first);
    // A re-import with new names, killed likewise: names all old or all new.
    let mut delay = 5u64;
    loop {
        let mut child = site.import(&second);
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().ok();
        child.wait().unwrap();
        let got = names(site);
        assert_eq!(got.len(), IMPORT_ROWS);
        let new = got.values().filter(|n| n.starts_with("New")).count();
        assert!(
            new == 0 || new == IMPORT_ROWS,
            "re-import left {new} new names"
        );
        if new == IMPORT_ROWS {
            break;
        }
        delay = delay * 5 / 4 + 1;
        assert!(delay < 60_000, "the re-import never finished");
    }
}

/// MongoDB: kills placed at fractions of a measured import's duration
/// (each killed transaction stays open on the server until reaped, see
/// [`KILLS_MONGO`], so a sweep of dozens of kills would take minutes).
fn mongo_import_killed_at_fractions(test: &str) {
    let server = MongoServer::start();
    let Some(measure) = Site::mongo(test, &server) else {
        return;
    };
    let rows = 500;
    let first = measure.event.join("first.csv");
    let second = measure.event.join("second.csv");
    write_csv(&first, rows, "Old");
    write_csv(&second, rows, "New");
    let start = Instant::now();
    measure.import_to_end(&first);
    let d = start.elapsed();
    let fractions = [0.3, 0.6, 0.9];
    // A first import killed: nothing or everything.
    let fresh = Site::mongo(test, &server).unwrap();
    for f in fractions {
        let mut child = fresh.import(&first);
        std::thread::sleep(d.mul_f64(f));
        child.kill().ok();
        child.wait().unwrap();
        let n = names(&fresh).len();
        assert!(n == 0 || n == rows, "killed import left {n} of {rows} rows");
    }
    // A re-import with new names killed: all old or all new, then a
    // complete one (waiting out the killed transactions) makes all new.
    for f in fractions {
        let mut child = measure.import(&second);
        std::thread::sleep(d.mul_f64(f));
        child.kill().ok();
        child.wait().unwrap();
        let got = names(&measure);
        assert_eq!(got.len(), rows);
        let new = got.values().filter(|n| n.starts_with("New")).count();
        assert!(new == 0 || new == rows, "re-import left {new} new names");
    }
    measure.import_to_end(&second);
    let got = names(&measure);
    assert!(got.values().all(|n| n.starts_with("New")));
}

/// SIGTERM (what systemd and `docker stop` send) once the file is checked
/// and the write has begun: the process ends within a bound and leaves
/// every row or none, on each backend.
fn import_terminated_while_writing(site: &Site, rows: usize) {
    let csv = site.event.join("term.csv");
    write_csv(&csv, rows, "Term");
    let mut child = site
        .command()
        .env("BINCIO_LOG", "info")
        .args(["event", "import", "--event"])
        .arg(&site.event)
        .args(["--role", "audience"])
        .arg(&csv)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        let n = std::io::BufRead::read_line(&mut err, &mut line).unwrap();
        assert!(n > 0, "the import ended before writing");
        if line.contains("import checked, writing") {
            break;
        }
    }
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    std::thread::sleep(Duration::from_millis(10));
    let still_running = child.try_wait().unwrap().is_none();
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the import did not end within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let n = names(site).len();
    assert!(
        n == 0 || n == rows,
        "a terminated import left {n} of {rows} rows"
    );
    assert!(
        still_running,
        "the import finished before SIGTERM: make the file bigger"
    );
}

#[test]
fn sqlite_import_terminated_while_writing_is_all_or_nothing() {
    import_terminated_while_writing(&Site::sqlite(), 20_000);
}

#[test]
fn mongo_import_terminated_while_writing_is_all_or_nothing() {
    let server = MongoServer::start();
    let Some(site) = Site::mongo("mongo_import_terminated_while_writing", &server) else {
        return;
    };
    import_terminated_while_writing(&site, 500);
}

#[test]
fn sqlite_serve_killed_under_load_loses_no_piece() {
    serve_killed_under_load(&Site::sqlite());
}

#[test]
fn mongo_serve_killed_under_load_loses_no_piece() {
    let server = MongoServer::start();
    let Some(site) = Site::mongo("mongo_serve_killed_under_load_loses_no_piece", &server) else {
        return;
    };
    serve_killed_under_load(&site);
}

#[test]
fn sqlite_import_killed_is_all_or_nothing() {
    import_killed_at_many_points(&Site::sqlite());
}

#[test]
fn mongo_import_killed_is_all_or_nothing() {
    mongo_import_killed_at_fractions("mongo_import_killed_is_all_or_nothing");
}
