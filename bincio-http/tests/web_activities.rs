//! The activity pages over plain HTTP (no browser), each case on SQLite
//! and on MongoDB: privacy on every page (another member, anonymous on a
//! public instance, anonymous on a private one), the owner's forms and the
//! upload form without JavaScript, feed filters and paging, stats days,
//! the athlete form, Markdown escaping and the map tiles in the CSP.

mod web_support;

use axum::http::StatusCode;
use bincio_core::accounts::settings;
use bincio_core::model::Role;
use serde_json::{json, Value};
use web_support::{App, Backend, Client, Page};

const PAGES: &[&str] = &[
    "/",
    "/u/alice/",
    "/u/alice/stats/",
    "/u/alice/athlete/",
    "/community/?period=all",
];

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, b'I', b'D', b'A', b'T',
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, b'I', b'E', b'N',
    b'D', 0xae, 0x42, 0x60, 0x82,
];

/// Latitudes and longitudes of the owner's track, as the digits a page
/// would carry (4 decimals: about 10 m).
async fn coordinate_digits(app: &App, id: &str) -> Vec<String> {
    let alice = app.accounts.require_user("alice").await.unwrap();
    let geo = app
        .activities
        .geojson(Some(&alice), "alice", id)
        .await
        .expect("owner sees the track")
        .into_value();
    let coords = geo["geometry"]["coordinates"].as_array().unwrap().clone();
    let mut out = Vec::new();
    for p in coords.iter().step_by((coords.len() / 40).max(1)) {
        for x in [p[1].as_f64().unwrap(), p[0].as_f64().unwrap()] {
            out.push(format!("{x:.4}"));
        }
    }
    out
}

fn assert_none_of(p: &Page, needles: &[String], what: &str) {
    for n in needles {
        assert!(!p.body.contains(n.as_str()), "{what}: contains {n}");
    }
}

/// alice with five activities, one per privacy, titled after it.
async fn alice_world(app: &App) -> [String; 5] {
    app.user("alice", Role::User).await;
    app.user("bob", Role::User).await;
    let ids = [
        app.ingest("alice", "brut/1026973739.gpx").await,
        app.ingest("alice", "brut/1031803281.gpx").await,
        app.ingest("alice", "brut/1034867910.gpx").await,
        app.ingest("alice", "brut/862486776.gpx").await,
        app.ingest("alice", "brut/840534997.gpx").await,
    ];
    for (id, (title, privacy)) in ids.iter().zip([
        ("PUBLIC-RIDE", "public"),
        ("UNLISTED-RIDE", "unlisted"),
        ("PRIVATE-RIDE", "private"),
        ("NOGPS-RIDE", "no_gps"),
        ("BLUR-RIDE", "blur_start"),
    ]) {
        app.edit("alice", id, json!({"title": title, "privacy": privacy}))
            .await;
    }
    ids
}

