//! Cross-site requests that ride on the session cookie are refused (403 in
//! the route's own error format) and change nothing; the same request
//! same-origin works, and Bearer tokens and the `ccip` staff header are
//! never refused that way. One body per case, run on every backend.

use support::ccip as ccip_common;
#[macro_use]
mod support;

use axum::http::{Method, StatusCode};
use bincio_core::model::Role;
use bincio_http::HttpConfig;
use bincio_store_conformance::Backend;
use ccip_common::{public, CcipApp, ADA, GRACE, STAFF_KEY};
use serde_json::{json, Value};
use support::http::TestApp;

const HOST: (&str, &str) = ("host", "bincio.example");

/// The ways another site's page makes a browser send a request.
fn cross_site() -> [Vec<(&'static str, &'static str)>; 4] {
    [
        vec![HOST, ("origin", "https://evil.example")],
        vec![HOST, ("sec-fetch-site", "cross-site")],
        vec![HOST, ("sec-fetch-site", "same-site")],
        vec![
            HOST,
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
    ]
}

/// The ways this site's own pages (or the user) send it.
fn same_origin() -> [Vec<(&'static str, &'static str)>; 3] {
    [
        vec![HOST, ("origin", "https://bincio.example")],
        vec![HOST, ("sec-fetch-site", "same-origin")],
        vec![HOST, ("sec-fetch-site", "none")],
    ]
}

fn with<'a>(extra: &[(&'a str, &'a str)], auth: (&'a str, &'a str)) -> Vec<(&'a str, &'a str)> {
    let mut h = extra.to_vec();
    h.push(auth);
    h
}

