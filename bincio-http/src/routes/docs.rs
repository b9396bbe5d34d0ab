//! API documentation: the OpenAPI document derived from the handlers
//! ([`crate::openapi`]) and two offline viewers whose JavaScript is
//! vendored in `assets/` (no CDN, no download at build time).

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::AppState;

static SWAGGER_JS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js");
static SWAGGER_CSS: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui.css");
static REDOC_JS: &[u8] = include_bytes!("../../assets/redoc/redoc.standalone.js");

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi))
        .routes(routes!(swagger))
        .routes(routes!(swagger_asset))
        .routes(routes!(redoc))
        .routes(routes!(redoc_js))
}

/// The OpenAPI 3.1 document of every route (this one included).
#[utoipa::path(get, path = "/api/openapi.json", tag = "docs",
    responses((status = 200, description = "OpenAPI 3.1 document", body = Object)))]
pub(crate) async fn openapi() -> Response {
    static DOC: OnceLock<String> = OnceLock::new();
    let doc = DOC.get_or_init(|| {
        crate::openapi::document()
            .to_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    });
    ([(CONTENT_TYPE, "application/json")], doc.as_str()).into_response()
}

/// Swagger UI.
#[utoipa::path(get, path = "/api/docs", tag = "docs",
    responses((status = 200, description = "HTML page", body = String, content_type = "text/html; charset=utf-8")))]
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

/// Swagger UI files: `swagger-ui-bundle.js`, `swagger-ui.css`.
#[utoipa::path(get, path = "/api/docs/{asset}", tag = "docs",
    params(("asset" = String, Path, description = "`swagger-ui-bundle.js` or `swagger-ui.css`")),
    responses(
        (status = 200, description = "The file", content(
            (String = "text/javascript; charset=utf-8"),
            (String = "text/css; charset=utf-8"),
        )),
        (status = 404, description = "No such file", body = ErrorBody),
    ))]
pub(crate) async fn swagger_asset(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "swagger-ui-bundle.js" => asset("text/javascript; charset=utf-8", SWAGGER_JS),
        "swagger-ui.css" => asset("text/css; charset=utf-8", SWAGGER_CSS),
        _ => ApiError::new(StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

/// ReDoc.
#[utoipa::path(get, path = "/api/redoc", tag = "docs",
    responses((status = 200, description = "HTML page", body = String, content_type = "text/html; charset=utf-8")))]
pub(crate) async fn redoc() -> Html<&'static str> {
    Html(
        r##"<!doctype html>
<html><head><meta charset="utf-8"><title>bincio API</title></head>
<body><redoc spec-url="/api/openapi.json"></redoc>
<script src="/api/redoc/redoc.standalone.js"></script>
</body></html>"##,
    )
}

/// ReDoc's script.
#[utoipa::path(get, path = "/api/redoc/redoc.standalone.js", tag = "docs",
    responses((status = 200, description = "The script", body = String, content_type = "text/javascript; charset=utf-8")))]
pub(crate) async fn redoc_js() -> Response {
    asset("text/javascript; charset=utf-8", REDOC_JS)
}
