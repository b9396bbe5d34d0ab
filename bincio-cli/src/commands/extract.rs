//! `bincio extract`: the single-user, no-server flow. Walks input
//! directories, extracts every supported file in parallel and writes the BAS
//! tree incrementally: a file whose hash is known is skipped without parsing,
//! and a file whose size and modification time still match the stamp stored
//! with that hash is skipped without even being read.
//!
//! Memory stays bounded for any number of files: workers hand finished
//! activities to the writer through a bounded channel, the writer writes
//! them at once and keeps only the small feed summary and dedup record.

use std::collections::{BTreeMap, HashSet};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context};
use bincio_core::activities::tree_ingest::{TreeIngest, TreeOutcome};
use bincio_core::extract::tree::FileStamp;
use bincio_core::extract::{
    compute, is_supported_name, parse_bytes, parse_bytes_hashed, source_hash, Activity,
    ExtractError, Limits, Options, Privacy,
};

/// Arguments of `bincio extract`.
#[derive(Debug, clap::Args)]
pub struct ExtractArgs {
    /// Directories to scan recursively for .gpx/.tcx/.fit files (optionally .gz).
    #[arg(long, num_args = 1.., value_name = "DIR", required_unless_present = "file")]
    pub input: Vec<PathBuf>,
    /// Root of a static BAS tree to write (single-user flow). Without it the
    /// activities go into the instance's store (`--data-dir` / `--store`).
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Owner handle (the user directory under the output).
    #[arg(long, value_name = "H", required_unless_present = "file")]
    pub handle: Option<String>,
    /// Display name written into the user's index (default: the handle).
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
    /// Parallel workers (default: all cores).
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Privacy of the extracted activities: public, blur_start, no_gps, private, unlisted.
    #[arg(long, value_name = "P", default_value = "public")]
    pub privacy: String,
    /// Only files modified on or after this local date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// The instance whose store receives the activities (when no --output).
    #[command(flatten)]
    pub store: crate::cli::StoreArgs,
    /// Parse one file and print its detail JSON to stdout; writes nothing.
    #[arg(long, value_name = "F", conflicts_with_all = ["input", "output"])]
    pub file: Option<PathBuf>,
}

/// What a worker reports for one file (with its stamp when known).
enum Outcome {
    Extracted(Box<Activity>, Option<FileStamp>),
    Unchanged(Option<FileStamp>),
    Failed(String),
}

/// Whether the command runs without the async runtime: `--file` and the
/// static tree (`--output`) touch no store, so `main` skips starting tokio
/// (its worker threads and reactor) for them.
pub fn is_local(args: &ExtractArgs) -> bool {
    args.file.is_some() || args.output.is_some()
}

/// Entry point of the local flows ([`is_local`]).
pub fn run_local(args: ExtractArgs) -> anyhow::Result<()> {
    match prepare(&args)? {
        Prepared::Single(file, opts) => run_single(&file, &opts),
        Prepared::Batch(b) => {
            let Some(output) = &args.output else {
                bail!("--output is required for a local extraction");
            };
            let display_name = args
                .display_name
                .clone()
                .unwrap_or_else(|| b.handle.clone());
            extract_tree(
                b.files,
                output,
                &b.handle,
                &display_name,
                b.workers,
                &b.opts,
            )
        }
    }
}

/// Entry point (any flow).
pub async fn run(args: ExtractArgs) -> anyhow::Result<()> {
    if is_local(&args) {
        return run_local(args);
    }
    match prepare(&args)? {
        Prepared::Single(file, opts) => run_single(&file, &opts),
        Prepared::Batch(b) => {
            into_store(&args.store, &b.handle, b.files, b.workers, &args.privacy).await
        }
    }
}

/// A batch to extract: the files found and how.
struct Batch {
    handle: String,
    files: Vec<PathBuf>,
    workers: usize,
    opts: Options,
}

enum Prepared {
    Single(PathBuf, Options),
    Batch(Batch),
}

/// Validate the flags and find the input files.
fn prepare(args: &ExtractArgs) -> anyhow::Result<Prepared> {
    let privacy = Privacy::parse(&args.privacy).with_context(|| {
        format!(
            "invalid --privacy {:?} (public, blur_start, no_gps, private, unlisted)",
            args.privacy
        )
    })?;
    let opts = Options {
        privacy,
        ..Options::default()
    };
    if let Some(file) = &args.file {
        return Ok(Prepared::Single(file.clone(), opts));
    }
    let Some(handle) = &args.handle else {
        bail!("--input and --handle are required");
    };
    if !bincio_core::validate::is_valid_handle(handle) {
        bail!("invalid handle {handle:?}: 1-30 characters a-z 0-9 _ -, starting with a letter or digit");
    }
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let mut files = Vec::new();
    for dir in &args.input {
        if !dir.is_dir() {
            bail!("input {} is not a directory", dir.display());
        }
        walk(dir, since, &mut files);
    }
    files.sort();
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(4, |n| n.get()))
        .max(1);
    Ok(Prepared::Batch(Batch {
        handle: handle.clone(),
        files,
        workers,
        opts,
    }))
}

