//! The event audit log on SQLite (`event_audit`, migration 0102): written
//! inside the attendee and puzzle stores' `BEGIN IMMEDIATE` transactions,
//! so an entry commits exactly with the change it records.

use bincio_core::event::audit::{AuditEntry, AuditFilter, AuditKind};
use bincio_core::store::{StoreError, StoreResult};
use rusqlite::{params, Connection, OptionalExtension};

use crate::pool::backend;

const COLS: &str =
    "id, at, kind, actor, attendee_id, role, scenario, ok, result, reason, nonce, undone_by, detail";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let kind: String = r.get(2)?;
    let detail: String = r.get(12)?;
    Ok(AuditEntry {
        id: r.get(0)?,
        at: r.get(1)?,
        kind: AuditKind::parse(&kind).unwrap_or(AuditKind::Use),
        actor: r.get(3)?,
        attendee_id: r.get(4)?,
        role: r.get(5)?,
        scenario: r.get(6)?,
        ok: r.get::<_, i64>(7)? != 0,
        result: r.get(8)?,
        reason: r.get(9)?,
        nonce: r.get(10)?,
        undone_by: r.get(11)?,
        detail: serde_json::from_str(&detail).unwrap_or_default(),
    })
}

/// Append an entry.
pub(crate) fn insert(c: &Connection, e: &AuditEntry) -> StoreResult<()> {
    c.prepare_cached(&format!(
        "INSERT INTO event_audit ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    ))
    .and_then(|mut s| {
        s.execute(params![
            e.id,
            e.at,
            e.kind.as_str(),
            e.actor,
            e.attendee_id,
            e.role,
            e.scenario,
            i64::from(e.ok),
            e.result,
            e.reason,
            e.nonce,
            e.undone_by,
            e.detail.to_string()
        ])
    })
    .map_err(backend)?;
    Ok(())
}

/// An attendee's look-ups into the log (`event_attendee.audit_refs`):
/// nonce → entry, scenario → newest successful use not undone.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Refs {
    #[serde(default, rename = "n")]
    pub nonces: std::collections::BTreeMap<String, String>,
    #[serde(default, rename = "u")]
    pub uses: std::collections::BTreeMap<String, String>,
}

/// The refs of the attendee with `token` (empty for an unknown one).
pub(crate) fn refs(c: &Connection, token: &str) -> StoreResult<Refs> {
    let text: Option<String> = c
        .prepare_cached("SELECT audit_refs FROM event_attendee WHERE token = ?1")
        .and_then(|mut s| s.query_row(params![token], |r| r.get(0)).optional())
        .map_err(backend)?;
    Ok(text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

/// Store the refs of the attendee with `token`.
pub(crate) fn set_refs(c: &Connection, token: &str, refs: &Refs) -> StoreResult<()> {
    let text = serde_json::to_string(refs).map_err(|e| StoreError::Backend(e.to_string()))?;
    c.prepare_cached("UPDATE event_attendee SET audit_refs = ?2 WHERE token = ?1")
        .and_then(|mut s| s.execute(params![token, text]))
        .map_err(backend)?;
    Ok(())
}

/// One entry by id.
pub(crate) fn get(c: &Connection, id: &str) -> StoreResult<Option<AuditEntry>> {
    c.prepare_cached(&format!("SELECT {COLS} FROM event_audit WHERE id = ?1"))
        .and_then(|mut s| s.query_row(params![id], row).optional())
        .map_err(backend)
}

/// Mark use `id` as undone by `undo_id`.
pub(crate) fn mark_undone(c: &Connection, id: &str, undo_id: &str) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE event_audit SET undone_by = ?2 WHERE id = ?1 AND undone_by IS NULL",
            params![id, undo_id],
        )
        .map_err(backend)?;
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "audit entry {id} already undone"
        )))
    }
}

/// Entries matching `f`, newest first.
pub(crate) fn list(c: &Connection, f: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
    let mut sql = format!("SELECT {COLS} FROM event_audit WHERE 1 = 1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let mut cond = |sql: &mut String, col: &str, op: &str, v: rusqlite::types::Value| {
        args.push(v);
        sql.push_str(&format!(" AND {col} {op} ?{}", args.len()));
    };
    if let Some(v) = &f.attendee_id {
        cond(&mut sql, "attendee_id", "=", v.clone().into());
    }
    if let Some(v) = &f.actor {
        cond(&mut sql, "actor", "=", v.clone().into());
    }
    if let Some(k) = f.kind {
        cond(&mut sql, "kind", "=", k.as_str().to_owned().into());
    }
    if let Some(t) = f.since {
        cond(&mut sql, "at", ">=", t.into());
    }
    if let Some(t) = f.until {
        cond(&mut sql, "at", "<", t.into());
    }
    if let Some(b) = &f.before {
        cond(&mut sql, "id", "<", b.clone().into());
    }
    sql.push_str(&format!(
        " ORDER BY id DESC LIMIT {}",
        f.limit.clamp(1, 1000)
    ));
    let mut s = c.prepare_cached(&sql).map_err(backend)?;
    let rows = s
        .query_map(rusqlite::params_from_iter(args), row)
        .map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
}
