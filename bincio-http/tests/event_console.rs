//! The event staff console pages over HTTP, on SQLite and MongoDB: who may
//! open which page, the desk (search, check in as staff with a nonce,
//! undo with a reason — logged with the staff member's name), the import
//! dry run (line errors, nothing written) then the import, the booth
//! page, the CSV export (token prefixes only) and the live figures stream.

use support::ccip as ccip_common;
#[macro_use]
mod support;

use axum::http::{Method, StatusCode};
use bincio_core::event::audit::AuditFilter;
use bincio_core::model::Role;
use bincio_store_conformance::Backend;
use ccip_common::*;
use http_body_util::BodyExt;
use support::http::{call, multipart_body, request, Resp};
use tower::ServiceExt;

/// A logged-in browser's cookie header.
struct Person {
    cookie: String,
}

impl Person {
    async fn new(app: &CcipApp, handle: &str, role: Role) -> Self {
        let token = app.account(handle, role).await;
        Self {
            cookie: format!("bincio_session={token}"),
        }
    }

    async fn get(&self, app: &CcipApp, uri: &str) -> Resp {
        app.send(
            Method::GET,
            uri,
            None,
            &[("cookie", &self.cookie), ("accept", "text/html")],
        )
        .await
    }

    /// The form token of a page.
    async fn csrf(&self, app: &CcipApp, uri: &str) -> String {
        let p = self.get(app, uri).await;
        let i = p.text.find("name=\"csrf\" value=\"").expect("a form token");
        p.text[i + 19..].split('"').next().unwrap().to_owned()
    }

    async fn post(&self, app: &CcipApp, uri: &str, fields: &[(&str, &str)]) -> Resp {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        app.send(
            Method::POST,
            uri,
            Some(("application/x-www-form-urlencoded", body.into_bytes())),
            &[("cookie", &self.cookie), ("accept", "text/html")],
        )
        .await
    }
}

