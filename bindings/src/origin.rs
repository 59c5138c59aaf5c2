//! The origin every write made through these bindings carries.
//!
//! An app that writes to the document directly (not through a hook's commands) opens its
//! transaction with [`local_origin`] to have [`use_undo`](crate::use_undo) cover the edit;
//! [`is_local`] tells such a transaction apart in an observer.

use yrs::{Doc, Origin, Transact, TransactionMut};

/// Bytes of the origin attached to every transaction the bindings open for a local edit.
/// Eight bytes at most, so yrs keeps the origin inline instead of allocating per edit.
///
/// Undo managers created by [`use_undo`](crate::use_undo) track this origin only, so remote
/// edits (which the provider applies with its own origin) are never undone locally.
pub const LOCAL_ORIGIN: &str = "ycord-ui";

/// The [`Origin`] of local edits made through the bindings.
pub fn local_origin() -> Origin {
    Origin::from(LOCAL_ORIGIN)
}

/// Whether `txn` was opened by the bindings for a local edit.
pub fn is_local(txn: &TransactionMut) -> bool {
    txn.origin()
        .is_some_and(|o| o.as_ref() == LOCAL_ORIGIN.as_bytes())
}

/// Opens one read-write transaction with the local origin. One local edit, one transaction:
/// yrs squashes blocks at commit, and long-running transactions become quadratically slow.
pub(crate) fn write(doc: &Doc) -> TransactionMut<'_> {
    doc.transact_mut_with(local_origin())
}
