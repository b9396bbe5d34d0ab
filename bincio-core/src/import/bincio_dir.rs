//! `bincio import bincio --from OLD_DIR`: move a BincioActivity (Python)
//! instance in — users (bcrypt hashes kept; upgraded on first login),
//! invites, settings, prefs, then every user's activities with their
//! sidecar edits, photos and kept originals.
//!
//! The old accounts are read through a [`UserStore`] opened on a *copy* of
//! the old `instance.db` (the caller makes the copy, so the old instance is
//! never modified). Activity documents are taken as they are (no
//! re-extraction); anything unreadable is reported by file and skipped.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};

use super::sidecar;
use crate::activities::Activities;
use crate::error::{CoreError, CoreResult};
use crate::model::{ActivityRecord, ActivityTracks, Blob, NewUser, Privacy};
use crate::store::{ActivityStore, InsertOutcome, StoreError, UserStore};
use crate::validate;

/// Largest JSON document read from the old tree.
const MAX_DOC_BYTES: u64 = 64 * 1024 * 1024;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// Accounts created.
    pub users: u64,
    /// Accounts that existed already (left as they are).
    pub users_skipped: u64,
    /// Invites copied.
    pub invites: u64,
    /// Activities stored.
    pub activities: u64,
    /// Activities already present.
    pub activities_skipped: u64,
    /// Sidecar edits applied.
    pub sidecars: u64,
    /// Photos copied.
    pub images: u64,
    /// Originals copied.
    pub originals: u64,
    /// One line per problem (file: reason).
    pub errors: Vec<String>,
}

fn read_json(path: &Path) -> Result<Option<Value>, String> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(None);
    };
    if meta.len() > MAX_DOC_BYTES {
        return Err(format!("{}: larger than 64 MiB", path.display()));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))
}

/// Import everything from `root` (the old data dir).
#[tracing::instrument(skip_all, fields(from = %root.display()))]
pub async fn import(
    old_users: &Arc<dyn UserStore>,
    users: &Arc<dyn UserStore>,
    activities: &Activities,
    root: &Path,
) -> CoreResult<ImportReport> {
    let mut r = ImportReport::default();
    let old = old_users.list_users().await?;
    for u in &old {
        if !validate::is_valid_handle(&u.handle) {
            r.errors
                .push(format!("user {:?}: invalid handle, skipped", u.handle));
            continue;
        }
        let new = NewUser {
            handle: u.handle.clone(),
            display_name: u.display_name.clone(),
            password_hash: u.password_hash.clone(),
            role: u.role,
            created_at: u.created_at,
        };
        match users.create_user(new).await {
            Ok(_) => r.users += 1,
            Err(StoreError::Conflict(_)) => r.users_skipped += 1,
            Err(e) => return Err(e.into()),
        }
        let prefs = old_users.get_prefs(&u.handle).await?;
        if !prefs.is_empty() {
            users.set_prefs(&u.handle, &prefs).await?;
        }
    }
    // Invites after every user exists (they reference creator and redeemer).
    for u in &old {
        for inv in old_users.list_invites(&u.handle).await? {
            match users.create_invite(inv, None).await {
                Ok(_) => r.invites += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(e) => r.errors.push(format!("invite of {}: {e}", u.handle)),
            }
        }
    }
    for (k, v) in old_users.list_settings().await? {
        if !crate::accounts::settings::is_secret(&k) {
            users.set_setting(&k, &v).await?;
        }
    }
    for u in &old {
        let dir = root.join(&u.handle);
        if validate::is_valid_handle(&u.handle) && dir.join("activities").is_dir() {
            import_user_dir(activities, &u.handle, &dir, &mut r).await?;
        }
    }
    Ok(r)
}

