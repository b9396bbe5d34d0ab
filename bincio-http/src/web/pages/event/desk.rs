//! `/event/desk/`: find an attendee (name, token prefix, any CSV column —
//! or the ticket QR scanned with the device's camera), see their scenarios
//! with state and time window, use one as staff, undo a mistaken use with
//! a reason. Every action is a form posted here and logged with the staff
//! member's name; the form carries a nonce made when the page was drawn,
//! so a form sent twice (a double tap, a retry) checks in once.
//!
//! `event.js` adds the camera (`BarcodeDetector` where the browser has
//! it) and an offline queue: scans made while the venue network is down
//! are kept in the page with their nonces, shown as pending, and sent to
//! `POST /api/event/scans` when it is back — each applied once.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use bincio_core::event::model::Attendee;
use bincio_core::CoreError;

use super::{hm, Staff};
use crate::web::ctx::Ctx;
use crate::web::form::PageForm;
use crate::web::render::html;

/// One attendee in a result list.
pub(crate) struct Row {
    pub id: String,
    /// The desk with this attendee open.
    pub href: String,
    pub name: String,
    pub role: String,
    pub token_prefix: String,
    pub used: usize,
    pub scenarios: usize,
}

impl Row {
    pub(crate) fn of(a: &Attendee, q: &str) -> Self {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q)
            .append_pair("a", &a.id)
            .finish();
        Self {
            href: format!("/event/desk/?{query}"),
            id: a.id.clone(),
            name: a.user_id.clone(),
            role: a.role.clone(),
            token_prefix: a.token.chars().take(6).collect(),
            used: a.scenarios.iter().filter(|s| s.used.is_some()).count(),
            scenarios: a.scenarios.len(),
        }
    }
}

/// One scenario of the chosen attendee.
struct ScenarioRow {
    id: String,
    label: String,
    state: &'static str,
    detail: String,
    window: String,
    can_use: bool,
    can_undo: bool,
}

struct Chosen {
    id: String,
    /// For the desk's offline queue (staff see tokens: the ticket QR is one).
    token: String,
    name: String,
    role: String,
    token_prefix: String,
    first_use: String,
    scenarios: Vec<ScenarioRow>,
}

#[derive(Template)]
#[template(path = "event_desk.html")]
struct DeskPage<'a> {
    c: &'a Ctx,
    q: String,
    results: Vec<Row>,
    total: usize,
    chosen: Option<Chosen>,
    nonce: String,
    message: Option<(bool, String)>,
}

fn chosen(c: &Ctx, a: &Attendee, now: i64) -> Chosen {
    let lang = c.lang.code();
    let scenarios = a
        .scenarios
        .iter()
        .map(|s| {
            let label = s
                .display_text
                .iter()
                .find(|(l, _)| l.starts_with(lang))
                .or_else(|| s.display_text.first())
                .map_or_else(|| s.id.clone(), |(_, t)| t.clone());
            let open = s.available_time <= now && now < s.expire_time;
            let (state, detail) = match (&s.used, &s.disabled) {
                (Some(t), _) => ("used", hm(*t)),
                (None, Some(d)) => ("disabled", d.clone()),
                (None, None) if open => ("open", String::new()),
                (None, None) => ("closed", String::new()),
            };
            ScenarioRow {
                id: s.id.clone(),
                label,
                state,
                detail,
                window: window(s.available_time, s.expire_time),
                can_use: state == "open",
                can_undo: state == "used",
            }
        })
        .collect();
    Chosen {
        id: a.id.clone(),
        token: a.token.clone(),
        name: a.user_id.clone(),
        role: a.role.clone(),
        token_prefix: a.token.chars().take(6).collect(),
        first_use: a.first_use.map(hm).unwrap_or_default(),
        scenarios,
    }
}

