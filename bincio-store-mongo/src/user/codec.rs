//! Row ↔ domain for the account collections (layout in the module doc of
//! [`super`]): documents to users, sessions, invites and back, and the ids
//! of the counter and preference documents. Pure functions, no I/O.

use bincio_core::model::{Invite, Role, Session, User};
use bincio_core::store::StoreResult;
use mongodb::bson::{Bson, Document};

use crate::bsonx::{i64_field, opt_i64_field, opt_str_field, str_field};
use crate::connect::coll;

pub(super) const USERS_COUNTER: &str = "users";

pub(super) const SETUP_KEY: &str = "setup_code_sha256";

pub(super) const MAX_USERS_KEY: &str = "max_users";

pub(super) fn invites_counter(handle: &str) -> String {
    format!("invites:{handle}")
}

pub(super) fn pref_id(handle: &str, key: &str) -> String {
    format!("{handle}/{key}")
}

pub(super) fn user_from(d: &Document) -> StoreResult<User> {
    let role = str_field(d, coll::USERS, "role")?;
    Ok(User {
        handle: str_field(d, coll::USERS, "_id")?,
        display_name: opt_str_field(d, coll::USERS, "display_name")?.unwrap_or_default(),
        password_hash: str_field(d, coll::USERS, "password_hash")?,
        role: Role::parse(&role).unwrap_or(Role::User),
        created_at: i64_field(d, coll::USERS, "created_at")?,
    })
}

pub(super) fn session_from(d: &Document) -> StoreResult<Session> {
    Ok(Session {
        token_hash: str_field(d, coll::SESSIONS, "_id")?,
        handle: str_field(d, coll::SESSIONS, "handle")?,
        created_at: i64_field(d, coll::SESSIONS, "created_at")?,
        expires_at: i64_field(d, coll::SESSIONS, "expires_at")?,
    })
}

pub(super) fn invite_from(d: &Document) -> StoreResult<Invite> {
    Ok(Invite {
        code: str_field(d, coll::INVITES, "_id")?,
        created_by: str_field(d, coll::INVITES, "created_by")?,
        used_by: opt_str_field(d, coll::INVITES, "used_by")?,
        created_at: i64_field(d, coll::INVITES, "created_at")?,
        used_at: opt_i64_field(d, coll::INVITES, "used_at")?,
    })
}

pub(super) fn opt_bson<T: Into<Bson>>(v: Option<T>) -> Bson {
    v.map_or(Bson::Null, Into::into)
}

/// `max_users` as the services read it: a positive integer, else no limit.
pub(super) fn parse_max_users(v: Option<String>) -> Option<u64> {
    v.and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
}
