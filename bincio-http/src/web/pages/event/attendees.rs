//! `/event/attendees/` (search, role filter, pages, CSV export),
//! `/event/announcements/` (list per role, post) and `/event/audit/`
//! (admins: who did what when, filters, CSV export).

use askama::Template;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bincio_core::event::audit::{AuditEntry, AuditFilter, AuditKind};
use bincio_core::event::model::Announcement;
use bincio_core::event::NewAnnouncement;
use bincio_core::CoreError;

use super::desk::Row;
use super::{hm, EventAdmin, Staff};
use crate::web::ctx::Ctx;
use crate::web::form::PageForm;
use crate::web::render::{html, PageError};

/// Attendees a page lists.
const PAGE: usize = 50;

#[derive(Template)]
#[template(path = "event_attendees.html")]
struct AttendeesPage<'a> {
    c: &'a Ctx,
    q: String,
    role: String,
    roles: Vec<String>,
    rows: Vec<Row>,
    export_href: String,
    total: usize,
    page: usize,
    prev: Option<String>,
    next: Option<String>,
}

fn link(q: &str, role: &str, page: usize) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("q", q)
        .append_pair("role", role)
        .append_pair("page", &page.to_string());
    format!("/event/attendees/?{}", s.finish())
}

/// `GET /event/attendees/?q=&role=&page=`.
pub(crate) async fn show(s: Staff) -> Response {
    let q = s.c.query("q").unwrap_or_default();
    let role = s.c.query("role").unwrap_or_default();
    let page: usize = s.c.query("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let found = match s.event.search(&q, Some(&role), page, PAGE).await {
        Ok(f) => f,
        Err(CoreError::Invalid(_)) => return s.c.fail(PageError::BadRequest),
        Err(e) => return s.c.fail(e),
    };
    let pages = found.total.div_ceil(PAGE);
    html(
        &s.c,
        StatusCode::OK,
        &AttendeesPage {
            c: &s.c,
            rows: found.attendees.iter().map(|a| Row::of(a, "")).collect(),
            export_href: format!(
                "/event/attendees.csv?{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("role", &role)
                    .finish()
            ),
            total: found.total,
            prev: (page > 0).then(|| link(&q, &role, page - 1)),
            next: (page + 1 < pages).then(|| link(&q, &role, page + 1)),
            roles: s.event.roles(),
            page,
            q,
            role,
        },
    )
}

/// `GET /event/attendees.csv?role=`: attendees with each scenario's state.
pub(crate) async fn export(s: Staff) -> Response {
    let role = s.c.query("role").unwrap_or_default();
    match s.event.export_csv(Some(&role)).await {
        Ok(csv) => (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    CONTENT_DISPOSITION,
                    "attachment; filename=\"attendees.csv\"",
                ),
            ],
            csv,
        )
            .into_response(),
        Err(CoreError::Invalid(_)) => s.c.fail(PageError::BadRequest),
        Err(e) => s.c.fail(e),
    }
}

#[derive(Template)]
#[template(path = "event_announcements.html")]
struct AnnouncementsPage<'a> {
    c: &'a Ctx,
    roles: Vec<String>,
    lists: Vec<(String, Vec<(String, Announcement)>)>,
    error: Option<String>,
}

async fn announcements_page(s: &Staff, error: Option<String>, status: StatusCode) -> Response {
    let mut lists = Vec::new();
    for r in s.event.roles() {
        match s.event.announcements_for_role(&r).await {
            Ok(list) => lists.push((r, list.into_iter().map(|a| (hm(a.datetime), a)).collect())),
            Err(e) => return s.c.fail(e),
        }
    }
    html(
        &s.c,
        status,
        &AnnouncementsPage {
            c: &s.c,
            roles: s.event.roles(),
            lists,
            error,
        },
    )
}

/// `GET /event/announcements/`.
pub(crate) async fn announcements(s: Staff) -> Response {
    announcements_page(&s, None, StatusCode::OK).await
}

/// `POST /event/announcements/` (`msg_en`, `msg_zh`, `uri`, `role`…).
pub(crate) async fn announce(s: Staff, form: PageForm) -> Response {
    let opt = |k: &str| Some(form.get(k).trim().to_owned()).filter(|v| !v.is_empty());
    let roles: Vec<String> = s
        .event
        .roles()
        .into_iter()
        .filter(|r| form.checked(&format!("role_{r}")))
        .collect();
    let n = NewAnnouncement {
        msg_en: opt("msg_en"),
        msg_zh: opt("msg_zh"),
        uri: opt("uri"),
        role: roles,
    };
    match s.event.announce_as(n, &s.actor()).await {
        Ok(_) => s.c.done(
            "/event/announcements/",
            crate::web::flash::Notice::SettingsSaved,
        ),
        Err(e @ CoreError::Invalid(_)) => {
            announcements_page(&s, Some(e.to_string()), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => s.c.fail(e),
    }
}

#[derive(Template)]
#[template(path = "event_audit.html")]
struct AuditPage<'a> {
    c: &'a Ctx,
    entries: Vec<(String, AuditEntry)>,
    actor: String,
    kind: String,
    attendee: String,
    older: Option<String>,
    csv: String,
}

/// `GET /event/audit/?actor=&kind=&attendee=&before=` (admins).
pub(crate) async fn audit(EventAdmin(s): EventAdmin) -> Response {
    let actor = s.c.query("actor").unwrap_or_default();
    let kind = s.c.query("kind").unwrap_or_default();
    let attendee = s.c.query("attendee").unwrap_or_default();
    let some = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
    let filter = AuditFilter {
        actor: some(&actor),
        kind: AuditKind::parse(&kind),
        attendee_id: some(&attendee),
        before: s.c.query("before"),
        limit: 100,
        ..AuditFilter::default()
    };
    let entries = match s.event.audit(filter).await {
        Ok(e) => e,
        Err(e) => return s.c.fail(e),
    };
    let q = |before: Option<&str>| {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        ser.append_pair("actor", &actor)
            .append_pair("kind", &kind)
            .append_pair("attendee", &attendee);
        if let Some(b) = before {
            ser.append_pair("before", b);
        }
        ser.finish()
    };
    let older = (entries.len() == 100)
        .then(|| format!("/event/audit/?{}", q(entries.last().map(|e| e.id.as_str()))));
    let csv = format!("/api/event/audit?format=csv&limit=1000&{}", q(None));
    html(
        &s.c,
        StatusCode::OK,
        &AuditPage {
            c: &s.c,
            entries: entries.into_iter().map(|e| (hm(e.at), e)).collect(),
            older,
            csv,
            actor,
            kind,
            attendee,
        },
    )
}
