//! `bincio.toml` (`bincio serve --config` / `BINCIO_CONFIG`): precedence
//! flag > environment > file > default, `KEY_file` secrets, refusals that
//! name the key — seen through `bincio serve --print-config`, and a real
//! server started from a file.

use std::path::Path;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

mod support;

/// `bincio` with a clean environment for the keys under test.
fn bincio(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.current_dir(dir)
        .env_remove("BINCIO_CONFIG")
        .env_remove("BINCIO_TILE_URL")
        .env_remove("BINCIO_IDLE_TIMEOUT")
        .env_remove("BINCIO_PUBLIC_URL")
        .env_remove("DEM_URL")
        .env_remove("BINCIO_DATA_DIR")
        .env("BINCIO_LOG", "warn");
    c
}

/// `bincio serve --print-config ARGS…`.
fn print_config(c: &mut Command, args: &[&std::ffi::OsStr]) -> String {
    let out = c
        .args(["serve", "--print-config"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn line<'a>(printed: &'a str, key: &str) -> &'a str {
    printed
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no {key} in\n{printed}"))
}

#[test]
fn precedence_is_flag_then_env_then_file_then_default() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bincio.toml");
    std::fs::write(
        &cfg,
        "bind = \"127.0.0.1:5000\"\n\
         tile_url = \"https://file.example/{z}/{x}/{y}.png\"\n\
         idle_timeout = 33\n\
         public_url = \"https://file.example\"\n\
         trusted_proxy = true\n",
    )
    .unwrap();
    let printed = print_config(
        bincio(dir.path()).env("BINCIO_TILE_URL", "https://env.example/{z}/{x}/{y}.png"),
        &[
            "--config".as_ref(),
            cfg.as_os_str(),
            "--bind".as_ref(),
            "127.0.0.1:6000".as_ref(),
        ],
    );
    assert_eq!(line(&printed, "bind"), "bind = \"127.0.0.1:6000\"  # flag");
    assert_eq!(
        line(&printed, "tile_url"),
        "tile_url = \"https://env.example/{z}/{x}/{y}.png\"  # env"
    );
    assert_eq!(
        line(&printed, "idle_timeout"),
        "idle_timeout = \"33\"  # file"
    );
    assert_eq!(
        line(&printed, "public_url"),
        "public_url = \"https://file.example\"  # file"
    );
    assert_eq!(
        line(&printed, "trusted_proxy"),
        "trusted_proxy = true  # file"
    );
    assert_eq!(
        line(&printed, "header_read_timeout"),
        "header_read_timeout = \"10\"  # default"
    );
}

#[test]
fn the_file_can_come_from_the_environment_and_secrets_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("dem-url.secret");
    std::fs::write(&secret, "https://dem.example/\n").unwrap();
    let cfg = dir.path().join("bincio.toml");
    std::fs::write(
        &cfg,
        format!("dem_url_file = {:?}\n", secret.to_str().unwrap()),
    )
    .unwrap();
    let printed = print_config(
        bincio(dir.path()).env("BINCIO_CONFIG", &cfg),
        &[
            "--store".as_ref(),
            "mongodb://app:hunter2@db:27017/bincio".as_ref(),
        ],
    );
    assert_eq!(
        line(&printed, "store"),
        "store = \"mongodb://app:***@db:27017/bincio\"  # flag",
        "a password in the store URL is never printed"
    );
    assert!(printed.starts_with(&format!("# config file: {}\n", cfg.display())));
    assert_eq!(
        line(&printed, "dem_url"),
        "dem_url = \"https://dem.example/\"  # file",
        "the file's content, its trailing newline dropped"
    );
}

fn refused(toml: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bincio.toml");
    std::fs::write(&cfg, toml).unwrap();
    let out = bincio(dir.path())
        .args(["serve", "--print-config", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "refused: {toml}");
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn bad_files_are_refused_naming_the_key() {
    let e = refused("bind = \"127.0.0.1:5000\"\nlisten_port = 80\n");
    assert!(
        e.contains("key `listen_port`: unknown key"),
        "unknown key named: {e}"
    );
    let e = refused("trusted_proxy = \"yes\"\n");
    assert!(
        e.contains("key `trusted_proxy`: expected true or false"),
        "{e}"
    );
    let e = refused("idle_timeout = [1, 2]\n");
    assert!(e.contains("key `idle_timeout`"), "{e}");
    let e = refused("dem_url = \"a\"\ndem_url_file = \"/nowhere\"\n");
    assert!(
        e.contains("key `dem_url_file`: `dem_url` is given too"),
        "{e}"
    );
    let e = refused("dem_url_file = \"/nowhere/at/all\"\n");
    assert!(
        e.contains("key `dem_url_file`: reading /nowhere/at/all"),
        "{e}"
    );
    let e = refused("bind = \"nope\"\n");
    assert!(
        e.contains("--bind") && e.contains("values from the config file") && e.contains("bind"),
        "clap's refusal with the file named: {e}"
    );
    let e = refused("bind = \n");
    assert!(
        e.contains("bincio.toml"),
        "a TOML syntax error names the file: {e}"
    );
    let e = refused("config = \"other.toml\"\n");
    assert!(e.contains("key `config`: unknown key"), "{e}");
}

#[test]
fn serve_runs_with_the_files_settings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cfg = dir.path().join("bincio.toml");
    std::fs::write(
        &cfg,
        format!(
            "data_dir = {:?}\nbind = \"127.0.0.1:0\"\n",
            data.to_str().unwrap()
        ),
    )
    .unwrap();
    let mut child = bincio(dir.path())
        .arg("serve")
        .arg("--config")
        .arg(&cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr = support::listening_addr(&mut child);
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        data.join("instance.db").exists(),
        "the data dir came from the file"
    );
}
