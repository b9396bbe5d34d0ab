//! A stateful fake Strava (feature `testkit`): an axum router on
//! `127.0.0.1:0` speaking enough of OAuth and API v3 for the sync, with
//! Strava's behaviours that matter to it:
//!
//! * authorize → approve (with the scopes the member leaves ticked) or
//!   deny, as the redirect URL Strava would send the browser to;
//! * codes are single use; access tokens expire after 6 h (by the shared
//!   clock); a refresh rotates the refresh token and the old one dies;
//! * `deauthorize` (or [`FakeStrava::revoke`]) kills every token: 401;
//! * `/athlete/activities` pages by `after`, `page`, `per_page` (≤ 200),
//!   oldest first; manual activities have no streams (404);
//! * `X-RateLimit-*` / `X-ReadRateLimit-*` on every reply, windows reset
//!   at quarter hours and UTC midnight of the shared clock, 429 once a
//!   budget is spent (still counted);
//! * an activity can be made to fail once (500 on its detail).
//!
//! Over 600 lines on purpose: one fake, its state and its routes read
//! together; split, each half would need the other to make sense.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bincio_core::Clock;
use serde::Deserialize;
use serde_json::{json, Value};

/// Lifetime of an access token (s), as Strava's.
pub const TOKEN_TTL_S: i64 = 21_600;

/// One activity of the fake athlete.
#[derive(Debug, Clone)]
pub struct FakeActivity {
    /// Strava id.
    pub id: i64,
    /// Title.
    pub name: String,
    /// Start (Unix s).
    pub start: i64,
    /// Entered by hand: no streams.
    pub manual: bool,
    /// `private`.
    pub private: bool,
    /// `visibility`.
    pub visibility: String,
    /// Description (detail only).
    pub description: Option<String>,
    /// Samples (1 Hz) of its streams.
    pub points: usize,
}

#[derive(Default)]
struct Usage {
    window: i64,
    day: i64,
    counts: [u32; 2],
    day_counts: [u32; 2],
}

#[derive(Default)]
struct Inner {
    client_id: String,
    client_secret: String,
    athlete_id: i64,
    activities: BTreeMap<i64, FakeActivity>,
    codes: HashMap<String, String>,
    access: HashMap<String, i64>,
    refresh: HashSet<String>,
    issued: Vec<String>,
    fail_once: HashSet<i64>,
    /// `[overall, read]` limits: `[15 min, daily]` each.
    limits: [[u32; 2]; 2],
    usage: Usage,
    refreshes: u32,
    deauthorized: u32,
    requests: u64,
}

/// The fake: its base URL and its state (shared with the server task).
#[derive(Clone)]
pub struct FakeStrava {
    base: String,
    inner: Arc<Mutex<Inner>>,
    clock: Arc<dyn Clock>,
}

fn token() -> String {
    hex::encode(rand::random::<[u8; 20]>())
}

impl FakeStrava {
    /// Start a fake with app `client_id` / `client_secret` on a free port
    /// of 127.0.0.1, on `clock`.
    pub async fn start(client_id: &str, client_secret: &str, clock: Arc<dyn Clock>) -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            athlete_id: 4242,
            limits: [[200, 2000], [100, 1000]],
            ..Inner::default()
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Strava");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let fake = Self { base, inner, clock };
        let app = Router::new()
            .route("/oauth/token", post(token_route))
            .route("/oauth/deauthorize", post(deauthorize_route))
            .route("/api/v3/athlete/activities", get(list_route))
            .route("/api/v3/activities/{id}", get(detail_route))
            .route("/api/v3/activities/{id}/streams", get(streams_route))
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    /// The OAuth base to configure (`…/oauth`).
    pub fn oauth_base(&self) -> String {
        format!("{}/oauth", self.base)
    }

