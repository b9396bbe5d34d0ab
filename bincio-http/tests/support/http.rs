//! An in-process client for the router (no sockets): requests go through
//! `tower::ServiceExt::oneshot`, cookies are carried by hand. The one way
//! every HTTP test sends a request and reads a response ([`call`],
//! [`Resp`]); [`TestApp`] is the accounts / activities app,
//! [`super::ccip::CcipApp`] the same app with the CCIP router merged in.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use bincio_core::accounts::Accounts;
use bincio_core::activities::Activities;
use bincio_core::{Clock, ManualClock};
use bincio_http::{AppState, HttpConfig};
use bincio_store_conformance::{Backend, Stores};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// A response: status, headers, body as JSON (or `Value::Null`) and text.
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: Value,
    pub text: String,
}

impl Resp {
    /// The session token set by a `Set-Cookie: bincio_session=…`.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("bincio_session="))
            .map(|v| v.split(';').next().unwrap_or("").to_owned())
    }

    /// The content type.
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Assert a CS error: 400 `{"message": m}` in Flask's encoding.
    #[track_caller]
    pub fn assert_cs_error(&self, m: &str) {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "{}", self.text);
        assert_eq!(self.json, serde_json::json!({ "message": m }));
        assert_eq!(self.content_type(), "application/json");
        assert!(self.text.ends_with("}\n"), "{:?}", self.text);
    }

    /// Assert 200 and return the JSON.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text);
        &self.json
    }
}

/// A request: `body` is `(content type, bytes)`; `headers` are added in
/// order.
pub fn request(
    method: Method,
    uri: &str,
    body: Option<(&str, Vec<u8>)>,
    headers: &[(&str, &str)],
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    match body {
        Some((ct, bytes)) => b.header(header::CONTENT_TYPE, ct).body(Body::from(bytes)),
        None => b.body(Body::empty()),
    }
    .expect("request")
}

