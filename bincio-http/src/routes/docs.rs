//! API documentation: the OpenAPI document and two offline viewers whose
//! JavaScript is vendored in `assets/` (no CDN, no download at build time).

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use crate::openapi;

static SWAGGER_JS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js");
static SWAGGER_CSS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui.css");
static REDOC_JS: &[u8] = include_bytes!("../../assets/redoc/redoc.standalone.js");

pub(crate) async fn openapi() -> Json<Value> {
    Json(openapi::document())
}

pub(crate) async fn swagger() -> Html<&'static str> {
    Html(
        r##"<!doctype html>
<html><head><meta charset="utf-8"><title>bincio API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#swagger-ui"});</script>
</body></html>"##,
    )
}

fn asset(ctype: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (CONTENT_TYPE, ctype),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

pub(crate) async fn swagger_asset(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "swagger-ui-bundle.js" => asset("text/javascript; charset=utf-8", SWAGGER_JS),
        "swagger-ui.css" => asset("text/css; charset=utf-8", SWAGGER_CSS),
        _ => crate::error::ApiError::new(StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

pub(crate) async fn redoc() -> Html<&'static str> {
    Html(
        r##"<!doctype html>
<html><head><meta charset="utf-8"><title>bincio API</title></head>
<body><redoc spec-url="/api/openapi.json"></redoc>
<script src="/api/redoc/redoc.standalone.js"></script>
</body></html>"##,
    )
}

pub(crate) async fn redoc_js() -> Response {
    asset("text/javascript; charset=utf-8", REDOC_JS)
}
