//! Password hashing: argon2id (PHC string) for everything new; legacy
//! bcrypt hashes (`$2a$`, `$2b$`, `$2y$`) from a BincioActivity
//! `instance.db` still verify and are flagged for upgrade.
//!
//! Hashing is CPU-bound (tens of milliseconds), so callers run it on the
//! blocking pool ([`hash_blocking`], [`verify_blocking`]), never on the
//! async executor.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::CoreError;

/// Outcome of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Wrong password or unparsable hash.
    No,
    /// Right password, modern hash.
    Yes,
    /// Right password, legacy hash: store a fresh argon2id hash.
    YesUpgrade,
}

/// True for a bcrypt hash of the forms bcrypt libraries emit.
pub fn is_bcrypt(hash: &str) -> bool {
    hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$")
}

/// Hash with argon2id and the library's recommended parameters
/// (m = 19 MiB, t = 2, p = 1).
pub fn hash(password: &str) -> Result<String, CoreError> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| CoreError::Internal(format!("argon2 salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Internal(format!("argon2: {e}")))
}

/// Verify `password` against an argon2 PHC string or a bcrypt hash.
pub fn verify(password: &str, stored: &str) -> Verified {
    if is_bcrypt(stored) {
        return match bcrypt::verify(password, stored) {
            Ok(true) => Verified::YesUpgrade,
            _ => Verified::No,
        };
    }
    match PasswordHash::new(stored) {
        Ok(parsed) => {
            if Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
            {
                Verified::Yes
            } else {
                Verified::No
            }
        }
        Err(_) => Verified::No,
    }
}

/// [`hash`] on the blocking pool.
pub async fn hash_blocking(password: String) -> Result<String, CoreError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| CoreError::Internal(format!("hash task: {e}")))?
}

/// [`verify`] on the blocking pool.
pub async fn verify_blocking(password: String, stored: String) -> Result<Verified, CoreError> {
    tokio::task::spawn_blocking(move || verify(&password, &stored))
        .await
        .map_err(|e| CoreError::Internal(format!("verify task: {e}")))
}

/// A valid argon2id hash of a random password, verified against when the
/// handle is unknown so that response time does not reveal which handles
/// exist.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not-a-real-password-ever").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_roundtrip() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert_eq!(verify("correct horse", &h), Verified::Yes);
        assert_eq!(verify("wrong", &h), Verified::No);
        assert_eq!(verify("x", "garbage"), Verified::No);
    }

    #[test]
    fn bcrypt_verifies_and_asks_upgrade() {
        let h = bcrypt::hash("legacy-pass", 4).unwrap();
        assert_eq!(verify("legacy-pass", &h), Verified::YesUpgrade);
        assert_eq!(verify("nope", &h), Verified::No);
    }
}
