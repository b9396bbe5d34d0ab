//! The ways into an instance: `/setup/?code=` (the first admin, from the
//! code `bincio serve` prints), `/register/?code=` (an invite — or that
//! same set-up code) and `/reset-password/?code=&handle=`.
//!
//! Each runs under the core's attempt limit for its kind, and every refusal
//! is shown in words next to the field it is about.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use bincio_core::accounts::{settings, IssuedSession, SESSION_TTL_SECS};
use bincio_core::ratelimit::Attempt;
use bincio_core::CoreError;

use super::{core_message, culprit, Culprit, Field};
use crate::client::ClientAddr;
use crate::web::cookies;
use crate::web::ctx::Ctx;
use crate::web::flash::Notice;
use crate::web::form::PageForm;
use crate::web::i18n::fill;
use crate::web::render::{html, see_other};

/// Field errors of an account form (registration or set-up).
#[derive(Default)]
struct Errors {
    alert: Option<String>,
    code: Option<String>,
    handle: Option<String>,
    display_name: Option<String>,
    password: Option<String>,
    confirm: Option<String>,
    instance_name: Option<String>,
}

/// The submitted values shown again.
#[derive(Default)]
struct Values {
    code: String,
    handle: String,
    display_name: String,
    instance_name: String,
}

/// The fields of an account form.
struct AccountFields {
    code: Field,
    handle: Field,
    display_name: Field,
    password: Field,
    confirm: Field,
}

fn account_fields(c: &Ctx, v: &Values, e: &mut Errors, code_label: &'static str) -> AccountFields {
    let t = c.t;
    AccountFields {
        code: Field::text("code", code_label, &v.code)
            .required()
            .error(e.code.take()),
        handle: Field::text("handle", t.field_handle, &v.handle)
            .autocomplete("username")
            .required()
            .hint(t.handle_hint)
            .error(e.handle.take()),
        display_name: Field::text("display_name", t.field_display_name, &v.display_name)
            .autocomplete("name")
            .maxlength(bincio_core::validate::MAX_DISPLAY_NAME)
            .hint(t.display_name_hint)
            .error(e.display_name.take()),
        password: Field::new_password("password", c).error(e.password.take()),
        confirm: Field::new_password("password_confirm", c).error(e.confirm.take()),
    }
}

/// Put a refusal of `Accounts::register` next to its field. `bad_code` is
/// the words for an unusable code on this page.
fn register_refusal(
    c: &Ctx,
    f: &PageForm,
    e: CoreError,
    bad_code: &str,
    retry: u64,
) -> Result<(StatusCode, Errors), CoreError> {
    let t = c.t;
    let mut errs = Errors::default();
    let status = match e {
        CoreError::RateLimited(_) => {
            errs.alert = Some(fill(t.err_rate_limited, &[&t.wait(retry)]));
            StatusCode::TOO_MANY_REQUESTS
        }
        CoreError::Conflict(_) => {
            errs.handle = Some(t.err_handle_taken.to_owned());
            StatusCode::CONFLICT
        }
        CoreError::Forbidden(_) => {
            errs.alert = Some(t.err_max_users.to_owned());
            StatusCode::FORBIDDEN
        }
        CoreError::Invalid(_) => {
            let msg = core_message(c, &e);
            match culprit(
                Some(f.get("handle")),
                Some(f.get("password")),
                Some(f.get("display_name")),
            ) {
                Culprit::Handle => errs.handle = Some(msg),
                Culprit::Password => errs.password = Some(msg),
                Culprit::DisplayName => errs.display_name = Some(msg),
                Culprit::Other => errs.code = Some(bad_code.to_owned()),
            }
            StatusCode::BAD_REQUEST
        }
        e => return Err(e),
    };
    Ok((status, errs))
}

fn values(f: &PageForm) -> Values {
    Values {
        code: f.get("code").trim().to_owned(),
        handle: f.get("handle").trim().to_owned(),
        display_name: f.get("display_name").trim().to_owned(),
        instance_name: f.get("instance_name").trim().to_owned(),
    }
}

fn mismatch(c: &Ctx, f: &PageForm) -> Option<Errors> {
    (f.get("password") != f.get("password_confirm")).then(|| Errors {
        confirm: Some(c.t.err_password_mismatch.to_owned()),
        ..Errors::default()
    })
}

