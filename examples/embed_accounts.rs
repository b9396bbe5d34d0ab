//! Embedding bincio's core in a Rust app, without HTTP: open the SQLite
//! store, create an admin, mint an invite, register a user with it, log in.
//!
//! Run: `cargo run --example embed_accounts [DATA_DIR]`

use std::sync::Arc;

use bincio::core::accounts::Accounts;
use bincio::core::model::Role;
use bincio::core::SystemClock;
use bincio::store_sqlite::SqliteStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = match std::env::args().nth(1) {
        Some(d) => std::path::PathBuf::from(d),
        None => std::env::temp_dir().join(format!("bincio-example-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    let store = Arc::new(SqliteStore::open(dir.join("instance.db"))?);
    let accounts = Accounts::new(store, Arc::new(SystemClock));

    let admin = match accounts.require_user("admin").await {
        Ok(u) => u,
        Err(_) => {
            accounts
                .create_user("admin", "Admin", "correct horse battery", Role::Admin)
                .await?
        }
    };
    let invite = accounts.create_invite(&admin).await?;
    let handle = format!("rider{}", invite.code.to_lowercase());
    let session = accounts
        .register(&invite.code, &handle, "pedal-power-42", "A Rider")
        .await?;
    println!(
        "registered {} (session expires at {})",
        session.user.handle, session.expires_at
    );

    let login = accounts.login(&handle, "pedal-power-42").await?;
    let who = accounts.authenticate(&login.token).await?.map(|u| u.handle);
    println!("logged in as {}", who.unwrap_or_default());
    println!("data in {}", dir.display());
    Ok(())
}