    /// The API base to configure (`…/api/v3`).
    pub fn api_base(&self) -> String {
        format!("{}/api/v3", self.base)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The member approves `authorize_url` leaving `scope` ticked: the
    /// callback URL (path and query) Strava redirects the browser to.
    pub fn approve(&self, authorize_url: &str, scope: &str) -> String {
        let q = query_of(authorize_url);
        let code = token();
        self.lock().codes.insert(code.clone(), scope.to_owned());
        callback(
            &q,
            &[
                ("state", q.get("state").cloned().unwrap_or_default()),
                ("code", code),
                ("scope", scope.to_owned()),
            ],
        )
    }

    /// The member declines: the callback URL with `error=access_denied`.
    pub fn deny(&self, authorize_url: &str) -> String {
        let q = query_of(authorize_url);
        callback(
            &q,
            &[
                ("state", q.get("state").cloned().unwrap_or_default()),
                ("error", "access_denied".to_owned()),
            ],
        )
    }

    /// Add a ride with `points` 1 Hz samples (GPS, altitude, distance,
    /// heart rate, cadence, power, temperature, speed).
    pub fn add_ride(&self, id: i64, name: &str, start: i64, points: usize) {
        self.add(FakeActivity {
            id,
            name: name.to_owned(),
            start,
            manual: false,
            private: false,
            visibility: "everyone".into(),
            description: Some(format!("description of {name}")),
            points,
        });
    }

    /// Add a manual activity (no streams).
    pub fn add_manual(&self, id: i64, name: &str, start: i64) {
        self.add(FakeActivity {
            id,
            name: name.to_owned(),
            start,
            manual: true,
            private: false,
            visibility: "everyone".into(),
            description: None,
            points: 0,
        });
    }

    /// Add (or replace) an activity.
    pub fn add(&self, a: FakeActivity) {
        self.lock().activities.insert(a.id, a);
    }

    /// Rename an activity.
    pub fn rename(&self, id: i64, name: &str) {
        if let Some(a) = self.lock().activities.get_mut(&id) {
            name.clone_into(&mut a.name);
        }
    }

    /// Make the next detail request of `id` fail (500).
    pub fn fail_once(&self, id: i64) {
        self.lock().fail_once.insert(id);
    }

    /// Set the read budget (`[15 min, daily]`).
    pub fn set_read_limit(&self, limit: [u32; 2]) {
        self.lock().limits[1] = limit;
    }

    /// Set the overall budget (`[15 min, daily]`).
    pub fn set_overall_limit(&self, limit: [u32; 2]) {
        self.lock().limits[0] = limit;
    }

    /// Count `n` reads in the current windows (another process of the
    /// same app used them).
    pub fn spend_reads(&self, n: u32) {
        let now = self.clock.unix();
        let mut g = self.lock();
        roll(&mut g.usage, now);
        g.usage.counts[0] += n;
        g.usage.counts[1] += n;
        g.usage.day_counts[0] += n;
        g.usage.day_counts[1] += n;
    }

    /// The athlete revokes the app at Strava: every token dies.
    pub fn revoke(&self) {
        let mut g = self.lock();
        g.access.clear();
        g.refresh.clear();
    }

    /// Every token the fake ever issued (access and refresh).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.lock().issued.clone()
    }

    /// Refreshes served.
    pub fn refreshes(&self) -> u32 {
        self.lock().refreshes
    }

    /// Deauthorizations served.
    pub fn deauthorized(&self) -> u32 {
        self.lock().deauthorized
    }

    /// API requests served (any status).
    pub fn requests(&self) -> u64 {
        self.lock().requests
    }

    /// Whether `refresh_token` is still valid.
    pub fn refresh_token_valid(&self, refresh_token: &str) -> bool {
        self.lock().refresh.contains(refresh_token)
    }

    fn issue(&self, g: &mut Inner) -> Value {
        let (access, refresh) = (token(), token());
        let expires_at = self.clock.unix() + TOKEN_TTL_S;
        g.access.insert(access.clone(), expires_at);
        g.refresh.insert(refresh.clone());
        g.issued.push(access.clone());
        g.issued.push(refresh.clone());
        json!({"token_type": "Bearer", "access_token": access, "refresh_token": refresh,
               "expires_at": expires_at, "expires_in": TOKEN_TTL_S})
    }

