//! A bounded in-memory cache whose entries are valid for one *generation*
//! of what they were computed from — e.g. a member's activity generation
//! (`ActivityStore::activity_generations`), which grows after every change
//! and never goes back.
//!
//! Invariant for callers: read the generation *before* the data the value
//! is computed from. Then a kept value is never older than the generation
//! it is stored under, and a later change (made anywhere, another process
//! included) moves the generation, so the next `get` misses.
//!
//! Bounded: at most `capacity` entries; putting a new key into a full
//! cache drops the entry that was put longest ago.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

struct Slot<V> {
    generation: u64,
    /// When it was put (for "longest ago").
    put_at: u64,
    value: Arc<V>,
}

/// See the module doc.
pub struct GenerationCache<K, V> {
    map: Mutex<HashMap<K, Slot<V>>>,
    capacity: usize,
    puts: AtomicU64,
}

impl<K, V> std::fmt::Debug for GenerationCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenerationCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<K: Eq + Hash + Clone, V> GenerationCache<K, V> {
    /// An empty cache of at most `capacity` (≥ 1) entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            puts: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Slot<V>>> {
        // A panic while holding the lock leaves a map that is still valid.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value kept for `key` under exactly `generation`.
    pub fn get(&self, key: &K, generation: u64) -> Option<Arc<V>> {
        self.lock()
            .get(key)
            .filter(|s| s.generation == generation)
            .map(|s| s.value.clone())
    }

    /// Keep `value` for `key` under `generation` (replacing any older one).
    pub fn put(&self, key: K, generation: u64, value: Arc<V>) {
        let put_at = self.puts.fetch_add(1, Ordering::Relaxed);
        let mut map = self.lock();
        if map.len() >= self.capacity && !map.contains_key(&key) {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.put_at)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(
            key,
            Slot {
                generation,
                put_at,
                value,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_and_bound() {
        let c: GenerationCache<&str, u32> = GenerationCache::new(2);
        c.put("a", 1, Arc::new(10));
        assert_eq!(c.get(&"a", 1).as_deref(), Some(&10));
        assert_eq!(c.get(&"a", 2), None, "a newer generation misses");
        c.put("b", 1, Arc::new(20));
        c.put("c", 1, Arc::new(30));
        assert_eq!(c.get(&"a", 1), None, "the oldest put is dropped");
        assert_eq!(c.get(&"c", 1).as_deref(), Some(&30));
        c.put("b", 2, Arc::new(21));
        assert_eq!(c.get(&"b", 2).as_deref(), Some(&21));
        assert_eq!(
            c.get(&"c", 1).as_deref(),
            Some(&30),
            "replacing a key drops nothing"
        );
    }
}
