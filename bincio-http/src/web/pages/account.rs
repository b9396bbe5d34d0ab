//! `/settings/`: a member's own account — display name, password, units,
//! theme and language, storage used, and the danger zone (delete originals,
//! all activities, the account), each re-confirmed with the password.

use std::collections::BTreeMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use bincio_core::model::{StorageUsage, User};
use bincio_core::CoreError;

use super::{core_message, Field};
use crate::web::ctx::{Ctx, Member, Theme};
use crate::web::flash::Notice;
use crate::web::form::PageForm;
use crate::web::i18n::fill;
use crate::web::pages::prefs::{lang_cookie, theme_cookie};
use crate::web::render::{html, see_other};
use crate::web::units::{self, Units};

/// Errors of the settings forms (at most one form fails at a time).
#[derive(Default)]
struct Errors {
    display_name: Option<String>,
    current: Option<String>,
    new: Option<String>,
    confirm: Option<String>,
    originals: Option<String>,
    activities: Option<String>,
    account: Option<String>,
}

/// One line of the storage table.
struct StorageLine {
    label: String,
    size: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage<'a> {
    c: &'a Ctx,
    display_name: Field,
    current: Field,
    new: Field,
    confirm: Field,
    units: &'static str,
    units_example: String,
    theme: &'static str,
    storage: Vec<StorageLine>,
    storage_total: String,
    originals_pw: Field,
    activities_pw: Field,
    account_pw: Field,
    /// The drop folder card (`_drop_folder.html`), when sources run.
    drop: Option<super::drop_card::DropCard>,
    strava: Option<super::settings_strava::StravaCard>,
}

fn danger_pw(id: &str, c: &Ctx, e: Option<String>) -> Field {
    Field::password("password", c.t.confirm_with_password, "current-password")
        .id(id)
        .error(e)
}

/// The settings page with the Strava card's link to Strava (after its
/// connect form).
pub(crate) async fn render(c: &Ctx, user: &User, authorize_url: Option<String>) -> Response {
    page_with(
        c,
        user,
        StatusCode::OK,
        Errors::default(),
        None,
        authorize_url,
    )
    .await
}

async fn page(
    c: &Ctx,
    user: &User,
    status: StatusCode,
    e: Errors,
    display_value: Option<&str>,
) -> Response {
    page_with(c, user, status, e, display_value, None).await
}

async fn page_with(
    c: &Ctx,
    user: &User,
    status: StatusCode,
    mut e: Errors,
    display_value: Option<&str>,
    authorize_url: Option<String>,
) -> Response {
    let strava = match super::settings_strava::card(c, user, authorize_url).await {
        Ok(s) => s,
        Err(e) => return c.fail(e),
    };
    let (prefs, usage) = match (
        c.st.accounts().prefs(user).await,
        c.st.activities().storage(&user.handle).await,
    ) {
        (Ok(p), Ok(u)) => (p, u),
        (Err(e), _) | (_, Err(e)) => return c.fail(e),
    };
    let drop = super::drop_card::card(c, user).await;
    let units = Units::from_prefs(&prefs);
    let t = c.t;
    let StorageUsage {
        activities_count,
        activities_bytes,
        originals_bytes,
        images_bytes,
    } = usage;
    let storage = vec![
        StorageLine {
            label: fill(t.storage_activities, &[&activities_count]),
            size: units::bytes(activities_bytes),
        },
        StorageLine {
            label: t.storage_originals.to_owned(),
            size: units::bytes(originals_bytes),
        },
        StorageLine {
            label: t.storage_photos.to_owned(),
            size: units::bytes(images_bytes),
        },
    ];
    let page = SettingsPage {
        c,
        display_name: Field::text(
            "display_name",
            t.field_display_name,
            display_value.unwrap_or(&user.display_name),
        )
        .autocomplete("name")
        .maxlength(bincio_core::validate::MAX_DISPLAY_NAME)
        .hint(t.display_name_hint)
        .error(e.display_name.take()),
        current: Field::password(
            "current_password",
            t.field_current_password,
            "current-password",
        )
        .error(e.current.take()),
        new: Field::new_password("password", c).error(e.new.take()),
        confirm: Field::new_password("password_confirm", c).error(e.confirm.take()),
        units: units.value(),
        units_example: fill(
            t.units_example,
            &[&units.distance(42_195.0), &units.elevation(1_000.0)],
        ),
        theme: c.theme.value(),
        storage,
        storage_total: units::bytes(activities_bytes + originals_bytes + images_bytes),
        originals_pw: danger_pw("originals-password", c, e.originals.take()),
        activities_pw: danger_pw("activities-password", c, e.activities.take()),
        account_pw: danger_pw("account-password", c, e.account.take()),
        drop,
        strava,
    };
    html(c, status, &page)
}

/// `GET /settings/`.
pub(crate) async fn show(Member(c, user): Member) -> Response {
    page(&c, &user, StatusCode::OK, Errors::default(), None).await
}

