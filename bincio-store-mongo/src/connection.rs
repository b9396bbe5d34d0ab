//! Connections on MongoDB: collection `connections`, one document per
//! `(handle, provider)` with `_id = "<handle>/<provider>"` (so the key is
//! unique without another index) and the fields of
//! [`Connection`]; sealed tokens and credentials as binary.
//!
//! A patch is one `find_one_and_update` with `upsert` (`$set` / `$unset`
//! of the fields it names): atomic on one document, so concurrent patches
//! of different fields both survive. The user must exist: it is checked
//! before, and again after an insert — a user deleted in between (whose
//! `delete_user` may have run before our upsert) gets the record removed
//! again, so no orphan can be inherited by a later account with the same
//! handle. Spending the OAuth state is one conditional update.

use bincio_core::store::{Connection, ConnectionPatch, ConnectionStore, StoreError, StoreResult};
use mongodb::bson::{doc, spec::BinarySubtype, Binary, Bson, Document};
use mongodb::options::ReturnDocument;

use crate::bsonx::{i64_field, opt_i64_field, opt_str_field, str_field};
use crate::connect::coll;
use crate::error::{backend, has_code, is_duplicate_key};
use crate::MongoStore;

fn key(handle: &str, provider: &str) -> String {
    format!("{handle}/{provider}")
}

fn opt_bytes(d: &Document, field: &str) -> StoreResult<Option<Vec<u8>>> {
    match d.get(field) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::Binary(b)) => Ok(Some(b.bytes.clone())),
        Some(_) => Err(StoreError::Corrupt(format!(
            "{}.{field}: not binary",
            coll::CONNECTIONS
        ))),
    }
}

fn decode(d: &Document) -> StoreResult<Connection> {
    let c = coll::CONNECTIONS;
    Ok(Connection {
        handle: str_field(d, c, "handle")?,
        provider: str_field(d, c, "provider")?,
        athlete_id: opt_i64_field(d, c, "athlete_id")?,
        athlete_name: opt_str_field(d, c, "athlete_name")?,
        scopes: opt_str_field(d, c, "scopes")?,
        tokens: opt_bytes(d, "tokens")?,
        credentials: opt_bytes(d, "credentials")?,
        cursor: opt_i64_field(d, c, "cursor")?,
        last_sync: opt_i64_field(d, c, "last_sync")?,
        next_sync: opt_i64_field(d, c, "next_sync")?,
        paused_until: opt_i64_field(d, c, "paused_until")?,
        last_error: opt_str_field(d, c, "last_error")?,
        oauth_state: opt_str_field(d, c, "oauth_state")?,
        oauth_state_expires: opt_i64_field(d, c, "oauth_state_expires")?,
        updated_at: i64_field(d, c, "updated_at")?,
    })
}

fn bin(b: &[u8]) -> Bson {
    Bson::Binary(Binary {
        subtype: BinarySubtype::Generic,
        bytes: b.to_vec(),
    })
}

/// `$set` / `$unset` documents of a patch.
fn update_of(p: &ConnectionPatch) -> (Document, Document) {
    let (mut set, mut unset) = (Document::new(), Document::new());
    let mut put = |field: &str, v: Option<Option<Bson>>| match v {
        Some(Some(b)) => {
            set.insert(field, b);
        }
        Some(None) => {
            unset.insert(field, "");
        }
        None => {}
    };
    put("athlete_id", p.athlete_id.map(|o| o.map(Bson::Int64)));
    put(
        "athlete_name",
        p.athlete_name.clone().map(|o| o.map(Bson::String)),
    );
    put("scopes", p.scopes.clone().map(|o| o.map(Bson::String)));
    put("tokens", p.tokens.as_ref().map(|o| o.as_deref().map(bin)));
    put(
        "credentials",
        p.credentials.as_ref().map(|o| o.as_deref().map(bin)),
    );
    put("cursor", p.cursor.map(|o| o.map(Bson::Int64)));
    put("last_sync", p.last_sync.map(|o| o.map(Bson::Int64)));
    put("next_sync", p.next_sync.map(|o| o.map(Bson::Int64)));
    put("paused_until", p.paused_until.map(|o| o.map(Bson::Int64)));
    put(
        "last_error",
        p.last_error.clone().map(|o| o.map(Bson::String)),
    );
    match &p.oauth_state {
        Some(Some((h, e))) => {
            set.insert("oauth_state", h.clone());
            set.insert("oauth_state_expires", *e);
        }
        Some(None) => {
            unset.insert("oauth_state", "");
            unset.insert("oauth_state_expires", "");
        }
        None => {}
    }
    (set, unset)
}

