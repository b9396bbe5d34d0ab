//! Conformance cases of [`ArchiveStore`](bincio_core::store::ArchiveStore):
//! whole-instance reads of event state and their verbatim restore, the
//! part of the instance archive (`bincio export` / `import instance`)
//! that the other traits cannot write as it was.

use bincio_core::event::audit::{AuditDraft, AuditEntry, AuditFilter, UndoRequest};
use bincio_core::event::model::{
    public_token, Announcement, Attendee, DelivererStamp, PuzzleBucket, PuzzleCounter,
};
use bincio_core::event::oid::new_oid;
use bincio_core::event::rules::{UseRefusal, UseRequest};
use bincio_core::store::{ArchiveStore, Delivery, StoreError};

use super::attendees::{checkin_effects, row, use_req, T};
use super::checkin::use_with_pieces;
use super::{Backend, Stores};

fn archive(s: &Stores) -> &dyn ArchiveStore {
    s.archive
        .as_deref()
        .expect("this backend's Stores carry an ArchiveStore")
}

fn with_nonce(mut r: UseRequest, nonce: &str) -> UseRequest {
    r.audit = Some(AuditDraft {
        id: new_oid(r.now),
        actor: "staff:ann".into(),
        nonce: Some(nonce.into()),
    });
    r
}

fn all_audit() -> AuditFilter {
    AuditFilter {
        limit: 1000,
        ..AuditFilter::default()
    }
}

/// Everything the event part of an archive holds, read back.
#[derive(Debug, PartialEq)]
struct EventState {
    attendees: Vec<Attendee>,
    announcements: Vec<Announcement>,
    buckets: Vec<PuzzleBucket>,
    counters: Vec<PuzzleCounter>,
    audit: Vec<AuditEntry>,
}

async fn state(s: &Stores) -> EventState {
    EventState {
        attendees: archive(s).archive_attendees().await.unwrap(),
        announcements: archive(s).archive_announcements().await.unwrap(),
        buckets: archive(s).archive_buckets().await.unwrap(),
        counters: s.puzzles.counters().await.unwrap(),
        audit: s.attendees.list_audit(all_audit()).await.unwrap(),
    }
}

