//! `POST /api/upload` (many activity files in one multipart request) and
//! `POST /api/upload/strava-zip` (a Strava bulk export or a Garmin account
//! export).
//!
//! Parts are streamed to anonymous temp files as they arrive (never the
//! whole request in memory), each capped at 50 MiB; the core then ingests
//! them one by one ([`Activities::ingest_batch`]) while progress goes out
//! as server-sent events and into the admin job registry. With
//! `?stream=false` the same events come back as one JSON document.
//!
//! [`Activities::ingest_batch`]: bincio_core::activities::Activities::ingest_batch

use std::convert::Infallible;
use std::io::{Read, Seek, Write};

use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bincio_core::activities::batch::{BatchEvent, BatchFile};
use bincio_core::activities::ingest::{IngestOptions, IngestStatus, MAX_UPLOAD_BYTES};
use bincio_core::activities::strava_zip::StravaEvent;
use bincio_core::model::User;
use bincio_core::CoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

/// Most files in one upload request.
pub(crate) const MAX_FILES: usize = 1000;

/// A multi-file upload: bounded by the file count and per-file cap.
const UPLOAD_BODY_LIMIT: usize = 2 * 1024 * 1024 * 1024;

/// The body limit of a multi-file upload (the web page's too).
pub(crate) const BODY_LIMIT: usize = UPLOAD_BODY_LIMIT;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)))
        .routes(routes!(strava_zip).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)))
}

/// One received part.
pub(crate) struct Received {
    pub(crate) name: String,
    /// The spooled bytes, or why the part was refused while receiving.
    pub(crate) file: Result<std::fs::File, String>,
}

/// A received upload form: the spooled files, the options, and the page
/// form's `csrf` field when there is one (the web upload checks it; the
/// API ignores it).
pub(crate) struct ReceivedForm {
    pub(crate) files: Vec<Received>,
    pub(crate) opts: IngestOptions,
    pub(crate) csrf: Option<String>,
}

/// How the results come back.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UploadParams {
    /// `false`: one JSON document at the end instead of server-sent events.
    stream: Option<bool>,
}

/// The multipart form of `POST /api/upload`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct UploadForm {
    /// Activity files (`.gpx`, `.tcx`, `.fit`, optionally `.gz`), at most
    /// 1000, each at most 50 MiB; `file` is accepted too.
    #[schema(value_type = Vec<String>, format = Binary)]
    files: Vec<Vec<u8>>,
    /// Keep the original files (`true`, `1`, `yes`, `on`).
    store_original: Option<bool>,
    /// Re-extract over activities stored from the same file or with the
    /// same id.
    overwrite: Option<bool>,
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FileStatus {
    /// Stored as a new activity.
    Imported,
    /// Replaced an existing activity.
    Overwritten,
    /// The same file is stored already.
    Duplicate,
    /// Stored unlisted: a recording at least as good exists.
    NearDuplicate,
    /// Refused (see `detail`).
    Error,
}

/// An event of the upload stream (one `data:` frame each).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum UploadEvent {
    /// One file done.
    Progress {
        /// Files done, this one included.
        n: usize,
        /// Files in the upload.
        total: usize,
        /// The file's name.
        name: String,
        status: FileStatus,
        /// The activity (absent on error).
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The activity this one duplicates (`near_duplicate` only).
        #[serde(skip_serializing_if = "Option::is_none")]
        duplicate_of: Option<String>,
        /// Why it failed (`error` only).
        #[serde(skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// The upload is finished.
    Done {
        /// New activities (near-duplicates included).
        added: usize,
        overwritten: usize,
        duplicates: usize,
        /// Files that failed.
        errors: usize,
    },
}

impl From<&IngestStatus> for FileStatus {
    fn from(s: &IngestStatus) -> Self {
        match s {
            IngestStatus::Imported { .. } => Self::Imported,
            IngestStatus::Overwritten { .. } => Self::Overwritten,
            IngestStatus::Duplicate { .. } => Self::Duplicate,
            IngestStatus::NearDuplicate { .. } => Self::NearDuplicate,
        }
    }
}

impl UploadEvent {
    fn progress(
        n: usize,
        total: usize,
        name: &str,
        outcome: &Result<IngestStatus, String>,
    ) -> Self {
        let (status, id, duplicate_of, detail) = match outcome {
            Ok(s) => {
                let status = FileStatus::from(s);
                let dup = match s {
                    IngestStatus::NearDuplicate { duplicate_of, .. } => Some(duplicate_of.clone()),
                    _ => None,
                };
                (status, Some(s.id().to_owned()), dup, None)
            }
            Err(e) => (FileStatus::Error, None, None, Some(e.clone())),
        };
        Self::Progress {
            n,
            total,
            name: name.to_owned(),
            status,
            id,
            duplicate_of,
            detail,
        }
    }
}

/// `?stream=false`: every event at once.
#[derive(Serialize, ToSchema)]
pub(crate) struct UploadResults {
    ok: bool,
    /// The `progress` events, one per file.
    results: Vec<UploadEvent>,
    /// The `done` event.
    done: UploadEvent,
}

