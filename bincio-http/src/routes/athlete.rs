//! `GET|POST /api/athlete` (`bincio.md` §2.2) and the live
//! `/data/{handle}/athlete.json`. Validation, merging and privacy are the
//! core's (`activities::athlete_config`); handlers only translate.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use crate::auth::{AuthUser, MaybeUser};
use crate::error::ApiResult;
use crate::json::ApiJson;
use crate::AppState;

/// The caller's own `athlete.json` (all their activities) with their
/// config laid over it.
pub(crate) async fn get(State(st): State<AppState>, a: AuthUser) -> ApiResult<Json<Value>> {
    Ok(Json(
        st.activities()
            .athlete(Some(&a.user), &a.user.handle)
            .await?,
    ))
}

/// Change some keys of the caller's athlete config (others are kept,
/// `null` removes one); 422 naming the field on bad input.
pub(crate) async fn post(
    State(st): State<AppState>,
    a: AuthUser,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    st.activities().set_athlete(&a.user, &body).await?;
    Ok(Json(json!({"ok": true})))
}

/// `/data/{handle}/athlete.json` and `/data/{handle}/_merged/athlete.json`:
/// the owner's full version, or the public one for anyone else.
pub(crate) async fn data(
    State(st): State<AppState>,
    MaybeUser(viewer, _): MaybeUser,
    Path(handle): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        st.activities().athlete(viewer.as_ref(), &handle).await?,
    ))
}
