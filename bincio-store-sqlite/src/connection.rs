//! Connections on SQLite: table `connections` (migration `0400_strava`),
//! one row per `(handle, provider)`. A patch is one `BEGIN IMMEDIATE`
//! transaction (read the row, apply the patch, write it back), so
//! concurrent patches of different fields both survive, across processes
//! too. Spending the OAuth state is one conditional `UPDATE`.

use bincio_core::store::{Connection, ConnectionPatch, ConnectionStore, StoreError, StoreResult};
use rusqlite::{params, OptionalExtension, Row};

use crate::pool::backend;
use crate::SqliteStore;

const COLS: &str = "handle, provider, athlete_id, athlete_name, scopes, tokens, credentials, \
     cursor, last_sync, next_sync, paused_until, last_error, oauth_state, oauth_state_expires, \
     updated_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Connection> {
    Ok(Connection {
        handle: r.get(0)?,
        provider: r.get(1)?,
        athlete_id: r.get(2)?,
        athlete_name: r.get(3)?,
        scopes: r.get(4)?,
        tokens: r.get(5)?,
        credentials: r.get(6)?,
        cursor: r.get(7)?,
        last_sync: r.get(8)?,
        next_sync: r.get(9)?,
        paused_until: r.get(10)?,
        last_error: r.get(11)?,
        oauth_state: r.get(12)?,
        oauth_state_expires: r.get(13)?,
        updated_at: r.get(14)?,
    })
}

fn load(c: &rusqlite::Connection, handle: &str, provider: &str) -> StoreResult<Option<Connection>> {
    c.query_row(
        &format!("SELECT {COLS} FROM connections WHERE handle = ?1 AND provider = ?2"),
        [handle, provider],
        from_row,
    )
    .optional()
    .map_err(backend)
}

#[async_trait::async_trait]
impl ConnectionStore for SqliteStore {
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_connection(
        &self,
        handle: &str,
        provider: &str,
    ) -> StoreResult<Option<Connection>> {
        let (h, p) = (handle.to_owned(), provider.to_owned());
        self.read(move |c| load(c, &h, &p)).await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn patch_connection(
        &self,
        handle: &str,
        provider: &str,
        patch: &ConnectionPatch,
        now: i64,
    ) -> StoreResult<Connection> {
        let (h, p, patch) = (handle.to_owned(), provider.to_owned(), patch.clone());
        self.write(move |tx| {
            let mut row = match load(tx, &h, &p)? {
                Some(r) => r,
                None => {
                    let exists = tx
                        .query_row("SELECT 1 FROM users WHERE handle = ?1", [&h], |_| Ok(()))
                        .optional()
                        .map_err(backend)?;
                    if exists.is_none() {
                        return Err(StoreError::NotFound(format!("user {h}")));
                    }
                    Connection {
                        handle: h.clone(),
                        provider: p.clone(),
                        ..Connection::default()
                    }
                }
            };
            patch.apply(&mut row);
            row.updated_at = now;
            tx.execute(
                &format!(
                    "INSERT OR REPLACE INTO connections ({COLS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
                ),
                params![
                    row.handle,
                    row.provider,
                    row.athlete_id,
                    row.athlete_name,
                    row.scopes,
                    row.tokens,
                    row.credentials,
                    row.cursor,
                    row.last_sync,
                    row.next_sync,
                    row.paused_until,
                    row.last_error,
                    row.oauth_state,
                    row.oauth_state_expires,
                    row.updated_at,
                ],
            )
            .map_err(backend)?;
            Ok(row)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn take_oauth_state(
        &self,
        handle: &str,
        provider: &str,
        state_hash: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let (h, p, s) = (
            handle.to_owned(),
            provider.to_owned(),
            state_hash.to_owned(),
        );
        self.write(move |tx| {
            tx.execute(
                "UPDATE connections SET oauth_state = NULL, oauth_state_expires = NULL
                 WHERE handle = ?1 AND provider = ?2 AND oauth_state = ?3
                   AND oauth_state_expires > ?4",
                params![h, p, s, now],
            )
            .map(|n| n == 1)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_connection(&self, handle: &str, provider: &str) -> StoreResult<bool> {
        let (h, p) = (handle.to_owned(), provider.to_owned());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM connections WHERE handle = ?1 AND provider = ?2",
                [&h, &p],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_connections(&self, provider: &str) -> StoreResult<Vec<Connection>> {
        let p = provider.to_owned();
        self.read(move |c| {
            let mut s = c
                .prepare(&format!(
                    "SELECT {COLS} FROM connections WHERE provider = ?1 ORDER BY handle"
                ))
                .map_err(backend)?;
            let rows = s
                .query_map([&p], from_row)
                .map_err(backend)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend);
            rows
        })
        .await
    }
}
