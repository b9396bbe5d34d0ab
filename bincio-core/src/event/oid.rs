//! ObjectId-like ids: 24 lowercase hex, rendered `{"$oid": "…"}` on the wire.
//!
//! Layout as MongoDB's (4-byte seconds, 5 random bytes, 3-byte counter) so
//! ids sort by creation time and a MongoDB backend can store them as real
//! ObjectIds. An attendee's id is generated once, at its first import, and
//! kept by every later import.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use rand::Rng;

static COUNTER: AtomicU32 = AtomicU32::new(0);
static PROCESS: OnceLock<[u8; 5]> = OnceLock::new();

/// A new id for `unix` seconds.
pub fn new_oid(unix: i64) -> String {
    let process = PROCESS.get_or_init(|| rand::rng().random());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut b = [0u8; 12];
    b[..4].copy_from_slice(&(unix as u32).to_be_bytes());
    b[4..9].copy_from_slice(process);
    b[9..].copy_from_slice(&n.to_be_bytes()[1..]);
    hex::encode(b)
}

/// True for 24 lowercase hex characters.
pub fn is_oid(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn unique_and_shaped() {
        let a = super::new_oid(1_900_000_000);
        let b = super::new_oid(1_900_000_000);
        assert_ne!(a, b);
        assert!(super::is_oid(&a));
        assert!(a.starts_with("713fb300"));
    }
}
