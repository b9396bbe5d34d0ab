//! The OpenAPI 3.1 document served at `/api/openapi.json`, generated from
//! one route table ([`OPERATIONS`]). A test checks that every route of the
//! router appears here, so the document cannot silently drift.

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

/// Every operation of the accounts API.
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
        "Delete a photo",
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
    op("get", "/api/redoc", "docs", "ReDoc", Public, &[]),
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
            "description": "Accounts and activities API of bincio. Errors are {\"detail\": \"...\"}."
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
