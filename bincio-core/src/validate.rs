//! Input validation shared by every adapter. Handles and file names are
//! checked here once, so no path built from them can escape its directory.

use crate::error::CoreError;

/// Longest display name accepted.
pub const MAX_DISPLAY_NAME: usize = 60;
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 8;
/// Longest password accepted (argon2 has no limit; this bounds hashing work).
pub const MAX_PASSWORD: usize = 1024;

/// `^[a-z0-9][a-z0-9_-]{0,29}$` — safe as a directory name (no `.`, no `/`).
pub fn is_valid_handle(handle: &str) -> bool {
    let b = handle.as_bytes();
    if b.is_empty() || b.len() > 30 {
        return false;
    }
    let first_ok = b[0].is_ascii_lowercase() || b[0].is_ascii_digit();
    first_ok
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

/// Validate a handle, with the contract's message.
pub fn handle(handle: &str) -> Result<(), CoreError> {
    if is_valid_handle(handle) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "Handle must be 1-30 characters: lowercase letters, digits, _ or -, starting with a letter or digit",
        ))
    }
}

/// Normalise a handle as typed at login (strip + lower-case).
pub fn normalise_handle(handle: &str) -> String {
    handle.trim().to_lowercase()
}

/// Validate a new password.
pub fn password(pw: &str) -> Result<(), CoreError> {
    if pw.chars().count() < MIN_PASSWORD {
        return Err(CoreError::invalid("Password must be at least 8 characters"));
    }
    if pw.len() > MAX_PASSWORD {
        return Err(CoreError::invalid("Password is too long"));
    }
    Ok(())
}

/// Validate a display name (≤ 60 characters, may be empty, no control chars).
pub fn display_name(name: &str) -> Result<(), CoreError> {
    if name.chars().count() > MAX_DISPLAY_NAME {
        return Err(CoreError::invalid(
            "Display name too long (max 60 characters)",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "Display name contains control characters",
        ));
    }
    Ok(())
}

/// Normalise a typed code (invite / reset): strip + upper-case.
pub fn normalise_code(code: &str) -> String {
    code.trim().to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles() {
        for ok in ["a", "0", "alice", "a-b_c", "abcdefghijklmnopqrstuvwxyz0123"] {
            assert!(is_valid_handle(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "_a",
            "A",
            "a.b",
            "..",
            "a/b",
            "abcdefghijklmnopqrstuvwxyz01234",
            "é",
        ] {
            assert!(!is_valid_handle(bad), "{bad}");
        }
    }
}
