//! `bincio backup` / `restore` (SQLite, online, under write load) and
//! `bincio export --out` / `import instance --from` (the portable archive):
//! SQLite → MongoDB → SQLite with every record kind, compared byte for
//! byte; and the archive's checks (a bad line names its file and line and
//! writes nothing; a non-empty target is refused; a damaged backup too).
//!
//! The MongoDB round trip needs `BINCIO_TEST_MONGO_URL` (`bash
//! scripts/test.sh` sets it).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use assert_cmd::Command;
use bincio_core::accounts::password;
use bincio_core::event::audit::{ActionDraft, AuditDraft};
use bincio_core::event::model::{public_token, Announcement, DelivererStamp, Scenario};
use bincio_core::event::oid::new_oid;
use bincio_core::event::rules::{ImportAttendee, ImportScenario, RelatedEffect, UseRequest};
use bincio_core::model::{
    ActivityEdits, ActivityRecord, ActivityTracks, AthleteConfig, AthletePatch, Blob, DropFile,
    Invite, NewUser, Privacy, Role, SyncItem, SyncRun,
};
use bincio_core::store::{
    ActivityStore, AttendeeStore, ConnectionPatch, ConnectionStore, Delivery, PuzzleStore,
    RegisterClaim, SourceStore, UserStore,
};
use bincio_store_mongo::testkit::{base_url, DropDb};
use bincio_store_sqlite::SqliteStore;
use predicates::prelude::*;
use serde_json::json;

const T: i64 = 1_900_000_000;

fn bincio() -> Command {
    let mut c = Command::cargo_bin("bincio").unwrap();
    c.env_remove("BINCIO_STORE")
        .env_remove("BINCIO_DATA_DIR")
        .env("BINCIO_LOG", "warn");
    c
}

/// `bincio export --out DIR` of the instance the flags name.
fn export(store: &[&str], out: &Path) {
    bincio()
        .arg("export")
        .arg("--out")
        .arg(out)
        .args(store)
        .assert()
        .success()
        .stdout(predicate::str::contains("keep it private"));
}

/// Every file of two directories, byte for byte.
fn assert_same_tree(a: &Path, b: &Path) {
    fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![root.to_owned()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(root).unwrap().display().to_string();
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
        out
    }
    let (fa, fb) = (files(a), files(b));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "same files"
    );
    for (name, bytes) in &fa {
        assert!(
            bytes == &fb[name],
            "{name} differs:\n{}\n---\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&fb[name])
        );
    }
}

fn scenario(id: &str, order: i64, disabled: Option<&str>) -> Scenario {
    Scenario {
        id: id.into(),
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

fn attendee(token: &str, name: &str, role: &str) -> ImportAttendee {
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
                scenario: scenario("kit", 1, Some("locked")),
                affected_by: vec!["checkin".into()],
            },
        ],
    }
}

fn use_req(token: &str, nonce: Option<&str>, pieces: &[&str], now: i64) -> UseRequest {
    let mut effects = BTreeMap::new();
    effects.insert(
        "audience".to_owned(),
        vec![RelatedEffect {
            target: "kit".into(),
            unlock: true,
            mark_used: false,
            disable: None,
        }],
    );
    let mut deliver = BTreeMap::new();
    if !pieces.is_empty() {
        deliver.insert(
            "audience".to_owned(),
            pieces.iter().map(|p| (*p).to_owned()).collect(),
        );
    }
    UseRequest {
        token: token.into(),
        scenario_id: "checkin".into(),
        now,
        effects,
        deliver,
        audit: Some(AuditDraft {
            id: new_oid(now),
            actor: "staff:admin".into(),
            nonce: nonce.map(str::to_owned),
        }),
    }
}

