//! `bincio render` (assert_cmd).

use assert_cmd::Command;
use predicates::prelude::*;

fn bincio(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.env("BINCIO_DATA_DIR", dir)
        .env_remove("BINCIO_STORE")
        .env("BINCIO_LOG", "warn");
    c
}

#[test]
fn render_writes_manifest_and_refuses_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    bincio(&data)
        .env("BINCIO_ADMIN_PASSWORD", "admin-password")
        .args(["init", "--handle", "admin", "--name", "Club"])
        .assert()
        .success();
    let out = dir.path().join("site");
    bincio(&data)
        .args(["render", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("rendered 0 activities"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    assert_eq!(manifest["instance"]["name"], "Club");
    assert!(!out.join("instance.db").exists());
    for bad in [data.clone(), data.join("public")] {
        bincio(&data)
            .args(["render", "--out"])
            .arg(&bad)
            .assert()
            .failure()
            .stderr(predicate::str::contains("overlaps the data directory"));
    }
    bincio(&data)
        .args(["render", "--handle", "../x", "--out"])
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("Handle must be"));
}
