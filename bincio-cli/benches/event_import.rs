//! `bincio event import` as a whole process, on SQLite:
//! `cargo bench -p bincio-cli --bench event_import` (release binary).
//!
//! Generates realistic attendee CSVs for the fixture event
//! (`tests/fixtures/event`, role `audience`: 32-hex tokens, display names
//! with accents, CJK and a quoted comma now and then, a few speakers, the
//! diet / sponsor / shirt columns its rules read), then runs the release
//! `bincio event import` on each, every run against a fresh SQLite data
//! directory, wrapped in `/usr/bin/time -f "%e %U %S %M"` for the wall
//! time, the CPU time (user + system: what the process itself cost, less
//! disturbed by a busy machine than the wall time) and the process's peak
//! RSS. Prints, per size, the best and worst of the runs, and the peak RSS
//! per row; then one re-import of the first size
//! over itself (every row an update). The load average (`/proc/loadavg`)
//! is printed before each size: the figures mean little on a busy machine.
//!
//! Sizes: 100 000 and 1 000 000 rows (`BINCIO_BENCH_ROWS=100000,1000000`),
//! `BINCIO_BENCH_RUNS` runs each (default 3). Under `cargo test`, one run
//! of 2 000 rows (a smoke check that the bench still works). Set
//! `BINCIO_BENCH_KEEP=DIR` to write the CSVs to `DIR` and keep them (to
//! profile one run by hand with `perf record`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// A small deterministic generator (splitmix64): the same CSV every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }

    /// True with probability `pct` %.
    fn pct(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
}

const FIRST: &[&str] = &[
    "Ada", "Grace", "Linus", "Ken", "Margaret", "José", "Zoë", "Łukasz", "Søren", "Aiko", "Chen",
    "Fatima", "Olusegun", "Priya", "Mateo", "Ines", "Dmitri", "Hannah", "Yuki", "Noor",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Torvalds",
    "Thompson",
    "Hamilton",
    "García",
    "Müller",
    "Kowalski",
    "Kierkegaard",
    "Tanaka",
    "陳",
    "Haddad",
    "Adeyemi",
    "Raman",
    "Rossi",
    "O'Brien",
    "Ivanov",
    "Schmidt",
    "Sato",
    "Nakamura",
];
const SHIRT: &[&str] = &["XS", "S", "M", "L", "XL", "XXL"];

/// `rows` attendees as an export of a registration system would give them.
fn csv(rows: usize) -> String {
    let mut rng = Rng(0x5EED);
    let mut out = String::with_capacity(rows * 90);
    out.push_str("token,display_name,title,diet,sponsor,shirt_size\n");
    for i in 0..rows {
        let (first, last) = (rng.pick(FIRST), rng.pick(LAST));
        let name = if rng.pct(1) {
            format!("\"{last}, {first}\"")
        } else {
            format!("{first} {last} {i}")
        };
        let title = if rng.pct(2) { "speaker" } else { "" };
        let diet = if rng.pct(20) { "veg" } else { "meat" };
        let sponsor = if rng.pct(5) { "Y" } else { "N" };
        let _ = writeln!(
            out,
            "{:016x}{:016x},{name},{title},{diet},{sponsor},{}",
            rng.next(),
            rng.next(),
            rng.pick(SHIRT)
        );
    }
    out
}

/// One measured process run.
struct Run {
    wall: f64,
    cpu: f64,
    rss_kib: u64,
}

/// `bincio event import` of `file` into `data`, timed by `/usr/bin/time`.
fn import(data: &Path, file: &Path, rows: usize) -> Run {
    let event = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/event");
    let times = data.with_extension("time");
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %U %S %M", "-o"])
        .arg(&times)
        .arg(env!("CARGO_BIN_EXE_bincio"))
        .args(["event", "import", "--event"])
        .arg(&event)
        .args(["--role", "audience"])
        .arg(file)
        .env("BINCIO_DATA_DIR", data)
        .env_remove("BINCIO_STORE")
        .env("BINCIO_LOG", "warn")
        .output()
        .expect("run /usr/bin/time bincio");
    let wall = t.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(&format!("Imported {rows} attendees")),
        "import failed: {stdout} {}",
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

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let sizes: Vec<usize> = match std::env::var("BINCIO_BENCH_ROWS") {
        Ok(s) => s
            .split(',')
            .map(|n| n.trim().parse().expect("BINCIO_BENCH_ROWS: numbers"))
            .collect(),
        Err(_) if bench => vec![100_000, 1_000_000],
        Err(_) => vec![2_000],
    };
    let runs: usize = match std::env::var("BINCIO_BENCH_RUNS") {
        Ok(n) => n.parse().expect("BINCIO_BENCH_RUNS: a number"),
        Err(_) if bench => 3,
        Err(_) => 1,
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let files: PathBuf = match std::env::var("BINCIO_BENCH_KEEP") {
        Ok(d) => PathBuf::from(d),
        Err(_) => tmp.path().to_path_buf(),
    };
    std::fs::create_dir_all(&files).expect("CSV dir");
    println!(
        "{:<28} {:>5} {:>9} {:>9} {:>7} {:>10} {:>10} {:>9} {:>9}",
        "bincio event import (SQLite)",
        "runs",
        "best s",
        "worst s",
        "CPU s",
        "rows/s",
        "peak MiB",
        "worst MiB",
        "B/row"
    );
    for (k, &rows) in sizes.iter().enumerate() {
        let file = files.join(format!("attendees-{rows}.csv"));
        let text = csv(rows);
        std::fs::write(&file, &text).expect("write CSV");
        let load = loadavg();
        let mut all = Vec::new();
        for r in 0..runs {
            let data = tmp.path().join(format!("data-{rows}-{r}"));
            all.push(import(&data, &file, rows));
            std::fs::remove_dir_all(&data).ok();
        }
        let best = all.iter().map(|r| r.wall).fold(f64::INFINITY, f64::min);
        let worst = all.iter().map(|r| r.wall).fold(0.0, f64::max);
        let cpu = all.iter().map(|r| r.cpu).fold(f64::INFINITY, f64::min);
        let rss_best = all.iter().map(|r| r.rss_kib).min().unwrap_or(0);
        let rss_worst = all.iter().map(|r| r.rss_kib).max().unwrap_or(0);
        println!(
            "{:<28} {runs:>5} {best:>9.2} {worst:>9.2} {cpu:>7.2} {:>10.0} {:>10.1} {:>9.1} {:>9.0}",
            format!("{rows} rows ({} MB)", text.len() / 1_000_000),
            rows as f64 / best,
            rss_best as f64 / 1024.0,
            rss_worst as f64 / 1024.0,
            rss_best as f64 * 1024.0 / rows as f64,
        );
        println!("{:<28} load average before: {load}", "");
        if k == 0 {
            // The same file again over itself: every row an update.
            let data = tmp.path().join("data-again");
            import(&data, &file, rows);
            let again = import(&data, &file, rows);
            println!(
                "{:<28} {:>5} {:>9.2} {:>9} {:>7.2} {:>10.0} {:>10.1}",
                format!("{rows} rows re-imported"),
                1,
                again.wall,
                "",
                again.cpu,
                rows as f64 / again.wall,
                again.rss_kib as f64 / 1024.0,
            );
            std::fs::remove_dir_all(&data).ok();
        }
    }
}