fn activity(handle: &str, id: &str, at: i64, n: u32) -> (ActivityRecord, ActivityTracks) {
    let rec = ActivityRecord {
        handle: handle.into(),
        id: id.into(),
        started_at: at,
        source_hash: format!("sha256:{:064x}", u64::from(n) * 7919),
        privacy: if n.is_multiple_of(2) {
            Privacy::Public
        } else {
            Privacy::NoGps
        },
        distance_m: Some(12_345.678 + f64::from(n)),
        source: Some("gpx_file".into()),
        summary: json!({"id": id, "title": format!("Ride {n}"), "sport": "cycling",
            "distance_m": 12345.678, "duration_s": 3600, "avg_speed_kmh": 24.7,
            "preview_coords": [[46.1, 7.2], [46.2, 7.25]], "privacy": "public"}),
        detail: json!({"laps": [{"n": 1, "time_s": 1800.5}], "device": "Edge 530", "elevation_gain_m": 420.0}),
        edits: ActivityEdits {
            title: (n == 1).then(|| "Renamed ride".into()),
            privacy: (n == 1).then_some(Privacy::Unlisted),
            hide_stats: (n == 1).then(|| vec!["hr".into()]),
            ..ActivityEdits::default()
        },
        duplicate_of: None,
        created_at: at + 60,
    };
    let tracks = ActivityTracks {
        timeseries: Some(
            json!({"t": [0, 1, 2], "lat": [46.1, 46.15, 46.2], "hr": [120, null, 131]}),
        ),
        geojson: Some(json!({"type": "LineString", "coordinates": [[7.2, 46.1], [7.25, 46.2]]})),
    };
    (rec, tracks)
}

