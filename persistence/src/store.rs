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
    async fn compact(&self, doc: &str, up_to: u64, snapshot: Bytes) -> Result<(), StoreError>;

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
