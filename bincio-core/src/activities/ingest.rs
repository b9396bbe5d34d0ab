//! Ingesting an uploaded activity file into the store: limits, dedup (exact
//! by hash, near by start time and distance), extraction off the async
//! executor, id collisions, the original kept on request.
//!
//! Stored documents are extracted with `public` privacy, i.e. complete: the
//! privacy the owner chose is applied on the way out (see [`super::privacy`]),
//! so changing it later never needs a re-extraction and never loses data.

use serde::Serialize;

use super::{not_found, Activities, DetailDoc, GeoJsonDoc, TimeseriesDoc};
use crate::error::{CoreError, CoreResult};
use crate::extract::dedup::{DedupIndex, DedupRecord, NearDup};
use crate::extract::{self, ids, Limits, Options};
use crate::model::{ActivityEdits, ActivityRecord, ActivityTracks, Blob, Privacy, User};
use crate::store::InsertOutcome;

/// Largest uploaded activity file as sent (compressed or not), bytes. Its
/// content after decompression is bounded by the per-format limits of
/// [`Limits`] (GPX / TCX 128 MiB, FIT 64 MiB).
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

/// How to ingest one file.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Re-extract over an existing activity with the same id or file.
    pub overwrite: bool,
    /// Keep the original file in the store.
    pub store_original: bool,
    /// Privacy chosen at upload (`None` = public).
    pub privacy: Option<Privacy>,
    /// Title to set (e.g. from a Strava `activities.csv`).
    pub title: Option<String>,
    /// Description to set.
    pub description: Option<String>,
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum IngestStatus {
    /// Stored as a new activity.
    Imported {
        /// Its id.
        id: String,
    },
    /// Replaced an existing activity (overwrite).
    Overwritten {
        /// Its id.
        id: String,
    },
    /// The same file is stored already.
    Duplicate {
        /// The existing activity.
        id: String,
    },
    /// Stored, but another recording of the same outing (better or equal
    /// source) exists: this one is unlisted and marked `duplicate_of`.
    NearDuplicate {
        /// This activity.
        id: String,
        /// The one it duplicates.
        duplicate_of: String,
    },
}

impl IngestStatus {
    /// The activity id concerned.
    pub fn id(&self) -> &str {
        match self {
            Self::Imported { id } | Self::Overwritten { id } | Self::Duplicate { id } => id,
            Self::NearDuplicate { id, .. } => id,
        }
    }
}

/// One ingested file with its stored documents as the owner sees them
/// ([`Activities::ingest_with_documents`]).
#[derive(Debug, Clone)]
pub struct Ingested {
    /// What happened.
    pub status: IngestStatus,
    /// The detail document.
    pub detail: DetailDoc,
    /// The timeseries, if the file had one.
    pub timeseries: Option<TimeseriesDoc>,
    /// The GeoJSON track, if the file had one.
    pub geojson: Option<GeoJsonDoc>,
}

/// The base name of an uploaded file, refusing anything that is not a plain
/// supported file name.
pub fn upload_name(name: &str) -> CoreResult<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty()
        || base.starts_with('.')
        || base.len() > 255
        || base.chars().any(char::is_control)
    {
        return Err(CoreError::invalid(format!("invalid file name {name:?}")));
    }
    if !extract::is_supported_name(base) {
        return Err(CoreError::invalid(format!(
            "{base}: unsupported file type (expected .gpx, .tcx or .fit, optionally .gz)"
        )));
    }
    Ok(base.to_owned())
}

/// What the near-duplicate rule ([`DedupIndex::near_duplicate`]) makes of
/// a new recording of an outing, for the store and the static tree alike.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Placement {
    /// An existing recording at least as good: the new one is kept
    /// reachable but never listed, with `duplicate_of` naming that one.
    pub duplicate_of: Option<String>,
    /// A worse existing recording: it gets `duplicate_of` = the new one and
    /// leaves the listings.
    pub supersedes: Option<String>,
}

/// The rule of [`Placement`].
pub(crate) fn placement(decision: NearDup) -> Placement {
    match decision {
        NearDup::None => Placement::default(),
        NearDup::ExistingWins(winner) => Placement {
            duplicate_of: Some(winner),
            supersedes: None,
        },
        NearDup::NewWins(loser) => Placement {
            duplicate_of: None,
            supersedes: Some(loser),
        },
    }
}

fn to_value<T: Serialize>(v: &T) -> CoreResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| CoreError::Internal(format!("serialising BAS: {e}")))
}

/// An extracted activity's stored documents, encoded once, on the CPU slot
/// that extracted it. They carry the activity's id: after
/// [`extract::Activity::set_id`] (overwrite, id collision: rare) they are
/// encoded again.
pub(crate) struct Encoded {
    summary: serde_json::Value,
    detail: serde_json::Value,
    tracks: ActivityTracks,
}