/// One instance holding every record kind an archive carries.
async fn fill(s: &SqliteStore) {
    let users: [(&str, Role); 3] = [
        ("admin", Role::Admin),
        ("ada", Role::User),
        ("sam", Role::Staff),
    ];
    for (i, (h, role)) in users.iter().enumerate() {
        s.create_user(NewUser {
            handle: (*h).into(),
            display_name: format!("{h} the {}", role.as_str()),
            password_hash: password::hash(&format!("{h}-password")).unwrap(),
            role: *role,
            created_at: T + i as i64,
        })
        .await
        .unwrap();
    }
    s.create_invite(
        Invite {
            code: "UNUSED01".into(),
            created_by: "admin".into(),
            used_by: None,
            created_at: T + 10,
            used_at: None,
        },
        None,
    )
    .await
    .unwrap();
    s.create_invite(
        Invite {
            code: "USED0001".into(),
            created_by: "ada".into(),
            used_by: None,
            created_at: T + 11,
            used_at: None,
        },
        None,
    )
    .await
    .unwrap();
    s.register(
        RegisterClaim::Invite("USED0001".into()),
        NewUser {
            handle: "bob".into(),
            display_name: "Bob".into(),
            password_hash: password::hash("bob-password").unwrap(),
            role: Role::User,
            created_at: T + 12,
        },
    )
    .await
    .unwrap();
    s.set_setting("instance_name", "Club ride").await.unwrap();
    s.set_setting("max_users", "50").await.unwrap();
    let mut prefs = BTreeMap::new();
    prefs.insert("units".to_owned(), "imperial".to_owned());
    prefs.insert("theme".to_owned(), "dark".to_owned());
    s.set_prefs("ada", &prefs).await.unwrap();
    s.patch_athlete(
        "ada",
        &AthletePatch {
            set: AthleteConfig {
                max_hr: Some(188),
                ftp_w: Some(250),
                ..AthleteConfig::default()
            },
            clear: vec![],
        },
    )
    .await
    .unwrap();

    for n in 0..3u32 {
        let id = format!("2030-01-0{}T080000Z-ride", n + 1);
        let (rec, tracks) = activity("ada", &id, T + 1000 * i64::from(n), n);
        s.insert_activity(rec, tracks).await.unwrap();
        if n < 2 {
            s.put_original(
                "ada",
                &id,
                Blob {
                    name: format!("ride{n}.gpx"),
                    content_type: "application/gpx+xml".into(),
                    bytes: format!("<gpx>{n}</gpx>").repeat(200).into_bytes(),
                },
            )
            .await
            .unwrap();
        }
        if n == 0 {
            for (name, byte) in [("a.jpg", 1u8), ("b.png", 2u8)] {
                s.put_image(
                    "ada",
                    &id,
                    Blob {
                        name: name.into(),
                        content_type: "image/jpeg".into(),
                        bytes: vec![byte; 3000],
                    },
                )
                .await
                .unwrap();
            }
        }
    }
    s.set_duplicate_of(
        "ada",
        "2030-01-03T080000Z-ride",
        Some("2030-01-01T080000Z-ride"),
    )
    .await
    .unwrap();

    s.patch_connection(
        "ada",
        "strava",
        &ConnectionPatch {
            athlete_id: Some(Some(4242)),
            athlete_name: Some(Some("Ada L.".into())),
            scopes: Some(Some("read,activity:read_all".into())),
            tokens: Some(Some(vec![1, 2, 3, 250, 251])),
            credentials: Some(Some(vec![9, 8, 7])),
            cursor: Some(Some(T - 50)),
            last_error: Some(Some("rate limited".into())),
            oauth_state: Some(Some(("f".repeat(64), T + 600))),
            ..ConnectionPatch::default()
        },
        T + 30,
    )
    .await
    .unwrap();
    s.set_drop_folder("ada", Some("/srv/drop/ada"))
        .await
        .unwrap();
    s.mark_drop_scanned("ada", T + 40).await.unwrap();
    for (i, done) in [(0, true), (1, false)] {
        let f = DropFile {
            path: format!("rides/{i}.fit"),
            size: 1000 + i,
            mtime_ms: (T + 41) * 1000,
            hash: format!("{:064x}", i + 1),
            claimed_at: T + 42,
            done: false,
        };
        assert!(s.claim_drop_file("ada", &f, 600).await.unwrap());
        if done {
            s.finish_drop_file("ada", &f.path, &f.hash).await.unwrap();
        }
    }
    for i in 0..2 {
        s.record_sync_run(
            &SyncRun {
                id: format!("{:016x}", i + 1),
                handle: "ada".into(),
                source: "drop".into(),
                started_at: T + 50 + i,
                finished_at: T + 51 + i,
                imported: 1,
                duplicates: i as u32,
                errors: 0,
                items: vec![SyncItem {
                    name: format!("rides/{i}.fit"),
                    status: "imported".into(),
                    id: Some("2030-01-01T080000Z-ride".into()),
                    detail: None,
                }],
            },
            10,
        )
        .await
        .unwrap();
    }

    // Event: attendees (one checked in with a nonce and pieces, one with
    // a first use only), a booth delivery, a revoke, a coupon,
    // announcements, and the audit log of all of it.
    s.ensure_counters(&["p1".into(), "p2".into()], T)
        .await
        .unwrap();
    s.import_attendees_logged(
        vec![
            attendee("tok-ann", "Ann", "audience"),
            attendee("tok-ben", "Ben", "audience"),
            attendee("tok-cai", "Cai", "staff"),
        ],
        Some(ActionDraft {
            id: new_oid(T + 100),
            at: T + 100,
            actor: "cli".into(),
            attendee_id: None,
            role: Some("audience".into()),
        }),
    )
    .await
    .unwrap();
    s.use_scenario(use_req("tok-ann", Some("scan-1"), &["p1"], T + 110))
        .await
        .unwrap()
        .unwrap();
    s.use_scenario(use_req("tok-ben", None, &[], T + 111))
        .await
        .unwrap()
        .unwrap();
    s.mark_first_use("tok-cai", T + 112).await.unwrap();
    let ann = s.get_attendee("tok-ann").await.unwrap().unwrap();
    s.deliver_logged(
        Delivery {
            attendee_id: ann.id.clone(),
            public_token: public_token("tok-ann"),
            piece: Some("p2".into()),
            deliverer: Some(DelivererStamp {
                deliverer: "booth-7".into(),
                timestamp: (T + 113) as f64 + 0.125,
            }),
            now: T + 113,
        },
        Some(ActionDraft {
            id: new_oid(T + 113),
            at: T + 113,
            actor: "deliverer:booth-7".into(),
            attendee_id: Some(ann.id.clone()),
            role: Some("audience".into()),
        }),
    )
    .await
    .unwrap();
    s.use_coupon(&public_token("tok-ann"), T + 114)
        .await
        .unwrap();
    s.revoke(&public_token("tok-ben"), T + 115).await.unwrap();
    for (i, role) in [vec!["audience".to_owned(), "staff".into()], vec![]]
        .into_iter()
        .enumerate()
    {
        s.add_announcement_logged(
            Announcement {
                id: new_oid(T + 120 + i as i64),
                datetime: T + 120 + i as i64,
                msg_zh: Some("公告".into()),
                msg_en: Some(format!("Notice {i}")),
                uri: None,
                role,
            },
            Some(ActionDraft {
                id: new_oid(T + 120 + i as i64),
                at: T + 120 + i as i64,
                actor: "staff:sam".into(),
                attendee_id: None,
                role: None,
            }),
        )
        .await
        .unwrap();
    }
}

