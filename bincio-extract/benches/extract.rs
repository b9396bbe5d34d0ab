//! Extraction throughput per format on the repository's fixture files.
//!
//! `cargo bench -p bincio-extract --bench extract` (release profile). For each
//! format it runs the pipeline over all its fixtures repeatedly for about two
//! seconds and prints MB/s (of uncompressed input) and files/s for:
//! * parse: `parse_bytes` (decode + validation + sort);
//! * parse+compute: plus every metric, timeseries, track and preview;
//! * +json: plus serialising the detail, timeseries and GeoJSON.
//!
//! Single-threaded: figures are per core. TCX input is generated from the GPX
//! fixtures (same points) since the fixtures hold no TCX file.
//!
//! Then gzip (`extract::expand`): `parse` of the GPX fixtures gzipped (one
//! inflate pass, under the eager buffer) and of one ~40 MiB GPX gzipped
//! (measured, then inflated again at its exact size), each next to the same
//! content plain; and the time to refuse two 1 GiB bombs (zeros: refused
//! by the ratio check; zeros with a byte every KiB: by the 128 MiB limit).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bincio_extract::expand::gzip_bomb;
use bincio_extract::{compute, parse_bytes, Limits, Options};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data")
}

/// (name, uncompressed bytes) of every fixture, gunzipped so MB/s measures
/// the parsers, not inflate.
fn load() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["activities/brut", "activities/dave", "fit"] {
        let Ok(rd) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let raw = std::fs::read(&p).unwrap();
            let (name, bytes) = match name.strip_suffix(".gz") {
                Some(base) => {
                    let mut v = Vec::new();
                    flate2::read::GzDecoder::new(&raw[..])
                        .read_to_end(&mut v)
                        .unwrap();
                    (base.to_string(), v)
                }
                None => (name, raw),
            };
            if bincio_extract::is_supported_name(&name) {
                out.push((name, bytes));
            }
        }
    }
    out
}

/// A TCX rendering of a GPX file's points (lat, lon, ele, time).
fn gpx_to_tcx(gpx: &[u8]) -> Vec<u8> {
    let p = parse_bytes("x.gpx", gpx, &Limits::default()).unwrap();
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">
 <Activities>
  <Activity Sport="Biking">
   <Lap>
    <Track>
"#,
    );
    for pt in &p.points {
        let t = chrono::DateTime::from_timestamp_millis(pt.ts_ms).unwrap();
        s += &format!(
            "     <Trackpoint>\n      <Time>{}</Time>\n      <Position>\n       <LatitudeDegrees>{}</LatitudeDegrees>\n       <LongitudeDegrees>{}</LongitudeDegrees>\n      </Position>\n      <AltitudeMeters>{}</AltitudeMeters>\n      <Extensions><ns3:TPX><ns3:Speed>5.0</ns3:Speed></ns3:TPX></Extensions>\n     </Trackpoint>\n",
            t.format("%Y-%m-%dT%H:%M:%SZ"),
            pt.lat.unwrap_or(0.0),
            pt.lon.unwrap_or(0.0),
            pt.elevation_m.unwrap_or(0.0)
        );
    }
    s += "    </Track>\n   </Lap>\n  </Activity>\n </Activities>\n</TrainingCenterDatabase>\n";
    s.into_bytes()
}

