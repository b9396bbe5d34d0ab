//! The activities service: reading (with privacy enforced for everyone but
//! the owner), editing, deleting, photos, feeds and storage accounting.
//!
//! Rules:
//! * a private instance (setting `private`, default true) serves nothing to
//!   anonymous viewers (401);
//! * an activity that is `private` — or does not exist — is 404 for anyone
//!   but its owner (no existence oracle);
//! * `unlisted` is readable by id but never listed in a feed;
//! * edits keep every field they do not mention.

pub mod athlete;
pub mod athlete_config;
pub mod bas_upload;
pub mod batch;
pub mod calendar;
mod cpu_slots;
pub mod dem;
pub mod documents;
pub mod elevation;
pub mod export;
pub mod feed_filter;
pub mod garmin_export;
pub mod ingest;
pub mod leaderboard;
pub mod live;
mod read_cache;
/// The privacy cut of BAS documents (lives in `bincio-extract`).
pub use crate::extract::privacy;
pub mod render;
pub mod render_worker;
pub mod sniff;
pub mod stats;
pub mod strava_zip;
pub mod synced;
pub mod tree_ingest;
pub mod view;

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::accounts::settings::InstanceSettings;
use crate::clock::Clock;
use crate::error::{CoreError, CoreResult};
use crate::model::{ActivityEdits, ActivityRecord, Blob, FeedCursor, Privacy, StorageUsage, User};
use crate::store::{ActivityStore, FeedQuery, StoreError, SummaryQuery, UserStore};
use crate::validate;
pub use athlete::SeasonCurve;
pub use athlete_config::AthletePage;
pub use documents::{
    AthleteDoc, DetailDoc, FeedDoc, GeoJsonDoc, IndexDoc, ManifestDoc, SummaryDoc, TimeseriesDoc,
};
pub use feed_filter::{FeedFacets, FeedFilter};
pub use leaderboard::{Leaderboard, LeaderboardRow, Period};
pub use stats::{DayActivity, MemberStats, SportTotals, StatsDay, Totals, YearStats};

/// Largest feed page.
pub const MAX_PAGE: usize = 200;

/// A page of a feed (`GET /api/feed`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedPage {
    /// Summaries, newest first, as the viewer may see them (each with its
    /// owner's `handle`).
    pub activities: Vec<SummaryDoc>,
    /// Cursor for the next page (`started_at:id`), if any.
    pub next: Option<String>,
}

/// Storage used by one handle ([`Activities::storage_report`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserStorage {
    /// The handle.
    pub handle: String,
    /// Whether an account with this handle exists.
    pub in_db: bool,
    /// Bytes used.
    pub usage: StorageUsage,
}

/// An owner's edit request; absent fields are left as they are.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    /// Title (≤ 200 chars).
    pub title: Option<String>,
    /// Description (≤ 20 000 chars).
    pub description: Option<String>,
    /// Sport.
    pub sport: Option<String>,
    /// Gear.
    pub gear: Option<String>,
    /// Highlight.
    pub highlight: Option<bool>,
    /// Legacy flag of the contract: true ⇒ unlisted, false ⇒ public.
    pub private: Option<bool>,
    /// Privacy by name.
    pub privacy: Option<String>,
    /// Stats to hide.
    pub hide_stats: Option<Vec<String>>,
}

/// The sports an activity may have (edits and filters are checked
/// against it), in the order menus list them.
pub const SPORTS: &[&str] = &[
    "cycling", "running", "hiking", "walking", "swimming", "skiing", "other",
];

/// `sport` as one of [`SPORTS`]: itself when known, else `"other"` (also
/// for a missing sport).
pub fn known_sport(sport: Option<&str>) -> &'static str {
    let s = sport.unwrap_or("other");
    SPORTS.iter().copied().find(|k| *k == s).unwrap_or("other")
}

/// The sport in force of a record: the owner's edit, else the extracted
/// one, as one of [`SPORTS`] (the same for every viewer: a public summary
/// carries the edited sport too).
pub fn effective_sport(rec: &ActivityRecord) -> &'static str {
    known_sport(
        rec.edits
            .sport
            .as_deref()
            .or_else(|| rec.summary.get("sport").and_then(Value::as_str)),
    )
}