/// Every record file of an export holds records (the round trip compares
/// something), and blobs are there.
fn assert_every_kind(dir: &Path) {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    for (name, e) in m["files"].as_object().unwrap() {
        assert!(e["records"].as_u64().unwrap() > 0, "{name} is empty: {m}");
    }
    assert_eq!(m["blobs"]["count"], 4, "2 originals, 2 photos: {m}");
    assert_eq!(m["format"], "bincio-instance");
    assert_eq!(m["version"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_sqlite_import_mongo_export_identical_and_back() {
    let Some(base) = base_url("export_sqlite_import_mongo_export_identical_and_back") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    fill(&SqliteStore::open(src.join("instance.db")).unwrap()).await;
    let src_flag = src.display().to_string();

    let a1 = tmp.path().join("a1");
    export(&["--data-dir", &src_flag], &a1);
    assert_every_kind(&a1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&a1).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "an archive holds secrets: private");
    }

    // SQLite → MongoDB → export: identical.
    let (url, _guard) = DropDb::fresh(&base);
    bincio()
        .args(["import", "instance", "--from"])
        .arg(&a1)
        .args(["--store", &url, "--data-dir"])
        .arg(tmp.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("imported"));
    let a2 = tmp.path().join("a2");
    export(&["--store", &url, "--data-dir", &src_flag], &a2);
    assert_same_tree(&a1, &a2);

    // The moved accounts sign in with their old passwords.
    let mongo = bincio_store_mongo::MongoStore::connect(&url).await.unwrap();
    let ada = UserStore::get_user(&mongo, "ada").await.unwrap().unwrap();
    assert!(matches!(
        password::verify("ada-password", &ada.password_hash),
        password::Verified::Yes
    ));

    // A second import into the now non-empty MongoDB store is refused.
    bincio()
        .args(["import", "instance", "--from"])
        .arg(&a1)
        .args(["--store", &url])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not empty"));

    // MongoDB → SQLite → export: identical again.
    let back = tmp.path().join("back");
    bincio()
        .args(["import", "instance", "--from"])
        .arg(&a2)
        .arg("--data-dir")
        .arg(&back)
        .assert()
        .success();
    let a3 = tmp.path().join("a3");
    export(&["--data-dir", &back.display().to_string()], &a3);
    assert_same_tree(&a1, &a3);
}

/// Bad archives: each refused with the file (and line) named, and the
/// target left empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_instance_checks_everything_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    fill(&SqliteStore::open(src.join("instance.db")).unwrap()).await;
    let good = tmp.path().join("good");
    export(&["--data-dir", &src.display().to_string()], &good);

    let copy = |name: &str| {
        let d = tmp.path().join(name);
        std::fs::create_dir_all(d.join("blobs")).unwrap();
        for e in std::fs::read_dir(&good)
            .unwrap()
            .chain(std::fs::read_dir(good.join("blobs")).unwrap())
        {
            let p = e.unwrap().path();
            if p.is_file() {
                let rel = p.strip_prefix(&good).unwrap();
                std::fs::copy(&p, d.join(rel)).unwrap();
            }
        }
        d
    };
    let refuse = |dir: &Path, target: &str, msg: &str| {
        let t = tmp.path().join(target);
        bincio()
            .args(["import", "instance", "--from"])
            .arg(dir)
            .arg("--data-dir")
            .arg(&t)
            .assert()
            .failure()
            .stderr(predicate::str::contains(msg));
        let users = bincio()
            .args(["users", "list", "--data-dir"])
            .arg(&t)
            .assert()
            .success();
        let listed = String::from_utf8_lossy(&users.get_output().stdout).into_owned();
        assert!(
            !listed.contains("admin") && !listed.contains("ada"),
            "nothing written into {target}: {listed}"
        );
    };

    // A line that is not a record: named by file and line, the manifest
    // patched so only the line is wrong.
    let bad = copy("bad-line");
    let invites = std::fs::read_to_string(bad.join("invites.jsonl")).unwrap();
    let broken = invites.replacen("\"created_at\"", "\"created_on\"", 1);
    let broken = {
        let mut lines: Vec<&str> = broken.lines().collect();
        lines.swap(0, 1);
        lines.join("\n") + "\n"
    };
    std::fs::write(bad.join("invites.jsonl"), &broken).unwrap();
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bad.join("manifest.json")).unwrap()).unwrap();
    {
        use sha2::Digest;
        let e = &mut m["files"]["invites.jsonl"];
        e["bytes"] = json!(broken.len());
        e["sha256"] = json!(hex::encode(sha2::Sha256::digest(broken.as_bytes())));
    }
    std::fs::write(bad.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    refuse(
        &bad,
        "t1",
        "invites.jsonl line 2: unknown field `created_on`",
    );

    // A file changed behind the manifest's back.
    let tampered = copy("tampered");
    let mut users = std::fs::read(tampered.join("users.jsonl")).unwrap();
    users.extend_from_slice(b"{}\n");
    std::fs::write(tampered.join("users.jsonl"), users).unwrap();
    refuse(&tampered, "t2", "users.jsonl line 5: missing field");

    // A photo whose bytes do not match its name.
    let blob = copy("blob");
    let victim = std::fs::read_dir(blob.join("blobs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&victim, bytes).unwrap();
    refuse(&blob, "t3", "content does not match its name");

    // Another format version.
    let future = copy("future");
    let text = std::fs::read_to_string(future.join("manifest.json")).unwrap();
    std::fs::write(
        future.join("manifest.json"),
        text.replacen("\"version\": 1", "\"version\": 2", 1),
    )
    .unwrap();
    refuse(&future, "t4", "version 2 is not one this build reads");

    // A non-empty target.
    bincio()
        .args(["import", "instance", "--from"])
        .arg(&good)
        .arg("--data-dir")
        .arg(&src)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "target store is not empty (4 users",
        ));

    // An export never writes into a non-empty directory.
    bincio()
        .args(["export", "--out"])
        .arg(&good)
        .arg("--data-dir")
        .arg(&src)
        .assert()
        .failure()
        .stderr(predicate::str::contains("exists and is not empty"));
}

