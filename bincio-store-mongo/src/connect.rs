//! Connecting, database-name validation and index set-up.

use std::time::Duration;

use mongodb::bson::{doc, Document};
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection, Database};

use crate::error::ConnectError;

/// Collection names (accounts and activities).
pub(crate) mod coll {
    pub const USERS: &str = "users";
    pub const SESSIONS: &str = "sessions";
    pub const INVITES: &str = "invites";
    pub const RESET_CODES: &str = "reset_codes";
    pub const SETTINGS: &str = "settings";
    pub const USER_PREFS: &str = "user_prefs";
    pub const COUNTERS: &str = "counters";
    pub const ACTIVITIES: &str = "activities";
    pub const ACTIVITY_TRACKS: &str = "activity_tracks";
    pub const ACTIVITY_BLOBS: &str = "activity_blobs";
    pub const ACTIVITY_CHUNKS: &str = "activity_chunks";
    pub const ACTIVITY_GENERATIONS: &str = "activity_generations";
    pub const CONNECTIONS: &str = "connections";
    // CCIP-Server's event layout (`ccip.md` §2), names as MongoEngine's.
    pub const ATTENDEE: &str = "attendee";
    pub const ANNOUNCEMENT: &str = "announcement";
    pub const PUZZLE_STATUS: &str = "puzzle_status";
    pub const PUZZLE_BUCKET: &str = "puzzle_bucket";
}

/// A handle on one MongoDB database holding every bincio store. Cheap to
/// clone (the driver's client is a shared connection pool).
#[derive(Clone, Debug)]
pub struct MongoStore {
    client: Client,
    db: Database,
    /// Hosts of the URL, for messages (credentials never shown).
    hosts: String,
    /// Taken by this process's transactions that write the puzzle
    /// counters (every delivery, revoke and pieces-delivering `/use`
    /// writes `total`). Without it, N concurrent requests in one process
    /// are N transactions conflicting on one document, retried until each
    /// wins a round — under load some starve. With it they queue fairly
    /// (FIFO) here, and only other processes' transactions conflict.
    pub(crate) counters_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// MongoDB's rules for database names (the union of the Unix and Windows
/// restrictions, so a name valid here is valid on every server).
fn validate_db_name(name: &str) -> Result<(), ConnectError> {
    let bad = |reason| {
        Err(ConnectError::InvalidDatabase {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return Err(ConnectError::MissingDatabase);
    }
    if name.len() >= 64 {
        return bad("must be shorter than 64 bytes");
    }
    if name.chars().any(|c| {
        matches!(
            c,
            '/' | '\\' | '.' | ' ' | '"' | '$' | '*' | '<' | '>' | ':' | '|' | '?' | '\0'
        )
    }) {
        return bad("must not contain any of / \\ . space \" $ * < > : | ? or NUL");
    }
    Ok(())
}

impl MongoStore {
    /// Connect to `mongodb://host:port/dbname` (any MongoDB connection
    /// string naming a database), check the server answers, and adopt or
    /// create the indexes the stores need (see `indexes.rs`; idempotent:
    /// safe on every start and from many processes at once).
    pub async fn connect(url: &str) -> Result<MongoStore, ConnectError> {
        let mut opts = ClientOptions::parse(url)
            .await
            .map_err(|e| ConnectError::InvalidUrl(e.to_string()))?;
        let name = opts
            .default_database
            .clone()
            .ok_or(ConnectError::MissingDatabase)?;
        validate_db_name(&name)?;
        let hosts = opts
            .hosts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let server = |e: mongodb::error::Error| ConnectError::Server {
            hosts: hosts.clone(),
            message: e.to_string(),
        };
        if opts.app_name.is_none() {
            opts.app_name = Some("bincio".to_owned());
        }
        if opts.server_selection_timeout.is_none() {
            opts.server_selection_timeout = Some(Duration::from_secs(15));
        }
        let client = Client::with_options(opts).map_err(server)?;
        let db = client.database(&name);
        db.run_command(doc! { "ping": 1 }).await.map_err(server)?;
        let store = MongoStore {
            client,
            db,
            hosts: hosts.clone(),
            counters_lock: Default::default(),
        };
        store.ensure_indexes().await?;
        store
            .ensure_user_counter()
            .await
            .map_err(|e| ConnectError::Server {
                hosts: hosts.clone(),
                message: e.to_string(),
            })?;
        Ok(store)
    }

    /// The hosts of the URL (for messages).
    pub(crate) fn hosts(&self) -> &str {
        &self.hosts
    }

    /// The database this store works in (event data shares it).
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The driver's client (a shared pool).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Drop the whole database (tests; `bincio` never calls this).
    pub async fn drop_database(&self) -> Result<(), mongodb::error::Error> {
        self.db.drop().await
    }

    pub(crate) fn coll(&self, name: &str) -> Collection<Document> {
        self.db.collection(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn url_must_name_a_valid_database() {
        // Parsing happens before any network I/O, so no server is needed.
        for url in ["mongodb://127.0.0.1:1", "mongodb://127.0.0.1:1/"] {
            let e = MongoStore::connect(url).await.unwrap_err();
            assert!(matches!(e, ConnectError::MissingDatabase), "{url}: {e}");
            assert!(e.to_string().contains("mongodb://host:port/dbname"));
        }
        let e = MongoStore::connect("mongodb://127.0.0.1:1/a.b")
            .await
            .unwrap_err();
        assert!(matches!(e, ConnectError::InvalidDatabase { .. }), "{e}");
        let e = MongoStore::connect("http://example.org/db")
            .await
            .unwrap_err();
        assert!(matches!(e, ConnectError::InvalidUrl(_)), "{e}");
    }
}
