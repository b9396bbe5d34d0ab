//! Support of the web page tests: an app on a fresh store of either
//! backend, and a small in-process browser-like client (cookie jar, form
//! tokens read from the page) over `tower::ServiceExt::oneshot`.
#![allow(dead_code)]

pub mod browser;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use bincio_core::accounts::Accounts;
use bincio_core::activities::Activities;
use bincio_core::model::Role;
use bincio_core::store::{ActivityStore, SourceStore, UserStore};
use bincio_core::{Clock, SystemClock};
use bincio_http::{AppState, HttpConfig};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Which store an app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Mongo,
}

/// Keeps the store's resources alive (temp dir / database to drop).
pub type Guard = Box<dyn std::any::Any + Send + Sync>;

/// A fresh, empty store of `backend`; `None` when MongoDB is skipped on
/// purpose (`BINCIO_SKIP_MONGO=1`, a notice is printed).
pub async fn stores(
    backend: Backend,
    test: &str,
) -> Option<(
    Arc<dyn UserStore>,
    Arc<dyn ActivityStore>,
    Arc<dyn SourceStore>,
    Arc<dyn bincio_core::store::ConnectionStore>,
    Guard,
)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let s = Arc::new(
                bincio_store_sqlite::SqliteStore::open(dir.path().join("instance.db"))
                    .expect("open sqlite"),
            );
            Some((s.clone(), s.clone(), s.clone(), s, Box::new(dir)))
        }
        Backend::Mongo => {
            let base = bincio_store_mongo::testkit::base_url(test)?;
            let (url, guard) = bincio_store_mongo::testkit::DropDb::fresh(&base);
            let s = Arc::new(
                bincio_store_mongo::MongoStore::connect(&url)
                    .await
                    .unwrap_or_else(|e| panic!("connect to {base}: {e}")),
            );
            Some((s.clone(), s.clone(), s.clone(), s, Box::new(guard)))
        }
    }
}

/// The app under test.
pub struct App {
    pub router: Router,
    pub state: AppState,
    pub accounts: Accounts,
    pub activities: Activities,
    /// The store of the activity sources (drop folders, sync history).
    pub sources: Arc<dyn SourceStore>,
    /// The user store.
    pub users: Arc<dyn UserStore>,
    /// Connections to outside sources (for the Strava card).
    pub connections: Arc<dyn bincio_core::store::ConnectionStore>,
    _guard: Guard,
}

/// Password of every account the tests create.
pub const PW: &str = "correct horse battery";

impl App {
    /// A fresh app without map tiles (tests never reach the network);
    /// `None` = MongoDB skipped on purpose.
    pub async fn new(backend: Backend, test: &str) -> Option<Self> {
        let config = HttpConfig {
            tiles: bincio_http::TileSource::none(),
            ..HttpConfig::default()
        };
        Self::with_config(backend, test, config).await
    }

    /// A fresh app with `config`.
    pub async fn with_config(backend: Backend, test: &str, config: HttpConfig) -> Option<Self> {
        let (users, acts, sources, connections, guard) = stores(backend, test).await?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let accounts = Accounts::new(users.clone(), clock.clone());
        let activities = Activities::new(acts, users.clone(), clock);
        let state = AppState::new(accounts.clone(), activities.clone(), config);
        Some(Self {
            router: bincio_http::router(state.clone()),
            state,
            accounts,
            activities,
            sources,
            users,
            connections,
            _guard: guard,
        })
    }

    /// Run the activity sources (drop folders under `data/drop/`), as
    /// `bincio serve` does.
    pub fn with_sources(self, data: &std::path::Path) -> Self {
        self.state.set_sources(bincio_core::sources::Sources::new(
            self.activities.clone(),
            self.accounts.store().clone(),
            self.sources.clone(),
            data,
        ));
        self
    }

    /// Create an account directly through the service.
    pub async fn user(&self, handle: &str, role: Role) {
        self.accounts
            .create_user(handle, "", PW, role)
            .await
            .expect("create user");
    }

    /// Set an instance setting.
    pub async fn set(&self, key: &str, value: &str) {
        self.accounts
            .set_setting(key, value)
            .await
            .expect("setting");
    }

    /// A browser-like client with an empty cookie jar.
    pub fn client(&self) -> Client {
        Client {
            router: self.router.clone(),
            jar: BTreeMap::new(),
            headers: Vec::new(),
        }
    }

    /// Ingest a fixture file (`tests/data/activities/{rel}`) for `handle`,
    /// keeping the original; returns the activity id.
    pub async fn ingest(&self, handle: &str, rel: &str) -> String {
        let user = self.accounts.require_user(handle).await.expect("user");
        let path = format!(
            "{}/../tests/data/activities/{rel}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let opts = bincio_core::activities::ingest::IngestOptions {
            store_original: true,
            ..Default::default()
        };
        self.activities
            .ingest(&user, name, bytes, opts)
            .await
            .unwrap_or_else(|e| panic!("ingest {rel}: {e}"))
            .id()
            .to_owned()
    }

