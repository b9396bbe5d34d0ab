//! `GET|POST /api/athlete` and the live `/data/{h}/athlete.json` on every
//! backend: the config merges key by key, bad input is 422 naming the field
//! and changes nothing, and the aggregates are computed from what the
//! viewer may see (all own activities for the owner; listed ones with
//! hidden stats cut for anyone else).

#[macro_use]
mod support;

use axum::http::{Method, StatusCode};
use bincio_core::model::Privacy;
use bincio_store_conformance::Backend;
use serde_json::{json, Value};
use support::http::{World, T0};
use support::records::{record, track};

const DAY: i64 = 86_400;

async fn world(b: &dyn Backend) -> World {
    World::new(b).await
}

impl World {
    /// Store an activity of alice with extra summary fields.
    async fn put(&self, id: &str, t: i64, p: Privacy, extra: Value) {
        let mut r = record("alice", id, t, p);
        for (k, v) in extra.as_object().unwrap() {
            r.summary[k] = v.clone();
        }
        self.app
            .stores
            .activities
            .insert_activity(r, track().1)
            .await
            .unwrap();
    }

    async fn post(&self, body: Value, token: &str) -> support::http::Resp {
        self.app
            .json(Method::POST, "/api/athlete", body, Some(token))
            .await
    }
}