// ------------------------------------------------------------- register

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    c: &'a Ctx,
    title: String,
    f: AccountFields,
    alert: Option<String>,
}

fn register_page(c: &Ctx, status: StatusCode, v: Values, mut e: Errors) -> Response {
    let page = RegisterPage {
        c,
        title: fill(c.t.register_title, &[&c.instance_name()]),
        f: account_fields(c, &v, &mut e, c.t.field_code),
        alert: e.alert.take(),
    };
    html(c, status, &page)
}

/// `GET /register/?code=`.
pub(crate) async fn register_form(c: Ctx) -> Response {
    let v = Values {
        code: c.query("code").unwrap_or_default(),
        ..Values::default()
    };
    register_page(&c, StatusCode::OK, v, Errors::default())
}

/// `POST /register/`: create the account and log in (an admin when the
/// code was the set-up code).
pub(crate) async fn register(c: Ctx, ClientAddr(client): ClientAddr, f: PageForm) -> Response {
    if let Some(e) = mismatch(&c, &f) {
        return register_page(&c, StatusCode::BAD_REQUEST, values(&f), e);
    }
    match try_register(&c, &client, &f, c.t.err_code_used).await {
        Ok(s) => {
            let (to, notice) = if s.user.is_admin() {
                ("/admin/", Notice::SetupDone)
            } else {
                ("/", Notice::Welcome(s.user.display_name.clone()))
            };
            logged_in(&c, &s, to, notice)
        }
        Err(Ok((status, errs))) => register_page(&c, status, values(&f), errs),
        Err(Err(e)) => c.fail(e),
    }
}

/// The response that logs the new account in and goes to `to`.
fn logged_in(c: &Ctx, s: &IssuedSession, to: &str, notice: Notice) -> Response {
    let cookie = cookies::session(&s.token, SESSION_TTL_SECS, c.secure());
    see_other(c, to, vec![cookie, notice.cookie(c.secure())])
}

/// `Accounts::register` with the form's fields under the registration
/// attempt limit. A refusal comes back as the status and the errors to
/// show (`bad_code`: this page's words for an unusable code); any other
/// failure as the core error.
async fn try_register(
    c: &Ctx,
    client: &str,
    f: &PageForm,
    bad_code: &str,
) -> Result<IssuedSession, Result<(StatusCode, Errors), CoreError>> {
    let attempt = Attempt::Register { client };
    let limiter = c.st.limiter();
    let out = limiter
        .run(
            attempt,
            c.st.accounts().register(
                f.get("code"),
                f.get("handle"),
                f.get("password"),
                f.get("display_name").trim(),
            ),
        )
        .await;
    let wait = match &out {
        Err(CoreError::RateLimited(_)) => limiter.retry_after(attempt).await,
        _ => 0,
    };
    out.map_err(|e| register_refusal(c, f, e, bad_code, wait))
}

// ---------------------------------------------------------------- set-up

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    c: &'a Ctx,
    title: String,
    done: bool,
    f: AccountFields,
    instance_name: Field,
    alert: Option<String>,
}

fn setup_page(c: &Ctx, status: StatusCode, done: bool, mut v: Values, mut e: Errors) -> Response {
    if v.instance_name.is_empty() && e.instance_name.is_none() {
        v.instance_name = c.instance_name().to_owned();
    }
    let page = SetupPage {
        c,
        title: fill(c.t.setup_title, &[&c.instance_name()]),
        done,
        instance_name: Field::text("instance_name", c.t.setup_instance_name, &v.instance_name)
            .autocomplete("off")
            .maxlength(100)
            .error(e.instance_name.take()),
        f: account_fields(c, &v, &mut e, c.t.field_setup_code),
        alert: e.alert.take(),
    };
    html(c, status, &page)
}

/// `GET /setup/?code=`: the first admin's form, or "already set up".
pub(crate) async fn setup_form(c: Ctx) -> Response {
    let done = match c.st.accounts().needs_setup().await {
        Ok(needs) => !needs,
        Err(e) => return c.fail(e),
    };
    let v = Values {
        code: c.query("code").unwrap_or_default(),
        handle: if done {
            String::new()
        } else {
            "admin".to_owned()
        },
        ..Values::default()
    };
    setup_page(&c, StatusCode::OK, done, v, Errors::default())
}