impl EditRequest {
    fn into_edits(self) -> CoreResult<ActivityEdits> {
        let too_long = |f: &str, s: &Option<String>, n: usize| -> CoreResult<()> {
            match s {
                Some(v) if v.chars().count() > n => {
                    Err(CoreError::invalid(format!("{f} is too long (max {n})")))
                }
                _ => Ok(()),
            }
        };
        too_long("title", &self.title, 200)?;
        too_long("description", &self.description, 20_000)?;
        too_long("gear", &self.gear, 200)?;
        if let Some(s) = &self.sport {
            if !SPORTS.contains(&s.as_str()) {
                return Err(CoreError::invalid(format!("unknown sport {s:?}")));
            }
        }
        let privacy = match (&self.privacy, self.private) {
            (Some(p), _) => Some(
                Privacy::parse(p)
                    .ok_or_else(|| CoreError::invalid(format!("unknown privacy {p:?}")))?,
            ),
            (None, Some(true)) => Some(Privacy::Unlisted),
            (None, Some(false)) => Some(Privacy::Public),
            (None, None) => None,
        };
        if let Some(hs) = &self.hide_stats {
            if let Some(bad) = hs.iter().find(|s| !view::is_hideable(s)) {
                return Err(CoreError::invalid(format!(
                    "unknown stat {bad:?} in hide_stats"
                )));
            }
        }
        Ok(ActivityEdits {
            title: self.title,
            description: self.description,
            sport: self.sport,
            gear: self.gear,
            highlight: self.highlight,
            hide_stats: self.hide_stats,
            privacy,
        })
    }
}

/// Called with a handle after that user's activities changed.
pub type ChangeListener = Arc<dyn Fn(&str) + Send + Sync>;

/// The activities service.
#[derive(Clone)]
pub struct Activities {
    store: Arc<dyn ActivityStore>,
    users: Arc<dyn UserStore>,
    clock: Arc<dyn Clock>,
    listener: Option<ChangeListener>,
    /// DEM service for elevation correction; `None` ⇒ the DEM
    /// recalculation answers `Unavailable` (503).
    elevation: Option<Arc<dyn dem::ElevationSource>>,
    /// Bounds concurrent decompression and parsing (shared by clones).
    cpu: cpu_slots::CpuSlots,
    /// Members' activities as seen, per change (shared by clones).
    seen: Arc<read_cache::ReadCache>,
}

/// Every record of `handle` (listed ones only if asked), newest first, at
/// most `max` (rounded up to a store page): the paged walk the render, the
/// live indexes and `athlete.json` share.
pub(crate) async fn owner_records(
    store: &Arc<dyn ActivityStore>,
    handle: &str,
    listed_only: bool,
    max: usize,
) -> CoreResult<Vec<ActivityRecord>> {
    const PAGE: usize = 1000;
    let mut out = Vec::new();
    let mut cursor: Option<FeedCursor> = None;
    loop {
        let page = store
            .feed(FeedQuery {
                handle: Some(handle.to_owned()),
                listed_only,
                before: cursor.take(),
                limit: PAGE,
            })
            .await?;
        let full = page.len() == PAGE;
        cursor = page.last().map(|r| FeedCursor {
            started_at: r.started_at,
            id: r.id.clone(),
        });
        out.extend(page);
        if !full || out.len() >= max {
            return Ok(out);
        }
    }
}

/// Records matching `q` (its `before` and `limit` are the walk's own)
/// through the light store read (no detail), newest first, at most `max`;
/// with whether more were left out.
pub(crate) async fn light_records(
    store: &Arc<dyn ActivityStore>,
    q: SummaryQuery,
    max: usize,
) -> CoreResult<(Vec<ActivityRecord>, bool)> {
    const PAGE: usize = 2000;
    let mut out: Vec<ActivityRecord> = Vec::new();
    let mut before = None;
    loop {
        // One more than `max` in all, to know whether any were left out.
        let want = PAGE.min(max.saturating_add(1).saturating_sub(out.len()));
        let page = store
            .summaries(SummaryQuery {
                before,
                limit: want,
                ..q.clone()
            })
            .await?;
        let full = page.len() == want;
        before = page.last().map(|r| FeedCursor {
            started_at: r.started_at,
            id: r.id.clone(),
        });
        out.extend(page);
        if !full || out.len() > max {
            let truncated = out.len() > max;
            out.truncate(max);
            return Ok((out, truncated));
        }
    }
}

