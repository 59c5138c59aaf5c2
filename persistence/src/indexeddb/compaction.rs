//! When to compact: row and byte counts against the thresholds of [`IndexeddbOptions`].

use super::options::IndexeddbOptions;

/// What this instance knows about the size of the `updates` store.
///
/// Rows appended by other instances are not seen until the next read, so the counts are a
/// lower bound; that only delays a compaction, it never makes one unsafe.
#[derive(Debug, Clone)]
pub(crate) struct CompactionPolicy {
    compact_after_rows: u32,
    compact_after_bytes: usize,
    rows: u32,
    bytes: usize,
}

/// The counts when a compaction started; rows appended after it survive it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CompactionStart {
    rows: u32,
    bytes: usize,
}

impl CompactionPolicy {
    pub(crate) fn new(options: &IndexeddbOptions) -> Self {
        CompactionPolicy {
            compact_after_rows: options.compact_after_rows,
            compact_after_bytes: options.compact_after_bytes,
            rows: 0,
            bytes: 0,
        }
    }

    /// The rows found at load.
    pub(crate) fn loaded(&mut self, rows: u32, bytes: usize) {
        self.rows = self.rows.saturating_add(rows);
        self.bytes = self.bytes.saturating_add(bytes);
    }

    /// One row appended.
    pub(crate) fn appended(&mut self, bytes: usize) {
        self.loaded(1, bytes);
    }

    /// Whether a compaction is worth it now. A single row is already as compact as it gets.
    pub(crate) fn is_due(&self) -> bool {
        self.rows >= 2
            && (self.rows >= self.compact_after_rows || self.bytes >= self.compact_after_bytes)
    }

    pub(crate) fn start(&self) -> CompactionStart {
        CompactionStart {
            rows: self.rows,
            bytes: self.bytes,
        }
    }

    /// The compaction that began at `start` replaced the rows counted then by one row; the
    /// snapshot's own size does not count towards the byte threshold, or a large document
    /// would be compacted after every edit.
    pub(crate) fn finished(&mut self, start: CompactionStart) {
        self.rows = 1 + self.rows.saturating_sub(start.rows);
        self.bytes = self.bytes.saturating_sub(start.bytes);
    }
}
