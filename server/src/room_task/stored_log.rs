//! When a room's stored log is compacted, without IO: the room task counts what the store
//! confirmed and what a compaction replaced, and asks [`StoredLog::due_compaction`] whether to
//! start one.

use crate::config::Compaction;
use crate::load::Loaded;

/// What the log of one room looks like in the store.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct StoredLog {
    /// Highest sequence number confirmed durable.
    last_seq: u64,
    /// Updates in the store (a snapshot counts as one).
    updates: u64,
    /// Bytes in the store.
    bytes: u64,
    /// Size of the snapshot the log starts with (0 if never compacted).
    snapshot_bytes: u64,
}

/// The part of the log a compaction replaces, as it was when the compaction started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Replaced {
    /// Every update up to this sequence number goes into the snapshot.
    pub(crate) up_to: u64,
    /// Updates in the store then.
    pub(crate) updates: u64,
    /// Bytes in the store then.
    pub(crate) bytes: u64,
}

impl From<&Loaded> for StoredLog {
    fn from(loaded: &Loaded) -> Self {
        StoredLog {
            last_seq: loaded.last_seq,
            updates: loaded.updates,
            bytes: loaded.bytes,
            snapshot_bytes: loaded.first_bytes,
        }
    }
}

impl StoredLog {
    /// The store confirmed an append of `size` bytes as `seq`.
    pub(crate) fn record_append(&mut self, seq: u64, size: u64) {
        self.last_seq = self.last_seq.max(seq);
        self.updates += 1;
        self.bytes += size;
    }

    /// What to compact, when `policy` says the log is due.
    pub(crate) fn due_compaction(&self, policy: &Compaction) -> Option<Replaced> {
        // Bytes count what was appended since the snapshot, and at least the snapshot's own
        // size: a large document is rewritten only after as much again has been appended,
        // not after every keystroke.
        let appended = self.bytes.saturating_sub(self.snapshot_bytes);
        let is_due = self.updates > 1
            && (self.updates >= policy.max_updates
                || appended >= policy.max_bytes.max(self.snapshot_bytes));
        is_due.then_some(Replaced {
            up_to: self.last_seq,
            updates: self.updates,
            bytes: self.bytes,
        })
    }

    /// A compaction finished: `replaced` is now one snapshot of `snapshot_bytes`. Appends
    /// confirmed while it ran stay counted.
    pub(crate) fn record_compaction(&mut self, replaced: Replaced, snapshot_bytes: u64) {
        self.updates = self.updates - replaced.updates + 1;
        self.bytes = self.bytes - replaced.bytes + snapshot_bytes;
        self.snapshot_bytes = snapshot_bytes;
    }

    /// Updates in the store (a snapshot counts as one).
    pub(crate) fn updates(&self) -> u64 {
        self.updates
    }

    /// Bytes in the store.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Compaction = Compaction {
        max_updates: 10,
        max_bytes: 1_000,
    };

    fn log_of(updates: u64, size: u64) -> StoredLog {
        let mut log = StoredLog::default();
        for seq in 1..=updates {
            log.record_append(seq, size);
        }
        log
    }

    #[test]
    fn a_log_of_one_update_is_never_compacted() {
        assert_eq!(log_of(1, 1_000_000).due_compaction(&POLICY), None);
    }

    #[test]
    fn the_log_is_compacted_once_it_holds_max_updates() {
        assert_eq!(log_of(9, 1).due_compaction(&POLICY), None);
        assert_eq!(
            log_of(10, 1).due_compaction(&POLICY),
            Some(Replaced {
                up_to: 10,
                updates: 10,
                bytes: 10
            })
        );
    }

    #[test]
    fn the_log_is_compacted_once_max_bytes_were_appended() {
        assert_eq!(log_of(2, 499).due_compaction(&POLICY), None);
        assert!(log_of(2, 500).due_compaction(&POLICY).is_some());
    }

    #[test]
    fn a_large_snapshot_is_rewritten_only_after_as_much_again_was_appended() {
        let mut log = log_of(2, 1_000);
        let replaced = log.due_compaction(&POLICY).expect("due by bytes");
        log.record_compaction(replaced, 5_000);
        log.record_append(3, 4_999);
        assert_eq!(log.due_compaction(&POLICY), None);
        log.record_append(4, 1);
        assert!(log.due_compaction(&POLICY).is_some());
    }

    #[test]
    fn appends_confirmed_during_a_compaction_stay_counted() {
        let mut log = log_of(10, 10);
        let replaced = log.due_compaction(&POLICY).expect("due by count");
        log.record_append(11, 7);
        log.record_append(12, 7);
        log.record_compaction(replaced, 30);
        assert_eq!((log.updates(), log.bytes()), (3, 44));
        assert_eq!(log.due_compaction(&POLICY), None);
    }

    #[test]
    fn a_snapshot_covers_up_to_the_highest_confirmed_sequence_number() {
        let mut log = StoredLog::default();
        for seq in [5, 3, 10, 7, 8, 6, 4, 2, 1, 9] {
            log.record_append(seq, 1);
        }
        assert_eq!(log.due_compaction(&POLICY).map(|r| r.up_to), Some(10));
    }
}