/// Members registering one after another, each spending its own invite in
/// the same transaction (`m0`, `m1`, … with `LOAD0000`, …), until stopped.
struct Load {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
    writer: tokio::task::JoinHandle<u64>,
}

impl Load {
    /// Start registering on `store`; returns once 20 have committed.
    async fn start(store: &SqliteStore) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let writer = tokio::spawn({
            let (store, stop, done) = (store.clone(), stop.clone(), done.clone());
            async move {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let code = format!("LOAD{i:04}");
                    store
                        .create_invite(
                            Invite {
                                code: code.clone(),
                                created_by: "admin".into(),
                                used_by: None,
                                created_at: T + 1000 + i as i64,
                                used_at: None,
                            },
                            None,
                        )
                        .await
                        .unwrap();
                    store
                        .register(
                            RegisterClaim::Invite(code),
                            NewUser {
                                handle: format!("m{i}"),
                                display_name: String::new(),
                                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
                                    .into(),
                                role: Role::User,
                                created_at: T + 1000 + i as i64,
                            },
                        )
                        .await
                        .unwrap();
                    i += 1;
                    done.store(i, Ordering::Relaxed);
                }
                i
            }
        });
        while done.load(Ordering::Relaxed) < 20 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        Load { stop, done, writer }
    }

    /// Registrations committed so far.
    fn count(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Stop (after a few more); registrations in all.
    async fn stop(self) -> u64 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        self.stop.store(true, Ordering::Relaxed);
        self.writer.await.unwrap()
    }
}