    /// Authenticate and count an API read; `Err` is the reply to send.
    #[allow(clippy::result_large_err)] // the error is the reply itself
    fn read(&self, headers: &HeaderMap) -> Result<HeaderMap, Response> {
        let now = self.clock.unix();
        let mut g = self.lock();
        g.requests += 1;
        roll(&mut g.usage, now);
        let spent = (0..2).any(|b| {
            g.usage.counts[b] >= g.limits[b][0] || g.usage.day_counts[b] >= g.limits[b][1]
        });
        for b in 0..2 {
            g.usage.counts[b] += 1;
            g.usage.day_counts[b] += 1;
        }
        let rate = rate_headers(&g);
        if spent {
            return Err((
                StatusCode::TOO_MANY_REQUESTS,
                rate,
                Json(json!({"message": "Rate Limit Exceeded",
                    "errors": [{"resource": "Application", "field": "rate limit", "code": "exceeded"}]})),
            )
                .into_response());
        }
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        match g.access.get(bearer) {
            Some(exp) if *exp > now => Ok(rate),
            _ => Err((
                StatusCode::UNAUTHORIZED,
                rate,
                Json(json!({"message": "Authorization Error",
                    "errors": [{"resource": "Athlete", "field": "access_token", "code": "invalid"}]})),
            )
                .into_response()),
        }
    }
}

fn roll(u: &mut Usage, now: i64) {
    if now.div_euclid(900) != u.window {
        u.window = now.div_euclid(900);
        u.counts = [0, 0];
    }
    if now.div_euclid(86_400) != u.day {
        u.day = now.div_euclid(86_400);
        u.day_counts = [0, 0];
    }
}

fn rate_headers(g: &Inner) -> HeaderMap {
    let mut h = HeaderMap::new();
    let mut put = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    put(
        "x-ratelimit-limit",
        format!("{},{}", g.limits[0][0], g.limits[0][1]),
    );
    put(
        "x-ratelimit-usage",
        format!("{},{}", g.usage.counts[0], g.usage.day_counts[0]),
    );
    put(
        "x-readratelimit-limit",
        format!("{},{}", g.limits[1][0], g.limits[1][1]),
    );
    put(
        "x-readratelimit-usage",
        format!("{},{}", g.usage.counts[1], g.usage.day_counts[1]),
    );
    h
}

fn query_of(url: &str) -> HashMap<String, String> {
    let q = url.split_once('?').map_or("", |(_, q)| q);
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), percent_decode(v)))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|c| match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (c as char).to_string()
            }
            c => format!("%{c:02X}"),
        })
        .collect()
}

/// The redirect target (path and query of `redirect_uri`) with `params`.
fn callback(q: &HashMap<String, String>, params: &[(&str, String)]) -> String {
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    let path = redirect
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or(redirect);
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    format!("{path}?{}", query.join("&"))
}

#[derive(Deserialize)]
struct TokenForm {
    client_id: String,
    client_secret: String,
    grant_type: String,
    code: Option<String>,
    refresh_token: Option<String>,
}

fn bad(resource: &str, field: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"message": "Bad Request",
            "errors": [{"resource": resource, "field": field, "code": "invalid"}]})),
    )
        .into_response()
}

async fn token_route(State(f): State<FakeStrava>, Form(t): Form<TokenForm>) -> Response {
    let mut g = f.lock();
    if t.client_id != g.client_id || t.client_secret != g.client_secret {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Authorization Error",
                "errors": [{"resource": "Application", "field": "client_id", "code": "invalid"}]})),
        )
            .into_response();
    }
    match t.grant_type.as_str() {
        "authorization_code" => {
            let Some(_scope) = t.code.as_deref().and_then(|c| g.codes.remove(c)) else {
                return bad("AuthorizationCode", "code");
            };
            let mut body = f.issue(&mut g);
            body["athlete"] = json!({"id": g.athlete_id, "firstname": "Fay", "lastname": "Kerr",
                "username": "fayk"});
            Json(body).into_response()
        }
        "refresh_token" => {
            let Some(old) = t.refresh_token.filter(|r| g.refresh.contains(r)) else {
                return bad("RefreshToken", "refresh_token");
            };
            // Rotation: the old refresh token dies.
            g.refresh.remove(&old);
            g.refreshes += 1;
            Json(f.issue(&mut g)).into_response()
        }
        _ => bad("Application", "grant_type"),
    }
}

async fn deauthorize_route(State(f): State<FakeStrava>, headers: HeaderMap) -> Response {
    let now = f.clock.unix();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_owned();
    let mut g = f.lock();
    if g.access.get(&bearer).is_none_or(|e| *e <= now) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Authorization Error"})),
        )
            .into_response();
    }
    g.access.clear();
    g.refresh.clear();
    g.deauthorized += 1;
    Json(json!({"access_token": bearer})).into_response()
}

