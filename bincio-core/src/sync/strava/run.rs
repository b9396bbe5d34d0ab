//! One sync of one member, and the scheduler that syncs every connected
//! member in turn.
//!
//! A sync lists the member's activities from `cursor − 7 days` (oldest
//! first), and for each one not yet stored — or stored with another title
//! or privacy (a rename) — fetches its detail and streams and stores it
//! ([`crate::activities::Activities::ingest_synced`]). The cursor becomes
//! the start of the newest activity stored *before the first failure*, so
//! a failed activity is listed again next time.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::api::{ApiError, AppCredentials, Reply};
use super::limits::{Pause, PauseReason};
use super::{convert, StravaSync, PROVIDER};
use crate::accounts::settings::InstanceSettings;
use crate::activities::ingest::IngestStatus;
use crate::activities::synced::SyncedActivity;
use crate::error::{CoreError, CoreResult};
use crate::jobs::JobRegistry;
use crate::store::ConnectionPatch;

/// Overlap of the listing (s): activities uploaded late to Strava (a
/// phone that synced days later) start before the newest imported one.
pub const OVERLAP_S: i64 = 7 * 86_400;

/// Page size of the listing (Strava's maximum).
pub const PER_PAGE: u32 = 200;

/// Most activities one sync lists (50 pages); the rest come next time.
pub const MAX_LISTED: usize = 10_000;

/// Progress of a sync, as the server-sent events of
/// `/api/strava/sync/stream` carry it (`{"type": …}`, the original's
/// shapes plus `paused`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SyncEvent {
    /// Listing activities.
    Fetching,
    /// Activity `n` of `total` is done.
    Progress {
        /// 1-based.
        n: usize,
        /// Activities listed.
        total: usize,
        /// Its title.
        name: String,
        /// `imported`, `updated`, `skipped`, `duplicate` or `error`.
        status: String,
    },
    /// Waiting for Strava's rate limit.
    Paused {
        /// Resumes at (Unix s).
        until: i64,
        /// Which budget.
        message: String,
    },
    /// Finished.
    Done(SyncReport),
    /// Stopped.
    Error {
        /// Why.
        message: String,
    },
}

/// What a sync did (`POST /api/strava/sync`, and the `done` event).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncReport {
    /// New activities.
    pub imported: usize,
    /// Existing activities updated (renamed or privacy changed).
    pub updated: usize,
    /// Already up to date.
    pub skipped: usize,
    /// Failures (retried next sync).
    pub error_count: usize,
    /// One line per failure.
    pub errors: Vec<String>,
}

/// Clears the running mark when a sync ends, however it ends.
struct Running<'a>(&'a StravaSync, String);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0
            .inner
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.1);
    }
}

type Progress<'a> = &'a mut (dyn FnMut(SyncEvent) + Send);

/// Time-to-live of a member's sync lease (renewed while the sync runs).
const MEMBER_LEASE_TTL: Duration = Duration::from_secs(120);

/// The lease a sync of `handle` runs under.
pub(super) fn member_lease(handle: &str) -> String {
    format!("strava-sync|{handle}")
}

/// The lease under which scheduled Strava rounds run.
pub const SYNC_ROUND_LEASE: &str = "strava-round";

impl StravaSync {
    /// Sync `handle` now. `progress` hears every step (the last one is
    /// `done` or `error`). `Conflict` when a sync of this member is already
    /// running, in this process or another on the store.
    #[tracing::instrument(skip_all, fields(handle = %handle))]
    pub async fn sync(&self, handle: &str, progress: Progress<'_>) -> CoreResult<SyncReport> {
        let out = self.sync_inner(handle, progress).await;
        if let Err(e) = &out {
            let message = match e {
                CoreError::Store(_) | CoreError::Internal(_) => {
                    tracing::error!(error = %e, "Strava sync failed");
                    "internal error".to_owned()
                }
                e => e.to_string(),
            };
            progress(SyncEvent::Error { message });
        }
        out
    }

