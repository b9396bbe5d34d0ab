//! `/upload/`: many activity files (GPX, TCX, FIT, each optionally `.gz`)
//! and Strava export ZIPs at once. The page is a plain multipart form that
//! works without JavaScript (the results page lists every file's outcome);
//! `upload.js` adds drag-and-drop and sends each file on its own with
//! `Accept: text/event-stream`, so every file gets its own progress bar and
//! its outcome as soon as the core has it.
//!
//! Files are received by the same code as `POST /api/upload` (spooled to
//! temporary files, each capped) and ingested by the same core batch, so
//! an upload here and through the API behave alike; the form's CSRF token
//! is checked before anything is ingested.

use std::io::{Seek, SeekFrom};

use askama::Template;
use axum::extract::Multipart;
use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bincio_core::activities::strava_zip::StravaEvent;
use bincio_core::model::User;
use serde::Serialize;

use super::cards::activity_href;
use crate::routes::upload::{self as api, FileStatus, ReceivedForm, UploadEvent};
use crate::web::csrf;
use crate::web::ctx::{Ctx, Member};
use crate::web::i18n::{fill, Strings};
use crate::web::render::{html, PageError};

/// One file's outcome as the page shows it (also the JSON of a stream
/// event, so the script shows exactly what the results page would).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Outcome {
    /// `file`, `zip` (progress inside an archive) or `done`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    /// `new`, `duplicate`, `error`, `progress`, `done`.
    pub status: &'static str,
    /// The sentence to show.
    pub message: String,
    /// The activity to open.
    pub href: Option<String>,
    /// The other activity (duplicates).
    pub other_href: Option<String>,
    /// Archive progress: done / total.
    pub n: usize,
    pub total: usize,
    /// An archive's closing figures: new, already there, failed.
    pub counts: Option<[usize; 3]>,
}

impl Outcome {
    fn new(kind: &'static str, name: &str, status: &'static str, message: String) -> Self {
        Self {
            kind,
            name: name.to_owned(),
            status,
            message,
            href: None,
            other_href: None,
            n: 0,
            total: 0,
            counts: None,
        }
    }
}

/// A file event of the upload batch in the reader's words.
fn file_outcome(t: &Strings, handle: &str, ev: &UploadEvent) -> Option<Outcome> {
    let UploadEvent::Progress {
        name,
        status,
        id,
        duplicate_of,
        detail,
        ..
    } = ev
    else {
        return None;
    };
    let link = |id: &Option<String>| id.as_deref().map(|i| activity_href(handle, i));
    Some(match status {
        FileStatus::Imported => Outcome {
            href: link(id),
            ..Outcome::new("file", name, "new", t.upload_new.to_owned())
        },
        FileStatus::Overwritten => Outcome {
            href: link(id),
            ..Outcome::new("file", name, "new", t.upload_overwritten.to_owned())
        },
        FileStatus::Duplicate => Outcome {
            other_href: link(id),
            ..Outcome::new("file", name, "duplicate", t.upload_duplicate.to_owned())
        },
        FileStatus::NearDuplicate => Outcome {
            href: link(id),
            other_href: link(duplicate_of),
            ..Outcome::new(
                "file",
                name,
                "duplicate",
                t.upload_near_duplicate.to_owned(),
            )
        },
        FileStatus::Error => Outcome::new(
            "file",
            name,
            "error",
            detail.clone().unwrap_or_else(|| t.upload_failed.to_owned()),
        ),
    })
}

