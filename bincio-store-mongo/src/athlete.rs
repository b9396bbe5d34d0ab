//! Athlete config on MongoDB: a sub-document `athlete` of the user's own
//! document in `users`, `{<key>: <JSON text>}`.
//!
//! Why inside the user document: a patch is then one `find_one_and_update`
//! on one document (`$set` / `$unset` of the keys it names), atomic without
//! transactions; it matches no document when the user does not exist (so no
//! orphan config can be created by a patch racing with `delete_user`), and
//! the config goes with the user document. Values are JSON text, not BSON,
//! so free-form gear keys (dots, `$`) and number kinds round-trip exactly.

use bincio_core::model::{AthleteConfig, AthletePatch};
use bincio_core::store::{StoreError, StoreResult};
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::ReturnDocument;

use crate::connect::coll;
use crate::error::backend;
use crate::MongoStore;

const FIELD: &str = "athlete";

fn decode(handle: &str, user: &Document) -> StoreResult<AthleteConfig> {
    let corrupt = |what: String| StoreError::Corrupt(format!("users.{FIELD} of {handle}: {what}"));
    let sub = match user.get(FIELD) {
        None | Some(Bson::Null) => return Ok(AthleteConfig::default()),
        Some(Bson::Document(d)) => d,
        Some(_) => return Err(corrupt("not a document".into())),
    };
    let mut fields = Vec::with_capacity(sub.len());
    for (k, v) in sub {
        match v {
            Bson::String(s) => fields.push((k.as_str(), s.as_str())),
            _ => return Err(corrupt(format!("{k} is not JSON text"))),
        }
    }
    AthleteConfig::from_fields(fields).map_err(corrupt)
}

impl MongoStore {
    pub(crate) async fn athlete_get(&self, handle: &str) -> StoreResult<AthleteConfig> {
        let user = self
            .coll(coll::USERS)
            .find_one(doc! { "_id": handle })
            .projection(doc! { FIELD: 1 })
            .await
            .map_err(backend)?;
        match user {
            Some(d) => decode(handle, &d),
            None => Ok(AthleteConfig::default()),
        }
    }

    pub(crate) async fn athlete_patch(
        &self,
        handle: &str,
        patch: &AthletePatch,
    ) -> StoreResult<AthleteConfig> {
        let mut set = Document::new();
        for (k, v) in patch.set.to_fields() {
            set.insert(format!("{FIELD}.{}", k.as_str()), v);
        }
        let mut unset = Document::new();
        for k in &patch.clear {
            unset.insert(format!("{FIELD}.{}", k.as_str()), "");
        }
        let mut update = Document::new();
        if !set.is_empty() {
            update.insert("$set", set);
        }
        if !unset.is_empty() {
            update.insert("$unset", unset);
        }
        let users = self.coll(coll::USERS);
        let after = if update.is_empty() {
            // MongoDB refuses an empty update; nothing to change anyway.
            users
                .find_one(doc! { "_id": handle })
                .projection(doc! { FIELD: 1 })
                .await
        } else {
            users
                .find_one_and_update(doc! { "_id": handle }, update)
                .projection(doc! { FIELD: 1 })
                .return_document(ReturnDocument::After)
                .await
        }
        .map_err(backend)?;
        match after {
            Some(d) => decode(handle, &d),
            None => Err(StoreError::NotFound(format!("user {handle}"))),
        }
    }
}
