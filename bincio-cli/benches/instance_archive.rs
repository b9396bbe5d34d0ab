//! `bincio backup`, `bincio export --out` and `bincio import instance` as
//! whole processes, on SQLite:
//! `cargo bench -p bincio-cli --bench instance_archive` (release binary).
//!
//! Seeds one instance in-process (members with activities of an hour at
//! 1 Hz — summary, detail, timeseries and GeoJSON — each with a 100 kB
//! original file, plus event attendees), then runs each command
//! `BINCIO_BENCH_RUNS` times (default 3) under `/usr/bin/time -f "%e %U
//! %S %M"`: the best and worst wall time, the CPU time (user + system) and
//! the peak RSS per command, with the database and archive sizes. The load
//! average is printed first: the figures mean little on a busy machine.
//!
//! Size: `BINCIO_BENCH_ACTIVITIES` (default 2 000) and
//! `BINCIO_BENCH_ATTENDEES` (default 20 000). Under `cargo test`: 20
//! activities, 200 attendees, one run (a smoke check that the bench and
//! the round trip still work).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use bincio_core::event::model::Scenario;
use bincio_core::event::oid::new_oid;
use bincio_core::event::rules::{ImportAttendee, ImportScenario};
use bincio_core::model::{
    ActivityEdits, ActivityRecord, ActivityTracks, Blob, NewUser, Privacy, Role,
};
use bincio_core::store::{ActivityStore, AttendeeStore, UserStore};
use bincio_store_sqlite::SqliteStore;
use serde_json::json;

const T: i64 = 1_900_000_000;
const MEMBERS: usize = 10;

fn tracks(n: usize) -> ActivityTracks {
    let pts = 3600;
    let t: Vec<usize> = (0..pts).collect();
    let lat: Vec<f64> = (0..pts)
        .map(|i| 46.0 + (n * pts + i) as f64 * 1e-6)
        .collect();
    let lon: Vec<f64> = (0..pts).map(|i| 7.0 + i as f64 * 2e-6).collect();
    let ele: Vec<f64> = (0..pts).map(|i| 500.0 + (i % 97) as f64 * 0.5).collect();
    let hr: Vec<u32> = (0..pts).map(|i| 110 + (i % 50) as u32).collect();
    let coords: Vec<[f64; 2]> = lon.iter().zip(&lat).map(|(a, b)| [*a, *b]).collect();
    ActivityTracks {
        timeseries: Some(json!({"t": t, "lat": lat, "lon": lon, "ele": ele, "hr": hr})),
        geojson: Some(json!({"type": "LineString", "coordinates": coords})),
    }
}

fn seed(db: &Path, activities: usize, attendees: usize) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let s = SqliteStore::open(db).expect("open");
        for m in 0..MEMBERS {
            s.create_user(NewUser {
                handle: format!("m{m}"),
                display_name: format!("Member {m}"),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
                role: if m == 0 { Role::Admin } else { Role::User },
                created_at: T + m as i64,
            })
            .await
            .expect("user");
        }
        for n in 0..activities {
            let handle = format!("m{}", n % MEMBERS);
            let id = format!("act-{n:06}");
            let rec = ActivityRecord {
                handle: handle.clone(),
                id: id.clone(),
                started_at: T + n as i64 * 3600,
                source_hash: format!("sha256:{n:064x}"),
                privacy: Privacy::Public,
                distance_m: Some(25_000.0 + n as f64),
                source: Some("fit_file".into()),
                summary: json!({"id": id, "title": format!("Ride {n}"), "sport": "cycling",
                    "distance_m": 25000.0, "duration_s": 3600, "preview_coords": [[46.0, 7.0], [46.1, 7.1]]}),
                detail: json!({"laps": [{"n": 1, "time_s": 3600}], "device": "Edge"}),
                edits: ActivityEdits::default(),
                duplicate_of: None,
                created_at: T + n as i64 * 3600 + 60,
            };
            s.insert_activity(rec, tracks(n)).await.expect("activity");
            s.put_original(
                &handle,
                &id,
                Blob {
                    name: format!("{id}.fit"),
                    content_type: "application/octet-stream".into(),
                    bytes: (0..100_000u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8 ^ n as u8).collect(),
                },
            )
            .await
            .expect("original");
        }
        let scenario = |id: &str| Scenario {
            id: id.into(),
            order: 0,
            display_text: vec![("en-US".into(), id.to_uppercase())],
            available_time: T,
            expire_time: T + 86_400,
            used: None,
            disabled: None,
            countdown: 0,
            attr: vec![],
        };
        let rows: Vec<ImportAttendee> = (0..attendees)
            .map(|i| ImportAttendee {
                id: new_oid(T),
                event_id: "EV".into(),
                token: format!("{i:032x}"),
                user_id: format!("Attendee {i}"),
                attr: vec![("title".into(), "guest".into())],
                role: "audience".into(),
                scenarios: vec![ImportScenario {
                    scenario: scenario("checkin"),
                    affected_by: vec![],
                }],
            })
            .collect();
        s.import_attendees(rows).await.expect("attendees");
    });
}

