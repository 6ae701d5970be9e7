//! Short-lived copies of what every sharing-channel call reads and almost nothing changes: a
//! client application with its working secrets, a grant's terms, a resource's published items
//! and table layout. Without them a keyed lookup would spend five of its seven statements
//! re-reading the same rows.
//!
//! A copy is used only while both hold:
//! - no write transaction has committed on this instance since it was read (every state change
//!   commits through [`WriteTx`](crate::WriteTx), which moves the store's generation on), so a
//!   suspension, a revocation or a disabled application takes effect here at once;
//! - it is younger than [`TTL`], which bounds how long a change made on another instance
//!   sharing the database goes unseen here.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest a copy is used: a change committed on another instance reaches this one's
/// channel within this time.
pub const TTL: Duration = Duration::from_secs(1);

/// Copies kept per kind; past this many, the shelf is emptied (callers read afresh).
const MAX_ENTRIES: usize = 4096;

/// Counts the write transactions committed through this store.
#[derive(Default)]
pub(crate) struct Generation(AtomicU64);

impl Generation {
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    pub(crate) fn advance(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// The copies the channel reads through.
#[derive(Default)]
pub(crate) struct ChannelCache {
    /// Client applications with their working secrets, by app key.
    pub(crate) apps: Shelf<String, crate::client_apps::AppRecord>,
    /// Grants' terms, by grant id.
    pub(crate) grants: Shelf<i64, pubdata_domain::sharing_channel::GrantTerms>,
    /// Resources' published items and data tables, by resource id.
    pub(crate) sources: Shelf<i64, crate::sharing_channel::DataSource>,
}

impl ChannelCache {
    pub(crate) fn clear(&self) {
        self.apps.clear();
        self.grants.clear();
        self.sources.clear();
    }
}

/// Copies of one kind of value, by key.
pub(crate) struct Shelf<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
}

struct Entry<V> {
    generation: u64,
    read_at: Instant,
    value: Arc<V>,
}

impl<K: Eq + Hash, V> Default for Shelf<K, V> {
    fn default() -> Self {
        Shelf { entries: Mutex::new(HashMap::new()) }
    }
}

impl<K: Eq + Hash, V> Shelf<K, V> {
    /// The copy of `key`, if one was read in generation `generation` less than [`TTL`] ago.
    pub(crate) fn get<Q>(&self, key: &Q, generation: u64) -> Option<Arc<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|e| e.generation == generation && e.read_at.elapsed() < TTL)
            .map(|e| Arc::clone(&e.value))
    }

    /// Keeps `value`, read in generation `generation` (taken before the read, so that a commit
    /// during the read leaves the copy already outdated).
    pub(crate) fn put(&self, key: K, generation: u64, value: Arc<V>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, Entry { generation, read_at: Instant::now(), value });
    }

    pub(crate) fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_serves_only_its_own_generation() {
        let shelf: Shelf<i64, &str> = Shelf::default();
        let generation = Generation::default();
        let read_in = generation.current();
        shelf.put(1, read_in, Arc::new("terms"));
        assert_eq!(shelf.get(&1, generation.current()).as_deref(), Some(&"terms"));
        generation.advance();
        assert_eq!(shelf.get(&1, generation.current()), None, "a commit since the read outdates the copy");
        assert_eq!(shelf.get(&2, read_in), None);
    }

    #[test]
    fn a_copy_older_than_the_ttl_is_not_served() {
        let shelf: Shelf<i64, u8> = Shelf::default();
        shelf.entries.lock().unwrap().insert(
            7,
            Entry { generation: 0, read_at: Instant::now() - TTL - Duration::from_millis(1), value: Arc::new(1) },
        );
        assert_eq!(shelf.get(&7, 0), None);
    }

    #[test]
    fn a_full_shelf_starts_over() {
        let shelf: Shelf<usize, usize> = Shelf::default();
        for i in 0..=MAX_ENTRIES {
            shelf.put(i, 0, Arc::new(i));
        }
        assert_eq!(shelf.entries.lock().unwrap().len(), 1);
        assert_eq!(shelf.get(&MAX_ENTRIES, 0).as_deref(), Some(&MAX_ENTRIES));
    }
}
