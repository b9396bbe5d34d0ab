//! `/admin/`: running the instance — members (search, paging, activities
//! and storage per member), instance settings, running jobs with live
//! progress, and the disk; `/admin/users/{handle}/` for one member's
//! actions: a reset code shown once, role, wipe activities, delete.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use bincio_core::accounts::settings;
use bincio_core::jobs::JobInfo;
use bincio_core::model::{Role, StorageUsage, User};
use bincio_core::CoreError;

use super::{core_message, date, date_time, Field};
use crate::web::ctx::{Admin, Ctx};
use crate::web::flash::Notice;
use crate::web::form::PageForm;
use crate::web::i18n::fill;
use crate::web::render::html;
use crate::web::units;

/// Members per page of the table.
pub(crate) const PAGE_SIZE: usize = 50;

/// One member row.
struct UserRow {
    handle: String,
    display_name: String,
    role: &'static str,
    is_admin: bool,
    created: String,
    activities: u64,
    storage: String,
    is_me: bool,
}

/// One running job.
pub(crate) struct JobRow {
    kind: String,
    user: String,
    started: String,
    done: u64,
    total: u64,
    current: String,
}

/// The disk of the data directory.
struct Disk {
    used_line: String,
    free_line: String,
    total: u64,
    used_bytes: u64,
    percent: String,
}

/// Errors of the instance settings form.
#[derive(Default)]
struct SettingsErrors {
    name: Option<String>,
    max_users: Option<String>,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    c: &'a Ctx,
    q: String,
    rows: Vec<UserRow>,
    count_line: String,
    page_line: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    page_storage: String,
    instance_name: Field,
    max_users: Field,
    store_originals: bool,
    private: bool,
    settings_alert: Option<String>,
    jobs: Vec<JobRow>,
    disk: Option<Disk>,
}

/// The jobs section alone (what the page's script polls).
#[derive(Template)]
#[template(path = "_jobs.html")]
struct JobsFragment<'a> {
    c: &'a Ctx,
    jobs: Vec<JobRow>,
}

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct JobsPage<'a> {
    c: &'a Ctx,
    jobs: Vec<JobRow>,
}

pub(crate) fn job_rows(jobs: Vec<JobInfo>) -> Vec<JobRow> {
    jobs.into_iter()
        .map(|j| JobRow {
            kind: j.kind,
            user: j.user,
            started: date_time(j.started_at),
            done: j.done.min(j.total),
            total: j.total,
            current: j.current,
        })
        .collect()
}

fn page_href(q: &str, page: usize) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        s.append_pair("q", q);
    }
    s.append_pair("page", &page.to_string());
    format!("/admin/?{}", s.finish())
}

async fn disk(c: &Ctx) -> Option<Disk> {
    let dir =
        c.st.config()
            .data_dir
            .clone()
            .unwrap_or_else(|| std::path::PathBuf::from("."));
    let space = tokio::task::spawn_blocking(move || crate::disk::disk_space(&dir))
        .await
        .ok()?
        .map_err(|e| tracing::warn!(error = %e, "measuring the data directory's filesystem"))
        .ok()?;
    let pct = if space.total == 0 {
        0.0
    } else {
        space.used as f64 * 100.0 / space.total as f64
    };
    let t = c.t;
    let percent = format!("{pct:.0}");
    Some(Disk {
        used_line: fill(
            t.disk_used,
            &[
                &units::bytes(space.used),
                &units::bytes(space.total),
                &percent,
            ],
        ),
        free_line: fill(t.disk_free, &[&units::bytes(space.free)]),
        total: space.total,
        used_bytes: space.used,
        percent,
    })
}

