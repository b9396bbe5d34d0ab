//! `/event/import/` (admins): upload a CSV for a role; "Check" runs the
//! import's own validation and lists every problem by line without
//! writing anything; a clean file is kept for 30 minutes so "Import" needs
//! no second upload, and is then imported all-or-nothing (the existing
//! import rules).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::Response;
use bincio_core::event::desk::ImportPreview;
use bincio_core::event::import::ImportError;

use super::{EventAdmin, Staff};
use crate::web::ctx::Ctx;
use crate::web::form::PageForm;
use crate::web::multipart::{PageMultipart, Refused};
use crate::web::render::html;

/// Largest CSV the page takes (as the import route).
const MAX_CSV: usize = 32 * 1024 * 1024;
/// How long a checked file waits for its import.
const KEEP: Duration = Duration::from_secs(30 * 60);
/// Most checked files kept at once.
const KEPT: usize = 8;

/// A checked file: `(id, when, role, bytes)`.
type Staged = (String, Instant, String, Vec<u8>);

/// Checked files, oldest first.
#[derive(Debug, Default)]
pub struct StagedImports(Mutex<Vec<Staged>>);

impl StagedImports {
    fn put(&self, role: &str, csv: Vec<u8>) -> String {
        let id = bincio_core::accounts::tokens::sha256_hex(
            &bincio_core::accounts::tokens::new_session_token(),
        );
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        v.retain(|(_, at, _, _)| at.elapsed() < KEEP);
        if v.len() >= KEPT {
            v.remove(0);
        }
        v.push((id.clone(), Instant::now(), role.to_owned(), csv));
        id
    }

    fn take(&self, id: &str) -> Option<(String, Vec<u8>)> {
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        v.retain(|(_, at, _, _)| at.elapsed() < KEEP);
        let i = v.iter().position(|(k, _, _, _)| k == id)?;
        let (_, _, role, csv) = v.remove(i);
        Some((role, csv))
    }
}

#[derive(Template)]
#[template(path = "event_import.html")]
struct ImportPage<'a> {
    c: &'a Ctx,
    roles: Vec<String>,
    role: String,
    preview: Option<ImportPreview>,
    staged: Option<String>,
    problems: Vec<String>,
    done: Option<String>,
}

fn render(s: &Staff, status: StatusCode, page: ImportPage<'_>) -> Response {
    html(&s.c, status, &page)
}

fn blank<'a>(s: &'a Staff) -> ImportPage<'a> {
    ImportPage {
        c: &s.c,
        roles: s.event.roles(),
        role: String::new(),
        preview: None,
        staged: None,
        problems: Vec::new(),
        done: None,
    }
}

/// `GET /event/import/`.
pub(crate) async fn show(EventAdmin(s): EventAdmin) -> Response {
    render(&s, StatusCode::OK, blank(&s))
}

/// `POST /event/import/check` (multipart: `csrf`, `role`, `file`).
pub(crate) async fn check(EventAdmin(s): EventAdmin, mp: Multipart) -> Response {
    let form = match PageMultipart::read(&s.c, mp, 1, MAX_CSV).await {
        Ok(f) => f,
        Err(Refused::Page(r)) => return r,
        Err(Refused::TooLarge) => {
            let mut p = blank(&s);
            p.problems = vec![s.c.t.import_too_large.to_owned()];
            return render(&s, StatusCode::PAYLOAD_TOO_LARGE, p);
        }
    };
    let role = form.get("role").to_owned();
    let csv = form
        .files
        .into_iter()
        .next()
        .map(|f| f.bytes)
        .unwrap_or_default();
    let mut p = blank(&s);
    p.role = role.clone();
    match s.event.import_preview(&role, &csv).await {
        Ok(Ok(preview)) => {
            p.staged = Some(s.c.st.staged_imports().put(&role, csv));
            p.preview = Some(preview);
            render(&s, StatusCode::OK, p)
        }
        Ok(Err(ImportError::Invalid { issues, more })) => {
            p.problems = issues.iter().map(ToString::to_string).collect();
            if more > 0 {
                p.problems
                    .push(crate::web::i18n::fill(s.c.t.import_more, &[&more]));
            }
            render(&s, StatusCode::UNPROCESSABLE_ENTITY, p)
        }
        Ok(Err(e)) => {
            p.problems = vec![e.to_string()];
            render(&s, StatusCode::UNPROCESSABLE_ENTITY, p)
        }
        Err(e) => s.c.fail(e),
    }
}

/// `POST /event/import/run` (`staged`): import the checked file.
pub(crate) async fn run(EventAdmin(s): EventAdmin, form: PageForm) -> Response {
    let Some((role, csv)) = s.c.st.staged_imports().take(form.get("staged")) else {
        let mut p = blank(&s);
        p.problems = vec![s.c.t.import_expired.to_owned()];
        return render(&s, StatusCode::GONE, p);
    };
    match s.event.import_csv_as(&role, &csv, &s.actor()).await {
        Ok(c) => {
            let mut p = blank(&s);
            p.done = Some(crate::web::i18n::fill(
                s.c.t.import_done,
                &[&(c.inserted + c.updated), &role, &c.inserted, &c.updated],
            ));
            render(&s, StatusCode::OK, p)
        }
        Err(e) => {
            let mut p = blank(&s);
            p.problems = vec![e.to_string()];
            render(&s, StatusCode::UNPROCESSABLE_ENTITY, p)
        }
    }
}
