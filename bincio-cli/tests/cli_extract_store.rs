//! `bincio extract --data-dir D --handle H --input DIR…`: into the store.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn bincio(data: &Path) -> Command {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.env("BINCIO_DATA_DIR", data)
        .env_remove("BINCIO_STORE")
        .env("BINCIO_LOG", "warn");
    c
}

#[test]
fn extract_into_the_store_then_render() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let brut = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/activities/brut");
    bincio(&data)
        .env("BINCIO_ADMIN_PASSWORD", "admin-password")
        .args(["init", "--handle", "rider"])
        .assert()
        .success();
    bincio(&data)
        .args(["extract", "--handle", "rider", "--input"])
        .arg(&brut)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "stored 10 activities for rider, 0 already there, 0 errors",
        ));
    bincio(&data)
        .args(["extract", "--handle", "rider", "--input"])
        .arg(&brut)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "stored 0 activities for rider, 10 already there",
        ));
    bincio(&data)
        .args(["extract", "--handle", "nobody", "--input"])
        .arg(&brut)
        .assert()
        .failure()
        .stderr(predicate::str::contains("User not found"));
    bincio(&data)
        .args(["export", "gpx", "--handle", "rider", "2017-06-08T165749Z"])
        .assert()
        .success()
        .stdout(predicate::str::contains("<gpx").and(predicate::str::contains("<trkpt")));
    bincio(&data)
        .args(["export", "gpx", "--handle", "rider", "2018-02-18T171256Z"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no GPS track"));
    let site = dir.path().join("site");
    bincio(&data)
        .args(["render", "--out"])
        .arg(&site)
        .assert()
        .success()
        .stdout(predicate::str::contains("rendered 10 activities"));
    assert!(site
        .join("rider/activities/2017-06-08T165749Z.json")
        .exists());
}
