//! Conformance cases of [`AttendeeStore`](bincio_core::store::AttendeeStore).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Backend;
use bincio_core::event::model::{Announcement, Scenario};
use bincio_core::event::oid::new_oid;
use bincio_core::event::rules::{
    ImportAttendee, ImportScenario, RelatedEffect, UseRefusal, UseRequest,
};
use bincio_core::store::ImportCounts;

pub(crate) const T: i64 = 1_900_000_000;

fn scenario(id: &str, order: i64, disabled: Option<&str>) -> Scenario {
    Scenario {
        id: id.to_owned(),
        order,
        display_text: vec![
            ("en-US".into(), id.to_uppercase()),
            ("zh-TW".into(), id.into()),
        ],
        available_time: T,
        expire_time: T + 3600,
        used: None,
        disabled: disabled.map(str::to_owned),
        countdown: 30,
        attr: vec![("size".into(), "M".into())],
    }
}

/// An attendee bound to `checkin` (unlocks `kit`, disables `lunch`) and the
/// locked `kit` and `lunch`.
pub(crate) fn row(token: &str, name: &str, role: &str) -> ImportAttendee {
    ImportAttendee {
        id: new_oid(T),
        event_id: "EV".into(),
        token: token.into(),
        user_id: name.into(),
        attr: vec![("title".into(), "crew".into())],
        role: role.into(),
        scenarios: vec![
            ImportScenario {
                scenario: scenario("checkin", 0, None),
                affected_by: vec![],
            },
            ImportScenario {
                scenario: scenario("kit", 2, Some("locked")),
                affected_by: vec!["checkin".into()],
            },
            ImportScenario {
                scenario: scenario("lunch", 1, Some("locked")),
                affected_by: vec!["checkin".into()],
            },
        ],
    }
}

pub(crate) fn use_req(token: &str, id: &str, now: i64, effects: Vec<RelatedEffect>) -> UseRequest {
    let mut m = BTreeMap::new();
    m.insert("audience".to_owned(), effects);
    UseRequest {
        token: token.into(),
        scenario_id: id.into(),
        now,
        effects: m,
        deliver: BTreeMap::new(),
        audit: None,
    }
}

pub(crate) fn checkin_effects() -> Vec<RelatedEffect> {
    vec![
        RelatedEffect {
            target: "kit".into(),
            unlock: true,
            mark_used: true,
            disable: None,
        },
        RelatedEffect {
            target: "lunch".into(),
            unlock: true,
            mark_used: false,
            disable: Some("too late".into()),
        },
        RelatedEffect {
            target: "not-bound".into(),
            unlock: true,
            mark_used: true,
            disable: None,
        },
    ]
}

