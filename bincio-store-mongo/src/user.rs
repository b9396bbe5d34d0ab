//! `UserStore` on MongoDB.
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

use std::collections::BTreeMap;

use bincio_core::model::{
    AthleteConfig, AthletePatch, Invite, Member, NewUser, ResetCode, Role, Session, User,
};
use bincio_core::store::{
    ActivityStore, RegisterClaim, RegisterError, StoreError, StoreResult, UserStore,
};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use mongodb::options::ReturnDocument;

use crate::bsonx::{i64_field, opt_i64_field, opt_str_field, str_field};
use crate::connect::coll;
use crate::error::{backend, is_duplicate_key};
use crate::MongoStore;

const USERS_COUNTER: &str = "users";
const SETUP_KEY: &str = "setup_code_sha256";
const MAX_USERS_KEY: &str = "max_users";

fn invites_counter(handle: &str) -> String {
    format!("invites:{handle}")
}

fn pref_id(handle: &str, key: &str) -> String {
    format!("{handle}/{key}")
}

fn user_from(d: &Document) -> StoreResult<User> {
    let role = str_field(d, coll::USERS, "role")?;
    Ok(User {
        handle: str_field(d, coll::USERS, "_id")?,
        display_name: opt_str_field(d, coll::USERS, "display_name")?.unwrap_or_default(),
        password_hash: str_field(d, coll::USERS, "password_hash")?,
        role: Role::parse(&role).unwrap_or(Role::User),
        created_at: i64_field(d, coll::USERS, "created_at")?,
    })
}

fn session_from(d: &Document) -> StoreResult<Session> {
    Ok(Session {
        token_hash: str_field(d, coll::SESSIONS, "_id")?,
        handle: str_field(d, coll::SESSIONS, "handle")?,
        created_at: i64_field(d, coll::SESSIONS, "created_at")?,
        expires_at: i64_field(d, coll::SESSIONS, "expires_at")?,
    })
}

fn invite_from(d: &Document) -> StoreResult<Invite> {
    Ok(Invite {
        code: str_field(d, coll::INVITES, "_id")?,
        created_by: str_field(d, coll::INVITES, "created_by")?,
        used_by: opt_str_field(d, coll::INVITES, "used_by")?,
        created_at: i64_field(d, coll::INVITES, "created_at")?,
        used_at: opt_i64_field(d, coll::INVITES, "used_at")?,
    })
}

fn to_user(u: NewUser) -> User {
    User {
        handle: u.handle,
        display_name: u.display_name,
        password_hash: u.password_hash,
        role: u.role,
        created_at: u.created_at,
    }
}

fn opt_bson<T: Into<Bson>>(v: Option<T>) -> Bson {
    v.map_or(Bson::Null, Into::into)
}

/// `max_users` as the services read it: a positive integer, else no limit.
fn parse_max_users(v: Option<String>) -> Option<u64> {
    v.and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
}

/// Outcome of reserving a user slot.
enum Slot {
    Reserved,
    Full,
}

impl MongoStore {
    async fn find_user_doc(&self, handle: &str) -> StoreResult<Option<Document>> {
        self.coll(coll::USERS)
            .find_one(doc! { "_id": handle })
            .await
            .map_err(backend)
    }