/// A source with every kind of event state is read whole, restored into
/// an empty store, and reads back identical; the restored log still
/// answers a replayed nonce with its first outcome and lets an undo find
/// its use.
pub async fn archive_event_state_roundtrip(b: &dyn Backend) {
    let src = b.fresh().await;
    let st = &src.attendees;
    st.import_attendees(vec![
        row("tok-a", "Ada", "audience"),
        row("tok-b", "Bob", "audience"),
        row("tok-s", "Sam", "staff"),
    ])
    .await
    .unwrap();
    src.puzzles
        .ensure_counters(&["p1".into(), "p2".into()], T)
        .await
        .unwrap();
    // Ada: checked in by staff with a nonce (no pieces: undoable later).
    st.use_scenario(with_nonce(
        use_req("tok-a", "checkin", T + 5, checkin_effects()),
        "n-1",
    ))
    .await
    .unwrap()
    .unwrap();
    // Bob: checked in delivering a piece, then a booth piece, revoked.
    st.use_scenario(with_nonce(
        use_with_pieces("tok-b", "checkin", T + 6, &["p1"]),
        "n-2",
    ))
    .await
    .unwrap()
    .unwrap();
    let bob = st.get_attendee("tok-b").await.unwrap().unwrap();
    src.puzzles
        .deliver(Delivery {
            attendee_id: bob.id.clone(),
            public_token: public_token("tok-b"),
            piece: Some("p2".into()),
            deliverer: Some(DelivererStamp {
                deliverer: "booth-1".into(),
                timestamp: T as f64 + 7.5,
            }),
            now: T + 7,
        })
        .await
        .unwrap();
    src.puzzles
        .revoke(&public_token("tok-b"), T + 8)
        .await
        .unwrap();
    st.mark_first_use("tok-s", T + 9).await.unwrap();
    for (i, role) in [vec!["audience".to_owned()], vec![], vec!["staff".into()]]
        .into_iter()
        .enumerate()
    {
        st.add_announcement(Announcement {
            id: new_oid(T + 10 + i as i64),
            datetime: T + 10 + i as i64,
            msg_zh: None,
            msg_en: Some(format!("note {i}")),
            uri: (i == 0).then(|| "https://example.org".into()),
            role,
        })
        .await
        .unwrap();
    }
    let before = state(&src).await;
    assert_eq!(before.attendees.len(), 3);
    assert_eq!(before.announcements.len(), 3, "one of them for no role");
    assert_eq!(before.announcements[0].msg_en.as_deref(), Some("note 0"));
    assert_eq!(before.buckets.len(), 2, "Bob (pieces) and Sam (first use)");
    assert!(before
        .buckets
        .windows(2)
        .all(|w| w[0].public_token < w[1].public_token));
    assert_eq!(before.audit.len(), 2);

    let dst = b.fresh().await;
    let a = archive(&dst);
    a.restore_attendees(before.attendees.clone()).await.unwrap();
    a.restore_counters(before.counters.clone()).await.unwrap();
    a.restore_buckets(before.buckets.clone()).await.unwrap();
    let mut log = before.audit.clone();
    log.reverse(); // oldest first
    a.restore_audit(log).await.unwrap();
    for n in &before.announcements {
        dst.attendees.add_announcement(n.clone()).await.unwrap();
    }
    assert_eq!(state(&dst).await, before, "restored verbatim");
    assert_eq!(
        dst.attendees.announcements("audience").await.unwrap().len(),
        1,
        "role filters work on restored announcements"
    );

    // The restored look-ups: a replayed nonce answers its first outcome
    // and writes nothing; an undo finds the use.
    let ada = before
        .attendees
        .iter()
        .find(|a| a.token == "tok-a")
        .unwrap();
    let replay = dst
        .attendees
        .use_scenario(with_nonce(
            use_req("tok-a", "checkin", T + 20, checkin_effects()),
            "n-1",
        ))
        .await
        .unwrap();
    assert_eq!(replay, Ok(ada.clone()));
    assert_eq!(
        dst.attendees.list_audit(all_audit()).await.unwrap().len(),
        2
    );
    let undone = dst
        .attendees
        .undo_use(UndoRequest {
            token: "tok-a".into(),
            scenario_id: "checkin".into(),
            now: T + 21,
            reason: "wrong badge".into(),
            audit: AuditDraft {
                id: new_oid(T + 21),
                actor: "staff:ann".into(),
                nonce: None,
            },
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(undone.scenario("checkin").unwrap().used, None);
    let again = dst
        .attendees
        .use_scenario(use_req("tok-b", "checkin", T + 22, vec![]))
        .await
        .unwrap();
    assert_eq!(again, Err(UseRefusal::AlreadyUsed), "use state restored");
}

/// A restore never overwrites: a batch naming an existing key is refused
/// whole with `Conflict`, and nothing of it is written.
pub async fn archive_restore_refuses_existing(b: &dyn Backend) {
    let src = b.fresh().await;
    src.attendees
        .import_attendees(vec![
            row("tok-a", "Ada", "audience"),
            row("tok-b", "Bob", "audience"),
        ])
        .await
        .unwrap();
    src.puzzles
        .ensure_counters(&["p1".into()], T)
        .await
        .unwrap();
    let people = archive(&src).archive_attendees().await.unwrap();
    let counters = src.puzzles.counters().await.unwrap();

    let dst = b.fresh().await;
    let a = archive(&dst);
    a.restore_attendees(vec![people[0].clone()]).await.unwrap();
    let err = a.restore_attendees(people.clone()).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        a.archive_attendees().await.unwrap(),
        vec![people[0].clone()],
        "Bob of the refused batch is not written"
    );
    a.restore_counters(counters.clone()).await.unwrap();
    let err = a
        .restore_counters(counters[..1].to_vec())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(dst.puzzles.counters().await.unwrap(), counters);
    a.restore_attendees(Vec::new()).await.unwrap();
}
