//! Shared application state handed to every handler.

use std::sync::Arc;

use bincio_core::accounts::Accounts;
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
    /// Whether a DEM elevation service is configured.
    pub dem_configured: bool,
}

/// Everything handlers need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    accounts: Accounts,
    jobs: JobRegistry,
    limiter: RateLimiter,
    config: HttpConfig,
}

impl AppState {
    /// Build the state from the accounts service and options.
    pub fn new(accounts: Accounts, config: HttpConfig) -> Self {
        let clock = accounts.clock().clone();
        Self {
            inner: Arc::new(Inner {
                jobs: JobRegistry::new(clock.clone()),
                limiter: RateLimiter::new(clock, 100_000),
                accounts,
                config,
            }),
        }
    }

    /// The accounts service.
    pub fn accounts(&self) -> &Accounts {
        &self.inner.accounts
    }

    /// The job registry (uploads and imports report here).
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
}