async fn page(
    s: &Staff,
    q: &str,
    pick: Option<&str>,
    message: Option<(bool, String)>,
    status: StatusCode,
) -> Response {
    let c = &s.c;
    let (results, total) = if q.trim().is_empty() {
        (Vec::new(), 0)
    } else {
        match s.event.search(q, None, 0, 30).await {
            Ok(p) => (p.attendees.iter().map(|a| Row::of(a, q)).collect(), p.total),
            Err(CoreError::Invalid(m)) => {
                let page = DeskPage {
                    c,
                    q: q.to_owned(),
                    results: Vec::new(),
                    total: 0,
                    chosen: None,
                    nonce: new_nonce(),
                    message: Some((false, m)),
                };
                return html(c, StatusCode::BAD_REQUEST, &page);
            }
            Err(e) => return c.fail(e),
        }
    };
    let one = results.len() == 1 && pick.is_none();
    let pick = pick
        .map(str::to_owned)
        .or_else(|| one.then(|| results[0].id.clone()));
    let chosen = match pick {
        Some(id) => match s.event.attendee_store().get_attendee_by_id(&id).await {
            Ok(Some(a)) => Some(chosen(c, &a, s.event.now())),
            Ok(None) => None,
            Err(e) => return c.fail(CoreError::from(e)),
        },
        None => None,
    };
    html(
        c,
        status,
        &DeskPage {
            c,
            q: q.to_owned(),
            results,
            total,
            chosen,
            nonce: new_nonce(),
            message,
        },
    )
}

/// A scenario's time window, short: `2030-05-01 08:00–18:00 UTC`, or
/// with both dates when it spans days.
fn window(from: i64, to: i64) -> String {
    let d = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
    let (a, b) = (d(from), d(to));
    if a.date_naive() == b.date_naive() {
        format!("{}–{} UTC", a.format("%Y-%m-%d %H:%M"), b.format("%H:%M"))
    } else {
        format!(
            "{} – {} UTC",
            a.format("%Y-%m-%d %H:%M"),
            b.format("%Y-%m-%d %H:%M")
        )
    }
}

/// A nonce for one form (one scan).
fn new_nonce() -> String {
    let t = bincio_core::accounts::tokens::new_session_token();
    format!("desk-{}", &t[..t.len().min(24)])
}

/// `GET /event/desk/?q=…&a=<attendee id>`.
pub(crate) async fn show(s: Staff) -> Response {
    let q = s.c.query("q").unwrap_or_default();
    let a = s.c.query("a");
    page(&s, &q, a.as_deref(), None, StatusCode::OK).await
}

/// `POST /event/desk/use` (`a`, `scenario`, `nonce`, `q`) and
/// `POST /event/desk/undo` (`a`, `scenario`, `reason`, `q`).
async fn act(s: Staff, form: PageForm, undo: bool) -> Response {
    let id = form.get("a").to_owned();
    let scenario = form.get("scenario").to_owned();
    let q = form.get("q").to_owned();
    let token = match s.event.attendee_store().get_attendee_by_id(&id).await {
        Ok(Some(a)) => a.token,
        Ok(None) => {
            return page(
                &s,
                &q,
                None,
                Some((false, s.c.t.desk_unknown.to_owned())),
                StatusCode::NOT_FOUND,
            )
            .await
        }
        Err(e) => return s.c.fail(CoreError::from(e)),
    };
    let actor = s.actor();
    let outcome = if undo {
        s.event
            .undo(&token, &scenario, &actor, form.get("reason"))
            .await
    } else {
        let nonce = Some(form.get("nonce")).filter(|n| !n.is_empty());
        s.event
            .staff_use(Some(&token), &scenario, &actor, nonce)
            .await
    };
    let (ok, text, status) = match outcome {
        Ok(_) if undo => (
            true,
            crate::web::i18n::fill(s.c.t.desk_undone, &[&scenario]),
            StatusCode::OK,
        ),
        Ok(_) => (
            true,
            crate::web::i18n::fill(s.c.t.desk_used, &[&scenario]),
            StatusCode::OK,
        ),
        Err(e @ (CoreError::Invalid(_) | CoreError::Conflict(_))) => {
            (false, e.to_string(), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return s.c.fail(e),
    };
    page(&s, &q, Some(&id), Some((ok, text)), status).await
}

/// `POST /event/desk/use`.
pub(crate) async fn use_scenario(s: Staff, form: PageForm) -> Response {
    act(s, form, false).await
}

/// `POST /event/desk/undo`.
pub(crate) async fn undo(s: Staff, form: PageForm) -> Response {
    act(s, form, true).await
}
