//! Athlete config on SQLite: table `athlete_config`, one row per
//! `(handle, key)` with the value as JSON text. A patch is one
//! `BEGIN IMMEDIATE` transaction (upserts and deletes of the keys it names),
//! so keys it does not name are never touched and concurrent patches of
//! different keys both survive. Rows go with the user (FK cascade, plus an
//! explicit delete in `delete_user` for databases written with FKs off).

use bincio_core::model::{AthleteConfig, AthletePatch};
use bincio_core::store::{StoreError, StoreResult};
use rusqlite::{params, Connection, OptionalExtension};

use crate::pool::backend;
use crate::SqliteStore;

fn load(c: &Connection, handle: &str) -> StoreResult<AthleteConfig> {
    let mut s = c
        .prepare("SELECT key, value FROM athlete_config WHERE handle = ?1")
        .map_err(backend)?;
    let rows: Vec<(String, String)> = s
        .query_map([handle], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(backend)?
        .collect::<Result<_, _>>()
        .map_err(backend)?;
    AthleteConfig::from_fields(rows.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| StoreError::Corrupt(format!("athlete_config of {handle}: {e}")))
}

impl SqliteStore {
    pub(crate) async fn athlete_get(&self, handle: &str) -> StoreResult<AthleteConfig> {
        let handle = handle.to_owned();
        self.read(move |c| load(c, &handle)).await
    }

    pub(crate) async fn athlete_patch(
        &self,
        handle: &str,
        patch: &AthletePatch,
    ) -> StoreResult<AthleteConfig> {
        let handle = handle.to_owned();
        let set = patch.set.to_fields();
        let clear = patch.clear.clone();
        self.write(move |tx| {
            let exists = tx
                .query_row("SELECT 1 FROM users WHERE handle = ?1", [&handle], |_| {
                    Ok(())
                })
                .optional()
                .map_err(backend)?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("user {handle}")));
            }
            for (k, v) in &set {
                tx.execute(
                    "INSERT INTO athlete_config (handle, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT(handle, key) DO UPDATE SET value = excluded.value",
                    params![handle, k.as_str(), v],
                )
                .map_err(backend)?;
            }
            for k in &clear {
                tx.execute(
                    "DELETE FROM athlete_config WHERE handle = ?1 AND key = ?2",
                    params![handle, k.as_str()],
                )
                .map_err(backend)?;
            }
            load(tx, &handle)
        })
        .await
    }
}
