//! The process's open-files limit against the connection bound: every
//! connection is a descriptor, and running out of them is what made
//! `accept` fail with `EMFILE`. Raising the soft limit (up to the hard one)
//! is what servers usually do at start; this never lowers it.

/// Raise the soft `RLIMIT_NOFILE` to at least `want` if the hard limit
/// allows (else to the hard limit). Returns the soft limit now in force
/// (`None`: unlimited, or not a Unix system).
pub fn raise_open_files_limit(want: u64) -> Option<u64> {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let now = getrlimit(Resource::Nofile);
        let current = now.current?;
        if current >= want {
            return Some(current);
        }
        let target = now.maximum.map_or(want, |max| want.min(max));
        if target > current
            && setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: Some(target),
                    maximum: now.maximum,
                },
            )
            .is_ok()
        {
            return Some(target);
        }
        Some(current)
    }
    #[cfg(not(unix))]
    {
        let _ = want;
        None
    }
}
