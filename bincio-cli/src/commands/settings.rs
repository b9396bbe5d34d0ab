//! `bincio settings …`.

use bincio_core::accounts::settings::KNOWN;

use crate::cli::SettingsCmd;
use crate::stores::Stores;

pub async fn run(stores: &Stores, cmd: SettingsCmd) -> anyhow::Result<()> {
    let accounts = super::accounts(stores);
    match cmd {
        SettingsCmd::List => {
            let all = accounts.list_settings().await?;
            for (k, v) in &all {
                println!("{k} = {v}");
            }
            let unset: Vec<&str> = KNOWN
                .iter()
                .map(|(k, _)| *k)
                .filter(|k| !all.contains_key(*k))
                .collect();
            if !unset.is_empty() {
                println!("# unset (defaults apply): {}", unset.join(", "));
            }
        }
        SettingsCmd::Get { key } => match accounts.get_setting(&key).await? {
            Some(v) => println!("{v}"),
            None => anyhow::bail!("setting {key:?} is not set"),
        },
        SettingsCmd::Set { key, value } => {
            accounts.set_setting(&key, &value).await?;
            println!(
                "{key} = {}",
                accounts.get_setting(&key).await?.unwrap_or_default()
            );
        }
    }
    Ok(())
}