impl Encoded {
    fn new(a: &extract::Activity) -> CoreResult<Self> {
        Ok(Self {
            summary: to_value(&a.summary())?,
            detail: to_value(&a.detail)?,
            tracks: ActivityTracks {
                timeseries: a.timeseries.as_ref().map(to_value).transpose()?,
                geojson: a.geojson.as_ref().map(to_value).transpose()?,
            },
        })
    }
}

impl Activities {
    /// Ingest one uploaded file for `owner`.
    #[tracing::instrument(skip_all, fields(handle = %owner.handle, file = %name, bytes = bytes.len()))]
    pub async fn ingest(
        &self,
        owner: &User,
        name: &str,
        bytes: Vec<u8>,
        opts: IngestOptions,
    ) -> CoreResult<IngestStatus> {
        let name = upload_name(name)?;
        if bytes.len() > MAX_UPLOAD_BYTES {
            return Err(CoreError::TooLarge(format!(
                "{name}: file larger than 50 MiB"
            )));
        }
        let handle = owner.handle.clone();
        let hash = extract::source_hash(&bytes);
        let existing = self.store.find_by_hash(&handle, &hash).await?;
        if let Some(id) = &existing {
            if !opts.overwrite {
                return Ok(IngestStatus::Duplicate { id: id.clone() });
            }
        }
        let limits = Limits {
            max_input_bytes: MAX_UPLOAD_BYTES,
            now: Some(self.clock.now()),
            ..Limits::default()
        };
        // One slot per core: concurrent uploads do not multiply the memory
        // and CPU of decompression and parsing (see `cpu_slots`). The
        // documents are encoded there too, off the async executor.
        let slot_hash = hash.clone();
        let (activity, encoded, started_at, name, bytes) = self
            .cpu
            .run("extraction", move || {
                let parsed = extract::parse_bytes_hashed(&name, &bytes, slot_hash, &limits)?;
                let started_at = parsed.started_at.timestamp();
                let a = extract::compute(
                    &parsed,
                    &Options {
                        privacy: extract::Privacy::Public,
                        ..Options::default()
                    },
                );
                let encoded = Encoded::new(&a);
                Ok::<_, extract::ExtractError>((a, encoded, started_at, name, bytes))
            })
            .await?
            .map_err(|e| CoreError::invalid(e.to_string()))?;
        let edits = ActivityEdits {
            title: opts.title.clone(),
            description: opts.description.clone(),
            privacy: opts.privacy,
            ..ActivityEdits::default()
        };
        let original = opts.store_original.then(|| Blob {
            name,
            content_type: "application/octet-stream".into(),
            bytes,
        });
        self.store_extracted(
            &handle,
            Extracted {
                activity,
                started_at,
                hash,
                existing,
                edits,
                overwrite: opts.overwrite,
                privacy: Privacy::Public,
                original,
                encoded: Some(encoded?),
            },
        )
        .await
    }

