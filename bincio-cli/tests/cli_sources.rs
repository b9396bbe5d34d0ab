//! Activity sources from the command line: `bincio sync drop |
//! drop-folder | history`, `bincio serve --drop-interval` scanning in the
//! background, and `bincio import garmin-export` — on SQLite, and the
//! essentials on MongoDB.

#[path = "../../bincio-http/tests/support/garmin.rs"]
mod garmin;
mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant, SystemTime};

use assert_cmd::Command;
use predicates::prelude::*;

fn bincio(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.env("BINCIO_DATA_DIR", dir)
        .env_remove("BINCIO_STORE")
        .env_remove("BINCIO_PASSWORD")
        .env("BINCIO_LOG", "warn");
    c
}

fn on(dir: &Path, store: Option<&str>) -> Command {
    let mut c = bincio(dir);
    if let Some(s) = store {
        c.env("BINCIO_STORE", s);
    }
    c
}

/// An instance with an admin and the member `alice`.
fn instance(dir: &Path, store: Option<&str>) {
    on(dir, store)
        .args(["init", "--handle", "admin", "--password-stdin"])
        .write_stdin("admin-password\n")
        .assert()
        .success();
    on(dir, store)
        .args(["users", "create", "alice", "--password-stdin"])
        .write_stdin("alice-password\n")
        .assert()
        .success();
}

/// Write `bytes` at `dir/rel`, last modified `age` ago.
fn put(dir: &Path, rel: &str, bytes: &[u8], age: Duration) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    backdate(&p, age);
}