/// `POST /settings/profile`: the display name.
pub(crate) async fn profile(Member(c, user): Member, f: PageForm) -> Response {
    let name = f.get("display_name");
    match c.st.accounts().set_display_name(&user, name).await {
        Ok(_) => c.done("/settings/", Notice::DisplayNameSaved),
        Err(e @ CoreError::Invalid(_)) => {
            let errs = Errors {
                display_name: Some(core_message(&c, &e)),
                ..Errors::default()
            };
            page(&c, &user, StatusCode::BAD_REQUEST, errs, Some(name)).await
        }
        Err(e) => c.fail(e),
    }
}

/// `POST /settings/password`: change it knowing the current one; other
/// sessions end, this one stays.
pub(crate) async fn password(Member(c, user): Member, f: PageForm) -> Response {
    let mut errs = Errors::default();
    if f.get("password") != f.get("password_confirm") {
        errs.confirm = Some(c.t.err_password_mismatch.to_owned());
        return page(&c, &user, StatusCode::BAD_REQUEST, errs, None).await;
    }
    let out =
        c.st.accounts()
            .change_password(
                &user,
                c.session.as_deref(),
                f.get("current_password"),
                f.get("password"),
            )
            .await;
    let status = match out {
        Ok(()) => return c.done("/settings/", Notice::PasswordChanged),
        Err(CoreError::Unauthorized(_)) => {
            errs.current = Some(c.t.err_current_password.to_owned());
            StatusCode::UNAUTHORIZED
        }
        Err(e @ CoreError::Invalid(_)) => {
            errs.new = Some(core_message(&c, &e));
            StatusCode::BAD_REQUEST
        }
        Err(e) => return c.fail(e),
    };
    page(&c, &user, status, errs, None).await
}

/// `POST /settings/preferences`: units (a member pref), theme and language
/// (cookies, as the header and footer set them).
pub(crate) async fn preferences(Member(c, user): Member, f: PageForm) -> Response {
    let units = Units::parse(f.get("units"));
    let prefs = BTreeMap::from([(units::PREF.to_owned(), units.value().to_owned())]);
    if let Err(e) = c.st.accounts().set_prefs(&user, prefs).await {
        return c.fail(e);
    }
    let lang = f.get("lang");
    let cookies = vec![
        theme_cookie(Theme::parse(Some(f.get("theme"))), c.secure()),
        lang_cookie(lang, c.secure()),
        Notice::PrefsSaved.cookie(c.secure()),
    ];
    see_other(&c, "/settings/", cookies)
}

/// Which danger-zone form failed its password.
#[derive(Clone, Copy)]
enum Danger {
    Originals,
    Activities,
    Account,
}

async fn wrong_password(c: &Ctx, user: &User, which: Danger, e: CoreError) -> Response {
    let msg = match e {
        CoreError::Unauthorized(_) => c.t.err_wrong_password.to_owned(),
        CoreError::Invalid(_) => core_message(c, &e),
        e => return c.fail(e),
    };
    let mut errs = Errors::default();
    match which {
        Danger::Originals => errs.originals = Some(msg),
        Danger::Activities => errs.activities = Some(msg),
        Danger::Account => errs.account = Some(msg),
    }
    page(c, user, StatusCode::UNAUTHORIZED, errs, None).await
}

/// Check the password a danger-zone form re-asks for: `Some(page)` with
/// the error next to that form's field when it is wrong.
async fn reconfirm(c: &Ctx, user: &User, f: &PageForm, which: Danger) -> Option<Response> {
    match c
        .st
        .accounts()
        .confirm_password(user, f.get("password"))
        .await
    {
        Ok(()) => None,
        Err(e) => Some(wrong_password(c, user, which, e).await),
    }
}

/// `POST /settings/delete-originals`.
pub(crate) async fn delete_originals(Member(c, user): Member, f: PageForm) -> Response {
    if let Some(refused) = reconfirm(&c, &user, &f, Danger::Originals).await {
        return refused;
    }
    match c.st.activities().delete_originals(&user.handle).await {
        Ok(freed) => c.done("/settings/", Notice::OriginalsDeleted(units::bytes(freed))),
        Err(e) => c.fail(e),
    }
}

/// `POST /settings/delete-activities`.
pub(crate) async fn delete_activities(Member(c, user): Member, f: PageForm) -> Response {
    if let Some(refused) = reconfirm(&c, &user, &f, Danger::Activities).await {
        return refused;
    }
    match c.st.activities().delete_all(&user.handle).await {
        Ok(n) => c.done("/settings/", Notice::ActivitiesDeleted(n)),
        Err(e) => c.fail(e),
    }
}

/// `POST /settings/delete-account`: the account and everything in it; the
/// session cookie goes with it.
pub(crate) async fn delete_account(Member(c, user): Member, f: PageForm) -> Response {
    match c
        .st
        .accounts()
        .delete_account(&user, f.get("password"))
        .await
    {
        Ok(()) => c.signed_out(Notice::AccountDeleted),
        Err(e) => wrong_password(&c, &user, Danger::Account, e).await,
    }
}