async fn import_user_dir(
    acts: &Activities,
    handle: &str,
    dir: &Path,
    r: &mut ImportReport,
) -> CoreResult<()> {
    let store: &Arc<dyn ActivityStore> = acts.store();
    let old_index: HashMap<String, Value> = read_json(&dir.join("index.json"))
        .ok()
        .flatten()
        .and_then(|v| v.get("activities").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| Some((s.get("id")?.as_str()?.to_owned(), s)))
        .collect();
    let mut names: Vec<String> = std::fs::read_dir(dir.join("activities"))
        .map_err(|e| CoreError::Internal(format!("{}: {e}", dir.display())))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.ends_with(".json") && !n.ends_with(".timeseries.json") && !n.contains(".pending.")
        })
        .collect();
    names.sort();
    let user = crate::model::User {
        handle: handle.to_owned(),
        display_name: String::new(),
        password_hash: String::new(),
        role: crate::model::Role::User,
        created_at: 0,
    };
    for name in names {
        let id = name.trim_end_matches(".json").to_owned();
        if !validate::is_valid_activity_id(&id) {
            r.errors.push(format!(
                "{handle}/activities/{name}: invalid activity id, skipped"
            ));
            continue;
        }
        let base = dir.join("activities");
        let detail = match read_json(&base.join(&name)) {
            Ok(Some(d)) if d.is_object() => d,
            Ok(_) => {
                r.errors
                    .push(format!("{handle}/activities/{name}: not a JSON object"));
                continue;
            }
            Err(e) => {
                r.errors.push(e);
                continue;
            }
        };
        let started_at = detail
            .get("started_at")
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.timestamp());
        let Some(started_at) = started_at else {
            r.errors
                .push(format!("{handle}/activities/{name}: no valid started_at"));
            continue;
        };
        let geojson = read_json(&base.join(format!("{id}.geojson"))).unwrap_or(None);
        let timeseries = read_json(&base.join(format!("{id}.timeseries.json"))).unwrap_or(None);
        let privacy = detail
            .get("privacy")
            .and_then(Value::as_str)
            .and_then(Privacy::parse)
            .unwrap_or(Privacy::Public);
        let summary = old_index.get(&id).cloned().unwrap_or_else(|| {
            let mut s = serde_json::Map::new();
            let keys = crate::extract::bas::SUMMARY_FROM_DETAIL.iter();
            for k in keys.chain(&["track_url", "preview_coords"]) {
                if let Some(v) = detail.get(*k) {
                    s.insert((*k).to_owned(), v.clone());
                }
            }
            s.insert("detail_url".into(), json!(format!("activities/{id}.json")));
            Value::Object(s)
        });
        let source_hash = detail
            .get("source_hash")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| crate::extract::source_hash(detail.to_string().as_bytes()));
        let edits_path = dir.join("edits").join(format!("{id}.md"));
        let edits = match std::fs::read_to_string(&edits_path) {
            Ok(text) => {
                r.sidecars += 1;
                sidecar::parse(&text)
            }
            Err(_) => Default::default(),
        };
        let rec = ActivityRecord {
            handle: handle.to_owned(),
            id: id.clone(),
            started_at,
            source_hash,
            privacy,
            distance_m: detail.get("distance_m").and_then(Value::as_f64),
            source: detail
                .get("source")
                .and_then(Value::as_str)
                .map(str::to_owned),
            summary,
            duplicate_of: detail
                .get("duplicate_of")
                .and_then(Value::as_str)
                .map(str::to_owned),
            detail: detail.clone(),
            edits,
            created_at: started_at,
        };
        match store
            .insert_activity(
                rec,
                ActivityTracks {
                    timeseries,
                    geojson,
                },
            )
            .await?
        {
            InsertOutcome::Inserted => r.activities += 1,
            InsertOutcome::DuplicateHash(_) | InsertOutcome::IdTaken => {
                r.activities_skipped += 1;
                continue;
            }
        }
        // Photos: re-typed from their bytes, renamed safely.
        if let Ok(rd) = std::fs::read_dir(dir.join("edits").join("images").join(&id)) {
            let mut imgs: Vec<_> = rd.flatten().map(|e| e.path()).collect();
            imgs.sort();
            for p in imgs {
                let Ok(bytes) = std::fs::read(&p) else {
                    continue;
                };
                match acts.add_image(&user, &id, bytes).await {
                    Ok(_) => r.images += 1,
                    Err(e) => r.errors.push(format!("{}: {e}", p.display())),
                }
            }
        }
        // The kept original, if its file is there.
        if let Some(src) = detail.get("source_file").and_then(Value::as_str) {
            let file = src.rsplit(['/', '\\']).next().unwrap_or("");
            let p = dir.join("originals").join(file);
            if !file.is_empty() && !file.starts_with('.') && p.is_file() {
                if let Ok(bytes) = std::fs::read(&p) {
                    store
                        .put_original(
                            handle,
                            &id,
                            Blob {
                                name: file.to_owned(),
                                content_type: "application/octet-stream".into(),
                                bytes,
                            },
                        )
                        .await?;
                    r.originals += 1;
                }
            }
        }
    }
    Ok(())
}
