//! The real DEM elevation service client: open-elevation's API
//! (`POST {base}/api/v1/lookup {"locations":[{"latitude","longitude"}]}` →
//! `{"results":[{"elevation": …}]}`), used by
//! [`Activities::recalculate_elevation_dem`](bincio_core::activities::Activities::recalculate_elevation_dem)
//! through the core's [`ElevationSource`] trait.
//!
//! The reply is never trusted: it is read up to [`MAX_REPLY_BYTES`] (a
//! longer one fails the batch), must be JSON of the expected shape with one
//! result per location, and every elevation that is not a number is
//! missing (the core further drops implausible values). Each request is
//! bounded by the core's 30 s batch timeout; the client's own timeout is the
//! same, so a stalled connection is not kept open.

use bincio_core::activities::dem::{ElevationSource, LatLon, DEM_BATCH, DEM_BATCH_TIMEOUT};
use serde::Serialize;
use serde_json::Value;

/// The request body of open-elevation's lookup.
#[derive(Serialize)]
struct Lookup {
    locations: Vec<Location>,
}

/// One point to look up.
#[derive(Serialize)]
struct Location {
    latitude: f64,
    longitude: f64,
}

/// Largest reply read for one batch: 512 results of open-elevation's shape
/// take ~40 KiB; 1 MiB leaves room for any sane service.
pub const MAX_REPLY_BYTES: usize = 1024 * 1024;

/// An open-elevation compatible service at a base URL.
#[derive(Debug, Clone)]
pub struct HttpElevationSource {
    client: reqwest::Client,
    lookup_url: reqwest::Url,
}

impl HttpElevationSource {
    /// A client for the service at `base_url` (`http` or `https`, e.g.
    /// `https://api.open-elevation.com`). Errors name what is wrong.
    pub fn new(base_url: &str) -> Result<Self, String> {
        let base = base_url.trim().trim_end_matches('/');
        let lookup_url = reqwest::Url::parse(&format!("{base}/api/v1/lookup"))
            .map_err(|e| format!("invalid DEM URL {base_url:?}: {e}"))?;
        if !matches!(lookup_url.scheme(), "http" | "https") || lookup_url.host().is_none() {
            return Err(format!(
                "invalid DEM URL {base_url:?}: expected http(s)://host[:port][/path]"
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(DEM_BATCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("bincio/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("building the DEM HTTP client: {e}"))?;
        Ok(Self { client, lookup_url })
    }

    /// The lookup endpoint.
    pub fn lookup_url(&self) -> &str {
        self.lookup_url.as_str()
    }
}

/// Elevations out of an open-elevation reply, or why it is unusable.
fn parse_reply(body: &[u8], expected: usize) -> Result<Vec<Option<f64>>, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("reply is not JSON: {e}"))?;
    let results = v
        .get("results")
        .and_then(Value::as_array)
        .ok_or("reply has no \"results\" list")?;
    if results.len() != expected {
        return Err(format!(
            "reply has {} results for {expected} locations",
            results.len()
        ));
    }
    Ok(results
        .iter()
        .map(|r| r.get("elevation").and_then(Value::as_f64))
        .collect())
}

#[async_trait::async_trait]
impl ElevationSource for HttpElevationSource {
    async fn lookup(&self, points: &[LatLon]) -> Result<Vec<Option<f64>>, String> {
        if points.len() > DEM_BATCH {
            return Err(format!("batch of {} exceeds {DEM_BATCH}", points.len()));
        }
        let lookup = Lookup {
            locations: points
                .iter()
                .map(|p| Location {
                    latitude: p.lat,
                    longitude: p.lon,
                })
                .collect(),
        };
        let mut resp = self
            .client
            .post(self.lookup_url.clone())
            .json(&lookup)
            .send()
            .await
            .map_err(|e| format!("DEM request failed: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("DEM service answered {}", resp.status()));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_REPLY_BYTES as u64)
        {
            return Err(format!("DEM reply larger than {MAX_REPLY_BYTES} bytes"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("reading the DEM reply: {e}"))?
        {
            if body.len() + chunk.len() > MAX_REPLY_BYTES {
                return Err(format!("DEM reply larger than {MAX_REPLY_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        parse_reply(&body, points.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let s = HttpElevationSource::new("https://api.open-elevation.com/").unwrap();
        assert_eq!(
            s.lookup_url(),
            "https://api.open-elevation.com/api/v1/lookup"
        );
        assert!(HttpElevationSource::new("ftp://x").is_err());
        assert!(HttpElevationSource::new("not a url").is_err());
    }

    #[test]
    fn replies() {
        let ok =
            br#"{"results":[{"latitude":1,"longitude":2,"elevation":12.5},{"elevation":null}]}"#;
        assert_eq!(parse_reply(ok, 2).unwrap(), vec![Some(12.5), None]);
        assert!(parse_reply(ok, 3).is_err());
        assert!(parse_reply(b"<html>", 1).is_err());
        assert!(parse_reply(br#"{"results":{}}"#, 1).is_err());
    }
}
