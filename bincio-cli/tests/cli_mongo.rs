//! The `bincio` binary on a MongoDB store (`--store mongodb://…/db`).
//!
//! Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).

use assert_cmd::Command;
use bincio_store_mongo::testkit::{base_url, DropDb};
use predicates::prelude::*;

fn bincio(dir: &std::path::Path, store: &str) -> Command {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.env("BINCIO_DATA_DIR", dir)
        .env("BINCIO_STORE", store)
        .env_remove("BINCIO_ADMIN_PASSWORD")
        .env_remove("BINCIO_PASSWORD")
        .env("BINCIO_LOG", "warn");
    c
}

#[test]
fn init_and_users_list_on_mongo() {
    let Some(base) = base_url("init_and_users_list_on_mongo") else {
        return;
    };
    let (url, _guard) = DropDb::fresh(&base);
    let dir = tempfile::tempdir().unwrap();
    bincio(dir.path(), &url)
        .args(["init", "--handle", "admin", "--password-stdin"])
        .write_stdin("admin-password\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("Created admin account admin"));
    // `--store` on the command line wins over the environment.
    Command::cargo_bin("bincio")
        .unwrap()
        .env("BINCIO_DATA_DIR", dir.path())
        .env_remove("BINCIO_STORE")
        .env("BINCIO_LOG", "warn")
        .args(["users", "list", "--store", &url])
        .assert()
        .success()
        .stdout(predicate::str::is_match("(?m)^admin ").unwrap().count(1));
    assert!(
        !dir.path().join("instance.db").exists(),
        "nothing written to SQLite"
    );
}
