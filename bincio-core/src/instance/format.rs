//! The records of an instance archive, one JSON object per line per file,
//! and its manifest. These types *are* the format (`docs/archive.md`):
//! they are separate from the model types so that a change of the model
//! never silently changes what an archive holds; a change here is a new
//! [`VERSION`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event::audit::AuditEntry;
use crate::event::model::{
    Announcement, Attendee, DelivererStamp, Pairs, PuzzleBucket, PuzzleCounter, Scenario,
};
use crate::model::{
    ActivityEdits, ActivityRecord, ActivityTracks, AthleteConfig, DropFile, Invite, NewUser,
    Privacy, Role, SyncRun, User,
};
use crate::store::Connection;

/// `manifest.json`'s `format`.
pub const FORMAT: &str = "bincio-instance";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;
/// The manifest's name in the archive directory.
pub const MANIFEST: &str = "manifest.json";
/// The folder of blob files (originals and photos), each named by the hex
/// SHA-256 of its bytes.
pub const BLOBS: &str = "blobs";

/// The record files, in the order the importer writes them (a record may
/// refer only to records of files before it).
pub const FILES: &[&str] = &[
    "settings.jsonl",
    "users.jsonl",
    "invites.jsonl",
    "prefs.jsonl",
    "athletes.jsonl",
    "connections.jsonl",
    "drop_folders.jsonl",
    "drop_files.jsonl",
    "sync_runs.jsonl",
    "activities.jsonl",
    "attendees.jsonl",
    "announcements.jsonl",
    "puzzle_counters.jsonl",
    "puzzle_buckets.jsonl",
    "audit.jsonl",
];

/// What the archive says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`] of the writer.
    pub version: u32,
    /// Which secrets the archive holds (for the operator; see the docs).
    pub secrets: Vec<String>,
    /// Per record file: lines, bytes, SHA-256.
    pub files: BTreeMap<String, FileEntry>,
    /// Blob files: how many and their bytes in all.
    pub blobs: BlobTotals,
}

/// The secrets an archive holds, as the manifest lists them.
pub const SECRETS: &[&str] = &[
    "password hashes (users.jsonl)",
    "invite codes (invites.jsonl)",
    "attendee tokens (attendees.jsonl)",
    "sealed Strava tokens and client secrets (connections.jsonl; opened only by the source's keys/secrets.key, which is not in the archive)",
];

/// One record file of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub records: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// The blob folder of the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobTotals {
    pub count: u64,
    pub bytes: u64,
}

/// `settings.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingRec {
    pub key: String,
    pub value: String,
}

/// `users.jsonl`: the account with its password hash (argon2id, or a
/// legacy bcrypt hash upgraded at the next sign-in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRec {
    pub handle: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub created_at: i64,
}

impl From<User> for UserRec {
    fn from(u: User) -> Self {
        Self {
            handle: u.handle,
            display_name: u.display_name,
            password_hash: u.password_hash,
            role: u.role,
            created_at: u.created_at,
        }
    }
}

impl From<UserRec> for NewUser {
    fn from(u: UserRec) -> Self {
        Self {
            handle: u.handle,
            display_name: u.display_name,
            password_hash: u.password_hash,
            role: u.role,
            created_at: u.created_at,
        }
    }
}

/// `invites.jsonl`: used and unused invites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteRec {
    pub code: String,
    pub created_by: String,
    pub used_by: Option<String>,
    pub created_at: i64,
    pub used_at: Option<i64>,
}

impl From<Invite> for InviteRec {
    fn from(i: Invite) -> Self {
        Self {
            code: i.code,
            created_by: i.created_by,
            used_by: i.used_by,
            created_at: i.created_at,
            used_at: i.used_at,
        }
    }
}

impl From<InviteRec> for Invite {
    fn from(i: InviteRec) -> Self {
        Self {
            code: i.code,
            created_by: i.created_by,
            used_by: i.used_by,
            created_at: i.created_at,
            used_at: i.used_at,
        }
    }
}

/// `prefs.jsonl`: one preference of one member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefRec {
    pub handle: String,
    pub key: String,
    pub value: String,
}

/// `athletes.jsonl`: a member's athlete config (only when set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AthleteRec {
    pub handle: String,
    pub config: AthleteConfig,
}

