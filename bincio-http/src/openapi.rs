//! The OpenAPI 3.1 document served at `/api/openapi.json`, generated from
//! one route table ([`OPERATIONS`]).
//!
//! The tests below hold the table to the router of [`crate::router`] in
//! both directions, so the document cannot silently drift: every
//! `(method, path)` listed here must reach a handler of the real router,
//! and every path registered in `routes/mod.rs` must be listed here with
//! exactly the methods the router accepts on it.
//!
//! The CCIP routes ([`crate::ccip::router`]) are not in this table: they
//! are a separate API with its own contract (`ccip.md`), merged into the
//! app only by `serve --event`, and the tests do not cover them.

use serde_json::{json, Map, Value};

/// Who may call an operation.
#[derive(Clone, Copy)]
pub(crate) enum Access {
    /// Anyone.
    Public,
    /// Session cookie or Bearer token.
    User,
    /// An admin account.
    Admin,
}

/// One documented operation.
pub(crate) struct Op {
    pub method: &'static str,
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub access: Access,
    /// JSON body fields: (name, JSON type, required).
    pub body: &'static [(&'static str, &'static str, bool)],
}

const fn op(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    access: Access,
    body: &'static [(&'static str, &'static str, bool)],
) -> Op {
    Op {
        method,
        path,
        tag,
        summary,
        access,
        body,
    }
}

use Access::{Admin, Public, User};

const CREDENTIALS: &[(&str, &str, bool)] =
    &[("handle", "string", true), ("password", "string", true)];

const ATHLETE_FIELDS: &[(&str, &str, bool)] = &[
    ("max_hr", "integer", false),
    ("ftp_w", "integer", false),
    ("hr_zones", "array", false),
    ("power_zones", "array", false),
    ("seasons", "array", false),
    ("gear", "object", false),
];

