//! `bincio init`.

use bincio_core::accounts::InitRequest;

use crate::cli::InitArgs;
use crate::stores;

pub async fn run(a: InitArgs) -> anyhow::Result<()> {
    let stores = stores::open(&a.store).await?;
    let accounts = super::accounts(&stores);
    let exists = stores.users.get_user(&a.handle).await?.is_some();
    let password = if exists {
        None
    } else {
        Some(crate::password::read(
            "BINCIO_ADMIN_PASSWORD",
            a.password_stdin,
            "admin",
        )?)
    };
    let out = accounts
        .init_instance(InitRequest {
            display_name: a.display_name.clone().unwrap_or_else(|| a.handle.clone()),
            handle: a.handle.clone(),
            password,
            instance_name: a.name.clone(),
            max_users: a.max_users,
            store_originals: a.store_originals,
        })
        .await?;
    if out.created_admin {
        println!("Created admin account {}", a.handle);
    } else {
        println!(
            "Admin account {} already exists; settings updated",
            a.handle
        );
    }
    let base = super::base_url(a.public_url.as_deref(), "http://127.0.0.1:4041");
    println!("Invite link: {base}/register/?code={}", out.invite_code);
    Ok(())
}
