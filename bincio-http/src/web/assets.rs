//! The web pages' own CSS, JavaScript and icon, compiled into the binary
//! and served from versioned URLs: `/assets/{version}/{name}`, where the
//! version is a hash of the file. A URL therefore never changes meaning, so
//! it is cached for a year as `immutable`; a new build changes the URL.
//! A request with an old version gets the current file, revalidated each
//! time (`no-cache`), so a page cached across an upgrade still works.
//!
//! Nothing is fetched at build or run time; third-party browser files, when
//! a page needs them, are vendored beside these (see `assets/README.md`).

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bincio_core::accounts::tokens;

use super::render::security_headers;

/// One served file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $ty:expr, $path:literal) => {
        Asset {
            name: $name,
            content_type: $ty,
            body: include_bytes!($path),
        }
    };
}

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

const FILES: &[Asset] = &[
    asset!("app.css", CSS, "../../assets/web/app.css"),
    asset!("app.js", JS, "../../assets/web/app.js"),
    asset!("activity.js", JS, "../../assets/web/activity.js"),
    asset!("upload.js", JS, "../../assets/web/upload.js"),
    asset!("athlete.js", JS, "../../assets/web/athlete.js"),
    asset!("event.js", JS, "../../assets/web/event.js"),
    asset!(
        "favicon.svg",
        "image/svg+xml",
        "../../assets/web/favicon.svg"
    ),
    // Vendored (assets/README.md): Leaflet 1.9.4, uPlot 1.6.32.
    asset!("leaflet.js", JS, "../../assets/leaflet/leaflet.js"),
    asset!("leaflet.css", CSS, "../../assets/leaflet/leaflet.css"),
    asset!("uplot.js", JS, "../../assets/uplot/uPlot.iife.min.js"),
    asset!("uplot.css", CSS, "../../assets/uplot/uPlot.min.css"),
    // jsQR 1.4.0: the desk's QR decoder where the browser has no
    // BarcodeDetector, loaded only then (on "Scan a ticket").
    asset!("jsqr.js", JS, "../../assets/jsqr/jsQR.js"),
];

/// `(name, version)` of every file, hashed once.
fn versions() -> &'static [(&'static str, String)] {
    static V: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    V.get_or_init(|| {
        FILES
            .iter()
            .map(|a| (a.name, tokens::sha256_hex_bytes(a.body)[..12].to_owned()))
            .collect()
    })
}

/// The URL of asset `name` (a name that is not an asset still gets a URL,
/// which answers 404).
pub(crate) fn url(name: &str) -> String {
    let v = versions()
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("0", |(_, v)| v.as_str());
    format!("/assets/{v}/{name}")
}

/// The size in bytes of the named assets (for the page-weight bench);
/// unknown names count 0.
pub fn asset_bytes(names: &[&str]) -> usize {
    names
        .iter()
        .filter_map(|n| FILES.iter().find(|a| a.name == *n))
        .map(|a| a.body.len())
        .sum()
}

/// The assets every page loads (the layout's stylesheet and script).
pub const LAYOUT_ASSETS: &[&str] = &["app.css", "app.js"];

/// `GET /assets/{version}/{name}`.
pub(crate) async fn serve(Path((version, name)): Path<(String, String)>) -> Response {
    let Some(asset) = FILES.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let current = versions().iter().any(|(n, v)| *n == name && *v == version);
    let mut r = asset.body.into_response();
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(if current {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    security_headers(h);
    r
}
