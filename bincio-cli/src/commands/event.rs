//! `bincio event …`: import attendees, post announcements, print the
//! dashboard, show one attendee. Every rule lives in
//! [`bincio_core::event::EventService`]; this module parses and prints.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use bincio_core::event::audit::{AuditFilter, AuditKind};
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
    /// Print the audit log (newest first): uses and undos with who, when
    /// and the result.
    Audit {
        /// Only this attendee (their private token).
        #[arg(long)]
        token: Option<String>,
        /// Only this actor (`attendee`, `staff-key`, `staff:<handle>`, `cli` …).
        #[arg(long)]
        actor: Option<String>,
        /// Only this kind: use, undo, deliver, revoke, coupon, import, announcement.
        #[arg(long)]
        kind: Option<String>,
        /// At most this many entries.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// CSV instead of a table.
        #[arg(long)]
        csv: bool,
    },
    /// Find attendees by display name, token prefix or any CSV column.
    Search {
        /// Event directory.
        #[arg(long)]
        event: PathBuf,
        /// Only this role.
        #[arg(long)]
        role: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// What to look for.
        query: String,
    },
    /// Attendees with each scenario's state, as CSV (token prefixes only).
    Export {
        /// Event directory.
        #[arg(long)]
        event: PathBuf,
        /// Only this role.
        #[arg(long)]
        role: Option<String>,
    },
    /// Undo an attendee's newest logged use of a scenario (logged as `cli`).
    Undo {
        /// Event directory.
        #[arg(long)]
        event: PathBuf,
        /// The attendee's private token.
        #[arg(long)]
        token: String,
        /// The scenario.
        #[arg(long)]
        scenario: String,
        /// Why (kept in the log).
        #[arg(long)]
        reason: String,
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
                .import_csv_as(&role, &csv, "cli")
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
                .announce_as(
                    NewAnnouncement {
                        msg_zh,
                        msg_en,
                        uri,
                        role: roles,
                    },
                    "cli",
                )
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
        EventCommand::Audit {
            token,
            actor,
            kind,
            limit,
            csv,
        } => {
            let attendee_id = match &token {
                Some(t) => Some(
                    attendees
                        .get_attendee(t)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("no attendee with this token"))?
                        .id,
                ),
                None => None,
            };
            let kind = kind
                .map(|k| {
                    AuditKind::parse(&k).ok_or_else(|| {
                        anyhow::anyhow!(
                            "--kind: use, undo, deliver, revoke, coupon, import or announcement"
                        )
                    })
                })
                .transpose()?;
            let entries = attendees
                .list_audit(AuditFilter {
                    attendee_id,
                    actor,
                    kind,
                    limit: limit.clamp(1, 1000),
                    ..AuditFilter::default()
                })
                .await?;
            if csv {
                write!(out, "{}", bincio_core::event::audit::to_csv(&entries))?;
                return Ok(());
            }
            for e in entries {
                let at = chrono::DateTime::from_timestamp(e.at, 0)
                    .map(|d| d.to_rfc3339())
                    .unwrap_or_default();
                let o = |v: &Option<String>| v.clone().unwrap_or_default();
                writeln!(
                    out,
                    "{at}  {:<4} {:<20} {:<24} {:<16} {}{}",
                    e.kind.as_str(),
                    e.actor,
                    o(&e.attendee_id),
                    o(&e.scenario),
                    e.result,
                    e.reason.map(|r| format!(" ({r})")).unwrap_or_default()
                )?;
            }
        }
        EventCommand::Search {
            event,
            role,
            limit,
            query,
        } => {
            let svc = service(&event, attendees, puzzles, clock)?;
            let page = svc
                .search(&query, role.as_deref(), 0, limit.clamp(1, 200))
                .await?;
            writeln!(out, "{} found", page.total)?;
            for a in page.attendees {
                let prefix: String = a.token.chars().take(6).collect();
                let used = a.scenarios.iter().filter(|s| s.used.is_some()).count();
                writeln!(
                    out,
                    "{prefix}…  {:<12} {:<30} {used}/{} used",
                    a.role,
                    a.user_id,
                    a.scenarios.len()
                )?;
            }
        }
        EventCommand::Export { event, role } => {
            let svc = service(&event, attendees, puzzles, clock)?;
            write!(out, "{}", svc.export_csv(role.as_deref()).await?)?;
        }
        EventCommand::Undo {
            event,
            token,
            scenario,
            reason,
        } => {
            let svc = service(&event, attendees, puzzles, clock)?;
            let a = svc.undo(&token, &scenario, "cli", &reason).await?;
            writeln!(out, "Undone: {scenario} of {} ({})", a.user_id, a.role)?;
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

    #[tokio::test]
    async fn undo_and_audit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path().join("i.db")).unwrap());
        exec(
            &store,
            EventCommand::Import {
                event: fixture(),
                role: "audience".into(),
                file: fixture().join("attendees.csv"),
            },
        )
        .await
        .unwrap();
        let ada = "6513270e269e0d37f2a74de452e6b438";
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::at(1_903_827_600));
        let svc = service(&fixture(), store.clone(), store.clone(), clock).unwrap();
        svc.staff_use(Some(ada), "sponsor_gift", "staff:ann", Some("n1"))
            .await
            .unwrap();
        let undo = |reason: &str| EventCommand::Undo {
            event: fixture(),
            token: ada.into(),
            scenario: "sponsor_gift".into(),
            reason: reason.into(),
        };
        let o = exec(&store, undo("wrong badge")).await.unwrap();
        assert!(o.contains("Undone: sponsor_gift of Ada"), "{o}");
        let e = exec(&store, undo("again")).await.unwrap_err();
        assert!(
            format!("{e:#}").contains("not used: nothing to undo"),
            "{e:#}"
        );
        let audit = |csv: bool, kind: Option<&str>| EventCommand::Audit {
            token: Some(ada.into()),
            actor: None,
            kind: kind.map(str::to_owned),
            limit: 10,
            csv,
        };
        let o = exec(&store, audit(false, None)).await.unwrap();
        let lines: Vec<&str> = o.lines().collect();
        assert_eq!(lines.len(), 3, "{o}");
        assert!(
            lines[0].contains("undo") && lines[0].contains("cli") && lines[0].contains("not used")
        );
        assert!(
            lines[1].contains("undo") && lines[1].contains("ok (wrong badge)"),
            "{o}"
        );
        assert!(
            lines[2].contains("use") && lines[2].contains("staff:ann"),
            "{o}"
        );
        let o = exec(
            &store,
            EventCommand::Search {
                event: fixture(),
                role: None,
                limit: 5,
                query: "ada".into(),
            },
        )
        .await
        .unwrap();
        assert!(
            o.starts_with("1 found") && o.contains("651327…") && o.contains("Ada"),
            "{o}"
        );
        let o = exec(
            &store,
            EventCommand::Export {
                event: fixture(),
                role: Some("audience".into()),
            },
        )
        .await
        .unwrap();
        assert!(
            o.starts_with("token_prefix,display_name,role,first_use,"),
            "{o}"
        );
        assert!(!o.contains(ada), "no private token in the export");
        let o = exec(&store, audit(true, Some("use"))).await.unwrap();
        assert_eq!(o.lines().count(), 2, "{o}");
        assert!(o.starts_with("id,at,kind,actor"), "{o}");
        assert!(exec(&store, audit(false, Some("nope"))).await.is_err());
    }
}
