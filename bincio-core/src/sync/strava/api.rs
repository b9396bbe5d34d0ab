//! The port to Strava's API (v3): what the sync needs, as a trait the
//! adapter (`bincio-strava`, over HTTP) and test doubles implement. Bodies
//! of activities and streams stay JSON values here: the raw JSON is what
//! is kept as the original, and [`super::convert`] reads the fields it
//! needs from it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An app's OAuth credentials (the instance's, or a member's own).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppCredentials {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The athlete a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Athlete {
    /// Strava athlete id.
    pub id: i64,
    /// First name.
    #[serde(default)]
    pub firstname: Option<String>,
    /// Last name.
    #[serde(default)]
    pub lastname: Option<String>,
    /// User name.
    #[serde(default)]
    pub username: Option<String>,
}

impl Athlete {
    /// "First Last", else the user name, else `#id`.
    pub fn display(&self) -> String {
        let name = [self.firstname.as_deref(), self.lastname.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if !name.is_empty() {
            return name;
        }
        self.username
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| format!("#{}", self.id))
    }
}

/// Tokens from `POST /oauth/token` (code exchange or refresh).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenGrant {
    /// Bearer token for the API.
    pub access_token: String,
    /// Token to get the next access token (may rotate: the old one dies).
    pub refresh_token: String,
    /// Expiry of the access token (Unix s).
    pub expires_at: i64,
    /// The athlete (code exchange only).
    #[serde(default)]
    pub athlete: Option<Athlete>,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGrant")
            .field("expires_at", &self.expires_at)
            .field("athlete", &self.athlete)
            .finish_non_exhaustive()
    }
}

/// One budget of Strava's rate limit: `[15 min, daily]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Budget {
    /// Limits.
    pub limit: [u32; 2],
    /// Usage so far.
    pub usage: [u32; 2],
}

impl Budget {
    /// From the header values `"a,b"` (limit) and `"c,d"` (usage).
    pub fn parse(limit: &str, usage: &str) -> Option<Self> {
        fn pair(s: &str) -> Option<[u32; 2]> {
            let (a, b) = s.split_once(',')?;
            Some([a.trim().parse().ok()?, b.trim().parse().ok()?])
        }
        Some(Self {
            limit: pair(limit)?,
            usage: pair(usage)?,
        })
    }
}

/// What the rate-limit headers of a reply said (`X-RateLimit-*`,
/// `X-ReadRateLimit-*`); absent headers are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateUsage {
    /// Every request.
    pub overall: Option<Budget>,
    /// Read requests.
    pub read: Option<Budget>,
}

/// A reply with its rate-limit figures.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    /// The body.
    pub body: T,
    /// The headers' figures.
    pub rate: RateUsage,
}

/// Why a call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// 401: the token is invalid, expired or revoked.
    #[error("Strava refused the token: {0}")]
    Unauthorized(String),
    /// 429: a budget is spent.
    #[error("Strava rate limit reached")]
    RateLimited(RateUsage),
    /// 404.
    #[error("not found at Strava")]
    NotFound,
    /// 400 on the token endpoint: a bad code or refresh token.
    #[error("Strava refused the grant: {0}")]
    BadGrant(String),
    /// Anything else (network, 5xx, 403, a body that is not JSON).
    #[error("Strava request failed: {0}")]
    Failed(String),
}

/// Strava's API, as the sync uses it. Implementations hold the two base
/// URLs (OAuth and API, configured separately).
#[async_trait::async_trait]
pub trait StravaApi: Send + Sync + 'static {
    /// The authorize URL a member's browser is sent to.
    fn authorize_url(
        &self,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
        state: &str,
    ) -> String;

    /// Exchange an authorization code.
    async fn exchange_code(&self, app: &AppCredentials, code: &str)
        -> Result<TokenGrant, ApiError>;

    /// Get a new access token (the refresh token may rotate).
    async fn refresh(
        &self,
        app: &AppCredentials,
        refresh_token: &str,
    ) -> Result<TokenGrant, ApiError>;

    /// Revoke the app's access for this athlete.
    async fn deauthorize(&self, access_token: &str) -> Result<(), ApiError>;

    /// `GET /athlete/activities?after&page&per_page` (summaries).
    async fn list_activities(
        &self,
        access_token: &str,
        after: i64,
        page: u32,
        per_page: u32,
    ) -> Result<Reply<Vec<Value>>, ApiError>;

    /// `GET /activities/{id}` (detail: description, laps, gear).
    async fn activity(&self, access_token: &str, id: i64) -> Result<Reply<Value>, ApiError>;

    /// `GET /activities/{id}/streams?keys=…&key_by_type=true`.
    async fn streams(&self, access_token: &str, id: i64) -> Result<Reply<Value>, ApiError>;
}

/// The stream keys asked for.
pub const STREAM_KEYS: &str =
    "time,latlng,altitude,distance,heartrate,cadence,watts,temp,moving,velocity_smooth";

/// The scopes asked for at authorize time.
pub const SCOPE: &str = "read,activity:read_all";

/// True when `scopes` (comma separated, as granted) allow reading
/// activities.
pub fn grants_activity_read(scopes: &str) -> bool {
    scopes
        .split(',')
        .map(str::trim)
        .any(|s| s == "activity:read" || s == "activity:read_all")
}