impl TestApp {
    async fn post_with(
        &self,
        uri: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> support::http::Resp {
        self.send(Method::POST, uri, Some(body), headers).await
    }
}

async fn api_invites_refused_cross_site(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let cookie = format!("bincio_session={admin}");
    for h in cross_site() {
        let r = app
            .post_with("/api/invites", json!({}), &with(&h, ("cookie", &cookie)))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{h:?}: {}", r.text);
        assert_eq!(r.json, json!({"detail": "Cross-site request refused"}));
    }
    assert_eq!(
        app.get("/api/invites", Some(&admin)).await.json,
        json!([]),
        "no invite was made"
    );
    for h in same_origin() {
        let r = app
            .post_with("/api/invites", json!({}), &with(&h, ("cookie", &cookie)))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{h:?}: {}", r.text);
    }
    // A Bearer client (no cookie) is never refused for its headers.
    let bearer = app.bearer("admin", "admin-password").await;
    for h in cross_site() {
        let r = app
            .post_with(
                "/api/invites",
                json!({}),
                &with(&h, ("authorization", &bearer)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "bearer {h:?}: {}", r.text);
    }
    // No cookie at all: the check does not apply (the route's own 401).
    let r = app
        .post_with("/api/invites", json!({}), &cross_site()[0])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/invites", Some(&admin))
            .await
            .json
            .as_array()
            .map(Vec::len),
        Some(same_origin().len() + cross_site().len())
    );
    // A cross-site PUT and DELETE are refused too, and change nothing.
    for (m, uri, body) in [
        (
            Method::PUT,
            "/api/me/display-name",
            json!({"display_name": "Pwned"}),
        ),
        (
            Method::DELETE,
            "/api/me",
            json!({"password": "admin-password"}),
        ),
    ] {
        let hs = with(&cross_site()[0], ("cookie", &cookie));
        let r = app.send(m.clone(), uri, Some(body), &hs).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{m} {uri}");
    }
    let me = app.get("/api/me", Some(&admin)).await;
    assert_eq!(me.json["display_name"], json!("Admin"));
}

async fn api_reset_code_refused_cross_site(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let (admin, _) = app.admin_and_members(["alice"]).await;
    let cookie = format!("bincio_session={admin}");
    let uri = "/api/admin/users/alice/reset-password-code";
    // A code issued from the admin's own page …
    let r = app
        .post_with(
            uri,
            json!({}),
            &with(&same_origin()[1], ("cookie", &cookie)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let code = r.json["code"].as_str().expect("code").to_owned();
    // … survives forged requests (issuing a new code would replace it).
    for h in cross_site() {
        let r = app
            .post_with(uri, json!({}), &with(&h, ("cookie", &cookie)))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{h:?}");
        assert_eq!(r.json, json!({"detail": "Cross-site request refused"}));
    }
    let r = app
        .json(
            Method::POST,
            "/api/auth/reset-password",
            json!({"handle": "alice", "code": code, "password": "new-alice-password"}),
            None,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the first code still works: {}",
        r.text
    );
}

/// Behind a proxy that rewrites `Host`, the public URL's origin is this
/// site.
async fn api_public_url_origin_is_same_site(b: &dyn Backend) {
    let app = TestApp::with_config(
        b,
        HttpConfig {
            public_url: Some("https://bincio.example".into()),
            ..HttpConfig::default()
        },
    )
    .await;
    let admin = app.admin().await;
    let cookie = format!("bincio_session={admin}");
    let proxied = [("host", "127.0.0.1:4041"), ("cookie", cookie.as_str())];
    for (origin, status) in [
        ("https://bincio.example", StatusCode::OK),
        ("https://evil.example", StatusCode::FORBIDDEN),
    ] {
        let hs = with(&proxied, ("origin", origin));
        let r = app.post_with("/api/invites", json!({}), &hs).await;
        assert_eq!(r.status, status, "{origin}: {}", r.text);
    }
}

/// `(valid, coupon)` of an attendee's bucket.
async fn bucket_state(app: &CcipApp, token: &str) -> (Value, Value) {
    let v = app
        .get(&format!("/event/puzzle?token={}", public(token)))
        .await
        .ok()
        .clone();
    (v["valid"].clone(), v["coupon"].clone())
}

async fn ccip_staff_session_refused_cross_site(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    app.status(ADA).await; // creates Ada's bucket
    app.status(GRACE).await;
    let staff = app.account("crew", Role::Staff).await;
    let cookie = format!("bincio_session={staff}");
    let untouched = bucket_state(&app, ADA).await;
    assert_eq!(untouched, (Value::Null, Value::Null));
    let form = "msg_en=forged&role[]=audience";
    let refused = json!({"message": "cross-site request refused"});
    for h in cross_site() {
        let hs = with(&h, ("cookie", &cookie));
        let r = app.post_form("/announcement", form, &hs).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{h:?}: {}", r.text);
        assert_eq!(r.json, refused);
        for (m, route) in [
            (Method::GET, "revoke"),
            (Method::POST, "revoke"),
            (Method::GET, "coupon"),
            (Method::PUT, "coupon"),
        ] {
            let uri = format!("/event/puzzle/{route}?token={ADA}");
            let r = app.send(m.clone(), &uri, None, &hs).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{m} {uri} {h:?}");
            assert_eq!(r.json, refused);
        }
    }
    assert_eq!(app.get("/announcement").await.text, "[]", "nothing posted");
    assert_eq!(bucket_state(&app, ADA).await, untouched, "nothing revoked");

    // Same-origin with the cookie: works.
    let hs = with(&same_origin()[1], ("cookie", &cookie));
    app.post_form("/announcement", "msg_en=same-origin&role[]=audience", &hs)
        .await
        .ok();
    app.send(
        Method::GET,
        &format!("/event/puzzle/coupon?token={ADA}"),
        None,
        &hs,
    )
    .await
    .ok();
    assert_eq!(bucket_state(&app, ADA).await.1, json!(ccip_common::MORNING));
    // The staff tools' `ccip` header and Bearer tokens: never refused.
    let bearer = format!("Bearer {staff}");
    for auth in [("ccip", STAFF_KEY), ("authorization", bearer.as_str())] {
        for h in cross_site() {
            let hs = with(&h, auth);
            app.post_form("/announcement", "msg_en=tool&role[]=audience", &hs)
                .await
                .ok();
            app.send(
                Method::GET,
                &format!("/event/puzzle/revoke?token={GRACE}"),
                None,
                &hs,
            )
            .await
            .ok();
        }
    }
    assert_eq!(
        bucket_state(&app, GRACE).await.0,
        json!(ccip_common::MORNING)
    );
    let list = app.get("/announcement").await;
    assert_eq!(
        list.ok().as_array().map(Vec::len),
        Some(1 + 2 * cross_site().len())
    );
}

/// Every case above, once per backend (one list, so no backend misses one).
macro_rules! cross_site_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            api_invites_refused_cross_site,
            api_reset_code_refused_cross_site,
            api_public_url_origin_is_same_site,
            ccip_staff_session_refused_cross_site,
        );
    };
}

mod sqlite {
    cross_site_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    cross_site_cases!(crate::mongo_backend!());
}
