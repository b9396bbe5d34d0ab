//! Garmin Connect account exports built from the fixture files of
//! `tests/data`, for the import tests of the API and the CLI (included by
//! `#[path]` from `bincio-cli`'s tests too): the current layout with nested
//! ZIPs and a summaries JSON, the older layout, and archives that must be
//! refused whole (a nested decompression bomb, a bomb member inside a
//! nested ZIP, too many entries).
#![allow(dead_code)]

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Title the summaries give the FIT ride (matched by the activity id in
/// its file name).
pub const FIT_TITLE: &str = "Fenix ride (by id)";
/// Title the summaries give the GPX ride (matched by its start time).
pub const GPX_TITLE: &str = "Evening loop (by start)";
/// Start of `brut/1026973739.gpx`, Unix seconds (2017-06-08T16:57:49Z).
pub const GPX_START: i64 = 1_496_941_069;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|p| p.join("Cargo.lock").is_file())
        .expect("repository root")
        .to_path_buf()
}

/// A fixture file's bytes (`fit/…` or `activities/…` under `tests/data`).
pub fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(root().join("tests/data").join(rel)).expect("fixture")
}

fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

fn stored() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
}

/// A ZIP of `(name, bytes, options)`.
pub fn zip_of(entries: &[(&str, &[u8], SimpleFileOptions)]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes, opts) in entries {
        w.start_file(*name, *opts).expect("zip entry");
        w.write_all(bytes).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

/// The summaries JSON: the FIT by activity id, the GPX by start time.
pub fn summaries() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!([{
        "summarizedActivitiesExport": [
            {"activityId": 12345678901_u64, "name": FIT_TITLE, "activityType": "cycling",
             "startTimeGmt": 1.0e12},
            {"activityId": 222, "name": GPX_TITLE, "activityType": "cycling",
             "startTimeGmt": (GPX_START * 1000 + 400) as f64},
            {"activityId": 333, "name": "Never uploaded", "startTimeGmt": 1.2e12},
        ]
    }]))
    .expect("json")
}

const UPLOADED: &str = "DI_CONNECT/DI-Connect-Uploaded-Files";

/// The current layout: two nested ZIPs of originals (a FIT, a GPX, a
/// `.gpx.gz`, a stray text file, and a ZIP nested one level too deep),
/// the summaries, and files the import ignores.
pub fn realistic() -> Vec<u8> {
    let fit = fixture("fit/garmin-fenix-5-bike.fit");
    let gpx = fixture("activities/brut/1026973739.gpx");
    let gz = fixture("activities/brut/947905012.gpx.gz");
    let too_deep = zip_of(&[("inner.gpx", &gpx, deflated())]);
    let part1 = zip_of(&[
        ("user@example.com_12345678901.fit", &fit, deflated()),
        ("track.gpx", &gpx, deflated()),
        ("readme.txt", b"not an activity", deflated()),
    ]);
    let part2 = zip_of(&[
        ("947905012.gpx.gz", &gz, stored()),
        ("deeper.zip", &too_deep, stored()),
    ]);
    zip_of(&[
        (
            "DI_CONNECT/DI-Connect-User/user_profile.json",
            b"{}",
            deflated(),
        ),
        (
            "DI_CONNECT/DI-Connect-Fitness/user@example.com_0_summarizedActivities.json",
            &summaries(),
            deflated(),
        ),
        (
            &format!("{UPLOADED}/UploadedFiles_0-_Part1.zip"),
            &part1,
            deflated(),
        ),
        (
            &format!("{UPLOADED}/UploadedFiles_0-_Part2.zip"),
            &part2,
            stored(),
        ),
    ])
}

/// The older layout: `DI-Connect-Fitness-Uploaded-Files`, one nested ZIP
/// and one loose file, no summaries.
pub fn old_layout() -> Vec<u8> {
    let dir = "DI_CONNECT/DI-Connect-Fitness-Uploaded-Files";
    let part = zip_of(&[("ride.fit", &fixture("fit/Activity.fit"), deflated())]);
    zip_of(&[
        (
            &format!("{dir}/UploadedFiles_0-_Part1.zip"),
            &part,
            deflated(),
        ),
        (
            &format!("{dir}/825055445.gpx"),
            &fixture("activities/dave/825055445.gpx"),
            deflated(),
        ),
    ])
}

/// A good nested ZIP followed by one that inflates ~1000×: its outer
/// member is a ZIP holding 8 MiB of zeros *stored*, deflated once.
pub fn nested_bomb() -> Vec<u8> {
    let good = zip_of(&[(
        "track.gpx",
        &fixture("activities/brut/1026973739.gpx"),
        deflated(),
    )]);
    let zeros = vec![0u8; 8 << 20];
    let bomb = zip_of(&[("zeros.fit", &zeros, stored())]);
    zip_of(&[
        (
            &format!("{UPLOADED}/UploadedFiles_0-_Part1.zip"),
            &good,
            deflated(),
        ),
        (
            &format!("{UPLOADED}/UploadedFiles_0-_Part2.zip"),
            &bomb,
            deflated(),
        ),
    ])
}

/// A good nested ZIP followed by one holding a FIT that declares 60 MiB
/// (zeros, deflated: a bomb member of a nested archive).
pub fn nested_member_bomb() -> Vec<u8> {
    let good = zip_of(&[(
        "track.gpx",
        &fixture("activities/brut/1026973739.gpx"),
        deflated(),
    )]);
    let zeros = vec![0u8; 60 << 20];
    let bomb = zip_of(&[("big.fit", &zeros, deflated())]);
    zip_of(&[
        (
            &format!("{UPLOADED}/UploadedFiles_0-_Part1.zip"),
            &good,
            deflated(),
        ),
        (
            &format!("{UPLOADED}/UploadedFiles_0-_Part2.zip"),
            &bomb,
            stored(),
        ),
    ])
}

/// A good nested ZIP and one with more entries than an import reads
/// (100 001 empty ones).
pub fn over_count() -> Vec<u8> {
    let good = zip_of(&[(
        "track.gpx",
        &fixture("activities/brut/1026973739.gpx"),
        deflated(),
    )]);
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..100_001 {
        w.start_file(format!("f{i}.txt"), stored()).expect("entry");
    }
    let many = w.finish().expect("zip").into_inner();
    zip_of(&[
        (
            &format!("{UPLOADED}/UploadedFiles_0-_Part1.zip"),
            &good,
            deflated(),
        ),
        (
            &format!("{UPLOADED}/UploadedFiles_0-_Part2.zip"),
            &many,
            stored(),
        ),
    ])
}
