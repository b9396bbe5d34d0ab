//! Size and free space of the filesystem holding the data directory, for
//! `GET /api/admin/disk`. Read with `statvfs` through `rustix` (a safe
//! wrapper; this crate forbids `unsafe`).
//!
//! Figures follow Python's `shutil.disk_usage`, which the original used:
//! `total = f_blocks·f_frsize`, `free = f_bavail·f_frsize` (what an
//! unprivileged process may still write), `used = (f_blocks − f_bfree)·f_frsize`.

use std::path::Path;

/// Filesystem figures, bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DiskSpace {
    pub total: u64,
    pub used: u64,
    pub free: u64,
}

/// The filesystem holding `path`.
#[cfg(unix)]
pub(crate) fn disk_space(path: &Path) -> std::io::Result<DiskSpace> {
    let s = rustix::fs::statvfs(path)?;
    // Some filesystems leave f_frsize 0; f_bsize is then the unit.
    let unit = if s.f_frsize > 0 {
        s.f_frsize
    } else {
        s.f_bsize
    };
    Ok(DiskSpace {
        total: s.f_blocks.saturating_mul(unit),
        used: s.f_blocks.saturating_sub(s.f_bfree).saturating_mul(unit),
        free: s.f_bavail.saturating_mul(unit),
    })
}

/// Not measured off Unix.
#[cfg(not(unix))]
pub(crate) fn disk_space(_path: &Path) -> std::io::Result<DiskSpace> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "disk space is only measured on Unix",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn temp_dir_has_a_size() {
        let d = disk_space(&std::env::temp_dir()).unwrap();
        assert!(d.total > 0);
        assert!(d.used <= d.total && d.free <= d.total);
        assert!(disk_space(Path::new("/definitely/not/here")).is_err());
    }
}
