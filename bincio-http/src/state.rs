//! Shared application state handed to every handler.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bincio_core::accounts::Accounts;
use bincio_core::activities::Activities;
use bincio_core::jobs::JobRegistry;
use bincio_core::ratelimit::RateLimiter;

/// Deployment options of the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct HttpConfig {
    /// Mark the session cookie `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
    /// Trust `X-Real-IP` / `X-Forwarded-For` for the client address (only
    /// behind a reverse proxy that sets them; otherwise clients could spoof
    /// their way around rate limits).
    pub trusted_proxy: bool,
    /// Public base URL (e.g. `https://bincio.example`), used in links.
    pub public_url: Option<String>,
    /// Directory whose filesystem `GET /api/admin/disk` measures: the
    /// instance data directory (on SQLite it holds `instance.db`; on MongoDB
    /// it is still where the server keeps its files). `None` ⇒ the working
    /// directory.
    ///
    /// Whether a DEM service is configured is not an HTTP option: it is the
    /// activities service's (`Activities::with_elevation_source`).
    pub data_dir: Option<std::path::PathBuf>,
    /// Map tiles of the activity pages (OpenStreetMap unless set).
    pub tiles: crate::tiles::TileSource,
}

/// Everything handlers need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    accounts: Accounts,
    activities: Activities,
    jobs: JobRegistry,
    limiter: RateLimiter,
    config: HttpConfig,
    /// Set by the first request with proxy headers while they are not
    /// trusted (the warning is logged once).
    proxy_warned: AtomicBool,
    /// The activity pages' kept drawings.
    drawn: crate::web::DrawCache,
    /// The event served with `--event`, for the staff console pages.
    event: std::sync::OnceLock<Arc<bincio_core::event::EventService>>,
    /// The Strava sync, when the instance offers it.
    strava: std::sync::OnceLock<bincio_core::sync::strava::StravaSync>,
    /// CSV files checked by the import page's dry run, kept briefly so the
    /// import that follows needs no second upload.
    staged_imports: bincio_core::staged::StagedFiles,
    /// The activity sources (drop folders, sync history), when served.
    sources: std::sync::OnceLock<bincio_core::sources::Sources>,
}

impl AppState {
    /// Build the state from the services and options.
    pub fn new(accounts: Accounts, activities: Activities, config: HttpConfig) -> Self {
        let clock = accounts.clock().clone();
        // Jobs and attempt counters live in the store, shared by every
        // process serving it (the accounts store coordinates too).
        let coord: Arc<dyn bincio_core::store::CoordStore> = accounts.store().clone();
        let (staged, staged_clock) = (coord.clone(), clock.clone());
        Self {
            inner: Arc::new(Inner {
                jobs: JobRegistry::new(coord.clone(), clock.clone()),
                limiter: RateLimiter::new(coord, clock),
                accounts,
                activities,
                config,
                proxy_warned: AtomicBool::new(false),
                drawn: crate::web::DrawCache::default(),
                event: std::sync::OnceLock::new(),
                strava: std::sync::OnceLock::new(),
                staged_imports: bincio_core::staged::StagedFiles::new(staged, staged_clock),
                sources: std::sync::OnceLock::new(),
            }),
        }
    }

    /// The accounts service.
    pub fn accounts(&self) -> &Accounts {
        &self.inner.accounts
    }

    /// The activities service.
    pub fn activities(&self) -> &Activities {
        &self.inner.activities
    }

    /// The job registry (uploads and imports report here; it lists the
    /// jobs of every process on the store).
    pub fn jobs(&self) -> &JobRegistry {
        &self.inner.jobs
    }

    /// The attempt limiter.
    pub fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    /// Deployment options.
    pub fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    /// Serve the staff console (`/event/…`) for this event (once; later
    /// calls are ignored).
    pub fn set_event(&self, service: Arc<bincio_core::event::EventService>) {
        let _ = self.inner.event.set(service);
    }

    /// The event, when the instance serves one.
    pub fn event(&self) -> Option<&Arc<bincio_core::event::EventService>> {
        self.inner.event.get()
    }

    /// Serve the activity sources (drop folders and the members' sync
    /// history: `/api/me/drop`, the settings page's card) with this
    /// service (once; later calls are ignored).
    pub fn set_sources(&self, sources: bincio_core::sources::Sources) {
        let _ = self.inner.sources.set(sources);
    }

    /// The activity sources, when the server runs them.
    pub fn sources(&self) -> Option<&bincio_core::sources::Sources> {
        self.inner.sources.get()
    }

    /// Offer the Strava sync (`/api/strava/…`, the settings card) with this
    /// service (once; later calls are ignored).
    pub fn set_strava(&self, service: bincio_core::sync::strava::StravaSync) {
        let _ = self.inner.strava.set(service);
    }

    /// The Strava sync, when offered.
    pub fn strava(&self) -> Option<&bincio_core::sync::strava::StravaSync> {
        self.inner.strava.get()
    }

    /// The import page's checked files.
    pub(crate) fn staged_imports(&self) -> &bincio_core::staged::StagedFiles {
        &self.inner.staged_imports
    }

    /// The activity pages' kept drawings.
    pub(crate) fn drawn(&self) -> &crate::web::DrawCache {
        &self.inner.drawn
    }

    /// True exactly once: for the first request with untrusted proxy
    /// headers.
    pub(crate) fn first_untrusted_proxy_request(&self) -> bool {
        !self.inner.proxy_warned.swap(true, Ordering::Relaxed)
    }
}
