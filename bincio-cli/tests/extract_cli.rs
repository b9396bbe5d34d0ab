//! `bincio extract` end to end on the fixture directories.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn fixtures(user: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/activities")
        .join(user)
}

fn bincio() -> Command {
    Command::cargo_bin("bincio").unwrap()
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn extract(out: &Path, user: &str) -> assert_cmd::assert::Assert {
    bincio()
        .args(["extract", "--input"])
        .arg(fixtures(user))
        .arg("--output")
        .arg(out)
        .args(["--handle", user, "--workers", "2"])
        .assert()
}

#[test]
fn extracts_brut_and_dave_then_skips_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    for user in ["brut", "dave"] {
        extract(out, user)
            .success()
            .stdout(predicate::str::contains("10 extracted, 0 unchanged"));
    }
    // Second run: every file is known by hash.
    for user in ["brut", "dave"] {
        extract(out, user)
            .success()
            .stdout(predicate::str::contains("0 extracted, 10 unchanged"));
    }

    let root = json(&out.join("index.json"));
    assert_eq!(root["bas_version"], "1.0");
    assert_eq!(root["instance"]["private"], false);
    let shards: Vec<&str> = root["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["handle"].as_str().unwrap())
        .collect();
    assert_eq!(shards, ["brut", "dave"]);
    assert_eq!(root["shards"][0]["url"], "brut/index.json");

    for user in ["brut", "dave"] {
        let idx = json(&out.join(user).join("index.json"));
        assert_eq!(idx["owner"]["handle"], user);
        let acts = idx["activities"].as_array().unwrap();
        assert_eq!(acts.len(), 10);
        let starts: Vec<&str> = acts
            .iter()
            .map(|a| a["started_at"].as_str().unwrap())
            .collect();
        assert!(starts.windows(2).all(|w| w[0] >= w[1]), "newest first");
        let dir = out.join(user).join("activities");
        let mut geojson = 0;
        for s in acts {
            for key in [
                "id",
                "title",
                "sport",
                "started_at",
                "privacy",
                "detail_url",
            ] {
                assert!(!s[key].is_null(), "{key}");
            }
            let id = s["id"].as_str().unwrap();
            let detail = json(&dir.join(format!("{id}.json")));
            for key in [
                "bas_version",
                "id",
                "title",
                "sport",
                "started_at",
                "duration_s",
                "distance_m",
                "laps",
                "source_hash",
                "privacy",
                "custom",
                "timeseries_url",
            ] {
                assert!(detail.get(key).is_some(), "{key} in {id}");
            }
            assert_eq!(detail["id"], id);
            let ts = json(&dir.join(format!("{id}.timeseries.json")));
            assert!(!ts["t"].as_array().unwrap().is_empty());
            if !s["track_url"].is_null() {
                geojson += 1;
                let g = json(&dir.join(format!("{id}.geojson")));
                assert_eq!(g["type"], "Feature");
                assert_eq!(g["geometry"]["type"], "LineString");
                assert_eq!(g["properties"]["id"], id);
                let pv = s["preview_coords"].as_array().unwrap();
                assert!(pv.len() >= 2 && pv.len() <= 20);
            }
        }
        assert_eq!(geojson, 9, "{user}: one indoor FIT without GPS");
    }
}

#[test]
fn single_file_prints_detail_json() {
    let out = bincio()
        .args(["extract", "--file"])
        .arg(fixtures("brut").join("1026973739.gpx"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let d: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(d["id"], "2017-06-08T165749Z");
    assert_eq!(d["sport"], "running");
    assert_eq!(d["distance_m"], 2502.1);
}

#[test]
fn bad_files_are_reported_and_the_run_continues() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::copy(
        fixtures("brut").join("1026973739.gpx"),
        input.join("good.gpx"),
    )
    .unwrap();
    std::fs::write(input.join("broken.gpx"), "<gpx><trk><trkseg><trkpt").unwrap();
    std::fs::write(input.join("junk.fit"), "not a fit file").unwrap();
    std::fs::write(input.join("ignored.txt"), "x").unwrap();
    bincio()
        .args(["extract", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(tmp.path().join("out"))
        .args(["--handle", "me"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "3 files: 1 extracted, 0 unchanged, 0 duplicates, 2 errors",
        ))
        .stderr(predicate::str::contains("broken.gpx: malformed GPX"))
        .stderr(predicate::str::contains("junk.fit: malformed FIT"));
}

#[test]
fn invalid_handle_and_privacy_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    bincio()
        .args(["extract", "--input"])
        .arg(fixtures("brut"))
        .arg("--output")
        .arg(tmp.path())
        .args(["--handle", "../evil"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("invalid handle"));
    bincio()
        .args(["extract", "--privacy", "secret", "--file"])
        .arg(fixtures("brut").join("1026973739.gpx"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("invalid --privacy"));
}

/// The same run recorded as GPX and as TCX: near-duplicates; the GPX
/// (quality 2) beats the TCX (quality 1), and the loser is remembered.
#[test]
fn near_duplicate_from_two_sources_keeps_the_better_one() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    let gpx = std::fs::read_to_string(fixtures("brut").join("1026973739.gpx")).unwrap();
    std::fs::write(input.join("a.gpx"), &gpx).unwrap();
    let mut tcx = String::from(
        r#"<?xml version="1.0"?><TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities><Activity Sport="Running"><Lap><Track>"#,
    );
    let mut trkpt = "";
    for line in gpx.lines() {
        let l = line.trim();
        if l.starts_with("<trkpt") {
            trkpt = l;
        } else if let Some(t) = l
            .strip_prefix("<time>")
            .filter(|_| !trkpt.is_empty())
            .and_then(|t| t.strip_suffix("</time>"))
        {
            let attr = |k: &str| {
                let s = trkpt.split(&format!("{k}=\"")).nth(1).unwrap();
                s.split('"').next().unwrap().to_string()
            };
            tcx += &format!(
                "<Trackpoint><Time>{t}</Time><Position><LatitudeDegrees>{}</LatitudeDegrees><LongitudeDegrees>{}</LongitudeDegrees></Position></Trackpoint>",
                attr("lat"),
                attr("lon")
            );
        }
    }
    tcx += "</Track></Lap></Activity></Activities></TrainingCenterDatabase>";
    std::fs::write(input.join("b.tcx"), &tcx).unwrap();
    let out = tmp.path().join("out");
    let run = || {
        bincio()
            .args(["extract", "--workers", "1", "--input"])
            .arg(&input)
            .arg("--output")
            .arg(&out)
            .args(["--handle", "me"])
            .assert()
            .success()
    };
    run().stdout(predicate::str::contains("1 duplicates"));
    let idx = json(&out.join("me/index.json"));
    let acts = idx["activities"].as_array().unwrap();
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0]["source"], "gpx_file");
    run().stdout(predicate::str::contains("0 extracted, 2 unchanged"));
}

/// A FIT file whose field definition has a size that is not a multiple of
/// its base type: fitparser alone would print "ERROR: field size ..." to
/// stderr.
#[test]
fn fitparser_noise_stays_off_stderr() {
    use bincio_core::extract::fit::fit_crc;
    let mut body = vec![
        0x40, 0, 0, 20, 0, 2, // definition: local 0, global 20 (record), 2 fields
        253, 3, 0x86, // timestamp: size 3 with base uint32 (odd size)
        3, 1, 0x02, // heart_rate: uint8
        0x00, 1, 2, 3, 150, // data message
    ];
    let mut file = vec![14u8, 0x20, 0x08, 0x08];
    file.extend_from_slice(&(body.len() as u32).to_le_bytes());
    file.extend_from_slice(b".FIT");
    let c = fit_crc(&file);
    file.extend_from_slice(&c.to_le_bytes());
    file.append(&mut body);
    let c = fit_crc(&file);
    file.extend_from_slice(&c.to_le_bytes());
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("odd.fit");
    std::fs::write(&path, &file).unwrap();
    bincio()
        .args(["extract", "--file"])
        .arg(&path)
        .assert()
        .failure()
        .stderr(predicate::str::contains("no data points"))
        .stderr(predicate::str::contains("ERROR: field size").not());
}
