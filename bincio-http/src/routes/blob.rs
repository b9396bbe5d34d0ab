//! Serving stored binaries safely: the sniffed type, never executed by the
//! browser as anything else, never able to run script.

use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use bincio_core::model::{Blob, User};

use crate::error::ApiResult;
use crate::AppState;

/// A photo of `handle`'s activity `id` as `viewer` may see it.
pub(crate) async fn image(
    st: &AppState,
    viewer: Option<&User>,
    handle: &str,
    id: &str,
    name: &str,
) -> ApiResult<Response> {
    let blob = st.activities().image(viewer, handle, id, name).await?;
    Ok(blob_response(blob))
}

/// A stored binary as a download (`Content-Disposition: attachment`, a
/// file name of plain characters only), never cached by shared caches.
pub(crate) fn attachment(blob: Blob) -> Response {
    let safe: String = blob
        .name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let mut r = blob_response(blob);
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    h.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    r
}

pub(crate) fn blob_response(blob: Blob) -> Response {
    let mut r = blob.bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(&blob.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    r
}
