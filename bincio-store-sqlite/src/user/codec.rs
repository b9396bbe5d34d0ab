//! Rows ↔ domain for the account tables.

use bincio_core::model::{Invite, NewUser, Role, User};
use bincio_core::store::StoreError;
use rusqlite::{params, Row};

use crate::pool::{backend, is_unique_violation};

pub(super) const USER_COLS: &str = "handle, display_name, password_hash, role, created_at";

pub(super) fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(3)?;
    Ok(User {
        handle: r.get(0)?,
        display_name: r.get(1)?,
        password_hash: r.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::User),
        created_at: r.get(4)?,
    })
}

pub(super) fn invite_row(r: &Row<'_>) -> rusqlite::Result<Invite> {
    Ok(Invite {
        code: r.get(0)?,
        created_by: r.get(1)?,
        used_by: r.get(2)?,
        created_at: r.get(3)?,
        used_at: r.get(4)?,
    })
}

pub(super) fn insert_user(tx: &rusqlite::Transaction<'_>, u: &NewUser) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO users (handle, display_name, password_hash, is_admin, role, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            u.handle,
            u.display_name,
            u.password_hash,
            u.role == Role::Admin,
            u.role.as_str(),
            u.created_at
        ],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("handle {} exists", u.handle))
        } else {
            backend(e)
        }
    })?;
    Ok(())
}
