//! Merging stored updates into one snapshot, for [`DocStore::compact_stored`].
//!
//! The rows are checked as the server's load path checks them: each must be a valid v1 update
//! (`validate_update_v1`), and yrs must apply them without refusing or panicking. The
//! snapshot is the state of a fresh document that applied them all, which keeps structs
//! still waiting for a missing dependency and deletions of items not yet seen (yrs encodes
//! pending updates with the state), as Yjs's `encodeStateAsUpdate` does.
//!
//! [`DocStore::compact_stored`]: crate::DocStore::compact_stored

use bytes::Bytes;
use ycord_protocol::validate_update_v1;
use yrs::Doc;

use crate::error::StoreError;
use crate::rebuild::{contained, encode_state, rebuild_document};
use crate::store::{CompactOutcome, StoredUpdate};

/// What merging stored rows gave.
#[derive(Debug)]
pub(crate) enum Merged {
    /// One v1 update holding everything the rows hold.
    Snapshot(Bytes),
    /// The rows that cannot be read, by seq, with the reason.
    Unreadable(Vec<(u64, String)>),
}

/// Merges `rows` into one snapshot. CPU-bound: run it off the async workers.
///
/// # Errors
/// [`StoreError::Corrupt`] when yrs cannot encode the merged document although it applied
/// every row.
pub(crate) fn merge_rows(rows: &[StoredUpdate]) -> Result<Merged, StoreError> {
    let corrupt = |reason: String| {
        StoreError::Corrupt(format!(
            "yrs cannot encode the merged stored updates: {reason}"
        ))
    };
    let rebuilt = rebuild_document(rows, Doc::new).map_err(|err| corrupt(err.0))?;
    if !rebuilt.unreadable.is_empty() {
        return Ok(Merged::Unreadable(rebuilt.unreadable));
    }
    contained(|| checked_state(&rebuilt.doc))
        .map(Merged::Snapshot)
        .map_err(corrupt)
}

/// Merges `rows` on the blocking pool (native stores): the snapshot with the rows back, or,
/// when there is nothing to merge or some rows cannot be read, the outcome to return as it is.
///
/// # Errors
/// The merge did not finish, or [`merge_rows`] failed.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) async fn merge_in_background(
    rows: Vec<StoredUpdate>,
) -> Result<Result<(Bytes, Vec<StoredUpdate>), CompactOutcome>, StoreError> {
    if rows.len() < 2 {
        return Ok(Err(CompactOutcome::NothingToCompact));
    }
    let (merged, rows) = tokio::task::spawn_blocking(move || (merge_rows(&rows), rows))
        .await
        .map_err(|err| StoreError::Unavailable(format!("merging did not finish: {err}")))?;
    Ok(match merged? {
        Merged::Snapshot(snapshot) => Ok((snapshot, rows)),
        Merged::Unreadable(unreadable) => Err(CompactOutcome::Unreadable(unreadable)),
    })
}

/// What replacing `rows` (in seq order) by `snapshot` is.
pub(crate) fn compacted(rows: &[StoredUpdate], snapshot: &[u8]) -> CompactOutcome {
    CompactOutcome::Compacted {
        seq: rows.last().map_or(0, |row| row.seq),
        replaced_updates: rows.len() as u64,
        replaced_bytes: rows.iter().map(|row| row.data.len() as u64).sum(),
        snapshot_bytes: snapshot.len() as u64,
    }
}

/// The document's whole state, pending structs and deletions included, checked as any stored
/// row is checked on load.
fn checked_state(doc: &Doc) -> Result<Bytes, String> {
    let snapshot = encode_state(doc);
    validate_update_v1(&snapshot)
        .map_err(|err| format!("the merged snapshot is invalid: {err}"))?;
    Ok(Bytes::from(snapshot))
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::decoder::Decode;
    use yrs::{GetString, Text};
    use yrs::{Transact, Update};

    fn row(seq: u64, data: Vec<u8>) -> StoredUpdate {
        StoredUpdate {
            seq,
            data: Bytes::from(data),
        }
    }

    fn text_of(update: &[u8]) -> String {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("text");
        doc.transact_mut()
            .apply_update(Update::decode_v1(update).unwrap())
            .unwrap();
        let txn = doc.transact();
        text.get_string(&txn)
    }

    /// Three edits of one client: insert "abc", insert "d", delete "b".
    fn edits() -> Vec<Vec<u8>> {
        let doc = Doc::with_client_id(1);
        let text = doc.get_or_insert_text("text");
        let mut updates = Vec::new();
        for edit in 0..3 {
            let mut txn = doc.transact_mut();
            match edit {
                0 => text.insert(&mut txn, 0, "abc"),
                1 => text.insert(&mut txn, 3, "d"),
                _ => text.remove_range(&mut txn, 1, 1),
            }
            updates.push(txn.encode_update_v1());
        }
        updates
    }

    #[test]
    fn a_snapshot_keeps_updates_waiting_for_a_missing_dependency() {
        let [first, second, third] = <[Vec<u8>; 3]>::try_from(edits()).unwrap();
        // The first edit is missing: the others wait for it (a struct and a deletion).
        let Merged::Snapshot(snapshot) =
            merge_rows(&[row(2, second.clone()), row(3, third.clone())]).unwrap()
        else {
            panic!("valid rows merge");
        };
        let complete = yrs::merge_updates_v1([&first[..], &snapshot[..]]).unwrap();
        assert_eq!(text_of(&complete), "acd");
    }

    #[test]
    fn invalid_rows_are_reported_and_nothing_is_merged() {
        let [first, ..] = <[Vec<u8>; 3]>::try_from(edits()).unwrap();
        let Merged::Unreadable(unreadable) = merge_rows(&[
            row(1, first),
            row(2, (0..=255u8).rev().collect()),
            row(3, vec![0]),
        ])
        .unwrap() else {
            panic!("invalid rows are not merged");
        };
        assert_eq!(
            unreadable.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
            [2, 3]
        );
    }
}
