//! `bincio sync strava --handle H` (the drop-folder subcommands are in
//! `sync_drop`), and the Strava service `serve` uses.

use std::path::Path;
use std::sync::Arc;

use bincio_core::activities::Activities;
use bincio_core::sync::seal::KeyRing;
use bincio_core::sync::strava::{AppCredentials, StravaConfig, StravaSync, SyncEvent};

use crate::cli::{StoreArgs, StravaArgs, SyncCmd};
use crate::stores::{self, Stores};

/// The Strava service over opened stores: the instance's app (when both
/// id and secret are given), the two bases, the key file in `data_dir`.
pub(crate) fn strava_service(
    stores: &Stores,
    activities: Activities,
    data_dir: &Path,
    args: &StravaArgs,
    public_url: &str,
) -> anyhow::Result<StravaSync> {
    let api = bincio_strava::HttpStravaApi::new(&args.strava_oauth_base, &args.strava_api_base)
        .map_err(anyhow::Error::msg)?;
    let app = match (&args.strava_client_id, &args.strava_client_secret) {
        (Some(id), Some(secret)) if !id.trim().is_empty() && !secret.trim().is_empty() => {
            Some(AppCredentials {
                client_id: id.trim().to_owned(),
                client_secret: secret.trim().to_owned(),
            })
        }
        (None, None) => None,
        _ => anyhow::bail!("--strava-client-id and --strava-client-secret go together"),
    };
    Ok(StravaSync::new(
        Arc::new(api),
        stores.connections.clone(),
        stores.users.clone(),
        activities,
        Arc::new(KeyRing::in_data_dir(data_dir)),
        StravaConfig::new(app, public_url),
    ))
}

pub async fn run(store: &StoreArgs, cmd: SyncCmd) -> anyhow::Result<()> {
    match cmd {
        SyncCmd::Strava {
            handle,
            public_url,
            strava,
        } => {
            let s = stores::open(store).await?;
            let user = super::accounts(&s).require_user(&handle).await?;
            let svc = strava_service(
                &s,
                super::activities(&s),
                &store.data_dir,
                &strava,
                &public_url,
            )?;
            let report = svc
                .sync(&user.handle, &mut |e| match e {
                    SyncEvent::Progress {
                        n,
                        total,
                        name,
                        status,
                    } => {
                        eprintln!("[{n}/{total}] {name}: {status}")
                    }
                    SyncEvent::Paused { message, .. } => eprintln!("{message}"),
                    SyncEvent::Fetching => eprintln!("listing Strava activities…"),
                    SyncEvent::Done(_) | SyncEvent::Error { .. } => {}
                })
                .await?;
            println!(
                "{} imported, {} updated, {} already up to date, {} failed",
                report.imported, report.updated, report.skipped, report.error_count
            );
            for e in &report.errors {
                eprintln!("  {e}");
            }
            Ok(())
        }
        drop => super::sync_drop::run(store, drop).await,
    }
}