    async fn collect(
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
    async fn reserve_user_slot(&self, max: Option<u64>, only_if_empty: bool) -> StoreResult<Slot> {
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
    async fn release_user_slot(&self) -> StoreResult<()> {
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
    async fn insert_user_doc(&self, user: &NewUser) -> StoreResult<()> {
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
    async fn ensure_invite_counter(&self, handle: &str) -> StoreResult<()> {
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
    async fn release_invite(&self, code: &str, handle: &str, used_at: i64) -> StoreResult<()> {
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
    async fn register_with_invite(
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
        Ok(to_user(user))
    }

    /// Registration with the set-up code. Steps:
    /// 1. reserve the *first* user slot (`counters.users.n == 0 → 1`): only
    ///    one registration on an empty instance gets past this;
    /// 2. consume the set-up code: `find_one_and_delete({_id, value})`;
    /// 3. insert the admin.
    ///
    /// Failures after 1 release the slot; a failure after 2 puts the code
    /// back with an insert-only upsert (it cannot overwrite a newer code).
    async fn register_with_setup(
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
        Ok(to_user(user))
    }

    async fn upsert_setting_if_absent(&self, key: &str, value: &str) -> StoreResult<bool> {
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
    async fn upsert_by_id(&self, name: &str, id: &str, update: Document) -> StoreResult<()> {
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

    async fn user_uid(&self, handle: &str) -> StoreResult<Option<Bson>> {
        Ok(self
            .coll(coll::USERS)
            .find_one(doc! { "_id": handle })
            .projection(doc! { "uid": 1 })
            .await
            .map_err(backend)?
            .map(|d| d.get("uid").cloned().unwrap_or(Bson::Null)))
    }

    async fn set_user_field(&self, handle: &str, set: Document) -> StoreResult<bool> {
        let r = self
            .coll(coll::USERS)
            .update_one(doc! { "_id": handle }, doc! { "$set": set })
            .await
            .map_err(backend)?;
        Ok(r.matched_count > 0)
    }
}

#[async_trait::async_trait]
impl UserStore for MongoStore {
    fn backend_name(&self) -> &'static str {
        "mongodb"
    }

    /// Reserve a slot (unconditionally: `create_user` is the admin path and
    /// ignores `max_users`, like on SQLite), then insert; on a duplicate
    /// handle the slot is given back.
    async fn create_user(&self, user: NewUser) -> StoreResult<User> {
        self.reserve_user_slot(None, false).await?;
        if let Err(e) = self.insert_user_doc(&user).await {
            self.release_user_slot().await?;
            return Err(e);
        }
        Ok(to_user(user))
    }

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

    async fn get_user(&self, handle: &str) -> StoreResult<Option<User>> {
        self.find_user_doc(handle)
            .await?
            .as_ref()
            .map(user_from)
            .transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        self.collect(coll::USERS, doc! {}, doc! { "created_at": 1, "_id": 1 })
            .await?
            .iter()
            .map(user_from)
            .collect()
    }

    async fn count_users(&self) -> StoreResult<u64> {
        self.coll(coll::USERS)
            .count_documents(doc! {})
            .await
            .map_err(backend)
    }

    async fn set_password_hash(&self, handle: &str, hash: &str) -> StoreResult<bool> {
        self.set_user_field(handle, doc! { "password_hash": hash })
            .await
    }

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

    async fn set_display_name(&self, handle: &str, display_name: &str) -> StoreResult<bool> {
        self.set_user_field(handle, doc! { "display_name": display_name })
            .await
    }

    async fn set_role(&self, handle: &str, role: Role) -> StoreResult<bool> {
        self.set_user_field(handle, doc! { "role": role.as_str() })
            .await
    }

    /// The user document goes first (that is the deciding step: from then on
    /// the handle resolves to nobody, and sessions / reset codes of this
    /// account are dead because their `uid` matches no user), then the slot
    /// is released and the dependent documents are removed. Not one atomic
    /// step, but a crash half-way leaves only unreachable leftovers.
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

    async fn delete_session(&self, token_hash: &str) -> StoreResult<bool> {
        let r = self
            .coll(coll::SESSIONS)
            .delete_one(doc! { "_id": token_hash })
            .await
            .map_err(backend)?;
        Ok(r.deleted_count > 0)
    }

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

    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>> {
        self.coll(coll::SETTINGS)
            .find_one(doc! { "_id": key })
            .await
            .map_err(backend)?
            .map(|d| str_field(&d, coll::SETTINGS, "value"))
            .transpose()
    }

    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        self.upsert_by_id(coll::SETTINGS, key, doc! { "$set": { "value": value } })
            .await
    }

    async fn delete_setting(&self, key: &str) -> StoreResult<bool> {
        let r = self
            .coll(coll::SETTINGS)
            .delete_one(doc! { "_id": key })
            .await
            .map_err(backend)?;
        Ok(r.deleted_count > 0)
    }

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

    async fn set_setting_if_absent(&self, key: &str, value: &str) -> StoreResult<bool> {
        self.upsert_setting_if_absent(key, value).await
    }

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

    async fn get_athlete(&self, handle: &str) -> StoreResult<AthleteConfig> {
        self.athlete_get(handle).await
    }

    async fn patch_athlete(
        &self,
        handle: &str,
        patch: &AthletePatch,
    ) -> StoreResult<AthleteConfig> {
        self.athlete_patch(handle, patch).await
    }
}
