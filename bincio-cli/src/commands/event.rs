//! `bincio event …`: import attendees, post announcements, print the
//! dashboard, show one attendee. Every rule lives in
//! [`bincio_core::event::EventService`]; this module parses and prints.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use bincio_core::event::wire::{attendee_doc, bucket_doc};
use bincio_core::event::{EventConfig, EventService, NewAnnouncement};
use bincio_core::store::{AttendeeStore, PuzzleStore};
use bincio_core::Clock;

/// Event subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum EventCommand {
    /// Import (or re-import) attendees of one role from a CSV file.
    Import {
        /// Event directory (holds event.toml).
        #[arg(long)]
        event: PathBuf,
        /// Role (a key of [roles] in event.toml).
        #[arg(long)]
        role: String,
        /// The CSV file (`token`, `display_name`, optional `title`, rule columns).
        file: PathBuf,
    },
    /// Post an announcement.
    Announce {
        /// Event directory.
        #[arg(long)]
        event: PathBuf,
        /// English text.
        #[arg(long)]
        msg_en: Option<String>,
        /// Chinese text.
        #[arg(long)]
        msg_zh: Option<String>,
        /// Link.
        #[arg(long)]
        uri: Option<String>,
        /// Roles that see it (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Print check-in and puzzle figures.
    Dashboard {
        /// Event directory.
        #[arg(long)]
        event: PathBuf,
    },
    /// Show an attendee's state (no side effects).
    Show {
        /// The attendee's private token.
        token: String,
    },
}

fn service(
    dir: &std::path::Path,
    attendees: Arc<dyn AttendeeStore>,
    puzzles: Arc<dyn PuzzleStore>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<EventService> {
    let config = EventConfig::load(dir)?;
    Ok(EventService::new(config, attendees, puzzles, clock))
}

/// Run an event command, printing to standard output.
pub async fn run(
    cmd: EventCommand,
    attendees: Arc<dyn AttendeeStore>,
    puzzles: Arc<dyn PuzzleStore>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    run_to(cmd, attendees, puzzles, clock, &mut out).await
}

/// Run an event command, printing to `out`.
pub async fn run_to(
    cmd: EventCommand,
    attendees: Arc<dyn AttendeeStore>,
    puzzles: Arc<dyn PuzzleStore>,
    clock: Arc<dyn Clock>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match cmd {
        EventCommand::Import { event, role, file } => {
            let svc = service(&event, attendees, puzzles, clock)?;
            svc.init().await?;
            let csv =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let c = svc
                .import_csv(&role, &csv)
                .await
                .with_context(|| format!("{}: nothing imported", file.display()))?;
            writeln!(
                out,
                "Imported {} attendees as {role}: {} new, {} updated",
                c.inserted + c.updated,
                c.inserted,
                c.updated
            )?;
        }
        EventCommand::Announce {
            event,
            msg_en,
            msg_zh,
            uri,
            roles,
        } => {
            let svc = service(&event, attendees, puzzles, clock)?;
            let a = svc
                .announce(NewAnnouncement {
                    msg_zh,
                    msg_en,
                    uri,
                    role: roles,
                })
                .await?;
            writeln!(
                out,
                "Announcement {} posted for {}",
                a.id,
                a.role.join(", ")
            )?;
        }
        EventCommand::Dashboard { event } => {
            let svc = service(&event, attendees, puzzles, clock)?;
            for r in svc.dashboard().await? {
                writeln!(
                    out,
                    "{}: {} attendees, {} logged in",
                    r.role, r.total, r.logged
                )?;
                writeln!(out, "  {:<30} {:>8} {:>8}", "scenario", "enabled", "used")?;
                for s in r.scenarios {
                    writeln!(out, "  {:<30} {:>8} {:>8}", s.scenario, s.enabled, s.used)?;
                }
            }
            let counters = svc.puzzle_dashboard().await?;
            if !counters.is_empty() {
                writeln!(out, "puzzle:")?;
                writeln!(out, "  {:<30} {:>8} {:>8}", "piece", "quantity", "currency")?;
                for c in counters {
                    writeln!(
                        out,
                        "  {:<30} {:>8} {:>8}",
                        c.puzzle, c.quantity, c.currency
                    )?;
                }
            }
        }
        EventCommand::Show { token } => {
            let a = attendees
                .get_attendee(&token)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no attendee with this token"))?;
            let doc: serde_json::Value = serde_json::from_str(&attendee_doc(&a).to_bson_string())?;
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
            let public = a.public_token();
            writeln!(out, "public token: {public}")?;
            match puzzles.bucket(&public).await? {
                Some(b) => {
                    let doc: serde_json::Value =
                        serde_json::from_str(&bucket_doc(&a.user_id, &b).to_bson_string())?;
                    writeln!(out, "puzzle: {}", serde_json::to_string_pretty(&doc)?)?;
                }
                None => writeln!(out, "puzzle: no bucket yet")?,
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bincio_core::ManualClock;
    use bincio_store_sqlite::SqliteStore;

    fn fixture() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/event")
    }

    async fn exec(store: &Arc<SqliteStore>, cmd: EventCommand) -> anyhow::Result<String> {
        let mut out = Vec::new();
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::at(1_903_827_600));
        run_to(cmd, store.clone(), store.clone(), clock, &mut out).await?;
        Ok(String::from_utf8(out)?)
    }

    #[tokio::test]
    async fn import_announce_dashboard_show() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path().join("i.db")).unwrap());
        let import = |file: &str, role: &str| EventCommand::Import {
            event: fixture(),
            role: role.into(),
            file: fixture().join(file),
        };
        let o = exec(&store, import("attendees.csv", "audience"))
            .await
            .unwrap();
        assert_eq!(o, "Imported 20 attendees as audience: 20 new, 0 updated\n");
        let o = exec(&store, import("attendees.csv", "audience"))
            .await
            .unwrap();
        assert_eq!(o, "Imported 20 attendees as audience: 0 new, 20 updated\n");
        let e = exec(&store, import("staff.csv", "audience"))
            .await
            .unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("nothing imported") && msg.contains("line 1: missing column"),
            "{msg}"
        );

        let o = exec(
            &store,
            EventCommand::Announce {
                event: fixture(),
                msg_en: Some("Hi".into()),
                msg_zh: None,
                uri: None,
                roles: vec!["audience".into()],
            },
        )
        .await
        .unwrap();
        assert!(
            o.starts_with("Announcement ") && o.ends_with(" posted for audience\n"),
            "{o}"
        );
        assert_eq!(store.announcements("audience").await.unwrap().len(), 1);

        let o = exec(&store, EventCommand::Dashboard { event: fixture() })
            .await
            .unwrap();
        assert!(o.contains("audience: 20 attendees, 0 logged in"), "{o}");
        assert!(o.contains("sponsor_gift"), "{o}");
        assert!(o.contains("total"), "{o}");

        let o = exec(
            &store,
            EventCommand::Show {
                token: "6513270e269e0d37f2a74de452e6b438".into(),
            },
        )
        .await
        .unwrap();
        assert!(
            o.contains("\"user_id\": \"Ada\"") && o.contains("puzzle: no bucket yet"),
            "{o}"
        );
        assert!(exec(
            &store,
            EventCommand::Show {
                token: "nope".into()
            }
        )
        .await
        .is_err());
    }
}
