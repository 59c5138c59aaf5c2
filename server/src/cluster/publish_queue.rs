//! The entries a node has yet to publish, bounded (sans-IO): Redis may be unreachable for a
//! while, and a node must keep serving its clients meanwhile without its memory growing
//! without limit.
//!
//! When the queue is full the oldest entry goes. A dropped awareness entry costs nothing
//! lasting (clients renew their state every 15 s); a dropped update or deletion is stored
//! but unpublished, so the room is remembered and, once publishing works again, a `reload`
//! entry tells the other nodes to reload it from the store.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use bytes::Bytes;

use super::entry::EntryKind;

/// One entry waiting to be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outgoing {
    /// The room whose stream it goes on.
    pub(crate) room: Arc<str>,
    /// What it is.
    pub(crate) kind: EntryKind,
    /// Its payload (empty for signals).
    pub(crate) payload: Bytes,
}

/// How much the queue may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueBounds {
    /// Entries.
    pub(crate) entries: usize,
    /// Payload bytes.
    pub(crate) bytes: usize,
}

impl Default for QueueBounds {
    fn default() -> Self {
        QueueBounds {
            entries: 100_000,
            bytes: 64 * 1024 * 1024,
        }
    }
}

/// Entries in publishing order, within [`QueueBounds`].
#[derive(Debug, Default)]
pub(crate) struct PublishQueue {
    entries: VecDeque<Outgoing>,
    bytes: usize,
    bounds: QueueBounds,
    /// Rooms whose stored changes were dropped unpublished, to be announced with `reload`.
    unpublished: BTreeSet<Arc<str>>,
    dropped: u64,
}

impl PublishQueue {
    /// An empty queue holding at most `bounds`.
    pub(crate) fn new(bounds: QueueBounds) -> Self {
        PublishQueue {
            bounds,
            ..PublishQueue::default()
        }
    }

    /// Adds an entry at the back, dropping the oldest ones while over the bounds.
    pub(crate) fn push(&mut self, entry: Outgoing) {
        self.bytes += entry.payload.len();
        self.entries.push_back(entry);
        while self.entries.len() > self.bounds.entries.max(1)
            || (self.bytes > self.bounds.bytes && self.entries.len() > 1)
        {
            let Some(oldest) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= oldest.payload.len();
            self.dropped += 1;
            if oldest.kind != EntryKind::Awareness {
                self.unpublished.insert(oldest.room);
            }
        }
    }

    /// Whether nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries waiting.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entries dropped unpublished so far.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The oldest `at_most` entries, to publish in one round trip.
    pub(crate) fn front(&self, at_most: usize) -> impl Iterator<Item = &Outgoing> {
        self.entries.iter().take(at_most)
    }

    /// The oldest `count` entries were published. Rooms with dropped changes get their
    /// `reload` entry queued now that publishing works.
    pub(crate) fn published(&mut self, count: usize) {
        for entry in self.entries.drain(..count.min(self.entries.len())) {
            self.bytes -= entry.payload.len();
        }
        for room in std::mem::take(&mut self.unpublished) {
            self.entries.push_back(Outgoing {
                room,
                kind: EntryKind::Reload,
                payload: Bytes::new(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(room: &str, kind: EntryKind, len: usize) -> Outgoing {
        Outgoing {
            room: Arc::from(room),
            kind,
            payload: Bytes::from(vec![0; len]),
        }
    }

    fn kinds(queue: &PublishQueue) -> Vec<(String, EntryKind)> {
        queue
            .front(usize::MAX)
            .map(|entry| (entry.room.to_string(), entry.kind))
            .collect()
    }

    #[test]
    fn entries_leave_in_the_order_they_came() {
        let mut queue = PublishQueue::new(QueueBounds::default());
        queue.push(entry("a", EntryKind::Update, 3));
        queue.push(entry("b", EntryKind::Awareness, 2));
        queue.push(entry("a", EntryKind::RoomDeleted, 0));
        assert_eq!(
            kinds(&queue),
            vec![
                ("a".into(), EntryKind::Update),
                ("b".into(), EntryKind::Awareness),
                ("a".into(), EntryKind::RoomDeleted),
            ]
        );
        queue.published(2);
        assert_eq!(kinds(&queue), vec![("a".into(), EntryKind::RoomDeleted)]);
        queue.published(1);
        assert!(queue.is_empty());
    }

    #[test]
    fn a_full_queue_drops_the_oldest_and_announces_a_reload_once_publishing_works() {
        let bounds = QueueBounds {
            entries: 2,
            bytes: 1_000,
        };
        let mut queue = PublishQueue::new(bounds);
        queue.push(entry("a", EntryKind::Update, 1));
        queue.push(entry("b", EntryKind::Awareness, 1));
        queue.push(entry("c", EntryKind::Update, 1));
        queue.push(entry("c", EntryKind::Update, 1));
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.dropped(), 2);
        queue.published(1);
        // Room a lost an update; room b only an awareness entry, renewed by its clients.
        assert_eq!(
            kinds(&queue),
            vec![
                ("c".into(), EntryKind::Update),
                ("a".into(), EntryKind::Reload)
            ]
        );
    }

    #[test]
    fn the_byte_bound_holds_but_never_drops_the_newest_entry() {
        let bounds = QueueBounds {
            entries: 100,
            bytes: 10,
        };
        let mut queue = PublishQueue::new(bounds);
        queue.push(entry("a", EntryKind::Update, 6));
        queue.push(entry("a", EntryKind::Update, 6));
        assert_eq!(queue.len(), 1);
        queue.push(entry("b", EntryKind::Update, 50));
        assert_eq!(kinds(&queue), vec![("b".into(), EntryKind::Update)]);
    }
}
