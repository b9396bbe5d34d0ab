//! The Strava card of `/settings/` over plain HTTP, on SQLite and MongoDB:
//! not connected → connect (a CSRF-checked form, then the link to Strava,
//! then Strava's redirect back) → connected as whom, sync now (a job; the
//! activities arrive), disconnect (revoked at Strava). A post without the
//! form token changes nothing.

mod web_support;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use bincio_core::model::Role;
use bincio_core::store::SummaryQuery;
use bincio_core::sync::seal::KeyRing;
use bincio_core::sync::strava::{AppCredentials, StravaConfig, StravaSync};
use bincio_core::{Clock, SystemClock};
use bincio_strava::fake::FakeStrava;
use web_support::Backend;

async fn strava_card_connect_sync_disconnect(b: Backend) {
    let app = app!(b);
    app.user("alice", Role::User).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let fake = FakeStrava::start("31", "card-secret", clock.clone()).await;
    let data = tempfile::tempdir().unwrap();
    app.state.set_strava(StravaSync::new(
        Arc::new(bincio_strava::HttpStravaApi::new(&fake.oauth_base(), &fake.api_base()).unwrap()),
        app.connections.clone(),
        app.users.clone(),
        app.activities.clone(),
        Arc::new(KeyRing::in_data_dir(data.path())),
        StravaConfig::new(
            Some(AppCredentials {
                client_id: "31".into(),
                client_secret: "card-secret".into(),
            }),
            "http://bincio.test",
        ),
    ));
    let mut alice = app.logged_in("alice").await;
    let p = alice.get("/settings/").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains(r#"id="h-strava""#) && p.body.contains("Not connected."),
        "{}",
        p.body
    );

    // Without the form token: refused, nothing armed.
    let r = alice.post("/settings/strava/connect", &[], &[]).await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let c = app
        .connections
        .get_connection("alice", "strava")
        .await
        .unwrap();
    assert!(c.is_none_or(|c| c.oauth_state.is_none()));

    let p = alice
        .submit("/settings/", "/settings/strava/connect", &[])
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let start = p
        .body
        .find(&format!("href=\"{}", fake.oauth_base()))
        .expect("link to Strava")
        + 6;
    let end = start + p.body[start..].find('"').unwrap();
    let link = unescape(&p.body[start..end]);
    let back = alice
        .get(&fake.approve(&link, "read,activity:read_all"))
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert_eq!(back.location(), "/settings/?strava=connected");
    let p = alice.get("/settings/").await;
    assert!(p.body.contains("Connected as Fay Kerr."), "{}", p.body);
    assert!(p.body.contains("never"));

    fake.add_ride(77, "Card ride", clock.unix() - 7200, 40);
    let r = alice
        .submit("/settings/", "/settings/strava/sync", &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut synced = false;
    for _ in 0..300 {
        let n = app
            .activities
            .store()
            .summaries(SummaryQuery {
                handle: Some("alice".into()),
                limit: 10,
                ..SummaryQuery::default()
            })
            .await
            .unwrap()
            .len();
        let page = alice.get("/settings/").await;
        if n == 1 && !page.body.contains("never") {
            synced = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(synced, "the sync ran and the card shows its time");

    let r = alice
        .submit("/settings/", "/settings/strava/disconnect", &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(fake.deauthorized(), 1);
    assert!(alice
        .get("/settings/")
        .await
        .body
        .contains("Not connected."));
}

/// HTML attribute text back to the URL (`&amp;`, `&#xHH;`, `&#NN;`).
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find(';') else { break };
        let ent = &rest[i + 1..i + j];
        let ch = match ent {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        out.push(ch.unwrap_or('?'));
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    out
}

web_cases!(strava_card_connect_sync_disconnect);
