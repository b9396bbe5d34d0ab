//! Whole-process extraction: `bincio extract` run as a process, as a user
//! runs it, over the fixture directories and a generated archive.
//!
//! ```text
//! cargo bench -p bincio-cli --bench extract_process
//! BENCH_RUNS=20 BENCH_ARCHIVE_FILES=2000 cargo bench -p bincio-cli --bench extract_process
//! BINCIO_BIN=/path/to/older/bincio cargo bench -p bincio-cli --bench extract_process
//! ```
//!
//! `BINCIO_BIN` measures another build of the binary (e.g. before a change)
//! with the same cases and inputs; `BENCH_ARCHIVE_DIR` generates the
//! archive into that (empty or missing) directory and keeps it, e.g. to
//! compare the trees two builds write from it.
//!
//! Cases: `tests/data/activities/brut` and `.../dave` (10 real files each:
//! GPX, some gzipped, and one indoor `.fit.gz`), and an archive of
//! `BENCH_ARCHIVE_FILES` (default 2 000) files generated from those 20
//! tracks, each shifted by a whole number of days so every file is distinct
//! (own hash, own start, no near-duplicates): 45 % FIT (half gzipped), 40 %
//! GPX (a quarter gzipped), 15 % TCX, FIT and TCX with heart rate, cadence,
//! speed and power as devices write them.
//!
//! Each case runs with `--workers 1` (the reference's setting in the
//! comparison) and with the default (all cores), `BENCH_RUNS` times (default
//! 10; the archive 3), each into a fresh output directory (a cold
//! extraction), then once more into the filled directory (every file
//! skipped by its stamp: the fixed costs). Reported per case: wall time and
//! CPU time (user + sys of the process, from `getrusage(RUSAGE_CHILDREN)`)
//! as best (worst) of the runs, files/s at the best wall time, and peak RSS
//! (one extra run under `/usr/bin/time -f %M`, when present). The load
//! average is printed before and after: on a shared machine, compare best
//! runs only. Under `cargo test` (no `--bench` argument) one run of each
//! case and a 40-file archive: a smoke check, not a measurement.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bincio_core::extract::fit::fit_crc;
use bincio_core::extract::{parse_bytes, DataPoint, Limits};
use nix::sys::resource::{getrusage, UsageWho};

/// The binary measured: `BINCIO_BIN`, else the one built with this bench.
fn bin() -> String {
    std::env::var("BINCIO_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_bincio").to_string())
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn children_cpu() -> Duration {
    let u = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let tv = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(t.tv_sec() as u64) + Duration::from_micros(t.tv_usec() as u64)
    };
    tv(u.user_time()) + tv(u.system_time())
}

fn extract_cmd(input: &Path, output: &Path, workers: Option<usize>) -> Command {
    let mut c = Command::new(bin());
    c.arg("extract")
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(output)
        .arg("--handle")
        .arg("bench")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(w) = workers {
        c.arg("--workers").arg(w.to_string());
    }
    c
}

/// One run: (wall, cpu).
fn run_once(input: &Path, output: &Path, workers: Option<usize>) -> (Duration, Duration) {
    let cpu0 = children_cpu();
    let t = Instant::now();
    let status = extract_cmd(input, output, workers)
        .status()
        .expect("spawn bincio");
    let wall = t.elapsed();
    assert!(status.success(), "bincio extract failed on {input:?}");
    (wall, children_cpu() - cpu0)
}

/// Peak RSS in KiB of one run under `/usr/bin/time`, when available.
fn peak_rss_kib(input: &Path, output: &Path, workers: Option<usize>) -> Option<u64> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let out = tempfile::NamedTempFile::new().ok()?;
    let inner = extract_cmd(input, output, workers);
    let mut c = Command::new(time);
    c.arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(out.path())
        .arg(inner.get_program())
        .args(inner.get_args())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c.status().ok()?.success().then_some(())?;
    std::fs::read_to_string(out.path())
        .ok()?
        .trim()
        .parse()
        .ok()
}

struct Stats {
    best: Duration,
    worst: Duration,
}

