//! Extract one activity file with `bincio-extract` alone: no store, no
//! service, no async runtime. An app that only needs the engine depends on
//! the `bincio-extract` crate and nothing else of bincio; this example uses
//! only that crate's API (`parse_bytes`, `compute`, the privacy cut).
//!
//! It reads a GPX / TCX / FIT file (plain or `.gz`), prints the key figures
//! and the BAS detail document as JSON, and shows what a `no_gps` privacy
//! cut leaves of it. Errors (unsupported or malformed files, bombs) are
//! printed with the file name and the reason; no input panics.
//!
//! Run: `cargo run --example extract_file [FILE]`
//! (default: `tests/data/fit/garmin-fenix-5-bike.fit`).

use std::path::{Path, PathBuf};

use bincio_extract::privacy::cut_document;
use bincio_extract::{compute, parse_bytes, Limits, Options, Privacy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fit/garmin-fenix-5-bike.fit"),
        PathBuf::from,
    );
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = std::fs::read(&path)?;

    // Parse within the default limits (size, points, decompression ratio).
    let parsed = match parse_bytes(&name, &bytes, &Limits::default()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    println!(
        "{name}: {:?}, {} points, sport {}, started {}",
        parsed.format,
        parsed.points.len(),
        parsed.sport,
        parsed.started_at
    );

    // Every metric, the timeseries, the simplified track and the preview.
    let activity = compute(&parsed, &Options::default());
    let d = &activity.detail;
    println!(
        "id {}: {:?} m in {:?} s, gain {:?} m, avg {:?} km/h",
        d.id, d.distance_m, d.duration_s, d.elevation_gain_m, d.avg_speed_kmh
    );
    let mut doc = serde_json::to_value(d)?;
    println!("{}", serde_json::to_string_pretty(&doc)?);

    // What others would see of it with privacy `no_gps`.
    cut_document(&mut doc, Privacy::NoGps, None);
    println!("no_gps keeps bbox: {}", !doc["bbox"].is_null());
    Ok(())
}