/// `POST /setup/`: create the admin with the set-up code, name the
/// instance, log in and go to `/admin/`.
pub(crate) async fn setup(c: Ctx, ClientAddr(client): ClientAddr, f: PageForm) -> Response {
    match c.st.accounts().needs_setup().await {
        Ok(true) => {}
        Ok(false) => {
            return setup_page(
                &c,
                StatusCode::CONFLICT,
                true,
                Values::default(),
                Errors::default(),
            )
        }
        Err(e) => return c.fail(e),
    }
    if let Some(e) = mismatch(&c, &f) {
        return setup_page(&c, StatusCode::BAD_REQUEST, false, values(&f), e);
    }
    let name = f.get("instance_name").trim();
    if let Err(e) = settings::validate(settings::INSTANCE_NAME, name) {
        let errs = Errors {
            instance_name: Some(core_message(&c, &e)),
            ..Errors::default()
        };
        return setup_page(&c, StatusCode::BAD_REQUEST, false, values(&f), errs);
    }
    let s = match try_register(&c, &client, &f, c.t.setup_bad_code).await {
        Ok(s) => s,
        Err(Ok((status, errs))) => return setup_page(&c, status, false, values(&f), errs),
        Err(Err(e)) => return c.fail(e),
    };
    if !name.is_empty() && name != c.settings.instance_name {
        if let Err(e) =
            c.st.accounts()
                .set_setting(settings::INSTANCE_NAME, name)
                .await
        {
            return c.fail(e);
        }
    }
    logged_in(&c, &s, "/admin/", Notice::SetupDone)
}

// -------------------------------------------------------- reset password

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPage<'a> {
    c: &'a Ctx,
    handle: Field,
    code: Field,
    password: Field,
    confirm: Field,
    alert: Option<String>,
}

fn reset_page(c: &Ctx, status: StatusCode, v: Values, mut e: Errors) -> Response {
    let page = ResetPage {
        c,
        handle: Field::text("handle", c.t.field_handle, &v.handle)
            .autocomplete("username")
            .required()
            .error(e.handle.take()),
        code: Field::text("code", c.t.field_reset_code, &v.code)
            .required()
            .error(e.code.take()),
        password: Field::new_password("password", c).error(e.password.take()),
        confirm: Field::new_password("password_confirm", c).error(e.confirm.take()),
        alert: e.alert.take(),
    };
    html(c, status, &page)
}

/// `GET /reset-password/?code=&handle=`.
pub(crate) async fn reset_form(c: Ctx) -> Response {
    let v = Values {
        code: c.query("code").unwrap_or_default(),
        handle: c.query("handle").unwrap_or_default(),
        ..Values::default()
    };
    reset_page(&c, StatusCode::OK, v, Errors::default())
}

/// `POST /reset-password/`: redeem the code; every session of the account
/// ends, and the reader logs in with the new password.
pub(crate) async fn reset(c: Ctx, ClientAddr(client): ClientAddr, f: PageForm) -> Response {
    if let Some(e) = mismatch(&c, &f) {
        return reset_page(&c, StatusCode::BAD_REQUEST, values(&f), e);
    }
    let attempt = Attempt::ResetPassword { client: &client };
    let limiter = c.st.limiter();
    let out = limiter
        .run(
            attempt,
            c.st.accounts()
                .reset_password(f.get("handle"), f.get("code"), f.get("password")),
        )
        .await;
    let mut errs = Errors::default();
    let status = match out {
        Ok(()) => return c.done("/login/", Notice::PasswordReset),
        Err(CoreError::RateLimited(_)) => {
            errs.alert = Some(fill(
                c.t.err_rate_limited,
                &[&c.t.wait(limiter.retry_after(attempt).await)],
            ));
            StatusCode::TOO_MANY_REQUESTS
        }
        Err(e @ CoreError::Invalid(_)) => {
            if culprit(None, Some(f.get("password")), None) == Culprit::Password {
                errs.password = Some(core_message(&c, &e));
            } else {
                errs.code = Some(c.t.err_reset_code.to_owned());
            }
            StatusCode::BAD_REQUEST
        }
        Err(e) => return c.fail(e),
    };
    reset_page(&c, status, values(&f), errs)
}
