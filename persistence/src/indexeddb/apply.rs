//! Turning stored rows into document state, fast.
//!
//! A database that y-indexeddb filled while someone typed holds one tiny update per
//! keystroke — hundreds of thousands of rows. Applying them all in one yrs transaction is
//! slow: at commit yrs squashes the new blocks one by one out of a long list, which is
//! quadratic. Applying each row in its own transaction avoids that, but would show the
//! document's observers (a provider sending to the server) one update per row. So the rows
//! are merged in small groups (merging many updates at once is quadratic too) and applied to
//! a scratch document, one transaction per group; the scratch document's state, now as
//! compact as a snapshot, goes into the caller's transaction as one update. A handful of
//! rows (a compacted database, a compaction's new rows) skip the scratch document.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, TransactionMut, Update};

use super::database::Rows;
use super::error::IndexeddbError;

/// Rows merged into one update before it is applied. Measured on the automerge-paper trace
/// (one row per edit): 16–32 restore it about ten times faster than one transaction for all.
const MERGE_GROUP: usize = 32;

/// Applies the rows for which `skip` is false to `txn`, in key order, and returns how many
/// bytes they held.
///
/// # Errors
/// [`IndexeddbError::CorruptRow`] for a row that is not a `Uint8Array` holding a Yjs v1
/// update; nothing is applied to `txn` then.
pub(crate) fn apply_rows(
    name: &str,
    txn: &mut TransactionMut,
    rows: &Rows,
    skip: impl Fn(f64) -> bool,
) -> Result<usize, IndexeddbError> {
    let corrupt = |position: u32, reason: String| IndexeddbError::CorruptRow {
        name: name.to_owned(),
        position,
        key: rows.keys.as_ref().map(|keys| keys[position as usize]),
        reason,
    };
    // A few rows (a compacted database) go straight in: one merge, no scratch document.
    let direct = rows.values.length() as usize <= MERGE_GROUP;
    let scratch = Doc::new();
    let mut bytes = 0;
    let mut buffer = Vec::new();
    let mut group: Vec<Update> = Vec::with_capacity(MERGE_GROUP);
    let mut group_start = 0;
    let apply_group = |group: &mut Vec<Update>, first: u32| {
        let merged = Update::merge_updates(group.drain(..));
        scratch
            .transact_mut()
            .apply_update(merged)
            .map_err(|err| corrupt(first, format!("{err} (in a group of rows from here)")))
    };
    for position in 0..rows.values.length() {
        if let Some(keys) = &rows.keys {
            if skip(keys[position as usize]) {
                continue;
            }
        }
        let value = rows.values.get(position);
        let Some(row) = value.dyn_ref::<Uint8Array>() else {
            return Err(corrupt(position, "the value is not a Uint8Array".into()));
        };
        buffer.resize(row.length() as usize, 0);
        row.copy_to(&mut buffer);
        bytes += buffer.len();
        let update =
            Update::decode_v1(&buffer).map_err(|err| corrupt(position, format!("{err}")))?;
        if group.is_empty() {
            group_start = position;
        }
        group.push(update);
        if !direct && group.len() == MERGE_GROUP {
            apply_group(&mut group, group_start)?;
        }
    }
    if direct {
        if !group.is_empty() {
            txn.apply_update(Update::merge_updates(group))
                .map_err(|err| corrupt(group_start, format!("{err} (in the rows from here)")))?;
        }
        return Ok(bytes);
    }
    if !group.is_empty() {
        apply_group(&mut group, group_start)?;
    }
    if bytes > 0 {
        let state = scratch
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let state = Update::decode_v1(&state)
            .map_err(|err| corrupt(group_start, format!("merged rows: {err}")))?;
        txn.apply_update(state)
            .map_err(|err| corrupt(group_start, format!("merged rows: {err}")))?;
    }
    Ok(bytes)
}
