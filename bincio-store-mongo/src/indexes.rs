//! The indexes bincio needs, and how they meet the indexes a database
//! already has.
//!
//! A database may already hold indexes bincio did not create: CCIP-Server's
//! (MongoEngine creates them with explicit options such as
//! `background: false`), or an operator's own under other names. Asking
//! the server to create ours over them fails (`IndexKeySpecsConflict` for
//! the same name with other options, `IndexOptionsConflict` for the same
//! key under another name), so at start every need is matched against what
//! exists first:
//!
//! * an existing index with the same key pattern and the uniqueness the
//!   need asks for is **adopted**, whatever its name and other options;
//! * a missing one is created, event indexes exactly as MongoEngine
//!   creates them (so CCIP-Server starts on a database bincio made);
//! * an existing index that contradicts a need (the same key but not
//!   unique where bincio relies on uniqueness, or unique where bincio
//!   stores duplicates, or a unique index limited by a partial filter, or
//!   our index name taken by another key) stops the start with
//!   [`ConnectError::IndexConflict`], naming the collection, both specs and
//!   what to run. An operator's index is never dropped.

use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::IndexModel;

use crate::connect::coll;
use crate::error::{has_code, ConnectError};
use crate::MongoStore;

/// One index bincio relies on.
#[derive(Debug, Clone)]
pub(crate) struct Need {
    /// Collection.
    pub coll: &'static str,
    /// Key pattern, in order.
    pub keys: Document,
    /// Name used when bincio creates it.
    pub name: &'static str,
    /// Whether bincio relies on it being unique (atomic inserts).
    pub unique: bool,
    /// Created as MongoEngine does (`background: false`, and `sparse:
    /// false` with `unique`): CCIP-Server's collections.
    pub mongoengine: bool,
}

impl Need {
    /// The `createIndexes` entry. Sent as a raw command so MongoEngine's
    /// exact options (`background: false`, which the driver's typed
    /// options no longer carry, then `unique` and `sparse`, in the order
    /// pymongo sends MongoEngine's keywords, which servers compare too)
    /// reach the server: CCIP-Server's own `create_index` then finds an
    /// identical index and does nothing.
    fn spec_doc(&self) -> Document {
        let mut d = doc! { "key": self.keys.clone(), "name": self.name };
        if self.mongoengine {
            d.insert("background", false);
        }
        if self.unique {
            d.insert("unique", true);
            if self.mongoengine {
                d.insert("sparse", false);
            }
        }
        d
    }

    /// `{key: {...}, unique: true}` as the error messages show it.
    fn spec(&self) -> String {
        let mut d = doc! { "key": self.keys.clone() };
        if self.unique {
            d.insert("unique", true);
        }
        d.to_string()
    }
}

fn plain(c: &'static str, keys: Document, name: &'static str) -> Need {
    Need {
        coll: c,
        keys,
        name,
        unique: false,
        mongoengine: false,
    }
}

fn unique(c: &'static str, keys: Document, name: &'static str) -> Need {
    Need {
        unique: true,
        ..plain(c, keys, name)
    }
}

fn mongoengine(n: Need) -> Need {
    Need {
        mongoengine: true,
        ..n
    }
}