    async fn sync_inner(&self, handle: &str, progress: Progress<'_>) -> CoreResult<SyncReport> {
        if !self
            .inner
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(handle.to_owned())
        {
            return Err(CoreError::Conflict(
                "a Strava sync is already running".into(),
            ));
        }
        let _running = Running(self, handle.to_owned());
        // One sync per member across processes too: the member's lease,
        // renewed while the sync runs, given up after.
        let lease = member_lease(handle);
        let out = self
            .inner
            .leases
            .run_held(&lease, MEMBER_LEASE_TTL, self.sync_held(handle, progress))
            .await;
        self.inner.leases.release(&lease).await;
        out.unwrap_or_else(|| {
            Err(CoreError::Conflict(
                "a Strava sync is already running".into(),
            ))
        })
    }

    async fn sync_held(&self, handle: &str, progress: Progress<'_>) -> CoreResult<SyncReport> {
        let c = self
            .connection(handle)
            .await?
            .filter(|c| self.tokens_of(c).is_some())
            .ok_or_else(|| CoreError::invalid("Not connected to Strava"))?;
        let app = self
            .app_for(Some(&c))
            .ok_or_else(|| CoreError::invalid("Strava is not configured on this server"))?;
        let store_original =
            InstanceSettings::from_map(&self.users().list_settings().await?)?.store_originals;
        progress(SyncEvent::Fetching);
        let after = c.cursor.map_or(0, |t| (t - OVERLAP_S).max(0));
        let mut listed = Vec::new();
        for page in 1.. {
            let batch = self
                .call(handle, &app, progress, |api, token| async move {
                    api.list_activities(&token, after, page, PER_PAGE).await
                })
                .await?;
            let n = batch.len();
            listed.extend(batch);
            if n < PER_PAGE as usize || listed.len() >= MAX_LISTED {
                break;
            }
        }
        // Oldest first, so the cursor can stop at the first failure.
        listed.sort_by_key(|a| convert::start_of(a).unwrap_or(i64::MAX));
        let total = listed.len();
        let mut report = SyncReport::default();
        let mut cursor = c.cursor;
        let mut blocked = false;
        for (k, summary) in listed.into_iter().enumerate() {
            let name = convert::name_of(&summary).unwrap_or_else(|| "(untitled)".into());
            let outcome = self
                .one(handle, &app, &summary, store_original, progress)
                .await;
            let status = match &outcome {
                Ok(s) => s,
                Err(e) => match e {
                    // Strava stopped accepting us: nothing more to do.
                    CoreError::Invalid(m) if m == super::tokens::REVOKED => {
                        return Err(CoreError::invalid(super::tokens::REVOKED))
                    }
                    CoreError::Store(_) | CoreError::Internal(_) => {
                        tracing::error!(error = %e, "storing a Strava activity failed");
                        report.errors.push(format!("{name}: internal error"));
                        "error"
                    }
                    e => {
                        report.errors.push(format!("{name}: {e}"));
                        "error"
                    }
                },
            };
            match status {
                "imported" => report.imported += 1,
                "updated" => report.updated += 1,
                "error" => blocked = true,
                _ => report.skipped += 1,
            }
            if status != "error" && !blocked {
                if let Some(t) = convert::start_of(&summary) {
                    cursor = Some(cursor.map_or(t, |c| c.max(t)));
                }
            }
            progress(SyncEvent::Progress {
                n: k + 1,
                total,
                name,
                status: status.to_owned(),
            });
        }
        report.error_count = report.errors.len();
        self.patch(
            handle,
            ConnectionPatch {
                cursor: Some(cursor),
                last_sync: Some(Some(self.inner.clock.unix())),
                paused_until: Some(None),
                last_error: Some(match report.error_count {
                    0 => None,
                    n => Some(format!(
                        "{n} activit{} could not be imported; retried at the next sync",
                        if n == 1 { "y" } else { "ies" }
                    )),
                }),
                ..ConnectionPatch::default()
            },
        )
        .await?;
        progress(SyncEvent::Done(report.clone()));
        Ok(report)
    }

