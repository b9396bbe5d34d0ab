//! `bincio serve`.

use std::net::SocketAddr;

use anyhow::Context;
use bincio_http::{AppState, HttpConfig};

use crate::cli::ServeArgs;
use crate::stores;

pub async fn run(a: ServeArgs) -> anyhow::Result<()> {
    let stores = stores::open(&a.store).await?;
    let accounts = super::accounts(&stores);
    let base = super::base_url(a.public_url.as_deref(), &format!("http://{}", a.bind));
    if let Some(code) = accounts.issue_setup_code().await? {
        println!("This instance has no accounts yet.");
        println!("Create the admin account (one-time code {code}):");
        println!("  {base}/register/?code={code}");
        println!("  or: curl -X POST {base}/api/register -H 'content-type: application/json' \\");
        println!("        -d '{{\"code\":\"{code}\",\"handle\":\"admin\",\"password\":\"...\"}}'");
    }
    let state = AppState::new(
        accounts,
        HttpConfig {
            secure_cookies: a.secure_cookies,
            trusted_proxy: a.trusted_proxy,
            public_url: a.public_url.clone(),
            dem_configured: false,
        },
    );
    let app = bincio_http::router(state);
    let listener = tokio::net::TcpListener::bind(a.bind)
        .await
        .with_context(|| format!("binding {}", a.bind))?;
    let local = listener.local_addr()?;
    println!("bincio listening on http://{local}");
    tracing::info!(%local, store = stores.users.backend_name(), "serving");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving HTTP")?;
    Ok(())
}