/// Another member and anonymous visitors never see an unlisted activity
/// in a list, a private one at all, or a coordinate of a `no_gps` one; a
/// `blur_start` page carries no point of the cut start; a private
/// instance shows anonymous visitors nothing.
async fn privacy_on_every_page(b: Backend) {
    let app = app!(b);
    let [public, unlisted, private, no_gps, blur] = alice_world(&app).await;
    let no_gps_digits = coordinate_digits(&app, &no_gps).await;
    let blur_all = coordinate_digits(&app, &blur).await;
    let blur_start = vec![blur_all[0].clone(), blur_all[1].clone()];
    app.set(settings::PRIVATE, "false").await;
    let page = |id: &str| format!("/u/alice/activity/{id}/");
    let mut bob = app.logged_in("bob").await;
    let mut anon = app.client();
    for (who, client) in [("bob", &mut bob), ("anonymous", &mut anon)] {
        for path in PAGES {
            let p = client.get(path).await;
            let what = format!("{who} {path}");
            assert_eq!(p.status, StatusCode::OK, "{what}: {}", p.body);
            for hidden in ["UNLISTED-RIDE", "PRIVATE-RIDE", &unlisted, &private] {
                assert!(!p.body.contains(hidden), "{what} lists {hidden}");
            }
            assert_none_of(&p, &no_gps_digits, &what);
        }
        let feed = client.get("/u/alice/").await;
        for shown in ["PUBLIC-RIDE", "NOGPS-RIDE", "BLUR-RIDE"] {
            assert!(feed.body.contains(shown), "{who}: feed misses {shown}");
        }
        // Unlisted: readable by its link, listed nowhere.
        let p = client.get(&page(&unlisted)).await;
        assert_eq!(p.status, StatusCode::OK, "{who} unlisted page");
        assert!(p.body.contains("UNLISTED-RIDE"));
        // Private: as if it did not exist, photos and downloads included.
        for path in [
            page(&private),
            format!("{}gpx", page(&private)),
            format!("{}original", page(&private)),
            format!("{}photos/0123456789abcdef.png", page(&private)),
        ] {
            let p = client.get(&path).await;
            assert!(
                matches!(p.status.as_u16(), 404 | 303),
                "{who} {path}: {}",
                p.status
            );
            assert!(!p.body.contains("PRIVATE-RIDE"), "{who} {path}");
        }
        // no_gps: the page, its inline data and its SVG carry no position.
        let p = client.get(&page(&no_gps)).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("NOGPS-RIDE") && !p.body.contains("id=\"map\""));
        assert_none_of(&p, &no_gps_digits, &format!("{who} no_gps page"));
        // blur_start: the trimmed track only.
        let p = client.get(&page(&blur)).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("BLUR-RIDE") && p.body.contains("id=\"map\""));
        assert!(
            !blur_start.iter().all(|d| p.body.contains(d.as_str())),
            "{who}: blur_start page carries the start {blur_start:?}"
        );
        let p = client.get(&page(&public)).await;
        assert!(p.body.contains("id=\"map\"") && !p.body.contains("id=\"edit\""));
    }
    // The owner sees all of them, with a badge for the hidden ones.
    let mut alice = app.logged_in("alice").await;
    let p = alice.get("/u/alice/").await;
    for t in ["UNLISTED-RIDE", "PRIVATE-RIDE", "NOGPS-RIDE"] {
        assert!(p.body.contains(t), "owner feed misses {t}");
    }
    assert!(p.body.contains("Private") && p.body.contains("Unlisted"));
    // The combined feed is for listed activities, even for their owner.
    let p = alice.get("/").await;
    assert!(!p.body.contains("UNLISTED-RIDE") && !p.body.contains("PRIVATE-RIDE"));
    let p = alice.get(&page(&private)).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"edit\""));
    // A private instance: anonymous visitors are sent to log in.
    app.set(settings::PRIVATE, "true").await;
    let mut anon = app.client();
    for path in PAGES.iter().copied().chain([page(&public).as_str()]) {
        let p = anon.get(path).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{path}");
        assert!(p.location().starts_with("/login/"), "{path}");
        assert!(!p.body.contains("PUBLIC-RIDE"));
    }
}

