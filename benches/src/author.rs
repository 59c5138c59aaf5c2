//! The edits one simulated user makes: real Yjs text insertions in the client's own document.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use yrs::{ClientID, Doc, OffsetKind, Options, Text, TextRef, Transact};

/// Short strings a user might type in one go; ASCII, so byte and UTF-16 lengths agree.
const SNIPPETS: [&str; 8] = ["a", "hi ", "yjs", "ok, ", "relay ", "42", "the ", "edit\n"];

/// One client's document and the source of its edits.
///
/// Remote updates are never applied: the author only needs its own text to pick valid
/// insertion positions, and skipping the merge keeps the generator cheap.
#[derive(Debug)]
pub struct Author {
    doc: Doc,
    text: TextRef,
    text_len: u32,
    rng: StdRng,
}

impl Author {
    /// An author with Yjs client id `client_id` whose choices follow `seed`.
    pub fn new(client_id: u32, seed: u64) -> Self {
        let doc = Doc::with_options(Options {
            client_id: ClientID::new(u64::from(client_id)),
            offset_kind: OffsetKind::Utf16,
            ..Options::default()
        });
        let text = doc.get_or_insert_text("text");
        Author {
            doc,
            text,
            text_len: 0,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// The client's document.
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// Inserts a short string at a random position of root text `"text"` in one transaction
    /// and returns that transaction's v1 update.
    pub fn next_update(&mut self) -> Vec<u8> {
        let snippet = SNIPPETS[self.rng.random_range(0..SNIPPETS.len())];
        let index = self.rng.random_range(0..=self.text_len);
        let mut txn = self.doc.transact_mut();
        self.text.insert(&mut txn, index, snippet);
        self.text_len += snippet.len() as u32;
        txn.encode_update_v1()
    }
}

#[cfg(test)]
mod tests {
    use yrs::updates::decoder::Decode;
    use yrs::{GetString, Update};

    use super::*;

    #[test]
    fn updates_rebuild_the_authors_text_elsewhere() {
        let mut author = Author::new(0xdead_beef, 7);
        let replica = Doc::with_client_id(1);
        let replica_text = replica.get_or_insert_text("text");
        let mut updates = Vec::new();
        for _ in 0..50 {
            updates.push(author.next_update());
        }
        for update in &updates {
            let update = Update::decode_v1(update).unwrap();
            replica.transact_mut().apply_update(update).unwrap();
        }
        let original = author.text.get_string(&author.doc.transact());
        assert!(!original.is_empty());
        assert_eq!(replica_text.get_string(&replica.transact()), original);
        assert_ne!(updates[0], updates[1]);
    }
}
