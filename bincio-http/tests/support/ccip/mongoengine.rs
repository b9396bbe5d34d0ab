//! A database as CCIP-Server builds it: MongoEngine creates each
//! collection's indexes on first use with its exact options (`meta.indexes`
//! and `unique=True` fields, always `background: false`, unique ones with
//! `sparse: false`), then `import.py` and the routes write documents.
//! Used to prove bincio starts on such a database and CCIP-Server starts
//! on one bincio made (`ccip.md` §2).

use bincio_store_mongo::mongodb::bson::{doc, Document};
use bincio_store_mongo::mongodb::Database;

/// MongoEngine's `createIndexes` entries per collection, as CCIP-Server's
/// models produce them (pymongo sends the options in MongoEngine's keyword
/// order: `background`, then `unique`, `sparse`; servers compare option
/// order too).
pub fn mongoengine_indexes() -> Vec<(&'static str, Document)> {
    vec![
        (
            "attendee",
            doc! { "key": { "event_id": 1 }, "name": "event_id_1", "background": false },
        ),
        (
            "attendee",
            doc! { "key": { "role": 1 }, "name": "role_1", "background": false },
        ),
        (
            "attendee",
            doc! {
                "key": { "token": 1 }, "name": "token_1",
                "background": false, "unique": true, "sparse": false,
            },
        ),
        (
            "puzzle_status",
            doc! { "key": { "puzzle": 1 }, "name": "puzzle_1", "background": false },
        ),
        (
            "puzzle_bucket",
            doc! {
                "key": { "public_token": 1 }, "name": "public_token_1",
                "background": false, "unique": true, "sparse": false,
            },
        ),
    ]
}

/// An operator's own indexes on keys bincio needs, under other names (a
/// DBA's additions): bincio must adopt them, not create duplicates.
pub fn operator_indexes() -> Vec<(&'static str, Document)> {
    vec![
        (
            "sessions",
            doc! { "key": { "handle": 1 }, "name": "ops_sessions_by_handle" },
        ),
        (
            "activities",
            doc! { "key": { "handle": 1, "id": 1 }, "name": "ops_activity_key", "unique": true },
        ),
        (
            "attendee",
            doc! { "key": { "role": 1 }, "name": "ops_attendee_role" },
        ),
    ]
}

/// Run `createIndexes` for each entry, as MongoEngine / the operator do.
pub async fn create_indexes(db: &Database, entries: &[(&str, Document)]) {
    for (coll, spec) in entries {
        db.run_command(doc! { "createIndexes": *coll, "indexes": [spec.clone()] })
            .await
            .unwrap_or_else(|e| panic!("createIndexes {coll} {spec}: {e}"));
    }
}

/// Every index of `coll` as `(name, listing)`.
pub async fn list_indexes(db: &Database, coll: &str) -> Vec<(String, Document)> {
    let r = db
        .run_command(doc! { "listIndexes": coll })
        .await
        .unwrap_or_else(|e| panic!("listIndexes {coll}: {e}"));
    let batch = r
        .get_document("cursor")
        .and_then(|c| c.get_array("firstBatch"))
        .expect("listIndexes cursor");
    batch
        .iter()
        .map(|d| {
            let d = d.as_document().expect("index document").clone();
            (d.get_str("name").unwrap_or_default().to_owned(), d)
        })
        .collect()
}