/// Every index bincio relies on.
///
/// `_id` carries the unique keys of the accounts collections: users._id =
/// handle, sessions._id = token hash, invites._id = code, reset_codes._id
/// = code hash, settings._id = key, user_prefs._id = "handle/key",
/// counters._id = counter name. Activities: the two unique keys decide
/// inserts atomically; the feed indexes serve the newest-first pages;
/// tracks, blob manifests and chunks hang off the activity's `_id` (`aid`)
/// and carry the handle for per-user wipes and usage. Event data: exactly
/// CCIP-Server's indexes; the two unique ones decide attendee inserts and
/// bucket creation atomically. `puzzle_1` is not unique in CS; counters
/// stay exact without it (see `puzzle.rs`).
pub(crate) fn needs() -> Vec<Need> {
    vec![
        plain(
            coll::USERS,
            doc! { "created_at": 1, "_id": 1 },
            "created_at_1__id_1",
        ),
        plain(coll::SESSIONS, doc! { "handle": 1 }, "handle_1"),
        plain(coll::SESSIONS, doc! { "expires_at": 1 }, "expires_at_1"),
        plain(coll::INVITES, doc! { "created_by": 1 }, "created_by_1"),
        plain(coll::INVITES, doc! { "used_by": 1 }, "used_by_1"),
        plain(coll::RESET_CODES, doc! { "handle": 1 }, "handle_1"),
        plain(coll::RESET_CODES, doc! { "created_by": 1 }, "created_by_1"),
        plain(coll::USER_PREFS, doc! { "handle": 1 }, "handle_1"),
        plain(
            coll::CONNECTIONS,
            doc! { "provider": 1, "handle": 1 },
            "provider_1_handle_1",
        ),
        unique(
            coll::ACTIVITIES,
            doc! { "handle": 1, "id": 1 },
            "handle_1_id_1",
        ),
        unique(
            coll::ACTIVITIES,
            doc! { "handle": 1, "source_hash": 1 },
            "handle_1_source_hash_1",
        ),
        plain(
            coll::ACTIVITIES,
            doc! { "started_at": -1, "id": -1 },
            "started_at_-1_id_-1",
        ),
        plain(
            coll::ACTIVITIES,
            doc! { "handle": 1, "started_at": -1, "id": -1 },
            "handle_1_started_at_-1_id_-1",
        ),
        plain(
            coll::ACTIVITIES,
            doc! { "privacy": 1, "started_at": -1, "id": -1 },
            "privacy_1_started_at_-1_id_-1",
        ),
        plain(coll::ACTIVITY_TRACKS, doc! { "aid": 1 }, "aid_1"),
        plain(coll::ACTIVITY_TRACKS, doc! { "handle": 1 }, "handle_1"),
        plain(
            coll::ACTIVITY_BLOBS,
            doc! { "aid": 1, "kind": 1, "name": 1 },
            "aid_1_kind_1_name_1",
        ),
        plain(
            coll::ACTIVITY_BLOBS,
            doc! { "handle": 1, "kind": 1 },
            "handle_1_kind_1",
        ),
        plain(coll::ACTIVITY_CHUNKS, doc! { "c": 1, "n": 1 }, "c_1_n_1"),
        plain(coll::ACTIVITY_CHUNKS, doc! { "aid": 1 }, "aid_1"),
        plain(coll::ACTIVITY_CHUNKS, doc! { "handle": 1 }, "handle_1"),
        plain(crate::source::DROP_FILES, doc! { "handle": 1 }, "handle_1"),
        plain(crate::coord::JOBS, doc! { "expires_at": 1 }, "expires_at_1"),
        plain(crate::coord::FAILURES, doc! { "started": 1 }, "started_1"),
        plain(
            crate::coord::STAGED_CHUNKS,
            doc! { "sid": 1, "n": 1 },
            "sid_1_n_1",
        ),
        plain(
            crate::source::SYNC_RUNS,
            doc! { "handle": 1, "started_at": -1, "_id": -1 },
            "handle_1_started_at_-1__id_-1",
        ),
        plain(
            crate::audit::AUDIT,
            doc! { "attendee_id": 1, "scenario": 1, "_id": -1 },
            "attendee_id_1_scenario_1__id_-1",
        ),
        plain(
            crate::audit::AUDIT,
            doc! { "actor": 1, "_id": -1 },
            "actor_1__id_-1",
        ),
        plain(crate::audit::AUDIT, doc! { "at": 1 }, "at_1"),
        mongoengine(plain(coll::ATTENDEE, doc! { "event_id": 1 }, "event_id_1")),
        mongoengine(unique(coll::ATTENDEE, doc! { "token": 1 }, "token_1")),
        mongoengine(plain(coll::ATTENDEE, doc! { "role": 1 }, "role_1")),
        mongoengine(plain(coll::PUZZLE_STATUS, doc! { "puzzle": 1 }, "puzzle_1")),
        mongoengine(unique(
            coll::PUZZLE_BUCKET,
            doc! { "public_token": 1 },
            "public_token_1",
        )),
    ]
}

