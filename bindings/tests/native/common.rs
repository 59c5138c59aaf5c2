//! Helpers shared by the native reactive tests.

use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, Transact, Update};

/// Applies to `to` everything `from` has that `to` lacks, as a provider would: one transaction
/// with a remote origin.
pub fn sync(from: &Doc, to: &Doc) {
    let sv = to.transact().state_vector();
    let update = from.transact().encode_state_as_update_v1(&sv);
    apply(to, &update);
}

/// Applies a v1 update with a remote origin.
pub fn apply(to: &Doc, update: &[u8]) {
    let mut txn = to.transact_mut_with("remote");
    txn.apply_update(Update::decode_v1(update).expect("valid update"))
        .expect("update applies");
}

/// Keeps `a` and `b` identical (both directions).
pub fn sync_both(a: &Doc, b: &Doc) {
    sync(a, b);
    sync(b, a);
}
