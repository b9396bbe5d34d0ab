//! Conformance cases of the event audit log, idempotent scans and undo
//! (`bincio_core::event::audit`), on every backend: each use and undo is
//! logged with who / when / result in the same step as its change; a
//! nonce answers its first outcome again without a second effect, also
//! under concurrency; an undo restores exactly what the use changed, or is
//! refused with the reason (and logged). Booth deliveries (a refused one
//! included), revokes, coupons, imports and announcements are logged too,
//! through the service, each in its change's step; an import refused
//! whole leaves neither attendees nor an entry.

use std::sync::Arc;

use bincio_core::event::audit::{
    AuditDraft, AuditEntry, AuditFilter, AuditKind, UndoRefusal, UndoRequest,
};
use bincio_core::event::config::{PuzzleConfig, RoleConfig, ScenarioDef};
use bincio_core::event::oid::new_oid;
use bincio_core::event::rules::{UseRefusal, UseRequest};
use bincio_core::event::service::msg;
use bincio_core::event::{EventConfig, EventService, NewAnnouncement};
use bincio_core::{Clock, CoreError, ManualClock};
use serde_json::json;

use super::attendees::{checkin_effects, row, use_req, T};
use super::checkin::use_with_pieces;
use super::{Backend, Stores};

fn draft(actor: &str, nonce: Option<&str>) -> Option<AuditDraft> {
    Some(AuditDraft {
        id: new_oid(T),
        actor: actor.into(),
        nonce: nonce.map(str::to_owned),
    })
}

fn staff(mut r: UseRequest, actor: &str, nonce: Option<&str>) -> UseRequest {
    r.audit = draft(actor, nonce);
    r
}

fn undo(token: &str, scenario: &str, now: i64) -> UndoRequest {
    UndoRequest {
        token: token.into(),
        scenario_id: scenario.into(),
        now,
        reason: "scanned the wrong badge".into(),
        audit: draft("staff:ann", None).unwrap(),
    }
}

fn all() -> AuditFilter {
    AuditFilter {
        limit: 1000,
        ..AuditFilter::default()
    }
}

