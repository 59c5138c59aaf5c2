//! Real yrs updates to store, and replaying stored updates to compare content.

use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact, Update};

/// What a replayed document contains; equal content means equal `Content`.
#[derive(Debug, PartialEq, Eq)]
pub struct Content {
    pub text: String,
    pub state_vector: StateVector,
}

/// Edits a `Y.Text` named "text", returning each transaction's v1 update.
pub struct Editor {
    doc: Doc,
}

impl Editor {
    pub fn new(client_id: u64) -> Self {
        Editor {
            doc: Doc::with_client_id(client_id),
        }
    }

    /// Types `count` characters, one transaction each, deleting every fifth one again so
    /// the updates carry delete sets too.
    pub fn type_text(&mut self, count: usize) -> Vec<Vec<u8>> {
        let text = self.doc.get_or_insert_text("text");
        let mut updates = Vec::with_capacity(count);
        for i in 0..count {
            let mut txn = self.doc.transact_mut();
            let len = text.len(&txn);
            if i % 5 == 4 && len > 0 {
                text.remove_range(&mut txn, len / 2, 1);
            } else {
                let letter = char::from(b'a' + (i % 26) as u8).to_string();
                text.insert(&mut txn, len / 3, &letter);
            }
            updates.push(txn.encode_update_v1());
        }
        updates
    }

    /// The whole document as one update, as a compaction would store it.
    pub fn snapshot(&self) -> Vec<u8> {
        self.doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
    }

    pub fn content(&self) -> Content {
        content_of(&self.doc)
    }
}

/// Applies `updates` in order to a new document.
pub fn replay<'a>(updates: impl IntoIterator<Item = &'a [u8]>) -> Content {
    let doc = Doc::new();
    {
        let mut txn = doc.transact_mut();
        for update in updates {
            let update = Update::decode_v1(update).expect("stored bytes decode as a v1 update");
            txn.apply_update(update).expect("stored update applies");
        }
    }
    content_of(&doc)
}

/// A snapshot of the document `updates` build.
pub fn snapshot_of<'a>(updates: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let doc = Doc::new();
    {
        let mut txn = doc.transact_mut();
        for update in updates {
            txn.apply_update(Update::decode_v1(update).unwrap())
                .unwrap();
        }
    }
    let txn = doc.transact();
    txn.encode_state_as_update_v1(&StateVector::default())
}

fn content_of(doc: &Doc) -> Content {
    let text = doc.get_or_insert_text("text");
    let txn = doc.transact();
    Content {
        text: text.get_string(&txn),
        state_vector: txn.state_vector(),
    }
}
