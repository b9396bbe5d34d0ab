//! Request input as CS read it: query parameters (first value wins, like
//! Flask's `args.get`), the last path segment (`/use/<scenario_id>`,
//! `/dashboard/<role>`) and form fields from urlencoded, multipart or JSON
//! bodies (§8.4). Malformed input never fails the request here: it simply
//! yields no value (or a lossy one), and the rule reports it with CS's
//! message.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;

/// Parsed query string (percent-decoding is lossy, never an error).
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Flask truthiness of a flag: present and non-empty.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !v.is_empty())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        Ok(Params(
            form_urlencoded::parse(q.as_bytes()).into_owned().collect(),
        ))
    }
}

/// The last path segment, percent-decoded with invalid UTF-8 replaced by
/// U+FFFD — what Werkzeug hands Flask (`errors="replace"`), so `/use/%FF`
/// answers CS's `invalid scenario_id` rather than a decoding error.
pub struct Segment(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Segment {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let last = parts.uri.path().rsplit('/').next().unwrap_or("");
        Ok(Segment(
            percent_encoding::percent_decode_str(last)
                .decode_utf8_lossy()
                .into_owned(),
        ))
    }
}

/// Form fields of a body, in order, repeated names kept.
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name` (Flask's `getlist`).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

fn from_json(bytes: &[u8]) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(m)) = serde_json::from_slice(bytes) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in m {
        match v {
            serde_json::Value::String(s) => out.push((k, s)),
            serde_json::Value::Array(a) => {
                // `role` as a JSON list is the same as repeated `role[]`.
                let key = if k.ends_with("[]") {
                    k
                } else {
                    format!("{k}[]")
                };
                for item in a {
                    if let serde_json::Value::String(s) = item {
                        out.push((key.clone(), s));
                    }
                }
            }
            serde_json::Value::Number(n) => out.push((k, n.to_string())),
            _ => {}
        }
    }
    out
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ct.starts_with("multipart/form-data") {
            let mut out = Vec::new();
            if let Ok(mut mp) = Multipart::from_request(req, state).await {
                while let Ok(Some(field)) = mp.next_field().await {
                    let Some(name) = field.name().map(str::to_owned) else {
                        continue;
                    };
                    if field.file_name().is_some() {
                        continue;
                    }
                    match field.text().await {
                        Ok(v) => out.push((name, v)),
                        Err(_) => break,
                    }
                }
            }
            return Ok(Fields(out));
        }
        let bytes = Bytes::from_request(req, state).await.unwrap_or_default();
        if ct.starts_with("application/json") {
            return Ok(Fields(from_json(&bytes)));
        }
        if ct.starts_with("application/x-www-form-urlencoded") {
            return Ok(Fields(
                form_urlencoded::parse(&bytes).into_owned().collect(),
            ));
        }
        Ok(Fields(Vec::new()))
    }
}
