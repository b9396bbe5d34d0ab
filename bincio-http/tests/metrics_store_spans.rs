//! `bincio_store_call_duration_seconds` times the spans the store backends
//! open (see `bincio_http::metrics::store_calls_layer`): every method of
//! every `impl …Store for SqliteStore | MongoStore` block must wear the
//! span attribute, or its calls would go uncounted. A new method without it
//! fails here, naming the file and line.

use std::path::{Path, PathBuf};

const ATTR: &str = r#"#[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]"#;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_store_method_opens_a_timed_span() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut missing = Vec::new();
    let mut seen = 0;
    for krate in ["bincio-store-sqlite", "bincio-store-mongo"] {
        let mut files = Vec::new();
        rust_files(&root.join(krate).join("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            let mut depth: Option<i64> = None;
            for (i, line) in lines.iter().enumerate() {
                let opens = line.starts_with("impl ")
                    && line.contains("Store for ")
                    && (line.contains("for SqliteStore {") || line.contains("for MongoStore {"));
                if depth.is_none() && opens {
                    depth = Some(0);
                }
                let Some(d) = depth.as_mut() else { continue };
                if line.starts_with("    async fn ") {
                    seen += 1;
                    let attr = lines[..i]
                        .iter()
                        .rev()
                        .find(|l| !l.trim_start().starts_with("///"))
                        .map(|l| l.trim());
                    if attr != Some(ATTR) {
                        missing.push(format!("{}:{}", f.display(), i + 1));
                    }
                }
                *d += line.matches('{').count() as i64 - line.matches('}').count() as i64;
                if *d == 0 && line.contains('}') {
                    depth = None;
                }
            }
        }
    }
    assert!(
        seen > 100,
        "found only {seen} store methods: is the scan right?"
    );
    assert!(
        missing.is_empty(),
        "store methods without `{ATTR}`:\n{}",
        missing.join("\n")
    );
}
