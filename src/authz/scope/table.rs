//! A hash table whose keys live outside it, as spans of a [`ScopeSet`](super::ScopeSet)'s
//! text: adding an entry allocates nothing of its own.
//!
//! The caller gives the hash and the equality test of every look-up, so the same table
//! serves keys of any shape (a resource, a resource's action). Open addressing with
//! linear probing, at most half full, so a miss ends after a couple of slots. Each slot
//! keeps its entry's hash, so a probe compares hashes without reading other entries, and
//! growing the table moves slots and never hashes a string again.

/// Where a string sits in a [`ScopeSet`](super::ScopeSet)'s text.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) len: usize,
}

impl Span {
    /// The bytes of this span in `text`, the string it was taken from.
    #[inline]
    pub(super) fn of(self, text: &str) -> &[u8] {
        &text.as_bytes()[self.start..self.start + self.len]
    }
}

/// Entries of type `E`, found by hash and an equality test.
#[derive(Clone)]
pub(super) struct Table<E> {
    /// A power of two of slots (or none), at least twice the number of entries.
    slots: Vec<Slot>,
    /// The entries, in insertion order (indices never change).
    entries: Vec<E>,
}

/// One slot: an entry's index and hash, side by side so that a probe reads no entry
/// whose hash differs.
#[derive(Clone, Copy, Default)]
struct Slot {
    hash: u64,
    /// 0 for a free slot, otherwise 1 + the entry's index.
    entry: usize,
}

impl<E> Default for Table<E> {
    fn default() -> Self {
        Table {
            slots: Vec::new(),
            entries: Vec::new(),
        }
    }
}

impl<E> Table<E> {
    /// Index of the entry with this hash for which `eq` holds.
    #[inline]
    pub(super) fn find(&self, hash: u64, mut eq: impl FnMut(&E) -> bool) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        // Truncation is intended: the low bits of the hash pick the first slot.
        let mut i = hash as usize & mask;
        loop {
            let slot = self.slots[i];
            let index = slot.entry.checked_sub(1)?;
            if slot.hash == hash && eq(&self.entries[index]) {
                return Some(index);
            }
            i = (i + 1) & mask;
        }
    }

    /// The entry at `index` (from [`find`](Self::find) or [`insert`](Self::insert)).
    #[inline]
    pub(super) fn get(&self, index: usize) -> &E {
        &self.entries[index]
    }

    /// The entry at `index`, to update it.
    pub(super) fn get_mut(&mut self, index: usize) -> &mut E {
        &mut self.entries[index]
    }

    /// Adds an entry (the caller has checked with [`find`](Self::find) that no equal
    /// entry is present) and returns its index.
    pub(super) fn insert(&mut self, hash: u64, entry: E) -> usize {
        self.reserve(1);
        self.entries.push(entry);
        let index = self.entries.len() - 1;
        Self::place(
            &mut self.slots,
            Slot {
                hash,
                entry: index + 1,
            },
        );
        index
    }

    /// Makes room for `additional` more entries without growing again.
    pub(super) fn reserve(&mut self, additional: usize) {
        let needed = self.entries.len().saturating_add(additional);
        if needed.saturating_mul(2) <= self.slots.len() {
            return;
        }
        self.entries.reserve(additional);
        let len = needed.saturating_mul(2).max(8).next_power_of_two();
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); len]);
        for slot in old.into_iter().filter(|slot| slot.entry != 0) {
            Self::place(&mut self.slots, slot);
        }
    }

    /// Puts `slot` in the first free slot from its hash's.
    fn place(slots: &mut [Slot], slot: Slot) {
        let mask = slots.len() - 1;
        let mut i = slot.hash as usize & mask;
        while slots[i].entry != 0 {
            i = (i + 1) & mask;
        }
        slots[i] = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_inserted_through_growth_and_collisions() {
        let mut table = Table::default();
        assert_eq!(table.find(7, |_: &u32| true), None);
        // Few distinct hashes: long probe runs, equal hashes told apart by `eq`.
        for key in 0..1000u32 {
            let hash = u64::from(key % 13);
            assert_eq!(table.find(hash, |&k| k == key), None);
            assert_eq!(table.insert(hash, key), key as usize);
        }
        for key in 0..1000u32 {
            let found = table.find(u64::from(key % 13), |&k| k == key);
            assert_eq!(found.map(|i| *table.get(i)), Some(key));
        }
        assert_eq!(table.find(3, |&k| k == 1000), None);
        *table.get_mut(5) = 5000;
        assert_eq!(table.find(5, |&k| k == 5000), Some(5));
    }

    #[test]
    fn reserve_keeps_entries() {
        let mut table = Table::default();
        table.insert(1, "a");
        table.reserve(100);
        assert!(table.slots.len() >= 202);
        assert_eq!(table.find(1, |&k| k == "a"), Some(0));
        table.reserve(0);
        assert_eq!(table.find(1, |&k| k == "a"), Some(0));
    }
}