impl Stats {
    fn of(v: &[Duration]) -> Stats {
        Stats {
            best: *v.iter().min().unwrap(),
            worst: *v.iter().max().unwrap(),
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().filter(|e| e.path().is_file()).count())
        .unwrap_or(0)
}

fn bench_case(name: &str, input: &Path, runs: usize) {
    let files = count_files(input);
    let scratch = tempfile::tempdir().expect("tempdir");
    for workers in [Some(1), None] {
        let mut walls = Vec::new();
        let mut cpus = Vec::new();
        // A new output directory per run, all removed at the end of the
        // case: deleting a tree and writing the next one in its place makes
        // ext4 scan its recently freed inodes on every file creation
        // (`recently_deleted`), which would measure the benchmark's own
        // deletions rather than extraction.
        let label = workers.map_or("all".to_string(), |n| n.to_string());
        let out_of = |k: usize| scratch.path().join(format!("out-{label}-{k}"));
        for k in 0..runs {
            let (w, c) = run_once(input, &out_of(k), workers);
            walls.push(w);
            cpus.push(c);
        }
        // Re-run over a filled tree: every file skipped by its stamp.
        let (rerun_wall, rerun_cpu) = run_once(input, &out_of(0), workers);
        let rss = peak_rss_kib(input, &out_of(runs), workers)
            .map(|k| format!("{:.1}", k as f64 / 1024.0))
            .unwrap_or_else(|| "-".into());
        for k in 0..=runs {
            let _ = std::fs::remove_dir_all(out_of(k));
        }
        let (w, c) = (Stats::of(&walls), Stats::of(&cpus));
        println!(
            "| {name} | {label} | {files} | {:.1} ({:.1}) | {:.1} ({:.1}) | {:.0} | {rss} | {:.1} / {:.1} |",
            ms(w.best),
            ms(w.worst),
            ms(c.best),
            ms(c.worst),
            files as f64 / w.best.as_secs_f64(),
            ms(rerun_wall),
            ms(rerun_cpu),
        );
        std::io::stdout().flush().ok();
    }
}

// ---- the generated archive ----

/// The fixture tracks, parsed once: (points, has positions).
fn sources(dirs: &[PathBuf]) -> Vec<Vec<DataPoint>> {
    let mut out = Vec::new();
    for d in dirs {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        paths.sort();
        for p in paths {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&p).unwrap();
            if let Ok(a) = parse_bytes(&name, &bytes, &Limits::default()) {
                out.push(a.points);
            }
        }
    }
    out
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn gpx(points: &[DataPoint], shift_ms: i64) -> Vec<u8> {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"bench\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\" \
         xmlns:gpxtpx=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v1\">\n \
         <trk><name>Ride</name><type>cycling</type><trkseg>\n",
    );
    for p in points {
        let (Some(lat), Some(lon)) = (p.lat, p.lon) else {
            continue;
        };
        s += &format!("  <trkpt lat=\"{lat:.7}\" lon=\"{lon:.7}\">");
        if let Some(e) = p.elevation_m {
            s += &format!("<ele>{e:.1}</ele>");
        }
        s += &format!("<time>{}</time>", iso(p.ts_ms + shift_ms));
        if let Some(hr) = p.hr_bpm {
            s += &format!(
                "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{hr}</gpxtpx:hr>\
                 </gpxtpx:TrackPointExtension></extensions>"
            );
        }
        s += "</trkpt>\n";
    }
    s += " </trkseg></trk>\n</gpx>\n";
    s.into_bytes()
}

