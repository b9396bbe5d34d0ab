//! Harness of the CCIP HTTP tests: the fixture event (copied to a temp dir
//! with a staff key), a manual clock, a seeded piece generator, and the app
//! router with the CCIP router merged in, as `bincio serve` builds it.
//! Requests and responses go through the one client of [`super::http`].

pub mod mongoengine;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::Method;
use axum::Router;
use bincio_core::accounts::Accounts;
use bincio_core::event::puzzle::SeededRng;
use bincio_core::event::EventService;
use bincio_core::{Clock, ManualClock};
use bincio_http::ccip::{self, CcipState};
use bincio_http::{AppState, HttpConfig};
use bincio_store_conformance::{Backend, Stores};
use serde_json::Value;

pub use super::http::Resp;
use super::http::{call, multipart_body, request, services};

/// `2030/05/01 08:00 +0800`: check-in opens.
pub const OPEN: i64 = 1_903_824_000;
/// `2030/05/01 09:00 +0800`: during check-in, before the lunch cut-off.
pub const MORNING: i64 = OPEN + 3600;
/// `2030/05/01 11:00 +0800`: lunch `disable_time`.
pub const LUNCH_CUTOFF: i64 = 1_903_834_800;
/// `2030/05/01 18:00 +0800`: check-in closes (exclusive).
pub const CLOSE: i64 = 1_903_860_000;

/// The staff key configured in the test event.
pub const STAFF_KEY: &str = "staff-key-for-tests";

/// Fixture tokens.
pub const ADA: &str = "6513270e269e0d37f2a74de452e6b438"; // speaker, veg, sponsor Y, S
pub const GRACE: &str = "1818e811892f902bd23f0824128b2f33"; // meat, sponsor N, L
pub const FERRIS: &str = "6bf46c697d2caf82eeeacbe226e87555"; // staff, crew, M

/// The shared fixture directory in the repo.
pub fn fixture_dir() -> PathBuf {
    super::repo_root().join("tests/fixtures/event")
}

/// The fixture CSV `name`.
pub fn fixture_csv(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).expect("fixture csv")
}

/// The app under test.
pub struct CcipApp {
    pub router: Router,
    pub clock: Arc<ManualClock>,
    pub service: Arc<EventService>,
    pub stores: Stores,
    pub accounts: Accounts,
    pub dir: tempfile::TempDir,
}

/// Copy the fixture into a temp dir, add a staff key, let `edit` change
/// files, and return the dir.
pub fn event_dir(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for e in std::fs::read_dir(fixture_dir()).expect("fixture") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy");
    }
    let toml = dir.path().join("event.toml");
    let text = std::fs::read_to_string(&toml).expect("event.toml");
    let text = text.replacen(
        "[roles]",
        &format!("staff_key = \"{STAFF_KEY}\"\n\n[roles]"),
        1,
    );
    std::fs::write(&toml, text).expect("write event.toml");
    edit(dir.path());
    dir
}

impl CcipApp {
    /// The fixture event on a fresh backend, clock at [`MORNING`].
    pub async fn new(b: &dyn Backend) -> Self {
        Self::with_dir(b, event_dir(|_| {})).await
    }

    /// An app over an event directory.
    pub async fn with_dir(b: &dyn Backend, dir: tempfile::TempDir) -> Self {
        let stores = b.fresh().await;
        let clock = Arc::new(ManualClock::at(MORNING));
        let (accounts, activities) = services(&stores, &clock);
        // As `bincio serve --event DIR` builds it …
        let state = CcipState::from_event_dir(
            dir.path(),
            stores.attendees.clone(),
            stores.puzzles.clone(),
            clock.clone() as Arc<dyn Clock>,
            Some(accounts.clone()),
        )
        .await
        .expect("event");
        // … with a seeded piece choice so runs repeat.
        let service =
            Arc::new(EventService::clone(&state.service).with_rng(Arc::new(SeededRng::new(7))));
        let app_state = AppState::new(accounts.clone(), activities, HttpConfig::default());
        // The staff console pages over the same service.
        app_state.set_event(service.clone());
        let router = bincio_http::router(app_state).merge(ccip::router(CcipState::new(
            service.clone(),
            state.accounts.clone(),
        )));
        Self {
            router,
            clock,
            service,
            stores,
            accounts,
            dir,
        }
    }

    /// The app as a second `bincio serve` process on the same store would
    /// serve it: its own state (jobs, staged files' handles, caches) built
    /// afresh, nothing shared with this one but the store.
    pub fn second_process(&self) -> Router {
        let (accounts, activities) = services(&self.stores, &self.clock);
        let app_state = AppState::new(accounts, activities, HttpConfig::default());
        app_state.set_event(self.service.clone());
        bincio_http::router(app_state)
    }

    /// The fixture event with both fixture CSVs imported.
    pub async fn imported(b: &dyn Backend) -> Self {
        let app = Self::new(b).await;
        app.import("audience", "attendees.csv").await;
        app.import("staff", "staff.csv").await;
        app
    }

    /// Import a fixture CSV through the service.
    pub async fn import(&self, role: &str, file: &str) {
        self.service
            .import_csv(role, &fixture_csv(file))
            .await
            .expect("import");
    }

    /// Send a request.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        body: Option<(&str, Vec<u8>)>,
        headers: &[(&str, &str)],
    ) -> Resp {
        call(&self.router, request(method, uri, body, headers)).await
    }

    /// GET.
    pub async fn get(&self, uri: &str) -> Resp {
        self.send(Method::GET, uri, None, &[]).await
    }

    /// GET as staff (the `ccip` header).
    pub async fn staff_get(&self, uri: &str) -> Resp {
        self.send(Method::GET, uri, None, &[("ccip", STAFF_KEY)])
            .await
    }

    /// POST a urlencoded form.
    pub async fn post_form(&self, uri: &str, form: &str, headers: &[(&str, &str)]) -> Resp {
        self.send(
            Method::POST,
            uri,
            Some((
                "application/x-www-form-urlencoded",
                form.as_bytes().to_vec(),
            )),
            headers,
        )
        .await
    }

    /// POST a JSON body.
    pub async fn post_json(&self, uri: &str, body: Value, headers: &[(&str, &str)]) -> Resp {
        self.send(
            Method::POST,
            uri,
            Some(("application/json", body.to_string().into_bytes())),
            headers,
        )
        .await
    }

    /// POST a multipart form of text fields.
    pub async fn post_multipart(
        &self,
        uri: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Resp {
        let boundary = "XbincioBoundaryX";
        let parts: Vec<_> = fields
            .iter()
            .map(|(k, v)| (*k, None, v.as_bytes()))
            .collect();
        let body = multipart_body(boundary, &parts);
        let ct = format!("multipart/form-data; boundary={boundary}");
        self.send(Method::POST, uri, Some((&ct, body)), headers)
            .await
    }

    /// `/status` as the app (no StaffQuery).
    pub async fn status(&self, token: &str) -> Value {
        self.get(&format!("/status?token={token}"))
            .await
            .ok()
            .clone()
    }

    /// A user account with `role`, logged in; returns its session token.
    pub async fn account(&self, handle: &str, role: bincio_core::model::Role) -> String {
        self.accounts
            .create_user(handle, handle, "password-for-tests", role)
            .await
            .expect("create user");
        self.accounts
            .login(handle, "password-for-tests")
            .await
            .expect("login")
            .token
    }
}

/// SHA-1 public token.
pub fn public(token: &str) -> String {
    bincio_core::event::model::public_token(token)
}
