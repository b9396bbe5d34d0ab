//! A JSON body extractor whose rejections use the API's error shape
//! (422 with a FastAPI-like `detail` list) instead of axum's plain text; a
//! body over the route's size limit stays 413.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// `Json<T>` with JSON errors.
pub struct ApiJson<T>(pub T);

/// Rejection of [`ApiJson`].
pub struct JsonError(JsonRejection);

impl IntoResponse for JsonError {
    fn into_response(self) -> Response {
        if self.0.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return crate::error::ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request body too large",
            )
            .into_response();
        }
        let body = serde_json::json!({
            "detail": [{
                "loc": ["body"],
                "msg": self.0.body_text(),
                "type": "value_error",
            }]
        });
        (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
    }
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = JsonError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(v)| Self(v))
            .map_err(JsonError)
    }
}