fn backdate(p: &Path, age: Duration) {
    std::fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(SystemTime::now() - age)
        .unwrap();
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn drop_folder_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    instance(dir.path(), None);
    let folder = dir.path().join("drop/alice");
    put(
        &folder,
        "a.gpx",
        &garmin::fixture("activities/brut/1026973739.gpx"),
        HOUR,
    );
    put(&folder, "notes.txt", b"not a ride", HOUR);
    // Being written right now: waits for the settle time.
    put(
        &folder,
        "b.fit.gz",
        &garmin::fixture("activities/brut/1526615320.fit.gz"),
        Duration::ZERO,
    );
    bincio(dir.path())
        .args(["sync", "drop", "--handle", "alice", "--settle", "600"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "alice: 1 imported, 0 duplicates, 1 errors, 1 waiting, 0 unchanged",
        ))
        .stderr(predicate::str::contains(
            "alice: notes.txt: error: notes.txt: refused: not an activity file",
        ));
    backdate(&folder.join("b.fit.gz"), HOUR);
    // Every member when no handle is given (the admin's folder is empty).
    bincio(dir.path())
        .args(["sync", "drop"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "alice: 1 imported, 0 duplicates, 0 errors, 0 waiting, 2 unchanged",
        ))
        .stdout(predicate::str::contains("admin: 0 imported"));
    bincio(dir.path())
        .args(["sync", "history", "--handle", "alice"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "drop: 1 imported, 0 duplicates, 0 errors",
        ))
        .stdout(predicate::str::contains("  imported b.fit.gz"))
        .stdout(predicate::str::contains(
            "  error notes.txt: notes.txt: refused",
        ));

    // A folder set by the admin; relative paths are refused.
    let mine = tempfile::tempdir().unwrap();
    let mine_path = mine.path().to_str().unwrap();
    bincio(dir.path())
        .args(["sync", "drop-folder", "--handle", "alice", "relative/dir"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("must be an absolute path"));
    bincio(dir.path())
        .args(["sync", "drop-folder", "--handle", "alice", mine_path])
        .assert()
        .success()
        .stdout(predicate::str::contains("(set by an admin)"));
    // The same content as a.gpx: a duplicate.
    put(
        mine.path(),
        "again.gpx",
        &garmin::fixture("activities/brut/1026973739.gpx"),
        HOUR,
    );
    bincio(dir.path())
        .args(["sync", "drop", "--handle", "alice"])
        .assert()
        .success()
        .stdout(predicate::str::contains("alice: 0 imported, 1 duplicates"));
    bincio(dir.path())
        .args(["sync", "drop-folder", "--handle", "alice", "--default"])
        .assert()
        .success()
        .stdout(predicate::str::contains("drop/alice (default)"));
    bincio(dir.path())
        .args(["sync", "drop", "--handle", "nobody"])
        .assert()
        .failure();
}

/// A `bincio serve --drop-interval 1` child; killed on drop.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_scans_drop_folders_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    instance(dir.path(), None);
    let folder = dir.path().join("drop/alice");
    put(
        &folder,
        "ride.gpx",
        &garmin::fixture("activities/dave/825055445.gpx"),
        HOUR,
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("bincio"))
        .args(["serve", "--bind", "127.0.0.1:0", "--drop-interval", "1"])
        .env("BINCIO_DATA_DIR", dir.path())
        .env_remove("BINCIO_STORE")
        .env("BINCIO_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains("scanning drop folders every 1 s"), "{first}");
    child.stdout = Some(out.into_inner());
    let _serve = Serve(child);
    let history = |dir: &Path| {
        let o = bincio(dir)
            .args(["sync", "history", "--handle", "alice"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !history(dir.path()).contains("imported ride.gpx") {
        assert!(Instant::now() < deadline, "no background scan within 60 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    // A file added later is picked up by a later scan.
    put(
        &folder,
        "later.gpx.gz",
        &garmin::fixture("activities/dave/891963388.gpx.gz"),
        HOUR,
    );
    while !history(dir.path()).contains("imported later.gpx.gz") {
        assert!(
            Instant::now() < deadline,
            "the second file was not picked up"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(history(dir.path()).matches("imported ride.gpx").count(), 1);
}

#[test]
fn garmin_export_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    instance(dir.path(), None);
    let zips = tempfile::tempdir().unwrap();
    let good = zips.path().join("export.zip");
    std::fs::write(&good, garmin::realistic()).unwrap();
    bincio(dir.path())
        .args(["import", "garmin-export", "--handle", "alice"])
        .arg(&good)
        .assert()
        .success()
        .stdout("imported 3, skipped 0 duplicates, 1 errors\n")
        .stderr(predicate::str::contains("deeper.zip: error:"));
    let bomb = zips.path().join("bomb.zip");
    std::fs::write(&bomb, garmin::nested_bomb()).unwrap();
    bincio(dir.path())
        .args(["import", "garmin-export", "--handle", "alice"])
        .arg(&bomb)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "UploadedFiles_0-_Part2.zip: expands more than 500×",
        ));
    let strava_like = zips.path().join("other.zip");
    std::fs::write(&strava_like, garmin::zip_of(&[])).unwrap();
    bincio(dir.path())
        .args(["import", "garmin-export", "--handle", "alice"])
        .arg(&strava_like)
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a Garmin account export"));
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
#[test]
fn drop_and_garmin_on_mongo() {
    let Some(base) = bincio_store_mongo::testkit::base_url("drop_and_garmin_on_mongo") else {
        return;
    };
    let (url, _guard) = bincio_store_mongo::testkit::DropDb::fresh(&base);
    let dir = tempfile::tempdir().unwrap();
    let store = Some(url.as_str());
    instance(dir.path(), store);
    let folder = dir.path().join("drop/alice");
    put(
        &folder,
        "a.gpx",
        &garmin::fixture("activities/brut/1026973739.gpx"),
        HOUR,
    );
    on(dir.path(), store)
        .args(["sync", "drop", "--handle", "alice"])
        .assert()
        .success()
        .stdout(predicate::str::contains("alice: 1 imported"));
    on(dir.path(), store)
        .args(["sync", "drop", "--handle", "alice"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "alice: 0 imported, 0 duplicates, 0 errors, 0 waiting, 1 unchanged",
        ));
    let zip = dir.path().join("export.zip");
    std::fs::write(&zip, garmin::realistic()).unwrap();
    // a.gpx is the export's track.gpx: a duplicate.
    on(dir.path(), store)
        .args(["import", "garmin-export", "--handle", "alice"])
        .arg(&zip)
        .assert()
        .success()
        .stdout("imported 2, skipped 1 duplicates, 1 errors\n");
    on(dir.path(), store)
        .args(["sync", "history", "--handle", "alice"])
        .assert()
        .success()
        .stdout(predicate::str::contains("  imported a.gpx"));
    assert!(
        !dir.path().join("instance.db").exists(),
        "nothing written to SQLite"
    );
}
