//! `/event/import/` (admins): upload a CSV for a role; "Check" runs the
//! import's own validation and lists every problem by line without
//! writing anything; a clean file is kept for 30 minutes
//! (`bincio_core::staged`, in the store: "Import" needs no second upload,
//! whichever process it reaches), and is then imported all-or-nothing (the
//! existing import rules).

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
            match s.c.st.staged_imports().put(&role, &csv).await {
                Ok(id) => p.staged = Some(id),
                Err(e) => return s.c.fail(e),
            }
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
    let staged = match s.c.st.staged_imports().take(form.get("staged")).await {
        Ok(staged) => staged,
        Err(e) => return s.c.fail(e),
    };
    let Some((role, csv)) = staged else {
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
