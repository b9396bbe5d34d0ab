// Over 600 lines on purpose: one HTTP suite per file, its cases kept
// byte-identical across the issue-11 restructuring (the routes they pin are
// being retyped under them); split by route group once that has landed.

//! The accounts API through HTTP (`bincio.md` §2.2), one body per case run
//! on every backend.

#[macro_use]
mod support;

use axum::http::{Method, StatusCode};
use bincio_core::model::{NewUser, Role};
use bincio_http::HttpConfig;
use bincio_store_conformance::Backend;
use serde_json::json;
use support::http::{TestApp, T0};

fn proxied() -> HttpConfig {
    HttpConfig {
        trusted_proxy: true,
        ..HttpConfig::default()
    }
}

async fn register_with_invite_logs_in(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let code = app.invite(&admin).await;
    assert_eq!(code.len(), 8);
    let r = app
        .register(&code.to_lowercase(), "Bob", "bob-password")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json, json!({"ok": true, "handle": "bob"}));
    let cookie = r
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        cookie.contains("Max-Age=2592000") && !cookie.contains("Secure"),
        "{cookie}"
    );
    let token = r.session_cookie().unwrap();
    let me = app.get("/api/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        me.json,
        json!({"handle": "bob", "display_name": "bob", "is_admin": false, "role": "user",
               "store_originals_default": true, "dem_configured": false})
    );
    // The admin's invite list shows it used.
    let inv = app.get("/api/invites", Some(&admin)).await;
    assert_eq!(
        inv.json,
        json!([{"code": code, "used": true, "used_by": "bob", "created_at": T0, "used_at": T0}])
    );
}

async fn me_is_404_when_logged_out(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let r = app.get("/api/me", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json, json!({"detail": "Not logged in"}));
    let r = app.get("/api/me", Some("forged-token")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn invite_reuse_is_400(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let code = app.invite(&admin).await;
    assert_eq!(
        app.register(&code, "bob", "bob-password").await.status,
        StatusCode::OK
    );
    let r = app.register(&code, "carol", "carol-password").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json,
        json!({"detail": "Invalid or already used invite code"})
    );
    let r = app.register("NOSUCH00", "carol", "carol-password").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn register_validates_input(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let code = app.invite(&admin).await;
    for (handle, pw, status) in [
        ("../etc", "long-enough", StatusCode::BAD_REQUEST),
        ("-bob", "long-enough", StatusCode::BAD_REQUEST),
        ("bob", "short", StatusCode::BAD_REQUEST),
        ("admin", "long-enough", StatusCode::CONFLICT),
    ] {
        let r = app.register(&code, handle, pw).await;
        assert_eq!(r.status, status, "{handle}: {}", r.text);
        assert!(r.json["detail"].is_string());
    }
    // The invite survived the refused attempts.
    assert_eq!(
        app.register(&code, "bob", "long-enough").await.status,
        StatusCode::OK
    );
    let bad = app
        .send(
            Method::POST,
            "/api/register",
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.json["detail"].is_array());
}

async fn fourth_invite_of_a_user_is_400(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let code = app.invite(&admin).await;
    let bob = app
        .register(&code, "bob", "bob-password")
        .await
        .session_cookie()
        .unwrap();
    for _ in 0..3 {
        app.invite(&bob).await;
    }
    let r = app
        .json(Method::POST, "/api/invites", json!({}), Some(&bob))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json, json!({"detail": "Invite limit reached (3)"}));
    // Admins are unlimited.
    for _ in 0..5 {
        app.invite(&admin).await;
    }
    let list = app.get("/api/invites", Some(&bob)).await;
    assert_eq!(list.json.as_array().unwrap().len(), 3);
}

async fn max_users_reached_is_403(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    app.accounts.set_setting("max_users", "2").await.unwrap();
    let c1 = app.invite(&admin).await;
    let c2 = app.invite(&admin).await;
    assert_eq!(
        app.register(&c1, "bob", "bob-password").await.status,
        StatusCode::OK
    );
    let r = app.register(&c2, "carol", "carol-password").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.json,
        json!({"detail": "This instance has reached its user limit (2)"})
    );
}