/// Send `req` through `router` and read the whole response.
pub async fn call(router: &Router, req: Request<Body>) -> Resp {
    let resp = router.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    Resp {
        status,
        headers,
        json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A `multipart/form-data` body: one part per `(field, file name, bytes)`;
/// a part without a file name is a text field, one with a file name an
/// `application/octet-stream` file.
pub fn multipart_body(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, name, bytes) in parts {
        let head = match name {
            Some(name) => format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ),
            None => format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n"),
        };
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// The services of an app on `stores`, as `bincio serve` builds them.
pub fn services(stores: &Stores, clock: &Arc<ManualClock>) -> (Accounts, Activities) {
    let clock = clock.clone() as Arc<dyn Clock>;
    let accounts = Accounts::new(stores.users.clone(), clock.clone());
    let activities = Activities::new(stores.activities.clone(), stores.users.clone(), clock);
    (accounts, activities)
}

/// The app under test with its clock and stores.
pub struct TestApp {
    pub router: Router,
    pub clock: Arc<ManualClock>,
    pub stores: Stores,
    pub accounts: Accounts,
    pub activities: Activities,
}

/// Start time of every test clock (2026-01-01T00:00:00Z).
pub const T0: i64 = 1_767_225_600;

impl TestApp {
    /// A fresh app on `backend` with default options.
    pub async fn new(backend: &dyn Backend) -> Self {
        Self::with_config(backend, HttpConfig::default()).await
    }

    /// A fresh app with options.
    pub async fn with_config(backend: &dyn Backend, config: HttpConfig) -> Self {
        Self::with_activities(backend, config, |a| a).await
    }

    /// A fresh app whose activities service is adjusted by `f` (change
    /// listener, DEM source, …).
    pub async fn with_activities(
        backend: &dyn Backend,
        config: HttpConfig,
        f: impl FnOnce(Activities) -> Activities,
    ) -> Self {
        let stores = backend.fresh().await;
        let clock = Arc::new(ManualClock::at(T0));
        let (accounts, activities) = services(&stores, &clock);
        let activities = f(activities);
        let router =
            bincio_http::router(AppState::new(accounts.clone(), activities.clone(), config));
        Self {
            router,
            clock,
            stores,
            accounts,
            activities,
        }
    }

    /// Send a request with an optional JSON body and extra headers.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let body = body.map(|v| ("application/json", v.to_string().into_bytes()));
        call(&self.router, request(method, uri, body, headers)).await
    }

    /// Send raw bytes with a content type.
    pub async fn send_bytes(
        &self,
        method: Method,
        uri: &str,
        content_type: &str,
        body: Vec<u8>,
        token: Option<&str>,
    ) -> Resp {
        let cookie = token.map(|t| format!("bincio_session={t}"));
        let h: Vec<(&str, &str)> = cookie.iter().map(|c| ("cookie", c.as_str())).collect();
        call(
            &self.router,
            request(method, uri, Some((content_type, body)), &h),
        )
        .await
    }

    /// A multipart/form-data request with one file field per `(field,
    /// file name, bytes)`.
    pub async fn multipart(
        &self,
        uri: &str,
        files: &[(&str, &str, &[u8])],
        token: Option<&str>,
    ) -> Resp {
        let boundary = "bincio-test-boundary-7d9f";
        let parts: Vec<_> = files
            .iter()
            .map(|(field, name, bytes)| (*field, Some(*name), *bytes))
            .collect();
        let body = multipart_body(boundary, &parts);
        self.send_bytes(
            Method::POST,
            uri,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
            token,
        )
        .await
    }

    /// GET with a session token (cookie).
    pub async fn get(&self, uri: &str, token: Option<&str>) -> Resp {
        let cookie = token.map(|t| format!("bincio_session={t}"));
        let h: Vec<(&str, &str)> = cookie.iter().map(|c| ("cookie", c.as_str())).collect();
        self.send(Method::GET, uri, None, &h).await
    }

    /// A JSON request with a session token (cookie).
    pub async fn json(&self, method: Method, uri: &str, body: Value, token: Option<&str>) -> Resp {
        let cookie = token.map(|t| format!("bincio_session={t}"));
        let h: Vec<(&str, &str)> = cookie.iter().map(|c| ("cookie", c.as_str())).collect();
        self.send(method, uri, Some(body), &h).await
    }

    /// Create the admin directly and return a logged-in token.
    pub async fn admin(&self) -> String {
        self.accounts
            .create_user(
                "admin",
                "Admin",
                "admin-password",
                bincio_core::model::Role::Admin,
            )
            .await
            .expect("create admin");
        self.login("admin", "admin-password").await
    }

    /// Log in through HTTP; panics unless 200.
    pub async fn login(&self, handle: &str, password: &str) -> String {
        self.sign_in("/api/auth/login", handle, password)
            .await
            .session_cookie()
            .expect("session cookie")
    }

    /// A mobile client's `Authorization` value for `handle` (through
    /// `POST /api/auth/token`); panics unless 200.
    pub async fn bearer(&self, handle: &str, password: &str) -> String {
        let r = self.sign_in("/api/auth/token", handle, password).await;
        let token = r.json["token"].as_str().expect("token");
        format!("Bearer {token}")
    }

    /// POST credentials to `route`; panics unless 200.
    async fn sign_in(&self, route: &str, handle: &str, password: &str) -> Resp {
        let body = serde_json::json!({"handle": handle, "password": password});
        let r = self.json(Method::POST, route, body, None).await;
        assert_eq!(r.status, StatusCode::OK, "{route} {handle}: {}", r.text);
        r
    }

    /// Mint an invite as the holder of `token`.
    pub async fn invite(&self, token: &str) -> String {
        let r = self
            .json(
                Method::POST,
                "/api/invites",
                serde_json::json!({}),
                Some(token),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json["code"].as_str().expect("code").to_owned()
    }

    /// Register through HTTP; returns the response.
    /// The admin and one member per handle (password `{handle}-password`),
    /// each registered through an invite: their session cookies.
    pub async fn admin_and_members<const N: usize>(
        &self,
        handles: [&str; N],
    ) -> (String, [String; N]) {
        let admin = self.admin().await;
        let mut cookies = Vec::with_capacity(N);
        for h in handles {
            let code = self.invite(&admin).await;
            let r = self.register(&code, h, &format!("{h}-password")).await;
            cookies.push(
                r.session_cookie()
                    .expect("registration sets a session cookie"),
            );
        }
        let members = cookies.try_into().expect("one cookie per handle");
        (admin, members)
    }

    pub async fn register(&self, code: &str, handle: &str, password: &str) -> Resp {
        self.json(
            Method::POST,
            "/api/register",
            serde_json::json!({"code": code, "handle": handle, "password": password}),
            None,
        )
        .await
    }
}

/// An instance with two members, alice and bob (session cookies); test
/// files add the helpers they need in their own `impl World`.
pub struct World {
    pub app: TestApp,
    pub alice: String,
    pub bob: String,
}

impl World {
    pub async fn new(b: &dyn Backend) -> Self {
        let app = TestApp::new(b).await;
        let (_, [alice, bob]) = app.admin_and_members(["alice", "bob"]).await;
        World { app, alice, bob }
    }
}
