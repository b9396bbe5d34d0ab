//! `bincio render`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use bincio_core::activities::render;
use bincio_core::Clock;

use crate::cli::RenderArgs;
use crate::stores;

/// Create `out` and refuse it when it overlaps the data directory (which
/// holds the database and originals: never publish it).
pub fn checked_out_dir(out: &Path, data_dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let out = out.canonicalize()?;
    if let Ok(data) = data_dir.canonicalize() {
        if out.starts_with(&data) || data.starts_with(&out) {
            bail!(
                "--out {} overlaps the data directory {}: the exported tree must live elsewhere",
                out.display(),
                data.display()
            );
        }
    }
    Ok(out)
}

pub async fn run(a: RenderArgs) -> anyhow::Result<()> {
    let out = checked_out_dir(&a.out, &a.store.data_dir)?;
    let stores = stores::open(&a.store).await?;
    let now = bincio_core::SystemClock.unix();
    let target = render::RenderTarget::new(&out, &a.store.data_dir);
    let s = render::render(
        &stores.activities,
        &stores.users,
        &target,
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
