//! Files one request checked and a later one confirms (the event import
//! page's dry run, then its "Import"), kept in the store
//! ([`CoordStore::put_staged`]) so the confirming request may reach any
//! process serving it, and taken once.

use std::sync::Arc;

use crate::clock::Clock;
use crate::error::CoreResult;
use crate::store::CoordStore;

/// How long a staged file waits for its confirmation, seconds.
pub const KEEP_S: i64 = 30 * 60;

/// Staged files over one store. Cheap to clone.
#[derive(Clone)]
pub struct StagedFiles {
    store: Arc<dyn CoordStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for StagedFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StagedFiles")
    }
}

impl StagedFiles {
    /// Files kept in `store` for [`KEEP_S`] seconds of `clock`.
    pub fn new(store: Arc<dyn CoordStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Keep `bytes` with `label` (expired files are purged first); the new
    /// file's id: 64 hex digits, unguessable, so a form may carry it.
    pub async fn put(&self, label: &str, bytes: &[u8]) -> CoreResult<String> {
        let id = crate::accounts::tokens::sha256_hex(&crate::accounts::tokens::new_session_token());
        let now = self.clock.unix();
        self.store.purge_staged(now).await?;
        self.store
            .put_staged(&id, label, bytes, now + KEEP_S)
            .await?;
        Ok(id)
    }

    /// The label and bytes of file `id` while it is kept, once (`None`
    /// for an empty, unknown, expired or already taken id).
    pub async fn take(&self, id: &str) -> CoreResult<Option<(String, Vec<u8>)>> {
        if id.is_empty() {
            return Ok(None);
        }
        Ok(self.store.take_staged(id, self.clock.unix()).await?)
    }
}
