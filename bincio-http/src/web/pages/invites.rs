//! `/invites/`: a member's invite codes with who used them, how many they
//! may still mint, and a link to copy for each unused one.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use bincio_core::CoreError;

use super::{core_message, date};
use crate::web::ctx::{Ctx, Member};
use crate::web::flash::Notice;
use crate::web::form::PageForm;
use crate::web::i18n::fill;
use crate::web::render::html;

/// One invite as the table shows it.
struct Row {
    code: String,
    link: String,
    used: bool,
    status: String,
    created: String,
}

#[derive(Template)]
#[template(path = "invites.html")]
struct InvitesPage<'a> {
    c: &'a Ctx,
    rows: Vec<Row>,
    quota: String,
    can_mint: bool,
    alert: Option<String>,
}

/// The link that opens registration with `code` filled in.
pub(crate) fn register_link(c: &Ctx, code: &str) -> String {
    format!("{}/register/?code={code}", c.base_url)
}

async fn page(
    c: &Ctx,
    user: &bincio_core::model::User,
    status: StatusCode,
    alert: Option<String>,
) -> Response {
    let accounts = c.st.accounts();
    let (invites, left) = match (
        accounts.list_invites(user).await,
        accounts.invites_left(user).await,
    ) {
        (Ok(i), Ok(l)) => (i, l),
        (Err(e), _) | (_, Err(e)) => return c.fail(e),
    };
    let t = c.t;
    let quota = match left {
        None => t.invites_unlimited.to_owned(),
        Some(0) => t.invites_none_left.to_owned(),
        Some(n) => fill(t.invites_left, &[&n]),
    };
    let rows = invites
        .into_iter()
        .map(|i| Row {
            link: register_link(c, &i.code),
            used: i.used_by.is_some(),
            status: match (&i.used_by, i.used_at) {
                (Some(h), at) => fill(t.invite_used_by, &[h, &at.map(date).unwrap_or_default()]),
                (None, _) => t.invite_unused.to_owned(),
            },
            created: date(i.created_at),
            code: i.code,
        })
        .collect();
    let page = InvitesPage {
        c,
        rows,
        quota,
        can_mint: left != Some(0),
        alert,
    };
    html(c, status, &page)
}

/// `GET /invites/`.
pub(crate) async fn show(Member(c, user): Member) -> Response {
    page(&c, &user, StatusCode::OK, None).await
}

/// `POST /invites/`: mint one (the store enforces the quota atomically).
pub(crate) async fn mint(Member(c, user): Member, _f: PageForm) -> Response {
    match c.st.accounts().create_invite(&user).await {
        Ok(i) => c.done(
            "/invites/",
            Notice::InviteCreated(register_link(&c, &i.code)),
        ),
        Err(e @ CoreError::Invalid(_)) => {
            let msg = core_message(&c, &e);
            page(&c, &user, StatusCode::BAD_REQUEST, Some(msg)).await
        }
        Err(e) => c.fail(e),
    }
}