/// A summary in a feed: the owner's own view, or the public one.
pub(crate) fn feed_summary(r: &ActivityRecord, owner: bool) -> Value {
    if owner {
        view::overlay(r, &r.summary, &[])
    } else {
        // Blurred previews need the track; summaries carry their own
        // preview, which is cut by the kept-bounds rule.
        view::public_doc(r, &r.summary, &[], None)
    }
}

pub(crate) fn not_found() -> CoreError {
    CoreError::NotFound("Activity not found".into())
}

fn image_not_found() -> CoreError {
    CoreError::NotFound("Image not found".into())
}

/// What the activity page shows ([`Activities::view`]).
#[derive(Debug, Clone)]
pub struct ActivityView {
    /// The detail as the viewer may see it.
    pub detail: DetailDoc,
    /// The track, when the viewer may see one.
    pub geojson: Option<GeoJsonDoc>,
    /// The timeseries, cut for the viewer.
    pub timeseries: Option<TimeseriesDoc>,
}

/// The detail: the owner's overlay, or the public cut (privacy over the
/// track's coordinates, hidden stats).
fn detail_as_seen(
    rec: &ActivityRecord,
    owner: bool,
    images: &[String],
    geojson: Option<&Value>,
) -> DetailDoc {
    if owner {
        return DetailDoc(view::overlay(rec, &rec.detail, images));
    }
    let coords = geojson.and_then(|g| g.pointer("/geometry/coordinates"));
    DetailDoc(view::public_doc(rec, &rec.detail, images, coords))
}

/// The track: whole for the owner, cut by privacy for anyone else (`None`
/// when nothing may be shown).
fn geojson_as_seen(rec: &ActivityRecord, owner: bool, geo: Value) -> Option<GeoJsonDoc> {
    if owner {
        return Some(GeoJsonDoc(geo));
    }
    privacy::cut_geojson(&geo, rec.effective_privacy()).map(GeoJsonDoc)
}

/// The timeseries: whole for the owner; for anyone else cut by privacy
/// and with hidden series nulled (`None` when nothing may be shown).
fn timeseries_as_seen(rec: &ActivityRecord, owner: bool, ts: Value) -> Option<TimeseriesDoc> {
    if owner {
        return Some(TimeseriesDoc(ts));
    }
    let mut ts = privacy::cut_timeseries(&ts, rec.effective_privacy())?;
    if let Some(h) = &rec.edits.hide_stats {
        view::hide_series(&mut ts, h);
    }
    Some(TimeseriesDoc(ts))
}

/// Parse a `started_at:id` feed cursor.
pub fn parse_cursor(s: &str) -> CoreResult<FeedCursor> {
    let (t, id) = s
        .split_once(':')
        .ok_or_else(|| CoreError::invalid("bad cursor"))?;
    let started_at = t.parse().map_err(|_| CoreError::invalid("bad cursor"))?;
    validate::activity_id(id)?;
    Ok(FeedCursor {
        started_at,
        id: id.to_owned(),
    })
}