/// `bincio COMMAND --out OUT --data-dir SRC` as a process, while the
/// runtime's other thread keeps a [`Load`] writing; it must succeed.
async fn run_beside_load(command: &str, out: &Path, src: &Path) {
    let (command, out, src) = (command.to_owned(), out.to_owned(), src.to_owned());
    let done = tokio::task::spawn_blocking(move || {
        bincio()
            .arg(&command)
            .arg("--out")
            .arg(&out)
            .arg("--data-dir")
            .arg(&src)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

/// `r` holds what one commit of a [`Load`] had: members `m0..mK` for a K
/// between `before` and `after`, each with exactly its invite spent.
async fn assert_a_commit(r: &SqliteStore, before: u64, after: u64) {
    let members: Vec<String> = r
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.handle)
        .filter(|h| h.starts_with('m'))
        .collect();
    let k = members.len() as u64;
    assert!(
        (before..=after).contains(&k),
        "{k} members; {before} existed when the copy started, {after} when it ended"
    );
    for i in 0..k {
        assert!(
            members.contains(&format!("m{i}")),
            "m{i} missing: a prefix of commits"
        );
    }
    for i in 0..=k {
        let inv = r.get_invite(&format!("LOAD{i:04}")).await.unwrap();
        match inv {
            Some(inv) if i < k => assert_eq!(inv.used_by, Some(format!("m{i}"))),
            Some(inv) => assert_eq!(inv.used_by, None, "its registration came after"),
            None => assert_eq!(i, k, "only the next invite may be missing"),
        }
    }
}

/// `bincio export` of a SQLite instance while members keep registering is
/// the instance as of one commit (it reads an online-backup snapshot):
/// imported into a fresh store, members `m0..mK` with exactly their
/// invites spent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_under_write_load_is_one_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let store = SqliteStore::open(src.join("instance.db")).unwrap();
    fill(&store).await;
    store.set_setting("max_users", "0").await.unwrap();
    let load = Load::start(&store).await;
    let before = load.count();
    let dir = tmp.path().join("live-export");
    run_beside_load("export", &dir, &src).await;
    let after = load.count();
    load.stop().await;
    let leftovers: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".bincio-export-")
        })
        .collect();
    assert!(leftovers.is_empty(), "the snapshot is removed");
    let dst = tmp.path().join("dst");
    bincio()
        .args(["import", "instance", "--from"])
        .arg(&dir)
        .arg("--data-dir")
        .arg(&dst)
        .assert()
        .success();
    let r = SqliteStore::open(dst.join("instance.db")).unwrap();
    assert_a_commit(&r, before, after).await;
}

