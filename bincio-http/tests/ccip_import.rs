//! Attendee import: idempotent re-import that keeps use state, all-or-
//! nothing validation with line numbers, and the staff HTTP import.

use support::ccip as ccip_common;
#[macro_use]
mod support;

use bincio_core::event::model::Attendee;
use bincio_store_conformance::Backend;
use ccip_common::*;
use serde_json::json;

async fn snapshot(app: &CcipApp) -> Vec<Attendee> {
    let mut all = app
        .stores
        .attendees
        .list_attendees("audience")
        .await
        .unwrap();
    all.extend(app.stores.attendees.list_attendees("staff").await.unwrap());
    all
}

async fn fixture_twice_gives_same_state(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    let first = snapshot(&app).await;
    assert_eq!(first.len(), 23);
    app.status(ADA).await;
    app.get(&format!("/use/checkin?token={ADA}&StaffQuery=1"))
        .await
        .ok();
    app.get(&format!("/use/staff_checkin?token={FERRIS}"))
        .await
        .ok();
    let used = snapshot(&app).await;
    assert_ne!(used, first);
    app.clock.advance(3600);
    let c = app
        .service
        .import_csv("audience", &fixture_csv("attendees.csv"))
        .await
        .unwrap();
    assert_eq!((c.inserted, c.updated), (0, 20));
    app.import("staff", "staff.csv").await;
    assert_eq!(
        snapshot(&app).await,
        used,
        "re-import keeps ids, first_use, used and use-set disabled"
    );
    // And a third time from scratch on a fresh store gives the first state
    // modulo ids.
    let fresh = CcipApp::imported(b).await;
    let strip = |v: Vec<Attendee>| {
        v.into_iter()
            .map(|mut a| {
                a.id.clear();
                a
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(snapshot(&fresh).await), strip(first));
}

async fn reimport_refreshes_definitions_and_names(b: &dyn Backend) {
    let app = CcipApp::imported(b).await;
    app.get(&format!("/use/checkin?token={GRACE}")).await.ok();
    let csv = String::from_utf8(fixture_csv("attendees.csv"))
        .unwrap()
        .replace("Grace,,meat,N,L", "Grace H.,,veg,Y,L");
    app.service
        .import_csv("audience", csv.as_bytes())
        .await
        .unwrap();
    let doc = app
        .get(&format!("/status?token={GRACE}&StaffQuery=1"))
        .await
        .ok()
        .clone();
    assert_eq!(doc["user_id"], "Grace H.");
    let sc = |id: &str| {
        doc["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(sc("lunch")["attr"], json!({"diet": "vegetarian"}));
    assert!(
        sc("lunch").get("disabled").is_none(),
        "unlocked by the check-in, kept"
    );
    assert!(
        sc("sponsor_gift").get("disabled").is_none(),
        "not_lock_rule re-evaluated"
    );
    assert!(sc("checkin").get("used").is_some());
}

async fn bad_row_writes_nothing(b: &dyn Backend) {
    let app = CcipApp::new(b).await;
    let good = String::from_utf8(fixture_csv("attendees.csv")).unwrap();
    let cases: Vec<(String, &str)> = vec![
        (
            good.replace("Grace,,meat,N,L", "Grace,,vegan,N,L"),
            "line 3: column \"diet\": value \"vegan\" is not mapped by lunch.attr (diet)",
        ),
        (
            good.replace(
                "81e74ef5e8e25d940ed904759531985d",
                "1818e811892f902bd23f0824128b2f33",
            ),
            "line 4: duplicate token (first on line 3)",
        ),
        (
            good.replace("6b0d549b6f03675a1600a35a099950d8,Ken", ",Ken"),
            "line 5: empty token",
        ),
        (good.replace("Dennis", ""), "line 6: empty display_name"),
        (
            good.replace("Barbara,speaker,meat,N,M", "Barbara,speaker,meat,N"),
            "line 7: malformed row: 5 fields, the header has 6",
        ),
        (
            good.replace(",diet,", ",food,"),
            "line 1: missing column \"diet\" (needed by lunch.attr)",
        ),
    ];
    for (csv, expected) in cases {
        let r = app
            .send(
                axum::http::Method::POST,
                "/api/event/attendees?role=audience",
                Some(("text/csv", csv.into_bytes())),
                &[("ccip", STAFF_KEY)],
            )
            .await;
        assert_eq!(r.status, axum::http::StatusCode::BAD_REQUEST, "{}", r.text);
        assert_eq!(r.json["message"], json!(expected));
        assert!(
            snapshot(&app).await.is_empty(),
            "nothing written for {expected}"
        );
    }
    // Every problem is listed.
    let csv = good
        .replace("Grace,,meat", "Grace,,vegan")
        .replace("Linus,,meat", "Linus,,fish");
    let err = app
        .service
        .import_csv("audience", csv.as_bytes())
        .await
        .unwrap_err();
    let m = err.to_string();
    assert!(m.contains("line 3:") && m.contains("line 4:"), "{m}");
}

async fn http_import(b: &dyn Backend) {
    let app = CcipApp::new(b).await;
    let post = |q: &str, csv: Vec<u8>| {
        let uri = format!("/api/event/attendees{q}");
        let app = &app;
        async move {
            app.send(
                axum::http::Method::POST,
                &uri,
                Some(("text/csv", csv)),
                &[("ccip", STAFF_KEY)],
            )
            .await
        }
    };
    let r = post("?role=audience", fixture_csv("attendees.csv")).await;
    assert_eq!(r.text, "{\"inserted\":20,\"updated\":0}\n");
    let r = post("?role=audience", fixture_csv("attendees.csv")).await;
    assert_eq!(r.ok(), &json!({"inserted": 0, "updated": 20}));
    post("", fixture_csv("staff.csv"))
        .await
        .assert_cs_error("role required");
    post("?role=vip", fixture_csv("staff.csv"))
        .await
        .assert_cs_error("unknown role \"vip\"");
    // The staff CSV lacks the audience rules' columns.
    let r = post("?role=audience", fixture_csv("staff.csv")).await;
    assert!(
        r.json["message"]
            .as_str()
            .unwrap()
            .starts_with("line 1: missing column"),
        "{}",
        r.text
    );
    assert_eq!(
        app.get(&format!("/landing?token={ADA}")).await.ok(),
        &json!({"nickname": "Ada"})
    );
}

/// Every case above, once per backend (one list, so no backend misses one).
macro_rules! ccip_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            fixture_twice_gives_same_state,
            reimport_refreshes_definitions_and_names,
            bad_row_writes_nothing,
            http_import,
        );
    };
}

mod sqlite {
    ccip_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    ccip_cases!(crate::mongo_backend!());
}
