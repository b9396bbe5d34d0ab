//! The web pages over plain HTTP (no browser), each case on SQLite and on
//! MongoDB: who may open which page on a private and a public instance,
//! the security headers, cross-site and token-less posts refused with
//! nothing changed, user text escaped, errors in words (rate limit with
//! the wait, codes, handle taken, user limit), and the set-up link.

mod web_support;

use axum::http::{Method, StatusCode};
use bincio_core::accounts::settings;
use bincio_core::model::Role;
use web_support::{Backend, Client, Page, PW};

fn assert_page_headers(p: &Page, what: &str) {
    let csp = p
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{what}: no CSP"));
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{what}: {csp}"
    );
    assert!(
        p.header_is("x-content-type-options", "nosniff"),
        "{what}: nosniff"
    );
}

/// Status of every page for anonymous, member and admin, on a private and
/// a public instance; every HTML answer carries the CSP and `nosniff`.
async fn page_access_matrix(b: Backend) {
    let app = app!(b);
    app.user("root", Role::Admin).await;
    app.user("bob", Role::User).await;
    let login = |next: &str| {
        format!(
            "/login/?next={}",
            next.replace('/', "%2F")
                .replace('?', "%3F")
                .replace('=', "%3D")
        )
    };
    for private in [true, false] {
        app.set(settings::PRIVATE, &private.to_string()).await;
        let mut anon = app.client();
        let mut member = app.logged_in("bob").await;
        let mut admin = app.logged_in("root").await;
        // (path, anonymous, member, admin); 0 = "redirect to log in".
        let rows: &[(&str, u16, u16, u16)] = &[
            ("/", if private { 0 } else { 200 }, 200, 200),
            ("/login/", 200, 303, 303),
            ("/register/?code=ABCD", 200, 200, 200),
            ("/reset-password/?code=A&handle=bob", 200, 200, 200),
            ("/setup/", 200, 200, 200),
            ("/logout", 303, 200, 200),
            ("/invites/", 0, 200, 200),
            ("/settings/", 0, 200, 200),
            ("/admin/", 0, 403, 200),
            ("/admin/jobs/", 0, 403, 200),
            ("/admin/users/bob/", 0, 403, 200),
            ("/admin/users/nobody/", 0, 403, 404),
            ("/no-such-page", if private { 0 } else { 404 }, 404, 404),
        ];
        for &(path, a, m, ad) in rows {
            for (who, client, want) in [
                ("anonymous", &mut anon, a),
                ("member", &mut member, m),
                ("admin", &mut admin, ad),
            ] {
                let p = client.get(path).await;
                let what = format!("private={private} {who} GET {path}");
                if want == 0 {
                    assert_eq!(p.status, StatusCode::SEE_OTHER, "{what}: {}", p.body);
                    assert_eq!(p.location(), login(path), "{what}");
                } else {
                    assert_eq!(p.status.as_u16(), want, "{what}: {}", p.body);
                }
                if p.status != StatusCode::SEE_OTHER {
                    assert_page_headers(&p, &what);
                    assert!(p.body.starts_with("<!doctype html>"), "{what}: {}", p.body);
                }
            }
        }
        // The JSON API keeps its JSON errors, and so does any path asked
        // for by a program (no `text/html` in `Accept`).
        let p = anon.get("/api/no-such-route").await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
        assert_eq!(p.body, r#"{"detail":"Not Found"}"#);
        let p = anon.get("/status/").await;
        assert!(p.body.starts_with('{'), "CCIP path stays JSON: {p:?}");
        for path in ["/no-such-page", "/status"] {
            let p = anon
                .send(Method::GET, path, None, &[("accept", "application/json")])
                .await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
            assert!(p.body.starts_with('{'), "{path}: {}", p.body);
        }
        // A wrong method on a page is the HTML 405 page.
        let p = member.send(Method::DELETE, "/settings/", None, &[]).await;
        assert_eq!(p.status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(p.body.contains("<!doctype html>"));
    }
}

/// Every form, posted cross-site (with a valid token) or without its token,
/// is refused with 403 and changes nothing.
async fn cross_site_and_tokenless_posts_change_nothing(b: Backend) {
    let app = app!(b);
    app.user("root", Role::Admin).await;
    app.user("bob", Role::User).await;
    let mut admin = app.logged_in("root").await;
    let token = admin.get("/settings/").await.csrf();
    let anon_token = app.client().get("/login/").await.csrf();
    let forms: &[(&str, &[(&str, &str)])] = &[
        ("/login/", &[("handle", "root"), ("password", PW)]),
        (
            "/register/",
            &[
                ("code", "XXXX"),
                ("handle", "eve"),
                ("password", PW),
                ("password_confirm", PW),
            ],
        ),
        (
            "/setup/",
            &[
                ("code", "XXXX"),
                ("handle", "eve"),
                ("password", PW),
                ("password_confirm", PW),
            ],
        ),
        (
            "/reset-password/",
            &[
                ("handle", "bob"),
                ("code", "XXXX"),
                ("password", PW),
                ("password_confirm", PW),
            ],
        ),
        ("/logout", &[]),
        ("/invites/", &[]),
        ("/settings/profile", &[("display_name", "Hacked")]),
        (
            "/settings/password",
            &[
                ("current_password", PW),
                ("password", "hacked-password"),
                ("password_confirm", "hacked-password"),
            ],
        ),
        ("/settings/preferences", &[("units", "imperial")]),
        ("/settings/delete-originals", &[("password", PW)]),
        ("/settings/delete-activities", &[("password", PW)]),
        (
            "/admin/settings",
            &[("instance_name", "Hacked"), ("max_users", "1")],
        ),
        ("/admin/users/bob/reset-code", &[]),
        ("/admin/users/bob/role", &[("role", "admin")]),
        ("/admin/users/bob/wipe", &[("confirm", "bob")]),
        ("/admin/users/bob/delete", &[("confirm", "bob")]),
        ("/settings/delete-account", &[("password", PW)]),
        ("/theme", &[("theme", "dark"), ("back", "/")]),
        ("/lang", &[("lang", "it"), ("back", "/")]),
    ];
    let cross: &[&[(&str, &str)]] = &[
        &[("sec-fetch-site", "cross-site")],
        &[("sec-fetch-site", "same-site")],
        &[("origin", "https://evil.example")],
        &[("origin", "null")],
    ];
    for (action, fields) in forms {
        for headers in cross {
            for (tok, client) in [(&token, &mut admin), (&anon_token, &mut app.client())] {
                let mut all = vec![("csrf", tok.as_str())];
                all.extend_from_slice(fields);
                let p = client.post(action, &all, headers).await;
                assert_eq!(
                    p.status,
                    StatusCode::FORBIDDEN,
                    "{action} {headers:?}: {}",
                    p.body
                );
                assert!(p.body.contains("another web site"), "{action}: {}", p.body);
                assert!(p
                    .headers
                    .get("set-cookie")
                    .is_none_or(|c| !c.to_str().unwrap_or("").starts_with("bincio_session")));
            }
        }
        for tok in ["", "0000", &anon_token] {
            let mut all = if tok.is_empty() {
                vec![]
            } else {
                vec![("csrf", tok)]
            };
            all.extend_from_slice(fields);
            let p = admin.post(action, &all, &[]).await;
            assert_eq!(
                p.status,
                StatusCode::FORBIDDEN,
                "{action} token {tok:?}: {}",
                p.body
            );
            assert!(
                p.body.contains("This form has expired"),
                "{action}: {}",
                p.body
            );
        }
    }
    // Nothing changed.
    let root = app.accounts.require_user("root").await.unwrap();
    assert_eq!(root.display_name, "");
    let bob = app.accounts.require_user("bob").await.unwrap();
    assert_eq!(bob.role, Role::User);
    assert!(app.accounts.list_invites(&root).await.unwrap().is_empty());
    assert!(app.accounts.prefs(&root).await.unwrap().is_empty());
    let s = app.accounts.settings().await.unwrap();
    assert_eq!(
        (s.instance_name.as_str(), s.max_users),
        ("BincioActivity", None)
    );
    assert!(app.accounts.check_password("root", PW).await.is_ok());
    assert!(app.accounts.check_password("bob", PW).await.is_ok());
    assert_eq!(
        admin.get("/settings/").await.status,
        StatusCode::OK,
        "still logged in"
    );
    // The same form with its token and from this site works.
    let p = admin
        .submit(
            "/settings/",
            "/settings/profile",
            &[("display_name", "Root")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = admin
        .post(
            "/settings/profile",
            &[("csrf", &token), ("display_name", "Root 2")],
            &[
                ("sec-fetch-site", "same-origin"),
                ("origin", "http://bincio.test"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
}

/// A display name with markup is shown as text on every page that shows it.
async fn user_text_is_escaped_everywhere(b: Backend) {
    let app = app!(b);
    app.user("root", Role::Admin).await;
    let mut admin = app.logged_in("root").await;
    let evil = "<script>alert(1)</script>\"'&";
    let code = app
        .accounts
        .create_invite(&app.accounts.require_user("root").await.unwrap())
        .await
        .unwrap()
        .code;
    let mut eve = app.client();
    let p = eve
        .submit(
            "/register/",
            "/register/",
            &[
                ("code", &code),
                ("handle", "eve"),
                ("display_name", evil),
                ("password", PW),
                ("password_confirm", PW),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let escaped = "&#60;script&#62;alert(1)&#60;/script&#62;";
    for (as_admin, path) in [
        (false, "/"),
        (false, "/settings/"),
        (true, "/admin/"),
        (true, "/admin/users/eve/"),
        (true, "/admin/?q=script"),
    ] {
        let client = if as_admin { &mut admin } else { &mut eve };
        let p = client.get(path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}");
        assert!(
            !p.body.contains("<script>alert"),
            "{path} shows raw markup:\n{}",
            p.body
        );
        assert!(
            p.body.contains(escaped) || p.body.contains("&lt;script&gt;"),
            "{path} lacks the escaped name:\n{}",
            p.body
        );
    }
    // Markup in a handle is refused in words, and shown escaped in the form.
    let mut mallory = app.client();
    let p = mallory
        .submit(
            "/register/",
            "/register/",
            &[
                ("code", &code),
                ("handle", "<b>x</b>"),
                ("password", PW),
                ("password_confirm", PW),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(
        p.body.contains("Handle must be 1-30 characters"),
        "{}",
        p.body
    );
    assert!(!p.body.contains("<b>x</b>"));
}

/// Log-in under the attempt limit: the page keeps working, says when to
/// retry, refuses even the right password meanwhile, and another account
/// still logs in from the same address.
async fn login_rate_limit_says_when(b: Backend) {
    let app = app!(b);
    app.user("bob", Role::User).await;
    app.user("carol", Role::User).await;
    let mut c = app.client();
    for _ in 0..bincio_core::ratelimit::LOGIN_PER_ACCOUNT {
        let p = c
            .submit(
                "/login/",
                "/login/",
                &[("handle", "bob"), ("password", "wrong-password")],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
        assert!(p.body.contains("Wrong handle or password."), "{}", p.body);
        assert!(p.body.contains("value=\"bob\""), "the handle is kept");
    }
    let p = c
        .submit("/login/", "/login/", &[("handle", "bob"), ("password", PW)])
        .await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS, "{}", p.body);
    assert!(
        p.body
            .contains("Too many attempts. Try again in 15 minutes."),
        "{}",
        p.body
    );
    assert!(
        p.body.contains("action=\"/login/\""),
        "the form is still there"
    );
    let p = c
        .submit(
            "/login/",
            "/login/",
            &[("handle", "carol"), ("password", PW)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // In Italian too.
    let mut it = app.client();
    it.headers
        .push(("accept-language".into(), "it-IT,it;q=0.9".into()));
    let p = it
        .submit("/login/", "/login/", &[("handle", "bob"), ("password", PW)])
        .await;
    assert!(
        p.body.contains("Troppi tentativi. Riprova tra 15 minuti."),
        "{}",
        p.body
    );
}

/// Registration refusals in words next to the field.
async fn register_errors_in_words(b: Backend) {
    let app = app!(b);
    app.user("root", Role::Admin).await;
    let root = app.accounts.require_user("root").await.unwrap();
    let code = app.accounts.create_invite(&root).await.unwrap().code;
    let mut c = app.client();
    let form = |handle: &'static str, pw: &'static str, confirm: &'static str, code: String| {
        vec![
            ("code", code),
            ("handle", handle.to_owned()),
            ("password", pw.to_owned()),
            ("password_confirm", confirm.to_owned()),
        ]
    };
    async fn go(c: &mut Client, f: Vec<(&'static str, String)>) -> Page {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.submit("/register/", "/register/", &pairs).await
    }
    let p = go(&mut c, form("bob", PW, "different-password", code.clone())).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("The two passwords differ."));
    let p = go(&mut c, form("root", PW, PW, code.clone())).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains("This handle is taken."), "{}", p.body);
    let p = go(&mut c, form("bob", "short", "short", code.clone())).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(
        p.body.contains("Password must be at least 8 characters"),
        "{}",
        p.body
    );
    app.set(settings::MAX_USERS, "1").await;
    let p = go(&mut c, form("bob", PW, PW, code.clone())).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.body.contains("This instance is full"), "{}", p.body);
    app.set(settings::MAX_USERS, "0").await;
    let p = go(&mut c, form("bob", PW, PW, code.clone())).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location(), "/");
    let p = go(&mut app.client(), form("carol", PW, PW, code.clone())).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(
        p.body
            .contains("This invite code is not valid or was already used."),
        "{}",
        p.body
    );
    // Italian register page.
    let mut it = app.client();
    it.jar.insert("bincio_lang".into(), "it".into());
    let p = it.get(&format!("/register/?code={code}")).await;
    assert!(
        p.body.contains("<html lang=\"it\"") && p.body.contains("Crea il mio account"),
        "{}",
        p.body
    );
    let p = go(&mut it, form("carol", PW, PW, code)).await;
    assert!(
        p.body.contains("non è valido o è già stato usato"),
        "{}",
        p.body
    );
}

/// The link `bincio serve` prints opens the set-up page, which creates the
/// first admin (and names the instance) once.
async fn setup_link_creates_the_first_admin(b: Backend) {
    let app = app!(b);
    let keys_dir = tempfile::tempdir().unwrap();
    let keys = bincio_core::sync::seal::KeyRing::in_data_dir(keys_dir.path());
    let code = app.accounts.issue_setup_code(&keys).await.unwrap().unwrap();
    let link = bincio_http::web::setup_link("http://bincio.test/", &code);
    assert_eq!(link, format!("http://bincio.test/setup/?code={code}"));
    let mut c = app.client();
    let p = c.get("/login/").await;
    assert!(p.body.contains("has no accounts yet"), "{}", p.body);
    let page = c.get(&link["http://bincio.test".len()..]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!("value=\"{code}\"")),
        "code filled in"
    );
    let p = c
        .submit(
            &link["http://bincio.test".len()..],
            "/setup/",
            &[
                ("code", &code),
                ("instance_name", "Velo Club"),
                ("handle", "ada"),
                ("display_name", "Ada"),
                ("password", PW),
                ("password_confirm", PW),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location(), "/admin/");
    let p = c.get("/admin/").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("Your instance is ready"),
        "flash shown once"
    );
    assert!(
        p.body.contains("<title>Admin · Velo Club</title>"),
        "{}",
        p.body
    );
    assert!(!c
        .get("/admin/")
        .await
        .body
        .contains("Your instance is ready"));
    assert!(app.accounts.require_user("ada").await.unwrap().is_admin());
    // Used up: the page now says so, and a second post creates nobody.
    let mut other = app.client();
    let p = other.get(&format!("/setup/?code={code}")).await;
    assert!(p.body.contains("Already set up"), "{}", p.body);
    let t = p.csrf();
    let p = other
        .post(
            "/setup/",
            &[
                ("csrf", &t),
                ("code", &code),
                ("handle", "eve"),
                ("password", PW),
                ("password_confirm", PW),
            ],
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(app.accounts.require_user("eve").await.is_err());
}

/// The member's reset journey over HTTP: the admin issues a code (shown
/// once, with the link), the member redeems it, old password dead.
async fn reset_code_round_trip(b: Backend) {
    let app = app!(b);
    app.user("root", Role::Admin).await;
    app.user("bob", Role::User).await;
    let mut admin = app.logged_in("root").await;
    let mut bob = app.logged_in("bob").await;
    let p = admin
        .submit("/admin/users/bob/", "/admin/users/bob/reset-code", &[])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let shown = admin.get(p.location()).await;
    let at = shown
        .body
        .find("/reset-password/?code=")
        .expect("link shown");
    let link: String = shown.body[at..].chars().take_while(|c| *c != '"').collect();
    let link = link.replace("&amp;", "&");
    assert!(
        !admin
            .get("/admin/users/bob/")
            .await
            .body
            .contains("/reset-password/?code="),
        "shown once"
    );
    let code = link
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let mut wrong = app.client();
    let p = wrong
        .submit(
            &link,
            "/reset-password/",
            &[
                ("handle", "bob"),
                ("code", "WRONG123"),
                ("password", "a-new-password"),
                ("password_confirm", "a-new-password"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(
        p.body.contains("This reset code is not valid"),
        "{}",
        p.body
    );
    let mut fresh = app.client();
    let p = fresh
        .submit(
            &link,
            "/reset-password/",
            &[
                ("handle", "bob"),
                ("code", &code),
                ("password", "a-new-password"),
                ("password_confirm", "a-new-password"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location(), "/login/");
    assert_eq!(
        bob.get("/settings/").await.status,
        StatusCode::SEE_OTHER,
        "old session ended"
    );
    let p = fresh
        .submit("/login/", "/login/", &[("handle", "bob"), ("password", PW)])
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    let p = fresh
        .submit(
            "/login/",
            "/login/",
            &[("handle", "bob"), ("password", "a-new-password")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
}

/// Instance settings from `/admin/`: a bad value is refused in words and
/// nothing is written; a good form writes all four.
async fn admin_settings_all_or_nothing(b: Backend) {
    let app = app!(b);
    app.user("root", Role::Admin).await;
    let mut admin = app.logged_in("root").await;
    let p = admin
        .submit(
            "/admin/",
            "/admin/settings",
            &[
                ("instance_name", "New name"),
                ("max_users", "many"),
                ("private", "true"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(
        p.body.contains("max_users must be a whole number"),
        "{}",
        p.body
    );
    assert!(p.body.contains("value=\"New name\""), "values kept");
    assert_eq!(
        app.accounts.settings().await.unwrap().instance_name,
        "BincioActivity"
    );
    let p = admin
        .submit(
            "/admin/",
            "/admin/settings",
            &[
                ("instance_name", "New name"),
                ("max_users", "25"),
                ("store_originals", "true"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let s = app.accounts.settings().await.unwrap();
    assert_eq!(
        (
            s.instance_name.as_str(),
            s.max_users,
            s.store_originals,
            s.private
        ),
        ("New name", Some(25), true, false)
    );
    // Admins cannot demote or delete themselves from the page.
    let p = admin
        .submit(
            "/admin/users/root/",
            "/admin/users/root/role",
            &[("role", "user")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(app.accounts.require_user("root").await.unwrap().is_admin());
}

/// Theme and language are cookies the server renders; assets are served
/// from versioned, immutable URLs.
async fn theme_language_and_assets(b: Backend) {
    let app = app!(b);
    app.set(settings::PRIVATE, "false").await;
    let mut c = app.client();
    let p = c.get("/").await;
    assert!(
        p.body.contains("<html lang=\"en\">"),
        "system theme: no attribute"
    );
    let p = c
        .submit("/", "/theme", &[("theme", "dark"), ("back", "/login/")])
        .await;
    assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, "/login/"));
    assert!(c
        .get("/")
        .await
        .body
        .contains("<html lang=\"en\" data-theme=\"dark\">"));
    let p = c
        .submit(
            "/",
            "/theme",
            &[("theme", "system"), ("back", "https://evil.example/")],
        )
        .await;
    assert_eq!(p.location(), "/", "only local redirects");
    assert!(c.get("/").await.body.contains("<html lang=\"en\">"));
    c.headers.push(("accept-language".into(), "it".into()));
    assert!(c.get("/login/").await.body.contains("<h1>Accedi</h1>"));
    c.submit("/", "/lang", &[("lang", "en"), ("back", "/")])
        .await;
    assert!(
        c.get("/login/").await.body.contains("<h1>Log in</h1>"),
        "the cookie wins"
    );
    let page = c.get("/login/").await.body;
    let at = page.find("/assets/").unwrap();
    let css: String = page[at..].chars().take_while(|c| *c != '"').collect();
    let p = c.get(&css).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.header_is("cache-control", "public, max-age=31536000, immutable"));
    assert!(p.header_is("x-content-type-options", "nosniff"));
    let p = c.get("/assets/000000000000/app.css").await;
    assert!(p.header_is("cache-control", "no-cache"));
    assert_eq!(
        c.get("/assets/000000000000/nope.js").await.status,
        StatusCode::NOT_FOUND
    );
}

web_cases!(
    page_access_matrix,
    cross_site_and_tokenless_posts_change_nothing,
    user_text_is_escaped_everywhere,
    login_rate_limit_says_when,
    register_errors_in_words,
    setup_link_creates_the_first_admin,
    reset_code_round_trip,
    admin_settings_all_or_nothing,
    theme_language_and_assets,
);