    /// One listed activity: skipped when stored and unchanged, else its
    /// detail and streams fetched and stored.
    async fn one(
        &self,
        handle: &str,
        app: &AppCredentials,
        summary: &Value,
        store_original: bool,
        progress: Progress<'_>,
    ) -> CoreResult<&'static str> {
        let id = convert::strava_id(summary)
            .filter(|id| *id > 0)
            .ok_or_else(|| CoreError::invalid("an activity without an id"))?;
        let store = self.inner.activities.store();
        let existing = store
            .find_by_hash(handle, &convert::source_hash(id))
            .await?;
        if let Some(eid) = &existing {
            if let Some(rec) = store.get_activity(handle, eid).await? {
                let title = rec.detail.get("title").and_then(Value::as_str);
                let unchanged = title.map(str::to_owned) == convert::name_of(summary)
                    || convert::name_of(summary).is_none();
                let want = convert::privacy_of(summary);
                let same_privacy = rec.privacy == want
                    || (rec.duplicate_of.is_some() && want != crate::model::Privacy::Private);
                if unchanged && same_privacy {
                    return Ok("skipped");
                }
            }
        }
        let detail = self
            .call(handle, app, progress, |api, token| async move {
                api.activity(&token, id).await
            })
            .await?;
        let manual = detail
            .get("manual")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let streams = if manual {
            None
        } else {
            match self
                .call(handle, app, progress, |api, token| async move {
                    api.streams(&token, id).await
                })
                .await
            {
                Ok(s) => Some(s).filter(|s| s.as_object().is_some_and(|o| !o.is_empty())),
                Err(CoreError::NotFound(_)) => None,
                Err(e) => return Err(e),
            }
        };
        let updating = existing.is_some();
        let status = self
            .inner
            .activities
            .ingest_synced(
                handle,
                SyncedActivity {
                    detail,
                    streams,
                    existing,
                    store_original,
                },
            )
            .await?;
        Ok(match status {
            IngestStatus::Duplicate { .. } => "duplicate",
            _ if updating => "updated",
            _ => "imported",
        })
    }

    /// One API call with a fresh token, under the app's rate limit:
    /// waits out a pause (saying so), and a 429 starts one and retries.
    async fn call<T, F, Fut>(
        &self,
        handle: &str,
        app: &AppCredentials,
        progress: Progress<'_>,
        f: F,
    ) -> CoreResult<T>
    where
        F: Fn(std::sync::Arc<dyn super::StravaApi>, String) -> Fut,
        Fut: std::future::Future<Output = Result<Reply<T>, ApiError>>,
    {
        loop {
            if let Some(p) = self.current_pause(&app.client_id).await {
                self.wait(handle, p, progress).await?;
                continue;
            }
            let token = self.access_token(handle, app).await?;
            match f(self.inner.api.clone(), token).await {
                Ok(reply) => {
                    let p =
                        self.inner
                            .gate
                            .note(&app.client_id, &reply.rate, self.inner.clock.unix());
                    if let Some(p) = p {
                        self.share_pause(&app.client_id, p).await;
                    }
                    return Ok(reply.body);
                }
                Err(ApiError::RateLimited(rate)) => {
                    let p = self
                        .inner
                        .gate
                        .limited(&app.client_id, &rate, self.inner.clock.unix());
                    self.share_pause(&app.client_id, p).await;
                }
                Err(ApiError::Unauthorized(_)) => {
                    self.mark_revoked(handle).await?;
                    return Err(CoreError::invalid(super::tokens::REVOKED));
                }
                Err(ApiError::NotFound) => {
                    return Err(CoreError::NotFound("not found at Strava".into()))
                }
                Err(e) => return Err(CoreError::Unavailable(e.to_string())),
            }
        }
    }

    /// The pause in force for the app `client_id`: this process's, else
    /// one another process shared through the store (lease
    /// `strava-pause|<client id>`, held by the reason until the resume).
    async fn current_pause(&self, client_id: &str) -> Option<Pause> {
        let now = self.inner.clock.unix();
        if let Some(p) = self.inner.gate.current(client_id, now) {
            return Some(p);
        }
        let shared = self
            .inner
            .coord
            .lease(&format!("strava-pause|{client_id}"), now)
            .await;
        match shared {
            Ok(Some((reason, until))) => {
                let reason = match reason.as_str() {
                    "daily" => PauseReason::Daily,
                    _ => PauseReason::FifteenMinutes,
                };
                self.inner.gate.adopt(client_id, Pause { until, reason })
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "reading the shared Strava pause failed");
                None
            }
        }
    }

    /// Tell the other processes about pause `p` (best effort: the figures
    /// of their next reply correct them anyway). A pause already shared for
    /// another reason stays.
    async fn share_pause(&self, client_id: &str, p: Pause) {
        let now = self.inner.clock.unix();
        let reason = match p.reason {
            PauseReason::Daily => "daily",
            PauseReason::FifteenMinutes => "15min",
        };
        let shared = self
            .inner
            .coord
            .acquire_lease(
                &format!("strava-pause|{client_id}"),
                reason,
                now,
                (p.until - now).max(1),
            )
            .await;
        if let Err(e) = shared {
            tracing::warn!(error = %e, "sharing the Strava pause failed");
        }
    }

    /// Wait out `p`: shown on the connection and in the progress, then
    /// cleared.
    async fn wait(&self, handle: &str, p: Pause, progress: Progress<'_>) -> CoreResult<()> {
        let until = chrono::DateTime::from_timestamp(p.until, 0)
            .map(|t| t.format("%H:%M UTC").to_string())
            .unwrap_or_default();
        tracing::info!(%handle, until = p.until, reason = p.reason.describe(), "Strava sync paused");
        self.patch(
            handle,
            ConnectionPatch {
                paused_until: Some(Some(p.until)),
                ..ConnectionPatch::default()
            },
        )
        .await?;
        progress(SyncEvent::Paused {
            until: p.until,
            message: format!("paused until {until}: {}", p.reason.describe()),
        });
        let poll = self.inner.config.pause_poll;
        loop {
            let left = p.until - self.inner.clock.unix();
            if left <= 0 {
                break;
            }
            tokio::time::sleep(poll.min(Duration::from_secs(left as u64))).await;
        }
        self.patch(
            handle,
            ConnectionPatch {
                paused_until: Some(None),
                ..ConnectionPatch::default()
            },
        )
        .await?;
        Ok(())
    }

    /// Sync every connected member in turn, every `every`, for ever; each
    /// sync is a job in `jobs` (kind `strava-sync`). Failures are logged
    /// and shown on the member's connection; the loop goes on. A round runs
    /// only under the store lease [`SYNC_ROUND_LEASE`], so with several
    /// processes on one database one of them syncs, once per interval.
    pub async fn schedule(self, every: Duration, jobs: JobRegistry) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let ttl = crate::lease::schedule_ttl(every);
        loop {
            tick.tick().await;
            let round = self
                .inner
                .leases
                .run_held(SYNC_ROUND_LEASE, ttl, self.sync_all(every, &jobs))
                .await;
            if let Some(Err(e)) = round {
                tracing::error!(error = %e, "scheduled Strava sync round failed");
            }
        }
    }

    /// Give up the round lease if this process holds it (a graceful stop,
    /// after the schedule task is aborted), so another process takes the
    /// rounds over at its next tick rather than after the lease expires.
    pub async fn release_schedule(&self) {
        self.inner.leases.release(SYNC_ROUND_LEASE).await;
    }

    /// One round of [`Self::schedule`].
    pub async fn sync_all(&self, every: Duration, jobs: &JobRegistry) -> CoreResult<()> {
        let conns = self.inner.store.list_connections(PROVIDER).await?;
        for c in conns {
            if self.tokens_of(&c).is_none() {
                continue;
            }
            let job = jobs.start(&c.handle, "strava-sync", 0);
            let _ = self.sync(&c.handle, &mut |e| job_progress(&job, &e)).await;
            let next = self.inner.clock.unix() + every.as_secs() as i64;
            self.patch(
                &c.handle,
                ConnectionPatch {
                    next_sync: Some(Some(next)),
                    ..ConnectionPatch::default()
                },
            )
            .await?;
        }
        Ok(())
    }
}

/// Report a sync event on a job (`/api/admin/jobs`).
pub fn job_progress(job: &crate::jobs::JobHandle, e: &SyncEvent) {
    match e {
        SyncEvent::Fetching => job.progress(0, "listing activities"),
        SyncEvent::Progress { n, total, name, .. } => {
            job.set_total(*total as u64);
            job.progress(*n as u64, name);
        }
        SyncEvent::Paused { message, .. } => job.note(message),
        SyncEvent::Done(_) | SyncEvent::Error { .. } => {}
    }
}
