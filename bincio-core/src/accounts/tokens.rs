//! Secrets: session tokens, invite / reset / set-up codes, and their hashes.

use rand::Rng;
use sha2::{Digest, Sha256};

/// Alphabet of human-typed codes: upper-case letters and digits.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Length of invite and reset codes.
pub const CODE_LEN: usize = 8;

/// A new session / bearer token: 32 random bytes as 64 lowercase hex.
pub fn new_session_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

/// A new human-typed code of `len` characters from `[A-Z0-9]`.
pub fn new_code(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// Hex SHA-256 of a secret. Session tokens carry 256 bits of entropy, so an
/// unsalted fast hash is enough: it only has to make a leaked database
/// useless for logging in.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Hex SHA-256 of bytes (content hashes, e.g. versioned asset URLs).
pub fn sha256_hex_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let t = new_session_token();
        assert_eq!(t.len(), 64);
        assert!(t.bytes().all(|c| c.is_ascii_hexdigit()));
        let c = new_code(CODE_LEN);
        assert_eq!(c.len(), 8);
        assert!(c.bytes().all(|c| CODE_ALPHABET.contains(&c)));
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