async fn admin_page(
    c: &Ctx,
    me: &User,
    status: StatusCode,
    form: Option<(&PageForm, SettingsErrors)>,
) -> Response {
    let t = c.t;
    let q = c.query("q").unwrap_or_default().trim().to_owned();
    let users = match c.st.accounts().list_users().await {
        Ok(u) => u,
        Err(e) => return c.fail(e),
    };
    let total_users = users.len();
    let needle = q.to_lowercase();
    let matching: Vec<User> = users
        .into_iter()
        .filter(|u| {
            needle.is_empty()
                || u.handle.contains(&needle)
                || u.display_name.to_lowercase().contains(&needle)
        })
        .collect();
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    let page = c
        .query("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let shown: Vec<User> = matching
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    let activities = c.st.activities();
    let usages =
        futures_util::future::join_all(shown.iter().map(|u| activities.storage(&u.handle))).await;
    let mut page_bytes = 0;
    let mut rows = Vec::with_capacity(shown.len());
    for (u, usage) in shown.into_iter().zip(usages) {
        let s: StorageUsage = match usage {
            Ok(s) => s,
            Err(e) => return c.fail(e),
        };
        let bytes = s.activities_bytes + s.originals_bytes + s.images_bytes;
        page_bytes += bytes;
        rows.push(UserRow {
            is_me: u.handle == me.handle,
            role: c.role_name(u.role),
            is_admin: u.is_admin(),
            created: date(u.created_at),
            activities: s.activities_count,
            storage: units::bytes(bytes),
            handle: u.handle,
            display_name: u.display_name,
        });
    }
    let s = &c.settings;
    let (mut errs, values) = match form {
        Some((f, e)) => (
            e,
            (
                f.get("instance_name").to_owned(),
                f.get("max_users").to_owned(),
                f.checked("store_originals"),
                f.checked("private"),
            ),
        ),
        None => (
            SettingsErrors::default(),
            (
                s.instance_name.clone(),
                s.max_users.unwrap_or(0).to_string(),
                s.store_originals,
                s.private,
            ),
        ),
    };
    let disk = disk(c).await;
    let jobs = job_rows(c.st.jobs().list().await);
    let settings_alert =
        (errs.name.is_some() || errs.max_users.is_some()).then(|| t.err_fix_below.to_owned());
    let page = AdminPage {
        c,
        count_line: fill(t.users_count, &[&total_users]),
        page_line: fill(t.page_of, &[&page, &pages]),
        prev_href: (page > 1).then(|| page_href(&q, page - 1)),
        next_href: (page < pages).then(|| page_href(&q, page + 1)),
        page_storage: fill(t.disk_members, &[&units::bytes(page_bytes)]),
        q,
        rows,
        instance_name: Field::text("instance_name", t.field_instance_name, &values.0)
            .maxlength(100)
            .error(errs.name.take()),
        max_users: Field::number("max_users", t.field_max_users, &values.1)
            .hint(t.max_users_hint)
            .error(errs.max_users.take()),
        store_originals: values.2,
        private: values.3,
        settings_alert,
        jobs,
        disk,
    };
    html(c, status, &page)
}

/// `GET /admin/?q=&page=`.
pub(crate) async fn show(Admin(c, me): Admin) -> Response {
    admin_page(&c, &me, StatusCode::OK, None).await
}

/// `POST /admin/settings`: every field is checked by the core before any
/// is written, so a refused form changes nothing.
pub(crate) async fn save_settings(Admin(c, me): Admin, f: PageForm) -> Response {
    let bool_str = |b: bool| if b { "true" } else { "false" };
    let wanted = [
        (settings::INSTANCE_NAME, f.get("instance_name").to_owned()),
        (settings::MAX_USERS, f.get("max_users").to_owned()),
        (
            settings::STORE_ORIGINALS,
            bool_str(f.checked("store_originals")).to_owned(),
        ),
        (settings::PRIVATE, bool_str(f.checked("private")).to_owned()),
    ];
    let mut errs = SettingsErrors::default();
    for (key, value) in &wanted {
        if let Err(e) = settings::validate(key, value) {
            let msg = Some(core_message(&c, &e));
            if *key == settings::MAX_USERS {
                errs.max_users = msg;
            } else {
                errs.name = msg;
            }
        }
    }
    if errs.name.is_some() || errs.max_users.is_some() {
        return admin_page(&c, &me, StatusCode::BAD_REQUEST, Some((&f, errs))).await;
    }
    for (key, value) in &wanted {
        if let Err(e) = c.st.accounts().set_setting(key, value).await {
            return c.fail(e);
        }
    }
    c.done("/admin/", Notice::SettingsSaved)
}

/// `GET /admin/jobs/`: the running jobs; `?fragment=1` returns only the
/// section (polled by the admin page's script). Without JavaScript the full
/// page reloads itself.
pub(crate) async fn jobs(Admin(c, _): Admin) -> Response {
    let jobs = job_rows(c.st.jobs().list().await);
    if c.query("fragment").is_some() {
        html(&c, StatusCode::OK, &JobsFragment { c: &c, jobs })
    } else {
        html(&c, StatusCode::OK, &JobsPage { c: &c, jobs })
    }
}

// ------------------------------------------------------------ one member

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage<'a> {
    c: &'a Ctx,
    u: User,
    is_me: bool,
    role: &'static str,
    role_label: &'static str,
    created: String,
    usage: StorageUsage,
    storage: String,
    wipe_body: String,
    delete_body: String,
    wipe_confirm: Field,
    delete_confirm: Field,
}