/// Every operation of [`crate::router`] (accounts, activities, BAS data,
/// API docs); not the CCIP routes.
pub(crate) const OPERATIONS: &[Op] = &[
    op(
        "get",
        "/healthz",
        "health",
        "Liveness and store round-trip",
        Public,
        &[],
    ),
    op(
        "get",
        "/api/me",
        "account",
        "The logged-in user (404 when logged out)",
        Public,
        &[],
    ),
    op(
        "delete",
        "/api/me",
        "account",
        "Delete the account (password required)",
        User,
        &[("password", "string", true)],
    ),
    op(
        "post",
        "/api/auth/login",
        "auth",
        "Log in; sets the bincio_session cookie",
        Public,
        CREDENTIALS,
    ),
    op(
        "post",
        "/api/auth/token",
        "auth",
        "Log in; returns a Bearer token for mobile apps",
        Public,
        CREDENTIALS,
    ),
    op(
        "post",
        "/api/auth/logout",
        "auth",
        "End the current session",
        Public,
        &[],
    ),
    op(
        "post",
        "/api/auth/reset-password",
        "auth",
        "Set a new password with an admin-issued reset code",
        Public,
        &[
            ("handle", "string", true),
            ("code", "string", true),
            ("password", "string", true),
        ],
    ),
    op(
        "post",
        "/api/register",
        "auth",
        "Register with an invite code; logs in",
        Public,
        &[
            ("code", "string", true),
            ("handle", "string", true),
            ("password", "string", true),
            ("display_name", "string", false),
        ],
    ),
    op(
        "get",
        "/api/invites",
        "account",
        "Own invites, newest first",
        User,
        &[],
    ),
    op(
        "post",
        "/api/invites",
        "account",
        "Mint an invite (3 per non-admin, ever)",
        User,
        &[],
    ),
    op(
        "get",
        "/api/stats",
        "community",
        "Members with who invited them (members only on a private instance)",
        Public,
        &[],
    ),
    op(
        "put",
        "/api/me/display-name",
        "account",
        "Set the display name (max 60)",
        User,
        &[("display_name", "string", true)],
    ),
    op(
        "put",
        "/api/me/password",
        "account",
        "Change password; revokes other sessions",
        User,
        &[
            ("current_password", "string", true),
            ("new_password", "string", true),
        ],
    ),
    op(
        "get",
        "/api/me/prefs",
        "account",
        "Preferences (string map)",
        User,
        &[],
    ),
    op(
        "put",
        "/api/me/prefs",
        "account",
        "Upsert preferences (values coerced to strings)",
        User,
        &[],
    ),
    op("get", "/api/admin/users", "admin", "All users", Admin, &[]),
    op(
        "post",
        "/api/admin/users/{handle}/reset-password-code",
        "admin",
        "Issue a 24 h one-time reset code",
        Admin,
        &[],
    ),
    op(
        "get",
        "/api/admin/jobs",
        "admin",
        "Running jobs (uploads, imports) with progress",
        Admin,
        &[],
    ),
    op(
        "get",
        "/api/admin/disk",
        "admin",
        "Filesystem of the data directory and storage per user",
        Admin,
        &[],
    ),
    op(
        "get",
        "/api/activity/{id}",
        "activities",
        "One of my activities (detail with edits)",
        User,
        &[],
    ),
    op(
        "post",
        "/api/activity/{id}",
        "activities",
        "Edit: fields not sent are kept",
        User,
        &[
            ("title", "string", false),
            ("description", "string", false),
            ("sport", "string", false),
            ("gear", "string", false),
            ("highlight", "boolean", false),
            ("private", "boolean", false),
            ("privacy", "string", false),
            ("hide_stats", "array", false),
        ],
    ),
    op(
        "delete",
        "/api/activity/{id}",
        "activities",
        "Delete one of my activities",
        User,
        &[],
    ),
    op(
        "get",
        "/api/activity/{id}/geojson",
        "activities",
        "Track as GeoJSON",
        User,
        &[],
    ),
    op(
        "get",
        "/api/activity/{id}/timeseries",
        "activities",
        "1 Hz timeseries",
        User,
        &[],
    ),
    op(
        "get",
        "/api/activity/{id}/images",
        "activities",
        "Photo names",
        User,
        &[],
    ),
    op(
        "post",
        "/api/activity/{id}/images",
        "activities",
        "Add a photo (multipart `file`; JPEG/PNG/WebP/GIF sniffed, 10 MiB)",
        User,
        &[],
    ),
    op(
        "get",
        "/api/activity/{id}/images/{filename}",
        "activities",
        "One photo",
        User,
        &[],
    ),
    op(
        "delete",
        "/api/activity/{id}/images/{filename}",
        "activities",
        "Delete a photo (404 when there is no such photo)",
        User,
        &[],
    ),
    op(
        "get",
        "/api/feed",
        "activities",
        "My feed (or ?handle=), newest first, paged by ?before=",
        User,
        &[],
    ),
    op(
        "get",
        "/api/athlete",
        "activities",
        "My athlete.json (power curve, records, climbs over all my activities) with my athlete config",
        User,
        &[],
    ),
    op(
        "post",
        "/api/athlete",
        "activities",
        "Change athlete config keys (others kept; null removes one); 422 naming a bad or unknown field",
        User,
        ATHLETE_FIELDS,
    ),
    op(
        "get",
        "/api/me/storage",
        "account",
        "Storage used",
        User,
        &[],
    ),
    op(
        "delete",
        "/api/me/originals",
        "account",
        "Drop kept original files",
        User,
        &[],
    ),
    op(
        "delete",
        "/api/me/activities",
        "account",
        "Delete all my activities (password required)",
        User,
        &[("password", "string", true)],
    ),
    op(
        "delete",
        "/api/admin/users/{handle}/activities",
        "admin",
        "Delete all activities of a user",
        Admin,
        &[],
    ),
    op(
        "post",
        "/api/upload",
        "activities",
        "Upload activity files (multipart `files`, repeatable; `store_original`, `overwrite`); progress as server-sent events, or JSON with ?stream=false",
        User,
        &[],
    ),
    op(
        "get",
        "/api/activity/{id}/gpx",
        "activities",
        "Download as GPX 1.1",
        User,
        &[],
    ),
    op(
        "post",
        "/api/upload/raw",
        "activities",
        "Upload one file as base64 JSON (mobile); answers the stored documents",
        User,
        &[("filename", "string", true), ("base64", "string", true), ("user_title", "string", false)],
    ),
    op(
        "post",
        "/api/activity/{id}/recalculate-elevation/hysteresis",
        "activities",
        "Recompute elevation gain/loss from the timeseries (smoothed hysteresis)",
        User,
        &[],
    ),
    op(
        "post",
        "/api/activity/{id}/recalculate-elevation/dem",
        "activities",
        "Correct elevation from the DEM service (503 when none is configured)",
        User,
        &[],
    ),
    op(
        "post",
        "/api/upload/bas",
        "activities",
        "Store a BAS activity extracted elsewhere (validated; ≤ 20 MiB) → imported | duplicate",
        User,
        &[("activity", "object", true), ("timeseries", "object", false), ("geojson", "object", false)],
    ),
    op(
        "post",
        "/api/upload/strava-zip",
        "activities",
        "Import a Strava bulk export ZIP (multipart `file`, form `private`); progress as server-sent events",
        User,
        &[],
    ),
    op(
        "get",
        "/data/index.json",
        "bas",
        "BAS root manifest",
        Public,
        &[],
    ),
    op(
        "get",
        "/data/{file}",
        "bas",
        "BAS combined feed page: feed.json (page 1), feed-{N}.json; listed activities of every member, 50 a page",
        Public,
        &[],
    ),
    op(
        "get",
        "/data/{handle}/index.json",
        "bas",
        "BAS per-user feed (privacy applied)",
        Public,
        &[],
    ),
    op(
        "get",
        "/data/{handle}/_merged/{file}",
        "bas",
        "BAS year shards: index.json (manifest), index-{YYYY}.json (one year, highlights first)",
        Public,
        &[],
    ),
    op(
        "get",
        "/data/{handle}/athlete.json",
        "bas",
        "BAS athlete.json (owner: all activities; others: listed ones, hidden stats cut)",
        Public,
        &[],
    ),
    op(
        "get",
        "/data/{handle}/_merged/athlete.json",
        "bas",
        "Same as /data/{handle}/athlete.json (path of the static tree)",
        Public,
        &[],
    ),
    op(
        "get",
        "/data/{handle}/activities/{file}",
        "bas",
        "BAS activity file: {id}.json, {id}.geojson, {id}.timeseries.json",
        Public,
        &[],
    ),
    op(
        "get",
        "/data/{handle}/activities/images/{id}/{name}",
        "bas",
        "An activity photo",
        Public,
        &[],
    ),
    op(
        "get",
        "/api/openapi.json",
        "docs",
        "This document",
        Public,
        &[],
    ),
    op("get", "/api/docs", "docs", "Swagger UI", Public, &[]),
    op(
        "get",
        "/api/docs/{asset}",
        "docs",
        "Swagger UI files: swagger-ui-bundle.js, swagger-ui.css",
        Public,
        &[],
    ),
    op("get", "/api/redoc", "docs", "ReDoc", Public, &[]),
    op(
        "get",
        "/api/redoc/redoc.standalone.js",
        "docs",
        "ReDoc script",
        Public,
        &[],
    ),
];