struct Run {
    wall: f64,
    cpu: f64,
    rss_kib: u64,
}

fn timed(label: &str, args: &[&std::ffi::OsStr], scratch: &Path) -> Run {
    let times = scratch.join(format!("{label}.time"));
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %U %S %M", "-o"])
        .arg(&times)
        .arg(env!("CARGO_BIN_EXE_bincio"))
        .args(args)
        .env_remove("BINCIO_STORE")
        .env_remove("BINCIO_DATA_DIR")
        .env("BINCIO_LOG", "warn")
        .output()
        .expect("run /usr/bin/time bincio");
    let wall = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{label} failed: {} {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&times).expect("time output");
    let f: Vec<f64> = text
        .split_whitespace()
        .map(|m| m.parse().expect("/usr/bin/time output: numbers"))
        .collect();
    assert_eq!(f.len(), 4, "/usr/bin/time output: {text}");
    Run {
        wall,
        cpu: f[1] + f[2],
        rss_kib: f[3] as u64,
    }
}

fn size(p: &Path) -> u64 {
    if p.is_dir() {
        std::fs::read_dir(p)
            .unwrap()
            .map(|e| size(&e.unwrap().path()))
            .sum()
    } else {
        std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
    }
}

fn env_or(name: &str, bench: usize, test: usize, is_bench: bool) -> usize {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| panic!("{name}: a number")),
        Err(_) if is_bench => bench,
        Err(_) => test,
    }
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let activities = env_or("BINCIO_BENCH_ACTIVITIES", 2_000, 20, bench);
    let attendees = env_or("BINCIO_BENCH_ATTENDEES", 20_000, 200, bench);
    let runs = env_or("BINCIO_BENCH_RUNS", 3, 1, bench);
    let tmp = tempfile::tempdir().expect("temp dir");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let t = Instant::now();
    seed(&src.join("instance.db"), activities, attendees);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "instance: {activities} activities, {attendees} attendees, database {:.1} MB (seeded in {:.1} s); load average before: {}",
        size(&src.join("instance.db")) as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    println!(
        "{:<26} {:>5} {:>8} {:>8} {:>7} {:>9} {:>10}",
        "bincio … (SQLite)", "runs", "best s", "worst s", "CPU s", "peak MiB", "output MB"
    );
    let report = |label: &str, all: &[Run], out_bytes: u64| {
        let best = all.iter().map(|r| r.wall).fold(f64::INFINITY, f64::min);
        let worst = all.iter().map(|r| r.wall).fold(0.0, f64::max);
        let cpu = all.iter().map(|r| r.cpu).fold(f64::INFINITY, f64::min);
        let rss = all.iter().map(|r| r.rss_kib).max().unwrap_or(0);
        println!(
            "{label:<26} {:>5} {best:>8.2} {worst:>8.2} {cpu:>7.2} {:>9.1} {:>10.1}",
            all.len(),
            rss as f64 / 1024.0,
            out_bytes as f64 / 1e6
        );
    };
    let (mut b, mut r, mut e, mut i) = (vec![], vec![], vec![], vec![]);
    let mut sizes = (0, 0);
    for k in 0..runs {
        let file = tmp.path().join(format!("b{k}.bincio-backup"));
        b.push(timed(
            "backup",
            &[
                "backup".as_ref(),
                "--data-dir".as_ref(),
                src.as_os_str(),
                "--out".as_ref(),
                file.as_os_str(),
            ],
            tmp.path(),
        ));
        sizes.0 = size(&file);
        let restored = tmp.path().join(format!("r{k}"));
        r.push(timed(
            "restore",
            &[
                "restore".as_ref(),
                "--from".as_ref(),
                file.as_os_str(),
                "--data-dir".as_ref(),
                restored.as_os_str(),
            ],
            tmp.path(),
        ));
        let dir = tmp.path().join(format!("e{k}"));
        e.push(timed(
            "export",
            &[
                "export".as_ref(),
                "--data-dir".as_ref(),
                src.as_os_str(),
                "--out".as_ref(),
                dir.as_os_str(),
            ],
            tmp.path(),
        ));
        sizes.1 = size(&dir);
        let target = tmp.path().join(format!("i{k}"));
        i.push(timed(
            "import",
            &[
                "import".as_ref(),
                "instance".as_ref(),
                "--from".as_ref(),
                dir.as_os_str(),
                "--data-dir".as_ref(),
                target.as_os_str(),
            ],
            tmp.path(),
        ));
        for p in [file, restored, dir, target] {
            if p.is_dir() {
                std::fs::remove_dir_all(&p).ok();
            } else {
                std::fs::remove_file(&p).ok();
            }
        }
    }
    report("backup --out FILE", &b, sizes.0);
    report("restore --from FILE", &r, 0);
    report("export --out DIR", &e, sizes.1);
    report("import instance --from", &i, 0);
}
