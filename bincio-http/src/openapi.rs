//! The OpenAPI 3.1 document served at `/api/openapi.json`, **derived** from
//! the handlers and types: every route is registered through
//! `utoipa_axum::routes!`, which reads the handler's `#[utoipa::path]`
//! (method, path, parameters, bodies, responses) and registers the handler
//! on the router in the same call, so a route cannot be served without
//! being documented (the tests in `tests/openapi.rs` walk the real routers
//! to make sure), and every body schema comes from the Rust type that is
//! serialised (`#[derive(ToSchema)]` next to `#[derive(Serialize)]`).
//!
//! Why utoipa + utoipa-axum rather than aide:
//! * the documentation sits on the handler as one attribute, including the
//!   error statuses and their bodies — aide infers operations from the
//!   extractor and return types, which needs an `OperationInput` /
//!   `OperationOutput` impl for every custom extractor (`AuthUser`,
//!   `ApiJson`, CCIP's `Params` / `Fields` / `Segment`) and still cannot
//!   see that `ApiResult<Json<T>>` answers 401 / 404 with `{"detail"}`;
//! * the CCIP handlers answer hand-written bytes (`event::wire`), which
//!   have no Rust type to infer from: utoipa documents them from the
//!   schema types of `ccip::schema`, aide would need a wrapper type per
//!   response;
//! * utoipa-axum's `OpenApiRouter` keeps plain axum handlers and
//!   `axum::Router` (the routers stay mergeable into an embedding app);
//! * utoipa 5 / utoipa-axum 0.2 support axum 0.8 on our MSRV (1.85), while
//!   aide's axum-0.8 line is still pre-release and utoipa 6 needs 1.88.
//!
//! The document covers both routers: the app's ([`crate::router`]) and the
//! CCIP one ([`crate::ccip::router`], served by `bincio serve --event`).
//! Errors: `{"detail": …}` ([`ErrorBody`]) on the app's routes, CS's
//! `{"message": …}` on the CCIP ones; every operation also has a `default`
//! response in its router's error shape.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, RefOr, Response, ResponseBuilder};
use utoipa::OpenApi;

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "bincio",
        description = "Accounts, activities and event check-in (CCIP / OPass) API of bincio.\n\n\
            Errors of the accounts and activities routes are `{\"detail\": \"...\"}` (422 body \
            parse errors: a list of `{loc, msg, type}`); errors of the CCIP routes are CS's \
            `{\"message\": \"...\"}`. A POST, PUT, PATCH or DELETE authenticated by the session \
            cookie is refused (403 `Cross-site request refused`) when a browser sent it for \
            another site (Sec-Fetch-Site cross-site or same-site, or a foreign Origin); Bearer \
            clients are not affected. The CCIP routes are served by `bincio serve --event DIR`.",
    ),
    tags(
        (name = "auth", description = "Sign in, sign out, register, reset a password"),
        (name = "accounts", description = "The signed-in account, invites, community stats"),
        (name = "admin", description = "Admin only (403 `Admin required`)"),
        (name = "activities", description = "The owner's activities"),
        (name = "images", description = "Photos of the owner's activities"),
        (name = "storage", description = "The owner's storage"),
        (name = "athlete", description = "The owner's athlete config and `athlete.json`"),
        (name = "uploads", description = "Activity files in (progress as server-sent events)"),
        (name = "sources", description = "Activities that arrive by themselves: the drop folder, \
            the history of sync runs"),
        (name = "strava", description = "Strava sync: connect (OAuth), sync (progress as \
            server-sent events), reset, disconnect, the member's own app credentials"),
        (name = "data", description = "The live BAS tree, privacy applied per viewer"),
        (name = "health", description = "Liveness"),
        (name = "docs", description = "This document and its viewers"),
        (name = "ccip", description = "CCIP / OPass check-in (contract `ccip.md`): CS's exact \
            bodies and `{\"message\"}` errors"),
    ),
    components(schemas(ErrorBody, crate::ccip::schema::Message)),
)]
struct ApiDoc;

/// The whole document: both routers, security schemes, default errors.
pub fn document() -> Document {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::routes::api().into_openapi());
    doc.merge(crate::ccip::api().into_openapi());
    add_security_schemes(&mut doc);
    add_default_errors(&mut doc);
    doc
}

fn add_security_schemes(doc: &mut Document) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "cookie",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::auth::SESSION_COOKIE,
            "Session cookie set by `/api/auth/login` and `/api/register`",
        ))),
    );
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("A token from `/api/auth/token` (mobile clients)"))
                .build(),
        ),
    );
    components.add_security_scheme(
        "ccip",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "ccip",
            "The event's staff key (CCIP staff tools)",
        ))),
    );
}

fn error_response(schema: &str, description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    schema,
                ))))
                .build(),
        )
        .build()
        .into()
}

/// Every operation gets a `default` response in its router's error shape;
/// a secured one, and every read of the live tree (`data`: a private
/// instance refuses anonymous viewers), its 401. (CCIP's staff refusal is
/// 403 `staff only`, documented on each staff route.)
fn add_default_errors(doc: &mut Document) {
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for op in ops.into_iter().flatten() {
            let ccip = op
                .tags
                .as_ref()
                .is_some_and(|t| t.iter().any(|t| t == "ccip"));
            let responses = &mut op.responses.responses;
            if ccip {
                responses
                    .entry("default".into())
                    .or_insert_with(|| error_response("Message", "Any other error"));
                continue;
            }
            let data = op
                .tags
                .as_ref()
                .is_some_and(|t| t.iter().any(|t| t == "data"));
            if data {
                responses.entry("401".into()).or_insert_with(|| {
                    error_response(
                        "ErrorBody",
                        "`Not authenticated`: an anonymous viewer of a private instance",
                    )
                });
            }
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                responses.entry("401".into()).or_insert_with(|| {
                    error_response("ErrorBody", "`Not authenticated`: no live session")
                });
            }
            responses
                .entry("default".into())
                .or_insert_with(|| error_response("ErrorBody", "Any other error"));
        }
    }
}