/// Insert, read back by token and id, re-import keeps use state.
pub async fn attendee_import_and_reimport(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = &s.attendees;
    let first = row("tok-a", "Ada", "audience");
    let c = st
        .import_attendees(vec![first.clone(), row("tok-b", "Bob", "audience")])
        .await
        .unwrap();
    assert_eq!(
        c,
        ImportCounts {
            inserted: 2,
            updated: 0
        }
    );
    let a = st.get_attendee("tok-a").await.unwrap().unwrap();
    assert_eq!(a.id, first.id);
    assert_eq!(a.user_id, "Ada");
    assert_eq!(a.first_use, None);
    assert_eq!(a.attr, vec![("title".to_owned(), "crew".to_owned())]);
    let ids: Vec<_> = a.scenarios.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        ["checkin", "kit", "lunch"],
        "stored order is import order"
    );
    assert_eq!(a.scenarios[1], scenario("kit", 2, Some("locked")));
    assert_eq!(st.get_attendee_by_id(&a.id).await.unwrap().unwrap(), a);
    assert!(st.get_attendee("nope").await.unwrap().is_none());
    assert!(st
        .get_attendee_by_id("000000000000000000000000")
        .await
        .unwrap()
        .is_none());

    // Use checkin (unlocks kit & marks it used, disables lunch), first use.
    st.use_scenario(use_req("tok-a", "checkin", T + 5, checkin_effects()))
        .await
        .unwrap()
        .unwrap();
    st.mark_first_use("tok-a", T + 1).await.unwrap().unwrap();
    let before = st.get_attendee("tok-a").await.unwrap().unwrap();

    // Re-import with a new name and a new id: id, first_use, used and the
    // use-set disabled are kept; definitions refresh.
    let mut again = row("tok-a", "Ada L.", "audience");
    again.scenarios[0].scenario.countdown = 99;
    let c = st.import_attendees(vec![again]).await.unwrap();
    assert_eq!(
        c,
        ImportCounts {
            inserted: 0,
            updated: 1
        }
    );
    let after = st.get_attendee("tok-a").await.unwrap().unwrap();
    assert_eq!(after.id, before.id);
    assert_eq!(after.user_id, "Ada L.");
    assert_eq!(after.first_use, Some(T + 1));
    assert_eq!(after.scenarios[0].countdown, 99);
    assert_eq!(after.scenarios[0].used, Some(T + 5));
    assert_eq!(after.scenarios[1].used, Some(T + 5));
    assert_eq!(after.scenarios[1].disabled, None);
    assert_eq!(after.scenarios[2].disabled.as_deref(), Some("too late"));
    // The untouched attendee gets the import-time state again.
    let bob = st.get_attendee("tok-b").await.unwrap().unwrap();
    assert_eq!(bob.scenarios[1].disabled.as_deref(), Some("locked"));
}

