//! `serve --render-dir`: writes through the service re-render the static
//! tree in the background, coalesced.

#[macro_use]
#[path = "../bincio-http/tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use bincio_core::activities::ingest::IngestOptions;
use bincio_core::activities::render::RenderTarget;
use bincio_core::activities::render_worker::RenderWorker;
use bincio_core::activities::Activities;
use bincio_core::model::Role;
use bincio_core::Clock;
use bincio_store_conformance::Backend;
use support::http::TestApp;

async fn writes_rerender_the_tree(b: &dyn Backend) {
    let app = TestApp::new(b).await;
    let user = app
        .accounts
        .create_user("alice", "Alice", "alice-password", Role::User)
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let worker = RenderWorker::spawn(
        app.stores.activities.clone(),
        app.stores.users.clone(),
        RenderTarget::new(out.path(), data.path()),
        app.clock.clone() as Arc<dyn Clock>,
    );
    worker.wait_for(1).await; // the initial render
    assert!(out.path().join("index.json").exists());
    let w = worker.clone();
    let acts = Activities::new(
        app.stores.activities.clone(),
        app.stores.users.clone(),
        app.clock.clone() as Arc<dyn Clock>,
    )
    .with_change_listener(Arc::new(move |h: &str| w.touch(h)));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/activities/brut");
    // A burst of three uploads.
    for f in ["1026973739.gpx", "1031803281.gpx", "2251973623.gpx"] {
        let bytes = std::fs::read(dir.join(f)).unwrap();
        acts.ingest(&user, f, bytes, IngestOptions::default())
            .await
            .unwrap();
    }
    let detail = out.path().join("alice/activities/2017-06-08T165749Z.json");
    let last = out.path().join("alice/activities/2019-03-30T125235Z.json");
    let listed = || -> usize {
        std::fs::read(out.path().join("alice/index.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["activities"].as_array().map(Vec::len))
            .unwrap_or(0)
    };
    eventually(|| detail.exists() && last.exists() && listed() == 3).await;
    // An edit to private removes the files on the next render.
    acts.edit(
        &user,
        "2017-06-08T165749Z",
        serde_json::from_value(serde_json::json!({"privacy": "private"})).unwrap(),
    )
    .await
    .unwrap();
    eventually(|| !detail.exists() && listed() == 2).await;
    assert!(worker.renders_done() >= 2);
}

/// Wait (bounded) for the background worker to make `cond` true.
async fn eventually(cond: impl Fn() -> bool) {
    for _ in 0..1200 {
        if cond() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the background render did not happen within 60 s");
}

macro_rules! worker_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend; writes_rerender_the_tree);
    };
}

mod sqlite {
    worker_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    worker_cases!(crate::mongo_backend!());
}