async fn user_page(
    c: &Ctx,
    me: &User,
    handle: &str,
    status: StatusCode,
    wipe_err: Option<String>,
    delete_err: Option<String>,
) -> Response {
    let u = match c.st.accounts().require_user(handle).await {
        Ok(u) => u,
        Err(e) => return c.fail(e),
    };
    let usage = match c.st.activities().storage(&u.handle).await {
        Ok(s) => s,
        Err(e) => return c.fail(e),
    };
    let t = c.t;
    let page = UserPage {
        c,
        is_me: u.handle == me.handle,
        role: u.role.as_str(),
        role_label: c.role_name(u.role),
        created: date_time(u.created_at),
        storage: units::bytes(usage.activities_bytes + usage.originals_bytes + usage.images_bytes),
        usage,
        wipe_body: fill(t.wipe_body, &[&u.handle]),
        delete_body: fill(t.delete_user_body, &[&u.handle]),
        wipe_confirm: Field::text("confirm", t.confirm_type_handle, "")
            .id("wipe-confirm")
            .required()
            .error(wipe_err),
        delete_confirm: Field::text("confirm", t.confirm_type_handle, "")
            .id("delete-confirm")
            .required()
            .error(delete_err),
        u,
    };
    html(c, status, &page)
}

fn user_href(handle: &str) -> String {
    format!("/admin/users/{handle}/")
}

/// `GET /admin/users/{handle}/`.
pub(crate) async fn user(Admin(c, me): Admin, Path(handle): Path<String>) -> Response {
    user_page(&c, &me, &handle, StatusCode::OK, None, None).await
}

/// `POST /admin/users/{handle}/reset-code`: a new code, shown once (in the
/// flash of the next page, never stored in clear).
pub(crate) async fn reset_code(
    Admin(c, me): Admin,
    Path(handle): Path<String>,
    _f: PageForm,
) -> Response {
    match c.st.accounts().issue_reset_code(&me.handle, &handle).await {
        Ok(issued) => {
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair("code", &issued.code)
                .append_pair("handle", &handle)
                .finish();
            let link = format!("{}/reset-password/?{q}", c.base_url);
            c.done(
                &user_href(&handle),
                Notice::ResetIssued(handle.clone(), link),
            )
        }
        Err(e) => c.fail(e),
    }
}

/// `POST /admin/users/{handle}/role` (`role` = user / staff / admin).
pub(crate) async fn role(Admin(c, me): Admin, Path(handle): Path<String>, f: PageForm) -> Response {
    let Some(role) = Role::parse(f.get("role")) else {
        return c.fail(CoreError::invalid("unknown role"));
    };
    match c.st.accounts().admin_set_role(&me, &handle, role).await {
        Ok(()) => c.done(
            &user_href(&handle),
            Notice::RoleChanged(handle.clone(), c.role_name(role).to_owned()),
        ),
        Err(e) => c.fail(e),
    }
}

/// `POST /admin/users/{handle}/wipe` (`confirm` = the handle).
pub(crate) async fn wipe(Admin(c, me): Admin, Path(handle): Path<String>, f: PageForm) -> Response {
    if f.get("confirm").trim() != handle {
        let err = Some(c.t.err_confirm_handle.to_owned());
        return user_page(&c, &me, &handle, StatusCode::BAD_REQUEST, err, None).await;
    }
    if let Err(e) = c.st.accounts().require_user(&handle).await {
        return c.fail(e);
    }
    match c.st.activities().delete_all(&handle).await {
        Ok(n) => c.done(&user_href(&handle), Notice::Wiped(handle.clone(), n)),
        Err(e) => c.fail(e),
    }
}

/// `POST /admin/users/{handle}/delete` (`confirm` = the handle).
pub(crate) async fn delete(
    Admin(c, me): Admin,
    Path(handle): Path<String>,
    f: PageForm,
) -> Response {
    if f.get("confirm").trim() != handle {
        let err = Some(c.t.err_confirm_handle.to_owned());
        return user_page(&c, &me, &handle, StatusCode::BAD_REQUEST, None, err).await;
    }
    match c.st.accounts().admin_delete_user(&me, &handle).await {
        Ok(()) => c.done("/admin/", Notice::UserDeleted(handle.clone())),
        Err(e @ CoreError::Forbidden(_)) => {
            let msg = Some(core_message(&c, &e));
            user_page(&c, &me, &handle, StatusCode::FORBIDDEN, None, msg).await
        }
        Err(e) => c.fail(e),
    }
}
