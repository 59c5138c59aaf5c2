//! When an [`IndexeddbPersistence`](super::IndexeddbPersistence) compacts its database.

/// Tuning of [`IndexeddbPersistence::with_options`](super::IndexeddbPersistence::with_options).
///
/// Compaction replaces the rows this instance has merged by one row holding the whole
/// document. It starts when either threshold is reached, and never when the database holds
/// a single row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexeddbOptions {
    /// Compact once the `updates` store holds this many rows (y-indexeddb's threshold: 500).
    pub compact_after_rows: u32,
    /// Compact once the rows stored since this instance's last compaction (all rows, for a
    /// database it has not compacted yet) add up to this many bytes. Many small edits reach
    /// the row threshold first; a few large ones (pasted text, imported data) reach this one.
    pub compact_after_bytes: usize,
}

impl Default for IndexeddbOptions {
    fn default() -> Self {
        IndexeddbOptions {
            compact_after_rows: 500,
            compact_after_bytes: 1 << 20,
        }
    }
}
