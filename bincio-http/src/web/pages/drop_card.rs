//! The "Drop folder" card of `/settings/` (template `_drop_folder.html`)
//! and its "scan now" form (`POST /settings/drop-scan`, CSRF-checked by
//! [`PageForm`]). Shown only when the server runs the activity sources.

use axum::response::Response;
use bincio_core::model::{SyncRun, User};
use chrono::DateTime;

use crate::routes::sources::scan_now;
use crate::web::ctx::{Ctx, Member};
use crate::web::flash::Notice;
use crate::web::fmt;
use crate::web::form::PageForm;
use crate::web::i18n::{fill, Strings};

/// One file of a run as the card lists it.
pub(crate) struct ItemLine {
    pub name: String,
    /// `imported`, `duplicate` or `error` (a CSS class too).
    pub status: String,
    /// The status in words.
    pub label: &'static str,
    pub detail: String,
}

/// One run.
pub(crate) struct RunLine {
    pub when: String,
    pub source: String,
    pub counts: String,
    pub items: Vec<ItemLine>,
    /// Files of the run not listed (runs keep at most 200).
    pub more: u32,
}

/// The card's content.
pub(crate) struct DropCard {
    pub folder: String,
    pub last_scan: String,
    pub next_scan: String,
    pub runs: Vec<RunLine>,
}

/// Items shown per run.
const ITEMS_SHOWN: usize = 10;

fn when(t: &Strings, unix: Option<i64>, none: &'static str) -> String {
    unix.and_then(|u| DateTime::from_timestamp(u, 0))
        .map_or_else(
            || none.to_owned(),
            |d| fmt::date_time(t, &d.fixed_offset()) + " UTC",
        )
}

fn run_line(t: &Strings, r: &SyncRun) -> RunLine {
    let items: Vec<ItemLine> = r
        .items
        .iter()
        .take(ITEMS_SHOWN)
        .map(|i| ItemLine {
            name: i.name.clone(),
            status: i.status.clone(),
            label: match i.status.as_str() {
                "imported" => t.drop_status_imported,
                "duplicate" => t.drop_status_duplicate,
                _ => t.drop_status_error,
            },
            detail: i.detail.clone().unwrap_or_default(),
        })
        .collect();
    let total = r.imported + r.duplicates + r.errors;
    RunLine {
        when: when(t, Some(r.started_at), t.drop_never),
        source: r.source.clone(),
        counts: fill(t.drop_run_counts, &[&r.imported, &r.duplicates, &r.errors]),
        more: total.saturating_sub(u32::try_from(items.len()).unwrap_or(u32::MAX)),
        items,
    }
}

/// The card for `user`, or `None` when the server runs no sources (an
/// error reading it is logged and the card left out: the rest of the
/// settings page still works).
pub(crate) async fn card(c: &Ctx, user: &User) -> Option<DropCard> {
    let sources = c.st.sources()?;
    let st = match sources.drop_status(user).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, handle = %user.handle, "drop folder card");
            return None;
        }
    };
    let t = c.t;
    Some(DropCard {
        folder: st.folder,
        last_scan: when(t, st.last_scan_at, t.drop_never),
        next_scan: when(t, st.next_scan_at, t.drop_no_schedule),
        runs: st.runs.iter().map(|r| run_line(t, r)).collect(),
    })
}

/// `POST /settings/drop-scan`: scan the member's folder now, back to the
/// settings page with the counts.
pub(crate) async fn scan(Member(c, user): Member, _f: PageForm) -> Response {
    match scan_now(&c.st, &user).await {
        Ok(s) => c.done(
            "/settings/",
            Notice::DropScanned(s.imported, s.duplicates, s.errors, s.pending),
        ),
        Err(e) => c.fail(e),
    }
}