/// A backup taken while another connection keeps registering members
/// (each registration spends its invite in the same transaction) restores
/// to a state some commit had: members `m0..mK` with exactly their
/// invites spent. A backup of the quiet instance restores to an identical
/// state (its export equals the source's, byte for byte), key file
/// included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_write_load_restores_a_consistent_state() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("keys")).unwrap();
    std::fs::write(src.join("keys/secrets.key"), [7u8; 32]).unwrap();
    let store = SqliteStore::open(src.join("instance.db")).unwrap();
    fill(&store).await;
    store.set_setting("max_users", "0").await.unwrap();
    // Some bulk, so the copy is not instantaneous.
    for i in 0..40 {
        store
            .set_setting(&format!("pad{i:02}"), &"x".repeat(256 * 1024))
            .await
            .unwrap();
    }

    let load = Load::start(&store).await;
    let before = load.count();
    let file = tmp.path().join("live.bincio-backup");
    run_beside_load("backup", &file, &src).await;
    let after = load.count();
    let total = load.stop().await;
    eprintln!("registrations: {before} before the backup, {after} when it ended, {total} in all");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "a backup holds the key: private");
    }

    let restored = tmp.path().join("restored");
    bincio()
        .args(["restore", "--from"])
        .arg(&file)
        .arg("--data-dir")
        .arg(&restored)
        .assert()
        .success();
    let r = SqliteStore::open(restored.join("instance.db")).unwrap();
    assert_a_commit(&r, before, after).await;
    assert_eq!(
        std::fs::read(restored.join("keys/secrets.key")).unwrap(),
        [7u8; 32],
        "the key file comes back, so sealed tokens still open"
    );

    // Quiet instance: restored state identical to the source.
    let quiet = tmp.path().join("quiet.bincio-backup");
    bincio()
        .arg("backup")
        .arg("--out")
        .arg(&quiet)
        .arg("--data-dir")
        .arg(&src)
        .assert()
        .success();
    let again = tmp.path().join("again");
    bincio()
        .args(["restore", "--from"])
        .arg(&quiet)
        .arg("--data-dir")
        .arg(&again)
        .assert()
        .success();
    let (e1, e2) = (tmp.path().join("e-src"), tmp.path().join("e-again"));
    export(&["--data-dir", &src.display().to_string()], &e1);
    export(&["--data-dir", &again.display().to_string()], &e2);
    assert_same_tree(&e1, &e2);

    // Restore never replaces an instance unless asked; with --force it
    // does (the newer snapshot replaces the older).
    bincio()
        .args(["restore", "--from"])
        .arg(&quiet)
        .arg("--data-dir")
        .arg(&restored)
        .assert()
        .failure()
        .stderr(predicate::str::contains("already holds an instance"));
    bincio()
        .args(["restore", "--force", "--from"])
        .arg(&quiet)
        .arg("--data-dir")
        .arg(&restored)
        .assert()
        .success();
    let e3 = tmp.path().join("e-forced");
    export(&["--data-dir", &restored.display().to_string()], &e3);
    assert_same_tree(&e1, &e3);

    // A damaged backup is refused and nothing is written.
    let mut bytes = std::fs::read(&quiet).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0x55;
    let damaged = tmp.path().join("damaged.bincio-backup");
    std::fs::write(&damaged, bytes).unwrap();
    let fresh = tmp.path().join("fresh");
    bincio()
        .args(["restore", "--from"])
        .arg(&damaged)
        .arg("--data-dir")
        .arg(&fresh)
        .assert()
        .failure();
    assert!(!fresh.join("instance.db").exists(), "nothing restored");

    // MongoDB stores are pointed to mongodump / export.
    bincio()
        .args(["backup", "--store", "mongodb://127.0.0.1:1/x", "--out"])
        .arg(tmp.path().join("m.zip"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("mongodump"));
}