fn truthy(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

fn bad(m: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, m)
}

fn spool_error(e: std::io::Error) -> ApiError {
    CoreError::Internal(format!("spool: {e}")).into()
}

pub(crate) async fn receive(mut form: Multipart) -> ApiResult<ReceivedForm> {
    let mut files = Vec::new();
    let mut opts = IngestOptions::default();
    let mut csrf = None;
    while let Some(mut field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
        match field.name().unwrap_or("") {
            "files" | "file" => {
                if files.len() >= MAX_FILES {
                    return Err(bad(format!("too many files (max {MAX_FILES})")));
                }
                let name = field.file_name().unwrap_or("").to_owned();
                let mut spool = tempfile::tempfile().map_err(spool_error)?;
                let mut size = 0usize;
                let mut refused = None;
                while let Some(chunk) = field.chunk().await.map_err(|e| bad(e.body_text()))? {
                    size += chunk.len();
                    if size > MAX_UPLOAD_BYTES {
                        refused = Some(format!("{name}: file larger than 50 MiB"));
                        continue; // drain the part, keep nothing
                    }
                    spool.write_all(&chunk).map_err(spool_error)?;
                }
                files.push(Received {
                    name,
                    file: match refused {
                        Some(r) => Err(r),
                        None => Ok(spool),
                    },
                });
            }
            "store_original" => {
                opts.store_original = truthy(&field.text().await.map_err(|e| bad(e.body_text()))?)
            }
            "overwrite" => {
                opts.overwrite = truthy(&field.text().await.map_err(|e| bad(e.body_text()))?)
            }
            "csrf" if csrf.is_none() => {
                let v = field.text().await.map_err(|e| bad(e.body_text()))?;
                csrf = Some(v.chars().take(128).collect());
            }
            _ => drain(&mut field).await?,
        }
    }
    if files.is_empty() {
        return Err(bad(
            "no files in the upload (multipart field 'files')".into()
        ));
    }
    Ok(ReceivedForm { files, opts, csrf })
}

/// Drain and ignore a part (e.g. a Strava CSV).
async fn drain(field: &mut axum::extract::multipart::Field<'_>) -> ApiResult<()> {
    while field
        .chunk()
        .await
        .map_err(|e| bad(e.body_text()))?
        .is_some()
    {}
    Ok(())
}

pub(crate) fn read_spool(mut f: std::fs::File) -> Result<Vec<u8>, String> {
    let mut v = Vec::new();
    f.rewind()
        .and_then(|_| f.read_to_end(&mut v))
        .map_err(|e| format!("reading upload: {e}"))?;
    Ok(v)
}

/// Ingest every file through the core (as many at once as there are
/// cores), calling `emit` with each file's position in the upload and its
/// progress event, in the order files finish; returns the final `done`
/// event.
pub(crate) async fn process(
    st: AppState,
    user: User,
    files: Vec<Received>,
    opts: IngestOptions,
    mut emit: impl FnMut(usize, UploadEvent) + Send,
) -> UploadEvent {
    let total = files.len();
    let job = st.jobs().start(&user.handle, "upload", total as u64);
    let batch = files
        .into_iter()
        .map(|r| match r.file {
            Err(reason) => BatchFile::refused(r.name, reason),
            Ok(f) => BatchFile::new(r.name, async move { read_spool(f) }),
        })
        .collect();
    let acts = st.activities();
    let report = acts
        .ingest_batch(&user, batch, opts, acts.parallelism(), |ev| match ev {
            BatchEvent::Started { index, name } => job.progress(index as u64, name),
            BatchEvent::Finished {
                index,
                n,
                name,
                outcome,
            } => emit(index, UploadEvent::progress(n, total, name, outcome)),
        })
        .await;
    job.progress(total as u64, "");
    UploadEvent::Done {
        added: report.added(),
        overwritten: report.overwritten,
        duplicates: report.duplicates,
        errors: report.errors.len(),
    }
}

/// Upload activity files: progress as server-sent events (one JSON event
/// per `data:` frame: `progress` per file, then `done`), or with
/// `?stream=false` one JSON document.
#[utoipa::path(post, path = "/api/upload", tag = "uploads",
    params(UploadParams),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Server-sent events, or (`stream=false`) every event at once",
            content(
                (UploadEvent = "text/event-stream"),
                (UploadResults = "application/json"),
            )),
        (status = 400, description = "No files, too many files, or a broken form", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn upload(
    State(st): State<AppState>,
    a: AuthUser,
    Query(p): Query<UploadParams>,
    form: Multipart,
) -> ApiResult<Response> {
    let ReceivedForm { files, opts, .. } = receive(form).await?;
    if p.stream == Some(false) {
        // One document at the end: the files in upload order.
        let mut results = Vec::new();
        let done = process(st, a.user, files, opts, |i, e| results.push((i, e))).await;
        results.sort_by_key(|(i, _)| *i);
        return Ok(Json(UploadResults {
            ok: true,
            results: results.into_iter().map(|(_, e)| e).collect(),
            done,
        })
        .into_response());
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let tx2 = tx.clone();
        let done = process(st, a.user, files, opts, move |_, e| {
            let _ = tx2.send(e);
        })
        .await;
        let _ = tx.send(done);
    });
    Ok(sse(rx))
}

