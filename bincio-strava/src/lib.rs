//! `bincio-strava`: Strava's API v3 over HTTP ([`HttpStravaApi`], the
//! core's [`StravaApi`] port) and, with the `testkit` feature, a stateful
//! fake Strava ([`fake::FakeStrava`]) for tests and benchmarks.
//!
//! The OAuth base (`https://www.strava.com/oauth`) and the API base
//! (`https://www.strava.com/api/v3`) are configured separately: Strava
//! moves its API host in 2027, and tests point both at the fake.
//!
//! Invariants: no token or secret is ever logged (errors carry Strava's
//! message, never a request); reply bodies are read up to
//! [`MAX_BODY_BYTES`]; every request has a timeout.
#![forbid(unsafe_code)]

#[cfg(feature = "testkit")]
pub mod fake;

use std::time::Duration;

use bincio_core::sync::strava::api::{
    ApiError, AppCredentials, Budget, RateUsage, Reply, StravaApi, TokenGrant, STREAM_KEYS,
};
use reqwest::{Response, StatusCode};
use serde_json::Value;

/// Strava's OAuth base.
pub const OAUTH_BASE: &str = "https://www.strava.com/oauth";
/// Strava's API base.
pub const API_BASE: &str = "https://www.strava.com/api/v3";
/// Largest reply body read (streams of a long ride are a few MiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Strava over HTTP.
#[derive(Debug, Clone)]
pub struct HttpStravaApi {
    http: reqwest::Client,
    oauth_base: String,
    api_base: String,
}

impl HttpStravaApi {
    /// A client of the two bases (trailing slashes ignored). `Err` names a
    /// base that is not an http(s) URL.
    pub fn new(oauth_base: &str, api_base: &str) -> Result<Self, String> {
        for (what, b) in [("OAuth base", oauth_base), ("API base", api_base)] {
            let ok = reqwest::Url::parse(b)
                .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .unwrap_or(false);
            if !ok {
                return Err(format!("Strava {what} {b:?} is not an http(s) URL"));
            }
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("bincio/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            oauth_base: oauth_base.trim_end_matches('/').to_owned(),
            api_base: api_base.trim_end_matches('/').to_owned(),
        })
    }
}

fn rate_of(r: &Response) -> RateUsage {
    let h = |k: &str| r.headers().get(k).and_then(|v| v.to_str().ok());
    let pair = |l: &str, u: &str| Budget::parse(h(l)?, h(u)?);
    RateUsage {
        overall: pair("x-ratelimit-limit", "x-ratelimit-usage"),
        read: pair("x-readratelimit-limit", "x-readratelimit-usage"),
    }
}

async fn body(mut r: Response) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    while let Some(chunk) = r
        .chunk()
        .await
        .map_err(|e| ApiError::Failed(e.to_string()))?
    {
        if out.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::Failed("reply larger than 64 MiB".into()));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Strava's `message` of an error body, or the status.
fn message(status: StatusCode, bytes: &[u8]) -> String {
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| status.to_string())
        .chars()
        .take(200)
        .collect()
}

/// A reply as JSON, or the error its status means.
async fn json_reply(r: Result<Response, reqwest::Error>) -> Result<Reply<Value>, ApiError> {
    let r = r.map_err(|e| ApiError::Failed(e.without_url().to_string()))?;
    let status = r.status();
    let rate = rate_of(&r);
    let bytes = body(r).await?;
    match status {
        s if s.is_success() => {
            let body = serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::Failed(format!("reply is not JSON: {e}")))?;
            Ok(Reply { body, rate })
        }
        StatusCode::UNAUTHORIZED => Err(ApiError::Unauthorized(message(status, &bytes))),
        StatusCode::TOO_MANY_REQUESTS => Err(ApiError::RateLimited(rate)),
        StatusCode::NOT_FOUND => Err(ApiError::NotFound),
        StatusCode::BAD_REQUEST => Err(ApiError::BadGrant(message(status, &bytes))),
        s => Err(ApiError::Failed(format!("{s}: {}", message(s, &bytes)))),
    }
}

fn grant(v: Value) -> Result<TokenGrant, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::Failed(format!("token reply: {e}")))
}

impl HttpStravaApi {
    /// `POST {oauth}/token` with the app's credentials, one grant's own
    /// field and its `grant_type`: code exchange and refresh alike.
    async fn token(
        &self,
        app: &AppCredentials,
        field: (&str, &str),
        grant_type: &str,
    ) -> Result<TokenGrant, ApiError> {
        let r = self
            .http
            .post(format!("{}/token", self.oauth_base))
            .form(&[
                ("client_id", app.client_id.as_str()),
                ("client_secret", app.client_secret.as_str()),
                field,
                ("grant_type", grant_type),
            ])
            .send()
            .await;
        grant(json_reply(r).await?.body)
    }
}

#[async_trait::async_trait]
impl StravaApi for HttpStravaApi {
    fn authorize_url(
        &self,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
        state: &str,
    ) -> String {
        let mut u = reqwest::Url::parse(&format!("{}/authorize", self.oauth_base))
            .unwrap_or_else(|_| reqwest::Url::parse(OAUTH_BASE).expect("constant URL"));
        u.query_pairs_mut()
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("approval_prompt", "auto")
            .append_pair("scope", scope)
            .append_pair("state", state);
        u.into()
    }

    async fn exchange_code(
        &self,
        app: &AppCredentials,
        code: &str,
    ) -> Result<TokenGrant, ApiError> {
        self.token(app, ("code", code), "authorization_code").await
    }

    async fn refresh(
        &self,
        app: &AppCredentials,
        refresh_token: &str,
    ) -> Result<TokenGrant, ApiError> {
        self.token(app, ("refresh_token", refresh_token), "refresh_token")
            .await
    }

    async fn deauthorize(&self, access_token: &str) -> Result<(), ApiError> {
        let r = self
            .http
            .post(format!("{}/deauthorize", self.oauth_base))
            .bearer_auth(access_token)
            .send()
            .await;
        json_reply(r).await.map(|_| ())
    }

    async fn list_activities(
        &self,
        access_token: &str,
        after: i64,
        page: u32,
        per_page: u32,
    ) -> Result<Reply<Vec<Value>>, ApiError> {
        let r = self
            .http
            .get(format!("{}/athlete/activities", self.api_base))
            .bearer_auth(access_token)
            .query(&[
                ("after", after.to_string()),
                ("page", page.to_string()),
                ("per_page", per_page.to_string()),
            ])
            .send()
            .await;
        let Reply { body, rate } = json_reply(r).await?;
        match body {
            Value::Array(items) => Ok(Reply { body: items, rate }),
            _ => Err(ApiError::Failed("activity list is not an array".into())),
        }
    }

    async fn activity(&self, access_token: &str, id: i64) -> Result<Reply<Value>, ApiError> {
        let r = self
            .http
            .get(format!("{}/activities/{id}", self.api_base))
            .bearer_auth(access_token)
            .send()
            .await;
        json_reply(r).await
    }

    async fn streams(&self, access_token: &str, id: i64) -> Result<Reply<Value>, ApiError> {
        let r = self
            .http
            .get(format!("{}/activities/{id}/streams", self.api_base))
            .bearer_auth(access_token)
            .query(&[("keys", STREAM_KEYS), ("key_by_type", "true")])
            .send()
            .await;
        json_reply(r).await
    }
}
