//! Admin routes: accounts, reset codes, jobs, disk use, wiping a member's
//! activities. Every route answers 401 without a session and 403 `Admin
//! required` for a member.

use axum::extract::{Path, State};
use axum::Json;
use bincio_core::accounts::RESET_CODE_TTL_SECS;
use bincio_core::jobs::JobInfo;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{mb, Deleted};
use crate::auth::AdminUser;
use crate::error::{ApiResult, ErrorBody};
use crate::AppState;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(users))
        .routes(routes!(reset_code))
        .routes(routes!(jobs))
        .routes(routes!(disk))
        .routes(routes!(delete_activities))
}

/// An account as the admin lists it.
#[derive(Serialize, ToSchema)]
pub(crate) struct AdminUserView {
    handle: String,
    display_name: String,
    is_admin: bool,
    /// `user`, `staff` or `admin`.
    role: &'static str,
    /// Unix seconds.
    created_at: i64,
}

/// Every account, oldest first.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin",
    responses(
        (status = 200, body = Vec<AdminUserView>),
        (status = 403, description = "`Admin required`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(admin = %a.0.handle))]
pub(crate) async fn users(
    State(st): State<AppState>,
    a: AdminUser,
) -> ApiResult<Json<Vec<AdminUserView>>> {
    let users = st.accounts().list_users().await?;
    Ok(Json(
        users
            .into_iter()
            .map(|u| AdminUserView {
                is_admin: u.is_admin(),
                role: u.role.as_str(),
                handle: u.handle,
                display_name: u.display_name,
                created_at: u.created_at,
            })
            .collect(),
    ))
}

/// A reset code to hand to the member (shown once).
#[derive(Serialize, ToSchema)]
pub(crate) struct ResetCodeIssued {
    ok: bool,
    code: String,
    /// Always 24.
    expires_in_hours: i64,
    /// Unix seconds.
    expires_at: i64,
}

/// Issue a password reset code for a member (replaces an unused one).
#[utoipa::path(post, path = "/api/admin/users/{handle}/reset-password-code", tag = "admin",
    params(("handle" = String, Path, description = "The member")),
    responses(
        (status = 200, body = ResetCodeIssued),
        (status = 403, description = "`Admin required`", body = ErrorBody),
        (status = 404, description = "`User not found`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(admin = %admin.handle, handle = %handle))]
pub(crate) async fn reset_code(
    State(st): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(handle): Path<String>,
) -> ApiResult<Json<ResetCodeIssued>> {
    let issued = st
        .accounts()
        .issue_reset_code(&admin.handle, &handle)
        .await?;
    Ok(Json(ResetCodeIssued {
        ok: true,
        code: issued.code,
        expires_in_hours: RESET_CODE_TTL_SECS / 3600,
        expires_at: issued.expires_at,
    }))
}

/// Running uploads and imports.
#[utoipa::path(get, path = "/api/admin/jobs", tag = "admin",
    responses(
        (status = 200, body = Vec<JobInfo>),
        (status = 403, description = "`Admin required`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(admin = %a.0.handle))]
pub(crate) async fn jobs(State(st): State<AppState>, a: AdminUser) -> Json<Vec<JobInfo>> {
    Json(st.jobs().list().await)
}

/// The data directory's filesystem: GiB with 2 decimals, `percent` used
/// with 1.
#[derive(Serialize, ToSchema)]
pub(crate) struct DiskSpace {
    total_gb: f64,
    used_gb: f64,
    free_gb: f64,
    percent: f64,
}

/// One handle's storage (MB with 2 decimals). `merged_mb`,
/// `originals_strava_mb` and the leaked-ZIP fields have no meaning with a
/// store and are always 0 (kept for the contract's admin page).
#[derive(Serialize, ToSchema)]
pub(crate) struct DiskUser {
    handle: String,
    /// Whether an account with this handle exists.
    in_db: bool,
    total_mb: f64,
    activities_mb: f64,
    activities_count: u64,
    merged_mb: u8,
    originals_mb: f64,
    originals_strava_mb: u8,
    images_mb: f64,
    leaked_zips_mb: u8,
    leaked_zips_count: u8,
}

/// `GET /api/admin/disk`.
#[derive(Serialize, ToSchema)]
pub(crate) struct DiskReport {
    /// `null` when the filesystem cannot be measured.
    disk: Option<DiskSpace>,
    /// Every account, plus handles that own activities without one.
    users: Vec<DiskUser>,
}

fn gb(bytes: u64) -> f64 {
    (bytes as f64 / 1_073_741_824.0 * 100.0).round() / 100.0
}

/// Disk use: the data directory's filesystem and each handle's storage.
#[utoipa::path(get, path = "/api/admin/disk", tag = "admin",
    responses(
        (status = 200, body = DiskReport),
        (status = 403, description = "`Admin required`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(admin = %a.0.handle))]
pub(crate) async fn disk(State(st): State<AppState>, a: AdminUser) -> ApiResult<Json<DiskReport>> {
    let users = st.activities().storage_report().await?;
    let dir = st
        .config()
        .data_dir
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let space = tokio::task::spawn_blocking(move || crate::disk::disk_space(&dir))
        .await
        .map_err(|e| bincio_core::CoreError::Internal(format!("disk task: {e}")))?;
    let disk = match space {
        Ok(d) => Some(DiskSpace {
            total_gb: gb(d.total),
            used_gb: gb(d.used),
            free_gb: gb(d.free),
            percent: if d.total == 0 {
                0.0
            } else {
                (d.used as f64 / d.total as f64 * 1000.0).round() / 10.0
            },
        }),
        Err(e) => {
            tracing::warn!(error = %e, "measuring the data directory's filesystem");
            None
        }
    };
    let users = users
        .into_iter()
        .map(|u| {
            let s = u.usage;
            DiskUser {
                handle: u.handle,
                in_db: u.in_db,
                total_mb: mb(s.activities_bytes + s.originals_bytes + s.images_bytes),
                activities_mb: mb(s.activities_bytes),
                activities_count: s.activities_count,
                merged_mb: 0,
                originals_mb: mb(s.originals_bytes),
                originals_strava_mb: 0,
                images_mb: mb(s.images_bytes),
                leaked_zips_mb: 0,
                leaked_zips_count: 0,
            }
        })
        .collect();
    Ok(Json(DiskReport { disk, users }))
}

/// Delete every activity of a member.
#[utoipa::path(delete, path = "/api/admin/users/{handle}/activities", tag = "admin",
    params(("handle" = String, Path, description = "The member")),
    responses(
        (status = 200, body = Deleted),
        (status = 403, description = "`Admin required`", body = ErrorBody),
        (status = 404, description = "`User not found`", body = ErrorBody),
    ),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(admin = %admin.handle, handle = %handle))]
pub(crate) async fn delete_activities(
    State(st): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(handle): Path<String>,
) -> ApiResult<Json<Deleted>> {
    let n = st
        .activities()
        .delete_member_activities(&admin, &handle)
        .await?;
    Ok(Json(Deleted::new(n)))
}
