//! `UserStore` on SQLite, on BincioActivity's `instance.db` tables
//! (`migrations/0001_…` and `0002_…`). This file holds the trait impl;
//! `codec.rs` maps rows to domain types, `register.rs` the registration
//! (invite / setup code / open, one `BEGIN IMMEDIATE` transaction).

mod codec;
mod register;

use std::collections::BTreeMap;

use bincio_core::model::{
    AthleteConfig, AthletePatch, Invite, Member, NewUser, ResetCode, Role, Session, User,
};
use bincio_core::store::{RegisterClaim, RegisterError, StoreError, StoreResult, UserStore};
use rusqlite::{params, OptionalExtension};

use crate::pool::{backend, is_unique_violation};
use crate::SqliteStore;
use codec::{insert_user, invite_row, user_row, USER_COLS};

#[async_trait::async_trait]
impl UserStore for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn create_user(&self, user: NewUser) -> StoreResult<User> {
        self.write(move |tx| {
            insert_user(tx, &user)?;
            Ok(User::from(user))
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn register(&self, claim: RegisterClaim, user: NewUser) -> Result<User, RegisterError> {
        self.register_claim(claim, user).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_user(&self, handle: &str) -> StoreResult<Option<User>> {
        let handle = handle.to_owned();
        self.read_point(move |c| {
            c.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE handle = ?1"))
                .and_then(|mut s| s.query_row([handle], user_row).optional())
                .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_users(&self) -> StoreResult<Vec<User>> {
        self.read(|c| {
            let mut s = c
                .prepare(&format!(
                    "SELECT {USER_COLS} FROM users ORDER BY created_at, handle"
                ))
                .map_err(backend)?;
            let rows = s.query_map([], user_row).map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn count_users(&self) -> StoreResult<u64> {
        self.read(|c| {
            c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn ready(&self) -> StoreResult<()> {
        let missing = self
            .read(|c| crate::migrations::missing(c).map_err(backend))
            .await?;
        match missing.first() {
            None => Ok(()),
            Some(id) => Err(StoreError::Backend(format!(
                "migration {id} is not applied ({} missing)",
                missing.len()
            ))),
        }
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_password_hash(&self, handle: &str, hash: &str) -> StoreResult<bool> {
        let (handle, hash) = (handle.to_owned(), hash.to_owned());
        self.write(move |tx| {
            tx.execute(
                "UPDATE users SET password_hash = ?1 WHERE handle = ?2",
                params![hash, handle],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn upgrade_password_hash(
        &self,
        handle: &str,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool> {
        let (handle, old, new) = (handle.to_owned(), old_hash.to_owned(), new_hash.to_owned());
        self.write(move |tx| {
            tx.execute(
                "UPDATE users SET password_hash = ?1 WHERE handle = ?2 AND password_hash = ?3",
                params![new, handle, old],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_display_name(&self, handle: &str, display_name: &str) -> StoreResult<bool> {
        let (handle, name) = (handle.to_owned(), display_name.to_owned());
        self.write(move |tx| {
            tx.execute(
                "UPDATE users SET display_name = ?1 WHERE handle = ?2",
                params![name, handle],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_role(&self, handle: &str, role: Role) -> StoreResult<bool> {
        let handle = handle.to_owned();
        self.write(move |tx| {
            tx.execute(
                "UPDATE users SET role = ?1, is_admin = ?2 WHERE handle = ?3",
                params![role.as_str(), role == Role::Admin, handle],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_user(&self, handle: &str) -> StoreResult<bool> {
        let handle = handle.to_owned();
        self.write(move |tx| {
            // Explicit deletes (not only FK cascades): an old database may
            // have been written with foreign keys off.
            for sql in [
                "DELETE FROM sessions WHERE handle = ?1",
                "DELETE FROM reset_codes WHERE handle = ?1 OR created_by = ?1",
                "DELETE FROM user_prefs WHERE handle = ?1",
                "DELETE FROM athlete_config WHERE handle = ?1",
                "DELETE FROM drop_folders WHERE handle = ?1",
                "DELETE FROM drop_files WHERE handle = ?1",
                "DELETE FROM sync_runs WHERE handle = ?1",
                "DELETE FROM connections WHERE handle = ?1",
                "DELETE FROM invites WHERE created_by = ?1",
                "UPDATE invites SET used_by = NULL WHERE used_by = ?1",
            ] {
                tx.execute(sql, [&handle]).map_err(backend)?;
            }
            tx.execute("DELETE FROM users WHERE handle = ?1", [&handle])
                .map(|n| n > 0)
                .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_members(&self) -> StoreResult<Vec<Member>> {
        self.read(|c| {
            let mut s = c
                .prepare(
                    "SELECT u.handle, u.display_name, u.created_at,
                        (SELECT i.created_by FROM invites i WHERE i.used_by = u.handle
                          ORDER BY i.used_at, i.code LIMIT 1)
                     FROM users u ORDER BY u.created_at, u.handle",
                )
                .map_err(backend)?;
            let rows = s
                .query_map([], |r| {
                    Ok(Member {
                        handle: r.get(0)?,
                        display_name: r.get(1)?,
                        created_at: r.get(2)?,
                        invited_by: r.get(3)?,
                    })
                })
                .map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn create_session(&self, session: Session) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO sessions (token, handle, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![session.token_hash, session.handle, session.created_at, session.expires_at],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict("session token exists".into())
                } else if matches!(&e, rusqlite::Error::SqliteFailure(f, _)
                        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
                {
                    StoreError::NotFound(format!("user {}", session.handle))
                } else {
                    backend(e)
                }
            })?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(Session, User)>> {
        let hash = token_hash.to_owned();
        let found = {
            let hash = hash.clone();
            self.read_point(move |c| {
                c.prepare_cached(
                    "SELECT s.token, s.handle, s.created_at, s.expires_at,
                            u.handle, u.display_name, u.password_hash, u.role, u.created_at
                     FROM sessions s JOIN users u ON u.handle = s.handle WHERE s.token = ?1",
                )
                .and_then(|mut s| {
                    s.query_row([hash], |r| {
                        let sess = Session {
                            token_hash: r.get(0)?,
                            handle: r.get(1)?,
                            created_at: r.get(2)?,
                            expires_at: r.get(3)?,
                        };
                        let role: String = r.get(7)?;
                        let user = User {
                            handle: r.get(4)?,
                            display_name: r.get(5)?,
                            password_hash: r.get(6)?,
                            role: Role::parse(&role).unwrap_or(Role::User),
                            created_at: r.get(8)?,
                        };
                        Ok((sess, user))
                    })
                    .optional()
                })
                .map_err(backend)
            })
            .await?
        };
        match found {
            Some((s, _)) if s.expires_at <= now => {
                self.delete_session(&hash).await?;
                Ok(None)
            }
            other => Ok(other),
        }
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_session(&self, token_hash: &str) -> StoreResult<bool> {
        let hash = token_hash.to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM sessions WHERE token = ?1", [hash])
                .map(|n| n > 0)
                .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_sessions_of(&self, handle: &str, keep: Option<&str>) -> StoreResult<u64> {
        let handle = handle.to_owned();
        let keep = keep.unwrap_or("").to_owned();
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM sessions WHERE handle = ?1 AND token <> ?2",
                params![handle, keep],
            )
            .map(|n| n as u64)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn purge_expired_sessions(&self, now: i64) -> StoreResult<u64> {
        self.write(move |tx| {
            tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])
                .map(|n| n as u64)
                .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn create_invite(&self, invite: Invite, limit: Option<u64>) -> StoreResult<Invite> {
        self.write(move |tx| {
            let exists: bool = tx
                .query_row(
                    "SELECT EXISTS(SELECT 1 FROM users WHERE handle = ?1)",
                    [&invite.created_by],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            if !exists {
                return Err(StoreError::NotFound(format!("user {}", invite.created_by)));
            }
            if let Some(limit) = limit {
                let n: i64 = tx
                    .query_row(
                        "SELECT COUNT(*) FROM invites WHERE created_by = ?1",
                        [&invite.created_by],
                        |r| r.get(0),
                    )
                    .map_err(backend)?;
                if n as u64 >= limit {
                    return Err(StoreError::LimitReached(format!("{limit} invites")));
                }
            }
            tx.execute(
                "INSERT INTO invites (code, created_by, used_by, created_at, used_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    invite.code,
                    invite.created_by,
                    invite.used_by,
                    invite.created_at,
                    invite.used_at
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict("invite code exists".into())
                } else {
                    backend(e)
                }
            })?;
            Ok(invite)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_invites(&self, handle: &str) -> StoreResult<Vec<Invite>> {
        let handle = handle.to_owned();
        self.read(move |c| {
            let mut s = c
                .prepare(
                    "SELECT code, created_by, used_by, created_at, used_at FROM invites
                     WHERE created_by = ?1 ORDER BY created_at DESC, code",
                )
                .map_err(backend)?;
            let rows = s.query_map([handle], invite_row).map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_invite(&self, code: &str) -> StoreResult<Option<Invite>> {
        let code = code.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT code, created_by, used_by, created_at, used_at FROM invites WHERE code = ?1",
                [code],
                invite_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn replace_reset_code(&self, code: ResetCode) -> StoreResult<()> {
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM reset_codes WHERE handle = ?1 AND used_at IS NULL",
                [&code.handle],
            )
            .map_err(backend)?;
            tx.execute(
                "INSERT INTO reset_codes (code, handle, created_by, created_at, expires_at, used_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![code.code_hash, code.handle, code.created_by, code.created_at, code.expires_at, code.used_at],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict("reset code exists".into())
                } else {
                    backend(e)
                }
            })?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn redeem_reset_code(
        &self,
        code_hash: &str,
        handle: &str,
        now: i64,
        new_hash: &str,
    ) -> StoreResult<bool> {
        let (code, handle, new_hash) =
            (code_hash.to_owned(), handle.to_owned(), new_hash.to_owned());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE reset_codes SET used_at = ?1
                     WHERE code = ?2 AND handle = ?3 AND used_at IS NULL AND expires_at > ?1",
                    params![now, code, handle],
                )
                .map_err(backend)?;
            if n == 0 {
                return Ok(false);
            }
            tx.execute(
                "UPDATE users SET password_hash = ?1 WHERE handle = ?2",
                params![new_hash, handle],
            )
            .map_err(backend)?;
            tx.execute("DELETE FROM sessions WHERE handle = ?1", [&handle])
                .map_err(backend)?;
            Ok(true)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>> {
        let key = key.to_owned();
        self.read(move |c| {
            c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_setting(&self, key: &str) -> StoreResult<bool> {
        let key = key.to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM settings WHERE key = ?1", [key])
                .map(|n| n > 0)
                .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_settings(&self) -> StoreResult<BTreeMap<String, String>> {
        self.read(|c| {
            let mut s = c
                .prepare("SELECT key, value FROM settings")
                .map_err(backend)?;
            let rows = s
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_setting_if_absent(&self, key: &str, value: &str) -> StoreResult<bool> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO NOTHING",
                params![key, value],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_prefs(&self, handle: &str) -> StoreResult<BTreeMap<String, String>> {
        let handle = handle.to_owned();
        self.read(move |c| {
            let mut s = c
                .prepare("SELECT key, value FROM user_prefs WHERE handle = ?1")
                .map_err(backend)?;
            let rows = s
                .query_map([handle], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_prefs(&self, handle: &str, prefs: &BTreeMap<String, String>) -> StoreResult<()> {
        let handle = handle.to_owned();
        let prefs = prefs.clone();
        self.write(move |tx| {
            let mut s = tx
                .prepare(
                    "INSERT INTO user_prefs (handle, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT(handle, key) DO UPDATE SET value = excluded.value",
                )
                .map_err(backend)?;
            for (k, v) in &prefs {
                s.execute(params![handle, k, v]).map_err(|e| {
                    if matches!(&e, rusqlite::Error::SqliteFailure(f, _)
                        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
                    {
                        StoreError::NotFound(format!("user {handle}"))
                    } else {
                        backend(e)
                    }
                })?;
            }
            Ok(())
        })
        .await
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
