//! The multi-step account writes, each made safe across processes without
//! transactions: the users and invites counters (one conditional `$inc`
//! decides "count, compare, insert"), slot reservation and release, and the
//! registration paths (invite, setup code) that `UserStore::register`
//! dispatches to.

use bincio_core::model::{NewUser, Role, User};
use bincio_core::store::{RegisterError, StoreError, StoreResult};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};

use super::codec::{invites_counter, SETUP_KEY, USERS_COUNTER};
use crate::connect::coll;
use crate::error::{backend, is_duplicate_key};
use crate::MongoStore;

/// Outcome of reserving a user slot.
pub(super) enum Slot {
    Reserved,
    Full,
}

impl MongoStore {
    pub(super) async fn find_user_doc(&self, handle: &str) -> StoreResult<Option<Document>> {
        self.coll(coll::USERS)
            .find_one(doc! { "_id": handle })
            .await
            .map_err(backend)
    }

    pub(super) async fn collect(
        &self,
        name: &str,
        filter: Document,
        sort: Document,
    ) -> StoreResult<Vec<Document>> {
        self.coll(name)
            .find(filter)
            .sort(sort)
            .await
            .map_err(backend)?
            .try_collect()
            .await
            .map_err(backend)
    }

    /// Create the `users` counter from the real count when it is absent
    /// (a new database, or one written by another tool). Called at connect,
    /// before this process serves anything, and again if the document ever
    /// disappears. Every bincio process keeps the counter up to date once it
    /// exists, so the count can only be stale if two processes initialise at
    /// the same moment while a third one (which would have created the
    /// counter itself) is writing — the insert is `_id`-unique, so the
    /// first initialiser wins and the others keep its value.
    pub(crate) async fn ensure_user_counter(&self) -> StoreResult<()> {
        let counters = self.coll(coll::COUNTERS);
        if counters
            .find_one(doc! { "_id": USERS_COUNTER })
            .await
            .map_err(backend)?
            .is_some()
        {
            return Ok(());
        }
        let n = self
            .coll(coll::USERS)
            .count_documents(doc! {})
            .await
            .map_err(backend)?;
        match counters
            .insert_one(doc! { "_id": USERS_COUNTER, "n": n as i64 })
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }

    /// Reserve one user slot: a single conditional `$inc` on the counter,
    /// so concurrent registrations (in any process) never exceed `max`.
    /// `max = None` reserves unconditionally; `only_if_empty` reserves only
    /// the first slot (the set-up code).
    pub(super) async fn reserve_user_slot(
        &self,
        max: Option<u64>,
        only_if_empty: bool,
    ) -> StoreResult<Slot> {
        let mut filter = doc! { "_id": USERS_COUNTER };
        if only_if_empty {
            filter.insert("n", doc! { "$lte": 0_i64 });
        } else if let Some(max) = max {
            filter.insert("n", doc! { "$lt": max as i64 });
        }
        for _ in 0..2 {
            let got = self
                .coll(coll::COUNTERS)
                .find_one_and_update(filter.clone(), doc! { "$inc": { "n": 1_i64 } })
                .await
                .map_err(backend)?;
            if got.is_some() {
                return Ok(Slot::Reserved);
            }
            // Nothing matched: either the limit is reached or the counter
            // is missing (recreate it from the real count and try again).
            let exists = self
                .coll(coll::COUNTERS)
                .find_one(doc! { "_id": USERS_COUNTER })
                .await
                .map_err(backend)?
                .is_some();
            if exists {
                return Ok(Slot::Full);
            }
            self.ensure_user_counter().await?;
        }
        Ok(Slot::Full)
    }

