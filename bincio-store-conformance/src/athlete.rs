//! Conformance cases of the athlete config part of
//! [`UserStore`](bincio_core::store::UserStore).

use serde_json::{json, Map, Value};

use super::{Backend, Stores};
use bincio_core::model::{
    ActivityEdits, ActivityRecord, ActivityTracks, AthleteConfig, AthleteKey, AthletePatch,
    NewUser, Privacy, Role, Season,
};
use bincio_core::store::StoreError;

async fn with_user(b: &dyn Backend, handle: &str) -> Stores {
    let s = b.fresh().await;
    s.users
        .create_user(NewUser {
            handle: handle.to_owned(),
            display_name: handle.to_owned(),
            password_hash: "x".into(),
            role: Role::User,
            created_at: 1,
        })
        .await
        .unwrap();
    s
}

fn set(config: AthleteConfig) -> AthletePatch {
    AthletePatch {
        set: config,
        clear: Vec::new(),
    }
}

fn gear() -> Map<String, Value> {
    // Keys MongoDB would not take as field names, and a nested object.
    json!({"bike.road": {"$km": 1200, "name": "Ti"}, "shoes": [1, 2.5]})
        .as_object()
        .cloned()
        .unwrap_or_default()
}

/// Empty by default; a patch replaces the keys it sets, keeps the others
/// and removes the ones it clears; values round-trip exactly (integers stay
/// integers, free-form gear keys survive).
pub async fn athlete_patch_merges(b: &dyn Backend) {
    let s = with_user(b, "alice").await;
    let u = &s.users;
    assert_eq!(
        u.get_athlete("alice").await.unwrap(),
        AthleteConfig::default()
    );
    let zones: Vec<[serde_json::Number; 2]> =
        serde_json::from_value(json!([[0, 120], [120, 150.5]])).unwrap();
    let first = AthleteConfig {
        max_hr: Some(190),
        ftp_w: Some(250),
        hr_zones: Some(zones.clone()),
        seasons: Some(vec![Season {
            name: "2026".into(),
            start: "2026-01-01".into(),
            end: "2026-12-31".into(),
        }]),
        gear: Some(gear()),
        ..Default::default()
    };
    let after = u.patch_athlete("alice", &set(first.clone())).await.unwrap();
    assert_eq!(after, first);
    assert_eq!(u.get_athlete("alice").await.unwrap(), first);
    assert_eq!(
        serde_json::to_value(&after.hr_zones).unwrap(),
        json!([[0, 120], [120, 150.5]])
    );

    let patch = AthletePatch {
        set: AthleteConfig {
            ftp_w: Some(260),
            power_zones: Some(Vec::new()),
            ..Default::default()
        },
        clear: vec![AthleteKey::MaxHr, AthleteKey::Seasons],
    };
    let mut expected = first.clone();
    expected.apply(&patch);
    assert_eq!(expected.max_hr, None);
    assert_eq!(expected.ftp_w, Some(260));
    assert_eq!(u.patch_athlete("alice", &patch).await.unwrap(), expected);
    assert_eq!(u.get_athlete("alice").await.unwrap(), expected);
    // An empty patch changes nothing and answers the config.
    assert_eq!(
        u.patch_athlete("alice", &AthletePatch::default())
            .await
            .unwrap(),
        expected
    );
    // Unknown users: nothing to read, nothing created.
    assert_eq!(
        u.get_athlete("nobody").await.unwrap(),
        AthleteConfig::default()
    );
    for p in [set(first), AthletePatch::default()] {
        assert!(matches!(
            u.patch_athlete("nobody", &p).await,
            Err(StoreError::NotFound(_))
        ));
    }
}

/// Concurrent patches of different keys all survive (the merge is atomic
/// in the store, not read-modify-write in a caller).
pub async fn athlete_concurrent_patches_of_different_keys(b: &dyn Backend) {
    let s = with_user(b, "alice").await;
    let mut tasks = Vec::new();
    for i in 0..8u32 {
        let u = s.users.clone();
        tasks.push(tokio::spawn(async move {
            let c = match i % 4 {
                0 => AthleteConfig {
                    max_hr: Some(180 + i),
                    ..Default::default()
                },
                1 => AthleteConfig {
                    ftp_w: Some(200 + i),
                    ..Default::default()
                },
                2 => AthleteConfig {
                    gear: Some(Map::new()),
                    ..Default::default()
                },
                _ => AthleteConfig {
                    power_zones: Some(Vec::new()),
                    ..Default::default()
                },
            };
            u.patch_athlete("alice", &set(c)).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let c = s.users.get_athlete("alice").await.unwrap();
    assert!(c.max_hr.is_some() && c.ftp_w.is_some(), "{c:?}");
    assert!(c.gear.is_some() && c.power_zones.is_some(), "{c:?}");
}

/// The config belongs to the account: wiping the activities keeps it,
/// deleting the user removes it (a new account with the handle starts
/// empty).
pub async fn athlete_config_lifecycle(b: &dyn Backend) {
    let s = with_user(b, "alice").await;
    let c = AthleteConfig {
        max_hr: Some(185),
        ..Default::default()
    };
    s.users
        .patch_athlete("alice", &set(c.clone()))
        .await
        .unwrap();
    let rec = ActivityRecord {
        handle: "alice".into(),
        id: "2024-01-01T000000Z".into(),
        started_at: 1_704_067_200,
        source_hash: "sha256:a".into(),
        privacy: Privacy::Public,
        distance_m: None,
        source: None,
        summary: json!({}),
        detail: json!({}),
        edits: ActivityEdits::default(),
        duplicate_of: None,
        created_at: 1,
    };
    s.activities
        .insert_activity(rec, ActivityTracks::default())
        .await
        .unwrap();
    assert_eq!(
        s.activities.delete_user_activities("alice").await.unwrap(),
        1
    );
    assert_eq!(s.users.get_athlete("alice").await.unwrap(), c);
    assert!(s.users.delete_user("alice").await.unwrap());
    assert_eq!(
        s.users.get_athlete("alice").await.unwrap(),
        AthleteConfig::default()
    );
    s.users
        .create_user(NewUser {
            handle: "alice".into(),
            display_name: "alice".into(),
            password_hash: "x".into(),
            role: Role::User,
            created_at: 2,
        })
        .await
        .unwrap();
    assert_eq!(
        s.users.get_athlete("alice").await.unwrap(),
        AthleteConfig::default()
    );
}
