//! Conformance cases of streamed imports
//! ([`AttendeeStore::import_rows_logged`]) and of the CSV import through
//! the service: rows taken on demand in several batches (more rows than
//! either backend's batch) are one all-or-nothing step — a failing row
//! after whole batches were written leaves no attendee and no audit entry;
//! a bad line near the end of a big file is named and nothing is written.

use std::fmt::Write as _;

use bincio_core::event::audit::{ActionDraft, AuditFilter, AuditKind};
use bincio_core::event::oid::new_oid;
use bincio_core::event::rules::ImportAttendee;
use bincio_core::store::{ImportCounts, ImportRows, StoreError, StoreResult};
use bincio_core::CoreError;
use serde_json::json;

use super::attendees::{row, T};
use super::audit::event;
use super::Backend;

/// More rows than a batch of either backend (SQLite 512, MongoDB 500).
const ROWS: usize = 1_200;

/// `ROWS` generated attendees; with `fail_at`, that row is an error.
struct Generated {
    fail_at: Option<usize>,
}

impl ImportRows for Generated {
    fn rows(&self) -> Box<dyn Iterator<Item = StoreResult<ImportAttendee>> + Send + '_> {
        Box::new((0..ROWS).map(move |i| {
            if Some(i) == self.fail_at {
                return Err(StoreError::Backend(format!("row {i} is bad")));
            }
            Ok(row(
                &format!("s-{i:05}"),
                &format!("Streamed {i:05}"),
                "audience",
            ))
        }))
    }
}

fn draft(at: i64) -> Option<ActionDraft> {
    Some(ActionDraft {
        id: new_oid(at),
        at,
        actor: "cli".into(),
        attendee_id: None,
        role: Some("audience".into()),
    })
}

fn imports() -> AuditFilter {
    AuditFilter {
        kind: Some(AuditKind::Import),
        limit: 100,
        ..AuditFilter::default()
    }
}

/// A row failing after two whole batches leaves nothing (no attendee, no
/// entry) and answers the row's error; the same rows without it are all
/// stored with their search text and one entry, and again all updated.
pub async fn import_streamed_all_or_nothing(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = &s.attendees;
    let bad = Generated {
        fail_at: Some(ROWS - 100),
    };
    let e = st.import_rows_logged(&bad, draft(T)).await.unwrap_err();
    assert!(e.to_string().contains("row 1100 is bad"), "{e}");
    assert!(st.get_attendee("s-00000").await.unwrap().is_none());
    assert!(st.list_attendees("audience").await.unwrap().is_empty());
    assert!(st.list_audit(imports()).await.unwrap().is_empty());

    let good = Generated { fail_at: None };
    let c = st.import_rows_logged(&good, draft(T + 1)).await.unwrap();
    assert_eq!(
        c,
        ImportCounts {
            inserted: ROWS as u64,
            updated: 0
        }
    );
    let all = st.list_attendees("audience").await.unwrap();
    assert_eq!(all.len(), ROWS);
    assert_eq!(
        all[ROWS - 1].token,
        format!("s-{:05}", ROWS - 1),
        "file order"
    );
    let roles = ["audience".to_owned()];
    let (found, n) = st
        .search_attendees(&roles, "streamed 01199", 0, 10)
        .await
        .unwrap();
    assert_eq!((n, found[0].token.as_str()), (1, "s-01199"), "search text");
    let c = st.import_rows_logged(&good, draft(T + 2)).await.unwrap();
    assert_eq!(
        c,
        ImportCounts {
            inserted: 0,
            updated: ROWS as u64
        }
    );
    let log = st.list_audit(imports()).await.unwrap();
    let details: Vec<_> = log.iter().map(|e| e.detail.clone()).collect();
    assert_eq!(
        details,
        [
            json!({"role": "audience", "inserted": 0, "updated": ROWS}),
            json!({"role": "audience", "inserted": ROWS, "updated": 0}),
        ]
    );
}

/// A big CSV through the service: a bad last line, or a token repeated
/// far from its first line, refuses the whole file by line and field, and
/// nothing is written; the clean file then imports whole.
pub async fn import_csv_bad_line_near_the_end(b: &dyn Backend) {
    let s = b.fresh().await;
    let (svc, _clock) = event(&s);
    let mut csv = String::from("token,display_name\n");
    for i in 0..ROWS {
        let _ = writeln!(csv, "c-{i:05},Person {i}");
    }
    let refused = |e: CoreError| match e {
        CoreError::Invalid(m) => m,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let last_line = ROWS + 2;
    let bad = format!("{csv}c-last,\n");
    let e = svc.import_csv_as("audience", bad.as_bytes(), "cli").await;
    assert_eq!(
        refused(e.unwrap_err()),
        format!("line {last_line}: empty display_name")
    );
    let dup = format!("{csv}c-00001,Again\n");
    let e = svc.import_csv_as("audience", dup.as_bytes(), "cli").await;
    assert_eq!(
        refused(e.unwrap_err()),
        format!("line {last_line}: duplicate token (first on line 3)")
    );
    assert!(s.attendees.get_attendee("c-00000").await.unwrap().is_none());
    assert!(s.attendees.list_audit(imports()).await.unwrap().is_empty());

    let c = svc
        .import_csv_as("audience", csv.as_bytes(), "cli")
        .await
        .unwrap();
    assert_eq!((c.inserted, c.updated), (ROWS as u64, 0));
    let last = svc.show(&format!("c-{:05}", ROWS - 1)).await.unwrap();
    assert_eq!(last.user_id, format!("Person {}", ROWS - 1));
}