/// The multipart form of `POST /api/upload/strava-zip`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct StravaZipForm {
    /// The export: a Strava bulk export (`activities.csv` and
    /// `activities/`) or a Garmin account export (`DI_CONNECT/`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// `true`: the activities are unlisted.
    private: Option<bool>,
}

/// The import failed as a whole (the last event of the stream).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ImportFailed {
    /// Why.
    Error { message: String },
}

/// An event of the Strava import stream.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum StravaZipEvent {
    /// Progress of the import.
    Import(StravaEvent),
    /// The archive could not be imported.
    Failed(ImportFailed),
}

/// Import a Strava bulk export or a Garmin Connect account export (told
/// apart by their layout; Garmin's nested ZIPs of original files are
/// read, titles come from its activity summaries): progress as server-sent events
/// (`validating`, `extracting_csv`, `progress` per file, `done`, or
/// `error`).
#[utoipa::path(post, path = "/api/upload/strava-zip", tag = "uploads",
    request_body(content = StravaZipForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Server-sent events", body = StravaZipEvent, content_type = "text/event-stream"),
        (status = 400, description = "Not a `.zip`, or no `file` field", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(handle = %a.user.handle))]
pub(crate) async fn strava_zip(
    State(st): State<AppState>,
    a: AuthUser,
    mut form: Multipart,
) -> ApiResult<Response> {
    let mut spool: Option<tempfile::NamedTempFile> = None;
    let mut private = false;
    while let Some(mut field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
        match field.name().unwrap_or("") {
            "file" => {
                let name = field.file_name().unwrap_or("").to_ascii_lowercase();
                if !name.ends_with(".zip") {
                    return Err(bad(
                        "Expected a .zip file (Strava bulk export or Garmin account export)".into(),
                    ));
                }
                let mut f = tempfile::NamedTempFile::new().map_err(spool_error)?;
                while let Some(chunk) = field.chunk().await.map_err(|e| bad(e.body_text()))? {
                    f.write_all(&chunk).map_err(spool_error)?;
                }
                spool = Some(f);
            }
            "private" => private = truthy(&field.text().await.map_err(|e| bad(e.body_text()))?),
            _ => drain(&mut field).await?,
        }
    }
    let spool = spool.ok_or_else(|| bad("Missing multipart field 'file'".into()))?;
    let privacy = private.then_some(bincio_core::model::Privacy::Unlisted);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let path = spool.path().to_path_buf();
        let tx2 = tx.clone();
        let result = import_zip(&st, &a.user, path, privacy, move |ev| {
            let _ = tx2.send(StravaZipEvent::Import(ev));
        })
        .await;
        if let Err(e) = result {
            let message = match e {
                CoreError::Store(_) | CoreError::Internal(_) => "internal error".to_owned(),
                e => e.to_string(),
            };
            let _ = tx.send(StravaZipEvent::Failed(ImportFailed::Error { message }));
        }
        drop(spool);
    });
    Ok(sse(rx))
}

/// Import a Strava or Garmin export at `path` for `user` through the core, with its
/// progress in the admin job registry and each event passed to `emit` (the
/// API's stream and the upload page share it).
pub(crate) async fn import_zip(
    st: &AppState,
    user: &User,
    path: std::path::PathBuf,
    privacy: Option<bincio_core::model::Privacy>,
    mut emit: impl FnMut(StravaEvent) + Send,
) -> Result<StravaEvent, CoreError> {
    // A Strava bulk export or a Garmin account export, told apart by
    // their layout (the job is named after it).
    let kind = st.activities().archive_kind(path.clone()).await?;
    let job = st.jobs().start(&user.handle, kind.job_kind(), 0);
    st.activities()
        .import_archive(kind, user, path, privacy, move |ev| {
            if let StravaEvent::Progress { n, total, name, .. } = &ev {
                job.set_total(*total as u64);
                job.progress(*n as u64, name);
            }
            emit(ev);
        })
        .await
}

/// A server-sent-event response relaying JSON events from `rx`.
pub(crate) fn sse<T: Serialize + Send + 'static>(
    rx: tokio::sync::mpsc::UnboundedReceiver<T>,
) -> Response {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|v| {
            let data = serde_json::to_string(&v).unwrap_or_default();
            (Ok::<_, Infallible>(Event::default().data(data)), rx)
        })
    });
    let mut resp = Sse::new(stream).into_response();
    resp.headers_mut()
        .insert("cache-control", "no-cache".parse().expect("static header"));
    resp.headers_mut()
        .insert("x-accel-buffering", "no".parse().expect("static header"));
    resp
}