/// `/use`: check order, related effects, nothing written on refusal.
pub async fn attendee_use_rules(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = &s.attendees;
    st.import_attendees(vec![row("tok", "Ada", "audience")])
        .await
        .unwrap();
    let r = |id: &str, now: i64| use_req("tok", id, now, vec![]);
    assert_eq!(
        st.use_scenario(use_req("nope", "checkin", T, vec![]))
            .await
            .unwrap(),
        Err(UseRefusal::UnknownToken)
    );
    assert_eq!(
        st.use_scenario(r("dinner", T)).await.unwrap(),
        Err(UseRefusal::UnknownScenario)
    );
    assert_eq!(
        st.use_scenario(r("checkin", T - 1)).await.unwrap(),
        Err(UseRefusal::OutsideWindow)
    );
    assert_eq!(
        st.use_scenario(r("checkin", T + 3600)).await.unwrap(),
        Err(UseRefusal::OutsideWindow),
        "expire_time is exclusive"
    );
    assert_eq!(
        st.use_scenario(r("kit", T)).await.unwrap(),
        Err(UseRefusal::Disabled)
    );
    let untouched = st.get_attendee("tok").await.unwrap().unwrap();
    assert!(untouched.scenarios.iter().all(|s| s.used.is_none()));

    let a = st
        .use_scenario(use_req("tok", "checkin", T, checkin_effects()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        a.scenario("checkin").unwrap().used,
        Some(T),
        "available_time is inclusive"
    );
    assert_eq!(a.scenario("kit").unwrap().used, Some(T));
    assert_eq!(a.scenario("kit").unwrap().disabled, None);
    assert_eq!(
        a.scenario("lunch").unwrap().disabled.as_deref(),
        Some("too late")
    );
    assert_eq!(
        st.get_attendee("tok").await.unwrap().unwrap(),
        a,
        "the result is what is stored"
    );
    assert_eq!(
        st.use_scenario(r("checkin", T + 1)).await.unwrap(),
        Err(UseRefusal::AlreadyUsed)
    );
    // Used and outside the window: the window is reported first.
    assert_eq!(
        st.use_scenario(r("checkin", T + 7200)).await.unwrap(),
        Err(UseRefusal::OutsideWindow)
    );
    // Effects of another role are not applied.
    st.import_attendees(vec![row("staff-tok", "Sam", "staff")])
        .await
        .unwrap();
    let a = st
        .use_scenario(use_req("staff-tok", "checkin", T, checkin_effects()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        a.scenario("kit").unwrap().disabled.as_deref(),
        Some("locked")
    );
}

/// 500 concurrent uses of one scenario: exactly one succeeds.
pub async fn attendee_concurrent_use_exactly_once(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = s.attendees.clone();
    st.import_attendees(vec![row("tok", "Ada", "audience")])
        .await
        .unwrap();
    let tasks: Vec<_> = (0..500)
        .map(|i| {
            let st = Arc::clone(&st);
            tokio::spawn(async move {
                st.use_scenario(use_req("tok", "checkin", T + i % 7, vec![]))
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            Ok(_) => ok += 1,
            Err(r) => assert_eq!(r, UseRefusal::AlreadyUsed),
        }
    }
    assert_eq!(ok, 1);
}

/// `first_use` is set once, also under concurrency; `0` counts as unset.
pub async fn attendee_first_use_once(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = s.attendees.clone();
    st.import_attendees(vec![row("tok", "Ada", "audience")])
        .await
        .unwrap();
    assert!(st.mark_first_use("nope", T).await.unwrap().is_none());
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let st = Arc::clone(&st);
            tokio::spawn(async move { st.mark_first_use("tok", T + i).await.unwrap().unwrap() })
        })
        .collect();
    let mut setters = 0;
    let mut seen = Vec::new();
    for t in tasks {
        let (a, set) = t.await.unwrap();
        setters += usize::from(set);
        seen.push(a.first_use.unwrap());
    }
    assert_eq!(setters, 1);
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "everyone sees the one value"
    );
}

/// Listing by role in insertion order, and dashboard figures.
pub async fn attendee_list_and_stats(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = &s.attendees;
    st.import_attendees(vec![
        row("t1", "One", "audience"),
        row("t2", "Two", "staff"),
        row("t3", "Three", "audience"),
    ])
    .await
    .unwrap();
    let names: Vec<_> = st
        .list_attendees("audience")
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    assert_eq!(names, ["One", "Three"]);
    assert!(st.list_attendees("nobody").await.unwrap().is_empty());
    st.mark_first_use("t1", T).await.unwrap();
    st.use_scenario(use_req("t1", "checkin", T, checkin_effects()))
        .await
        .unwrap()
        .unwrap();
    let ids = vec!["checkin".to_owned(), "kit".to_owned(), "ghost".to_owned()];
    let stats = st.role_stats("audience", &ids).await.unwrap();
    assert_eq!(stats.total, 2);
    assert_eq!(stats.logged, 1);
    let fig: Vec<_> = stats
        .scenarios
        .iter()
        .map(|s| (s.scenario.as_str(), s.enabled, s.used))
        .collect();
    assert_eq!(fig, [("checkin", 2, 1), ("kit", 1, 1), ("ghost", 0, 0)]);
}

/// Announcements: role filter, newest (last inserted) first, absent fields.
pub async fn attendee_announcements(b: &dyn Backend) {
    let s = b.fresh().await;
    let st = &s.attendees;
    let ann = |n: i64, msg: Option<&str>, roles: &[&str]| Announcement {
        id: new_oid(T + n),
        datetime: T - n,
        msg_zh: msg.map(str::to_owned),
        msg_en: msg.map(|m| format!("{m} en")),
        uri: None,
        role: roles.iter().map(|r| (*r).to_owned()).collect(),
    };
    let a1 = ann(1, Some("first"), &["audience", "staff"]);
    let a2 = ann(2, None, &["staff"]);
    let a3 = ann(3, Some("third"), &["audience"]);
    let a4 = ann(4, Some("nobody"), &[]);
    for a in [&a1, &a2, &a3, &a4] {
        st.add_announcement(a.clone()).await.unwrap();
    }
    assert_eq!(
        st.announcements("audience").await.unwrap(),
        vec![a3, a1.clone()]
    );
    assert_eq!(st.announcements("staff").await.unwrap(), vec![a2, a1]);
    assert!(st.announcements("ghost").await.unwrap().is_empty());
}
