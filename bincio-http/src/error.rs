//! The one place where core errors become HTTP responses for the `/api/*`
//! routes: `{"detail": "..."}` with the contract's status codes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bincio_core::CoreError;

/// An `/api/*` error.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: String,
}

impl ApiError {
    /// An error with a status and a message shown to the client.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }

    /// 401 `Not authenticated`.
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Not authenticated")
    }

    /// 403 `Admin required`.
    pub fn admin_required() -> Self {
        Self::new(StatusCode::FORBIDDEN, "Admin required")
    }

    /// 429.
    pub fn too_many() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts, please try again later",
        )
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        let status = match &e {
            CoreError::Invalid(_) => StatusCode::BAD_REQUEST,
            CoreError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            CoreError::Forbidden(_) => StatusCode::FORBIDDEN,
            CoreError::NotFound(_) => StatusCode::NOT_FOUND,
            CoreError::Conflict(_) => StatusCode::CONFLICT,
            CoreError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            CoreError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            CoreError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            CoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            CoreError::Store(_) | CoreError::Internal(_) => {
                tracing::error!(error = %e, "internal error");
                return Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error");
            }
        };
        Self::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "detail": self.detail })),
        )
            .into_response()
    }
}

/// Result alias of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
