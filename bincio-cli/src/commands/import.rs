//! `bincio import …`.

use bincio_core::activities::strava_zip::StravaEvent;
use bincio_core::model::Privacy;

use crate::cli::ImportCmd;
use crate::stores::Stores;

pub async fn run(stores: &Stores, cmd: ImportCmd) -> anyhow::Result<()> {
    match cmd {
        ImportCmd::StravaZip { handle, private, file } => {
            let user = super::accounts(stores).require_user(&handle).await?;
            let privacy = private.then_some(Privacy::Unlisted);
            let done = super::activities(stores)
                .import_strava_zip(&user, file, privacy, |ev| {
                    if let StravaEvent::Progress { n, total, name, status, detail, .. } = &ev {
                        match detail {
                            Some(d) => eprintln!("[{n}/{total}] {name}: {status}: {d}"),
                            None => eprintln!("[{n}/{total}] {name}: {status}"),
                        }
                    }
                })
                .await?;
            if let StravaEvent::Done { imported, skipped, error_count, .. } = done {
                println!("imported {imported}, skipped {skipped} duplicates, {error_count} errors");
            }
        }
    }
    Ok(())
}
