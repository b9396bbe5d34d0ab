//! `UserStore` on MongoDB (this file: the trait impl; `codec.rs`: rows ↔
//! domain; `slots.rs`: the counters and the multi-step registration
//! writes).
//!
//! Documents (`_id` carries every unique key, so no extra unique index is
//! needed):
//! * `users`: `{_id: handle, uid: ObjectId, display_name, password_hash,
//!   role, created_at, athlete?}` (`athlete`: see `athlete.rs`). `uid` is
//!   fresh per account, so a session or reset code left behind by a deleted
//!   account never applies to a new account that reuses the handle.
//! * `sessions`: `{_id: token_hash, handle, uid, created_at, expires_at}`.
//! * `invites`: `{_id: code, created_by, used_by: handle|null, created_at,
//!   used_at: int|null}`.
//! * `reset_codes`: `{_id: code_hash, handle, uid, created_by, created_at,
//!   expires_at, used_at: int|null}`.
//! * `settings`: `{_id: key, value}`.
//! * `user_prefs`: `{_id: "handle/key", handle, key, value}` (handles never
//!   contain `/`, so the id is unambiguous).
//! * `counters`: `{_id: "users", n}` (number of accounts, including slots
//!   reserved by registrations in flight) and `{_id: "invites:<handle>", n}`
//!   (invites ever created by a user). They turn "count, compare, insert"
//!   into one conditional `$inc` on one document.

mod codec;
mod slots;

use std::collections::BTreeMap;

use bincio_core::model::{
    AthleteConfig, AthletePatch, Invite, Member, NewUser, ResetCode, Role, Session, User,
};
use bincio_core::store::{
    ActivityStore, RegisterClaim, RegisterError, StoreError, StoreResult, UserStore,
};
use mongodb::bson::{doc, Bson};
use mongodb::options::ReturnDocument;

use crate::bsonx::{opt_str_field, str_field};
use crate::connect::coll;
use crate::error::{backend, is_duplicate_key};
use crate::MongoStore;
use codec::{
    invite_from, invites_counter, opt_bson, parse_max_users, pref_id, session_from, user_from,
    MAX_USERS_KEY, SETUP_KEY,
};

