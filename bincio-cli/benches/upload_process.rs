//! Whole-process upload-to-stored: a release `bincio serve` on a fresh
//! SQLite data dir, fed the 20 fixture files (`tests/data/activities`) of
//! each of `users` members through `POST /api/upload?stream=false` over
//! loopback, one multipart request per member — what a member's browser or
//! script does. Reports wall time from the first request to the last answer,
//! the server process's CPU (user + system, from `/proc/PID/stat`) and its
//! peak RSS (`VmHWM`), MB/s of files as uploaded, files/s.
//!
//! `cargo bench -p bincio-cli --bench upload_process` (release). Env:
//! `BINCIO_BENCH_USERS` (default 10 ⇒ 200 files, 34.5 MB), `BINCIO_BENCH_RUNS`
//! (default 3; best and worst are printed), `BINCIO_BENCH_DIR` (where the
//! data dir goes, e.g. /dev/shm to take the disk out). Under `cargo test`
//! (no `--bench` argument) one small run as a smoke test.
//!
//! `BINCIO_BENCH_BASELINE=/path/to/older/bincio` runs that binary too, each
//! run alternating the two, so both are measured under the same load.
//!
//! Every answer is checked: each member's upload must report all 20 files
//! added, so a faster figure can never come from files that failed.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "bench-password-123";
const BOUNDARY: &str = "bincio-bench-boundary-7f3a";

/// The fixture files: (name, bytes).
fn fixtures() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/activities");
    let mut files = Vec::new();
    for who in ["brut", "dave"] {
        let mut names: Vec<_> = std::fs::read_dir(root.join(who))
            .expect("fixture dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        names.sort();
        for p in names {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            files.push((name, std::fs::read(&p).unwrap()));
        }
    }
    files
}

/// One `multipart/form-data` body holding every file as a `files` part.
fn multipart(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, bytes) in files {
        write!(
            body,
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{BOUNDARY}--\r\n").unwrap();
    body
}

/// The binary under test: this build's, or `BINCIO_BENCH_BASELINE` (e.g. a
/// build of an older commit) for the baseline runs.
fn bin(baseline: bool) -> PathBuf {
    if baseline {
        PathBuf::from(std::env::var_os("BINCIO_BENCH_BASELINE").expect("baseline path"))
    } else {
        PathBuf::from(env!("CARGO_BIN_EXE_bincio"))
    }
}

/// `bin ARGS… --data-dir DATA`.
fn bincio(bin: &Path, data: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin);
    c.args(args)
        .arg("--data-dir")
        .arg(data)
        .env("BINCIO_LOG", "warn");
    c
}

/// Run a `bincio` command with the password on stdin; panic unless it succeeds.
fn run_with_password(mut c: Command) {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Start `bincio serve` and return it with its address.
fn serve(bin: &Path, data: &Path) -> (Child, String) {
    let mut child = bincio(bin, data, &["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "serve exited early");
        if let Some(a) = line.trim().strip_prefix("bincio listening on http://") {
            break a.to_owned();
        }
    };
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (child, addr)
}

/// CPU seconds (user + system) the process used so far.
fn cpu_s(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the parenthesised command name; utime and stime are
    // fields 14 and 15 (1-based), i.e. 11 and 12 after the name.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / 100.0 // USER_HZ is 100 on Linux
}

/// Peak resident set of the process, MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb / 1024.0
}

struct Run {
    wall: f64,
    cpu: f64,
    rss: f64,
}

fn one_run(bin: &Path, base: &Path, users: usize, files: &[(String, Vec<u8>)], body: &[u8]) -> Run {
    let dir = tempfile::tempdir_in(base).unwrap();
    let data: PathBuf = dir.path().join("data");
    run_with_password(bincio(
        bin,
        &data,
        &["init", "--handle", "admin", "--password-stdin"],
    ));
    for u in 0..users {
        let handle = format!("up{u}");
        run_with_password(bincio(
            bin,
            &data,
            &["users", "create", &handle, "--password-stdin"],
        ));
    }
    let (mut child, addr) = serve(bin, &data);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let run = rt.block_on(async {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(600))
            .build()
            .unwrap();
        let mut tokens = Vec::new();
        for u in 0..users {
            let r: serde_json::Value = http
                .post(format!("http://{addr}/api/auth/token"))
                .json(&serde_json::json!({"handle": format!("up{u}"), "password": PASSWORD}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            tokens.push(r["token"].as_str().expect("token").to_owned());
        }
        let cpu0 = cpu_s(child.id());
        let t = Instant::now();
        for token in &tokens {
            let r = http
                .post(format!("http://{addr}/api/upload?stream=false"))
                .bearer_auth(token)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(body.to_vec())
                .send()
                .await
                .unwrap();
            let status = r.status();
            let v: serde_json::Value = r.json().await.unwrap();
            assert!(status.is_success(), "upload: {status} {v}");
            assert_eq!(
                v["done"]["added"].as_u64(),
                Some(files.len() as u64),
                "every file stored: {v}"
            );
        }
        Run {
            wall: t.elapsed().as_secs_f64(),
            cpu: cpu_s(child.id()) - cpu0,
            rss: peak_rss_mib(child.id()),
        }
    });
    let _ = child.kill();
    let _ = child.wait();
    run
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let users = env("BINCIO_BENCH_USERS", if full { 10 } else { 1 });
    let runs = env("BINCIO_BENCH_RUNS", if full { 3 } else { 1 });
    let base = std::env::var_os("BINCIO_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let files = fixtures();
    let body = multipart(&files);
    let mb = (files.iter().map(|(_, b)| b.len()).sum::<usize>() * users) as f64 / 1e6;
    let n = files.len() * users;
    let with_baseline = std::env::var_os("BINCIO_BENCH_BASELINE").is_some();
    let (mut this, mut baseline) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        if with_baseline {
            baseline.push(one_run(&bin(true), &base, users, &files, &body));
        }
        this.push(one_run(&bin(false), &base, users, &files, &body));
    }
    println!(
        "upload-to-stored (whole process, HTTP): {n} files, {mb:.1} MB, {users} member(s), {runs} run(s)"
    );
    if with_baseline {
        report("baseline", baseline, mb, n);
    }
    report("this build", this, mb, n);
}

fn report(what: &str, mut all: Vec<Run>, mb: f64, n: usize) {
    all.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    let (best, worst) = (&all[0], &all[all.len() - 1]);
    println!(
        "{what}:\n  \
         best:  {:.2} s wall, {:.2} s CPU, {:.1} MB/s, {:.0} files/s, peak RSS {:.0} MiB\n  \
         worst: {:.2} s wall, {:.2} s CPU, {:.1} MB/s, {:.0} files/s, peak RSS {:.0} MiB",
        best.wall,
        best.cpu,
        mb / best.wall,
        n as f64 / best.wall,
        best.rss,
        worst.wall,
        worst.cpu,
        mb / worst.wall,
        n as f64 / worst.wall,
        worst.rss,
    );
}