    /// Edit `handle`'s activity `id` through the service (JSON edit body).
    pub async fn edit(&self, handle: &str, id: &str, body: serde_json::Value) {
        let user = self.accounts.require_user(handle).await.expect("user");
        let req: bincio_core::activities::EditRequest =
            serde_json::from_value(body).expect("edit body");
        self.activities.edit(&user, id, req).await.expect("edit");
    }

    /// A client logged in as `handle` (with [`PW`]) through the log-in page.
    pub async fn logged_in(&self, handle: &str) -> Client {
        let mut c = self.client();
        let r = c
            .submit(
                "/login/",
                "/login/",
                &[("handle", handle), ("password", PW)],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "log in {handle}: {}",
            r.body
        );
        c
    }
}

/// A response with its body as text.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The `Location` header.
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The first form token on the page.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no form token on the page:\n{}", self.body));
        let rest = &self.body[at + 19..];
        rest[..rest.find('"').unwrap_or(0)].to_owned()
    }

    /// Whether the header is set to exactly `value`.
    pub fn header_is(&self, name: &str, value: &str) -> bool {
        self.headers.get(name).and_then(|v| v.to_str().ok()) == Some(value)
    }
}

/// An in-process client that keeps cookies like a browser.
#[derive(Clone)]
pub struct Client {
    router: Router,
    /// Cookie name → value.
    pub jar: BTreeMap<String, String>,
    /// Extra headers sent with every request (`Accept-Language` …).
    pub headers: Vec<(String, String)>,
}

impl Client {
    /// Send a request; cookies set by the response are stored.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<String>,
        extra: &[(&str, &str)],
    ) -> Page {
        match body {
            Some(b) => {
                let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
                all.extend_from_slice(extra);
                self.send_raw(method, path, b.into_bytes(), &all).await
            }
            None => self.send_raw(method, path, Vec::new(), extra).await,
        }
    }

    /// Send a request with a raw body (headers in `extra`).
    pub async fn send_raw(
        &mut self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        extra: &[(&str, &str)],
    ) -> Page {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "bincio.test");
        if !extra.iter().any(|(k, _)| k.eq_ignore_ascii_case("accept")) {
            // What a browser sends when it navigates.
            req = req.header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8");
        }
        if !self.jar.is_empty() {
            let cookie = self
                .jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.header(header::COOKIE, cookie);
        }
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let req = req.body(Body::from(body)).expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        for c in headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap_or("");
            let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
            if let Some((k, v)) = kv.split_once('=') {
                if v.is_empty() || attrs.contains("Max-Age=0") {
                    self.jar.remove(k);
                } else {
                    self.jar.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None, &[]).await
    }

    /// Post `fields` to `action` as given (no token added).
    pub async fn post(
        &mut self,
        action: &str,
        fields: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.send(Method::POST, action, Some(body), extra).await
    }

    /// Post a `multipart/form-data` body: text `fields`, then `files` as
    /// `(field, file name, bytes)`.
    pub async fn multipart(
        &mut self,
        action: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
        extra: &[(&str, &str)],
    ) -> Page {
        const B: &str = "----bincio-test-boundary";
        let mut body: Vec<u8> = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!("--{B}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        for (k, name, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{B}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{B}--\r\n").as_bytes());
        let ct = format!("multipart/form-data; boundary={B}");
        let mut all: Vec<(&str, &str)> = vec![("content-type", ct.as_str())];
        all.extend_from_slice(extra);
        self.send_raw(Method::POST, action, body, &all).await
    }

    /// Open `page`, take its form token and post `fields` to `action`, as a
    /// person filling the form would.
    pub async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let p = self.get(page).await;
        assert!(p.status.is_success(), "GET {page}: {} {}", p.status, p.body);
        let token = p.csrf();
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all, &[]).await
    }
}

/// One `#[tokio::test]` per case and backend: `cases!(a, b)` makes
/// `sqlite::a`, `mongo::a`, … each calling `a(Backend::…)`.
#[macro_export]
macro_rules! web_cases {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::web_support::Backend::Sqlite).await;
                }
            )*
        }
        /// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
        mod mongo {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::web_support::Backend::Mongo).await;
                }
            )*
        }
    };
}

/// The app for a case, or return when MongoDB is skipped on purpose.
#[macro_export]
macro_rules! app {
    ($backend:expr) => {
        match $crate::web_support::App::new($backend, module_path!()).await {
            Some(a) => a,
            None => return,
        }
    };
}
