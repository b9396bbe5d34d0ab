//! `POST /api/upload`: many activity files in one multipart request.
//!
//! Parts are streamed to anonymous temp files as they arrive (never the
//! whole request in memory), each capped at 50 MiB; then the files are
//! ingested one by one while progress goes out as server-sent events and
//! into the admin job registry. With `?stream=false` the same results come
//! back as one JSON document instead.

use std::convert::Infallible;
use std::io::{Read, Seek, Write};

use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bincio_core::activities::ingest::{IngestOptions, IngestStatus, MAX_UPLOAD_BYTES};
use bincio_core::model::User;
use bincio_core::CoreError;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Most files in one upload request.
pub(crate) const MAX_FILES: usize = 1000;

/// One received part.
struct Received {
    name: String,
    /// The spooled bytes, or why the part was refused while receiving.
    file: Result<std::fs::File, String>,
}

#[derive(Deserialize)]
pub(crate) struct UploadParams {
    stream: Option<bool>,
}

fn truthy(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

async fn receive(mut form: Multipart) -> ApiResult<(Vec<Received>, IngestOptions)> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, m);
    let mut files = Vec::new();
    let mut opts = IngestOptions::default();
    while let Some(mut field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
        match field.name().unwrap_or("") {
            "files" | "file" => {
                if files.len() >= MAX_FILES {
                    return Err(bad(format!("too many files (max {MAX_FILES})")));
                }
                let name = field.file_name().unwrap_or("").to_owned();
                let mut spool =
                    tempfile::tempfile().map_err(|e| CoreError::Internal(format!("spool: {e}")))?;
                let mut size = 0usize;
                let mut refused = None;
                while let Some(chunk) = field.chunk().await.map_err(|e| bad(e.body_text()))? {
                    size += chunk.len();
                    if size > MAX_UPLOAD_BYTES {
                        refused = Some(format!("{name}: file larger than 50 MiB"));
                        continue; // drain the part, keep nothing
                    }
                    spool
                        .write_all(&chunk)
                        .map_err(|e| CoreError::Internal(format!("spool: {e}")))?;
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
            _ => {
                // Unknown parts (e.g. a Strava CSV) are drained and ignored.
                while field
                    .chunk()
                    .await
                    .map_err(|e| bad(e.body_text()))?
                    .is_some()
                {}
            }
        }
    }
    if files.is_empty() {
        return Err(bad(
            "no files in the upload (multipart field 'files')".into()
        ));
    }
    Ok((files, opts))
}

fn read_spool(mut f: std::fs::File) -> Result<Vec<u8>, String> {
    let mut v = Vec::new();
    f.rewind()
        .and_then(|_| f.read_to_end(&mut v))
        .map_err(|e| format!("reading upload: {e}"))?;
    Ok(v)
}

fn status_name(s: &IngestStatus) -> &'static str {
    match s {
        IngestStatus::Imported { .. } => "imported",
        IngestStatus::Overwritten { .. } => "overwritten",
        IngestStatus::Duplicate { .. } => "duplicate",
        IngestStatus::NearDuplicate { .. } => "near_duplicate",
    }
}

/// Ingest every file, calling `emit` with each progress event; returns the
/// final `done` event.
async fn process(
    st: AppState,
    user: User,
    files: Vec<Received>,
    opts: IngestOptions,
    emit: impl Fn(Value),
) -> Value {
    let total = files.len();
    let job = st.jobs().start(&user.handle, "upload", total as u64);
    let (mut added, mut overwritten, mut duplicates, mut errors) = (0, 0, 0, 0);
    for (i, r) in files.into_iter().enumerate() {
        job.progress(i as u64, &r.name);
        let outcome = match r.file.and_then(read_spool) {
            Err(e) => Err(e),
            Ok(bytes) => st
                .activities()
                .ingest(&user, &r.name, bytes, opts.clone())
                .await
                .map_err(|e| match e {
                    CoreError::Store(_) | CoreError::Internal(_) => {
                        tracing::error!(error = %e, file = %r.name, "upload failed");
                        format!("{}: internal error", r.name)
                    }
                    e => e.to_string(),
                }),
        };
        let mut ev = json!({"type": "progress", "n": i + 1, "total": total, "name": r.name});
        match outcome {
            Ok(s) => {
                match &s {
                    IngestStatus::Imported { .. } | IngestStatus::NearDuplicate { .. } => {
                        added += 1
                    }
                    IngestStatus::Overwritten { .. } => overwritten += 1,
                    IngestStatus::Duplicate { .. } => duplicates += 1,
                }
                ev["status"] = json!(status_name(&s));
                ev["id"] = json!(s.id());
                if let IngestStatus::NearDuplicate { duplicate_of, .. } = &s {
                    ev["duplicate_of"] = json!(duplicate_of);
                }
            }
            Err(detail) => {
                errors += 1;
                ev["status"] = json!("error");
                ev["detail"] = json!(detail);
            }
        }
        emit(ev);
    }
    job.progress(total as u64, "");
    json!({"type": "done", "added": added, "overwritten": overwritten, "duplicates": duplicates, "errors": errors})
}