    /// Give back a slot taken by [`Self::reserve_user_slot`] (a failed
    /// insert) or held by a deleted account. Never below zero.
    pub(super) async fn release_user_slot(&self) -> StoreResult<()> {
        self.coll(coll::COUNTERS)
            .update_one(
                doc! { "_id": USERS_COUNTER, "n": { "$gt": 0_i64 } },
                doc! { "$inc": { "n": -1_i64 } },
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Insert the user document; duplicate `_id` ⇒ `Conflict`.
    pub(super) async fn insert_user_doc(&self, user: &NewUser) -> StoreResult<()> {
        let d = doc! {
            "_id": &user.handle,
            "uid": ObjectId::new(),
            "display_name": &user.display_name,
            "password_hash": &user.password_hash,
            "role": user.role.as_str(),
            "created_at": user.created_at,
        };
        match self.coll(coll::USERS).insert_one(d).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Err(StoreError::Conflict(format!(
                "handle {} exists",
                user.handle
            ))),
            Err(e) => Err(backend(e)),
        }
    }

    /// Ensure the `invites:<handle>` counter exists, initialised from the
    /// invites that user already created. The insert is `_id`-unique, so
    /// concurrent initialisers agree on one value; invites are only ever
    /// inserted *after* their counter increment, so an invite counted here
    /// was never counted by an increment.
    pub(super) async fn ensure_invite_counter(&self, handle: &str) -> StoreResult<()> {
        let id = invites_counter(handle);
        let counters = self.coll(coll::COUNTERS);
        if counters
            .find_one(doc! { "_id": &id })
            .await
            .map_err(backend)?
            .is_some()
        {
            return Ok(());
        }
        let n = self
            .coll(coll::INVITES)
            .count_documents(doc! { "created_by": handle })
            .await
            .map_err(backend)?;
        match counters
            .insert_one(doc! { "_id": &id, "n": n as i64 })
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }

    /// Undo a claim of `code` by `handle` (compensation of a registration
    /// that failed after claiming). Conditional on the claim still being
    /// ours, so it can never free an invite someone else redeemed.
    pub(super) async fn release_invite(
        &self,
        code: &str,
        handle: &str,
        used_at: i64,
    ) -> StoreResult<()> {
        self.coll(coll::INVITES)
            .update_one(
                doc! { "_id": code, "used_by": handle, "used_at": used_at },
                doc! { "$set": { "used_by": Bson::Null, "used_at": Bson::Null } },
            )
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Registration with an invite. Steps, each a single-document atomic
    /// operation:
    /// 1. claim the invite: `find_one_and_update({_id, used_by: null,
    ///    used_at: null})` —
    ///    exactly one registration in any process wins it;
    /// 2. reserve a user slot (conditional `$inc`, see `reserve_user_slot`);
    /// 3. insert the user (`_id` = handle, duplicate ⇒ handle taken).
    ///
    /// If 2 or 3 fails, the earlier steps are compensated (slot released,
    /// invite released conditionally on still being claimed by us). This is
    /// safe: while claimed, no one else can use the invite, and a reserved
    /// slot only makes concurrent registrations *more* conservative. The
    /// worst a crash between steps can do is leave the invite marked used by
    /// a handle that does not exist or the counter one too high — both
    /// refuse more, never allow more than the contract.
    pub(super) async fn register_with_invite(
        &self,
        code: &str,
        user: NewUser,
        max: Option<u64>,
    ) -> Result<User, RegisterError> {
        let claimed = self
            .coll(coll::INVITES)
            .find_one_and_update(
                // `used_at` too: deleting the redeeming user nulls `used_by`
                // but the invite stays spent.
                doc! { "_id": code, "used_by": Bson::Null, "used_at": Bson::Null },
                doc! { "$set": { "used_by": &user.handle, "used_at": user.created_at } },
            )
            .await
            .map_err(backend)?;
        if claimed.is_none() {
            return Err(RegisterError::InvalidClaim);
        }
        match self.reserve_user_slot(max, false).await {
            Ok(Slot::Reserved) => {}
            Ok(Slot::Full) => {
                self.release_invite(code, &user.handle, user.created_at)
                    .await?;
                return Err(RegisterError::UserLimit(max.unwrap_or(0)));
            }
            Err(e) => {
                self.release_invite(code, &user.handle, user.created_at)
                    .await?;
                return Err(e.into());
            }
        }
        if let Err(e) = self.insert_user_doc(&user).await {
            self.release_user_slot().await?;
            self.release_invite(code, &user.handle, user.created_at)
                .await?;
            return Err(match e {
                StoreError::Conflict(_) => RegisterError::HandleTaken,
                e => e.into(),
            });
        }
        Ok(User::from(user))
    }

    /// Registration with the set-up code. Steps:
    /// 1. reserve the *first* user slot (`counters.users.n == 0 → 1`): only
    ///    one registration on an empty instance gets past this;
    /// 2. consume the set-up code: `find_one_and_delete({_id, value})`;
    /// 3. insert the admin.
    ///
    /// Failures after 1 release the slot; a failure after 2 puts the code
    /// back with an insert-only upsert (it cannot overwrite a newer code).
    pub(super) async fn register_with_setup(
        &self,
        hash: &str,
        mut user: NewUser,
    ) -> Result<User, RegisterError> {
        user.role = Role::Admin;
        if let Slot::Full = self.reserve_user_slot(None, true).await? {
            return Err(RegisterError::InvalidClaim);
        }
        let consumed = self
            .coll(coll::SETTINGS)
            .find_one_and_delete(doc! { "_id": SETUP_KEY, "value": hash })
            .await;
        match consumed {
            Ok(Some(_)) => {}
            Ok(None) => {
                self.release_user_slot().await?;
                return Err(RegisterError::InvalidClaim);
            }
            Err(e) => {
                self.release_user_slot().await?;
                return Err(backend(e).into());
            }
        }
        if let Err(e) = self.insert_user_doc(&user).await {
            self.release_user_slot().await?;
            self.upsert_setting_if_absent(SETUP_KEY, hash).await?;
            return Err(match e {
                StoreError::Conflict(_) => RegisterError::HandleTaken,
                e => e.into(),
            });
        }
        Ok(User::from(user))
    }

    pub(super) async fn upsert_setting_if_absent(
        &self,
        key: &str,
        value: &str,
    ) -> StoreResult<bool> {
        let r = self
            .coll(coll::SETTINGS)
            .update_one(
                doc! { "_id": key },
                doc! { "$setOnInsert": { "value": value } },
            )
            .upsert(true)
            .await;
        match r {
            Ok(r) => Ok(r.upserted_id.is_some()),
            // Two upserts of an absent key raced: the other one inserted.
            Err(e) if is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(backend(e)),
        }
    }

    /// An upsert by `_id`, retried once on a duplicate key: two concurrent
    /// upserts of an absent `_id` may both try to insert; the loser's retry
    /// then finds the document and updates it.
    pub(super) async fn upsert_by_id(
        &self,
        name: &str,
        id: &str,
        update: Document,
    ) -> StoreResult<()> {
        let c = self.coll(name);
        for attempt in 0..2 {
            match c
                .update_one(doc! { "_id": id }, update.clone())
                .upsert(true)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if attempt == 0 && is_duplicate_key(&e) => continue,
                Err(e) => return Err(backend(e)),
            }
        }
        Ok(())
    }

    pub(super) async fn user_uid(&self, handle: &str) -> StoreResult<Option<Bson>> {
        Ok(self
            .coll(coll::USERS)
            .find_one(doc! { "_id": handle })
            .projection(doc! { "uid": 1 })
            .await
            .map_err(backend)?
            .map(|d| d.get("uid").cloned().unwrap_or(Bson::Null)))
    }

    pub(super) async fn set_user_field(&self, handle: &str, set: Document) -> StoreResult<bool> {
        let r = self
            .coll(coll::USERS)
            .update_one(doc! { "_id": handle }, doc! { "$set": set })
            .await
            .map_err(backend)?;
        Ok(r.matched_count > 0)
    }
}
