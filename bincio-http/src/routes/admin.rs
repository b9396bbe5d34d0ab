//! Admin routes that concern accounts, jobs and disk use.

use axum::extract::{Path, State};
use axum::Json;
use bincio_core::accounts::RESET_CODE_TTL_SECS;
use serde_json::{json, Value};

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::routes::activities::mb;
use crate::AppState;

pub(crate) async fn users(State(st): State<AppState>, _a: AdminUser) -> ApiResult<Json<Value>> {
    let users = st.accounts().list_users().await?;
    Ok(Json(Value::Array(
        users
            .into_iter()
            .map(|u| {
                json!({
                    "handle": u.handle,
                    "display_name": u.display_name,
                    "is_admin": u.is_admin(),
                    "role": u.role.as_str(),
                    "created_at": u.created_at,
                })
            })
            .collect(),
    )))
}

pub(crate) async fn reset_code(
    State(st): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(handle): Path<String>,
) -> ApiResult<Json<Value>> {
    let issued = st
        .accounts()
        .issue_reset_code(&admin.handle, &handle)
        .await?;
    Ok(Json(json!({
        "ok": true,
        "code": issued.code,
        "expires_in_hours": RESET_CODE_TTL_SECS / 3600,
        "expires_at": issued.expires_at,
    })))
}

pub(crate) async fn jobs(State(st): State<AppState>, _a: AdminUser) -> ApiResult<Json<Value>> {
    Ok(Json(
        serde_json::to_value(st.jobs().list()).unwrap_or_default(),
    ))
}

fn gb(bytes: u64) -> f64 {
    (bytes as f64 / 1_073_741_824.0 * 100.0).round() / 100.0
}

/// `GET /api/admin/disk`: the filesystem of the data directory (GiB, 2
/// decimals; `percent` = used / total, 1 decimal; `null` if it cannot be
/// measured) and each handle's storage from the store. Fields the store
/// has no notion of (`merged_mb`, `originals_strava_mb`, leaked ZIPs) are
/// kept for the contract's admin page and are always 0.
pub(crate) async fn disk(State(st): State<AppState>, _a: AdminUser) -> ApiResult<Json<Value>> {
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
        Ok(d) => json!({
            "total_gb": gb(d.total),
            "used_gb": gb(d.used),
            "free_gb": gb(d.free),
            "percent": if d.total == 0 { 0.0 } else {
                (d.used as f64 / d.total as f64 * 1000.0).round() / 10.0
            },
        }),
        Err(e) => {
            tracing::warn!(error = %e, "measuring the data directory's filesystem");
            Value::Null
        }
    };
    let users: Vec<Value> = users
        .into_iter()
        .map(|u| {
            let s = u.usage;
            json!({
                "handle": u.handle,
                "in_db": u.in_db,
                "total_mb": mb(s.activities_bytes + s.originals_bytes + s.images_bytes),
                "activities_mb": mb(s.activities_bytes),
                "activities_count": s.activities_count,
                "merged_mb": 0,
                "originals_mb": mb(s.originals_bytes),
                "originals_strava_mb": 0,
                "images_mb": mb(s.images_bytes),
                "leaked_zips_mb": 0,
                "leaked_zips_count": 0,
            })
        })
        .collect();
    Ok(Json(json!({"disk": disk, "users": users})))
}
