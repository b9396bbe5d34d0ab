//! A JSON body extractor whose rejections use the API's error shape
//! (422 with a FastAPI-like `detail` list, [`ApiError::InvalidBody`])
//! instead of axum's plain text; a body over the route's size limit stays
//! 413.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `Json<T>` with JSON errors.
pub struct ApiJson<T>(pub T);

fn rejected(r: JsonRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large")
    } else {
        ApiError::InvalidBody(r.body_text())
    }
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(v)| Self(v))
            .map_err(rejected)
    }
}
