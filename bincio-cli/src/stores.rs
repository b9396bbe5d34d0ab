//! Opening the store named by `--store` / `--data-dir`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use bincio_core::store::{
    ActivityStore, ArchiveStore, AttendeeStore, ConnectionStore, PuzzleStore, SourceStore,
    UserStore,
};

use crate::cli::StoreArgs;

/// Every store of one backend.
#[derive(Clone)]
pub struct Stores {
    pub users: Arc<dyn UserStore>,
    pub activities: Arc<dyn ActivityStore>,
    pub attendees: Arc<dyn AttendeeStore>,
    pub puzzles: Arc<dyn PuzzleStore>,
    pub sources: Arc<dyn SourceStore>,
    pub connections: Arc<dyn ConnectionStore>,
    /// Whole-instance reads and restores (`bincio export` / `import instance`).
    pub archive: Arc<dyn ArchiveStore>,
}

impl Stores {
    /// The stores as the instance archive takes them.
    pub fn instance(&self) -> bincio_core::instance::InstanceStores {
        bincio_core::instance::InstanceStores {
            users: self.users.clone(),
            activities: self.activities.clone(),
            attendees: self.attendees.clone(),
            puzzles: self.puzzles.clone(),
            sources: self.sources.clone(),
            connections: self.connections.clone(),
            archive: self.archive.clone(),
        }
    }
}

fn all<S>(s: S) -> Stores
where
    S: UserStore
        + ActivityStore
        + AttendeeStore
        + PuzzleStore
        + SourceStore
        + ConnectionStore
        + ArchiveStore,
{
    let s = Arc::new(s);
    Stores {
        users: s.clone(),
        activities: s.clone(),
        sources: s.clone(),
        attendees: s.clone(),
        puzzles: s.clone(),
        archive: s.clone(),
        connections: s,
    }
}

/// The stores of an open SQLite database.
pub fn sqlite(s: bincio_store_sqlite::SqliteStore) -> Stores {
    all(s)
}

/// The store URL the flags name (`sqlite:<data-dir>/instance.db` by default).
pub fn url(args: &StoreArgs) -> String {
    match &args.store {
        Some(u) => u.clone(),
        None => format!("sqlite:{}", args.data_dir.join("instance.db").display()),
    }
}

/// Open (creating the data directory for SQLite if needed).
pub async fn open(args: &StoreArgs) -> anyhow::Result<Stores> {
    let url = url(args);
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = Path::new(path);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating data directory {}", dir.display()))?;
        }
        let s = bincio_store_sqlite::SqliteStore::open(path)?;
        return Ok(all(s));
    }
    if url.starts_with("mongodb://") || url.starts_with("mongodb+srv://") {
        let s = bincio_store_mongo::MongoStore::connect(&url).await?;
        return Ok(all(s));
    }
    bail!("unknown store URL {url:?}: expected sqlite:PATH or mongodb://host:port/db")
}
