//! The one place where CCIP errors become responses: CS's
//! `{"message": "…"}` (Flask `jsonify`: compact, trailing newline,
//! `application/json`). Every rule refusal is 400 as in CS; staff-only
//! routes answer 403; store faults 500 with a generic message (logged).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bincio_core::event::service::msg;
use bincio_core::event::wire::Json;
use bincio_core::CoreError;

/// A CCIP error response.
#[derive(Debug)]
pub struct CcipError {
    status: StatusCode,
    message: String,
}

impl CcipError {
    /// An error with a status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// 400 with a CS message.
    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 403 `staff only`.
    pub fn staff_only() -> Self {
        Self::new(StatusCode::FORBIDDEN, msg::STAFF_ONLY)
    }

    /// 403 `cross-site request refused` (a staff session cookie sent by
    /// another site).
    pub fn cross_site() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            crate::cross_site::REFUSED.to_ascii_lowercase(),
        )
    }
}

impl From<CoreError> for CcipError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Invalid(m)
            | CoreError::Conflict(m)
            | CoreError::NotFound(m)
            | CoreError::Unprocessable(m) => Self::bad(m),
            CoreError::Unauthorized(_) | CoreError::Forbidden(_) => Self::staff_only(),
            CoreError::TooLarge(m) => Self::new(StatusCode::PAYLOAD_TOO_LARGE, m),
            CoreError::RateLimited(m) => Self::new(StatusCode::TOO_MANY_REQUESTS, m),
            CoreError::Unavailable(m) => Self::new(StatusCode::SERVICE_UNAVAILABLE, m),
            CoreError::Store(_) | CoreError::Internal(_) => {
                tracing::error!(error = %e, "ccip internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl IntoResponse for CcipError {
    fn into_response(self) -> Response {
        let body = Json::obj([("message", Json::s(self.message))]).to_flask_string();
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }
}
