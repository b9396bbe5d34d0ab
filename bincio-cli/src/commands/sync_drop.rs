//! `bincio sync drop | drop-folder | history`.

use anyhow::bail;
use bincio_core::sources::DropScan;

use crate::cli::{StoreArgs, SyncCmd};
use crate::stores;

fn print_scan(handle: &str, s: &DropScan) {
    for i in &s.items {
        match &i.detail {
            Some(d) => eprintln!("{handle}: {}: {}: {d}", i.name, i.status),
            None => eprintln!("{handle}: {}: {}", i.name, i.status),
        }
    }
    println!(
        "{handle}: {} imported, {} duplicates, {} errors, {} waiting, {} unchanged ({})",
        s.imported, s.duplicates, s.errors, s.pending, s.unchanged, s.folder
    );
}

pub async fn run(store: &StoreArgs, cmd: SyncCmd) -> anyhow::Result<()> {
    let stores = stores::open(store).await?;
    let accounts = super::accounts(&stores);
    let sources = |settle: i64| {
        super::sources(&stores, super::activities(&stores), &store.data_dir).with_settle(settle)
    };
    match cmd {
        // Handled by `sync::run`, which hands the rest here.
        SyncCmd::Strava { .. } => anyhow::bail!("sync strava is not a drop-folder command"),
        SyncCmd::Drop { handle, settle } => {
            let s = sources(settle);
            let users = match handle {
                Some(h) => vec![accounts.require_user(&h).await?],
                None => stores.users.list_users().await?,
            };
            let mut failed = 0;
            for u in &users {
                match s.scan_drop(u).await {
                    Ok(scan) => print_scan(&u.handle, &scan),
                    Err(e) => {
                        failed += 1;
                        eprintln!("{}: {e}", u.handle);
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} drop folder(s) could not be scanned");
            }
        }
        SyncCmd::DropFolder {
            handle,
            path,
            default,
        } => {
            let user = accounts.require_user(&handle).await?;
            let s = sources(bincio_core::sources::DEFAULT_SETTLE_S);
            if default {
                s.set_drop_folder(&handle, None).await?;
            } else if let Some(p) = &path {
                s.set_drop_folder(&handle, Some(p)).await?;
            }
            let st = s.drop_status(&user).await?;
            let how = if st.custom {
                "set by an admin"
            } else {
                "default"
            };
            println!("{handle}: {} ({how})", st.folder);
        }
        SyncCmd::History { handle, limit } => {
            let user = accounts.require_user(&handle).await?;
            let s = sources(bincio_core::sources::DEFAULT_SETTLE_S);
            for run in s.history(&user, limit).await? {
                let at = chrono::DateTime::from_timestamp(run.started_at, 0)
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_default();
                println!(
                    "{at} {}: {} imported, {} duplicates, {} errors",
                    run.source, run.imported, run.duplicates, run.errors
                );
                for i in &run.items {
                    match &i.detail {
                        Some(d) => println!("  {} {}: {d}", i.status, i.name),
                        None => println!("  {} {}", i.status, i.name),
                    }
                }
            }
        }
    }
    Ok(())
}