/// The server flow: every file goes through the same batch ingestion as an
/// upload ([`Activities::ingest_batch`]: dedup, near-duplicates, limits),
/// `workers` at a time.
///
/// [`Activities::ingest_batch`]: bincio_core::activities::Activities::ingest_batch
async fn into_store(
    store: &crate::cli::StoreArgs,
    handle: &str,
    files: Vec<PathBuf>,
    workers: usize,
    privacy: &str,
) -> anyhow::Result<()> {
    use bincio_core::activities::batch::{BatchEvent, BatchFile};
    use bincio_core::activities::ingest::{IngestOptions, IngestStatus};

    let stores = crate::stores::open(store).await?;
    let user = super::accounts(&stores).require_user(handle).await?;
    let acts = super::activities(&stores);
    let privacy = match privacy {
        "public" => None,
        p => Some(
            bincio_core::model::Privacy::parse(p)
                .with_context(|| format!("invalid --privacy {p:?}"))?,
        ),
    };
    let total = files.len();
    let started = Instant::now();
    let batch = files
        .into_iter()
        .map(|path| {
            let name = base_name(&path);
            let shown = name.clone();
            BatchFile::new(name, async move {
                tokio::fs::read(&path)
                    .await
                    .map_err(|e| format!("{shown}: {e}"))
            })
        })
        .collect();
    let opts = IngestOptions {
        privacy,
        ..IngestOptions::default()
    };
    let report = acts
        .ingest_batch(&user, batch, opts, workers, |ev| {
            if let BatchEvent::Finished {
                n, name, outcome, ..
            } = ev
            {
                match outcome {
                    Ok(IngestStatus::Duplicate { .. }) => {}
                    Ok(s) => println!("[{n}/{total}] {name}: {}", s.id()),
                    Err(e) => eprintln!("error: {e}"),
                }
            }
        })
        .await;
    println!(
        "stored {} activities for {handle}, {} already there, {} errors ({total} files in {:.1} s)",
        report.added() + report.overwritten,
        report.duplicates,
        report.errors.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_single(file: &Path, opts: &Options) -> anyhow::Result<()> {
    let name = base_name(file);
    let limits = Limits::default();
    let meta =
        std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    limits.check_input_len(&name, meta.len())?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let parsed = parse_bytes(&name, &bytes, &limits)?;
    let activity = compute(&parsed, opts);
    println!("{}", serde_json::to_string_pretty(&activity.detail)?);
    Ok(())
}

fn base_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn parse_since(s: &str) -> anyhow::Result<SystemTime> {
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("invalid --since {s:?} (expected YYYY-MM-DD)"))?;
    let midnight = d
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(chrono::Local).earliest())
        .with_context(|| format!("invalid --since {s:?}"))?;
    Ok(SystemTime::from(midnight))
}

/// Recursive walk (no symlink loops: symlinked directories are not followed).
fn walk(dir: &Path, since: Option<SystemTime>, out: &mut Vec<PathBuf>) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            let path = e.path();
            if ft.is_dir() {
                stack.push(path);
            } else if is_supported_name(&base_name(&path)) {
                if let Some(since) = since {
                    let recent = e
                        .metadata()
                        .and_then(|m| m.modified())
                        .map(|m| m >= since)
                        .unwrap_or(true);
                    if !recent {
                        continue;
                    }
                }
                out.push(path);
            }
        }
    }
}

/// Progress: a bar on a terminal, plain lines otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    done: usize,
}