/// An index as the server lists it.
#[derive(Debug, Clone)]
pub(crate) struct Existing {
    name: String,
    keys: Document,
    unique: bool,
    partial: bool,
    raw: Document,
}

/// Key patterns are equal when they name the same fields in the same
/// order with the same directions or types (`1`, `1.0` and `Int64(1)` are
/// one direction).
fn same_keys(a: &Document, b: &Document) -> bool {
    fn dir(v: &Bson) -> Option<String> {
        match v {
            Bson::Int32(n) => Some(f64::from(*n).to_string()),
            Bson::Int64(n) => Some((*n as f64).to_string()),
            Bson::Double(f) => Some(f.to_string()),
            Bson::String(s) => Some(s.clone()),
            _ => None,
        }
    }
    a.len() == b.len()
        && a.iter()
            .zip(b.iter())
            .all(|((ka, va), (kb, vb))| ka == kb && dir(va).is_some() && dir(va) == dir(vb))
}

/// What to do about one need.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// An existing index serves it (its name).
    Adopt(String),
    /// Nothing serves it: create it.
    Create,
    /// An existing index contradicts it.
    Conflict(ConnectError),
}

/// Decide one need against the collection's indexes (pure, see the module
/// docs for the rules).
pub(crate) fn decide(need: &Need, existing: &[Existing]) -> Verdict {
    let same: Vec<&Existing> = existing
        .iter()
        .filter(|e| same_keys(&e.keys, &need.keys))
        .collect();
    if let Some(e) = same
        .iter()
        .find(|e| e.unique == need.unique && !(need.unique && e.partial))
    {
        return Verdict::Adopt(e.name.clone());
    }
    let conflict = |e: &Existing, why: &str, fix: String| {
        Verdict::Conflict(ConnectError::IndexConflict {
            collection: need.coll.to_owned(),
            needed: need.spec(),
            existing: e.raw.to_string(),
            why: why.to_owned(),
            fix,
        })
    };
    let c = need.coll;
    if let Some(e) = same.first() {
        let (why, fix) = if need.unique && !e.unique {
            (
                "bincio relies on this key being unique (it decides concurrent inserts)",
                format!(
                    "check the collection has no duplicates, then db.{c}.dropIndex({:?}) and \
                     db.{c}.createIndex({}, {{unique: true}}), or just drop it and let bincio \
                     create its own",
                    e.name, need.keys
                ),
            )
        } else if need.unique {
            (
                "a partial unique index does not make the whole key unique",
                format!(
                    "db.{c}.dropIndex({:?}) and let bincio create its own",
                    e.name
                ),
            )
        } else {
            (
                "this unique index would refuse records bincio must store (the key repeats)",
                format!(
                    "db.{c}.dropIndex({:?}) and db.{c}.createIndex({}) without unique",
                    e.name, need.keys
                ),
            )
        };
        return conflict(e, why, fix);
    }
    if let Some(e) = existing.iter().find(|e| e.name == need.name) {
        return conflict(
            e,
            "an index with the name bincio creates exists on another key",
            format!(
                "rename it (drop it and create it under another name); bincio then creates \
                 {:?}",
                need.name
            ),
        );
    }
    Verdict::Create
}

fn existing_from(raw: Document) -> Existing {
    Existing {
        name: raw.get_str("name").unwrap_or_default().to_owned(),
        keys: raw.get_document("key").cloned().unwrap_or_default(),
        unique: raw.get_bool("unique").unwrap_or(false),
        partial: raw.contains_key("partialFilterExpression"),
        raw,
    }
}

