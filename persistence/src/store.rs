//! The storage trait every backend implements.

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::StoreError;

/// One stored update of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUpdate {
    /// Position in the document's log; strictly increasing in append order. An append
    /// never gets a number used before (not even one of a deleted document); a compaction
    /// snapshot takes the number of the last update it replaces.
    pub seq: u64,
    /// A v1 update.
    pub data: Bytes,
}

/// What [`DocStore::list`] says about a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocInfo {
    /// The document (room) name.
    pub name: String,
    /// Number of stored updates (a snapshot counts as one).
    pub updates: u64,
    /// Total bytes of stored updates.
    pub bytes: u64,
}

/// A stored update taken out of its document's log because it could not be read, kept aside
/// for inspection until someone deletes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedUpdate {
    /// The sequence number it had in the log.
    pub seq: u64,
    /// The bytes exactly as they were stored.
    pub data: Bytes,
    /// Why it could not be read.
    pub reason: String,
    /// When it was quarantined, in milliseconds since the Unix epoch.
    pub quarantined_at_ms: u64,
}

/// What [`DocStore::compact_stored`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompactOutcome {
    /// The stored updates read were replaced by one snapshot.
    Compacted {
        /// The snapshot's sequence number: the largest of the updates it replaced.
        seq: u64,
        /// How many stored updates it replaced (an earlier snapshot among them).
        replaced_updates: u64,
        /// Their total size in bytes.
        replaced_bytes: u64,
        /// The snapshot's size in bytes.
        snapshot_bytes: u64,
    },
    /// Fewer than two stored updates in the range (none when the document is unknown or was
    /// deleted): nothing changed.
    NothingToCompact,
    /// These updates in the range could not be read, with the reason, by sequence number;
    /// nothing changed. Compaction never quarantines: load the document (the load path moves
    /// them to the quarantine) and compact again, or compact only up to the first of them.
    Unreadable(Vec<(u64, String)>),
    /// Another store (another server sharing the PostgreSQL database) is compacting or
    /// deleting the document right now; nothing changed. A compaction there covers what was
    /// stored when it started: compact again later for the rest. Only the PostgreSQL backend
    /// says this.
    LockedByAnotherStore,
}

/// Durable storage for documents, shared by every room of a server.
///
/// Every method is atomic: when it returns `Ok`, everything it wrote is durable (it survives
/// a crash of the process or the machine, as far as the backend's durability setting goes);
/// when it returns `Err`, nothing it was asked to write is visible.
#[async_trait]
pub trait DocStore: Send + Sync + 'static {
    /// Every stored update of `doc` in sequence order; empty for an unknown document.
    async fn load(&self, doc: &str) -> Result<Vec<StoredUpdate>, StoreError>;

    /// Appends updates to several documents in one durable commit (one fsync / one
    /// transaction), returning each update's sequence number in input order. This is what
    /// group commit is built on: one call may carry the updates of many rooms.
    async fn append_batch(&self, batch: &[(&str, Bytes)]) -> Result<Vec<u64>, StoreError>;

    /// Appends one update; see [`DocStore::append_batch`].
    async fn append(&self, doc: &str, update: Bytes) -> Result<u64, StoreError> {
        let seqs = self.append_batch(&[(doc, update)]).await?;
        Ok(seqs[0])
    }

    /// Replaces every update of `doc` with `seq <= up_to` by `snapshot` in one atomic step.
    /// Updates appended after `up_to` stay, after the snapshot. The snapshot gets the
    /// sequence number of the last update it replaces, so it sorts before every update it
    /// does not replace.
    ///
    /// `snapshot` must contain everything the replaced updates contain: build it from a
    /// [`DocStore::load`] and pass the largest `seq` that load returned as `up_to`.
    ///
    /// When `doc` has no update with `seq <= up_to` (it was deleted meanwhile, or never
    /// stored), nothing changes: compaction never brings back a deleted document.
    ///
    /// Only for a single writer per document: it replaces every stored update up to `up_to`,
    /// also one another writer stored that `snapshot` does not contain. With several writers
    /// use [`DocStore::compact_stored`].
    async fn compact(&self, doc: &str, up_to: u64, snapshot: Bytes) -> Result<(), StoreError>;

    /// Replaces the stored updates of `doc` with `seq <= up_to` (every stored update when
    /// `up_to` is `None`) by one snapshot merged from exactly those rows, in one atomic step
    /// that is safe while other writers (other tasks, processes or nodes sharing the store)
    /// append to and compact the same document.
    ///
    /// Unlike [`DocStore::compact`], the caller's document plays no part: the store reads the
    /// rows, validates each (`ycord_protocol::validate_update_v1`), merges them with yrs (the
    /// snapshot is the state of a document that applied them all, so structs still waiting for
    /// a missing dependency and deletions of items not yet seen are kept), and deletes only
    /// the rows it read. Updates committed meanwhile by another writer stay, whatever their
    /// `seq`. The snapshot gets the largest `seq` it replaces. With several writers on
    /// PostgreSQL an update can commit after a compaction read past its `seq` (its number was
    /// drawn earlier); it then stays and sorts before the snapshot. Updates commute, so the
    /// loaded document is the same.
    ///
    /// Concurrent compactions and deletions of one document are safe, and compaction never
    /// brings back a deleted document. PostgreSQL: a per-document advisory lock (see the
    /// `PostgresStore` docs); a compaction that finds it taken does not wait but returns
    /// [`CompactOutcome::LockedByAnotherStore`], a deletion waits. SQLite: the snapshot
    /// replaces the rows under the database's write lock only if they are still stored
    /// unchanged, otherwise the rows are read and merged again under that lock. Memory: the
    /// store's mutex.
    ///
    /// The merge runs off the async workers on the native backends; in memory (and so in the
    /// browser) it runs in the call.
    ///
    /// # Errors
    /// [`StoreError`] when the store fails; nothing changed then. Unreadable rows are not an
    /// error but [`CompactOutcome::Unreadable`].
    async fn compact_stored(
        &self,
        doc: &str,
        up_to: Option<u64>,
    ) -> Result<CompactOutcome, StoreError>;

    /// Removes a document and all its updates.
    async fn delete(&self, doc: &str) -> Result<(), StoreError>;

    /// Every stored document with its update count and size, sorted by name.
    async fn list(&self) -> Result<Vec<DocInfo>, StoreError>;

    /// Moves the updates of `doc` with the given sequence numbers out of its log into its
    /// quarantine, each with the reason it could not be read, in one atomic step. A sequence
    /// number no longer in the log (compacted or deleted meanwhile) is skipped. Afterwards
    /// [`DocStore::load`] no longer returns those updates and [`DocStore::quarantined`] does.
    async fn quarantine(&self, doc: &str, updates: &[(u64, String)]) -> Result<(), StoreError>;

    /// The quarantined updates of `doc`, by sequence number; empty for an unknown document.
    async fn quarantined(&self, doc: &str) -> Result<Vec<QuarantinedUpdate>, StoreError>;

    /// Deletes one quarantined update for good; `false` when there was none with that number.
    /// [`DocStore::delete`] removes a document's quarantine along with its log.
    async fn delete_quarantined(&self, doc: &str, seq: u64) -> Result<bool, StoreError>;
}
