//! Loading a room's document from the store: rebuilding it from the stored updates and
//! quarantining the ones that cannot be read, so one bad row never makes a room unloadable.
//!
//! Rows written by this version were validated before they were stored; rows written before
//! validation existed (or by hand, or damaged on disk) may not be. Each row is validated again
//! on load; a row that fails, or that yrs refuses or panics on, is moved to the room's
//! quarantine in the store (kept aside, logged, counted) and the document is built from the rest.

use std::collections::HashSet;

use ycord_persistence::rebuild;
pub(crate) use ycord_persistence::rebuild::contained;
pub use ycord_persistence::rebuild::Rebuilt;
use ycord_persistence::{DocStore, StoreError, StoredUpdate};
use yrs::{Doc, OffsetKind, Options};

use crate::metrics::Metrics;

/// Why a room's document could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The store failed (reading the rows or quarantining the unreadable ones).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Even without the unreadable rows, yrs could not produce the document's state.
    #[error("stored document is unreadable: {0}")]
    Unreadable(String),
}

/// A room's document loaded from the store, with the shape of its stored log.
pub(crate) struct Loaded {
    pub(crate) doc: Doc,
    /// Highest sequence number of a readable row (0 when there is none).
    pub(crate) last_seq: u64,
    /// Readable rows in the log.
    pub(crate) updates: u64,
    /// Their total size.
    pub(crate) bytes: u64,
    /// Size of the first row: the snapshot when the log was ever compacted.
    pub(crate) first_bytes: u64,
}

/// Loads `name`'s rows, rebuilds the document off the async workers, and moves unreadable rows
/// to the quarantine before anything else (a compaction) could drop them.
pub(crate) async fn load_document(
    store: &dyn DocStore,
    metrics: &Metrics,
    name: &str,
) -> Result<Loaded, LoadError> {
    let rows = store.load(name).await?;
    let (rebuilt, rows) = tokio::task::spawn_blocking(move || (rebuild_document(&rows), rows))
        .await
        .map_err(|err| LoadError::Unreadable(format!("rebuilding failed: {err}")))?;
    let rebuilt = rebuilt?;
    if !rebuilt.unreadable.is_empty() {
        for (seq, reason) in &rebuilt.unreadable {
            tracing::error!(room = %name, seq, reason = %reason, "stored update is unreadable: quarantined");
        }
        store.quarantine(name, &rebuilt.unreadable).await?;
        metrics.record_quarantined(rebuilt.unreadable.len());
    }
    let bad: HashSet<u64> = rebuilt.unreadable.iter().map(|(seq, _)| *seq).collect();
    let kept: Vec<&StoredUpdate> = rows.iter().filter(|row| !bad.contains(&row.seq)).collect();
    Ok(Loaded {
        doc: rebuilt.doc,
        last_seq: kept.last().map_or(0, |row| row.seq),
        updates: kept.len() as u64,
        bytes: kept.iter().map(|row| row.data.len() as u64).sum(),
        first_bytes: kept.first().map_or(0, |row| row.data.len() as u64),
    })
}

/// An empty document as rooms use them: offsets count UTF-16 code units, as in JavaScript.
pub fn new_document() -> Doc {
    Doc::with_options(Options {
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

/// Rebuilds a document (as [`new_document`] makes them) from its stored v1 updates, in order,
/// leaving out the ones that cannot be read (see [`ycord_persistence::rebuild`]).
///
/// # Errors
/// [`LoadError::Unreadable`] when yrs cannot encode the document even without them.
pub fn rebuild_document(updates: &[StoredUpdate]) -> Result<Rebuilt, LoadError> {
    rebuild::rebuild_document(updates, new_document).map_err(|err| LoadError::Unreadable(err.0))
}
