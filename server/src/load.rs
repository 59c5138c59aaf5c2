//! Loading a room's document from the store: rebuilding it from the stored updates and
//! quarantining the ones that cannot be read, so one bad row never makes a room unloadable.
//!
//! Rows written by this version were validated before they were stored; rows written before
//! validation existed (or by hand, or damaged on disk) may not be. Each row is validated again
//! on load; a row that fails, or that yrs refuses or panics on, is moved to the room's
//! quarantine in the store (kept aside, logged, counted) and the document is built from the rest.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use ycord_persistence::{DocStore, StoreError, StoredUpdate};
use ycord_protocol::validate_update_v1;
use yrs::updates::decoder::Decode;
use yrs::{Doc, OffsetKind, Options, ReadTxn, StateVector, Transact, Update};

use crate::metrics::Metrics;

/// A document rebuilt from stored updates.
pub struct Rebuilt {
    /// The document holding every readable update.
    pub doc: Doc,
    /// The stored updates that could not be read, with the reason.
    pub unreadable: Vec<(u64, String)>,
}

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

/// Updates merged at once when rebuilding a document. yrs's merge re-sorts its inputs for
/// every block it writes, so its cost grows with the square of their number: small chunks
/// keep it linear, and one transaction integrates all the chunks.
const MERGE_CHUNK: usize = 64;

/// Rebuilds a document from its stored v1 updates, in order, leaving out the ones that cannot
/// be read.
///
/// The fast path merges chunks of updates and applies them in one transaction. If yrs refuses
/// or panics on that, the updates are applied one at a time to find the culprits, and the
/// document is rebuilt without each one found.
///
/// # Errors
/// [`LoadError::Unreadable`] when yrs cannot encode the document even then.
pub fn rebuild_document(updates: &[StoredUpdate]) -> Result<Rebuilt, LoadError> {
    let mut unreadable = Vec::new();
    let mut readable = Vec::with_capacity(updates.len());
    for row in updates {
        match validate_update_v1(&row.data) {
            Ok(_) => readable.push(row),
            Err(err) => unreadable.push((row.seq, err.to_string())),
        }
    }
    if let Ok(doc) = contained(|| merged_in_chunks(&readable)) {
        return Ok(Rebuilt { doc, unreadable });
    }
    let mut skipped = HashSet::new();
    'rebuild: loop {
        let doc = new_document();
        for row in readable.iter().filter(|row| !skipped.contains(&row.seq)) {
            if let Err(reason) = contained(|| apply(&doc, &row.data)) {
                skipped.insert(row.seq);
                unreadable.push((row.seq, reason));
                // What yrs integrated before failing stays in the document: start over.
                continue 'rebuild;
            }
        }
        contained(|| Ok(encode_state(&doc))).map_err(LoadError::Unreadable)?;
        unreadable.sort_unstable();
        return Ok(Rebuilt { doc, unreadable });
    }
}

fn merged_in_chunks(rows: &[&StoredUpdate]) -> Result<Doc, String> {
    let doc = new_document();
    {
        let mut txn = doc.transact_mut();
        for chunk in rows.chunks(MERGE_CHUNK) {
            let merged;
            let bytes = match chunk {
                [single] => &single.data[..],
                many => {
                    merged = yrs::merge_updates_v1(many.iter().map(|row| &row.data[..]))
                        .map_err(|err| err.to_string())?;
                    &merged[..]
                }
            };
            let update = Update::decode_v1(bytes).map_err(|err| err.to_string())?;
            txn.apply_update(update).map_err(|err| err.to_string())?;
        }
    }
    // Structs still waiting for dependencies are only re-read here: this is where a bad one
    // would fail.
    encode_state(&doc);
    Ok(doc)
}

fn apply(doc: &Doc, bytes: &[u8]) -> Result<(), String> {
    let update = Update::decode_v1(bytes).map_err(|err| format!("yrs cannot decode it: {err}"))?;
    doc.transact_mut()
        .apply_update(update)
        .map_err(|err| format!("yrs cannot apply it: {err}"))
}

fn encode_state(doc: &Doc) -> Vec<u8> {
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

/// Runs `work`, turning a panic inside yrs into an error.
pub(crate) fn contained<T>(work: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(format!("yrs panicked: {what}"))
    })
}