/// Edit, photos, recalculation, downloads and delete through plain forms;
/// another member's posts change nothing.
async fn owner_forms_work_without_js(b: Backend) {
    let app = app!(b);
    app.user("alice", Role::User).await;
    app.user("bob", Role::User).await;
    let id = app.ingest("alice", "brut/862486776.gpx").await;
    let base = format!("/u/alice/activity/{id}/");
    let mut alice = app.logged_in("alice").await;
    let mut bob = app.logged_in("bob").await;
    let p = alice
        .submit(
            &base,
            &format!("{base}edit"),
            &[
                ("title", "Sunday <b>loop</b>"),
                ("description", "**Windy**\n\n<script>alert(1)</script>"),
                ("sport", "cycling"),
                ("gear", "Old steel"),
                ("privacy", "unlisted"),
                ("hide_heart_rate", "on"),
                ("highlight", "on"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location(), base);
    let p = alice.get(&base).await;
    assert!(p.body.contains("Activity saved."));
    assert!(
        p.body.contains("Sunday &lt;b&gt;loop&lt;/b&gt;"),
        "title escaped"
    );
    assert!(p.body.contains("<strong>Windy</strong>"));
    assert!(p.body.contains("&lt;script&gt;") && !p.body.contains("<script>alert"));
    assert!(p.body.contains("Hidden from others: Heart rate."));
    assert!(p.body.contains(r#"<option value="unlisted" selected>"#));
    // Bad input is refused next to the form, nothing changed.
    let p = alice
        .submit(
            &base,
            &format!("{base}edit"),
            &[("title", &"x".repeat(201))],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("title is too long"), "{}", p.body);
    // Another member: 404, nothing changed.
    let token = bob.get("/").await.csrf();
    for (action, fields) in [
        ("edit", vec![("title", "hacked")]),
        ("delete", vec![("confirm", "on")]),
        ("elevation", vec![("method", "hysteresis")]),
    ] {
        let mut all = vec![("csrf", token.as_str())];
        all.extend(fields);
        let p = bob.post(&format!("{base}{action}"), &all, &[]).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "bob {action}");
    }
    for dl in ["gpx", "original"] {
        assert_eq!(
            bob.get(&format!("{base}{dl}")).await.status,
            StatusCode::NOT_FOUND
        );
    }
    assert!(alice.get(&base).await.body.contains("Sunday &lt;b&gt;"));
    // Photos: added with the form token only, served as an image, removed.
    let token = alice.get(&base).await.csrf();
    let p = alice
        .multipart(
            &format!("{base}photos"),
            &[],
            &[("photo", "p.png", PNG)],
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "no token");
    let p = alice
        .multipart(
            &format!("{base}photos"),
            &[("csrf", &token)],
            &[("photo", "p.png", b"<svg onload=alert(1)>")],
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "not an image");
    let p = alice
        .multipart(
            &format!("{base}photos"),
            &[("csrf", &token)],
            &[("photo", "p.png", PNG)],
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = alice.get(&base).await;
    let src = page
        .body
        .split("data-photo><img src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("photo on the page")
        .to_owned();
    let img = alice.get(&src).await;
    assert_eq!(img.status, StatusCode::OK);
    assert!(
        img.header_is("content-type", "image/png")
            && img.header_is("x-content-type-options", "nosniff")
    );
    let token = page.csrf();
    let p = alice
        .post(&format!("{src}/delete"), &[("csrf", &token)], &[])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(alice.get(&src).await.status, StatusCode::NOT_FOUND);
    // Elevation and downloads.
    let p = alice
        .submit(
            &base,
            &format!("{base}elevation"),
            &[("method", "hysteresis")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(alice
        .get(&base)
        .await
        .body
        .contains("Elevation recalculated"));
    let gpx = alice.get(&format!("{base}gpx")).await;
    assert_eq!(gpx.status, StatusCode::OK);
    assert!(gpx.body.contains("<gpx") && gpx.header_is("content-type", "application/gpx+xml"));
    let orig = alice.get(&format!("{base}original")).await;
    assert_eq!(orig.status, StatusCode::OK);
    assert!(orig.body.contains("<trkpt"));
    // Delete: only with the box ticked.
    let p = alice.submit(&base, &format!("{base}delete"), &[]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(alice.get(&base).await.status, StatusCode::OK);
    let p = alice
        .submit(&base, &format!("{base}delete"), &[("confirm", "on")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location(), "/u/alice/");
    assert!(alice.get("/u/alice/").await.body.contains("was deleted"));
    assert_eq!(alice.get(&base).await.status, StatusCode::NOT_FOUND);
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../tests/data/activities/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn count(app: &App, handle: &str) -> u64 {
    app.activities
        .storage(handle)
        .await
        .unwrap()
        .activities_count
}

/// The upload page as a plain form: every file's outcome on the results
/// page; the token is required; the stream mode sends the same outcomes.
async fn upload_form_without_js(b: Backend) {
    let app = app!(b);
    app.user("alice", Role::User).await;
    let mut alice = app.logged_in("alice").await;
    let token = alice.get("/upload/").await.csrf();
    let a = fixture("brut/1026973739.gpx");
    let z = fixture("brut/947905012.gpx.gz");
    let p = alice
        .multipart(
            "/upload/",
            &[("csrf", "wrong")],
            &[("files", "a.gpx", &a)],
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(
        count(&app, "alice").await,
        0,
        "nothing stored without the token"
    );
    let p = alice
        .multipart(
            "/upload/",
            &[("csrf", &token), ("store_original", "on")],
            &[
                ("files", "1026973739.gpx", &a),
                ("files", "947905012.gpx.gz", &z),
                ("files", "broken.gpx", b"<gpx><trk>"),
            ],
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(p.body.matches("New activity.").count(), 2, "{}", p.body);
    assert!(p.body.contains("broken.gpx") && p.body.contains("status-error"));
    assert!(p.body.contains("2 new, 0 duplicates, 1 failed."));
    assert_eq!(count(&app, "alice").await, 2);
    // The same file again: a duplicate, with a link to the stored one.
    let p = alice
        .multipart(
            "/upload/",
            &[("csrf", &token)],
            &[("files", "again.gpx", &a)],
            &[],
        )
        .await;
    assert!(p.body.contains("Already uploaded."), "{}", p.body);
    assert!(
        p.body
            .contains("href=\"/u/alice/activity/2017-06-08T165749Z"),
        "{}",
        p.body
    );
    // The script's mode: one event per file as it is done.
    let d = fixture("dave/978272164.gpx");
    let p = alice
        .multipart(
            "/upload/",
            &[("csrf", &token)],
            &[("files", "978272164.gpx", &d)],
            &[("accept", "text/event-stream")],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.header_is("content-type", "text/event-stream"),
        "{:?}",
        p.headers
    );
    let events: Vec<Value> = p
        .body
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|l| serde_json::from_str(l.trim()).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["type"], "file");
    assert_eq!(events[0]["status"], "new");
    assert!(events[0]["href"]
        .as_str()
        .unwrap()
        .starts_with("/u/alice/activity/"));
    assert_eq!(events[1]["type"], "done");
    assert_eq!(count(&app, "alice").await, 3);
}

/// The combined and member feeds: sport and year filters (links), paging
/// by cursor, the stats day list, and the athlete form with its errors.
async fn filters_stats_and_athlete_form(b: Backend) {
    let app = app!(b);
    app.user("alice", Role::User).await;
    let run = app.ingest("alice", "brut/1026973739.gpx").await;
    let ride = app.ingest("alice", "brut/862486776.gpx").await;
    let walk = app.ingest("alice", "brut/2251973623.gpx").await;
    let mut alice = app.logged_in("alice").await;
    let has = |p: &Page, id: &str| p.body.contains(&format!("/u/alice/activity/{id}/"));
    let p = alice.get("/").await;
    assert!(has(&p, &run) && has(&p, &ride) && has(&p, &walk));
    assert!(p.body.contains("href=\"/?sport=running\"") && p.body.contains("href=\"/?year=2019\""));
    let p = alice.get("/?sport=running").await;
    assert!(has(&p, &run) && !has(&p, &ride) && !has(&p, &walk));
    let p = alice.get("/u/alice/?year=2017").await;
    assert!(has(&p, &run) && has(&p, &ride) && !has(&p, &walk));
    let p = alice.get("/u/alice/?year=2017&sport=cycling").await;
    assert!(!has(&p, &run) && has(&p, &ride));
    let p = alice.get("/?sport=curling").await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    // Paging: everything older than the walk (2019).
    let started = 1_553_950_355; // 2019-03-30T12:52:35Z
    let p = alice.get(&format!("/?before={started}:{walk}")).await;
    assert!(!has(&p, &walk) && has(&p, &run) && has(&p, &ride));
    assert_eq!(
        alice.get("/?before=garbage").await.status,
        StatusCode::BAD_REQUEST
    );
    // Stats: totals, a calendar per year, a day's list.
    let p = alice.get("/u/alice/stats/").await;
    assert!(p.body.contains("svg-calendar") && p.body.contains("2019") && p.body.contains("2017"));
    assert!(
        p.body.contains("?day=2017-06-08#day"),
        "a day links to its list"
    );
    let p = alice.get("/u/alice/stats/?day=2017-06-08").await;
    assert!(p.body.contains("id=\"day\"") && has(&p, &run));
    // Athlete: the owner's form; errors name the field, nothing stored.
    let p = alice
        .submit(
            "/u/alice/athlete/",
            "/u/alice/athlete/",
            &[
                ("ftp", "250"),
                ("max_hr", "190"),
                ("hr_zones", "0-120, 120-150, 150-190"),
                ("power_zones", ""),
                ("seasons", "Spring, 2017-03-01, 2017-06-30"),
                ("gear", "Road bike: steel"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = alice.get("/u/alice/athlete/").await;
    assert!(p.body.contains("FTP 250 W") && p.body.contains("Athlete settings saved."));
    assert!(
        p.body.contains("Spring, 2017-03-01, 2017-06-30") && p.body.contains("Road bike: steel")
    );
    let p = alice
        .submit(
            "/u/alice/athlete/",
            "/u/alice/athlete/",
            &[("ftp", "250"), ("hr_zones", "150-120")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("hr_zones[0]"), "{}", p.body);
    // A run with a heart-rate strap shows time in the zones now.
    let hr_run = app.ingest("alice", "brut/1034867910.gpx").await;
    let p = alice.get(&format!("/u/alice/activity/{hr_run}/")).await;
    assert!(p.body.contains("Time in heart-rate zones"), "zones");
    // Another member cannot post the athlete form.
    app.user("bob", Role::User).await;
    let mut bob = app.logged_in("bob").await;
    let p = bob
        .submit("/u/alice/athlete/", "/u/alice/athlete/", &[("ftp", "1")])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
}

/// The activity page's CSP allows images from the tile host and nowhere
/// else; other pages keep the strict one; no tiles = no host.
async fn tiles_are_in_the_csp(b: Backend) {
    let Some(app) = App::with_config(b, module_path!(), bincio_http::HttpConfig::default()).await
    else {
        return;
    };
    app.user("alice", Role::User).await;
    let id = app.ingest("alice", "brut/1026973739.gpx").await;
    let mut alice: Client = app.logged_in("alice").await;
    let p = alice.get(&format!("/u/alice/activity/{id}/")).await;
    let csp = p.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("img-src 'self' data: https://tile.openstreetmap.org;"),
        "{csp}"
    );
    assert!(
        csp.contains("script-src 'self';") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(p
        .body
        .contains("data-tiles=\"https://tile.openstreetmap.org/{z}/{x}/{y}.png\""));
    assert!(p.body.contains("OpenStreetMap contributors"));
    let p = alice.get("/").await;
    assert!(!p.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("openstreetmap"));
    let app2 = app!(b);
    app2.user("alice", Role::User).await;
    let id = app2.ingest("alice", "brut/1026973739.gpx").await;
    let mut alice = app2.logged_in("alice").await;
    let p = alice.get(&format!("/u/alice/activity/{id}/")).await;
    let csp = p.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");
    assert!(p.body.contains("data-tiles=\"\""));
}

/// The activity page keeps its drawings per change: a privacy change, a
/// recalculated elevation or new zones show at once, for every viewer.
async fn drawings_follow_changes(b: Backend) {
    let app = app!(b);
    app.user("alice", Role::User).await;
    app.user("bob", Role::User).await;
    let id = app.ingest("alice", "brut/1034867910.gpx").await;
    let page = format!("/u/alice/activity/{id}/");
    let digits = coordinate_digits(&app, &id).await;
    let mut bob = app.logged_in("bob").await;
    let mut alice = app.logged_in("alice").await;
    for _ in 0..2 {
        let p = bob.get(&page).await;
        assert!(p.body.contains("id=\"map\"") && p.body.contains(&digits[2]));
        assert!(!alice
            .get(&page)
            .await
            .body
            .contains("Time in heart-rate zones"));
    }
    app.edit("alice", &id, json!({"privacy": "no_gps"})).await;
    let p = bob.get(&page).await;
    assert!(!p.body.contains("id=\"map\""), "no map after the change");
    assert_none_of(&p, &digits, "bob after no_gps");
    assert!(
        alice.get(&page).await.body.contains("id=\"map\""),
        "the owner still sees it"
    );
    let user = app.accounts.require_user("alice").await.unwrap();
    app.activities
        .set_athlete(&user, &json!({"hr_zones": [[0, 150], [150, 200]]}))
        .await
        .unwrap();
    assert!(alice
        .get(&page)
        .await
        .body
        .contains("Time in heart-rate zones"));
    app.edit(
        "alice",
        &id,
        json!({"privacy": "public", "hide_stats": ["heart_rate"]}),
    )
    .await;
    let p = bob.get(&page).await;
    assert!(p.body.contains("id=\"map\""));
    assert!(!p.body.contains("data-chart=\"hr\"") && !p.body.contains("Time in heart-rate zones"));
    assert!(alice.get(&page).await.body.contains("data-chart=\"hr\""));
}

web_cases!(
    drawings_follow_changes,
    privacy_on_every_page,
    owner_forms_work_without_js,
    upload_form_without_js,
    filters_stats_and_athlete_form,
    tiles_are_in_the_csp,
);