impl MongoStore {
    async fn connection_user_exists(&self, handle: &str) -> StoreResult<bool> {
        Ok(self
            .coll(coll::USERS)
            .find_one(doc! { "_id": handle })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(backend)?
            .is_some())
    }
}

#[async_trait::async_trait]
impl ConnectionStore for MongoStore {
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_connection(
        &self,
        handle: &str,
        provider: &str,
    ) -> StoreResult<Option<Connection>> {
        self.coll(coll::CONNECTIONS)
            .find_one(doc! { "_id": key(handle, provider) })
            .await
            .map_err(backend)?
            .as_ref()
            .map(decode)
            .transpose()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn patch_connection(
        &self,
        handle: &str,
        provider: &str,
        patch: &ConnectionPatch,
        now: i64,
    ) -> StoreResult<Connection> {
        if !self.connection_user_exists(handle).await? {
            return Err(StoreError::NotFound(format!("user {handle}")));
        }
        let (mut set, unset) = update_of(patch);
        set.insert("updated_at", now);
        let mut update = doc! {
            "$set": set,
            "$setOnInsert": { "handle": handle, "provider": provider },
        };
        if !unset.is_empty() {
            update.insert("$unset", unset);
        }
        // Two first upserts racing: one inserts, the other may fail on the
        // `_id` it would insert (or, on SecantusDB, get no document back);
        // the document exists then, so once more updates it.
        let mut tries = 0;
        let after = loop {
            tries += 1;
            match self
                .coll(coll::CONNECTIONS)
                .find_one_and_update(doc! { "_id": key(handle, provider) }, update.clone())
                .upsert(true)
                .return_document(ReturnDocument::After)
                .await
            {
                Ok(Some(d)) => break d,
                // A racing upsert seen by a server that answers with no
                // document (SecantusDB does, now and then): the `$set` is
                // idempotent, so apply it once more.
                Ok(None) if tries < 5 => continue,
                Ok(None) => return Err(StoreError::Backend("upsert returned no document".into())),
                Err(e) if tries < 5 && (is_duplicate_key(&e) || has_code(&e, 112)) => continue,
                Err(e) => return Err(backend(e)),
            }
        };
        if !self.connection_user_exists(handle).await? {
            self.delete_connection(handle, provider).await?;
            return Err(StoreError::NotFound(format!("user {handle}")));
        }
        decode(&after)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn take_oauth_state(
        &self,
        handle: &str,
        provider: &str,
        state_hash: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let r = self
            .coll(coll::CONNECTIONS)
            .update_one(
                doc! {
                    "_id": key(handle, provider),
                    "oauth_state": state_hash,
                    "oauth_state_expires": { "$gt": now },
                },
                doc! { "$unset": { "oauth_state": "", "oauth_state_expires": "" } },
            )
            .await
            .map_err(backend)?;
        Ok(r.modified_count == 1)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_connection(&self, handle: &str, provider: &str) -> StoreResult<bool> {
        let r = self
            .coll(coll::CONNECTIONS)
            .delete_one(doc! { "_id": key(handle, provider) })
            .await
            .map_err(backend)?;
        Ok(r.deleted_count > 0)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_connections(&self, provider: &str) -> StoreResult<Vec<Connection>> {
        use futures_util::TryStreamExt;
        let docs: Vec<Document> = self
            .coll(coll::CONNECTIONS)
            .find(doc! { "provider": provider })
            .sort(doc! { "handle": 1 })
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)?;
        docs.iter().map(decode).collect()
    }
}