#[async_trait::async_trait]
impl UserStore for MongoStore {
    fn backend_name(&self) -> &'static str {
        "mongodb"
    }

    /// Reserve a slot (unconditionally: `create_user` is the admin path and
    /// ignores `max_users`, like on SQLite), then insert; on a duplicate
    /// handle the slot is given back.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn create_user(&self, user: NewUser) -> StoreResult<User> {
        self.reserve_user_slot(None, false).await?;
        if let Err(e) = self.insert_user_doc(&user).await {
            self.release_user_slot().await?;
            return Err(e);
        }
        Ok(User::from(user))
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn register(&self, claim: RegisterClaim, user: NewUser) -> Result<User, RegisterError> {
        // Cheap pre-checks in the contract's order (claim, handle, limit) so
        // the common refusals neither claim nor release anything. They
        // decide nothing: the atomic steps below do.
        match &claim {
            RegisterClaim::Invite(code) => {
                let inv = self
                    .coll(coll::INVITES)
                    .find_one(doc! { "_id": code.as_str() })
                    .await
                    .map_err(backend)?;
                let usable = match inv {
                    Some(d) => opt_str_field(&d, coll::INVITES, "used_by")?.is_none(),
                    None => false,
                };
                if !usable {
                    return Err(RegisterError::InvalidClaim);
                }
            }
            RegisterClaim::Setup(hash) => {
                let stored = self.get_setting(SETUP_KEY).await?;
                let any_user = self
                    .coll(coll::USERS)
                    .find_one(doc! {})
                    .projection(doc! { "_id": 1 })
                    .await
                    .map_err(backend)?
                    .is_some();
                if stored.as_deref() != Some(hash.as_str()) || any_user {
                    return Err(RegisterError::InvalidClaim);
                }
            }
        }
        if self.find_user_doc(&user.handle).await?.is_some() {
            return Err(RegisterError::HandleTaken);
        }
        match claim {
            RegisterClaim::Invite(code) => {
                let max = parse_max_users(self.get_setting(MAX_USERS_KEY).await?);
                self.register_with_invite(&code, user, max).await
            }
            RegisterClaim::Setup(hash) => self.register_with_setup(&hash, user).await,
        }
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_user(&self, handle: &str) -> StoreResult<Option<User>> {
        self.find_user_doc(handle)
            .await?
            .as_ref()
            .map(user_from)
            .transpose()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_users(&self) -> StoreResult<Vec<User>> {
        self.collect(coll::USERS, doc! {}, doc! { "created_at": 1, "_id": 1 })
            .await?
            .iter()
            .map(user_from)
            .collect()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn count_users(&self) -> StoreResult<u64> {
        self.coll(coll::USERS)
            .count_documents(doc! {})
            .await
            .map_err(backend)
    }

    /// A `ping` round-trip: the indexes are created by
    /// [`MongoStore::connect`] before a store exists, so an answering
    /// server is a ready one.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn ready(&self) -> StoreResult<()> {
        self.database()
            .run_command(doc! { "ping": 1 })
            .await
            .map(|_| ())
            .map_err(backend)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_password_hash(&self, handle: &str, hash: &str) -> StoreResult<bool> {
        self.set_user_field(handle, doc! { "password_hash": hash })
            .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn upgrade_password_hash(
        &self,
        handle: &str,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool> {
        let r = self
            .coll(coll::USERS)
            .update_one(
                doc! { "_id": handle, "password_hash": old_hash },
                doc! { "$set": { "password_hash": new_hash } },
            )
            .await
            .map_err(backend)?;
        Ok(r.matched_count > 0)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_display_name(&self, handle: &str, display_name: &str) -> StoreResult<bool> {
        self.set_user_field(handle, doc! { "display_name": display_name })
            .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_role(&self, handle: &str, role: Role) -> StoreResult<bool> {
        self.set_user_field(handle, doc! { "role": role.as_str() })
            .await
    }

    /// The user document goes first (that is the deciding step: from then on
    /// the handle resolves to nobody, and sessions / reset codes of this
    /// account are dead because their `uid` matches no user), then the slot
    /// is released and the dependent documents are removed. Not one atomic
    /// step, but a crash half-way leaves only unreachable leftovers.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_user(&self, handle: &str) -> StoreResult<bool> {
        let deleted = self
            .coll(coll::USERS)
            .delete_one(doc! { "_id": handle })
            .await
            .map_err(backend)?;
        if deleted.deleted_count == 0 {
            return Ok(false);
        }
        self.release_user_slot().await?;
        let h = handle;
        // Activities with their tracks and blobs (see `insert_activity` for
        // why an upload racing with this delete leaves nothing behind).
        ActivityStore::delete_user_activities(self, h).await?;
        self.delete_user_sources(h).await?;
        self.coll(coll::SESSIONS)
            .delete_many(doc! { "handle": h })
            .await
            .map_err(backend)?;
        self.coll(coll::RESET_CODES)
            .delete_many(doc! { "$or": [ { "handle": h }, { "created_by": h } ] })
            .await
            .map_err(backend)?;
        self.coll(coll::USER_PREFS)
            .delete_many(doc! { "handle": h })
            .await
            .map_err(backend)?;
        self.coll(coll::CONNECTIONS)
            .delete_many(doc! { "handle": h })
            .await
            .map_err(backend)?;
        self.coll(coll::INVITES)
            .delete_many(doc! { "created_by": h })
            .await
            .map_err(backend)?;
        self.coll(coll::COUNTERS)
            .delete_one(doc! { "_id": invites_counter(h) })
            .await
            .map_err(backend)?;
        self.coll(coll::INVITES)
            .update_many(
                doc! { "used_by": h },
                doc! { "$set": { "used_by": Bson::Null } },
            )
            .await
            .map_err(backend)?;
        Ok(true)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_members(&self) -> StoreResult<Vec<Member>> {
        let users = self.list_users().await?;
        // The first redemption (by used_at, code) per user, like SQLite.
        let redeemed = self
            .collect(
                coll::INVITES,
                doc! { "used_by": { "$type": "string" } },
                doc! { "used_at": 1, "_id": 1 },
            )
            .await?;
        let mut inviter: BTreeMap<String, String> = BTreeMap::new();
        for d in &redeemed {
            let inv = invite_from(d)?;
            if let Some(by) = inv.used_by {
                inviter.entry(by).or_insert(inv.created_by);
            }
        }
        Ok(users
            .into_iter()
            .map(|u| Member {
                invited_by: inviter.get(&u.handle).cloned(),
                handle: u.handle,
                display_name: u.display_name,
                created_at: u.created_at,
            })
            .collect())
    }

    /// The user must exist (`NotFound` otherwise). The session records the
    /// account's `uid`, so if the account is deleted between the look-up
    /// and the insert, the session never resolves (see `session_user`).
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn create_session(&self, session: Session) -> StoreResult<()> {
        let uid = self
            .user_uid(&session.handle)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {}", session.handle)))?;
        let d = doc! {
            "_id": &session.token_hash,
            "handle": &session.handle,
            "uid": uid,
            "created_at": session.created_at,
            "expires_at": session.expires_at,
        };
        match self.coll(coll::SESSIONS).insert_one(d).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => {
                Err(StoreError::Conflict("session token exists".into()))
            }
            Err(e) => Err(backend(e)),
        }
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(Session, User)>> {
        let Some(d) = self
            .coll(coll::SESSIONS)
            .find_one(doc! { "_id": token_hash })
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let session = session_from(&d)?;
        let user_doc = if session.expires_at <= now {
            None
        } else {
            self.find_user_doc(&session.handle).await?
        };
        match user_doc {
            Some(u) if u.get("uid") == d.get("uid") => Ok(Some((session, user_from(&u)?))),
            _ => {
                // Expired, or its account is gone / was re-created: remove
                // exactly this document (idempotent).
                self.delete_session(token_hash).await?;
                Ok(None)
            }
        }
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_session(&self, token_hash: &str) -> StoreResult<bool> {
        let r = self
            .coll(coll::SESSIONS)
            .delete_one(doc! { "_id": token_hash })
            .await
            .map_err(backend)?;
        Ok(r.deleted_count > 0)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_sessions_of(&self, handle: &str, keep: Option<&str>) -> StoreResult<u64> {
        let mut filter = doc! { "handle": handle };
        if let Some(keep) = keep {
            filter.insert("_id", doc! { "$ne": keep });
        }
        let r = self
            .coll(coll::SESSIONS)
            .delete_many(filter)
            .await
            .map_err(backend)?;
        Ok(r.deleted_count)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn purge_expired_sessions(&self, now: i64) -> StoreResult<u64> {
        let r = self
            .coll(coll::SESSIONS)
            .delete_many(doc! { "expires_at": { "$lte": now } })
            .await
            .map_err(backend)?;
        Ok(r.deleted_count)
    }

    /// With a limit: one conditional `$inc` on the creator's counter
    /// (`n < limit`) decides, then the invite is inserted; a duplicate code
    /// gives the increment back. Without a limit the counter is still
    /// incremented, because the limit counts every invite ever created.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn create_invite(&self, invite: Invite, limit: Option<u64>) -> StoreResult<Invite> {
        if self.find_user_doc(&invite.created_by).await?.is_none() {
            return Err(StoreError::NotFound(format!("user {}", invite.created_by)));
        }
        self.ensure_invite_counter(&invite.created_by).await?;
        let id = invites_counter(&invite.created_by);
        let mut filter = doc! { "_id": &id };
        if let Some(limit) = limit {
            filter.insert("n", doc! { "$lt": limit as i64 });
        }
        let reserved = self
            .coll(coll::COUNTERS)
            .find_one_and_update(filter, doc! { "$inc": { "n": 1_i64 } })
            .return_document(ReturnDocument::After)
            .await
            .map_err(backend)?;
        if reserved.is_none() {
            return Err(StoreError::LimitReached(format!(
                "{} invites",
                limit.unwrap_or(0)
            )));
        }
        let d = doc! {
            "_id": &invite.code,
            "created_by": &invite.created_by,
            "used_by": opt_bson(invite.used_by.clone()),
            "created_at": invite.created_at,
            "used_at": opt_bson(invite.used_at),
        };
        if let Err(e) = self.coll(coll::INVITES).insert_one(d).await {
            // Give the reservation back; never below zero.
            self.coll(coll::COUNTERS)
                .update_one(
                    doc! { "_id": &id, "n": { "$gt": 0_i64 } },
                    doc! { "$inc": { "n": -1_i64 } },
                )
                .await
                .map_err(backend)?;
            return Err(if is_duplicate_key(&e) {
                StoreError::Conflict("invite code exists".into())
            } else {
                backend(e)
            });
        }
        Ok(invite)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_invites(&self, handle: &str) -> StoreResult<Vec<Invite>> {
        self.collect(
            coll::INVITES,
            doc! { "created_by": handle },
            doc! { "created_at": -1, "_id": 1 },
        )
        .await?
        .iter()
        .map(invite_from)
        .collect()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_invite(&self, code: &str) -> StoreResult<Option<Invite>> {
        self.coll(coll::INVITES)
            .find_one(doc! { "_id": code })
            .await
            .map_err(backend)?
            .as_ref()
            .map(invite_from)
            .transpose()
    }

    /// Two steps (delete the unused codes, insert the new one): concurrent
    /// replacements by two admins may both leave a code. Acceptable: each
    /// code is still one-time, bound to the handle and expiring, and only
    /// admins can issue them.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn replace_reset_code(&self, code: ResetCode) -> StoreResult<()> {
        let uid = self
            .user_uid(&code.handle)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {}", code.handle)))?;
        self.coll(coll::RESET_CODES)
            .delete_many(doc! { "handle": &code.handle, "used_at": Bson::Null })
            .await
            .map_err(backend)?;
        let d = doc! {
            "_id": &code.code_hash,
            "handle": &code.handle,
            "uid": uid,
            "created_by": &code.created_by,
            "created_at": code.created_at,
            "expires_at": code.expires_at,
            "used_at": opt_bson(code.used_at),
        };
        match self.coll(coll::RESET_CODES).insert_one(d).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Err(StoreError::Conflict("reset code exists".into())),
            Err(e) => Err(backend(e)),
        }
    }

    /// The redemption itself is one `find_one_and_update` carrying every
    /// condition (code, handle, unused, not expired): exactly one caller
    /// wins. The password change is conditional on the account being the
    /// one the code was issued for (`uid`), then the sessions go. A crash
    /// between the steps leaves the code used and the old password in place
    /// (the admin issues a new code) — never a half-applied reset for
    /// someone else.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn redeem_reset_code(
        &self,
        code_hash: &str,
        handle: &str,
        now: i64,
        new_hash: &str,
    ) -> StoreResult<bool> {
        let won = self
            .coll(coll::RESET_CODES)
            .find_one_and_update(
                doc! {
                    "_id": code_hash,
                    "handle": handle,
                    "used_at": Bson::Null,
                    "expires_at": { "$gt": now },
                },
                doc! { "$set": { "used_at": now } },
            )
            .await
            .map_err(backend)?;
        let Some(code) = won else {
            return Ok(false);
        };
        let uid = code.get("uid").cloned().unwrap_or(Bson::Null);
        let r = self
            .coll(coll::USERS)
            .update_one(
                doc! { "_id": handle, "uid": uid },
                doc! { "$set": { "password_hash": new_hash } },
            )
            .await
            .map_err(backend)?;
        if r.matched_count == 0 {
            return Ok(false);
        }
        self.coll(coll::SESSIONS)
            .delete_many(doc! { "handle": handle })
            .await
            .map_err(backend)?;
        Ok(true)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>> {
        self.coll(coll::SETTINGS)
            .find_one(doc! { "_id": key })
            .await
            .map_err(backend)?
            .map(|d| str_field(&d, coll::SETTINGS, "value"))
            .transpose()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        self.upsert_by_id(coll::SETTINGS, key, doc! { "$set": { "value": value } })
            .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_setting(&self, key: &str) -> StoreResult<bool> {
        let r = self
            .coll(coll::SETTINGS)
            .delete_one(doc! { "_id": key })
            .await
            .map_err(backend)?;
        Ok(r.deleted_count > 0)
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_settings(&self) -> StoreResult<BTreeMap<String, String>> {
        self.collect(coll::SETTINGS, doc! {}, doc! { "_id": 1 })
            .await?
            .iter()
            .map(|d| {
                Ok((
                    str_field(d, coll::SETTINGS, "_id")?,
                    str_field(d, coll::SETTINGS, "value")?,
                ))
            })
            .collect()
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_setting_if_absent(&self, key: &str, value: &str) -> StoreResult<bool> {
        self.upsert_setting_if_absent(key, value).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_prefs(&self, handle: &str) -> StoreResult<BTreeMap<String, String>> {
        self.collect(
            coll::USER_PREFS,
            doc! { "handle": handle },
            doc! { "_id": 1 },
        )
        .await?
        .iter()
        .map(|d| {
            Ok((
                str_field(d, coll::USER_PREFS, "key")?,
                str_field(d, coll::USER_PREFS, "value")?,
            ))
        })
        .collect()
    }

    /// One idempotent upsert per key (`_id` = "handle/key"). The user must
    /// exist (`NotFound`), as on SQLite.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_prefs(&self, handle: &str, prefs: &BTreeMap<String, String>) -> StoreResult<()> {
        if self.find_user_doc(handle).await?.is_none() {
            return Err(StoreError::NotFound(format!("user {handle}")));
        }
        for (k, v) in prefs {
            self.upsert_by_id(
                coll::USER_PREFS,
                &pref_id(handle, k),
                doc! { "$set": { "handle": handle, "key": k, "value": v } },
            )
            .await?;
        }
        Ok(())
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_athlete(&self, handle: &str) -> StoreResult<AthleteConfig> {
        self.athlete_get(handle).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn patch_athlete(
        &self,
        handle: &str,
        patch: &AthletePatch,
    ) -> StoreResult<AthleteConfig> {
        self.athlete_patch(handle, patch).await
    }
}
