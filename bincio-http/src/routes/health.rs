//! `GET /healthz`: liveness plus a store round-trip; `GET /readyz`: ready
//! to serve (the store answers within [`READY_TIMEOUT`] and its schema is
//! current). Neither path collides with a CCIP route (those are all under
//! `/landing`, `/status`, `/use`, … — see docs/event.md).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
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

/// How long `/readyz` waits for the store: a load balancer's probe must
/// get an answer, not hang for the driver's 15 s server selection.
pub(crate) const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Readiness, and why not.
#[derive(Serialize, ToSchema)]
pub(crate) struct Ready {
    ok: bool,
    /// `sqlite` or `mongodb`.
    store: &'static str,
    /// Why the instance is not ready (absent when it is).
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Readiness: the store answers within 3 s and every migration is applied.
/// For load balancers and container health checks.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = Ready),
        (status = 503, description = "Not ready (`reason` says why)", body = Ready),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn readyz(State(st): State<AppState>) -> (StatusCode, Json<Ready>) {
    let store = st.accounts().store();
    // The details (hosts, paths) go to the log only: this route is public.
    let reason = match tokio::time::timeout(READY_TIMEOUT, store.ready()).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready");
            Some("the store is unavailable or its schema is not current".to_owned())
        }
        Err(_) => {
            tracing::warn!("not ready: the store did not answer in time");
            Some(format!(
                "the store did not answer within {} s",
                READY_TIMEOUT.as_secs()
            ))
        }
    };
    let status = if reason.is_none() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Ready {
            ok: reason.is_none(),
            store: store.backend_name(),
            reason,
        }),
    )
}
