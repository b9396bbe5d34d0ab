//! `/event/`: check-ins per role and scenario and the puzzle counters,
//! kept current without reloading: `/event/live` is a server-sent event
//! stream of the same table (HTML), sent when the figures change, which
//! `event.js` swaps in. Without JavaScript the page is a plain snapshot.

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use bincio_core::event::model::{PuzzleCounter, RoleStats};

use super::Staff;
use crate::web::ctx::Ctx;
use crate::web::render::html;

#[derive(Template)]
#[template(path = "event_dashboard_figures.html")]
pub(crate) struct Figures {
    pub roles: Vec<RoleStats>,
    pub counters: Vec<PuzzleCounter>,
}

#[derive(Template)]
#[template(path = "event_dashboard.html")]
struct DashboardPage<'a> {
    c: &'a Ctx,
    figures: String,
    event_id: String,
}

async fn figures(s: &Staff) -> Result<String, Response> {
    let roles = s.event.dashboard().await.map_err(|e| s.c.fail(e))?;
    let counters = s.event.puzzle_dashboard().await.map_err(|e| s.c.fail(e))?;
    Figures { roles, counters }
        .render()
        .map_err(|_| s.c.fail(crate::web::render::PageError::Internal))
}

/// `GET /event/`.
pub(crate) async fn show(s: Staff) -> Response {
    let figures = match figures(&s).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let event_id = s.event.config().event_id.clone();
    html(
        &s.c,
        StatusCode::OK,
        &DashboardPage {
            c: &s.c,
            figures,
            event_id,
        },
    )
}

/// How often the stream looks at the figures.
const TICK: Duration = Duration::from_secs(1);

/// `GET /event/live`: the figures (HTML) whenever they change.
pub(crate) async fn live(s: Staff) -> Response {
    let stream = futures_util::stream::unfold((s, String::new()), |(s, last)| async move {
        loop {
            if !last.is_empty() {
                tokio::time::sleep(TICK).await;
            }
            let Ok(now) = figures(&s).await else {
                return None;
            };
            if now != last {
                let ev = Event::default()
                    .event("figures")
                    .data(now.replace('\n', ""));
                return Some((Ok::<_, Infallible>(ev), (s, now)));
            }
        }
    });
    let mut r = Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response();
    r.headers_mut().insert(
        "cache-control",
        axum::http::HeaderValue::from_static("no-cache"),
    );
    r
}
