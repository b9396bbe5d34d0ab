//! `/login/?next=` and `/logout`.
//!
//! Log-in runs under the core's attempt limit (per client and handle) and,
//! when held back, says how long to wait. Log-out is a form post (a link
//! must not end a session); `GET /logout` shows that form.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use bincio_core::accounts::SESSION_TTL_SECS;
use bincio_core::ratelimit::Attempt;
use bincio_core::CoreError;

use super::Field;
use crate::client::ClientAddr;
use crate::web::cookies;
use crate::web::ctx::{safe_next, Ctx};
use crate::web::flash::Notice;
use crate::web::form::PageForm;
use crate::web::i18n::fill;
use crate::web::render::{html, see_other};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    c: &'a Ctx,
    next: String,
    handle: Field,
    password: Field,
    error: Option<String>,
    needs_setup: bool,
}

async fn login_page(
    c: &Ctx,
    status: StatusCode,
    next: String,
    handle: &str,
    handle_err: Option<String>,
    pw_err: Option<String>,
    error: Option<String>,
) -> Response {
    let needs_setup = c.st.accounts().needs_setup().await.unwrap_or(false);
    let mut handle = Field::text("handle", c.t.field_handle, handle)
        .autocomplete("username")
        .required()
        .error(handle_err);
    // The cursor goes where the reader has to type next.
    handle.autofocus = pw_err.is_none();
    let page = LoginPage {
        c,
        next,
        handle,
        password: Field::password("password", c.t.field_password, "current-password").error(pw_err),
        error,
        needs_setup,
    };
    html(c, status, &page)
}

/// `GET /login/`: the form (a logged-in reader goes on to `next`).
pub(crate) async fn form(c: Ctx) -> Response {
    let next = safe_next(c.query("next").as_deref());
    if c.user.is_some() {
        return see_other(&c, &next, Vec::new());
    }
    login_page(&c, StatusCode::OK, next, "", None, None, None).await
}

/// `POST /login/`.
pub(crate) async fn submit(c: Ctx, ClientAddr(client): ClientAddr, f: PageForm) -> Response {
    let (handle, password) = (f.get("handle"), f.get("password"));
    let next = safe_next(Some(f.get("next")));
    let attempt = Attempt::Login {
        client: &client,
        handle,
    };
    let limiter = c.st.limiter();
    match limiter
        .run(attempt, c.st.accounts().login(handle, password))
        .await
    {
        Ok(s) => see_other(
            &c,
            &next,
            vec![cookies::session(&s.token, SESSION_TTL_SECS, c.secure())],
        ),
        Err(CoreError::RateLimited(_)) => {
            let wait = c.t.wait(limiter.retry_after(attempt).await);
            let msg = fill(c.t.err_rate_limited, &[&wait]);
            login_page(
                &c,
                StatusCode::TOO_MANY_REQUESTS,
                next,
                handle,
                None,
                None,
                Some(msg),
            )
            .await
        }
        Err(CoreError::Unauthorized(_)) => {
            login_page(
                &c,
                StatusCode::UNAUTHORIZED,
                next,
                handle,
                None,
                Some(c.t.login_wrong.to_owned()),
                None,
            )
            .await
        }
        Err(e) => c.fail(e),
    }
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage<'a> {
    c: &'a Ctx,
    question: String,
}

/// `GET /logout`: a button to confirm (anonymous readers go to log in).
pub(crate) async fn confirm(c: Ctx) -> Response {
    if c.user.is_none() {
        return see_other(&c, "/login/", Vec::new());
    }
    let question = fill(c.t.logout_confirm, &[&c.instance_name()]);
    html(&c, StatusCode::OK, &LogoutPage { c: &c, question })
}

/// `POST /logout`: end this browser's session.
pub(crate) async fn submit_logout(c: Ctx, _f: PageForm) -> Response {
    if let Some(token) = &c.session {
        if let Err(e) = c.st.accounts().logout(token).await {
            return c.fail(e);
        }
    }
    c.signed_out(Notice::LoggedOut)
}
