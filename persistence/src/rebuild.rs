//! Rebuilding a document from its stored updates, leaving out the ones that cannot be read.
//!
//! Rows written by ycord were validated before they were stored; rows written before validation
//! existed (or by hand, or damaged on disk) may not be. Each row is validated again
//! (`validate_update_v1`); a row that fails, or that yrs refuses or panics on, is reported with
//! the reason and the document is built from the rest. The server loads rooms this way and
//! [`DocStore::compact_stored`](crate::DocStore::compact_stored) merges rows this way.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use ycord_protocol::validate_update_v1;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use crate::store::StoredUpdate;

/// Updates merged at once. yrs's merge re-sorts its inputs for every block it writes, so its
/// cost grows with the square of their number: small chunks keep it linear, and one
/// transaction integrates all the chunks.
const MERGE_CHUNK: usize = 64;

/// A document rebuilt from stored updates.
pub struct Rebuilt {
    /// The document holding every readable update.
    pub doc: Doc,
    /// The stored updates that could not be read, by sequence number, with the reason.
    pub unreadable: Vec<(u64, String)>,
}

/// Even without the unreadable rows, yrs could not produce the document's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored document is unreadable: {0}")]
pub struct UnreadableDocument(pub String);

/// Rebuilds a document from its stored v1 `updates`, in order, into a document made by
/// `new_doc` (its options decide, e.g., how text offsets count), leaving out the ones that
/// cannot be read. CPU-bound: run it off the async workers.
///
/// The fast path merges chunks of updates and applies them in one transaction. If yrs refuses
/// or panics on that, the updates are applied one at a time to find the culprits, and the
/// document is rebuilt without each one found.
///
/// # Errors
/// [`UnreadableDocument`] when yrs cannot encode the document even then.
pub fn rebuild_document(
    updates: &[StoredUpdate],
    new_doc: impl Fn() -> Doc,
) -> Result<Rebuilt, UnreadableDocument> {
    let mut unreadable = Vec::new();
    let mut readable = Vec::with_capacity(updates.len());
    for row in updates {
        match validate_update_v1(&row.data) {
            Ok(_) => readable.push(row),
            Err(err) => unreadable.push((row.seq, err.to_string())),
        }
    }
    if let Ok(doc) = contained(|| merged_in_chunks(&readable, new_doc())) {
        return Ok(Rebuilt { doc, unreadable });
    }
    let mut skipped = HashSet::new();
    'rebuild: loop {
        let doc = new_doc();
        for row in readable.iter().filter(|row| !skipped.contains(&row.seq)) {
            if let Err(reason) = contained(|| apply(&doc, &row.data)) {
                skipped.insert(row.seq);
                unreadable.push((row.seq, reason));
                // What yrs integrated before failing stays in the document: start over.
                continue 'rebuild;
            }
        }
        contained(|| Ok(encode_state(&doc))).map_err(UnreadableDocument)?;
        unreadable.sort_unstable();
        return Ok(Rebuilt { doc, unreadable });
    }
}

fn merged_in_chunks(rows: &[&StoredUpdate], doc: Doc) -> Result<Doc, String> {
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

/// The document's whole state as one v1 update, pending structs and deletions included.
pub(crate) fn encode_state(doc: &Doc) -> Vec<u8> {
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

/// Runs `work`, turning a panic inside yrs into an error message: yrs may panic on input it
/// should have refused, and one bad document must not take its caller down.
///
/// # Errors
/// `work`'s own error, or `"yrs panicked: …"` with the panic's message.
pub fn contained<T>(work: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(format!("yrs panicked: {what}"))
    })
}
