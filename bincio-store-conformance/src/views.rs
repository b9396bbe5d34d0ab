//! The read models of the web pages, through the `Activities` service over
//! each backend: feed filters and facets, member stats, the community
//! leaderboard and season power curves — and their privacy, for the owner,
//! another member, an anonymous visitor of a public instance and one of a
//! private instance.
//!
//! One small fixture (two members, a dozen activities) serves every case
//! (the test MongoDB is slow).

use std::sync::Arc;

use serde_json::{json, Value};

use super::activities::{tracks, with_users};
use super::{Backend, Stores};
use bincio_core::accounts::settings::PRIVATE;
use bincio_core::activities::{Activities, FeedFilter, FeedPage, Period};
use bincio_core::model::{
    ActivityEdits, ActivityRecord, AthleteConfig, AthletePatch, FeedCursor, Privacy, Season, User,
};
use bincio_core::{CoreError, ManualClock};

/// Unix seconds of 2026-`m`-`d` `h`:00 UTC.
fn t(m: u32, d: u32, h: i64) -> i64 {
    const JAN1: i64 = 1_767_225_600;
    const CUM: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    JAN1 + (CUM[m as usize - 1] + i64::from(d) - 1) * 86_400 + h * 3600
}

/// Wednesday 2026-05-06 12:00 UTC: the week began on Monday May 4th.
const NOW_M: u32 = 5;

struct Act {
    handle: &'static str,
    id: &'static str,
    at: i64,
    iso: &'static str,
    privacy: Privacy,
    sport: &'static str,
    num: [f64; 3], // distance_m, moving_time_s, elevation_gain_m (< 0: absent)
    mmp: Value,
}

/// The fixture's activities, as a table.
#[rustfmt::skip]
fn acts() -> Vec<Act> {
    let a = |handle, id, at, iso, privacy, sport, num, mmp| Act {
        handle, id, at, iso, privacy, sport, num, mmp,
    };
    use Privacy::*;
    vec![
        a("alice", "a1", t(5, 4, 5), "2026-05-04T07:00:00+02:00", Public, "cycling",
          [40000.0, 3600.0, 500.0], json!([[5, 900], [60, 400]])),
        // May 4th 01:30 UTC, written as May 3rd local.
        a("alice", "a2", t(5, 4, 1) + 1800, "2026-05-03T23:30:00-02:00", Public, "running",
          [10000.0, 3000.0, 50.0], Value::Null),
        a("alice", "a3", t(5, 2, 8), "2026-05-02T10:00:00+02:00", Unlisted, "swimming",
          [2000.0, 2400.0, -1.0], json!([[5, 1500]])),
        // Made private by an edit.
        a("alice", "a4", t(4, 20, 8), "2026-04-20T10:00:00+02:00", Public, "cycling",
          [77000.0, 7000.0, 900.0], json!([[60, 700]])),
        // Elevation and power hidden by an edit.
        a("alice", "a5", t(5, 4, 16), "2026-05-04T18:00:00+02:00", Public, "cycling",
          [20000.0, 1800.0, 300.0], json!([[5, 1200]])),
        // A duplicate of a1: counted nowhere, listed in feeds.
        a("alice", "a6", t(5, 4, 5) + 60, "2026-05-04T07:01:00+02:00", Public, "cycling",
          [40000.0, 3600.0, 500.0], json!([[5, 2000]])),
        a("alice", "a7", 1_740_816_000, "2025-03-01T09:00:00+01:00", Public, "hiking",
          [15000.0, 18000.0, 800.0], Value::Null),
        // Extracted as cycling, edited to walking.
        a("alice", "a8", t(4, 10, 8), "2026-04-10T10:00:00+02:00", Public, "cycling",
          [5000.0, 3600.0, 20.0], Value::Null),
        a("alice", "a9", t(5, 5, 6), "2026-05-05T08:00:00+02:00", Public, "cycling",
          [30000.0, 3000.0, 200.0], json!([[5, 3000]])),
        a("bob", "b1", t(5, 5, 7), "2026-05-05T09:00:00+02:00", Public, "running",
          [5000.0, 1500.0, 10.0], Value::Null),
        // Unlisted: ranked nowhere, not even for bob.
        a("bob", "b2", t(5, 5, 9), "2026-05-05T11:00:00+02:00", Unlisted, "cycling",
          [200000.0, 25000.0, 3000.0], json!([[5, 5000]])),
        a("bob", "b3", t(4, 1, 10), "2026-04-01T12:00:00+02:00", NoGps, "cycling",
          [50000.0, 6000.0, 400.0], Value::Null),
    ]
}

