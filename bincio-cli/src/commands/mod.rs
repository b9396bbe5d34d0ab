//! One module per command.

pub mod backup;
pub mod doctor;
pub mod event;
pub mod extract;
mod import;
mod init;
pub mod probe;
mod render;
mod serve;
mod settings;
pub(crate) mod sync;
mod sync_drop;
mod users;

use std::sync::Arc;

use bincio_core::accounts::Accounts;
use bincio_core::SystemClock;

use crate::cli::{Cli, Command};
use crate::stores::{self, Stores};

/// The accounts service over opened stores, on the wall clock.
pub(crate) fn accounts(stores: &Stores) -> Accounts {
    Accounts::new(stores.users.clone(), Arc::new(SystemClock))
}

/// Dispatch a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init(a) => init::run(a).await,
        Command::Extract(a) => extract::run(a).await,
        Command::Serve(a) => serve::run(*a).await,
        Command::Render(a) => render::run(a).await,
        Command::Users { store, cmd } => users::run(&stores::open(&store).await?, cmd).await,
        Command::Backup(a) => backup::backup(&a),
        Command::Restore(a) => backup::restore(&a),
        Command::Export { store, out, cmd } => match (cmd, out) {
            (None, Some(dir)) => backup::export_out(&store, &dir).await,
            (None, None) => anyhow::bail!(
                "bincio export: give --out DIR (the whole instance) or a subcommand (gpx)"
            ),
            (Some(_), Some(_)) => {
                anyhow::bail!("bincio export: --out DIR or a subcommand, not both")
            }
            (Some(crate::cli::ExportCmd::Gpx { handle, id, out }), None) => {
                let s = stores::open(&store).await?;
                let user = accounts(&s).require_user(&handle).await?;
                let bytes = activities(&s).export_gpx(&user, &id).await?;
                match out {
                    Some(p) => std::fs::write(&p, bytes)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
                    None => std::io::Write::write_all(&mut std::io::stdout(), &bytes)?,
                }
                Ok(())
            }
        },
        Command::Event { store, cmd } => {
            let s = stores::open(&store).await?;
            event::run(
                cmd,
                s.attendees.clone(),
                s.puzzles.clone(),
                Arc::new(SystemClock),
            )
            .await
        }
        Command::Import { store, cmd } => import::run(&stores::open(&store).await?, cmd).await,
        Command::Sync { store, cmd } => sync::run(&store, cmd).await,
        Command::Settings { store, cmd } => settings::run(&stores::open(&store).await?, cmd).await,
        Command::Doctor(a) => doctor::run(a).await,
        Command::Probe(a) => probe::run(&a),
    }
}

/// The activities service over opened stores, on the wall clock.
pub(crate) fn activities(stores: &Stores) -> bincio_core::activities::Activities {
    bincio_core::activities::Activities::new(
        stores.activities.clone(),
        stores.users.clone(),
        Arc::new(SystemClock),
    )
}

/// The sources service (drop folders) over opened stores.
pub(crate) fn sources(
    stores: &Stores,
    activities: bincio_core::activities::Activities,
    data_dir: &std::path::Path,
) -> bincio_core::sources::Sources {
    bincio_core::sources::Sources::new(
        activities,
        stores.users.clone(),
        stores.sources.clone(),
        data_dir,
    )
}

/// Base URL for printed links.
pub(crate) fn base_url(public_url: Option<&str>, fallback: &str) -> String {
    public_url
        .unwrap_or(fallback)
        .trim_end_matches('/')
        .to_owned()
}