impl MongoStore {
    /// The indexes of collection `c` (none when it does not exist yet).
    async fn list_indexes(&self, c: &str) -> Result<Vec<Existing>, mongodb::error::Error> {
        const NAMESPACE_NOT_FOUND: i32 = 26;
        let cursor = match self
            .database()
            .collection::<Document>(c)
            .list_indexes()
            .await
        {
            Ok(cursor) => cursor,
            Err(e) if has_code(&e, NAMESPACE_NOT_FOUND) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let models: Vec<IndexModel> = cursor.try_collect().await?;
        // Re-encode each model to a document: the listing's own shape, with
        // every option the server reported (for messages and checks).
        Ok(models
            .into_iter()
            .map(|m| {
                let mut raw = doc! { "key": m.keys.clone() };
                if let Some(o) = &m.options {
                    if let Ok(Bson::Document(od)) = mongodb::bson::to_bson(o) {
                        raw.extend(od);
                    }
                }
                existing_from(raw)
            })
            .collect())
    }

    /// Adopt or create every needed index (see the module docs). Safe on
    /// every start and from many processes at once: a creation that loses
    /// a race to another process is re-decided against the new listing.
    pub(crate) async fn ensure_indexes(&self) -> Result<(), ConnectError> {
        let server = |e: mongodb::error::Error| ConnectError::Server {
            hosts: self.hosts().to_owned(),
            message: e.to_string(),
        };
        for need in needs() {
            let mut tries = 0;
            loop {
                let existing = self.list_indexes(need.coll).await.map_err(server)?;
                match decide(&need, &existing) {
                    Verdict::Adopt(name) => {
                        if name != need.name {
                            tracing::info!(
                                collection = need.coll,
                                index = %name,
                                "adopted an existing index for {}",
                                need.spec()
                            );
                        }
                        break;
                    }
                    Verdict::Conflict(e) => return Err(e),
                    Verdict::Create => {}
                }
                match self
                    .database()
                    .run_command(doc! { "createIndexes": need.coll, "indexes": [need.spec_doc()] })
                    .await
                {
                    Ok(_) => break,
                    // 85 / 86: another process created an index meanwhile
                    // (or one appeared): decide again on the new listing.
                    Err(e) if tries < 3 && (has_code(&e, 85) || has_code(&e, 86)) => {
                        tries += 1;
                    }
                    Err(e) => return Err(server(e)),
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(name: &str, keys: Document, unique: bool) -> Existing {
        let mut raw = doc! { "key": keys.clone(), "name": name };
        if unique {
            raw.insert("unique", true);
        }
        existing_from(raw)
    }

    #[test]
    fn adopts_by_key_and_uniqueness_whatever_the_name() {
        let need = unique(coll::ATTENDEE, doc! { "token": 1 }, "token_1");
        let e = [ex("ops_token", doc! { "token": 1.0 }, true)];
        assert!(matches!(decide(&need, &e), Verdict::Adopt(n) if n == "ops_token"));
        let need = plain(coll::ATTENDEE, doc! { "role": 1 }, "role_1");
        let e = [ex("r", doc! { "role": Bson::Int64(1) }, false)];
        assert!(matches!(decide(&need, &e), Verdict::Adopt(n) if n == "r"));
        // Key order matters.
        let need = plain(coll::USERS, doc! { "created_at": 1, "_id": 1 }, "x");
        let e = [ex("y", doc! { "_id": 1, "created_at": 1 }, false)];
        assert!(matches!(decide(&need, &e), Verdict::Create));
    }

    #[test]
    fn contradictions_name_collection_specs_and_fix() {
        let need = unique(coll::ATTENDEE, doc! { "token": 1 }, "token_1");
        let e = [ex("tok", doc! { "token": 1 }, false)];
        let Verdict::Conflict(err) = decide(&need, &e) else {
            panic!("expected a conflict")
        };
        let m = err.to_string();
        for part in ["attendee", "unique", "tok", "dropIndex"] {
            assert!(m.contains(part), "{m}");
        }
        let need = plain(coll::ATTENDEE, doc! { "role": 1 }, "role_1");
        let e = [ex("role_u", doc! { "role": 1 }, true)];
        assert!(matches!(decide(&need, &e), Verdict::Conflict(_)));
        let e = [ex("role_1", doc! { "other": 1 }, false)];
        assert!(matches!(decide(&need, &e), Verdict::Conflict(_)));
    }
}
