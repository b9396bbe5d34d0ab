//! `GET /healthz`: liveness plus a store round-trip.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz))
}

/// Whether the store answered, and which backend it is.
#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    ok: bool,
    /// `sqlite` or `mongodb`.
    store: &'static str,
}

/// Liveness and a store round-trip.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses(
        (status = 200, description = "The store answered", body = Health),
        (status = 503, description = "The store did not answer (`ok: false`)", body = Health),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn healthz(State(st): State<AppState>) -> (StatusCode, Json<Health>) {
    let store = st.accounts().store();
    let ok = match store.count_users().await {
        Ok(_) => true,
        Err(e) => {
            tracing::error!(error = %e, "health check: store unavailable");
            false
        }
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            ok,
            store: store.backend_name(),
        }),
    )
}