struct Fixture {
    _stores: Stores,
    svc: Activities,
    users: Arc<dyn bincio_core::store::UserStore>,
    alice: User,
    bob: User,
}

impl Fixture {
    async fn set_private(&self, private: bool) {
        self.users
            .set_setting(PRIVATE, if private { "true" } else { "false" })
            .await
            .unwrap();
    }
}

async fn fixture(b: &dyn Backend) -> Fixture {
    let s = with_users(b, &["alice", "bob"]).await;
    for x in acts() {
        let mut summary = json!({
            "id": x.id, "title": format!("Title {}", x.id), "sport": x.sport,
            "started_at": x.iso, "distance_m": x.num[0], "moving_time_s": x.num[1],
            "mmp": x.mmp, "privacy": x.privacy.as_str(),
        });
        if x.num[2] >= 0.0 {
            summary["elevation_gain_m"] = json!(x.num[2]);
        }
        let rec = ActivityRecord {
            handle: x.handle.into(),
            id: x.id.into(),
            started_at: x.at,
            source_hash: format!("sha256:{}", x.id),
            privacy: x.privacy,
            distance_m: Some(x.num[0]),
            source: Some("gpx_file".into()),
            detail: json!({"id": x.id, "big": "detail"}),
            summary,
            edits: ActivityEdits::default(),
            duplicate_of: (x.id == "a6").then(|| "a1".to_owned()),
            created_at: 1,
        };
        s.activities.insert_activity(rec, tracks()).await.unwrap();
    }
    let edit = |id: &'static str, e: ActivityEdits| {
        let a = s.activities.clone();
        async move { a.patch_edits("alice", id, e).await.unwrap().unwrap() }
    };
    edit(
        "a4",
        ActivityEdits {
            privacy: Some(Privacy::Private),
            ..Default::default()
        },
    )
    .await;
    edit(
        "a5",
        ActivityEdits {
            hide_stats: Some(vec!["elevation".into(), "power".into()]),
            ..Default::default()
        },
    )
    .await;
    edit(
        "a8",
        ActivityEdits {
            sport: Some("walking".into()),
            ..Default::default()
        },
    )
    .await;
    let seasons = vec![
        ("Spring 2026", "2026-03-01", "2026-05-04"),
        ("May 5th", "2026-05-05", "2026-05-05"),
        ("2025", "2025-01-01", "2025-12-31"),
    ]
    .into_iter()
    .map(|(n, a, b)| Season {
        name: n.into(),
        start: a.into(),
        end: b.into(),
    })
    .collect();
    s.users
        .patch_athlete(
            "alice",
            &AthletePatch {
                set: AthleteConfig {
                    seasons: Some(seasons),
                    ..Default::default()
                },
                clear: Vec::new(),
            },
        )
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::at(t(NOW_M, 6, 12)));
    let svc = Activities::new(s.activities.clone(), s.users.clone(), clock);
    let alice = s.users.get_user("alice").await.unwrap().unwrap();
    let bob = s.users.get_user("bob").await.unwrap().unwrap();
    let f = Fixture {
        users: s.users.clone(),
        _stores: s,
        svc,
        alice,
        bob,
    };
    f.set_private(false).await;
    f
}