async fn athlete_config_merges_and_validates(b: &dyn Backend) {
    let w = world(b).await;
    let empty = w.app.get("/api/athlete", Some(&w.alice)).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.json["bas_version"], json!("1.0"));
    assert_eq!(empty.json["power_curve"]["all_time"], json!([]));
    assert_eq!(empty.json["records"], json!({}));
    assert!(empty.json.get("max_hr").is_none());

    let r = w
        .post(
            json!({"max_hr": 190, "ftp_w": 250, "hr_zones": [[0, 120], [120, 160]],
                   "seasons": [{"name": "2026", "start": "2026-01-01", "end": "2026-12-31"}],
                   "gear": {"bikes": ["Ti"]}}),
            &w.alice,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json, json!({"ok": true}));
    // Only ftp_w sent: every other key is kept.
    assert_eq!(
        w.post(json!({"ftp_w": 260}), &w.alice).await.json,
        json!({"ok": true})
    );
    let g = w.app.get("/api/athlete", Some(&w.alice)).await.json;
    assert_eq!(g["ftp_w"], json!(260));
    assert_eq!(g["max_hr"], json!(190));
    assert_eq!(g["hr_zones"], json!([[0, 120], [120, 160]]));
    assert_eq!(g["seasons"][0]["name"], json!("2026"));
    assert_eq!(g["gear"], json!({"bikes": ["Ti"]}));

    // Bad input: 422 naming the field, nothing stored.
    for (body, field) in [
        (json!({"max_hr": 0}), "max_hr"),
        (json!({"max_hr": 301}), "max_hr"),
        (json!({"ftp_w": "250"}), "ftp_w"),
        (json!({"ftp_w": 120, "weight_kg": 70}), "weight_kg"),
        (json!({"hr_zones": [[160, 120]]}), "hr_zones[0]"),
        (json!({"power_zones": [[0, 100, 200]]}), "power_zones[0]"),
        (
            json!({"seasons": [{"name": "x", "start": "2026-03-01", "end": "2026-02-01"}]}),
            "seasons[0]",
        ),
        (json!({"gear": "Ti"}), "gear"),
        (json!([1, 2]), "object"),
    ] {
        let r = w.post(body.clone(), &w.alice).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            r.json["detail"].as_str().unwrap_or("").contains(field),
            "{body}: {}",
            r.text
        );
    }
    let after = w.app.get("/api/athlete", Some(&w.alice)).await.json;
    assert_eq!(after["ftp_w"], json!(260), "a refused body stores nothing");
    assert!(after.get("weight_kg").is_none());

    // null removes a key.
    w.post(json!({"max_hr": null}), &w.alice).await;
    let g = w.app.get("/api/athlete", Some(&w.alice)).await.json;
    assert!(g.get("max_hr").is_none());
    assert_eq!(g["ftp_w"], json!(260));

    // The API is always the caller's own: bob sees none of alice's keys,
    // and his writes do not touch hers.
    let bob = w.app.get("/api/athlete", Some(&w.bob)).await.json;
    assert!(bob.get("ftp_w").is_none() && bob.get("gear").is_none());
    w.post(json!({"ftp_w": 300}), &w.bob).await;
    let g = w.app.get("/api/athlete", Some(&w.alice)).await.json;
    assert_eq!(g["ftp_w"], json!(260));
    for m in [Method::GET, Method::POST] {
        let r = w.app.json(m, "/api/athlete", json!({}), None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }

    // owner.athlete in the per-user index.
    let idx = w
        .app
        .get("/data/alice/index.json", Some(&w.alice))
        .await
        .json;
    assert_eq!(
        idx["owner"]["athlete"],
        json!({"max_hr": null, "ftp_w": 260, "hr_zones": [[0, 120], [120, 160]],
               "power_zones": null})
    );
    let idx = w
        .app
        .get("/data/admin/index.json", Some(&w.alice))
        .await
        .json;
    assert!(idx["owner"].get("athlete").is_none(), "not configured");

    let doc = w.app.get("/api/openapi.json", None).await.json;
    for (path, method) in [
        ("/api/athlete", "get"),
        ("/api/athlete", "post"),
        ("/data/{handle}/athlete.json", "get"),
        ("/data/{handle}/_merged/athlete.json", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
}

async fn athlete_aggregates_respect_privacy(b: &dyn Backend) {
    let w = world(b).await;
    let recent = T0 - 10 * DAY;
    w.put(
        "2025-12-01T080000Z",
        recent,
        Privacy::Public,
        json!({"mmp": [[5, 900], [60, 400]], "best_efforts": [[5.0, 600.0]], "best_climb_m": 300.0}),
    )
    .await;
    w.put(
        "2025-12-02T080000Z",
        recent + DAY,
        Privacy::Public,
        json!({"mmp": [[5, 800], [60, 420]], "best_climb_m": 120.0}),
    )
    .await;
    // Public but with power, speed and elevation hidden by the owner.
    w.put(
        "2025-12-03T080000Z",
        recent + 2 * DAY,
        Privacy::Public,
        json!({"mmp": [[5, 1500]], "best_efforts": [[5.0, 500.0]], "best_climb_m": 900.0}),
    )
    .await;
    let r = w
        .app
        .json(
            Method::POST,
            "/api/activity/2025-12-03T080000Z",
            json!({"hide_stats": ["power", "speed", "elevation"]}),
            Some(&w.alice),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Unlisted and private: never in the public version.
    w.put(
        "2025-12-04T080000Z",
        recent + 3 * DAY,
        Privacy::Unlisted,
        json!({"mmp": [[1200, 300]]}),
    )
    .await;
    w.put(
        "2025-12-05T080000Z",
        recent + 4 * DAY,
        Privacy::Private,
        json!({"mmp": [[3600, 280]], "best_efforts": [[5.0, 450.0]]}),
    )
    .await;

    let own = w.app.get("/api/athlete", Some(&w.alice)).await.json;
    assert_eq!(
        own["power_curve"]["all_time"],
        json!([[5, 1500], [60, 420], [1200, 300], [3600, 280]])
    );
    assert_eq!(
        own["power_curve"]["last_90d"],
        own["power_curve"]["all_time"]
    );
    assert_eq!(own["records"]["cycling"]["5.0"]["time_s"], json!(450));
    assert_eq!(own["best_climbs"][0]["climb_m"], json!(900));
    let live_own = w
        .app
        .get("/data/alice/athlete.json", Some(&w.alice))
        .await
        .json;
    assert_eq!(live_own["power_curve"], own["power_curve"]);

    let public = json!([[5, 900], [60, 420]]);
    let other = w.app.get("/data/alice/athlete.json", Some(&w.bob)).await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.json["power_curve"]["all_time"], public);
    assert_eq!(
        other.json["records"]["cycling"]["5.0"],
        json!({"time_s": 600, "activity_id": "2025-12-01T080000Z",
               "started_at": "2025-12-22T00:00:00+00:00", "title": "Morning Ride"})
    );
    let climbs: Vec<&Value> = other.json["best_climbs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["climb_m"])
        .collect();
    assert_eq!(climbs, [&json!(300), &json!(120)]);
    let merged = w
        .app
        .get("/data/alice/_merged/athlete.json", Some(&w.bob))
        .await;
    assert_eq!(merged.json["power_curve"], other.json["power_curve"]);

    // Same access rules as the rest of /data/.
    assert_eq!(
        w.app.get("/data/alice/athlete.json", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        w.app
            .get("/data/nobody/athlete.json", Some(&w.bob))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    w.app
        .accounts
        .set_setting("private", "false")
        .await
        .unwrap();
    let anon = w.app.get("/data/alice/athlete.json", None).await;
    assert_eq!(anon.status, StatusCode::OK);
    assert_eq!(anon.json["power_curve"]["all_time"], public);
    assert!(!anon.text.contains("2025-12-05T080000Z"), "private leaked");
    assert!(!anon.text.contains("2025-12-04T080000Z"), "unlisted leaked");

    // Wiping the activities empties the aggregates; the config (part of the
    // account) stays.
    w.post(json!({"ftp_w": 250}), &w.alice).await;
    let r = w
        .app
        .json(
            Method::DELETE,
            "/api/me/activities",
            json!({"password": "alice-password"}),
            Some(&w.alice),
        )
        .await;
    assert_eq!(r.json, json!({"ok": true, "deleted": 5}));
    let own = w.app.get("/api/athlete", Some(&w.alice)).await.json;
    assert_eq!(own["power_curve"]["all_time"], json!([]));
    assert_eq!(own["best_climbs"], json!([]));
    assert_eq!(own["ftp_w"], json!(250));
}

macro_rules! athlete_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend;
            athlete_config_merges_and_validates,
            athlete_aggregates_respect_privacy,
        );
    };
}

mod sqlite {
    athlete_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    athlete_cases!(crate::mongo_backend!());
}
