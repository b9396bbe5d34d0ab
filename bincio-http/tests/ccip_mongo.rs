// Over 600 lines on purpose: one HTTP suite per file, its cases kept
// byte-identical across the issue-11 restructuring (the routes they pin are
// being retyped under them); split by route group once that has landed.

//! CCIP on MongoDB beyond the shared suites:
//!
//! * a database written exactly as CCIP-Server / MongoEngine write it
//!   (hand-built BSON per `ccip.md` §2: `_cls`, int32 times, float deliverer
//!   timestamps, ObjectId references; some times as int64 / double as other
//!   writers store them) is served with the same JSON as SQLite gives for
//!   the same state;
//! * the documents bincio writes have the §2 shape, field by field;
//! * two routers with their own clients (as two `bincio serve` processes)
//!   on one database: exactly one of 500 concurrent `/use` wins, and 200
//!   concurrent deliveries are all counted.
//!
//! Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).

use support::ccip as ccip_common;
#[macro_use]
mod support;

use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use bincio_core::event::model::{Attendee, DelivererStamp, Pairs, Scenario};
use bincio_core::store::Delivery;
use bincio_store_conformance::{Backend, Stores};
use bincio_store_mongo::mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use bincio_store_mongo::mongodb::Database;
use ccip_common::mongoengine::{
    create_indexes, list_indexes, mongoengine_indexes, operator_indexes,
};
use ccip_common::*;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Hands out the same stores again (a second router over one SQLite
/// database, with its own fresh seeded piece generator).
struct Same(Stores);

#[async_trait::async_trait]
impl Backend for Same {
    async fn fresh(&self) -> Stores {
        self.0.clone()
    }
}

// ---------------------------------------------------------------------------
// Hand-built CCIP-Server documents (`ccip.md` §2), independent of the
// store's own encoder.

/// A MongoEngine `IntField` value; `wide` stores it as another writer
/// might (int64, or a double for `expire_time`).
fn cs_time(n: i64, wide: bool, double: bool) -> Bson {
    match (wide, double) {
        (false, _) => Bson::Int32(i32::try_from(n).unwrap()),
        (true, false) => Bson::Int64(n),
        (true, true) => Bson::Double(n as f64),
    }
}

fn cs_pairs(p: &Pairs) -> Document {
    let mut d = Document::new();
    for (k, v) in p {
        d.insert(k.clone(), v.clone());
    }
    d
}

fn cs_scenario(s: &Scenario, wide: bool) -> Document {
    let mut d = doc! {
        "order": Bson::Int32(s.order as i32),
        "display_text": cs_pairs(&s.display_text),
        "available_time": cs_time(s.available_time, wide, false),
        "expire_time": cs_time(s.expire_time, wide, true),
    };
    if let Some(u) = s.used {
        d.insert("used", cs_time(u, wide, false));
    }
    if let Some(m) = &s.disabled {
        d.insert("disabled", m.clone());
    }
    d.insert("countdown", Bson::Int32(s.countdown as i32));
    d.insert("attr", cs_pairs(&s.attr));
    d.insert("_cls", "Scenario");
    d
}

fn cs_attendee(a: &Attendee, wide: bool) -> Document {
    let mut scenario = Document::new();
    for s in &a.scenarios {
        scenario.insert(s.id.clone(), cs_scenario(s, wide));
    }
    let mut d = doc! {
        "_id": ObjectId::parse_str(&a.id).unwrap(),
        "event_id": &a.event_id,
        "token": &a.token,
        "user_id": &a.user_id,
        "scenario": scenario,
        "attr": cs_pairs(&a.attr),
    };
    if let Some(t) = a.first_use {
        d.insert("first_use", cs_time(t, wide, false));
    }
    d.insert("role", &a.role);
    d
}

async fn insert(db: &Database, coll: &str, docs: Vec<Document>) {
    if !docs.is_empty() {
        db.collection::<Document>(coll)
            .insert_many(docs)
            .await
            .expect("insert CS documents");
    }
}

/// Copy the event state of SQLite `s` into `db` as CCIP-Server stores it.
async fn write_as_ccip_server(s: &Stores, db: &Database) {
    let mut atts = Vec::new();
    for role in ["audience", "staff"] {
        for a in s.attendees.list_attendees(role).await.unwrap() {
            // Staff documents use int64 / double times (other writers).
            atts.push(cs_attendee(&a, role == "staff"));
        }
    }
    insert(db, "attendee", atts).await;
    let mut anns = Vec::new();
    for a in s.attendees.announcements("audience").await.unwrap() {
        let mut d = doc! {
            "_id": ObjectId::parse_str(&a.id).unwrap(),
            "datetime": Bson::Int32(a.datetime as i32),
        };
        for (k, v) in [
            ("msg_zh", &a.msg_zh),
            ("msg_en", &a.msg_en),
            ("uri", &a.uri),
        ] {
            if let Some(v) = v {
                d.insert(k, v.clone());
            }
        }
        d.insert("role", a.role.clone());
        anns.insert(0, d);
    }
    insert(db, "announcement", anns).await;
    let counters = s.puzzles.counters().await.unwrap();
    let status = counters
        .iter()
        .map(|c| {
            doc! {
                "_id": ObjectId::parse_str(&c.id).unwrap(),
                "puzzle": &c.puzzle,
                "quantity": Bson::Int32(c.quantity as i32),
                "currency": Bson::Int32(c.currency as i32),
            }
        })
        .collect();
    insert(db, "puzzle_status", status).await;
    let mut buckets = Vec::new();
    for tok in [ADA, GRACE, FERRIS] {
        let Some(b) = s.puzzles.bucket(&public(tok)).await.unwrap() else {
            continue;
        };
        let deliverer: Vec<Bson> = b
            .deliverer
            .iter()
            .map(|d| Bson::Document(doc! { "deliverer": &d.deliverer, "timestamp": d.timestamp }))
            .collect();
        let mut d = doc! {
            "_id": ObjectId::parse_str(&b.id).unwrap(),
            "attendee": ObjectId::parse_str(&b.attendee).unwrap(),
            "public_token": &b.public_token,
            "puzzle": b.puzzle.clone(),
            "deliverer": deliverer,
        };
        if let Some(v) = b.valid {
            d.insert("valid", Bson::Int32(v as i32));
        }
        if let Some(c) = b.coupon {
            d.insert("coupon", Bson::Int32(c as i32));
        }
        buckets.push(d);
    }
    insert(db, "puzzle_bucket", buckets).await;
}

/// A CCIP-Server database (hand-built documents) answers `/status`, `/use`,
/// `/event/puzzle` and friends byte for byte as SQLite does on the same
/// state.
async fn ccip_server_database_served_like_sqlite() {
    let shared = mongo_shared_db!();
    // The state, made on SQLite: imports, a first `/status`, a use, a booth
    // stamp with a fractional timestamp, an announcement.
    let pre = CcipApp::imported(&support::Sqlite).await;
    pre.status(GRACE).await;
    pre.get(&format!("/use/checkin?token={GRACE}")).await.ok();
    let grace = pre
        .stores
        .attendees
        .get_attendee(GRACE)
        .await
        .unwrap()
        .unwrap();
    pre.stores
        .puzzles
        .deliver(Delivery {
            attendee_id: grace.id.clone(),
            public_token: grace.public_token(),
            piece: Some("borrow".into()),
            deliverer: Some(DelivererStamp {
                deliverer: "Crab Cloud".into(),
                timestamp: 1_565_000_000.123_456,
            }),
            now: MORNING,
        })
        .await
        .unwrap();
    pre.post_form(
        "/announcement",
        "msg_zh=%E4%BD%A0%E5%A5%BD&msg_en=Hello&uri=https%3A%2F%2Fexample.org&role[]=audience",
        &[("ccip", STAFF_KEY)],
    )
    .await
    .ok();
    // The same state written into MongoDB as CCIP-Server would have: its
    // MongoEngine indexes first (exact options), an operator's own indexes
    // on keys bincio needs, then the documents.
    let db = shared.raw().await;
    create_indexes(&db, &mongoengine_indexes()).await;
    create_indexes(&db, &operator_indexes()).await;
    write_as_ccip_server(&pre.stores, &db).await;
    let sqlite = CcipApp::with_dir(&Same(pre.stores.clone()), event_dir(|_| {})).await;
    let mongo = CcipApp::with_dir(&shared, event_dir(|_| {})).await;
    let uris = [
        format!("/status?token={ADA}&StaffQuery=true"),
        format!("/status?token={ADA}"),
        format!("/status?token={GRACE}"),
        format!("/status?token={FERRIS}"),
        format!("/use/checkin?token={ADA}"),
        format!("/use/checkin?token={ADA}"),
        format!("/use/welcome_kit?token={ADA}"),
        format!("/use/lunch?token={GRACE}"),
        format!("/use/checkin?token={FERRIS}&StaffQuery=true"),
        format!("/event/puzzle?token={}", public(ADA)),
        format!("/event/puzzle?token={}", public(GRACE)),
        format!("/event/puzzle?token={}", public(FERRIS)),
        "/event/puzzle/dashboard".to_owned(),
        format!("/announcement?token={ADA}"),
        format!("/landing?token={GRACE}"),
    ];
    for uri in &uris {
        let (a, b) = (sqlite.staff_get(uri).await, mongo.staff_get(uri).await);
        assert_eq!(a.status, b.status, "{uri}: {} vs {}", a.text, b.text);
        assert_eq!(a.text, b.text, "{uri}");
        assert_eq!(a.content_type(), b.content_type(), "{uri}");
    }
    for uri in ["/dashboard", "/dashboard/audience", "/dashboard/staff"] {
        let (a, b) = (sqlite.staff_get(uri).await, mongo.staff_get(uri).await);
        assert_eq!((a.status, &a.json), (b.status, &b.json), "{uri}");
    }
    // The CS int32 / int64 / double times read as integers.
    let ferris = mongo.get(&format!("/status?token={FERRIS}")).await;
    assert!(ferris.ok()["scenarios"][0]["expire_time"].is_i64());
    // bincio adopted what it found: MongoEngine's and the operator's
    // indexes are as created, and no second index on the same keys.
    for (coll, spec) in mongoengine_indexes().iter().chain(&operator_indexes()) {
        let name = spec.get_str("name").unwrap();
        let listed = list_indexes(&db, coll).await;
        let (_, got) = listed
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{coll}: index {name} gone: {listed:?}"));
        assert_eq!(
            got.get_document("key"),
            spec.get_document("key"),
            "{coll}.{name}"
        );
        let same_key = listed
            .iter()
            .filter(|(_, d)| d.get_document("key") == spec.get_document("key"))
            .count();
        // MongoEngine's `role_1` and the operator's `ops_attendee_role`
        // share a key (their options differ); nothing else may.
        let want = if *coll == "attendee" && spec.get_document("key") == Ok(&doc! { "role": 1 }) {
            2
        } else {
            1
        };
        assert_eq!(same_key, want, "{coll}: indexes on {spec}: {listed:?}");
    }
}

/// CCIP-Server starts on a database bincio created: MongoEngine's own
/// `createIndexes` (exact options) finds identical indexes and succeeds.
async fn ccip_server_starts_on_a_bincio_database() {
    let shared = mongo_shared_db!();
    let app = CcipApp::with_dir(&shared, event_dir(|_| {})).await;
    app.import("audience", "attendees.csv").await;
    app.status(ADA).await;
    let db = shared.raw().await;
    create_indexes(&db, &mongoengine_indexes()).await;
    for (coll, spec) in mongoengine_indexes() {
        let name = spec.get_str("name").unwrap();
        let listed = list_indexes(&db, coll).await;
        assert_eq!(
            listed.iter().filter(|(n, _)| n == name).count(),
            1,
            "{coll}: {listed:?}"
        );
    }
}

/// An index that contradicts a need (the attendee token not unique) stops
/// the start with a message naming the collection, both specs and the fix;
/// the operator's index is left alone.
async fn contradicting_index_is_reported() {
    let shared = mongo_shared_db!();
    let db = shared.raw().await;
    create_indexes(
        &db,
        &[(
            "attendee",
            doc! { "key": { "token": 1 }, "name": "token_lookup" },
        )],
    )
    .await;
    let url = shared.url();
    let err = bincio_store_mongo::MongoStore::connect(&url)
        .await
        .expect_err("a non-unique token index must stop the start");
    let m = err.to_string();
    for part in [
        "`attendee`",
        "token_lookup",
        "unique: true",
        "dropIndex(\"token_lookup\")",
    ] {
        assert!(m.contains(part), "missing {part:?} in: {m}");
    }
    let listed = list_indexes(&db, "attendee").await;
    assert!(
        listed.iter().any(|(n, _)| n == "token_lookup"),
        "{listed:?}"
    );
}

// ---------------------------------------------------------------------------
// The shape of what bincio writes.

fn keys(d: &Document) -> Vec<&str> {
    d.keys().map(String::as_str).collect()
}

#[track_caller]
fn no_nulls(b: &Bson, path: &str) {
    match b {
        Bson::Null => panic!("{path} is null (must be absent)"),
        Bson::Document(d) => d
            .iter()
            .for_each(|(k, v)| no_nulls(v, &format!("{path}.{k}"))),
        Bson::Array(a) => a.iter().for_each(|v| no_nulls(v, &format!("{path}[]"))),
        _ => {}
    }
}

#[track_caller]
fn strings(d: &Document, what: &str) {
    for (k, v) in d {
        assert!(matches!(v, Bson::String(_)), "{what}.{k}: {v:?}");
    }
}

#[track_caller]
fn int32(d: &Document, f: &str, what: &str) -> i32 {
    match d.get(f) {
        Some(Bson::Int32(n)) => *n,
        other => panic!("{what}.{f}: want int32, got {other:?}"),
    }
}

/// Every item of a cursor (the driver's `advance` loop, so no stream
/// crate is needed here).
macro_rules! drain {
    ($cursor:expr) => {{
        let mut c = $cursor;
        let mut out = Vec::new();
        while c.advance().await.unwrap() {
            out.push(c.deserialize_current().unwrap());
        }
        out
    }};
}

async fn all(db: &Database, coll: &str) -> Vec<Document> {
    drain!(db.collection::<Document>(coll).find(doc! {}).await.unwrap())
}

async fn unique_index(db: &Database, coll: &str, name: &str, key: &str) {
    let idx: Vec<_> = drain!(db
        .collection::<Document>(coll)
        .list_indexes()
        .await
        .unwrap());
    let i = idx
        .iter()
        .find(|i| i.options.as_ref().and_then(|o| o.name.as_deref()) == Some(name))
        .unwrap_or_else(|| panic!("{coll}: no index {name}: {idx:?}"));
    assert_eq!(keys(&i.keys), [key]);
    assert_eq!(i.options.as_ref().and_then(|o| o.unique), Some(true));
}

async fn bincio_writes_ccip_shape() {
    let shared = mongo_shared_db!();
    let app = CcipApp::with_dir(&shared, event_dir(|_| {})).await;
    app.import("audience", "attendees.csv").await;
    app.import("staff", "staff.csv").await;
    app.status(ADA).await;
    app.get(&format!("/use/checkin?token={ADA}")).await.ok();
    app.post_form(
        "/event/puzzle/deliver?token=booth-91c2",
        &format!("receiver={GRACE}"),
        &[],
    )
    .await
    .ok();
    app.staff_get(&format!("/event/puzzle/revoke?token={ADA}"))
        .await
        .ok();
    app.post_form(
        "/announcement",
        "msg_zh=zh&msg_en=en&uri=https%3A%2F%2Fu.example&role[]=audience&role[]=staff",
        &[("ccip", STAFF_KEY)],
    )
    .await
    .ok();
    // The desk: a staff scan with a nonce, its undo, a new scan (the
    // attendee document keeps CS's shape; the log lives in bincio's own
    // collections).
    let scan = |nonce: &str| serde_json::json!({"token": FERRIS, "scenario": "staff_checkin", "nonce": nonce});
    app.post_json("/api/event/use", scan("s1"), &[("ccip", STAFF_KEY)])
        .await
        .ok();
    app.post_json(
        "/api/event/undo",
        serde_json::json!({"token": FERRIS, "scenario": "staff_checkin", "reason": "test"}),
        &[("ccip", STAFF_KEY)],
    )
    .await
    .ok();
    app.post_json("/api/event/use", scan("s2"), &[("ccip", STAFF_KEY)])
        .await
        .ok();
    let db = shared.raw().await;
    let audit = all(&db, "bincio_event_audit").await;
    assert!(
        audit.len() >= 4,
        "use, undo, use (and the attendee's own): {}",
        audit.len()
    );

    let atts = all(&db, "attendee").await;
    assert!(atts.len() >= 3);
    let mut ids = std::collections::BTreeMap::new();
    for a in &atts {
        no_nulls(&Bson::Document(a.clone()), "attendee");
        let token = a.get_str("token").unwrap();
        // As written at import (MongoEngine's order); `first_use` is added
        // later by `$set`, which appends it (as CS's `save()` does).
        let want: &[&str] = if token == ADA {
            &[
                "_id",
                "event_id",
                "token",
                "user_id",
                "scenario",
                "attr",
                "role",
                "first_use",
            ]
        } else {
            &[
                "_id", "event_id", "token", "user_id", "scenario", "attr", "role",
            ]
        };
        assert_eq!(keys(a), want, "{token}");
        let Some(Bson::ObjectId(id)) = a.get("_id") else {
            panic!("_id not an ObjectId")
        };
        ids.insert(token.to_owned(), *id);
        for f in ["event_id", "user_id", "role"] {
            a.get_str(f).unwrap();
        }
        strings(a.get_document("attr").unwrap(), "attr");
        if token == ADA {
            assert_eq!(int32(a, "first_use", "attendee") as i64, MORNING);
        }
        for (sid, s) in a.get_document("scenario").unwrap() {
            let s = s.as_document().unwrap();
            let w = format!("scenario.{sid}");
            let allowed = [
                "order",
                "display_text",
                "available_time",
                "expire_time",
                "used",
                "disabled",
                "countdown",
                "attr",
                "_cls",
            ];
            assert!(keys(s).iter().all(|k| allowed.contains(k)), "{w}: {s:?}");
            for f in ["order", "available_time", "expire_time", "countdown"] {
                int32(s, f, &w);
            }
            if s.contains_key("used") {
                int32(s, "used", &w);
            }
            if let Some(d) = s.get("disabled") {
                assert!(matches!(d, Bson::String(_)), "{w}.disabled");
            }
            strings(s.get_document("display_text").unwrap(), &w);
            strings(s.get_document("attr").unwrap(), &w);
            assert_eq!(s.get_str("_cls").unwrap(), "Scenario", "{w}");
        }
    }
    let ada = atts.iter().find(|a| a.get_str("token") == Ok(ADA)).unwrap();
    let checkin = ada
        .get_document("scenario")
        .unwrap()
        .get_document("checkin")
        .unwrap();
    assert_eq!(int32(checkin, "used", "checkin") as i64, MORNING);
    let grace = atts
        .iter()
        .find(|a| a.get_str("token") == Ok(GRACE))
        .unwrap();
    let unused = grace
        .get_document("scenario")
        .unwrap()
        .get_document("checkin")
        .unwrap();
    assert!(!unused.contains_key("used"), "unused: absent, not null");

    let buckets = all(&db, "puzzle_bucket").await;
    assert_eq!(buckets.len(), 2, "{buckets:?}");
    for b in &buckets {
        no_nulls(&Bson::Document(b.clone()), "puzzle_bucket");
        let pt = b.get_str("public_token").unwrap();
        let tok = if pt == public(ADA) { ADA } else { GRACE };
        assert_eq!(pt, public(tok));
        let want: &[&str] = if tok == ADA {
            &[
                "_id",
                "attendee",
                "public_token",
                "puzzle",
                "deliverer",
                "valid",
                "coupon",
            ]
        } else {
            &["_id", "attendee", "public_token", "puzzle", "deliverer"]
        };
        assert_eq!(keys(b), want);
        assert!(matches!(b.get("_id"), Some(Bson::ObjectId(_))));
        assert_eq!(
            b.get_object_id("attendee").unwrap(),
            ids[tok],
            "attendee ref"
        );
        for p in b.get_array("puzzle").unwrap() {
            assert!(matches!(p, Bson::String(_)));
        }
        for d in b.get_array("deliverer").unwrap() {
            let d = d.as_document().unwrap();
            assert_eq!(keys(d), ["deliverer", "timestamp"]);
            assert!(matches!(d.get("timestamp"), Some(Bson::Double(_))), "{d:?}");
        }
        if tok == ADA {
            assert_eq!(int32(b, "valid", "bucket") as i64, MORNING);
            assert_eq!(int32(b, "coupon", "bucket"), 0);
        } else {
            assert_eq!(b.get_array("deliverer").unwrap().len(), 1);
        }
    }

    let status = all(&db, "puzzle_status").await;
    assert_eq!(status.len(), 6, "five pieces and total, once each");
    for s in &status {
        assert_eq!(keys(s), ["_id", "puzzle", "quantity", "currency"]);
        int32(s, "quantity", "puzzle_status");
        int32(s, "currency", "puzzle_status");
    }

    let anns = all(&db, "announcement").await;
    assert_eq!(anns.len(), 1);
    let a = &anns[0];
    assert_eq!(
        keys(a),
        ["_id", "datetime", "msg_zh", "msg_en", "uri", "role"]
    );
    assert_eq!(int32(a, "datetime", "announcement") as i64, MORNING);
    assert_eq!(
        a.get_array("role").unwrap(),
        &vec![Bson::from("audience"), Bson::from("staff")]
    );

    unique_index(&db, "attendee", "token_1", "token").await;
    unique_index(&db, "puzzle_bucket", "public_token_1", "public_token").await;
}

// ---------------------------------------------------------------------------
// Two routers, two clients, one database.

fn booths_dir() -> tempfile::TempDir {
    event_dir(|d| {
        let perms: serde_json::Map<String, serde_json::Value> = (0..200)
            .map(|i| (format!("booth-{i}"), format!("Booth {i}").into()))
            .collect();
        std::fs::write(
            d.join("delivery-permission.json"),
            serde_json::to_string(&perms).unwrap(),
        )
        .unwrap();
    })
}

/// Send every request concurrently, the i-th to `routers[i % 2]`.
async fn run_split(routers: [&Router; 2], reqs: Vec<Request<Body>>) -> Vec<(StatusCode, String)> {
    let tasks: Vec<_> = reqs
        .into_iter()
        .enumerate()
        .map(|(i, req)| {
            let router = routers[i % 2].clone();
            tokio::spawn(async move {
                let resp = router.oneshot(req).await.unwrap();
                let status = resp.status();
                let body = resp.into_body().collect().await.unwrap().to_bytes();
                (status, String::from_utf8_lossy(&body).into_owned())
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn two_routers_one_database() {
    let shared = mongo_shared_db!();
    let a = CcipApp::with_dir(&shared, booths_dir()).await;
    let b = CcipApp::with_dir(&shared, booths_dir()).await;
    a.import("audience", "attendees.csv").await;

    let t = Instant::now();
    let reqs = (0..500)
        .map(|_| {
            Request::get(format!("/use/checkin?token={GRACE}"))
                .body(Body::empty())
                .unwrap()
        })
        .collect();
    let res = run_split([&a.router, &b.router], reqs).await;
    eprintln!("two routers: 500 concurrent /use took {:?}", t.elapsed());
    let ok = res.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let used = res
        .iter()
        .filter(|(s, body)| {
            *s == StatusCode::BAD_REQUEST && body == "{\"message\":\"has been used\"}\n"
        })
        .count();
    assert_eq!((ok, used), (1, 499), "{:?}", &res[..3]);

    let t = Instant::now();
    let reqs = (0..200)
        .map(|i| {
            Request::post(format!("/event/puzzle/deliver?token=booth-{i}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!("receiver={ADA}")))
                .unwrap()
        })
        .collect();
    let res = run_split([&a.router, &b.router], reqs).await;
    eprintln!(
        "two routers: 200 concurrent deliveries took {:?}",
        t.elapsed()
    );
    assert!(res.iter().all(|(s, _)| *s == StatusCode::OK), "{res:?}");
    for app in [&a, &b] {
        let bucket = app
            .get(&format!("/event/puzzle?token={}", public(ADA)))
            .await;
        assert_eq!(bucket.ok()["puzzles"].as_array().unwrap().len(), 200);
        assert_eq!(bucket.json["deliverers"].as_array().unwrap().len(), 200);
        let dash = app.get("/event/puzzle/dashboard").await;
        let rows = dash.ok().as_array().unwrap().clone();
        let total = rows.last().unwrap();
        assert_eq!(total["puzzle"], "total");
        // GRACE's check-in delivered one piece too.
        assert_eq!(
            (total["quantity"].as_i64(), total["currency"].as_i64()),
            (Some(201), Some(201))
        );
        let sum: i64 = rows[..rows.len() - 1]
            .iter()
            .map(|c| c["quantity"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 201);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mongo_ccip_server_database_served_like_sqlite() {
    ccip_server_database_served_like_sqlite().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mongo_ccip_server_starts_on_a_bincio_database() {
    ccip_server_starts_on_a_bincio_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mongo_contradicting_index_is_reported() {
    contradicting_index_is_reported().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mongo_bincio_writes_ccip_shape() {
    bincio_writes_ccip_shape().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mongo_two_routers_one_database() {
    two_routers_one_database().await;
}