/// `connections.jsonl`: a member's link to a provider. The token and
/// credential fields are the sealed bytes as stored, in hex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionRec {
    pub handle: String,
    pub provider: String,
    pub athlete_id: Option<i64>,
    pub athlete_name: Option<String>,
    pub scopes: Option<String>,
    pub tokens_sealed: Option<String>,
    pub credentials_sealed: Option<String>,
    pub cursor: Option<i64>,
    pub last_sync: Option<i64>,
    pub next_sync: Option<i64>,
    pub paused_until: Option<i64>,
    pub last_error: Option<String>,
    pub oauth_state: Option<String>,
    pub oauth_state_expires: Option<i64>,
    pub updated_at: i64,
}

impl From<Connection> for ConnectionRec {
    fn from(c: Connection) -> Self {
        Self {
            handle: c.handle,
            provider: c.provider,
            athlete_id: c.athlete_id,
            athlete_name: c.athlete_name,
            scopes: c.scopes,
            tokens_sealed: c.tokens.map(hex::encode),
            credentials_sealed: c.credentials.map(hex::encode),
            cursor: c.cursor,
            last_sync: c.last_sync,
            next_sync: c.next_sync,
            paused_until: c.paused_until,
            last_error: c.last_error,
            oauth_state: c.oauth_state,
            oauth_state_expires: c.oauth_state_expires,
            updated_at: c.updated_at,
        }
    }
}

/// `drop_folders.jsonl`: a member's drop-folder settings (only when set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropFolderRec {
    pub handle: String,
    pub folder: Option<String>,
    pub last_scan_at: Option<i64>,
}

/// `drop_files.jsonl`: a file version a drop-folder scan claimed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropFileRec {
    pub handle: String,
    pub path: String,
    pub size: u64,
    pub mtime_ms: i64,
    pub hash: String,
    pub claimed_at: i64,
    pub done: bool,
}

impl DropFileRec {
    /// From a stored file of `handle`.
    pub fn new(handle: &str, f: DropFile) -> Self {
        Self {
            handle: handle.to_owned(),
            path: f.path,
            size: f.size,
            mtime_ms: f.mtime_ms,
            hash: f.hash,
            claimed_at: f.claimed_at,
            done: f.done,
        }
    }

    /// The stored file.
    pub fn file(&self) -> DropFile {
        DropFile {
            path: self.path.clone(),
            size: self.size,
            mtime_ms: self.mtime_ms,
            hash: self.hash.clone(),
            claimed_at: self.claimed_at,
            done: self.done,
        }
    }
}

/// `sync_runs.jsonl`: the model's run, as the sync history API shows it.
pub type SyncRunRec = SyncRun;

/// A blob of an activity: its bytes are `blobs/<sha256>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobRef {
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
}

/// `activities.jsonl`: the record, its tracks, and references to its
/// original file and photos.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityRec {
    pub handle: String,
    pub id: String,
    pub started_at: i64,
    pub source_hash: String,
    /// As extracted (the owner's edit is in `edits.privacy`).
    pub privacy: Privacy,
    pub distance_m: Option<f64>,
    pub source: Option<String>,
    pub summary: Value,
    pub detail: Value,
    pub edits: ActivityEdits,
    pub duplicate_of: Option<String>,
    pub created_at: i64,
    pub timeseries: Option<Value>,
    pub geojson: Option<Value>,
    pub original: Option<BlobRef>,
    pub images: Vec<BlobRef>,
}

impl ActivityRec {
    /// From a stored record and its tracks (blobs added by the caller).
    pub fn new(r: ActivityRecord, t: ActivityTracks) -> Self {
        Self {
            handle: r.handle,
            id: r.id,
            started_at: r.started_at,
            source_hash: r.source_hash,
            privacy: r.privacy,
            distance_m: r.distance_m,
            source: r.source,
            summary: r.summary,
            detail: r.detail,
            edits: r.edits,
            duplicate_of: r.duplicate_of,
            created_at: r.created_at,
            timeseries: t.timeseries,
            geojson: t.geojson,
            original: None,
            images: Vec::new(),
        }
    }

