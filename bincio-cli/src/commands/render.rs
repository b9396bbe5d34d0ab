//! `bincio render`.

use anyhow::{bail, Context};
use bincio_core::activities::render;
use bincio_core::Clock;

use crate::cli::RenderArgs;
use crate::stores;

pub async fn run(a: RenderArgs) -> anyhow::Result<()> {
    // The data directory holds the database and originals: never publish it.
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let out = a.out.canonicalize()?;
    if let Ok(data) = a.store.data_dir.canonicalize() {
        if out.starts_with(&data) || data.starts_with(&out) {
            bail!(
                "--out {} overlaps the data directory {}: the exported tree must live elsewhere",
                out.display(),
                data.display()
            );
        }
    }
    let stores = stores::open(&a.store).await?;
    let now = bincio_core::SystemClock.unix();
    let s = render::render(
        &stores.activities,
        &stores.users,
        &out,
        a.handle.as_deref(),
        now,
    )
    .await?;
    println!(
        "rendered {} activities into {}: {} files written, {} unchanged, {} removed",
        s.activities,
        out.display(),
        s.written,
        s.unchanged,
        s.removed
    );
    Ok(())
}