/// A Strava archive event in the reader's words (`None`: nothing to show).
fn zip_outcome(t: &Strings, handle: &str, zip: &str, ev: &StravaEvent) -> Option<Outcome> {
    match ev {
        StravaEvent::Progress {
            n,
            total,
            name,
            status,
            id,
            detail,
        } => {
            let mut o = if status == "error" {
                Outcome::new(
                    "file",
                    &format!("{zip} › {name}"),
                    "error",
                    detail.clone().unwrap_or_else(|| t.upload_failed.to_owned()),
                )
            } else {
                Outcome::new(
                    "zip",
                    zip,
                    "progress",
                    fill(t.upload_zip_progress, &[n, total]),
                )
            };
            o.n = *n;
            o.total = *total;
            o.href = id.as_deref().map(|i| activity_href(handle, i));
            Some(o)
        }
        StravaEvent::Done {
            imported,
            skipped,
            error_count,
            ..
        } => Some(Outcome::new(
            "zip",
            zip,
            if *error_count > 0 && *imported == 0 {
                "error"
            } else {
                "new"
            },
            fill(t.upload_zip_done, &[imported, skipped, error_count]),
        )),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage<'a> {
    c: &'a Ctx,
    keep_original: bool,
    results: Vec<Outcome>,
    summary: Option<String>,
    error: Option<String>,
}

/// `GET /upload/`.
pub(crate) async fn form(Member(c, _): Member) -> Response {
    let keep_original = c.settings.store_originals;
    html(
        &c,
        StatusCode::OK,
        &UploadPage {
            c: &c,
            keep_original,
            results: Vec::new(),
            summary: None,
            error: None,
        },
    )
}

fn wants_stream(h: &HeaderMap) -> bool {
    h.get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}

/// Counts for the closing summary.
#[derive(Default)]
struct Tally {
    added: usize,
    duplicates: usize,
    errors: usize,
}

impl Tally {
    /// Count one file outcome (archive summaries are counted from their
    /// `done` figures instead).
    fn count(&mut self, o: &Outcome) {
        match (o.kind, o.status) {
            ("file", "new") => self.added += 1,
            ("file", "duplicate") => self.duplicates += 1,
            ("file", "error") => self.errors += 1,
            _ => {}
        }
    }
}

/// Ingest everything received, calling `emit` with each outcome; the last
/// one is the `done` summary.
async fn run(c: Ctx, user: User, form: ReceivedForm, mut emit: impl FnMut(Outcome) + Send) {
    let t = c.t;
    let handle = user.handle.clone();
    let (zips, files): (Vec<_>, Vec<_>) = form
        .files
        .into_iter()
        .partition(|r| r.name.to_ascii_lowercase().ends_with(".zip"));
    let mut tally = Tally::default();
    if !files.is_empty() {
        let mut outs = Vec::new();
        api::process(c.st.clone(), user.clone(), files, form.opts, |i, ev| {
            if let Some(o) = file_outcome(t, &handle, &ev) {
                outs.push((i, o));
            }
        })
        .await;
        // Shown in upload order, whichever finished first.
        outs.sort_by_key(|(i, _)| *i);
        for (_, o) in outs {
            tally.count(&o);
            emit(o);
        }
    }
    for z in zips {
        let name = z.name.clone();
        let spooled = z.file.and_then(|mut f| {
            let mut named = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
            f.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
            std::io::copy(&mut f, named.as_file_mut()).map_err(|e| e.to_string())?;
            Ok(named)
        });
        let named = match spooled {
            Ok(n) => n,
            Err(reason) => {
                let o = Outcome::new("file", &name, "error", reason);
                tally.count(&o);
                emit(o);
                continue;
            }
        };
        let mut outs = Vec::new();
        let result = api::import_zip(&c.st, &user, named.path().to_path_buf(), None, |ev| {
            if let Some(o) = zip_outcome(t, &handle, &name, &ev) {
                outs.push(o);
            }
        })
        .await;
        if let Ok(StravaEvent::Done {
            imported, skipped, ..
        }) = &result
        {
            tally.added += imported;
            tally.duplicates += skipped;
        }
        for o in outs {
            tally.count(&o);
            emit(o);
        }
        if let Err(e) = result {
            let msg = match e {
                bincio_core::CoreError::Store(_) | bincio_core::CoreError::Internal(_) => {
                    t.upload_failed.to_owned()
                }
                e => e.to_string(),
            };
            let o = Outcome::new("file", &name, "error", msg);
            tally.count(&o);
            emit(o);
        }
        drop(named);
    }
    emit(Outcome::new(
        "done",
        "",
        "done",
        fill(
            t.upload_summary,
            &[&tally.added, &tally.duplicates, &tally.errors],
        ),
    ));
}

/// `POST /upload/` (multipart: `csrf`, `files`…, `store_original`,
/// `overwrite`).
pub(crate) async fn submit(Member(c, user): Member, headers: HeaderMap, mp: Multipart) -> Response {
    let form = match api::receive(mp).await {
        Ok(f) => f,
        Err(e) => {
            let msg = match e {
                crate::error::ApiError::Status(_, m) => m,
                crate::error::ApiError::Core(e) => super::core_message(&c, &e),
                _ => c.t.upload_failed.to_owned(),
            };
            return page_error(&c, &msg, wants_stream(&headers));
        }
    };
    if !form.csrf.as_deref().is_some_and(|v| csrf::same(v, &c.csrf)) {
        tracing::info!("upload refused: missing or wrong csrf token");
        return PageError::Csrf.render(Some(&c));
    }
    if wants_stream(&headers) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let c2 = c.clone();
        tokio::spawn(async move {
            run(c2, user, form, move |o| {
                let _ = tx.send(o);
            })
            .await;
        });
        return api::sse(rx);
    }
    let mut results = Vec::new();
    run(c.clone(), user, form, |o| results.push(o)).await;
    let summary = results.pop().map(|d| d.message);
    results.retain(|o| !(o.kind == "zip" && o.status == "progress"));
    html(
        &c,
        StatusCode::OK,
        &UploadPage {
            keep_original: c.settings.store_originals,
            c: &c,
            results,
            summary,
            error: None,
        },
    )
}

fn page_error(c: &Ctx, msg: &str, stream: bool) -> Response {
    let status = StatusCode::BAD_REQUEST;
    if stream {
        return (status, msg.to_owned()).into_response();
    }
    html(
        c,
        status,
        &UploadPage {
            c,
            keep_original: c.settings.store_originals,
            results: Vec::new(),
            summary: None,
            error: Some(msg.to_owned()),
        },
    )
}
