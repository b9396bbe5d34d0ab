//! `UserStore::register` on SQLite: the claim (invite, setup code or open
//! registration) and the user limit checked and spent with the insert in
//! one `BEGIN IMMEDIATE` transaction.

use bincio_core::model::{NewUser, Role, User};
use bincio_core::store::{RegisterClaim, RegisterError, StoreError};
use rusqlite::{params, OptionalExtension};

use super::codec::insert_user;
use crate::pool::backend;
use crate::SqliteStore;

impl SqliteStore {
    pub(super) async fn register_claim(
        &self,
        claim: RegisterClaim,
        mut user: NewUser,
    ) -> Result<User, RegisterError> {
        self.write(move |tx| {
            let count = |tx: &rusqlite::Transaction<'_>| -> Result<u64, StoreError> {
                tx.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))
                    .map(|n| n as u64)
                    .map_err(backend)
            };
            match &claim {
                RegisterClaim::Invite(code) => {
                    // Unused = never redeemed: `used_by` alone is not enough,
                    // because deleting the redeeming user nulls it (FK SET NULL)
                    // while `used_at` stays, and the invite must stay spent.
                    let used: Option<(Option<String>, Option<i64>)> = tx
                        .query_row(
                            "SELECT used_by, used_at FROM invites WHERE code = ?1",
                            [code],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )
                        .optional()
                        .map_err(backend)?;
                    if !matches!(used, Some((None, None))) {
                        return Err(RegisterError::InvalidClaim);
                    }
                }
                RegisterClaim::Setup(hash) => {
                    let stored: Option<String> = tx
                        .query_row(
                            "SELECT value FROM settings WHERE key = 'setup_code_sha256'",
                            [],
                            |r| r.get(0),
                        )
                        .optional()
                        .map_err(backend)?;
                    if stored.as_deref() != Some(hash.as_str()) || count(tx)? > 0 {
                        return Err(RegisterError::InvalidClaim);
                    }
                    user.role = Role::Admin;
                }
            }
            let taken: bool = tx
                .query_row(
                    "SELECT EXISTS(SELECT 1 FROM users WHERE handle = ?1)",
                    [&user.handle],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            if taken {
                return Err(RegisterError::HandleTaken);
            }
            let max: Option<String> = tx
                .query_row("SELECT value FROM settings WHERE key = 'max_users'", [], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            if let Some(max) = max.and_then(|v| v.trim().parse::<u64>().ok()).filter(|n| *n > 0) {
                if count(tx)? >= max {
                    return Err(RegisterError::UserLimit(max));
                }
            }
            insert_user(tx, &user).map_err(|e| match e {
                StoreError::Conflict(_) => RegisterError::HandleTaken,
                e => e.into(),
            })?;
            match &claim {
                RegisterClaim::Invite(code) => {
                    tx.execute(
                        "UPDATE invites SET used_by = ?1, used_at = ?2 WHERE code = ?3 AND used_by IS NULL AND used_at IS NULL",
                        params![user.handle, user.created_at, code],
                    )
                    .map_err(backend)?;
                }
                RegisterClaim::Setup(_) => {
                    tx.execute("DELETE FROM settings WHERE key = 'setup_code_sha256'", [])
                        .map_err(backend)?;
                }
            }
            Ok(User::from(user))
        })
        .await
    }
}