fn tcx(points: &[DataPoint], shift_ms: i64) -> Vec<u8> {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<TrainingCenterDatabase \
         xmlns=\"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2\" \
         xmlns:ns3=\"http://www.garmin.com/xmlschemas/ActivityExtension/v2\">\n<Activities>\
         <Activity Sport=\"Biking\"><Lap><Track>\n",
    );
    for (i, p) in points.iter().enumerate() {
        s += &format!("<Trackpoint><Time>{}</Time>", iso(p.ts_ms + shift_ms));
        if let (Some(lat), Some(lon)) = (p.lat, p.lon) {
            s += &format!(
                "<Position><LatitudeDegrees>{lat:.7}</LatitudeDegrees>\
                 <LongitudeDegrees>{lon:.7}</LongitudeDegrees></Position>"
            );
        }
        if let Some(e) = p.elevation_m {
            s += &format!("<AltitudeMeters>{e:.1}</AltitudeMeters>");
        }
        s += &format!(
            "<HeartRateBpm><Value>{}</Value></HeartRateBpm><Cadence>{}</Cadence>\
             <Extensions><ns3:TPX><ns3:Speed>{:.2}</ns3:Speed><ns3:Watts>{}</ns3:Watts>\
             </ns3:TPX></Extensions></Trackpoint>\n",
            p.hr_bpm.unwrap_or(120 + (i % 30) as i32),
            p.cadence_rpm.unwrap_or(85),
            p.speed_kmh.unwrap_or(25.0) / 3.6,
            p.power_w.unwrap_or(180 + (i % 50) as i32),
        );
    }
    s += "</Track></Lap></Activity></Activities>\n</TrainingCenterDatabase>\n";
    s.into_bytes()
}

/// FIT epoch (1989-12-31T00:00:00Z) in Unix seconds.
const FIT_EPOCH: i64 = 631_065_600;

