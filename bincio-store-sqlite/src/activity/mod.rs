//! `ActivityStore` on SQLite. JSON documents are stored as text; the fields
//! feeds and dedup query are real columns. `privacy` holds the *effective*
//! privacy (edit, else extracted) so "listed" is an indexed filter.
//!
//! Files: this one holds the `ActivityStore` impl, `codec.rs` maps rows to
//! domain types. The tables are in `migrations/0200_activities.sql`.

mod codec;

use bincio_core::model::{
    ActivityEdits, ActivityRecord, ActivityTracks, Blob, Orphans, Privacy, RawTracks, StorageUsage,
};
use bincio_core::store::{
    ActivityStore, FeedQuery, InsertOutcome, StoreError, StoreResult, SummaryQuery,
    MAX_SUMMARY_PAGE,
};
use rusqlite::{params, OptionalExtension};

use crate::pool::backend;
use crate::SqliteStore;
use codec::{
    lean_summary_row, map_fk, record_row, summary_row, write_tracks, DocTexts, COLS, SUMMARY_COLS,
};

#[async_trait::async_trait]
impl ActivityStore for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn insert_activity(
        &self,
        rec: ActivityRecord,
        tracks: ActivityTracks,
    ) -> StoreResult<InsertOutcome> {
        let docs = DocTexts::new(&rec, &tracks);
        drop(tracks);
        self.write(move |tx| {
            let dup: Option<String> = tx
                .query_row(
                    "SELECT id FROM activities WHERE handle = ?1 AND source_hash = ?2",
                    params![rec.handle, rec.source_hash],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            if let Some(id) = dup {
                return Ok(InsertOutcome::DuplicateHash(id));
            }
            let taken: bool = tx
                .query_row(
                    "SELECT EXISTS(SELECT 1 FROM activities WHERE handle = ?1 AND id = ?2)",
                    params![rec.handle, rec.id],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            if taken {
                return Ok(InsertOutcome::IdTaken);
            }
            let edits = serde_json::to_string(&rec.edits).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            tx.execute(
                "INSERT INTO activities (handle, id, started_at, source_hash, privacy, extracted_privacy,
                    distance_m, source, summary, detail, edits, duplicate_of, created_at, doc_bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    rec.handle,
                    rec.id,
                    rec.started_at,
                    rec.source_hash,
                    rec.effective_privacy().as_str(),
                    rec.privacy.as_str(),
                    rec.distance_m,
                    rec.source,
                    docs.summary,
                    docs.detail,
                    edits,
                    rec.duplicate_of,
                    rec.created_at,
                    docs.doc_bytes,
                ],
            )
            .map_err(|e| map_fk(e, &format!("user {}", rec.handle)))?;
            write_tracks(tx, &rec.handle, &rec.id, &docs)?;
            Ok(InsertOutcome::Inserted)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn replace_activity(
        &self,
        rec: ActivityRecord,
        tracks: ActivityTracks,
    ) -> StoreResult<bool> {
        let docs = DocTexts::new(&rec, &tracks);
        drop(tracks);
        self.write(move |tx| {
            let edits: Option<String> = tx
                .query_row(
                    "SELECT edits FROM activities WHERE handle = ?1 AND id = ?2",
                    params![rec.handle, rec.id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            let Some(edits) = edits else { return Ok(false) };
            let edits: ActivityEdits =
                serde_json::from_str(&edits).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let effective = edits.privacy.unwrap_or(rec.privacy);
            tx.execute(
                "UPDATE activities SET started_at = ?3, source_hash = ?4, privacy = ?5,
                    extracted_privacy = ?6, distance_m = ?7, source = ?8, summary = ?9, detail = ?10,
                    duplicate_of = ?11, doc_bytes = ?12
                 WHERE handle = ?1 AND id = ?2",
                params![
                    rec.handle,
                    rec.id,
                    rec.started_at,
                    rec.source_hash,
                    effective.as_str(),
                    rec.privacy.as_str(),
                    rec.distance_m,
                    rec.source,
                    docs.summary,
                    docs.detail,
                    rec.duplicate_of,
                    docs.doc_bytes,
                ],
            )
            .map_err(|e| map_fk(e, "source hash already stored under another id"))?;
            write_tracks(tx, &rec.handle, &rec.id, &docs)?;
            Ok(true)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_activity(&self, handle: &str, id: &str) -> StoreResult<Option<ActivityRecord>> {
        let (handle, id) = (handle.to_owned(), id.to_owned());
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {COLS} FROM activities WHERE handle = ?1 AND id = ?2"
            ))
            .and_then(|mut s| s.query_row(params![handle, id], record_row).optional())
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_tracks(&self, handle: &str, id: &str) -> StoreResult<Option<ActivityTracks>> {
        let Some(raw) = self.get_tracks_raw(handle, id).await? else {
            return Ok(None);
        };
        let parse = |s: Option<String>| -> StoreResult<Option<serde_json::Value>> {
            s.map(|s| serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(e.to_string())))
                .transpose()
        };
        Ok(Some(ActivityTracks {
            timeseries: parse(raw.timeseries)?,
            geojson: parse(raw.geojson)?,
        }))
    }

    /// The columns hold `Value::to_string()`, i.e. compact JSON. A point
    /// read by primary key (inline when a reader is free).
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_tracks_raw(&self, handle: &str, id: &str) -> StoreResult<Option<RawTracks>> {
        let (handle, id) = (handle.to_owned(), id.to_owned());
        self.read_point(move |c| {
            c.prepare_cached(
                "SELECT timeseries, geojson FROM activity_tracks WHERE handle = ?1 AND id = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![handle, id], |r| {
                    Ok(RawTracks {
                        timeseries: r.get(0)?,
                        geojson: r.get(1)?,
                    })
                })
                .optional()
            })
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn patch_edits(
        &self,
        handle: &str,
        id: &str,
        patch: ActivityEdits,
    ) -> StoreResult<Option<ActivityEdits>> {
        let (handle, id) = (handle.to_owned(), id.to_owned());
        self.write(move |tx| {
            let row: Option<(String, String)> = tx
                .query_row(
                    "SELECT edits, extracted_privacy FROM activities WHERE handle = ?1 AND id = ?2",
                    params![handle, id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(backend)?;
            let Some((edits, extracted)) = row else {
                return Ok(None);
            };
            let mut edits: ActivityEdits =
                serde_json::from_str(&edits).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            edits.merge(patch);
            let effective = edits
                .privacy
                .map(Privacy::as_str)
                .unwrap_or(extracted.as_str())
                .to_owned();
            let text =
                serde_json::to_string(&edits).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            tx.execute(
                "UPDATE activities SET edits = ?3, privacy = ?4 WHERE handle = ?1 AND id = ?2",
                params![handle, id, text, effective],
            )
            .map_err(backend)?;
            Ok(Some(edits))
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn set_duplicate_of(
        &self,
        handle: &str,
        id: &str,
        duplicate_of: Option<&str>,
    ) -> StoreResult<bool> {
        let (handle, id, dup) = (
            handle.to_owned(),
            id.to_owned(),
            duplicate_of.map(str::to_owned),
        );
        self.write(move |tx| {
            tx.execute(
                "UPDATE activities SET duplicate_of = ?3 WHERE handle = ?1 AND id = ?2",
                params![handle, id, dup],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_activity(&self, handle: &str, id: &str) -> StoreResult<bool> {
        let (handle, id) = (handle.to_owned(), id.to_owned());
        self.write(move |tx| {
            for t in ["activity_blobs", "activity_tracks"] {
                tx.execute(
                    &format!("DELETE FROM {t} WHERE handle = ?1 AND id = ?2"),
                    params![handle, id],
                )
                .map_err(backend)?;
            }
            tx.execute(
                "DELETE FROM activities WHERE handle = ?1 AND id = ?2",
                params![handle, id],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_user_activities(&self, handle: &str) -> StoreResult<u64> {
        let handle = handle.to_owned();
        self.write(move |tx| {
            for t in ["activity_blobs", "activity_tracks"] {
                tx.execute(&format!("DELETE FROM {t} WHERE handle = ?1"), [&handle])
                    .map_err(backend)?;
            }
            tx.execute("DELETE FROM activities WHERE handle = ?1", [&handle])
                .map(|n| n as u64)
                .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn feed(&self, q: FeedQuery) -> StoreResult<Vec<ActivityRecord>> {
        self.read(move |c| {
            let mut sql = format!("SELECT {COLS} FROM activities WHERE 1 = 1");
            let mut args: Vec<rusqlite::types::Value> = Vec::new();
            if let Some(h) = &q.handle {
                args.push(h.clone().into());
                sql.push_str(&format!(" AND handle = ?{}", args.len()));
            }
            if q.listed_only {
                sql.push_str(" AND privacy IN ('public', 'no_gps', 'blur_start')");
            }
            if let Some(cur) = &q.before {
                args.push(cur.started_at.into());
                let a = args.len();
                args.push(cur.id.clone().into());
                let b = args.len();
                sql.push_str(&format!(
                    " AND (started_at < ?{a} OR (started_at = ?{a} AND id < ?{b}))"
                ));
            }
            sql.push_str(&format!(
                " ORDER BY started_at DESC, id DESC LIMIT {}",
                q.limit.clamp(1, 1000)
            ));
            let mut s = c.prepare_cached(&sql).map_err(backend)?;
            let rows = s
                .query_map(rusqlite::params_from_iter(args), record_row)
                .map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    /// The feed's query without the `detail` column (never read from disk
    /// beyond its page), over the same indexes: `activities_user_feed` for
    /// one owner, `activities_feed` for everyone, the time window as a
    /// range on `started_at`.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn summaries(&self, q: SummaryQuery) -> StoreResult<Vec<ActivityRecord>> {
        self.read(move |c| {
            let mut sql = format!("SELECT {SUMMARY_COLS} FROM activities WHERE 1 = 1");
            let mut args: Vec<rusqlite::types::Value> = Vec::new();
            if let Some(h) = &q.handle {
                args.push(h.clone().into());
                sql.push_str(&format!(" AND handle = ?{}", args.len()));
            }
            if q.listed_only {
                sql.push_str(" AND privacy IN ('public', 'no_gps', 'blur_start')");
            }
            if let Some(since) = q.since {
                args.push(since.into());
                sql.push_str(&format!(" AND started_at >= ?{}", args.len()));
            }
            if let Some(until) = q.until {
                args.push(until.into());
                sql.push_str(&format!(" AND started_at < ?{}", args.len()));
            }
            if let Some(cur) = &q.before {
                args.push(cur.started_at.into());
                let a = args.len();
                args.push(cur.id.clone().into());
                let b = args.len();
                sql.push_str(&format!(
                    " AND (started_at < ?{a} OR (started_at = ?{a} AND id < ?{b}))"
                ));
            }
            sql.push_str(&format!(
                " ORDER BY started_at DESC, id DESC LIMIT {}",
                q.limit.clamp(1, MAX_SUMMARY_PAGE)
            ));
            let mut s = c.prepare_cached(&sql).map_err(backend)?;
            let rows = s
                .query_map(
                    rusqlite::params_from_iter(args),
                    if q.lean {
                        lean_summary_row
                    } else {
                        summary_row
                    },
                )
                .map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn find_by_hash(&self, handle: &str, source_hash: &str) -> StoreResult<Option<String>> {
        let (handle, hash) = (handle.to_owned(), source_hash.to_owned());
        self.read(move |c| {
            c.query_row(
                "SELECT id FROM activities WHERE handle = ?1 AND source_hash = ?2",
                params![handle, hash],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn find_near(
        &self,
        handle: &str,
        started_at: i64,
        window_s: i64,
    ) -> StoreResult<Vec<ActivityRecord>> {
        let handle = handle.to_owned();
        self.read(move |c| {
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT {COLS} FROM activities WHERE handle = ?1 AND started_at BETWEEN ?2 AND ?3
                     ORDER BY started_at, id"
                ))
                .map_err(backend)?;
            let rows = s
                .query_map(
                    params![handle, started_at - window_s, started_at + window_s],
                    record_row,
                )
                .map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn activity_owners(&self) -> StoreResult<Vec<String>> {
        self.read(|c| {
            let mut s = c
                .prepare("SELECT DISTINCT handle FROM activities ORDER BY handle")
                .map_err(backend)?;
            let rows = s.query_map([], |r| r.get(0)).map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn put_original(&self, handle: &str, id: &str, blob: Blob) -> StoreResult<()> {
        let (handle, id) = (handle.to_owned(), id.to_owned());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM activity_blobs WHERE handle = ?1 AND id = ?2 AND kind = 'original'",
                params![handle, id],
            )
            .map_err(backend)?;
            tx.execute(
                "INSERT INTO activity_blobs (handle, id, kind, name, content_type, size, bytes)
                 VALUES (?1, ?2, 'original', ?3, ?4, ?5, ?6)",
                params![
                    handle,
                    id,
                    blob.name,
                    blob.content_type,
                    blob.bytes.len() as i64,
                    blob.bytes
                ],
            )
            .map_err(|e| map_fk(e, &format!("activity {id}")))?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_original(&self, handle: &str, id: &str) -> StoreResult<Option<Blob>> {
        let (handle, id) = (handle.to_owned(), id.to_owned());
        self.read(move |c| {
            c.query_row(
                "SELECT name, content_type, bytes FROM activity_blobs
                 WHERE handle = ?1 AND id = ?2 AND kind = 'original'",
                params![handle, id],
                |r| {
                    Ok(Blob {
                        name: r.get(0)?,
                        content_type: r.get(1)?,
                        bytes: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_originals(&self, handle: &str) -> StoreResult<u64> {
        let handle = handle.to_owned();
        self.write(move |tx| {
            let freed: i64 = tx
                .query_row(
                    "SELECT COALESCE(SUM(size), 0) FROM activity_blobs WHERE handle = ?1 AND kind = 'original'",
                    [&handle],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            tx.execute(
                "DELETE FROM activity_blobs WHERE handle = ?1 AND kind = 'original'",
                [&handle],
            )
            .map_err(backend)?;
            Ok(freed as u64)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn put_image(&self, handle: &str, id: &str, blob: Blob) -> StoreResult<()> {
        let (handle, id) = (handle.to_owned(), id.to_owned());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO activity_blobs (handle, id, kind, name, content_type, size, bytes)
                 VALUES (?1, ?2, 'image', ?3, ?4, ?5, ?6)",
                params![
                    handle,
                    id,
                    blob.name,
                    blob.content_type,
                    blob.bytes.len() as i64,
                    blob.bytes
                ],
            )
            .map_err(|e| map_fk(e, &format!("image {} of activity {id}", blob.name)))?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_images(&self, handle: &str, id: &str) -> StoreResult<Vec<String>> {
        let (handle, id) = (handle.to_owned(), id.to_owned());
        self.read(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT name FROM activity_blobs WHERE handle = ?1 AND id = ?2 AND kind = 'image'
                     ORDER BY name",
                )
                .map_err(backend)?;
            let rows = s.query_map(params![handle, id], |r| r.get(0)).map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn get_image(&self, handle: &str, id: &str, name: &str) -> StoreResult<Option<Blob>> {
        let (handle, id, name) = (handle.to_owned(), id.to_owned(), name.to_owned());
        self.read(move |c| {
            c.query_row(
                "SELECT name, content_type, bytes FROM activity_blobs
                 WHERE handle = ?1 AND id = ?2 AND kind = 'image' AND name = ?3",
                params![handle, id, name],
                |r| {
                    Ok(Blob {
                        name: r.get(0)?,
                        content_type: r.get(1)?,
                        bytes: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn delete_image(&self, handle: &str, id: &str, name: &str) -> StoreResult<bool> {
        let (handle, id, name) = (handle.to_owned(), id.to_owned(), name.to_owned());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM activity_blobs WHERE handle = ?1 AND id = ?2 AND kind = 'image' AND name = ?3",
                params![handle, id, name],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn storage_usage(&self, handle: &str) -> StoreResult<StorageUsage> {
        let handle = handle.to_owned();
        self.read(move |c| {
            let (count, docs): (i64, i64) = c
                .query_row(
                    "SELECT COUNT(*), COALESCE(SUM(doc_bytes), 0) FROM activities WHERE handle = ?1",
                    [&handle],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(backend)?;
            let blobs = |kind: &str| -> StoreResult<i64> {
                c.query_row(
                    "SELECT COALESCE(SUM(size), 0) FROM activity_blobs WHERE handle = ?1 AND kind = ?2",
                    params![handle, kind],
                    |r| r.get(0),
                )
                .map_err(backend)
            };
            Ok(StorageUsage {
                activities_count: count as u64,
                activities_bytes: docs as u64,
                originals_bytes: blobs("original")? as u64,
                images_bytes: blobs("image")? as u64,
            })
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn listed_page(
        &self,
        offset: u64,
        limit: usize,
    ) -> StoreResult<(Vec<ActivityRecord>, u64)> {
        const LISTED: &str = "privacy IN ('public', 'no_gps', 'blur_start')";
        self.read(move |c| {
            let total: i64 = c
                .query_row(
                    &format!("SELECT COUNT(*) FROM activities WHERE {LISTED}"),
                    [],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT {COLS} FROM activities WHERE {LISTED}
                     ORDER BY started_at DESC, id DESC, handle DESC LIMIT ?1 OFFSET ?2"
                ))
                .map_err(backend)?;
            let rows = s
                .query_map(
                    params![
                        limit.clamp(1, 1000) as i64,
                        i64::try_from(offset).unwrap_or(i64::MAX)
                    ],
                    record_row,
                )
                .map_err(backend)?;
            let rows = rows.collect::<Result<_, _>>().map_err(backend)?;
            Ok((rows, total as u64))
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn list_user_images(&self, handle: &str) -> StoreResult<Vec<(String, String)>> {
        let handle = handle.to_owned();
        self.read(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT id, name FROM activity_blobs WHERE handle = ?1 AND kind = 'image'
                     ORDER BY id, name",
                )
                .map_err(backend)?;
            let rows = s
                .query_map([handle], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn activity_generations(&self) -> StoreResult<Vec<(String, u64)>> {
        self.read(move |c| {
            let mut s = c
                .prepare_cached("SELECT handle, gen FROM activity_generations ORDER BY handle")
                .map_err(backend)?;
            let rows = s
                .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
                .map_err(backend)?;
            rows.collect::<Result<_, _>>().map_err(backend)
        })
        .await
    }

    /// Tracks and blobs hang off their activity by a foreign key with
    /// `ON DELETE CASCADE`, and every write is one transaction, so none is
    /// expected here; rows that a database edited with foreign keys off
    /// could hold are still found (and removed) all the same. `cutoff` is
    /// not needed: no row is visible before its transaction commits.
    #[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]
    async fn orphans(&self, remove: bool, _cutoff: i64) -> StoreResult<Orphans> {
        const TRACKS: &str = "FROM activity_tracks t WHERE NOT EXISTS \
             (SELECT 1 FROM activities a WHERE a.handle = t.handle AND a.id = t.id)";
        const BLOBS: &str = "FROM activity_blobs b WHERE NOT EXISTS \
             (SELECT 1 FROM activities a WHERE a.handle = b.handle AND a.id = b.id)";
        let count = |tx: &rusqlite::Connection, from: &str| -> StoreResult<u64> {
            tx.query_row(&format!("SELECT COUNT(*) {from}"), [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(backend)
        };
        if !remove {
            return self
                .read(move |c| {
                    Ok(Orphans {
                        tracks: count(c, TRACKS)?,
                        blobs: count(c, BLOBS)?,
                        chunks: 0,
                    })
                })
                .await;
        }
        self.write(move |tx| {
            let found = Orphans {
                tracks: count(tx, TRACKS)?,
                blobs: count(tx, BLOBS)?,
                chunks: 0,
            };
            for (table, from) in [("activity_tracks", TRACKS), ("activity_blobs", BLOBS)] {
                let alias = if table == "activity_tracks" { "t" } else { "b" };
                tx.execute(
                    &format!("DELETE FROM {table} WHERE rowid IN (SELECT {alias}.rowid {from})"),
                    [],
                )
                .map_err(backend)?;
            }
            Ok(found)
        })
        .await
    }
}