pub(crate) async fn upload(
    State(st): State<AppState>,
    a: AuthUser,
    Query(p): Query<UploadParams>,
    form: Multipart,
) -> ApiResult<Response> {
    let (files, opts) = receive(form).await?;
    if p.stream == Some(false) {
        let results = std::sync::Mutex::new(Vec::new());
        let done = process(st, a.user, files, opts, |e| {
            results.lock().unwrap_or_else(|p| p.into_inner()).push(e)
        })
        .await;
        let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
        return Ok(Json(json!({"ok": true, "results": results, "done": done})).into_response());
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
    tokio::spawn(async move {
        let tx2 = tx.clone();
        let done = process(st, a.user, files, opts, move |e| {
            let _ = tx2.send(e);
        })
        .await;
        let _ = tx.send(done);
    });
    Ok(sse(rx))
}

/// `POST /api/upload/strava-zip`: multipart `file` (a Strava bulk export),
/// optional form `private` (true ⇒ unlisted). Streamed to a temp file, then
/// imported with progress as server-sent events.
pub(crate) async fn strava_zip(
    State(st): State<AppState>,
    a: AuthUser,
    mut form: Multipart,
) -> ApiResult<Response> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, m);
    let mut spool: Option<tempfile::NamedTempFile> = None;
    let mut private = false;
    while let Some(mut field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
        match field.name().unwrap_or("") {
            "file" => {
                let name = field.file_name().unwrap_or("").to_ascii_lowercase();
                if !name.ends_with(".zip") {
                    return Err(bad("Expected a .zip file (Strava bulk export)".into()));
                }
                let mut f = tempfile::NamedTempFile::new()
                    .map_err(|e| CoreError::Internal(format!("spool: {e}")))?;
                while let Some(chunk) = field.chunk().await.map_err(|e| bad(e.body_text()))? {
                    f.write_all(&chunk)
                        .map_err(|e| CoreError::Internal(format!("spool: {e}")))?;
                }
                spool = Some(f);
            }
            "private" => private = truthy(&field.text().await.map_err(|e| bad(e.body_text()))?),
            _ => {
                while field
                    .chunk()
                    .await
                    .map_err(|e| bad(e.body_text()))?
                    .is_some()
                {}
            }
        }
    }
    let spool = spool.ok_or_else(|| bad("Missing multipart field 'file'".into()))?;
    let privacy = private.then_some(bincio_core::model::Privacy::Unlisted);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
    tokio::spawn(async move {
        let job = st.jobs().start(&a.user.handle, "strava-zip", 0);
        let path = spool.path().to_path_buf();
        let tx2 = tx.clone();
        let result = st
            .activities()
            .import_strava_zip(&a.user, path, privacy, move |ev| {
                if let bincio_core::activities::strava_zip::StravaEvent::Progress {
                    n,
                    total,
                    name,
                    ..
                } = &ev
                {
                    job.set_total(*total as u64);
                    job.progress(*n as u64, name);
                }
                let _ = tx2.send(serde_json::to_value(&ev).unwrap_or_default());
            })
            .await;
        if let Err(e) = result {
            let message = match e {
                CoreError::Store(_) | CoreError::Internal(_) => "internal error".to_owned(),
                e => e.to_string(),
            };
            let _ = tx.send(json!({"type": "error", "message": message}));
        }
        drop(spool);
    });
    Ok(sse(rx))
}

/// A server-sent-event response relaying JSON values from `rx`.
fn sse(rx: tokio::sync::mpsc::UnboundedReceiver<Value>) -> Response {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|v| {
            (
                Ok::<_, Infallible>(Event::default().data(v.to_string())),
                rx,
            )
        })
    });
    let mut resp = Sse::new(stream).into_response();
    resp.headers_mut()
        .insert("cache-control", "no-cache".parse().expect("static header"));
    resp.headers_mut()
        .insert("x-accel-buffering", "no".parse().expect("static header"));
    resp
}

#[derive(Deserialize)]
pub(crate) struct RawUpload {
    filename: String,
    base64: String,
    user_title: Option<String>,
}

/// `POST /api/upload/raw` (mobile): one file as base64 in JSON; answers the
/// stored documents.
pub(crate) async fn raw(
    State(st): State<AppState>,
    a: AuthUser,
    crate::json::ApiJson(b): crate::json::ApiJson<RawUpload>,
) -> ApiResult<Json<Value>> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b.base64.trim())
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "Invalid base64"))?;
    let opts = IngestOptions {
        title: b.user_title.filter(|t| !t.trim().is_empty()),
        ..IngestOptions::default()
    };
    let status = st
        .activities()
        .ingest(&a.user, &b.filename, bytes, opts)
        .await
        .map_err(|e| match e {
            CoreError::Invalid(m) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Could not extract activity: {m}"),
            ),
            e => e.into(),
        })?;
    let id = status.id().to_owned();
    let acts = st.activities();
    let detail = acts.detail(Some(&a.user), &a.user.handle, &id).await?;
    let timeseries = acts
        .timeseries(Some(&a.user), &a.user.handle, &id)
        .await
        .ok();
    let geojson = acts.geojson(Some(&a.user), &a.user.handle, &id).await.ok();
    let source_hash = detail
        .get("source_hash")
        .and_then(Value::as_str)
        .map(|h| h.trim_start_matches("sha256:").to_owned());
    Ok(Json(json!({
        "ok": true,
        "id": id,
        "status": status_name(&status),
        "detail": detail,
        "timeseries": timeseries,
        "geojson": geojson,
        "source_hash": source_hash,
    })))
}

/// `POST /api/upload/bas`: a BAS activity (`{activity, timeseries?,
/// geojson?}`) extracted elsewhere (e.g. the mobile app), validated and
/// stored for the caller → `{ok, id, status: "imported"|"duplicate"}`.
pub(crate) async fn bas(
    State(st): State<AppState>,
    a: AuthUser,
    crate::json::ApiJson(b): crate::json::ApiJson<bincio_core::activities::bas_upload::BasUpload>,
) -> ApiResult<Json<Value>> {
    let r = st.activities().import_bas(&a.user, b).await?;
    Ok(Json(json!({"ok": true, "id": r.id, "status": r.status})))
}
