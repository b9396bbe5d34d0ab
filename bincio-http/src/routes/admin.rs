//! Admin routes that concern accounts and jobs.

use axum::extract::{Path, State};
use axum::Json;
use bincio_core::accounts::RESET_CODE_TTL_SECS;
use serde_json::{json, Value};

use crate::auth::AdminUser;
use crate::error::ApiResult;
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