impl Activities {
    /// A service over the stores.
    pub fn new(
        store: Arc<dyn ActivityStore>,
        users: Arc<dyn UserStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            users,
            clock,
            listener: None,
            elevation: None,
            cpu: cpu_slots::CpuSlots::per_core(),
            seen: Arc::default(),
        }
    }

    /// Use `source` for DEM elevation correction
    /// ([`Activities::recalculate_elevation_dem`]).
    pub fn with_elevation_source(mut self, source: Arc<dyn dem::ElevationSource>) -> Self {
        self.elevation = Some(source);
        self
    }

    /// Call `listener` after every write to a user's activities (e.g. to
    /// re-render a static tree).
    pub fn with_change_listener(mut self, listener: ChangeListener) -> Self {
        self.listener = Some(listener);
        self
    }

    pub(crate) fn changed(&self, handle: &str) {
        if let Some(l) = &self.listener {
            l(handle);
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn ActivityStore> {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// How many files a batch should ingest at once to keep every core
    /// busy: the CPU slots (one per core). More would only wait for a slot
    /// while holding its bytes.
    pub fn parallelism(&self) -> usize {
        self.cpu.count()
    }

    async fn settings(&self) -> CoreResult<InstanceSettings> {
        InstanceSettings::from_map(&self.users.list_settings().await?)
    }

    /// 401 for anonymous viewers of a private instance.
    pub async fn check_instance_access(&self, viewer: Option<&User>) -> CoreResult<()> {
        if viewer.is_none() && self.settings().await?.private {
            return Err(CoreError::Unauthorized("Not authenticated".into()));
        }
        Ok(())
    }

    /// The record if `viewer` may read it, with whether the viewer owns it.
    async fn readable(
        &self,
        viewer: Option<&User>,
        handle: &str,
        id: &str,
    ) -> CoreResult<(ActivityRecord, bool)> {
        self.check_instance_access(viewer).await?;
        if !validate::is_valid_handle(handle) {
            return Err(not_found());
        }
        validate::activity_id(id)?;
        let rec = self
            .store
            .get_activity(handle, id)
            .await?
            .ok_or_else(not_found)?;
        let owner = viewer.is_some_and(|u| u.handle == handle);
        if !owner && !rec.effective_privacy().is_shared() {
            return Err(not_found());
        }
        Ok((rec, owner))
    }

    /// The detail document of `handle`'s activity `id` as `viewer` may see it.
    #[tracing::instrument(level = "debug", skip_all, fields(handle = %handle, id = %id))]
    pub async fn detail(
        &self,
        viewer: Option<&User>,
        handle: &str,
        id: &str,
    ) -> CoreResult<DetailDoc> {
        let (rec, owner) = self.readable(viewer, handle, id).await?;
        let images = self.store.list_images(handle, id).await?;
        if owner {
            return Ok(DetailDoc(view::overlay(&rec, &rec.detail, &images)));
        }
        // Only the track is needed for the cut: leave the timeseries text
        // unparsed (it is most of the bytes).
        let geojson = match self.store.get_tracks_raw(handle, id).await? {
            Some(raw) => raw
                .geojson
                .map(|g| serde_json::from_str::<Value>(&g))
                .transpose()
                .map_err(|e| CoreError::Internal(format!("stored track: {e}")))?,
            None => None,
        };
        Ok(detail_as_seen(&rec, false, &images, geojson.as_ref()))
    }

    /// A number that changes whenever anything any viewer sees of
    /// `handle`'s activities changes (the store's activity generation):
    /// for callers that keep what they computed from those documents.
    pub async fn generation(&self, handle: &str) -> CoreResult<u64> {
        read_cache::generation_of(&self.store, Some(handle)).await
    }

    /// Everything the activity page shows of `handle`'s activity `id`, as
    /// `viewer` may see it, in one read of the tracks: the same documents
    /// as [`Self::detail`], [`Self::geojson`] and [`Self::timeseries`]
    /// (`None` where those answer "no track" / "no timeseries"), by the
    /// same rules.
    #[tracing::instrument(level = "debug", skip_all, fields(handle = %handle, id = %id))]
    pub async fn view(
        &self,
        viewer: Option<&User>,
        handle: &str,
        id: &str,
    ) -> CoreResult<ActivityView> {
        let (rec, owner) = self.readable(viewer, handle, id).await?;
        let images = self.store.list_images(handle, id).await?;
        let tracks = self.store.get_tracks(handle, id).await?.unwrap_or_default();
        let detail = detail_as_seen(&rec, owner, &images, tracks.geojson.as_ref());
        Ok(ActivityView {
            detail,
            geojson: tracks.geojson.and_then(|g| geojson_as_seen(&rec, owner, g)),
            timeseries: tracks
                .timeseries
                .and_then(|t| timeseries_as_seen(&rec, owner, t)),
        })
    }

    /// The GeoJSON track as `viewer` may see it (404 when none may be shown).
    #[tracing::instrument(level = "debug", skip_all, fields(handle = %handle, id = %id))]
    pub async fn geojson(
        &self,
        viewer: Option<&User>,
        handle: &str,
        id: &str,
    ) -> CoreResult<GeoJsonDoc> {
        let (rec, owner) = self.readable(viewer, handle, id).await?;
        let no_track = || CoreError::NotFound("No track for this activity".into());
        let geo = self
            .store
            .get_tracks(handle, id)
            .await?
            .and_then(|t| t.geojson)
            .ok_or_else(no_track)?;
        geojson_as_seen(&rec, owner, geo).ok_or_else(no_track)
    }

    /// The timeseries as `viewer` may see it.
    #[tracing::instrument(level = "debug", skip_all, fields(handle = %handle, id = %id))]
    pub async fn timeseries(
        &self,
        viewer: Option<&User>,
        handle: &str,
        id: &str,
    ) -> CoreResult<TimeseriesDoc> {
        let (rec, owner) = self.readable(viewer, handle, id).await?;
        let ts = self
            .store
            .get_tracks(handle, id)
            .await?
            .and_then(|t| t.timeseries)
            .ok_or_else(|| CoreError::NotFound("No timeseries for this activity".into()))?;
        timeseries_as_seen(&rec, owner, ts).ok_or_else(not_found)
    }

    /// Apply an owner's edit; returns the new detail (owner's view).
    #[tracing::instrument(skip_all, fields(handle = %owner.handle, id = %id))]
    pub async fn edit(&self, owner: &User, id: &str, req: EditRequest) -> CoreResult<DetailDoc> {
        validate::activity_id(id)?;
        let edits = req.into_edits()?;
        self.store
            .patch_edits(&owner.handle, id, edits)
            .await?
            .ok_or_else(not_found)?;
        self.changed(&owner.handle);
        self.detail(Some(owner), &owner.handle, id).await
    }

    /// Delete one of the owner's activities (with tracks, photos, original).
    #[tracing::instrument(skip_all, fields(handle = %owner.handle, id = %id))]
    pub async fn delete(&self, owner: &User, id: &str) -> CoreResult<()> {
        validate::activity_id(id)?;
        if !self.store.delete_activity(&owner.handle, id).await? {
            return Err(not_found());
        }
        self.changed(&owner.handle);
        Ok(())
    }

    /// Delete every activity of `handle`; returns how many. The athlete
    /// config belongs to the account and is kept (the computed
    /// `athlete.json` simply has no activities left); it goes with the
    /// account (`DELETE /api/me`).
    #[tracing::instrument(skip_all, fields(handle = %handle))]
    pub async fn delete_all(&self, handle: &str) -> CoreResult<u64> {
        let n = self.store.delete_user_activities(handle).await?;
        self.changed(handle);
        Ok(n)
    }

    /// The owner wipes their own activities (`DELETE /api/me/activities`):
    /// only after re-entering their password (401 `Wrong password`).
    /// Returns how many were deleted.
    #[tracing::instrument(skip_all, fields(handle = %owner.handle))]
    pub async fn delete_all_mine(&self, owner: &User, password: &str) -> CoreResult<u64> {
        self.accounts().confirm_password(owner, password).await?;
        self.delete_all(&owner.handle).await
    }

    /// An admin wipes a member's activities: 403 unless `admin` is an
    /// admin, 404 `User not found` for a handle without an account.
    #[tracing::instrument(skip_all, fields(admin = %admin.handle, handle = %handle))]
    pub async fn delete_member_activities(&self, admin: &User, handle: &str) -> CoreResult<u64> {
        if !admin.is_admin() {
            return Err(CoreError::Forbidden("Admin required".into()));
        }
        self.accounts().require_user(handle).await?;
        self.delete_all(handle).await
    }

    /// The accounts rules over the same user store (password checks).
    fn accounts(&self) -> crate::accounts::Accounts {
        crate::accounts::Accounts::new(self.users.clone(), self.clock.clone())
    }

    /// A feed page: `handle`'s activities (all of them for the owner, listed
    /// ones for others), or every user's listed activities. A valid handle
    /// without activities (or without an account) is an empty page; the
    /// pages use [`Self::feed_filtered`], which also narrows by sport and
    /// year. Reads summaries only (the light store read).
    #[tracing::instrument(level = "debug", skip_all, fields(handle = ?handle))]
    pub async fn feed(
        &self,
        viewer: Option<&User>,
        handle: Option<&str>,
        cursor: Option<FeedCursor>,
        limit: usize,
    ) -> CoreResult<FeedPage> {
        self.check_instance_access(viewer).await?;
        if let Some(h) = handle {
            if !validate::is_valid_handle(h) {
                return Err(CoreError::NotFound("User not found".into()));
            }
        }
        let owner = matches!((viewer, handle), (Some(u), Some(h)) if u.handle == h);
        self.feed_page(
            owner,
            handle,
            &feed_filter::FeedFilter::default(),
            cursor,
            limit,
        )
        .await
    }

    /// Store a photo for one of the owner's activities. The type is sniffed
    /// from the bytes (JPEG, PNG, GIF, WebP only) and the name generated.
    #[tracing::instrument(skip_all, fields(handle = %owner.handle, id = %id, bytes = bytes.len()))]
    pub async fn add_image(&self, owner: &User, id: &str, bytes: Vec<u8>) -> CoreResult<String> {
        validate::activity_id(id)?;
        if bytes.len() > sniff::MAX_IMAGE_BYTES {
            return Err(CoreError::TooLarge("Image too large (max 10 MiB)".into()));
        }
        let ty = sniff::sniff_image(&bytes).ok_or_else(|| {
            CoreError::invalid("Unsupported image type (JPEG, PNG, WebP or GIF only)")
        })?;
        for _ in 0..4 {
            let name = format!("{}.{}", hex::encode(rand::random::<[u8; 8]>()), ty.ext);
            let blob = Blob {
                name: name.clone(),
                content_type: ty.mime.to_owned(),
                bytes: bytes.clone(),
            };
            match self.store.put_image(&owner.handle, id, blob).await {
                Ok(()) => {
                    self.changed(&owner.handle);
                    return Ok(name);
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(StoreError::NotFound(_)) => return Err(not_found()),
                Err(e) => return Err(e.into()),
            }
        }
        Err(CoreError::Internal("could not name the image".into()))
    }

    /// Photo names of an activity `viewer` may read.
    pub async fn images(
        &self,
        viewer: Option<&User>,
        handle: &str,
        id: &str,
    ) -> CoreResult<Vec<String>> {
        self.readable(viewer, handle, id).await?;
        Ok(self.store.list_images(handle, id).await?)
    }

    /// One photo of an activity `viewer` may read.
    pub async fn image(
        &self,
        viewer: Option<&User>,
        handle: &str,
        id: &str,
        name: &str,
    ) -> CoreResult<Blob> {
        if !sniff::is_image_name(name) {
            return Err(image_not_found());
        }
        self.readable(viewer, handle, id).await?;
        self.store
            .get_image(handle, id, name)
            .await?
            .ok_or_else(image_not_found)
    }

    /// Delete one of the owner's photos. A photo that is not there (never
    /// was, already deleted, a name no upload can have, or another user's
    /// activity) is `NotFound`: unlike the original's always-`{ok}`, a
    /// client learns that nothing was deleted.
    #[tracing::instrument(skip_all, fields(handle = %owner.handle, id = %id, name = %name))]
    pub async fn delete_image(&self, owner: &User, id: &str, name: &str) -> CoreResult<()> {
        validate::activity_id(id)?;
        if !sniff::is_image_name(name) || !self.store.delete_image(&owner.handle, id, name).await? {
            return Err(image_not_found());
        }
        self.changed(&owner.handle);
        Ok(())
    }

    /// Bytes used by a user.
    pub async fn storage(&self, handle: &str) -> CoreResult<StorageUsage> {
        Ok(self.store.storage_usage(handle).await?)
    }

    /// Storage used per handle, for the admin disk report: every account,
    /// plus any handle that still owns activities without an account
    /// (`in_db: false`, e.g. left over by an interrupted deletion). Sorted
    /// by handle.
    pub async fn storage_report(&self) -> CoreResult<Vec<UserStorage>> {
        let accounts: std::collections::BTreeSet<String> = self
            .users
            .list_users()
            .await?
            .into_iter()
            .map(|u| u.handle)
            .collect();
        let mut handles = accounts.clone();
        handles.extend(self.store.activity_owners().await?);
        let mut out = Vec::with_capacity(handles.len());
        for handle in handles {
            let usage = self.store.storage_usage(&handle).await?;
            out.push(UserStorage {
                in_db: accounts.contains(&handle),
                handle,
                usage,
            });
        }
        Ok(out)
    }

    /// Drop a user's kept originals; returns bytes freed.
    #[tracing::instrument(skip_all, fields(handle = %handle))]
    pub async fn delete_originals(&self, handle: &str) -> CoreResult<u64> {
        Ok(self.store.delete_originals(handle).await?)
    }
}