/// About two seconds under `cargo bench`; one round (a smoke test) under
/// `cargo test` (no `--bench` argument).
fn budget() -> Duration {
    if std::env::args().any(|a| a == "--bench") {
        Duration::from_secs(2)
    } else {
        Duration::ZERO
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Seconds per `parse_bytes` call over `files` (errors are expected for
/// bombs and ignored), and MB/s of the uncompressed `plain_bytes`.
fn time_parse(files: &[(String, Vec<u8>)], plain_bytes: usize) -> (f64, f64) {
    let limits = Limits::default();
    let start = Instant::now();
    let mut rounds = 0u64;
    while rounds == 0 || start.elapsed() < budget() {
        for (name, data) in files {
            std::hint::black_box(parse_bytes(name, data, &limits).ok());
        }
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let calls = (files.len() as u64 * rounds) as f64;
    (
        secs / calls,
        plain_bytes as f64 * rounds as f64 / secs / 1e6,
    )
}

fn gzip_section(gpx: &[(String, Vec<u8>)]) {
    let plain_bytes: usize = gpx.iter().map(|f| f.1.len()).sum();
    let gz: Vec<_> = gpx
        .iter()
        .map(|(n, b)| (format!("{n}.gz"), gzip(b)))
        .collect();
    // One large GPX: the longest fixture's points, repeated to ~40 MiB.
    let one = &gpx.iter().max_by_key(|f| f.1.len()).unwrap().1;
    let find = |pat: &[u8]| one.windows(pat.len()).position(|w| w == pat).unwrap();
    let (body, end) = (find(b"<trkseg>") + 8, find(b"</trkseg>"));
    let mut big = one[..end].to_vec();
    while big.len() < 40 << 20 {
        big.extend_from_slice(&one[body..end]);
    }
    big.extend_from_slice(&one[end..]);
    let big_plain = [("big.gpx".to_string(), big.clone())];
    let big_gz = [("big.gpx.gz".to_string(), gzip(&big))];
    println!("\n{:<28} {:>12} {:>12}", "gzip", "ms/file", "MB/s");
    for (label, files, bytes) in [
        ("gpx fixtures plain", gpx, plain_bytes),
        ("gpx fixtures .gz", &gz[..], plain_bytes),
        ("40 MiB gpx plain", &big_plain[..], big.len()),
        ("40 MiB gpx .gz (two passes)", &big_gz[..], big.len()),
    ] {
        let (s, mbs) = time_parse(files, bytes);
        println!("{label:<28} {:>12.2} {mbs:>12.1}", s * 1e3);
    }
    for (label, noisy) in [
        ("refuse bomb (ratio)", false),
        ("refuse bomb (128 MiB)", true),
    ] {
        let (s, _) = time_parse(&[("bomb.gpx.gz".to_string(), gzip_bomb(1024, noisy))], 0);
        println!("{label:<28} {:>12.2}", s * 1e3);
    }
}

fn measure(files: &[(String, Vec<u8>)], stage: u8) -> (f64, f64) {
    let limits = Limits::default();
    let opts = Options::default();
    let bytes: usize = files.iter().map(|f| f.1.len()).sum();
    let start = Instant::now();
    let mut rounds = 0u64;
    let budget = budget();
    while rounds == 0 || start.elapsed() < budget {
        for (name, data) in files {
            let p = parse_bytes(name, data, &limits).unwrap();
            if stage >= 1 {
                let a = compute(&p, &opts);
                if stage >= 2 {
                    let mut n = serde_json::to_vec(&a.detail).unwrap().len();
                    if let Some(t) = &a.timeseries {
                        n += serde_json::to_vec(t).unwrap().len();
                    }
                    if let Some(g) = &a.geojson {
                        n += serde_json::to_vec(g).unwrap().len();
                    }
                    std::hint::black_box(n);
                }
                std::hint::black_box(a);
            } else {
                std::hint::black_box(p);
            }
        }
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    (
        (bytes as f64 * rounds as f64) / secs / 1e6,
        (files.len() as f64 * rounds as f64) / secs,
    )
}

fn main() {
    let all = load();
    let gpx: Vec<_> = all
        .iter()
        .filter(|f| f.0.ends_with(".gpx"))
        .cloned()
        .collect();
    let fit: Vec<_> = all
        .iter()
        .filter(|f| f.0.ends_with(".fit"))
        .cloned()
        .collect();
    let tcx: Vec<_> = gpx
        .iter()
        .map(|(n, b)| (n.replace(".gpx", ".tcx"), gpx_to_tcx(b)))
        .collect();
    println!(
        "{:<5} {:>6} {:>9} | {:>21} | {:>21} | {:>21}",
        "fmt", "files", "MB", "parse MB/s files/s", "+compute MB/s files/s", "+json MB/s files/s"
    );
    for (label, files) in [("gpx", &gpx), ("tcx", &tcx), ("fit", &fit)] {
        if files.is_empty() {
            continue;
        }
        let mb: f64 = files.iter().map(|f| f.1.len()).sum::<usize>() as f64 / 1e6;
        let r: Vec<(f64, f64)> = (0..3).map(|s| measure(files, s)).collect();
        println!(
            "{:<5} {:>6} {:>9.2} | {:>9.1} {:>11.0} | {:>9.1} {:>11.0} | {:>9.1} {:>11.0}",
            label,
            files.len(),
            mb,
            r[0].0,
            r[0].1,
            r[1].0,
            r[1].1,
            r[2].0,
            r[2].1
        );
    }
    gzip_section(&gpx);
}
