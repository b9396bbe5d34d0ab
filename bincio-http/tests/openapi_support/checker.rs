//! [`Checker`]: requests through the real router, every answer validated
//! against the schema the document gives for its status and content type.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, Method, StatusCode};
use axum::middleware;
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::{document, record_matched_path, Fixture};

/// Sends requests through the router and validates every answer against
/// the document; remembers which operations it exercised.
pub struct Checker {
    router: Router,
    pub doc: Value,
    pub exercised: BTreeSet<(String, String)>,
    pub failures: Vec<String>,
    /// JSON bodies (or events) validated.
    pub validated: usize,
}

pub struct Answer {
    pub json: Value,
}

impl Checker {
    pub fn new(f: &Fixture) -> Self {
        Self {
            router: f
                .router
                .clone()
                .layer(middleware::from_fn(record_matched_path)),
            doc: document(),
            exercised: BTreeSet::new(),
            failures: Vec::new(),
            validated: 0,
        }
    }

    pub async fn send(
        &mut self,
        method: Method,
        uri: &str,
        body: Option<(&str, Vec<u8>)>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut b = Request::builder().method(method.clone()).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = match body {
            Some((ct, bytes)) => b.header(header::CONTENT_TYPE, ct).body(Body::from(bytes)),
            None => b.body(Body::empty()),
        }
        .expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let template = resp
            .extensions()
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_else(|| panic!("{method} {uri}: no route matched"));
        let ctype = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let method = method.as_str().to_ascii_lowercase();
        self.exercised.insert((method.clone(), template.clone()));
        let what = format!("{method} {uri} ({template}) -> {status} {ctype}");
        let bodies: Vec<Value> = if ctype.starts_with("text/event-stream") {
            text.split("\n\n")
                .filter_map(|frame| frame.lines().find_map(|l| l.strip_prefix("data:")))
                .map(|d| serde_json::from_str(d.trim()).expect("event JSON"))
                .collect()
        } else if ctype.starts_with("application/json") {
            vec![serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"))]
        } else {
            Vec::new()
        };
        match self.schema(&method, &template, status, &ctype) {
            Err(e) => self.failures.push(format!("{what}: {e}")),
            Ok(schema) => {
                for body in &bodies {
                    self.validate(&what, &schema, body);
                }
            }
        }
        Answer {
            json: bodies.into_iter().next().unwrap_or(Value::Null),
        }
    }

    /// The documented schema of a response (status, else `default`; the
    /// content type as sent, else the only one documented).
    fn schema(
        &self,
        method: &str,
        template: &str,
        status: StatusCode,
        ctype: &str,
    ) -> Result<Value, String> {
        let op = &self.doc["paths"][template][method];
        if !op.is_object() {
            return Err("operation not documented".into());
        }
        let responses = &op["responses"];
        let r = match &responses[status.as_str()] {
            Value::Null => &responses["default"],
            r => r,
        };
        let content = r["content"]
            .as_object()
            .ok_or_else(|| format!("status {status} not documented"))?;
        let media = content
            .get(ctype)
            .or_else(|| {
                let base = ctype.split(';').next().unwrap_or("");
                content
                    .iter()
                    .find(|(k, _)| {
                        let k = k.split(';').next().unwrap_or("");
                        k == base
                            || k.strip_suffix("/*")
                                .is_some_and(|range| base.starts_with(&format!("{range}/")))
                    })
                    .map(|(_, v)| v)
            })
            .ok_or_else(|| format!("content type {ctype:?} not documented: {content:?}"))?;
        Ok(media["schema"].clone())
    }

    fn validate(&mut self, what: &str, schema: &Value, body: &Value) {
        self.validated += 1;
        let mut root = schema.clone();
        if let Value::Object(m) = &mut root {
            m.insert("components".into(), self.doc["components"].clone());
        }
        let validator = match jsonschema::validator_for(&root) {
            Ok(v) => v,
            Err(e) => {
                self.failures
                    .push(format!("{what}: schema does not compile: {e}"));
                return;
            }
        };
        for e in validator.iter_errors(body) {
            self.failures
                .push(format!("{what}: {e} at {} in {body}", e.instance_path()));
        }
    }

    /// A Bearer token of `handle` (through `/api/auth/token`).
    pub async fn token(&mut self, handle: &str, password: &str) -> String {
        let creds = json!({"handle": handle, "password": password});
        let r = self
            .json(Method::POST, "/api/auth/token", creds, None)
            .await;
        r.json["token"].as_str().expect("token").to_owned()
    }

    pub async fn get(&mut self, uri: &str, cookie: Option<&str>) -> Answer {
        let h = cookie_header(cookie);
        let h: Vec<(&str, &str)> = h.iter().map(|c| ("cookie", c.as_str())).collect();
        self.send(Method::GET, uri, None, &h).await
    }

    pub async fn json(
        &mut self,
        method: Method,
        uri: &str,
        body: Value,
        cookie: Option<&str>,
    ) -> Answer {
        let h = cookie_header(cookie);
        let h: Vec<(&str, &str)> = h.iter().map(|c| ("cookie", c.as_str())).collect();
        let body = Some(("application/json", body.to_string().into_bytes()));
        self.send(method, uri, body, &h).await
    }

    pub async fn multipart(
        &mut self,
        uri: &str,
        parts: &[(&str, &str, &[u8])],
        cookie: &str,
    ) -> Answer {
        let boundary = "openapi-test-boundary";
        let mut body = Vec::new();
        for (field, file, bytes) in parts {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; \
                     filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let ct = format!("multipart/form-data; boundary={boundary}");
        let c = format!("bincio_session={cookie}");
        self.send(Method::POST, uri, Some((&ct, body)), &[("cookie", &c)])
            .await
    }

    pub async fn form(&mut self, uri: &str, form: &str, headers: &[(&str, &str)]) -> Answer {
        let body = Some((
            "application/x-www-form-urlencoded",
            form.as_bytes().to_vec(),
        ));
        self.send(Method::POST, uri, body, headers).await
    }
}

fn cookie_header(token: Option<&str>) -> Option<String> {
    token.map(|t| format!("bincio_session={t}"))
}

/// A small GPX track (5 minutes, 6 points).
pub fn gpx(start_min: u32, lon0: f64) -> Vec<u8> {
    let mut s = String::from(
        r#"<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Loop</name><trkseg>"#,
    );
    for i in 0..6u32 {
        let lon = lon0 + f64::from(i) * 0.001;
        let ele = 100.0 + f64::from(i % 3) * 5.0;
        s.push_str(&format!(
            r#"<trkpt lat="45.0" lon="{lon}"><ele>{ele}</ele><time>2024-05-01T08:{:02}:00Z</time></trkpt>"#,
            start_min + i
        ));
    }
    s.push_str("</trkseg></trk></gpx>");
    s.into_bytes()
}

pub fn strava_zip() -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("activities.csv", opts).expect("zip");
    w.write_all(b"Activity ID,Activity Name,Filename\n1,Ride,activities/1.gpx\n")
        .expect("zip");
    w.start_file("activities/1.gpx", opts).expect("zip");
    w.write_all(&gpx(30, 8.0)).expect("zip");
    w.start_file("activities/2.gpx", opts).expect("zip");
    w.write_all(b"<gpx>").expect("zip");
    w.finish().expect("zip").into_inner()
}