fn page_ids(p: &FeedPage) -> Vec<String> {
    p.activities
        .iter()
        .map(|d| d.0["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn sport(s: &str) -> FeedFilter {
    FeedFilter {
        sport: Some(s.into()),
        year: None,
    }
}

fn unauthorized<T: std::fmt::Debug>(r: Result<T, CoreError>) {
    assert!(matches!(r, Err(CoreError::Unauthorized(_))), "{r:?}");
}

fn not_found<T: std::fmt::Debug>(r: Result<T, CoreError>) {
    assert!(
        matches!(&r, Err(CoreError::NotFound(m)) if m == "User not found"),
        "{r:?}"
    );
}

/// Feed filters (effective sport, UTC year, paging that never skips) and
/// the filter menus, for each kind of viewer.
pub async fn views_feed_filters_and_facets(b: &dyn Backend) {
    let f = fixture(b).await;
    let svc = &f.svc;
    let (alice, bob) = (Some(&f.alice), Some(&f.bob));
    let ids = |v: Option<&User>, h: Option<&str>, fl: FeedFilter| {
        let svc = svc.clone();
        let v = v.cloned();
        let h = h.map(str::to_owned);
        async move {
            page_ids(
                &svc.feed_filtered(v.as_ref(), h.as_deref(), &fl, None, 50)
                    .await
                    .unwrap(),
            )
        }
    };
    // Effective sport; the owner sees the private and unlisted ones.
    assert_eq!(
        ids(alice, Some("alice"), sport("cycling")).await,
        ["a9", "a5", "a6", "a1", "a4"]
    );
    for v in [bob, None] {
        assert_eq!(
            ids(v, Some("alice"), sport("cycling")).await,
            ["a9", "a5", "a6", "a1"],
            "{v:?}"
        );
        assert_eq!(ids(v, Some("alice"), sport("walking")).await, ["a8"]);
        assert!(ids(v, Some("alice"), sport("swimming")).await.is_empty());
        assert_eq!(
            ids(
                v,
                Some("alice"),
                FeedFilter {
                    sport: None,
                    year: Some(2025)
                }
            )
            .await,
            ["a7"]
        );
        assert_eq!(
            ids(
                v,
                Some("alice"),
                FeedFilter {
                    sport: Some("running".into()),
                    year: Some(2026)
                }
            )
            .await,
            ["a2"]
        );
        // The combined feed: listed ones of everyone, for everyone.
        assert_eq!(
            ids(v, None, sport("cycling")).await,
            ["a9", "a5", "a6", "a1", "b3"]
        );
    }
    assert_eq!(ids(alice, Some("alice"), sport("swimming")).await, ["a3"]);
    assert_eq!(
        ids(alice, None, sport("cycling")).await,
        ["a9", "a5", "a6", "a1", "b3"],
        "no unlisted activity in the combined feed, not even one's own"
    );
    // Paging a sport filter by cursor: every match once, in order.
    let mut seen = Vec::new();
    let mut cursor: Option<FeedCursor> = None;
    for _ in 0..10 {
        let p = svc
            .feed_filtered(alice, Some("alice"), &sport("cycling"), cursor, 2)
            .await
            .unwrap();
        seen.extend(page_ids(&p));
        match p.next {
            Some(n) => cursor = Some(bincio_core::activities::parse_cursor(&n).unwrap()),
            None => break,
        }
    }
    assert_eq!(seen, ["a9", "a5", "a6", "a1", "a4"]);
    // The plain feed is unchanged: everything the viewer may see.
    assert_eq!(
        page_ids(&svc.feed(None, Some("alice"), None, 50).await.unwrap()),
        ["a9", "a5", "a6", "a1", "a2", "a8", "a7"]
    );

    // Errors.
    let bad = svc
        .feed_filtered(None, Some("alice"), &sport("yoga"), None, 10)
        .await;
    assert!(matches!(bad, Err(CoreError::Invalid(_))), "{bad:?}");
    for h in ["nobody", "Not A Handle"] {
        not_found(
            svc.feed_filtered(None, Some(h), &FeedFilter::default(), None, 10)
                .await,
        );
        not_found(svc.feed_facets(None, Some(h)).await);
    }

    // Menus.
    let facets = svc.feed_facets(None, Some("alice")).await.unwrap();
    assert_eq!(facets.years, [2026, 2025]);
    assert_eq!(facets.sports, ["cycling", "running", "hiking", "walking"]);
    assert_eq!(svc.feed_facets(bob, Some("alice")).await.unwrap(), facets);
    let own = svc.feed_facets(alice, Some("alice")).await.unwrap();
    assert_eq!(
        own.sports,
        ["cycling", "running", "hiking", "walking", "swimming"],
        "the owner's unlisted swim"
    );
    let all = svc.feed_facets(alice, None).await.unwrap();
    assert_eq!(all.years, [2026, 2025]);
    assert_eq!(all.sports, ["cycling", "running", "hiking", "walking"]);

    // A private instance: nothing for anonymous visitors.
    f.set_private(true).await;
    unauthorized(
        svc.feed_filtered(None, Some("alice"), &sport("cycling"), None, 10)
            .await,
    );
    unauthorized(
        svc.feed_filtered(None, None, &FeedFilter::default(), None, 10)
            .await,
    );
    unauthorized(svc.feed_facets(None, Some("alice")).await);
    unauthorized(svc.feed_facets(None, None).await);
    assert_eq!(
        ids(bob, Some("alice"), sport("cycling")).await,
        ["a9", "a5", "a6", "a1"],
        "members still see listed ones"
    );
}

/// Member stats: the owner counts everything of theirs, others only the
/// listed activities with hidden stats cut; duplicates never count; days
/// by local date.
pub async fn views_member_stats(b: &dyn Backend) {
    let f = fixture(b).await;
    let svc = &f.svc;
    let summary = |s: &bincio_core::activities::MemberStats| -> Vec<Value> {
        s.years
            .iter()
            .map(|y| {
                json!({
                    "year": y.year,
                    "totals": [y.totals.count, y.totals.distance_m, y.totals.moving_time_s,
                               y.totals.elevation_gain_m],
                    "sports": y.sports.iter().map(|s| json!([s.sport, s.totals.count, s.totals.distance_m])).collect::<Vec<_>>(),
                    "days": y.days.iter().map(|d| json!([d.date, d.activities.iter().map(|a| a.id.clone()).collect::<Vec<_>>()])).collect::<Vec<_>>(),
                })
            })
            .collect()
    };
    let public = vec![
        json!({"year": 2026, "totals": [5, 105000.0, 15000.0, 770.0],
               "sports": [["cycling", 3, 90000.0], ["running", 1, 10000.0], ["walking", 1, 5000.0]],
               "days": [["2026-04-10", ["a8"]], ["2026-05-03", ["a2"]],
                        ["2026-05-04", ["a1", "a5"]], ["2026-05-05", ["a9"]]]}),
        json!({"year": 2025, "totals": [1, 15000.0, 18000.0, 800.0],
               "sports": [["hiking", 1, 15000.0]], "days": [["2025-03-01", ["a7"]]]}),
    ];
    for v in [Some(&f.bob), None] {
        let s = svc.member_stats(v, "alice").await.unwrap();
        assert_eq!(s.handle, "alice");
        assert!(!s.truncated);
        assert_eq!(summary(&s), public, "{v:?}");
    }
    let own = svc.member_stats(Some(&f.alice), "alice").await.unwrap();
    assert_eq!(
        summary(&own)[0],
        json!({"year": 2026, "totals": [7, 184000.0, 24400.0, 1970.0],
               "sports": [["cycling", 4, 167000.0], ["running", 1, 10000.0],
                          ["walking", 1, 5000.0], ["swimming", 1, 2000.0]],
               "days": [["2026-04-10", ["a8"]], ["2026-04-20", ["a4"]], ["2026-05-02", ["a3"]],
                        ["2026-05-03", ["a2"]], ["2026-05-04", ["a1", "a5"]],
                        ["2026-05-05", ["a9"]]]})
    );
    let day = &own.years[0].days[3].activities[0];
    assert_eq!(
        (
            day.title.as_str(),
            day.sport.as_str(),
            day.started_at.as_str()
        ),
        ("Title a2", "running", "2026-05-03T23:30:00-02:00")
    );
    // Bob's own unlisted ride counts for him only.
    let bob_own = svc.member_stats(Some(&f.bob), "bob").await.unwrap();
    assert_eq!(bob_own.years[0].totals.count, 3);
    let bob_public = svc.member_stats(Some(&f.alice), "bob").await.unwrap();
    assert_eq!(bob_public.years[0].totals.count, 2);
    assert_eq!(bob_public.years[0].totals.distance_m, 55000.0);

    not_found(svc.member_stats(None, "nobody").await);
    not_found(svc.member_stats(None, "../x").await);
    f.set_private(true).await;
    unauthorized(svc.member_stats(None, "alice").await);
    assert_eq!(
        summary(&svc.member_stats(Some(&f.bob), "alice").await.unwrap()),
        public
    );
}

/// The leaderboard: listed activities only for every viewer (the owner's
/// unlisted ride is not ranked, not even for the owner), hidden elevation
/// adds nothing, duplicates never count, UTC calendar periods.
pub async fn views_leaderboard(b: &dyn Backend) {
    let f = fixture(b).await;
    let svc = &f.svc;
    let rows = |l: &bincio_core::activities::Leaderboard| -> Vec<Value> {
        l.rows
            .iter()
            .map(|r| {
                json!([
                    r.handle,
                    r.display_name,
                    r.count,
                    r.distance_m,
                    r.elevation_gain_m,
                    r.moving_time_s
                ])
            })
            .collect()
    };
    let week = vec![
        json!(["alice", "alice", 4, 100000.0, 750.0, 11400.0]),
        json!(["bob", "bob", 1, 5000.0, 10.0, 1500.0]),
    ];
    for v in [Some(&f.alice), Some(&f.bob), None] {
        let l = svc.leaderboard(v, Period::Week).await.unwrap();
        assert_eq!((l.from, l.to), (Some(t(5, 4, 0)), Some(t(5, 11, 0))));
        assert_eq!(rows(&l), week, "{v:?}");
        assert!(!l.truncated);
        let m = svc.leaderboard(v, Period::Month).await.unwrap();
        assert_eq!((m.from, m.to), (Some(t(5, 1, 0)), Some(t(6, 1, 0))));
        assert_eq!(rows(&m), week, "May holds nothing more");
        let y = svc.leaderboard(v, Period::Year).await.unwrap();
        assert_eq!(
            rows(&y),
            [
                json!(["alice", "alice", 5, 105000.0, 770.0, 15000.0]),
                json!(["bob", "bob", 2, 55000.0, 410.0, 7500.0]),
            ]
        );
        let all = svc.leaderboard(v, Period::All).await.unwrap();
        assert_eq!((all.from, all.to), (None, None));
        assert_eq!(all.period, Period::All);
        assert_eq!(
            rows(&all)[0],
            json!(["alice", "alice", 6, 120000.0, 1570.0, 33000.0])
        );
    }
    f.set_private(true).await;
    unauthorized(svc.leaderboard(None, Period::Week).await);
    assert_eq!(
        rows(&svc.leaderboard(Some(&f.bob), Period::Week).await.unwrap()),
        week
    );
}

/// Season power curves: the owner's from all their activities, anyone
/// else's from the listed ones with hidden power cut; duplicates never
/// count; seasons by local date, end inclusive.
pub async fn views_season_curves(b: &dyn Backend) {
    let f = fixture(b).await;
    let svc = &f.svc;
    let curves = |c: &[bincio_core::activities::SeasonCurve]| -> Vec<Value> {
        c.iter()
            .map(|s| json!([s.name, s.start, s.end, s.curve]))
            .collect()
    };
    let public = vec![
        json!([
            "Spring 2026",
            "2026-03-01",
            "2026-05-04",
            [[5, 900.0], [60, 400.0]]
        ]),
        json!(["May 5th", "2026-05-05", "2026-05-05", [[5, 3000.0]]]),
        json!(["2025", "2025-01-01", "2025-12-31", []]),
    ];
    for v in [Some(&f.bob), None] {
        let c = svc.season_curves(v, "alice").await.unwrap();
        assert_eq!(curves(&c), public, "{v:?}");
        let page = svc.athlete_page(v, "alice").await.unwrap();
        assert_eq!(curves(&page.seasons), public);
        assert_eq!(
            page.doc.0["power_curve"]["all_time"],
            json!([[5, 3000], [60, 400]])
        );
        assert_eq!(page.doc.0, svc.athlete(v, "alice").await.unwrap().0);
    }
    let own = svc.season_curves(Some(&f.alice), "alice").await.unwrap();
    assert_eq!(
        curves(&own)[0],
        json!([
            "Spring 2026",
            "2026-03-01",
            "2026-05-04",
            [[5, 1500.0], [60, 700.0]]
        ])
    );
    assert!(svc
        .season_curves(Some(&f.alice), "bob")
        .await
        .unwrap()
        .is_empty());
    not_found(svc.season_curves(None, "nobody").await);
    f.set_private(true).await;
    unauthorized(svc.season_curves(None, "alice").await);
    unauthorized(svc.athlete_page(None, "alice").await);
    assert_eq!(
        curves(&svc.season_curves(Some(&f.bob), "alice").await.unwrap()),
        public
    );
}

/// The read models are kept per change (`activity_generations`): a change
/// written by another process straight into the store — a new activity,
/// a privacy edit, a deletion — shows in the next answer of a service that
/// answered before, for the owner and for everyone else alike, and the
/// owner's view never leaks into the public one.
pub async fn views_follow_changes(b: &dyn Backend) {
    let f = fixture(b).await;
    let svc = &f.svc;
    let count = |s: &bincio_core::activities::MemberStats| {
        s.years.iter().map(|y| y.totals.count).sum::<u64>()
    };
    // Owner first, so a shared entry would leak the private a4.
    let own = count(&svc.member_stats(Some(&f.alice), "alice").await.unwrap());
    let public = count(&svc.member_stats(Some(&f.bob), "alice").await.unwrap());
    assert_eq!((own, public), (8, 6));
    let board = |l: &bincio_core::activities::Leaderboard| {
        l.rows
            .iter()
            .map(|r| (r.handle.clone(), r.count))
            .collect::<Vec<_>>()
    };
    let before = board(&svc.leaderboard(None, Period::All).await.unwrap());
    let years_before = svc.feed_facets(None, Some("alice")).await.unwrap().years;
    let curve_before = svc.athlete(None, "alice").await.unwrap();

    // Another process: a2 becomes private, a1 is deleted, a new 2024 run.
    let store = &f._stores.activities;
    store
        .patch_edits(
            "alice",
            "a2",
            ActivityEdits {
                privacy: Some(Privacy::Private),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(store.delete_activity("alice", "a1").await.unwrap());
    let rec = ActivityRecord {
        handle: "alice".into(),
        id: "z1".into(),
        started_at: 1_717_243_200, // 2024-06-01
        source_hash: "sha256:z1".into(),
        privacy: Privacy::Public,
        distance_m: Some(1000.0),
        source: None,
        detail: json!({}),
        summary: json!({"id": "z1", "title": "Late", "sport": "running",
            "started_at": "2024-06-01T12:00:00+00:00", "distance_m": 1000.0,
            "mmp": [[1, 999]], "privacy": "public"}),
        edits: ActivityEdits::default(),
        duplicate_of: None,
        created_at: 2,
    };
    store.insert_activity(rec, tracks()).await.unwrap();

    let own = count(&svc.member_stats(Some(&f.alice), "alice").await.unwrap());
    let public = count(&svc.member_stats(Some(&f.bob), "alice").await.unwrap());
    assert_eq!((own, public), (8, 5), "a1 gone, z1 new, a2 private");
    let after = board(&svc.leaderboard(None, Period::All).await.unwrap());
    assert_ne!(before, after);
    let alice_row = |b: &[(String, u64)]| b.iter().find(|(h, _)| h == "alice").map(|r| r.1);
    assert_eq!(alice_row(&after), alice_row(&before).map(|n| n - 1));
    let years = svc.feed_facets(None, Some("alice")).await.unwrap().years;
    assert!(years.contains(&2024) && !years_before.contains(&2024));
    let curve = svc.athlete(None, "alice").await.unwrap();
    assert_ne!(curve.0["power_curve"], curve_before.0["power_curve"]);
    assert_eq!(curve.0["power_curve"]["all_time"][0], json!([1, 999]));
}