fn operation(o: &Op) -> Value {
    let mut v = json!({
        "tags": [o.tag],
        "summary": o.summary,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {}}}},
            "default": {"description": "Error", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}
        }
    });
    match o.access {
        Public => {}
        User | Admin => {
            v["security"] = json!([{"cookie": []}, {"bearer": []}]);
        }
    }
    if matches!(o.access, Admin) {
        v["description"] = json!("Requires an admin account (403 `Admin required`).");
    }
    let params: Vec<Value> = o
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    if !params.is_empty() {
        v["parameters"] = Value::Array(params);
    }
    if !o.body.is_empty() {
        let props: Map<String, Value> = o
            .body
            .iter()
            .map(|(n, t, _)| ((*n).to_owned(), json!({"type": t})))
            .collect();
        let required: Vec<&str> = o.body.iter().filter(|f| f.2).map(|f| f.0).collect();
        v["requestBody"] = json!({"required": true, "content": {"application/json": {
            "schema": {"type": "object", "properties": props, "required": required}}}});
    }
    v
}

/// Build the document.
pub(crate) fn document() -> Value {
    let mut paths = Map::new();
    for o in OPERATIONS {
        let entry = paths
            .entry(o.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[o.method] = operation(o);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "bincio",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Accounts and activities API of bincio. Errors are {\"detail\": \"...\"}. A POST, PUT, PATCH or DELETE authenticated by the session cookie is refused (403 `Cross-site request refused`) when a browser sent it for another site (Sec-Fetch-Site cross-site or same-site, or a foreign Origin); Bearer clients are not affected."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "cookie": {"type": "apiKey", "in": "cookie", "name": "bincio_session"},
                "bearer": {"type": "http", "scheme": "bearer"}
            },
            "schemas": {
                "Error": {"type": "object", "properties": {"detail": {}}, "required": ["detail"]}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    //! [`OPERATIONS`] against the real router. The paths the router serves
    //! are read from the `.route("…", …)` calls of `routes/mod.rs` (the only
    //! place routes are registered, so handlers stay plain method chains);
    //! the methods on each path are asked of the router itself.

    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;

    use axum::body::Body;
    use axum::extract::{MatchedPath, Request};
    use axum::http::{header, Method, StatusCode};
    use axum::middleware::{self, Next};
    use axum::response::Response;
    use axum::Router;
    use bincio_core::accounts::Accounts;
    use bincio_core::activities::Activities;
    use bincio_core::{Clock, SystemClock};
    use bincio_store_sqlite::SqliteStore;
    use tower::ServiceExt;

    use super::OPERATIONS;
    use crate::{AppState, HttpConfig};

    /// The sources that build [`crate::router`]: `lib.rs` must add nothing,
    /// `routes/mod.rs` registers every route.
    const SOURCES: [(&str, &str); 2] = [
        ("lib.rs", include_str!("lib.rs")),
        ("routes/mod.rs", include_str!("routes/mod.rs")),
    ];

    /// Every path registered with `.route("…", …)`. Panics on anything this
    /// reading would miss, so a new way of adding routes fails here instead
    /// of escaping the check.
    fn router_paths() -> BTreeSet<&'static str> {
        let mut paths = BTreeSet::new();
        for (file, src) in SOURCES {
            // The web pages (`crate::web`, not API routes) are merged with
            // this router in `lib.rs`; nothing else may be.
            let src: &'static str = if file == "lib.rs" {
                Box::leak(
                    src.replacen(".merge(routes::router(", "", 1)
                        .into_boxed_str(),
                )
            } else {
                src
            };
            for call in [".nest(", ".nest_service(", ".merge(", ".route_service("] {
                assert!(
                    !src.contains(call),
                    "{file} uses `{call}`: teach openapi::tests to list those routes"
                );
            }
            for rest in src.split(".route(").skip(1) {
                let path = rest
                    .trim_start()
                    .strip_prefix('"')
                    .and_then(|r| r.split_once('"'))
                    .map(|(path, _)| path)
                    .filter(|path| path.starts_with('/'));
                let Some(path) = path else {
                    let head: String = rest.chars().take(60).collect();
                    panic!("{file}: `.route(` without a path literal: {head:?}");
                };
                paths.insert(path);
            }
        }
        assert!(
            !paths.is_empty(),
            "no `.route(\"…\"` found in routes/mod.rs"
        );
        paths
    }

    /// Documented methods by path (lowercase, as in [`OPERATIONS`]).
    fn documented() -> BTreeMap<&'static str, BTreeSet<String>> {
        let mut by_path: BTreeMap<_, BTreeSet<String>> = BTreeMap::new();
        for o in OPERATIONS {
            let fresh = by_path.entry(o.path).or_default().insert(o.method.into());
            assert!(fresh, "{} {} is listed twice", o.method, o.path);
        }
        by_path
    }

    /// The real router on a fresh SQLite store, with a layer that copies the
    /// route a request matched ([`MatchedPath`]) into the response. The
    /// app's 404 fallback matches no route, so a response without one is
    /// the router's own "not found", while a handler's 404 for a missing
    /// resource still carries it.
    fn app(dir: &tempfile::TempDir) -> Router {
        let store = Arc::new(SqliteStore::open(dir.path().join("instance.db")).expect("store"));
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let accounts = Accounts::new(store.clone(), clock.clone());
        let activities = Activities::new(store.clone(), store, clock);
        crate::router(AppState::new(accounts, activities, HttpConfig::default()))
            .layer(middleware::from_fn(record_matched_path))
    }

    async fn record_matched_path(req: Request, next: Next) -> Response {
        let matched = req.extensions().get::<MatchedPath>().cloned();
        let mut resp = next.run(req).await;
        if let Some(m) = matched {
            resp.extensions_mut().insert(m);
        }
        resp
    }

    /// Send `method` to `template` with every `{param}` filled in; returns
    /// the route matched (if any) and the response.
    async fn send(app: &Router, method: Method, template: &str) -> (Option<String>, Response) {
        let uri: Vec<&str> = template
            .split('/')
            .map(|seg| if seg.starts_with('{') { "probe" } else { seg })
            .collect();
        let req = Request::builder()
            .method(method)
            .uri(uri.join("/"))
            .body(Body::empty())
            .expect("request");
        let resp = app.clone().oneshot(req).await.expect("infallible");
        let matched = resp
            .extensions()
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_owned());
        (matched, resp)
    }

    #[test]
    fn documented_paths_are_the_routed_paths() {
        let routed = router_paths();
        let documented: BTreeSet<&str> = documented().into_keys().collect();
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty() && unrouted.is_empty(),
            "routed but not in OPERATIONS: {undocumented:?}; \
             in OPERATIONS but not routed: {unrouted:?}"
        );
    }

    /// A method the router serves on no path: the path's method router
    /// answers it with its 405 fallback, which lists in `Allow` every
    /// method routed there.
    #[tokio::test]
    async fn documented_methods_are_the_routed_methods() {
        let dir = tempfile::tempdir().expect("temp dir");
        let app = app(&dir);
        let probe = Method::from_bytes(b"PROBE").expect("method");
        let documented = documented();
        for path in router_paths() {
            let (matched, resp) = send(&app, probe.clone(), path).await;
            assert_eq!(matched.as_deref(), Some(path), "{path}: routed elsewhere");
            assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
            let allow = resp
                .headers()
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("{path}: 405 without Allow"));
            // `get` also routes HEAD, which OpenAPI leaves implicit.
            let routed: BTreeSet<String> = allow
                .split(',')
                .map(|m| m.trim().to_ascii_lowercase())
                .filter(|m| m != "head")
                .collect();
            let listed = documented.get(path).cloned().unwrap_or_default();
            assert_eq!(routed, listed, "{path}: routed vs documented methods");
        }
    }

    /// Every documented operation reaches a handler: the router neither
    /// falls back to "not found" (no matched route) nor to "method not
    /// allowed" (405 with `Allow`). Requests carry no credentials and no
    /// body, so handlers answer 4xx without side effects.
    #[tokio::test]
    async fn every_operation_reaches_a_handler() {
        let dir = tempfile::tempdir().expect("temp dir");
        let app = app(&dir);
        for o in OPERATIONS {
            let method =
                Method::from_bytes(o.method.to_ascii_uppercase().as_bytes()).expect("method");
            let (matched, resp) = send(&app, method, o.path).await;
            let what = format!("{} {}", o.method, o.path);
            assert_eq!(matched.as_deref(), Some(o.path), "{what}: not routed");
            assert!(
                resp.status() != StatusCode::METHOD_NOT_ALLOWED
                    && !resp.headers().contains_key(header::ALLOW),
                "{what}: method not routed ({})",
                resp.status()
            );
        }
    }
}