impl Progress {
    fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} files {elapsed} (eta {eta}) {msg}",
            ) {
                b.set_style(style);
            }
            b
        });
        Progress {
            bar,
            total,
            done: 0,
        }
    }
    fn step(&mut self, name: &str, status: &str) {
        self.done += 1;
        match &self.bar {
            Some(b) => {
                b.set_message(name.to_string());
                b.inc(1);
            }
            None => eprintln!("[{}/{}] {name}: {status}", self.done, self.total),
        }
    }
    fn error(&mut self, line: &str) {
        self.done += 1;
        match &self.bar {
            Some(b) => {
                b.println(line);
                b.inc(1);
            }
            None => eprintln!("[{}/{}] {line}", self.done, self.total),
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The single-user flow: workers read and parse, the core's
/// [`TreeIngest`] places each activity in the tree (dedup, collisions,
/// near-duplicates — the rules of the store's ingestion).
fn extract_tree(
    files: Vec<PathBuf>,
    output: &Path,
    handle: &str,
    display_name: &str,
    workers: usize,
    opts: &Options,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut tree = TreeIngest::open(output, handle)?;
    let known: Arc<HashSet<String>> = Arc::new(tree.known_hashes());
    let old_stamps = Arc::new(tree.stamps().clone());
    let files = Arc::new(files);
    let next = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::sync_channel::<(usize, Outcome)>(workers * 2);
    let mut progress = Progress::new(files.len());
    let (mut added, mut unchanged, mut dups, mut errors) = (0usize, 0usize, 0usize, 0usize);

    std::thread::scope(|s| -> anyhow::Result<()> {
        for _ in 0..workers.min(files.len().max(1)) {
            let (tx, files, next, known, old_stamps) = (
                tx.clone(),
                files.clone(),
                next.clone(),
                known.clone(),
                old_stamps.clone(),
            );
            s.spawn(move || {
                // One read buffer per worker, reused for every file.
                let mut buf = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let outcome = process(path, &known, &old_stamps, opts, &mut buf);
                    if buf.capacity() > KEEP_READ_BUF {
                        buf = Vec::new();
                    }
                    if tx.send((i, outcome)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, outcome) in rx {
            let path = &files[i];
            let shown = path.display().to_string();
            let (activity, stamp) = match outcome {
                Outcome::Failed(reason) => {
                    errors += 1;
                    progress.error(&format!("error: {shown}: {reason}"));
                    continue;
                }
                Outcome::Unchanged(stamp) => (None, stamp),
                Outcome::Extracted(a, stamp) => (Some(a), stamp),
            };
            if let Some(st) = stamp {
                tree.set_stamp(stamp_key(path), st);
            }
            let status = match activity.map(|a| tree.add(*a)).transpose()? {
                None | Some(TreeOutcome::Unchanged) => {
                    unchanged += 1;
                    "unchanged".to_owned()
                }
                Some(TreeOutcome::Added { id }) => {
                    added += 1;
                    id
                }
                Some(TreeOutcome::Supersedes { id, loser }) => {
                    added += 1;
                    dups += 1;
                    format!("{id} (replaces duplicate {loser})")
                }
                Some(TreeOutcome::NearDuplicate { of, .. }) => {
                    dups += 1;
                    format!("duplicate of {of}")
                }
            };
            progress.step(&shown, &status);
        }
        Ok(())
    })?;
    progress.finish();
    tree.finish(display_name)?;
    println!(
        "{} files: {added} extracted, {unchanged} unchanged, {dups} duplicates, {errors} errors in {:.1} s",
        files.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Key of an input file in the stamp cache.
fn stamp_key(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Largest read buffer a worker keeps between files.
const KEEP_READ_BUF: usize = 64 << 20;

/// Worker: skip files whose size and mtime match a stamp of a known hash
/// (no read), else read (into `buf`), hash once, skip known hashes, parse
/// and compute.
fn process(
    path: &Path,
    known: &HashSet<String>,
    stamps: &BTreeMap<String, FileStamp>,
    opts: &Options,
    buf: &mut Vec<u8>,
) -> Outcome {
    let name = base_name(path);
    let io_err = |e: std::io::Error| {
        Outcome::Failed(
            ExtractError::Io {
                file: name.clone(),
                reason: e.to_string(),
            }
            .reason(),
        )
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return io_err(e),
    };
    if let Some(st) = stamps.get(&stamp_key(path)) {
        if st.matches(&meta) && known.contains(&st.source_hash) {
            return Outcome::Unchanged(None);
        }
    }
    let limits = Limits::default();
    if let Err(e) = limits.check_input_len(&name, meta.len()) {
        return Outcome::Failed(e.reason());
    }
    buf.clear();
    if let Err(e) = std::fs::File::open(path).and_then(|mut f| f.read_to_end(buf)) {
        return io_err(e);
    }
    let bytes = &buf[..];
    let hash = source_hash(bytes);
    let stamp = FileStamp::of(&meta, &hash);
    if known.contains(&hash) {
        return Outcome::Unchanged(stamp);
    }
    match parse_bytes_hashed(&name, bytes, hash, &limits) {
        Ok(p) => Outcome::Extracted(Box::new(compute(&p, opts)), stamp),
        Err(e) => Outcome::Failed(e.reason()),
    }
}
