//! `GET /healthz`: liveness plus a store round-trip.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::AppState;

pub(crate) async fn healthz(State(st): State<AppState>) -> (StatusCode, Json<Value>) {
    let store = st.accounts().store();
    match store.count_users().await {
        Ok(_) => (
            StatusCode::OK,
            Json(json!({"ok": true, "store": store.backend_name()})),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check: store unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"ok": false, "store": store.backend_name()})),
            )
        }
    }
}