async fn console_access(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let staff = Person::new(&app, "sam", Role::Staff).await;
    let admin = Person::new(&app, "ada", Role::Admin).await;
    let member = Person::new(&app, "mo", Role::User).await;
    let pages = [
        "/event/",
        "/event/desk/",
        "/event/attendees/",
        "/event/announcements/",
    ];
    for p in pages {
        assert_eq!(staff.get(&app, p).await.status, StatusCode::OK, "staff {p}");
        assert_eq!(
            member.get(&app, p).await.status,
            StatusCode::FORBIDDEN,
            "member {p}"
        );
        let anon = app
            .send(Method::GET, p, None, &[("accept", "text/html")])
            .await;
        assert_eq!(anon.status, StatusCode::SEE_OTHER, "anonymous {p}");
    }
    for p in ["/event/import/", "/event/audit/"] {
        assert_eq!(
            staff.get(&app, p).await.status,
            StatusCode::FORBIDDEN,
            "staff {p}"
        );
        assert_eq!(admin.get(&app, p).await.status, StatusCode::OK, "admin {p}");
    }
    let dash = staff.get(&app, "/event/").await;
    assert!(dash.text.contains("data-live-figures") && dash.text.contains("checkin"));
    // The live stream: the figures at once.
    let req = request(
        Method::GET,
        "/event/live",
        None,
        &[("cookie", &staff.cookie)],
    );
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut body = resp.into_body();
    let frame = tokio::time::timeout(std::time::Duration::from_secs(10), body.frame())
        .await
        .expect("a first event")
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(frame.data_ref().unwrap()).into_owned();
    assert!(
        text.starts_with("event: figures") && text.contains("event-figures"),
        "{text}"
    );
    // Export: every attendee, each scenario's state, never a whole token.
    let csv = staff.get(&app, "/event/attendees.csv?role=audience").await;
    assert!(csv.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let first = csv.text.lines().next().unwrap();
    assert!(
        first.starts_with("token_prefix,display_name,role,first_use,checkin"),
        "{first}"
    );
    assert!(csv.text.contains(",Ada,audience,"));
    assert!(!csv.text.contains(ADA), "no private token in the export");
}

async fn desk_flow(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let staff = Person::new(&app, "sam", Role::Staff).await;
    let found = staff.get(&app, "/event/desk/?q=ada").await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(
        found.text.contains("sponsor_gift") || found.text.contains(">Ada<"),
        "{}",
        found.text
    );
    let a = app.service.show(ADA).await.unwrap();
    let page = format!("/event/desk/?q=ada&a={}", a.id);
    let csrf = staff.csrf(&app, &page).await;
    let fields = |nonce: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("a", a.id.clone()),
            ("scenario", "sponsor_gift".to_owned()),
            ("nonce", nonce.to_owned()),
            ("q", "ada".to_owned()),
        ]
    };
    let f1 = fields("desk-n1");
    let f: Vec<(&str, &str)> = f1.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = staff.post(&app, "/event/desk/use", &f).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("sponsor_gift: checked in."), "{}", r.text);
    // The same form again (a double tap): the same answer, one check-in.
    let r = staff.post(&app, "/event/desk/use", &f).await;
    assert!(r.text.contains("sponsor_gift: checked in."));
    let log = app
        .service
        .audit(AuditFilter {
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].actor, "staff:sam");
    // Undo needs a reason; then it is logged with it.
    let undo = |reason: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("a", a.id.clone()),
            ("scenario", "sponsor_gift".to_owned()),
            ("reason", reason.to_owned()),
        ]
    };
    let u = undo(" ");
    let f: Vec<(&str, &str)> = u.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        staff.post(&app, "/event/desk/undo", &f).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let u = undo("wrong person");
    let f: Vec<(&str, &str)> = u.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = staff.post(&app, "/event/desk/undo", &f).await;
    assert!(r.text.contains("sponsor_gift: undone."), "{}", r.text);
    assert!(app
        .service
        .show(ADA)
        .await
        .unwrap()
        .scenario("sponsor_gift")
        .unwrap()
        .used
        .is_none());
    // Without the form token: refused, nothing done.
    let r = staff
        .post(
            &app,
            "/event/desk/use",
            &[("a", &a.id), ("scenario", "sponsor_gift")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(app
        .service
        .show(ADA)
        .await
        .unwrap()
        .scenario("sponsor_gift")
        .unwrap()
        .used
        .is_none());
}

async fn import_dry_run_then_import(b: &dyn Backend) {
    let app = CcipApp::new(b).await;
    let admin = Person::new(&app, "ada", Role::Admin).await;
    let csrf = admin.csrf(&app, "/event/import/").await;
    let cookie = admin.cookie.clone();
    let post = |csv: &'static [u8]| {
        let body = multipart_body(
            "B0undary",
            &[
                ("csrf", None, csrf.as_bytes()),
                ("role", None, b"audience"),
                ("file", Some("a.csv"), csv),
            ],
        );
        let req = request(
            Method::POST,
            "/event/import/check",
            Some(("multipart/form-data; boundary=B0undary", body)),
            &[("cookie", &cookie), ("accept", "text/html")],
        );
        call(&app.router, req)
    };
    let bad = post(
        b"token,display_name,title,diet,sponsor,shirt_size\ntok-aaaa-1,Ann,,veg,Y,S\n,Bo,,veg,N,M\n",
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.text.contains("line 3"), "{}", bad.text);
    assert!(
        app.service
            .search("", Some("audience"), 0, 10)
            .await
            .unwrap()
            .total
            == 0,
        "nothing written"
    );
    let good = post(
        b"token,display_name,title,diet,sponsor,shirt_size\ntok-aaaa-1,Ann,,veg,Y,S\ntok-aaaa-2,Bo,,meat,N,M\n",
    )
    .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text);
    assert!(
        app.service
            .search("", Some("audience"), 0, 10)
            .await
            .unwrap()
            .total
            == 0,
        "a check writes nothing"
    );
    let i = good
        .text
        .find("name=\"staged\" value=\"")
        .expect("staged file");
    let staged = good.text[i + 21..].split('"').next().unwrap().to_owned();
    // The import reaches another process on the same store (a load
    // balancer's choice): the checked file is there too.
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("csrf", csrf.as_str()), ("staged", staged.as_str())])
        .finish();
    let r = call(
        &app.second_process(),
        request(
            Method::POST,
            "/event/import/run",
            Some(("application/x-www-form-urlencoded", body.into_bytes())),
            &[("cookie", &admin.cookie), ("accept", "text/html")],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.text
            .contains("Imported 2 attendees as audience: 2 new, 0 updated."),
        "{}",
        r.text
    );
    assert_eq!(
        app.service
            .search("", Some("audience"), 0, 10)
            .await
            .unwrap()
            .total,
        2
    );
    let again = admin
        .post(
            &app,
            "/event/import/run",
            &[("csrf", &csrf), ("staged", &staged)],
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE, "a staged file imports once");
}

async fn booth_delivers(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    app.status(GRACE).await; // the app opened once: a bucket
    let anon = |uri: &str, fields: Option<&[(&str, &str)]>| {
        let (method, body) = match fields {
            Some(f) => (
                Method::POST,
                Some((
                    "application/x-www-form-urlencoded",
                    form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(f)
                        .finish()
                        .into_bytes(),
                )),
            ),
            None => (Method::GET, None),
        };
        call(&app.router, request(method, uri, body, &[("accept", "text/html"), ("cookie", "bincio_csrf=0000000000000000000000000000000000000000000000000000000000000000")]))
    };
    let p = anon("/event/booth/?token=booth-7f3a", None).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains("Ferris Foundation"));
    let i = p.text.find("name=\"csrf\" value=\"").unwrap();
    let csrf = p.text[i + 19..].split('"').next().unwrap().to_owned();
    let r = anon(
        "/event/booth/",
        Some(&[
            ("csrf", &csrf),
            ("token", "booth-7f3a"),
            ("receiver", GRACE),
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("A piece for Grace."), "{}", r.text);
    let bucket = app
        .get(&format!("/event/puzzle?token={}", public(GRACE)))
        .await;
    assert_eq!(bucket.ok()["puzzles"].as_array().unwrap().len(), 1);
    assert_eq!(
        anon("/event/booth/?token=nope", None).await.status,
        StatusCode::FORBIDDEN
    );
}

macro_rules! console_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            console_access,
            desk_flow,
            import_dry_run_then_import,
            booth_delivers,
        );
    };
}

mod sqlite {
    console_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    console_cases!(crate::mongo_backend!());
}
