//! Prometheus metrics at `GET /metrics` (text exposition format 0.0.4),
//! off unless `bincio serve --metrics-token` is set, and then only for a
//! request carrying `Authorization: Bearer <token>`: counts can tell an
//! outsider how busy an event desk is.
//!
//! What is counted, by one layer around the whole app (pages, API and the
//! CCIP routes alike):
//! * `bincio_http_requests_total{method,route,status}` and
//!   `bincio_http_request_duration_seconds{method,route}` (histogram) —
//!   `route` is the route *template* (`/use/{scenario_id}`), never the
//!   path or query (tokens travel there), `unmatched` for 404s of no route;
//! * `bincio_checkins_total` / `bincio_deliveries_total`: successful CCIP
//!   check-ins (`/use/{scenario_id}`, `/api/event/use`) and booth
//!   deliveries (`/event/puzzle/deliver`);
//! * `bincio_upload_bytes_total`: request bodies sent to the upload routes
//!   (their `Content-Length`);
//! * `bincio_jobs_running`: jobs this process runs at scrape time (each
//!   process reports its own, so a sum over processes is right);
//! * `bincio_store_call_duration_seconds{backend,op}` (histogram): every
//!   store trait call, by backend and method — recorded by
//!   [`store_calls_layer`], which `bincio serve --metrics-token` installs.
//!
//! Counters live in this process: with several processes behind a load
//! balancer, Prometheus scrapes each and sums (the usual model).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use bincio_core::jobs::JobRegistry;

mod histogram;
mod store_calls;

use histogram::Histogram;
pub use store_calls::store_calls_layer;

/// The process's metrics. Cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics(Arc<Inner>);

#[derive(Default)]
struct Inner {
    /// (method, route, status) → count.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// (method, route) → latency.
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    checkins: AtomicU64,
    deliveries: AtomicU64,
    upload_bytes: AtomicU64,
}

/// Routes whose 200 is a check-in, a delivery, an upload.
const CHECKIN_ROUTES: &[&str] = &["/use/{scenario_id}", "/api/event/use"];
const DELIVERY_ROUTES: &[&str] = &["/event/puzzle/deliver"];
const UPLOAD_ROUTES: &[&str] = &[
    "/api/upload",
    "/api/upload/strava-zip",
    "/upload/",
    "/api/upload/garmin-export",
];

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64, body_len: u64) {
        *self
            .0
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        self.0
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((method.to_owned(), route.to_owned()))
            .or_default()
            .observe(seconds);
        let ok = (200..300).contains(&status);
        if ok && CHECKIN_ROUTES.contains(&route) {
            self.0.checkins.fetch_add(1, Ordering::Relaxed);
        }
        if ok && DELIVERY_ROUTES.contains(&route) {
            self.0.deliveries.fetch_add(1, Ordering::Relaxed);
        }
        if method == "POST" && UPLOAD_ROUTES.contains(&route) {
            self.0.upload_bytes.fetch_add(body_len, Ordering::Relaxed);
        }
    }

    /// The text exposition of every metric.
    pub fn render(&self, jobs: &JobRegistry) -> String {
        let mut out = String::new();
        let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        out.push_str(
            "# HELP bincio_http_requests_total HTTP requests by method, route template and status.\n\
             # TYPE bincio_http_requests_total counter\n",
        );
        for ((m, r, s), n) in self
            .0
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "bincio_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{s}\"}} {n}",
                esc(r)
            );
        }
        out.push_str(
            "# HELP bincio_http_request_duration_seconds Time to the response head, by method and route template.\n\
             # TYPE bincio_http_request_duration_seconds histogram\n",
        );
        for ((m, r), h) in self
            .0
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let labels = format!("method=\"{m}\",route=\"{}\"", esc(r));
            h.write(&mut out, "bincio_http_request_duration_seconds", &labels);
        }
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        counter(
            &mut out,
            "bincio_checkins_total",
            "Successful CCIP check-ins (scenario uses).",
            self.0.checkins.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "bincio_deliveries_total",
            "Successful booth puzzle deliveries.",
            self.0.deliveries.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "bincio_upload_bytes_total",
            "Bytes of request bodies sent to the upload routes.",
            self.0.upload_bytes.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP bincio_jobs_running Long-running jobs (uploads, imports, syncs) in progress.\n\
             # TYPE bincio_jobs_running gauge\nbincio_jobs_running {}",
            jobs.local().len()
        );
        store_calls::render(&mut out);
        out
    }
}

/// The layer's function: time the request, count it under its route
/// template.
async fn record(State(m): State<Metrics>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let body_len = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    let t = Instant::now();
    let resp = next.run(req).await;
    m.record(
        &method,
        &route,
        resp.status().as_u16(),
        t.elapsed().as_secs_f64(),
        body_len,
    );
    resp
}

/// What `/metrics` needs: the counters, the jobs, the token.
#[derive(Clone)]
struct Scrape {
    metrics: Metrics,
    jobs: JobRegistry,
    token: Arc<str>,
}

async fn scrape(State(s): State<Scrape>, headers: HeaderMap) -> Response {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Every byte compared (no early exit on the first difference).
    let ok = given.is_some_and(|g| {
        g.len() == s.token.len()
            && g.bytes()
                .zip(s.token.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    });
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need the bearer token of --metrics-token\n",
        )
            .into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.render(&s.jobs),
    )
        .into_response()
}

/// `app` with every request counted, and — when `token` is set — `GET
/// /metrics` answering with the bearer token. Apply it last, to the whole
/// app (pages, API, CCIP), so every route is counted.
pub fn instrument(app: Router, jobs: JobRegistry, token: Option<&str>) -> Router {
    let metrics = Metrics::default();
    let app = match token.filter(|t| !t.is_empty()) {
        Some(t) => app.route(
            "/metrics",
            get(scrape).with_state(Scrape {
                metrics: metrics.clone(),
                jobs,
                token: t.into(),
            }),
        ),
        None => app,
    };
    app.layer(axum::middleware::from_fn_with_state(metrics, record))
}