    /// Store an extracted activity: near-duplicates among what `handle`
    /// already has, insert (or replace with `overwrite`), the id-collision
    /// rule, the original, the change notice. The one path of files and
    /// of activities synced from elsewhere ([`crate::sync`]).
    pub(crate) async fn store_extracted(
        &self,
        handle: &str,
        x: Extracted,
    ) -> CoreResult<IngestStatus> {
        let Extracted {
            mut activity,
            started_at,
            hash,
            existing,
            edits,
            overwrite,
            privacy,
            original,
            encoded,
        } = x;
        let encoded = match encoded {
            Some(e) => e,
            None => Encoded::new(&activity)?,
        };
        let handle = handle.to_owned();
        // Near-duplicates among what the owner already has.
        let near = self
            .store
            .find_near(&handle, started_at, extract::dedup::NEAR_WINDOW_S)
            .await?;
        let index = DedupIndex::from_records(
            near.iter()
                .filter(|r| Some(&r.id) != existing.as_ref())
                .map(|r| DedupRecord {
                    id: r.id.clone(),
                    source_hash: r.source_hash.clone(),
                    started_at: r.started_at,
                    distance_m: r.distance_m,
                    source: r.source.clone(),
                    duplicate_of: r.duplicate_of.clone(),
                })
                .collect(),
        );
        let place = placement(index.near_duplicate(
            started_at,
            activity.detail.distance_m,
            activity.detail.source.as_deref(),
        ));

        // A worse (or equal) recording of an outing already stored: keep it
        // reachable, never listed (a private one stays private).
        let duplicate_of = place.duplicate_of.clone();
        let extracted_privacy = match (&duplicate_of, privacy) {
            (Some(_), Privacy::Private) => Privacy::Private,
            (Some(_), _) => Privacy::Unlisted,
            (None, p) => p,
        };

        let make = |activity: &extract::Activity,
                    docs: Encoded,
                    edits: ActivityEdits|
         -> (ActivityRecord, ActivityTracks) {
            let mut detail = docs.detail;
            detail["duplicate_of"] = serde_json::json!(duplicate_of);
            (
                ActivityRecord {
                    handle: handle.clone(),
                    id: activity.detail.id.clone(),
                    started_at,
                    source_hash: hash.clone(),
                    privacy: extracted_privacy,
                    distance_m: activity.detail.distance_m,
                    source: activity.detail.source.clone(),
                    summary: docs.summary,
                    detail,
                    edits,
                    duplicate_of: duplicate_of.clone(),
                    created_at: self.clock.unix(),
                },
                docs.tracks,
            )
        };

        let status = if let (Some(id), true) = (&existing, overwrite) {
            // Same file again with overwrite: re-extract in place, edits kept.
            activity.set_id(id);
            let (rec, tracks) = make(&activity, Encoded::new(&activity)?, edits);
            if !self.store.replace_activity(rec, tracks).await? {
                return Err(not_found());
            }
            IngestStatus::Overwritten { id: id.clone() }
        } else {
            let (rec, tracks) = make(&activity, encoded, edits.clone());
            match self.store.insert_activity(rec, tracks).await? {
                InsertOutcome::Inserted => inserted(&activity.detail.id, &place),
                InsertOutcome::DuplicateHash(id) => IngestStatus::Duplicate { id },
                InsertOutcome::IdTaken if overwrite => {
                    let id = activity.detail.id.clone();
                    let (rec, tracks) = make(&activity, Encoded::new(&activity)?, edits);
                    self.store.replace_activity(rec, tracks).await?;
                    IngestStatus::Overwritten { id }
                }
                InsertOutcome::IdTaken => {
                    // Another file produced the same id (same start second):
                    // the contract's collision rule suffixes the hash.
                    let id = ids::collision_id(&activity.detail.id, &hash);
                    activity.set_id(&id);
                    let (rec, tracks) = make(&activity, Encoded::new(&activity)?, edits);
                    match self.store.insert_activity(rec, tracks).await? {
                        InsertOutcome::Inserted => inserted(&id, &place),
                        InsertOutcome::DuplicateHash(id) => IngestStatus::Duplicate { id },
                        InsertOutcome::IdTaken => {
                            return Err(CoreError::Conflict(format!("activity id {id} is taken")))
                        }
                    }
                }
            }
        };
        if let Some(loser) = &place.supersedes {
            if matches!(status, IngestStatus::Imported { .. }) {
                self.store
                    .set_duplicate_of(&handle, loser, Some(status.id()))
                    .await?;
            }
        }
        if let Some(blob) = original {
            if !matches!(status, IngestStatus::Duplicate { .. }) {
                self.store.put_original(&handle, status.id(), blob).await?;
            }
        }
        if !matches!(status, IngestStatus::Duplicate { .. }) {
            self.changed(&handle);
        }
        Ok(status)
    }

    /// Ingest one file and hand back the owner's documents of the activity
    /// it became (or already was): what a mobile client that uploads one
    /// file at a time needs.
    #[tracing::instrument(skip_all, fields(handle = %owner.handle, file = %name))]
    pub async fn ingest_with_documents(
        &self,
        owner: &User,
        name: &str,
        bytes: Vec<u8>,
        opts: IngestOptions,
    ) -> CoreResult<Ingested> {
        let status = self.ingest(owner, name, bytes, opts).await?;
        let (me, id) = (Some(owner), status.id().to_owned());
        Ok(Ingested {
            detail: self.detail(me, &owner.handle, &id).await?,
            timeseries: self.timeseries(me, &owner.handle, &id).await.ok(),
            geojson: self.geojson(me, &owner.handle, &id).await.ok(),
            status,
        })
    }
}

/// An extracted activity on its way into the store
/// ([`Activities::store_extracted`]).
pub(crate) struct Extracted {
    /// The documents.
    pub activity: extract::Activity,
    /// Start (Unix s).
    pub started_at: i64,
    /// The dedup key (a file's hash; `sha256("strava:{id}")` for Strava).
    pub hash: String,
    /// The activity stored with this hash, if any.
    pub existing: Option<String>,
    /// Edits to set on a new activity.
    pub edits: ActivityEdits,
    /// Replace `existing` (or a same-id activity) instead of reporting it.
    pub overwrite: bool,
    /// The extracted privacy (public for files; what the source says for
    /// synced activities).
    pub privacy: Privacy,
    /// The original to keep, if asked.
    pub original: Option<Blob>,
    /// The stored documents, when already encoded (an upload encodes them
    /// on its CPU slot); `None` encodes them here.
    pub encoded: Option<Encoded>,
}

/// The status of a newly inserted activity.
fn inserted(id: &str, place: &Placement) -> IngestStatus {
    match &place.duplicate_of {
        Some(w) => IngestStatus::NearDuplicate {
            id: id.to_owned(),
            duplicate_of: w.clone(),
        },
        None => IngestStatus::Imported { id: id.to_owned() },
    }
}
