//! The one place where errors of the app's routes (`/api/*`, `/data/*`,
//! `/healthz`) become responses: FastAPI's `{"detail": …}` with the
//! contract's status codes. Each variant says its status and why; core
//! errors map by their kind in [`ApiError::status`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bincio_core::CoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error of the app's routes.
#[derive(Debug)]
pub enum ApiError {
    /// 401 `Not authenticated`: no live session cookie or Bearer token.
    Unauthenticated,
    /// 403 `Admin required`: the caller is signed in but not an admin.
    AdminRequired,
    /// 404 `Not logged in`: `GET /api/me` without a session (the
    /// contract's status for "no profile").
    NotLoggedIn,
    /// 429: over the core's attempt limit (`bincio_core::ratelimit`).
    TooManyAttempts,
    /// 422 with FastAPI's list (`[{loc, msg, type}]`): the JSON body does
    /// not parse into the route's type.
    InvalidBody(String),
    /// A refusal or fault decided by the core: 400 invalid, 401, 403, 404,
    /// 409 conflict, 413, 422 unprocessable, 429, 503; store and internal
    /// faults are 500 `Internal server error` (the details are logged,
    /// never sent).
    Core(CoreError),
    /// Any other status with its message: multipart framing faults (400 /
    /// 413), the router's 404 / 405, axum's own rejections rewritten by
    /// `crate::rejection`.
    Status(StatusCode, String),
}

/// The error body: `{"detail": "message"}`, or FastAPI's list for a body
/// that does not parse (422).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub detail: Detail,
}

/// `detail` of an [`ErrorBody`].
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Detail {
    /// A message.
    Message(String),
    /// Why the JSON body was refused (422).
    Fields(Vec<FieldError>),
}

/// One entry of a 422 `detail` list.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldError {
    /// Where: `["body"]`.
    pub loc: Vec<String>,
    /// The parser's explanation.
    pub msg: String,
    /// Always `value_error`.
    #[serde(rename = "type")]
    pub kind: String,
}

impl ApiError {
    /// An error with a status and a message shown to the client.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::Status(status, detail.into())
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::AdminRequired => StatusCode::FORBIDDEN,
            Self::NotLoggedIn => StatusCode::NOT_FOUND,
            Self::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            Self::InvalidBody(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Status(s, _) => *s,
            Self::Core(e) => match e {
                CoreError::Invalid(_) => StatusCode::BAD_REQUEST,
                CoreError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
                CoreError::Forbidden(_) => StatusCode::FORBIDDEN,
                CoreError::NotFound(_) => StatusCode::NOT_FOUND,
                CoreError::Conflict(_) => StatusCode::CONFLICT,
                CoreError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
                CoreError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                CoreError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
                CoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                CoreError::Store(_) | CoreError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    fn detail(self) -> Detail {
        Detail::Message(match self {
            Self::Unauthenticated => "Not authenticated".into(),
            Self::AdminRequired => "Admin required".into(),
            Self::NotLoggedIn => "Not logged in".into(),
            Self::TooManyAttempts => "Too many attempts, please try again later".into(),
            Self::InvalidBody(msg) => {
                return Detail::Fields(vec![FieldError {
                    loc: vec!["body".into()],
                    msg,
                    kind: "value_error".into(),
                }])
            }
            Self::Status(_, m) => m,
            Self::Core(e @ (CoreError::Store(_) | CoreError::Internal(_))) => {
                tracing::error!(error = %e, "internal error");
                "Internal server error".into()
            }
            Self::Core(e) => e.to_string(),
        })
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        Self::Core(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody {
            detail: self.detail(),
        };
        (status, Json(body)).into_response()
    }
}

/// Result alias of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