async fn login_wrong_password_is_401(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    app.admin().await;
    for (h, p) in [
        ("admin", "wrong-password"),
        ("nobody", "whatever"),
        ("../x", "whatever"),
    ] {
        let r = app
            .json(
                Method::POST,
                "/api/auth/login",
                json!({"handle": h, "password": p}),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json, json!({"detail": "Invalid credentials"}));
        assert!(r.session_cookie().is_none());
    }
    // Handles are normalised like the original (strip + lower-case).
    let r = app
        .json(
            Method::POST,
            "/api/auth/login",
            json!({"handle": "  ADMIN ", "password": "admin-password"}),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json,
        json!({"ok": true, "handle": "admin", "display_name": "Admin"})
    );
}

async fn eleventh_failed_login_is_429_per_client(b: &dyn Backend) {
    let app = TestApp::with_config(b, proxied()).await;
    app.admin().await;
    let attempt = |ip: &'static str, pw: &'static str| {
        let app = &app;
        async move {
            app.send(
                Method::POST,
                "/api/auth/login",
                Some(json!({"handle": "admin", "password": pw})),
                &[("x-real-ip", ip)],
            )
            .await
            .status
        }
    };
    for _ in 0..10 {
        assert_eq!(
            attempt("10.0.0.1", "bad-password").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        attempt("10.0.0.1", "bad-password").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        attempt("10.0.0.1", "admin-password").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The token route shares the bucket.
    let r = app
        .send(
            Method::POST,
            "/api/auth/token",
            Some(json!({"handle": "admin", "password": "admin-password"})),
            &[("x-real-ip", "10.0.0.1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Another client still logs in; successes never count.
    for _ in 0..15 {
        assert_eq!(attempt("10.0.0.2", "admin-password").await, StatusCode::OK);
    }
    // The window passes.
    app.clock.advance(15 * 60);
    assert_eq!(attempt("10.0.0.1", "admin-password").await, StatusCode::OK);
}

/// Logins in order, each `(client ip, handle, password, expected status,
/// why)`; the ip travels in a trusted proxy header.
async fn expect_logins(app: &TestApp, steps: &[(&str, &str, &str, u16, &str)]) {
    for (ip, handle, password, status, why) in steps {
        let r = app
            .send(
                Method::POST,
                "/api/auth/login",
                Some(json!({"handle": handle, "password": password})),
                &[("x-real-ip", ip)],
            )
            .await;
        assert_eq!(r.status.as_u16(), *status, "{ip} {handle:?}: {why}");
    }
}

/// Failed logins lock one account for one client: not the account for
/// other clients, and not the client's other accounts (people behind one
/// NAT or proxy). Case and spaces in the handle do not make a fresh key.
async fn failed_logins_lock_one_account_for_one_client(b: &dyn Backend) {
    let app = TestApp::with_config(b, proxied()).await;
    app.admin_and_members(["alice", "bob"]).await;
    let guesses: Vec<_> = ["bob", "BOB", " Bob "]
        .into_iter()
        .cycle()
        .take(10)
        .map(|h| ("10.0.0.1", h, "guess-guess", 401, "a wrong guess"))
        .collect();
    expect_logins(&app, &guesses).await;
    expect_logins(
        &app,
        &[
            (
                "10.0.0.1",
                "bob",
                "bob-password",
                429,
                "locked for the guesser, right password included",
            ),
            (
                "10.0.0.1",
                "alice",
                "alice-password",
                200,
                "a neighbour behind the same address",
            ),
            ("10.0.0.2", "bob", "bob-password", 200, "bob from elsewhere"),
        ],
    )
    .await;
}

/// One client spraying guesses over many accounts: past its budget (50
/// failures) each account gets one guess per window from it.
async fn spraying_client_gets_one_guess_per_account(b: &dyn Backend) {
    let app = TestApp::with_config(b, proxied()).await;
    app.admin_and_members(["alice", "bob"]).await;
    let handles: Vec<String> = (0..bincio_core::ratelimit::LOGIN_PER_CLIENT)
        .map(|i| format!("user{i}"))
        .collect();
    let spray: Vec<_> = handles
        .iter()
        .map(|h| ("10.0.0.3", h.as_str(), "guess-guess", 401, "spraying"))
        .collect();
    expect_logins(&app, &spray).await;
    expect_logins(
        &app,
        &[
            (
                "10.0.0.3",
                "user0",
                "guess-guess",
                429,
                "failed once already",
            ),
            (
                "10.0.0.3",
                "alice",
                "alice-password",
                200,
                "a first try gets a true answer",
            ),
            ("10.0.0.3", "bob", "guess-guess", 401, "a first try"),
            (
                "10.0.0.3",
                "bob",
                "bob-password",
                429,
                "one guess per account",
            ),
            ("10.0.0.4", "bob", "bob-password", 200, "another client"),
        ],
    )
    .await;
    app.clock.advance(15 * 60);
    expect_logins(
        &app,
        &[("10.0.0.3", "bob", "bob-password", 200, "next window")],
    )
    .await;
}

async fn proxy_headers_ignored_without_trusted_proxy(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    app.admin().await;
    for i in 0..10 {
        let ip = format!("10.1.0.{i}");
        let r = app
            .send(
                Method::POST,
                "/api/auth/login",
                Some(json!({"handle": "admin", "password": "nope-nope"})),
                &[("x-real-ip", ip.as_str()), ("x-forwarded-for", ip.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app
        .send(
            Method::POST,
            "/api/auth/login",
            Some(json!({"handle": "admin", "password": "nope-nope"})),
            &[("x-real-ip", "10.9.9.9")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "spoofed header must not reset the limit"
    );
}

async fn register_rate_limit_counts_failures(b: &dyn Backend) {
    let app = TestApp::with_config(b, proxied()).await;
    let admin = app.admin().await;
    for _ in 0..5 {
        let r = app
            .send(
                Method::POST,
                "/api/register",
                Some(json!({"code": "GUESS000", "handle": "x", "password": "long-enough"})),
                &[("x-forwarded-for", "1.2.3.4, 10.0.0.7")],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    let code = app.invite(&admin).await;
    let r = app
        .send(
            Method::POST,
            "/api/register",
            Some(json!({"code": code, "handle": "x", "password": "long-enough"})),
            &[("x-forwarded-for", "9.9.9.9, 10.0.0.7")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "last XFF entry is the client"
    );
}

async fn reset_code_flow(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let code = app.invite(&admin).await;
    let bob = app
        .register(&code, "bob", "bob-password")
        .await
        .session_cookie()
        .unwrap();

    let issue = |who: &'static str| {
        let (app, admin) = (&app, admin.clone());
        let uri = format!("/api/admin/users/{who}/reset-password-code");
        async move { app.json(Method::POST, &uri, json!({}), Some(&admin)).await }
    };
    let r = issue("nobody").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = issue("bob").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["ok"], json!(true));
    assert_eq!(r.json["expires_in_hours"], json!(24));
    let rc = r.json["code"].as_str().unwrap().to_owned();

    let reset = |code: String, handle: &'static str, pw: &'static str| {
        let app = &app;
        async move {
            app.json(
                Method::POST,
                "/api/auth/reset-password",
                json!({"handle": handle, "code": code, "password": pw}),
                None,
            )
            .await
        }
    };
    // Bound to the handle.
    let r = reset(rc.clone(), "admin", "new-password-1").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json, json!({"detail": "Invalid or expired reset code"}));
    let r = reset(rc.clone(), "bob", "short").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = reset(format!(" {} ", rc.to_lowercase()), "bob", "new-password-1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json, json!({"ok": true}));
    // Sessions are revoked; the new password works; the code is spent.
    assert_eq!(
        app.get("/api/me", Some(&bob)).await.status,
        StatusCode::NOT_FOUND
    );
    app.login("bob", "new-password-1").await;
    let r = reset(rc.clone(), "bob", "new-password-2").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Expiry: 24 h.
    let rc2 = issue("bob").await.json["code"].as_str().unwrap().to_owned();
    app.clock.advance(24 * 3600);
    let r = reset(rc2, "bob", "new-password-3").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    app.login("bob", "new-password-1").await;
}

async fn password_change_revokes_other_sessions(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let code = app.invite(&admin).await;
    let s1 = app
        .register(&code, "bob", "bob-password")
        .await
        .session_cookie()
        .unwrap();
    let s2 = app.login("bob", "bob-password").await;
    let r = app
        .json(
            Method::PUT,
            "/api/me/password",
            json!({"current_password": "wrong-one", "new_password": "bob-password-2"}),
            Some(&s1),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .json(
            Method::PUT,
            "/api/me/password",
            json!({"current_password": "bob-password", "new_password": "short"}),
            Some(&s1),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .json(
            Method::PUT,
            "/api/me/password",
            json!({"current_password": "bob-password", "new_password": "bob-password-2"}),
            Some(&s1),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.get("/api/me", Some(&s1)).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/me", Some(&s2)).await.status,
        StatusCode::NOT_FOUND
    );
    let old = app
        .json(
            Method::POST,
            "/api/auth/login",
            json!({"handle": "bob", "password": "bob-password"}),
            None,
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    app.login("bob", "bob-password-2").await;
}

async fn admin_routes_are_403_for_non_admins(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let code = app.invite(&admin).await;
    let bob = app
        .register(&code, "bob", "bob-password")
        .await
        .session_cookie()
        .unwrap();
    for (m, uri) in [
        (Method::GET, "/api/admin/users"),
        (Method::GET, "/api/admin/jobs"),
        (Method::POST, "/api/admin/users/admin/reset-password-code"),
    ] {
        let r = app
            .send(
                m.clone(),
                uri,
                None,
                &[("cookie", &format!("bincio_session={bob}"))],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}");
        assert_eq!(r.json, json!({"detail": "Admin required"}));
        let r = app.send(m.clone(), uri, None, &[]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(r.json, json!({"detail": "Not authenticated"}));
    }
    let users = app.get("/api/admin/users", Some(&admin)).await;
    assert_eq!(
        users.json,
        json!([
            {"handle": "admin", "display_name": "Admin", "is_admin": true, "role": "admin", "created_at": T0},
            {"handle": "bob", "display_name": "bob", "is_admin": false, "role": "user", "created_at": T0},
        ])
    );
    let jobs = app.get("/api/admin/jobs", Some(&admin)).await;
    assert_eq!(jobs.json, json!([]));
}

async fn bcrypt_hash_login_upgrades(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let legacy = bcrypt::hash("legacy-password", 4).unwrap();
    assert!(legacy.starts_with("$2b$"));
    app.stores
        .users
        .create_user(NewUser {
            handle: "old".into(),
            display_name: "Old Timer".into(),
            password_hash: legacy.replacen("$2b$", "$2a$", 1),
            role: Role::User,
            created_at: 1_500_000_000,
        })
        .await
        .unwrap();
    let r = app
        .json(
            Method::POST,
            "/api/auth/login",
            json!({"handle": "old", "password": "wrong-password"}),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    app.login("old", "legacy-password").await;
    let stored = app
        .stores
        .users
        .get_user("old")
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    app.login("old", "legacy-password").await;
}

async fn bearer_token_for_mobile(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    app.admin().await;
    let r = app
        .json(
            Method::POST,
            "/api/auth/token",
            json!({"handle": "admin", "password": "admin-password"}),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.session_cookie().is_none(), "token route sets no cookie");
    let token = r.json["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    assert_eq!(r.json["handle"], json!("admin"));
    let bearer = format!("Bearer {token}");
    let me = app
        .send(Method::GET, "/api/me", None, &[("authorization", &bearer)])
        .await;
    assert_eq!(me.status, StatusCode::OK);
    // Logout with the bearer kills it.
    let out = app
        .send(
            Method::POST,
            "/api/auth/logout",
            None,
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(out.json, json!({"ok": true}));
    let me = app
        .send(Method::GET, "/api/me", None, &[("authorization", &bearer)])
        .await;
    assert_eq!(me.status, StatusCode::NOT_FOUND);
}

async fn logout_clears_cookie_and_session(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let r = app
        .json(Method::POST, "/api/auth/logout", json!({}), Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.session_cookie().as_deref(), Some(""));
    assert!(r
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(
        app.get("/api/me", Some(&admin)).await.status,
        StatusCode::NOT_FOUND
    );
    // Logged out already: still ok.
    let r = app
        .json(Method::POST, "/api/auth/logout", json!({}), None)
        .await;
    assert_eq!(r.json, json!({"ok": true}));
}

async fn sessions_expire_after_30_days(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    app.clock.advance(30 * 86_400 - 1);
    assert_eq!(
        app.get("/api/me", Some(&admin)).await.status,
        StatusCode::OK
    );
    app.clock.advance(1);
    assert_eq!(
        app.get("/api/me", Some(&admin)).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn secure_cookie_flag(b: &dyn Backend) {
    let app = TestApp::with_config(
        b,
        HttpConfig {
            secure_cookies: true,
            ..HttpConfig::default()
        },
    )
    .await;
    app.accounts
        .create_user("admin", "Admin", "admin-password", Role::Admin)
        .await
        .unwrap();
    let r = app
        .json(
            Method::POST,
            "/api/auth/login",
            json!({"handle": "admin", "password": "admin-password"}),
            None,
        )
        .await;
    let c = r.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(c.ends_with("; Secure"), "{c}");
}

async fn display_name_prefs_and_stats(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let code = app.invite(&admin).await;
    let bob = app
        .register(&code, "bob", "bob-password")
        .await
        .session_cookie()
        .unwrap();
    let r = app
        .json(
            Method::PUT,
            "/api/me/display-name",
            json!({"display_name": "  Bobby  "}),
            Some(&bob),
        )
        .await;
    assert_eq!(r.json, json!({"ok": true, "display_name": "Bobby"}));
    let r = app
        .json(
            Method::PUT,
            "/api/me/display-name",
            json!({"display_name": "x".repeat(61)}),
            Some(&bob),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .json(
            Method::PUT,
            "/api/me/display-name",
            json!({"display_name": ""}),
            Some(&bob),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let r = app
        .json(
            Method::PUT,
            "/api/me/prefs",
            json!({"nav_hide_feed": true, "n": 3, "s": "x"}),
            Some(&bob),
        )
        .await;
    assert_eq!(r.json, json!({"ok": true}));
    let r = app
        .json(
            Method::PUT,
            "/api/me/prefs",
            json!(["not", "object"]),
            Some(&bob),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app.get("/api/me/prefs", Some(&bob)).await;
    assert_eq!(r.json, json!({"n": "3", "nav_hide_feed": "true", "s": "x"}));
    assert_eq!(
        app.get("/api/me/prefs", None).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Private instance (default): stats only for members.
    assert_eq!(
        app.get("/api/stats", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.clock.advance(3 * 86_400);
    let r = app.get("/api/stats", Some(&bob)).await;
    assert_eq!(
        r.json,
        json!({"user_count": 2, "members": [
            {"handle": "admin", "display_name": "Admin", "member_since": T0, "member_for_days": 3, "invited_by": null},
            {"handle": "bob", "display_name": "", "member_since": T0, "member_for_days": 3, "invited_by": "admin"},
        ]})
    );
    app.accounts.set_setting("private", "false").await.unwrap();
    assert_eq!(app.get("/api/stats", None).await.status, StatusCode::OK);
}

async fn delete_account_needs_password(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let admin = app.admin().await;
    let code = app.invite(&admin).await;
    let bob = app
        .register(&code, "bob", "bob-password")
        .await
        .session_cookie()
        .unwrap();
    let r = app
        .json(
            Method::DELETE,
            "/api/me",
            json!({"password": "nope-nope"}),
            Some(&bob),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json, json!({"detail": "Wrong password"}));
    let r = app
        .json(
            Method::DELETE,
            "/api/me",
            json!({"password": "bob-password"}),
            Some(&bob),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json, json!({"ok": true}));
    assert_eq!(
        app.get("/api/me", Some(&bob)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .json(
            Method::POST,
            "/api/auth/login",
            json!({"handle": "bob", "password": "bob-password"}),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn concurrent_registrations_one_invite(b: &dyn Backend) {
    let app = std::sync::Arc::new(TestApp::with_config(b, proxied()).await);
    let admin = app.admin().await;
    let code = app.invite(&admin).await;
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let app = app.clone();
            let code = code.clone();
            tokio::spawn(async move {
                let ip = format!("10.2.{}.{}", i / 250, i % 250);
                app.send(
                    Method::POST,
                    "/api/register",
                    Some(json!({"code": code, "handle": format!("racer{i}"), "password": "race-password"})),
                    &[("x-real-ip", ip.as_str())],
                )
                .await
                .status
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let s = t.await.unwrap();
        if s == StatusCode::OK {
            ok += 1;
        } else {
            assert_eq!(s, StatusCode::BAD_REQUEST);
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(app.stores.users.count_users().await.unwrap(), 2);
}

async fn concurrent_registrations_never_exceed_max_users(b: &dyn Backend) {
    let app = std::sync::Arc::new(TestApp::with_config(b, proxied()).await);
    let admin = app.admin().await;
    app.accounts.set_setting("max_users", "4").await.unwrap();
    let mut codes = Vec::new();
    for _ in 0..20 {
        codes.push(app.invite(&admin).await);
    }
    let tasks: Vec<_> = codes
        .into_iter()
        .enumerate()
        .map(|(i, code)| {
            let app = app.clone();
            tokio::spawn(async move {
                let ip = format!("10.3.0.{i}");
                app.send(
                    Method::POST,
                    "/api/register",
                    Some(json!({"code": code, "handle": format!("u{i}"), "password": "race-password"})),
                    &[("x-real-ip", ip.as_str())],
                )
                .await
                .status
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let s = t.await.unwrap();
        if s == StatusCode::OK {
            ok += 1;
        } else {
            assert_eq!(s, StatusCode::FORBIDDEN);
        }
    }
    assert_eq!(ok, 3);
    assert_eq!(app.stores.users.count_users().await.unwrap(), 4);
}

async fn setup_code_creates_first_admin(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let keys_dir = tempfile::tempdir().unwrap();
    let keys = bincio_core::sync::seal::KeyRing::in_data_dir(keys_dir.path());
    let code = app.accounts.issue_setup_code(&keys).await.unwrap().unwrap();
    // Every process sharing the store and the key file (and a restart)
    // answers the same code: it is minted once.
    let other = bincio_core::accounts::Accounts::new(app.stores.users.clone(), app.clock.clone());
    let same = bincio_core::sync::seal::KeyRing::in_data_dir(keys_dir.path());
    assert_eq!(
        other.issue_setup_code(&same).await.unwrap(),
        Some(code.clone())
    );
    // A process with another key file cannot read it and says so, without
    // replacing it.
    let foreign_dir = tempfile::tempdir().unwrap();
    let foreign = bincio_core::sync::seal::KeyRing::in_data_dir(foreign_dir.path());
    let e = other.issue_setup_code(&foreign).await.unwrap_err();
    assert!(
        matches!(&e, bincio_core::CoreError::Conflict(m) if m.contains("key file") && m.contains("bincio init")),
        "{e}"
    );
    assert!(
        !app.stores
            .users
            .list_settings()
            .await
            .unwrap()
            .values()
            .any(|v| v.contains(&code)),
        "no plain code in the store"
    );
    let r = app.register(&code, "root", "root-password").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let me = app.get("/api/me", r.session_cookie().as_deref()).await;
    assert_eq!(me.json["is_admin"], json!(true));
    let again = app.register(&code, "root2", "root-password").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(app
        .accounts
        .issue_setup_code(&keys)
        .await
        .unwrap()
        .is_none());
    let left = app.stores.users.list_settings().await.unwrap();
    assert!(
        !left.contains_key(bincio_core::accounts::SETUP_CODE_SEALED_SETTING),
        "spent: the sealed copy goes too"
    );
}

async fn unknown_routes_answer_json(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let r = app.get("/api/nope", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json, json!({"detail": "Not Found"}));
    let r = app.send(Method::DELETE, "/api/register", None, &[]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.json, json!({"detail": "Method Not Allowed"}));
    let h = app.get("/healthz", None).await;
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(h.json["ok"], json!(true));
}

async fn api_docs_are_served_offline(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let doc = app.get("/api/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.json["openapi"], json!("3.1.0"));
    for (path, method) in [
        ("/api/register", "post"),
        ("/api/auth/login", "post"),
        ("/api/me/prefs", "put"),
        ("/api/admin/users/{handle}/reset-password-code", "post"),
        ("/api/admin/jobs", "get"),
    ] {
        assert!(
            doc.json["paths"][path][method].is_object(),
            "{method} {path}"
        );
    }
    for page in ["/api/docs", "/api/redoc"] {
        let r = app.get(page, None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.text.contains("/api/openapi.json"));
        assert!(!r.text.contains("https://"), "no CDN links in {page}");
    }
    for asset in [
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/swagger-ui.css",
        "/api/redoc/redoc.standalone.js",
    ] {
        let r = app.get(asset, None).await;
        assert_eq!(r.status, StatusCode::OK, "{asset}");
        assert!(r.text.len() > 100_000, "{asset}");
    }
}

/// Every case above, once per backend (one list, so no backend misses one).
macro_rules! http_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            register_with_invite_logs_in,
            me_is_404_when_logged_out,
            invite_reuse_is_400,
            register_validates_input,
            fourth_invite_of_a_user_is_400,
            max_users_reached_is_403,
            login_wrong_password_is_401,
            eleventh_failed_login_is_429_per_client,
            failed_logins_lock_one_account_for_one_client,
            spraying_client_gets_one_guess_per_account,
            proxy_headers_ignored_without_trusted_proxy,
            register_rate_limit_counts_failures,
            reset_code_flow,
            password_change_revokes_other_sessions,
            admin_routes_are_403_for_non_admins,
            bcrypt_hash_login_upgrades,
            bearer_token_for_mobile,
            logout_clears_cookie_and_session,
            sessions_expire_after_30_days,
            secure_cookie_flag,
            display_name_prefs_and_stats,
            delete_account_needs_password,
            concurrent_registrations_one_invite,
            concurrent_registrations_never_exceed_max_users,
            setup_code_creates_first_admin,
            unknown_routes_answer_json,
            api_docs_are_served_offline,
        );
    };
}

mod sqlite {
    http_cases!(crate::support::Sqlite);
}

/// Proxy headers while `--trusted-proxy` is off: one warning, at the first
/// such request. (No store involved: SQLite only; a current-thread runtime
/// so the test's log collector sees the handler's events.)
#[tokio::test(flavor = "current_thread")]
async fn untrusted_proxy_headers_warn_once() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Log {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let log = Log::default();
    let writer = log.clone();
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish(),
    );
    let app = TestApp::new(&support::Sqlite).await;
    let warnings = || {
        String::from_utf8_lossy(&log.0.lock().unwrap())
            .matches("--trusted-proxy is off")
            .count()
    };
    app.get("/healthz", None).await;
    assert_eq!(warnings(), 0, "no proxy headers, no warning");
    for h in ["x-forwarded-for", "x-real-ip", "x-forwarded-for"] {
        app.send(Method::GET, "/healthz", None, &[(h, "203.0.113.9")])
            .await;
    }
    assert_eq!(warnings(), 1, "warned once");
    // Trusted: never.
    let trusted = TestApp::with_config(&support::Sqlite, proxied()).await;
    trusted
        .send(
            Method::GET,
            "/healthz",
            None,
            &[("x-real-ip", "203.0.113.9")],
        )
        .await;
    assert_eq!(warnings(), 1);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    http_cases!(crate::mongo_backend!());
}