fn iso(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn summary(a: &FakeActivity) -> Value {
    let secs = a.points.max(1800) as i64;
    json!({
        "id": a.id, "name": a.name, "type": "Ride", "sport_type": "Ride",
        "start_date": iso(a.start), "start_date_local": iso(a.start),
        "distance": (a.points as f64) * 8.0 + if a.manual { 12_000.0 } else { 0.0 },
        "moving_time": secs, "elapsed_time": secs + 60,
        "total_elevation_gain": 42.0, "average_speed": 8.0, "max_speed": 12.0,
        "private": a.private, "visibility": a.visibility, "manual": a.manual,
        "trainer": false, "device_name": if a.manual { Value::Null } else { json!("Fake Edge 540") },
    })
}

#[derive(Deserialize)]
struct ListQuery {
    after: Option<i64>,
    page: Option<u32>,
    per_page: Option<u32>,
}

async fn list_route(
    State(f): State<FakeStrava>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let rate = match f.read(&headers) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let per = q.per_page.unwrap_or(30).clamp(1, 200) as usize;
    let page = q.page.unwrap_or(1).max(1) as usize;
    let after = q.after.unwrap_or(0);
    let g = f.lock();
    let mut all: Vec<&FakeActivity> = g.activities.values().filter(|a| a.start > after).collect();
    all.sort_by_key(|a| (a.start, a.id));
    let items: Vec<Value> = all
        .into_iter()
        .skip((page - 1) * per)
        .take(per)
        .map(summary)
        .collect();
    (rate, Json(Value::Array(items))).into_response()
}

async fn detail_route(
    State(f): State<FakeStrava>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let rate = match f.read(&headers) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let mut g = f.lock();
    if g.fail_once.remove(&id) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            rate,
            Json(json!({"message": "Server Error"})),
        )
            .into_response();
    }
    let Some(a) = g.activities.get(&id) else {
        return (
            StatusCode::NOT_FOUND,
            rate,
            Json(json!({"message": "Record Not Found"})),
        )
            .into_response();
    };
    let mut d = summary(a);
    d["description"] = json!(a.description);
    d["gear"] = json!({"id": "b1", "name": "Fake Bike"});
    d["laps"] = json!([{"lap_index": 1, "start_date": iso(a.start), "elapsed_time": a.points.max(1) as i64,
        "distance": (a.points as f64) * 8.0, "total_elevation_gain": 42.0, "average_speed": 8.0,
        "average_heartrate": 140.0, "average_watts": 200.0}]);
    d["calories"] = json!(500);
    (rate, Json(d)).into_response()
}

async fn streams_route(
    State(f): State<FakeStrava>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let rate = match f.read(&headers) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let g = f.lock();
    let Some(a) = g.activities.get(&id).filter(|a| !a.manual) else {
        return (
            StatusCode::NOT_FOUND,
            rate,
            Json(json!({"message": "Record Not Found"})),
        )
            .into_response();
    };
    let n = a.points;
    let series = |data: Value| json!({"data": data, "series_type": "time", "original_size": n, "resolution": "high"});
    let body = json!({
        "time": series(json!((0..n).collect::<Vec<_>>())),
        "latlng": series(json!((0..n).map(|k| [45.0 + k as f64 * 0.00007, 9.0 + (k as f64 * 0.01).sin() * 0.001]).collect::<Vec<_>>())),
        "altitude": series(json!((0..n).map(|k| 120.0 + (k as f64 / 60.0).sin() * 20.0).collect::<Vec<_>>())),
        "distance": series(json!((0..n).map(|k| k as f64 * 8.0).collect::<Vec<_>>())),
        "heartrate": series(json!((0..n).map(|k| 120 + (k % 40) as i64).collect::<Vec<_>>())),
        "cadence": series(json!(vec![88; n])),
        "watts": series(json!((0..n).map(|k| 180 + (k % 50) as i64).collect::<Vec<_>>())),
        "temp": series(json!(vec![21; n])),
        "moving": series(json!(vec![true; n])),
        "velocity_smooth": series(json!(vec![8.0; n])),
    });
    (rate, Json(body)).into_response()
}
