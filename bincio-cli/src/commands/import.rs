//! `bincio import …`.

use std::sync::Arc;

use anyhow::{bail, Context};
use bincio_core::activities::strava_zip::StravaEvent;
use bincio_core::import::bincio_dir;
use bincio_core::model::Privacy;
use bincio_core::store::UserStore;
use bincio_store_sqlite::SqliteStore;

use crate::cli::ImportCmd;
use crate::stores::Stores;

pub async fn run(stores: &Stores, cmd: ImportCmd) -> anyhow::Result<()> {
    match cmd {
        ImportCmd::StravaZip {
            handle,
            private,
            file,
        } => {
            let user = super::accounts(stores).require_user(&handle).await?;
            let privacy = private.then_some(Privacy::Unlisted);
            let done = super::activities(stores)
                .import_strava_zip(&user, file, privacy, print_progress)
                .await?;
            if let StravaEvent::Done {
                imported,
                skipped,
                error_count,
                ..
            } = done
            {
                println!("imported {imported}, skipped {skipped} duplicates, {error_count} errors");
            }
        }
        ImportCmd::GarminExport {
            handle,
            private,
            file,
        } => {
            let user = super::accounts(stores).require_user(&handle).await?;
            let privacy = private.then_some(Privacy::Unlisted);
            let done = super::activities(stores)
                .import_garmin_export(&user, file, privacy, print_progress)
                .await?;
            print_done(&done);
        }
        ImportCmd::Instance { from } => super::backup::import(stores, &from).await?,
        ImportCmd::Bincio { from } => {
            let db = from.join("instance.db");
            if !db.is_file() {
                bail!(
                    "{}: no instance.db (is this a BincioActivity data directory?)",
                    from.display()
                );
            }
            // Work on a copy: opening runs migrations, and the old instance
            // must stay untouched.
            let tmp = tempfile::tempdir()?;
            for suffix in ["", "-wal", "-shm"] {
                let src = from.join(format!("instance.db{suffix}"));
                if src.is_file() {
                    std::fs::copy(&src, tmp.path().join(format!("instance.db{suffix}")))
                        .with_context(|| format!("copying {}", src.display()))?;
                }
            }
            let old: Arc<dyn UserStore> =
                Arc::new(SqliteStore::open(tmp.path().join("instance.db"))?);
            let r =
                bincio_dir::import(&old, &stores.users, &super::activities(stores), &from).await?;
            for e in &r.errors {
                eprintln!("warning: {e}");
            }
            println!(
                "imported {} users ({} existed), {} invites, {} activities ({} existed), {} sidecar edits, {} photos, {} originals; {} problems",
                r.users, r.users_skipped, r.invites, r.activities, r.activities_skipped, r.sidecars, r.images, r.originals, r.errors.len()
            );
        }
    }
    Ok(())
}

/// One line per file of an export import, on standard error.
fn print_progress(ev: StravaEvent) {
    if let StravaEvent::Progress {
        n,
        total,
        name,
        status,
        detail,
        ..
    } = &ev
    {
        match detail {
            Some(d) => eprintln!("[{n}/{total}] {name}: {status}: {d}"),
            None => eprintln!("[{n}/{total}] {name}: {status}"),
        }
    }
}

/// The totals of an export import.
fn print_done(done: &StravaEvent) {
    if let StravaEvent::Done {
        imported,
        skipped,
        error_count,
        ..
    } = done
    {
        println!("imported {imported}, skipped {skipped} duplicates, {error_count} errors");
    }
}