    /// The record and tracks to insert.
    pub fn parts(&self) -> (ActivityRecord, ActivityTracks) {
        (
            ActivityRecord {
                handle: self.handle.clone(),
                id: self.id.clone(),
                started_at: self.started_at,
                source_hash: self.source_hash.clone(),
                privacy: self.privacy,
                distance_m: self.distance_m,
                source: self.source.clone(),
                summary: self.summary.clone(),
                detail: self.detail.clone(),
                edits: self.edits.clone(),
                duplicate_of: self.duplicate_of.clone(),
                created_at: self.created_at,
            },
            ActivityTracks {
                timeseries: self.timeseries.clone(),
                geojson: self.geojson.clone(),
            },
        )
    }
}

/// `attendees.jsonl`: an attendee with its scenarios' use state; `token`
/// is the attendee's private token (a secret: it signs them in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendeeRec {
    pub id: String,
    pub event_id: String,
    pub token: String,
    pub user_id: String,
    pub attr: Pairs,
    pub first_use: Option<i64>,
    pub role: String,
    pub scenarios: Vec<Scenario>,
}

impl From<Attendee> for AttendeeRec {
    fn from(a: Attendee) -> Self {
        Self {
            id: a.id,
            event_id: a.event_id,
            token: a.token,
            user_id: a.user_id,
            attr: a.attr,
            first_use: a.first_use,
            role: a.role,
            scenarios: a.scenarios,
        }
    }
}

impl From<AttendeeRec> for Attendee {
    fn from(a: AttendeeRec) -> Self {
        Self {
            id: a.id,
            event_id: a.event_id,
            token: a.token,
            user_id: a.user_id,
            attr: a.attr,
            first_use: a.first_use,
            role: a.role,
            scenarios: a.scenarios,
        }
    }
}

/// `announcements.jsonl`, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementRec {
    pub id: String,
    pub datetime: i64,
    pub msg_zh: Option<String>,
    pub msg_en: Option<String>,
    pub uri: Option<String>,
    pub role: Vec<String>,
}

impl From<Announcement> for AnnouncementRec {
    fn from(a: Announcement) -> Self {
        Self {
            id: a.id,
            datetime: a.datetime,
            msg_zh: a.msg_zh,
            msg_en: a.msg_en,
            uri: a.uri,
            role: a.role,
        }
    }
}

impl From<AnnouncementRec> for Announcement {
    fn from(a: AnnouncementRec) -> Self {
        Self {
            id: a.id,
            datetime: a.datetime,
            msg_zh: a.msg_zh,
            msg_en: a.msg_en,
            uri: a.uri,
            role: a.role,
        }
    }
}

/// `puzzle_counters.jsonl`: pieces in creation order, `total` last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterRec {
    pub id: String,
    pub puzzle: String,
    pub quantity: i64,
    pub currency: i64,
}

impl From<PuzzleCounter> for CounterRec {
    fn from(c: PuzzleCounter) -> Self {
        Self {
            id: c.id,
            puzzle: c.puzzle,
            quantity: c.quantity,
            currency: c.currency,
        }
    }
}

impl From<CounterRec> for PuzzleCounter {
    fn from(c: CounterRec) -> Self {
        Self {
            id: c.id,
            puzzle: c.puzzle,
            quantity: c.quantity,
            currency: c.currency,
        }
    }
}

/// `puzzle_buckets.jsonl`, by public token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketRec {
    pub id: String,
    pub attendee: String,
    pub public_token: String,
    pub puzzle: Vec<String>,
    pub deliverer: Vec<DelivererStamp>,
    pub valid: Option<i64>,
    pub coupon: Option<i64>,
}

impl From<PuzzleBucket> for BucketRec {
    fn from(b: PuzzleBucket) -> Self {
        Self {
            id: b.id,
            attendee: b.attendee,
            public_token: b.public_token,
            puzzle: b.puzzle,
            deliverer: b.deliverer,
            valid: b.valid,
            coupon: b.coupon,
        }
    }
}

impl From<BucketRec> for PuzzleBucket {
    fn from(b: BucketRec) -> Self {
        Self {
            id: b.id,
            attendee: b.attendee,
            public_token: b.public_token,
            puzzle: b.puzzle,
            deliverer: b.deliverer,
            valid: b.valid,
            coupon: b.coupon,
        }
    }
}

/// `audit.jsonl`: the event audit log, oldest first.
pub type AuditRec = AuditEntry;