/// A FIT activity as a bike computer writes one: file_id, device_info,
/// records (timestamp, position, enhanced altitude and speed, heart rate,
/// cadence, power, distance), a lap and a session.
fn fit(points: &[DataPoint], shift_ms: i64) -> Vec<u8> {
    let mut b: Vec<u8> = Vec::new();
    let def = |b: &mut Vec<u8>, local: u8, global: u16, fields: &[(u8, u8, u8)]| {
        b.extend_from_slice(&[0x40 | local, 0, 0]);
        b.extend_from_slice(&global.to_le_bytes());
        b.push(fields.len() as u8);
        for f in fields {
            b.extend_from_slice(&[f.0, f.1, f.2]);
        }
    };
    let secs = |ms: i64| ((ms + shift_ms) / 1000 - FIT_EPOCH) as u32;
    def(
        &mut b,
        0,
        0,
        &[(0, 1, 0x00), (1, 2, 0x84), (2, 2, 0x84), (4, 4, 0x86)],
    );
    b.push(0);
    b.push(4);
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&3121u16.to_le_bytes());
    b.extend_from_slice(&secs(points[0].ts_ms).to_le_bytes());
    def(
        &mut b,
        1,
        20,
        &[
            (253, 4, 0x86),
            (0, 4, 0x85),
            (1, 4, 0x85),
            (78, 4, 0x86),
            (73, 4, 0x86),
            (5, 4, 0x86),
            (7, 2, 0x84),
            (3, 1, 0x02),
            (4, 1, 0x02),
        ],
    );
    let semi = |d: Option<f64>| d.map_or(0x7FFF_FFFF, |d| (d / 180.0 * 2_147_483_648.0) as i32);
    let mut dist = 0.0f64;
    for (i, p) in points.iter().enumerate() {
        let speed = p.speed_kmh.unwrap_or(25.0 + (i % 7) as f64) / 3.6;
        dist += speed;
        b.push(1);
        b.extend_from_slice(&secs(p.ts_ms).to_le_bytes());
        b.extend_from_slice(&semi(p.lat).to_le_bytes());
        b.extend_from_slice(&semi(p.lon).to_le_bytes());
        let alt = p
            .elevation_m
            .map_or(u32::MAX, |e| ((e + 500.0) * 5.0) as u32);
        b.extend_from_slice(&alt.to_le_bytes());
        b.extend_from_slice(&((speed * 1000.0) as u32).to_le_bytes());
        b.extend_from_slice(&((dist * 100.0) as u32).to_le_bytes());
        b.extend_from_slice(&(p.power_w.unwrap_or(180 + (i % 50) as i32) as u16).to_le_bytes());
        b.push(p.hr_bpm.unwrap_or(120 + (i % 30) as i32) as u8);
        b.push(p.cadence_rpm.unwrap_or(85) as u8);
    }
    let start = secs(points[0].ts_ms);
    let end = secs(points[points.len() - 1].ts_ms);
    let elapsed_ms = (end - start) * 1000;
    for (local, global) in [(2u8, 19u16), (3, 18)] {
        def(
            &mut b,
            local,
            global,
            &[(253, 4, 0x86), (2, 4, 0x86), (7, 4, 0x86), (9, 4, 0x86)],
        );
        b.push(local);
        b.extend_from_slice(&end.to_le_bytes());
        b.extend_from_slice(&start.to_le_bytes());
        b.extend_from_slice(&elapsed_ms.to_le_bytes());
        b.extend_from_slice(&((dist * 100.0) as u32).to_le_bytes());
    }
    let mut f = vec![14u8, 0x20, 0x54, 0x08];
    f.extend_from_slice(&(b.len() as u32).to_le_bytes());
    f.extend_from_slice(b".FIT");
    let c = fit_crc(&f);
    f.extend_from_slice(&c.to_le_bytes());
    f.extend_from_slice(&b);
    let c = fit_crc(&f);
    f.extend_from_slice(&c.to_le_bytes());
    f
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Write the archive; returns its total size in bytes.
fn generate_archive(dir: &Path, n: usize, fixtures: &[PathBuf]) -> u64 {
    let all = sources(fixtures);
    let positional: Vec<&Vec<DataPoint>> = all
        .iter()
        .filter(|p| p.iter().filter(|x| x.lat.is_some()).count() > 10)
        .collect();
    let mut total = 0u64;
    for k in 0..n {
        let day_ms = 86_400_000i64 * (k as i64 + 1);
        let slot = k % 20;
        let (name, bytes) = if slot < 9 {
            let pts = &all[k % all.len()];
            let raw = fit(pts, day_ms);
            if slot % 2 == 0 {
                (format!("a{k:05}.fit.gz"), gzip(&raw))
            } else {
                (format!("a{k:05}.fit"), raw)
            }
        } else if slot < 17 {
            let raw = gpx(positional[k % positional.len()], day_ms);
            if slot % 4 == 0 {
                (format!("a{k:05}.gpx.gz"), gzip(&raw))
            } else {
                (format!("a{k:05}.gpx"), raw)
            }
        } else {
            (
                format!("a{k:05}.tcx"),
                tcx(positional[k % positional.len()], day_ms),
            )
        };
        total += bytes.len() as u64;
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    total
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/activities");
    // Under `cargo test` (no `--bench` argument): a smoke run that the bench
    // still works — one run each, a 40-file archive — not a measurement.
    let full = std::env::args().any(|a| a == "--bench");
    let runs = env_usize("BENCH_RUNS", if full { 10 } else { 1 });
    let archive_files = env_usize("BENCH_ARCHIVE_FILES", if full { 2_000 } else { 40 });
    println!("bincio extract as a process: {}", bin());
    println!("load average before: {}", loadavg());
    println!(
        "\n| input | workers | files | wall ms best (worst) | CPU ms best (worst) | files/s | peak RSS MiB | re-run unchanged wall / CPU ms |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let fixtures = [root.join("brut"), root.join("dave")];
    for d in &fixtures {
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        bench_case(&name, d, runs);
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let archive = match std::env::var("BENCH_ARCHIVE_DIR") {
        Ok(d) => {
            std::fs::create_dir_all(&d).expect("BENCH_ARCHIVE_DIR");
            PathBuf::from(d)
        }
        Err(_) => tmp.path().to_path_buf(),
    };
    let t = Instant::now();
    let bytes = generate_archive(&archive, archive_files, &fixtures);
    eprintln!(
        "generated {archive_files} files ({:.1} MB) in {:.1} s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    bench_case(
        &format!("archive ({:.0} MB)", bytes as f64 / 1e6),
        &archive,
        runs.min(3),
    );
    println!("\nload average after: {}", loadavg());
}