/// Uses, refusals and undos are logged; an undo reverses the use and its
/// related effects exactly; the scenario can be used again; an undo that
/// cannot be exact is refused with its reason, logged, and changes nothing.
pub async fn audit_use_and_undo(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = &s.attendees;
    st.import_attendees(vec![
        row("tok-a", "Ada", "audience"),
        row("tok-b", "Bob", "audience"),
    ])
    .await
    .unwrap();
    let fresh = st.get_attendee("tok-a").await.unwrap().unwrap();
    let used = st
        .use_scenario(staff(
            use_req("tok-a", "checkin", T + 5, checkin_effects()),
            "staff:ann",
            None,
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used.scenario("kit").unwrap().used, Some(T + 5));
    let refused = st
        .use_scenario(staff(
            use_req("tok-a", "checkin", T + 6, checkin_effects()),
            "staff:bo",
            None,
        ))
        .await
        .unwrap();
    assert_eq!(refused, Err(UseRefusal::AlreadyUsed));
    let unknown = st
        .use_scenario(staff(
            use_req("nope", "checkin", T + 7, vec![]),
            "attendee",
            None,
        ))
        .await
        .unwrap();
    assert_eq!(unknown, Err(UseRefusal::UnknownToken));
    let log = st.list_audit(all()).await.unwrap();
    let view: Vec<_> = log
        .iter()
        .map(|e| {
            (
                e.kind,
                e.actor.as_str(),
                e.ok,
                e.result.as_str(),
                e.attendee_id.clone(),
                e.at,
            )
        })
        .collect();
    assert_eq!(
        view,
        vec![
            (
                AuditKind::Use,
                "attendee",
                false,
                "invalid token",
                None,
                T + 7
            ),
            (
                AuditKind::Use,
                "staff:bo",
                false,
                "has been used",
                Some(fresh.id.clone()),
                T + 6
            ),
            (
                AuditKind::Use,
                "staff:ann",
                true,
                "ok",
                Some(fresh.id.clone()),
                T + 5
            ),
        ],
        "newest first, refusals included"
    );
    assert_eq!(log[2].scenario.as_deref(), Some("checkin"));
    assert_eq!(log[2].role.as_deref(), Some("audience"));

    // Undo: back to exactly the imported state, logged, the use marked.
    let back = st
        .undo_use(undo("tok-a", "checkin", T + 10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        back.scenarios, fresh.scenarios,
        "related effects reverted too"
    );
    assert_eq!(
        st.get_attendee("tok-a").await.unwrap().unwrap().scenarios,
        fresh.scenarios
    );
    let log = st
        .list_audit(AuditFilter {
            attendee_id: Some(fresh.id.clone()),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(log[0].kind, AuditKind::Undo);
    assert!(log[0].ok);
    assert_eq!(log[0].reason.as_deref(), Some("scanned the wrong badge"));
    let the_use = log
        .iter()
        .find(|e| e.kind == AuditKind::Use && e.ok)
        .unwrap();
    assert_eq!(the_use.undone_by.as_deref(), Some(log[0].id.as_str()));

    // Use again, then undo again.
    st.use_scenario(staff(
        use_req("tok-a", "checkin", T + 20, checkin_effects()),
        "staff:ann",
        None,
    ))
    .await
    .unwrap()
    .unwrap();
    st.undo_use(undo("tok-a", "checkin", T + 21))
        .await
        .unwrap()
        .unwrap();

    // Refusals: not used; unknown token / scenario; changed since; pieces.
    let r = st.undo_use(undo("tok-a", "checkin", T + 22)).await.unwrap();
    assert_eq!(r, Err(UndoRefusal::NotUsed));
    assert_eq!(
        st.undo_use(undo("nope", "checkin", T + 22)).await.unwrap(),
        Err(UndoRefusal::UnknownToken)
    );
    assert_eq!(
        st.undo_use(undo("tok-a", "nope", T + 22)).await.unwrap(),
        Err(UndoRefusal::UnknownScenario)
    );
    // The check-in unlocks `kit`; then `kit` is used: the check-in cannot
    // be undone exactly any more.
    let unlock_kit = vec![bincio_core::event::rules::RelatedEffect {
        target: "kit".into(),
        unlock: true,
        mark_used: false,
        disable: None,
    }];
    st.use_scenario(staff(
        use_req("tok-b", "checkin", T + 30, unlock_kit),
        "staff:ann",
        None,
    ))
    .await
    .unwrap()
    .unwrap();
    st.use_scenario(staff(
        use_req("tok-b", "kit", T + 31, vec![]),
        "staff:ann",
        None,
    ))
    .await
    .unwrap()
    .unwrap();
    let before = st.get_attendee("tok-b").await.unwrap().unwrap();
    let r = st.undo_use(undo("tok-b", "checkin", T + 32)).await.unwrap();
    assert_eq!(
        r,
        Err(UndoRefusal::ChangedSince("kit".into())),
        "{before:?}"
    );
    assert_eq!(
        st.get_attendee("tok-b").await.unwrap().unwrap(),
        before,
        "nothing changed"
    );
    let undos = st
        .list_audit(AuditFilter {
            kind: Some(AuditKind::Undo),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(
        undos.iter().filter(|e| !e.ok).count(),
        4,
        "refused undos are logged"
    );
    assert!(
        undos[0].result.contains("kit changed after the use"),
        "{}",
        undos[0].result
    );
    // Pieces delivered: refused.
    st.import_attendees(vec![row("tok-c", "Cy", "audience")])
        .await
        .unwrap();
    st.use_scenario(staff(
        use_with_pieces("tok-c", "checkin", T + 40, &["p1"]),
        "staff:ann",
        None,
    ))
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        st.undo_use(undo("tok-c", "checkin", T + 41)).await.unwrap(),
        Err(UndoRefusal::PiecesDelivered)
    );
    // Filters: actor, time window, paging.
    let by_bo = st
        .list_audit(AuditFilter {
            actor: Some("staff:bo".into()),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(by_bo.len(), 1);
    let window = st
        .list_audit(AuditFilter {
            since: Some(T + 20),
            until: Some(T + 22),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(
        window.iter().map(|e| e.at).collect::<Vec<_>>(),
        vec![T + 21, T + 20]
    );
    let everything = st.list_audit(all()).await.unwrap();
    let page1 = st
        .list_audit(AuditFilter { limit: 3, ..all() })
        .await
        .unwrap();
    let page2 = st
        .list_audit(AuditFilter {
            limit: 3,
            before: Some(page1[2].id.clone()),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(page1[..], everything[..3]);
    assert_eq!(page2[..], everything[3..6]);
}

/// A nonce answers its first outcome again, writing nothing; one nonce for
/// another scan is refused.
pub async fn audit_nonce_replays(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = &s.attendees;
    st.import_attendees(vec![row("tok-a", "Ada", "audience")])
        .await
        .unwrap();
    let first = st
        .use_scenario(staff(
            use_req("tok-a", "checkin", T + 5, checkin_effects()),
            "staff:ann",
            Some("n-1"),
        ))
        .await
        .unwrap()
        .unwrap();
    let again = st
        .use_scenario(staff(
            use_req("tok-a", "checkin", T + 9, checkin_effects()),
            "staff:ann",
            Some("n-1"),
        ))
        .await
        .unwrap();
    assert_eq!(
        again,
        Ok(first.clone()),
        "the first answer, not `has been used`"
    );
    let refused = st
        .use_scenario(staff(
            use_req("tok-a", "checkin", T + 9, vec![]),
            "staff:ann",
            Some("n-2"),
        ))
        .await
        .unwrap();
    assert_eq!(refused, Err(UseRefusal::AlreadyUsed));
    let replay = st
        .use_scenario(staff(
            use_req("tok-a", "checkin", T + 12, vec![]),
            "staff:ann",
            Some("n-2"),
        ))
        .await
        .unwrap();
    assert_eq!(
        replay,
        Err(UseRefusal::AlreadyUsed),
        "a refusal replays as itself"
    );
    let other = st
        .use_scenario(staff(
            use_req("tok-a", "lunch", T + 12, vec![]),
            "staff:ann",
            Some("n-1"),
        ))
        .await
        .unwrap();
    assert_eq!(other, Err(UseRefusal::NonceReused));
    let log = st.list_audit(all()).await.unwrap();
    assert_eq!(log.len(), 2, "replays write nothing: {log:?}");
    assert_eq!(log[1].nonce.as_deref(), Some("n-1"));
}

/// 300 staff scans of one attendee with 300 nonces at once: one success,
/// 299 logged refusals. The same nonce 50 times at once: one effect, 50
/// identical answers, one log entry.
pub async fn audit_concurrent_scans(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = s.attendees.clone();
    st.import_attendees(vec![
        row("tok-a", "Ada", "audience"),
        row("tok-b", "Bob", "audience"),
    ])
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..300 {
        let st = st.clone();
        tasks.push(tokio::spawn(async move {
            let nonce = format!("scan-{i}");
            st.use_scenario(staff(
                use_req("tok-a", "checkin", T + 5, checkin_effects()),
                "staff:ann",
                Some(&nonce),
            ))
            .await
            .unwrap()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(r) => assert_eq!(r, UseRefusal::AlreadyUsed),
        }
    }
    assert_eq!(ok, 1);
    let a = st.get_attendee("tok-a").await.unwrap().unwrap();
    let log = st
        .list_audit(AuditFilter {
            attendee_id: Some(a.id.clone()),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 300);
    assert_eq!(log.iter().filter(|e| e.ok).count(), 1);
    assert_eq!(
        log.iter().filter(|e| e.result == "has been used").count(),
        299
    );

    let answers = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (st, answers) = (st.clone(), answers.clone());
        tasks.push(tokio::spawn(async move {
            let r = st
                .use_scenario(staff(
                    use_with_pieces("tok-b", "checkin", T + 6, &["p1"]),
                    "staff:bo",
                    Some("same"),
                ))
                .await
                .unwrap();
            answers.lock().await.push(r);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let answers = answers.lock().await;
    assert_eq!(answers.len(), 50);
    assert!(
        answers.iter().all(|r| r == &answers[0]),
        "identical answers"
    );
    assert!(answers[0].is_ok());
    let b_att = st.get_attendee("tok-b").await.unwrap().unwrap();
    let log = st
        .list_audit(AuditFilter {
            attendee_id: Some(b_att.id.clone()),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "one entry for one nonce");
    let bucket = s
        .puzzles
        .bucket(&b_att.public_token())
        .await
        .unwrap()
        .expect("bucket");
    assert_eq!(bucket.puzzle.len(), 1, "one delivery: {bucket:?}");
}

/// An event over `s`: role `audience` with one scenario, one puzzle piece
/// `p1`, deliverers `Booth` (token `booth-tok`) and `Stall`; the clock at
/// `T`.
/// A service over `s` for a one-role event (`audience`, one `checkin`).
pub(crate) fn event(s: &Stores) -> (EventService, Arc<ManualClock>) {
    let checkin = ScenarioDef {
        id: "checkin".into(),
        order: 0,
        display_text: vec![("en-US".into(), "Check-in".into())],
        available_time: 0,
        expire_time: i64::from(i32::MAX),
        countdown: 0,
        lock_message: None,
        attr: vec![],
        not_lock_rule: None,
        show_rule: None,
        related_scenario: vec![],
        deliver_puzzle: 0,
    };
    let config = EventConfig {
        event_id: "conformance".into(),
        announcement_default_role: "audience".into(),
        staff_key: None,
        roles: vec![RoleConfig {
            name: "audience".into(),
            scenarios: vec![checkin],
        }],
        puzzle: Some(PuzzleConfig {
            pieces: vec![("p1".into(), 1.0)],
        }),
        delivery_permission: Some(vec![
            ("booth-tok".into(), "Booth".into()),
            ("stall-tok".into(), "Stall".into()),
        ]),
    };
    let clock = Arc::new(ManualClock::at(T));
    let svc = EventService::new(
        config,
        s.attendees.clone(),
        s.puzzles.clone(),
        clock.clone() as Arc<dyn Clock>,
    );
    (svc, clock)
}

type Row = (AuditKind, String, bool, String, Option<String>, i64);

fn rows(log: &[AuditEntry]) -> Vec<Row> {
    log.iter()
        .map(|e| {
            (
                e.kind,
                e.actor.clone(),
                e.ok,
                e.result.clone(),
                e.attendee_id.clone(),
                e.at,
            )
        })
        .collect()
}

fn r(kind: AuditKind, actor: &str, ok: bool, result: &str, who: Option<&str>, at: i64) -> Row {
    (
        kind,
        actor.into(),
        ok,
        result.into(),
        who.map(str::to_owned),
        at,
    )
}

fn refused(e: CoreError) -> String {
    match e {
        CoreError::Invalid(m) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Booth deliveries are logged as `deliverer:<name>` with the piece, a
/// second one by the same booth as refused (the bucket unchanged); revokes
/// and coupons with their actor, the ones that change nothing as not done;
/// requests refused before the store (unknown receiver) are not logged.
pub async fn audit_puzzle_actions(b: &dyn Backend) {
    let s = b.fresh().await;
    let (svc, clock) = event(&s);
    svc.import_csv("audience", b"token,display_name\ntok-a,Ada\ntok-b,Bob\n")
        .await
        .unwrap();
    let ada = svc.show("tok-a").await.unwrap();
    let bob = svc.show("tok-b").await.unwrap();
    clock.set(T + 1);
    let got = svc.deliver(Some("booth-tok"), Some("tok-a")).await.unwrap();
    assert_eq!(got, "Ada");
    clock.set(T + 2);
    let e = svc.deliver(Some("booth-tok"), Some("tok-a")).await;
    assert_eq!(refused(e.unwrap_err()), msg::ALREADY_TAKEN);
    let e = svc.deliver(Some("booth-tok"), Some("nope")).await;
    assert_eq!(refused(e.unwrap_err()), msg::INVALID_RECEIVER);
    let bucket = s
        .puzzles
        .bucket(&ada.public_token())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (bucket.puzzle.len(), bucket.deliverer.len()),
        (1, 1),
        "the refusal changed nothing: {bucket:?}"
    );
    clock.set(T + 3);
    svc.coupon_as(Some("tok-a"), "staff:ann").await.unwrap();
    clock.set(T + 4);
    svc.revoke_as(Some("tok-a"), "staff:ann").await.unwrap();
    clock.set(T + 5);
    svc.revoke(Some("tok-a")).await.unwrap();
    clock.set(T + 6);
    let e = svc.revoke_as(Some("tok-b"), "staff:bo").await;
    assert_eq!(refused(e.unwrap_err()), msg::INVALID_TOKEN);
    clock.set(T + 7);
    let e = svc.coupon_as(Some("tok-b"), "staff:bo").await;
    assert_eq!(refused(e.unwrap_err()), msg::INVALID_TOKEN);

    let log = s.attendees.list_audit(all()).await.unwrap();
    let (a, b_) = (Some(ada.id.as_str()), Some(bob.id.as_str()));
    use AuditKind::{Coupon, Deliver, Revoke};
    assert_eq!(
        rows(&log),
        vec![
            r(Coupon, "staff:bo", false, msg::NO_BUCKET, b_, T + 7),
            r(Revoke, "staff:bo", false, msg::NO_BUCKET, b_, T + 6),
            r(
                Revoke,
                "staff-query",
                false,
                "already revoked: nothing changed",
                a,
                T + 5
            ),
            r(Revoke, "staff:ann", true, "ok", a, T + 4),
            r(Coupon, "staff:ann", true, "ok", a, T + 3),
            r(
                Deliver,
                "deliverer:Booth",
                false,
                msg::ALREADY_TAKEN,
                a,
                T + 2
            ),
            r(Deliver, "deliverer:Booth", true, "ok", a, T + 1),
        ],
        "newest first, refusals the store decided included"
    );
    assert_eq!(log[6].detail, json!({"piece": "p1"}));
    assert_eq!(log[6].role.as_deref(), Some("audience"));
    assert_eq!(log[5].detail, json!({"piece": null}));
    assert_eq!(log[3].detail, json!({"pieces": 1}));
    let delivered = s
        .attendees
        .list_audit(AuditFilter {
            kind: Some(Deliver),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(delivered[..], log[5..]);
    let by_ann = s
        .attendees
        .list_audit(AuditFilter {
            actor: Some("staff:ann".into()),
            kind: Some(Revoke),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(by_ann.len(), 1);

    // A logged use whose role delivers an empty list (no pieces
    // configured) still creates the bucket, as an unlogged one does.
    s.attendees
        .import_attendees(vec![row("tok-e", "Eve", "audience")])
        .await
        .unwrap();
    let eve = s
        .attendees
        .use_scenario(staff(
            use_with_pieces("tok-e", "checkin", T + 8, &[]),
            "staff:ann",
            None,
        ))
        .await
        .unwrap()
        .unwrap();
    let bucket = s.puzzles.bucket(&eve.public_token()).await.unwrap();
    assert!(bucket.is_some_and(|b| b.puzzle.is_empty()));
}

/// An import is logged with its counts exactly when it committed (a file
/// refused whole leaves neither attendees nor an entry); the unlogged
/// `import_csv` writes none; an announcement is logged with its id and
/// roles, one refused by its bounds is not.
pub async fn audit_import_and_announcement(b: &dyn Backend) {
    let s = b.fresh().await;
    let (svc, clock) = event(&s);
    clock.set(T + 1);
    let c = svc
        .import_csv_as(
            "audience",
            b"token,display_name\ntok-a,Ada\ntok-b,Bob\n",
            "staff:ann",
        )
        .await
        .unwrap();
    assert_eq!((c.inserted, c.updated), (2, 0));
    clock.set(T + 2);
    let dup = b"token,display_name\ntok-c,Cy\ntok-c,Cy again\n";
    let e = svc.import_csv_as("audience", dup, "staff:ann").await;
    assert!(refused(e.unwrap_err()).contains("duplicate token"));
    assert!(s.attendees.get_attendee("tok-c").await.unwrap().is_none());
    clock.set(T + 3);
    let c = svc
        .import_csv_as(
            "audience",
            b"token,display_name\ntok-a,Ada L.\ntok-c,Cy\n",
            "cli",
        )
        .await
        .unwrap();
    assert_eq!((c.inserted, c.updated), (1, 1));
    svc.import_csv("audience", b"token,display_name\ntok-d,Dee\n")
        .await
        .unwrap();
    clock.set(T + 4);
    let ann = svc
        .announce_as(
            NewAnnouncement {
                msg_en: Some("Lunch at noon".into()),
                role: vec!["audience".into()],
                ..NewAnnouncement::default()
            },
            "staff:ann",
        )
        .await
        .unwrap();
    let empty = NewAnnouncement {
        role: vec!["audience".into()],
        ..NewAnnouncement::default()
    };
    svc.announce_as(empty, "staff:ann").await.unwrap_err();

    let log = s.attendees.list_audit(all()).await.unwrap();
    use AuditKind::{Announcement, Import};
    assert_eq!(
        rows(&log),
        vec![
            r(Announcement, "staff:ann", true, "ok", None, T + 4),
            r(Import, "cli", true, "ok", None, T + 3),
            r(Import, "staff:ann", true, "ok", None, T + 1),
        ],
        "committed imports and the stored announcement only"
    );
    assert_eq!(log[0].detail, json!({"id": ann.id, "role": ["audience"]}));
    assert_eq!(
        log[1].detail,
        json!({"role": "audience", "inserted": 1, "updated": 1})
    );
    assert_eq!(log[2].role.as_deref(), Some("audience"));
    assert_eq!(
        log[2].detail,
        json!({"role": "audience", "inserted": 2, "updated": 0})
    );
    assert_eq!(
        s.attendees.announcements("audience").await.unwrap(),
        vec![ann]
    );
    for (kind, n) in [(Import, 2), (Announcement, 1), (AuditKind::Use, 0)] {
        let got = s
            .attendees
            .list_audit(AuditFilter {
                kind: Some(kind),
                ..all()
            })
            .await
            .unwrap();
        assert_eq!(got.len(), n, "{kind:?}");
        assert!(got.iter().all(|e| e.kind == kind));
    }
}

/// The desk's search gives the same attendees, in the same order, as the
/// rule (`bincio_core::event::desk::matches`) over every attendee: name,
/// attribute values, token prefixes from 4 characters, roles in the order
/// given, paging.
pub async fn desk_search_follows_the_rule(b: &dyn Backend) {
    use bincio_core::event::desk::{matches, normalise_query};
    let s = b.fresh().await;
    let st = &s.attendees;
    let mut rows = vec![
        row("tok-ada-1", "Ada Lovelace", "audience"),
        row("tok-bob-2", "Bob", "audience"),
        row("TOK-cy-3", "Cyrus Été", "staff"),
        row("x-dora", "Dora", "audience"),
    ];
    rows[1].attr = vec![("title".into(), "Keynote Speaker".into())];
    rows[2].scenarios[0].scenario.attr = vec![("size".into(), "XL".into())];
    st.import_attendees(rows).await.unwrap();
    // Re-import one with a new name: the search sees the new one.
    st.import_attendees(vec![row("x-dora", "Dorothy", "audience")])
        .await
        .unwrap();
    let roles = vec!["staff".to_owned(), "audience".to_owned()];
    let mut every = Vec::new();
    for r in &roles {
        every.extend(st.list_attendees(r).await.unwrap());
    }
    for q in [
        "", "ada", "LOVE", "speaker", "xl", "crew", "tok-", "tok", "tok-b", "dora", "dorothy",
        "été", "nobody", "m",
    ] {
        let q = normalise_query(q);
        let want: Vec<String> = every
            .iter()
            .filter(|a| matches(a, &q))
            .map(|a| a.token.clone())
            .collect();
        let (got, total) = st.search_attendees(&roles, &q, 0, 100).await.unwrap();
        let got: Vec<String> = got.into_iter().map(|a| a.token).collect();
        assert_eq!(got, want, "query {q:?}");
        assert_eq!(total, want.len(), "query {q:?}");
        // Paging: one at a time gives the same list.
        let mut paged = Vec::new();
        for skip in 0..want.len() {
            let (one, t) = st.search_attendees(&roles, &q, skip, 1).await.unwrap();
            assert_eq!(t, want.len());
            paged.extend(one.into_iter().map(|a| a.token));
        }
        assert_eq!(paged, want, "paged {q:?}");
    }
    let (only, n) = st
        .search_attendees(&["staff".to_owned()], "", 0, 10)
        .await
        .unwrap();
    assert_eq!((only.len(), n), (1, 1));
    assert_eq!(
        st.search_attendees(&roles, "tok-", 0, 10).await.unwrap().1,
        3,
        "a 4-character token prefix"
    );
    assert_eq!(
        st.search_attendees(&roles, "tok", 0, 10).await.unwrap().1,
        0,
        "3 characters never enumerate tokens"
    );
}
