//! `bincio serve`.

use std::sync::Arc;

use anyhow::Context;
use bincio_core::activities::render_worker::RenderWorker;
use bincio_core::activities::Activities;
use bincio_core::SystemClock;
use bincio_http::ccip::CcipState;
use bincio_http::{AppState, HttpConfig};

use crate::cli::ServeArgs;
use crate::stores;

pub async fn run(a: ServeArgs) -> anyhow::Result<()> {
    // A bad --dem-url is a usage error: refuse before touching the store.
    let dem = a
        .dem_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(bincio_http::HttpElevationSource::new)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let stores = stores::open(&a.store).await?;
    let accounts = super::accounts(&stores);
    let base = super::base_url(a.public_url.as_deref(), &format!("http://{}", a.bind));
    // One set-up code per instance, sealed with the key file every process
    // on this store shares: each prints the same working link.
    let keys = bincio_core::sync::seal::KeyRing::in_data_dir(&a.store.data_dir);
    match accounts.issue_setup_code(&keys).await {
        Ok(Some(code)) => {
            println!("This instance has no accounts yet.");
            println!("Open this link to create the admin account (one-time code {code}):");
            println!("  {}", bincio_http::web::setup_link(&base, &code));
            println!(
                "  or: curl -X POST {base}/api/register -H 'content-type: application/json' \\"
            );
            println!(
                "        -d '{{\"code\":\"{code}\",\"handle\":\"admin\",\"password\":\"...\"}}'"
            );
        }
        Ok(None) => {}
        Err(bincio_core::CoreError::Conflict(why)) => {
            println!("This instance has no accounts yet, but no set-up link here: {why}");
        }
        Err(e) => return Err(e.into()),
    }
    let mut activities = Activities::new(
        stores.activities.clone(),
        stores.users.clone(),
        Arc::new(SystemClock),
    );
    if let Some(dir) = &a.render_dir {
        let out = super::render::checked_out_dir(dir, &a.store.data_dir)?;
        println!("keeping a static BAS tree current in {}", out.display());
        let worker = RenderWorker::spawn(
            stores.activities.clone(),
            stores.users.clone(),
            bincio_core::activities::render::RenderTarget::new(out, &a.store.data_dir),
            Arc::new(SystemClock),
        );
        activities = activities.with_change_listener(Arc::new(move |h: &str| worker.touch(h)));
    }
    if let Some(dem) = dem {
        println!("DEM elevation service: {}", dem.lookup_url());
        activities = activities.with_elevation_source(Arc::new(dem));
    }
    let state = AppState::new(
        accounts,
        activities,
        HttpConfig {
            secure_cookies: a.secure_cookies,
            trusted_proxy: a.trusted_proxy,
            public_url: a.public_url.clone(),
            data_dir: Some(a.store.data_dir.clone()).filter(|d| d.is_dir()),
            tiles: bincio_http::TileSource::new(&a.tile_url, &a.tile_attribution)
                .map_err(anyhow::Error::msg)?,
        },
    );
    // Drop folders: the service backs the settings page; scheduled scans
    // only with --drop-interval.
    let sources = super::sources(&stores, state.activities().clone(), &a.store.data_dir);
    state.set_sources(sources.clone());
    let drop_task = (a.drop_interval > 0).then(|| {
        println!(
            "scanning drop folders every {} s ({}/drop/<handle>/)",
            a.drop_interval,
            a.store.data_dir.display()
        );
        tokio::spawn(
            sources
                .clone()
                .run_drop_schedule(std::time::Duration::from_secs(a.drop_interval)),
        )
    });
    let strava = super::sync::strava_service(
        &stores,
        state.activities().clone(),
        &a.store.data_dir,
        &a.strava,
        &base,
    )?;
    let sync_task = (a.sync_interval > 0).then(|| {
        println!(
            "syncing connected Strava members every {} s",
            a.sync_interval
        );
        tokio::spawn(strava.clone().schedule(
            std::time::Duration::from_secs(a.sync_interval),
            state.jobs().clone(),
        ))
    });
    state.set_strava(strava.clone());
    let mut app = bincio_http::router(state.clone());
    if let Some(dir) = &a.event {
        let ccip = CcipState::from_event_dir(
            dir,
            stores.attendees.clone(),
            stores.puzzles.clone(),
            Arc::new(SystemClock),
            Some(super::accounts(&stores)),
        )
        .await
        .with_context(|| format!("loading the event in {}", dir.display()))?
        .with_public_url(a.public_url.clone());
        println!(
            "serving the CCIP check-in routes of event {}",
            ccip.service.config().event_id
        );
        // The staff console pages (`/event/…`) over the same service.
        state.set_event(ccip.service.clone());
        app = app.merge(bincio_http::ccip::router(ccip));
    }
    let app =
        bincio_http::metrics::instrument(app, state.jobs().clone(), a.metrics_token.as_deref());
    let config = a.serve_config();
    // Every connection is a descriptor; keep room for the store's too.
    let want = config.max_connections as u64 + 256;
    if let Some(limit) = bincio_http::serve::raise_open_files_limit(want) {
        if limit < want {
            tracing::warn!(
                limit,
                max_connections = config.max_connections,
                "the open-files limit (ulimit -n) is below --max-connections plus 256; \
                 lower --max-connections or raise the limit"
            );
        }
    }
    let listener = tokio::net::TcpListener::bind(a.bind)
        .await
        .with_context(|| format!("binding {}", a.bind))?;
    let local = listener.local_addr()?;
    println!("bincio listening on http://{local}");
    tracing::info!(%local, store = stores.users.backend_name(), ?config, "serving");
    bincio_http::serve(listener, app, config, shutdown_signal()).await;
    // The schedules stop, and give their leases up so another process on
    // the store takes over at its next tick (not after they expire).
    if let Some(t) = drop_task {
        t.abort();
        let _ = t.await;
        sources.release_schedule().await;
    }
    if let Some(t) = sync_task {
        t.abort();
        let _ = t.await;
        strava.release_schedule().await;
    }
    // Rows of the jobs that ended with the requests go now, not at expiry.
    state.jobs().flush().await;
    println!("bincio stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM (what systemd, Docker and Kubernetes send): stop
/// accepting, let requests in flight finish within `--shutdown-grace`, then
/// return. Nothing is half-written either way: every store write is one
/// transaction, and a request cut at the end of the grace never commits.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down: no new connections, finishing requests in flight");
}
