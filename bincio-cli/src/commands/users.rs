//! `bincio users …`.

use anyhow::{anyhow, bail};
use bincio_core::model::Role;

use crate::cli::UsersCmd;
use crate::stores::Stores;

fn role(s: &str) -> anyhow::Result<Role> {
    Role::parse(s).ok_or_else(|| anyhow!("unknown role {s:?}: expected user, staff or admin"))
}

pub async fn run(stores: &Stores, cmd: UsersCmd) -> anyhow::Result<()> {
    let accounts = super::accounts(stores);
    match cmd {
        UsersCmd::List => {
            let users = accounts.list_users().await?;
            println!(
                "{:<30} {:<6} {:<20} display name",
                "handle", "role", "created"
            );
            for u in users {
                let created = chrono::DateTime::from_timestamp(u.created_at, 0)
                    .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default();
                println!(
                    "{:<30} {:<6} {:<20} {}",
                    u.handle,
                    u.role.as_str(),
                    created,
                    u.display_name
                );
            }
        }
        UsersCmd::Create {
            handle,
            display_name,
            role: r,
            password_stdin,
        } => {
            let r = role(&r)?;
            let pw = crate::password::read("BINCIO_PASSWORD", password_stdin, &handle)?;
            let name = display_name.unwrap_or_else(|| handle.clone());
            accounts.create_user(&handle, &name, &pw, r).await?;
            println!("Created {handle} ({})", r.as_str());
        }
        UsersCmd::Invite { handle } => {
            let i = accounts.create_invite_for(&handle).await?;
            println!("{}", i.code);
        }
        UsersCmd::ResetCode { handle } => {
            let issued = accounts.issue_reset_code_as_operator(&handle).await?;
            let until = chrono::DateTime::from_timestamp(issued.expires_at, 0)
                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default();
            println!(
                "Reset code for {handle}: {} (valid until {until}, one use)",
                issued.code
            );
        }
        UsersCmd::SetAdmin { handle, revoke } => {
            let r = if revoke { Role::User } else { Role::Admin };
            accounts.set_role(&handle, r).await?;
            println!("{handle} is now {}", r.as_str());
        }
        UsersCmd::SetRole { handle, role: r } => {
            let r = role(&r)?;
            accounts.set_role(&handle, r).await?;
            println!("{handle} is now {}", r.as_str());
        }
        UsersCmd::Delete { handle } => {
            if !bincio_core::validate::is_valid_handle(&handle) {
                bail!("invalid handle {handle:?}");
            }
            accounts.delete_user(&handle).await?;
            println!("Deleted {handle}");
        }
    }
    Ok(())
}
